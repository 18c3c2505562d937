/**
 * Faults of a database source against the real MariaDB: the runner's connection killed in the
 * middle of a backfill (KILL in MariaDB), a database that is not there and then is, and two
 * runners on one source (the lease). After each, the cockpit's figures are the sums computed in
 * SQL: nothing lost, nothing doubled. (Query time bounds: sources-sql.test.ts.)
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { ErpnextWriter, createErpnextDb, shanghaiDate } from '../helpers/erpnext-db.ts'
import type { ErpDb } from '../helpers/erpnext-db.ts'
import { SourceRunner } from '../../server/sources/runner.ts'
import type { RunnerDeps } from '../../server/sources/runner.ts'
import { killingSqlClient, mariadbKiller } from '../helpers/killing-sql-client.ts'
import type { SourceDefinition } from '../../server/sources/config.ts'

const tag = randomUUID().slice(0, 8)
const since = shanghaiDate(-20)
const period = { from: `${since}T00:00:00+08:00`, to: `${shanghaiDate(1)}T00:00:00+08:00` }
const WAREHOUSES = ['Stores - TC', 'Shop - TC']

let db: ErpDb
let erp: ErpnextWriter
let server: TestServer
const running: SourceRunner[] = []

function deps(over: Partial<RunnerDeps>): RunnerDeps {
  return { ...server.app.sources.runnerDeps, backoffMs: 30, maxBackoffMs: 200, ...over }
}

async function declare(id: string, env: string, pageSize = 25): Promise<void> {
  const def: SourceDefinition = { id, kind: 'erpnext', connectionEnv: env, schedule: { pollIntervalMs: 100, pageSize, settleMs: 0 }, backfill: { since } }
  const out = await server.app.sources.store.save(def, undefined)
  expect(out.ok).toBe(true)
}

async function start(id: string, over: Partial<RunnerDeps>): Promise<SourceRunner | undefined> {
  const r = await SourceRunner.start(id, deps(over))
  if (r) running.push(r)
  return r
}

async function caughtUpAfter(id: string, t: number) {
  for (let i = 0; i < 600; i++) {
    const st = await server.app.sources.store.status(id)
    if (st.caughtUpAt && Number(st.caughtUpAt) > t) return st
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`not caught up: ${JSON.stringify(await server.app.sources.store.status(id))}`)
}

async function figure(metric: string): Promise<number> {
  const level = metric === 'stock.qty' || metric === 'stock.value'
  const res = await server.app.inject({ method: 'POST', url: '/api/v1/query', payload: { metric, ...(level ? {} : period) } })
  expect(res.statusCode, res.body).toBe(200)
  return res.json().total ?? 0
}

async function sqlFigures(): Promise<Record<string, number>> {
  const one = async (sql: string) => Math.round(Number((await db.sql<{ v: string | null }>(sql))[0]?.v ?? 0) * 100) / 100
  return {
    'stock.qty': await one('SELECT SUM(actual_qty) v FROM `tabStock Ledger Entry` WHERE is_cancelled = 0'),
    'stock.value': await one('SELECT SUM(stock_value_difference) v FROM `tabStock Ledger Entry` WHERE is_cancelled = 0'),
    'sales.revenue': await one('SELECT SUM(i.base_net_amount) v FROM `tabDelivery Note Item` i JOIN `tabDelivery Note` d ON d.name = i.parent WHERE d.docstatus = 1'),
    'purchase.receiptAmount': await one(
      "SELECT SUM(actual_qty * incoming_rate) v FROM `tabStock Ledger Entry` WHERE is_cancelled = 0 AND voucher_type = 'Purchase Receipt' AND actual_qty > 0",
    ),
    'cash.in': await one("SELECT SUM(base_received_amount) v FROM `tabPayment Entry` WHERE docstatus = 1 AND payment_type = 'Receive'"),
  }
}

async function expectFiguresMatchErp() {
  const expected = await sqlFigures()
  const actual: Record<string, number> = {}
  for (const m of Object.keys(expected)) actual[m] = await figure(m)
  expect(actual).toEqual(expected)
  return expected
}

beforeAll(async () => {
  db = await createErpnextDb()
  erp = new ErpnextWriter(db)
  process.env[`TEST_FAULTS_URL_${tag}`] = db.url
  server = await startTestServer({ COCKPIT_SOURCES: 'off' })
  await erp.master(
    Array.from({ length: 6 }, (_, i) => ({ code: `ITEM-${i}`, group: 'G' })),
    WAREHOUSES,
    ['CUST-1'],
    ['SUP-1'],
  )
  // a history of a few hundred documents over twenty days
  let n = 0
  for (let day = -19; day <= 0; day++) {
    for (let k = 0; k < 6; k++) {
      const item = `ITEM-${k}`
      const wh = WAREHOUSES[k % 2]!
      await erp.receipt(`PR-${++n}`, 'SUP-1', shanghaiDate(day), '08:00:00', [{ item, wh, qty: 10 + k, rate: 3.25 + k }])
      await erp.delivery(`DN-${n}`, 'CUST-1', shanghaiDate(day), '15:30:00', [{ item, wh, qty: 4 + (day & 3), rate: 9.9 + k }])
    }
    await erp.payment(`PE-${day}`, 'Receive', 'CUST-1', 100 + day, shanghaiDate(day))
  }
}, 120_000)

afterAll(async () => {
  await Promise.all(running.map((r) => r.stop()))
  await server?.close()
  await db?.drop()
  delete process.env[`TEST_FAULTS_URL_${tag}`]
}, 60_000)

describe('database source faults', () => {
  test('the connection killed twice in the middle of the backfill: nothing lost, nothing doubled', async () => {
    const id = `kill-${tag}`
    await declare(id, `TEST_FAULTS_URL_${tag}`)
    const { stats, connect } = killingSqlClient(
      mariadbKiller((text) => db.sql(text)),
      new Set([6, 14]),
    )
    const t = Date.now()
    const runner = await start(id, { connect })
    expect(runner).toBeDefined()
    const st = await caughtUpAfter(id, t)
    expect(stats.kills).toBe(2)
    // each kill is an error with its time, and a retry from the watermark
    expect(st.lastError).toMatch(/closed|lost|killed|ECONNRESET|PROTOCOL/i)
    expect(Date.parse(st.lastErrorAt!)).toBeGreaterThanOrEqual(t)
    const expected = await expectFiguresMatchErp()
    expect(expected['sales.revenue']).toBeGreaterThan(0)
    // every ledger row gave one movement, applied once: the re-read pages came back as duplicates
    const ledgerRows = Number((await db.sql<{ n: number }>('SELECT COUNT(*) n FROM `tabStock Ledger Entry`'))[0]!.n)
    const payments = Number((await db.sql<{ n: number }>('SELECT COUNT(*) n FROM `tabPayment Entry`'))[0]!.n)
    expect(Number(st.applied)).toBe(ledgerRows + payments)
    await runner!.stop()
  })

  test('a database that is not there fails with back-off, then resumes when it comes', async () => {
    const id = `gone-${tag}`
    const env = `TEST_FAULTS_GONE_${tag}`
    process.env[env] = 'mysql://root@127.0.0.1:1/nothing'
    await declare(id, env)
    const runner = await start(id, {})
    let st: Record<string, string> = {}
    for (let i = 0; i < 100 && st.state !== 'failing'; i++) {
      await new Promise((r) => setTimeout(r, 50))
      st = await server.app.sources.store.status(id)
    }
    expect(st.state).toBe('failing')
    expect(st.lastError).toMatch(/ECONNREFUSED/)
    expect(Number(st.failures)).toBeGreaterThanOrEqual(1)
    const since = st.failingSince!
    expect(Date.parse(since)).toBeLessThanOrEqual(Date.parse(st.lastErrorAt!))
    const t = Date.now()
    process.env[env] = db.url
    const recovered = await caughtUpAfter(id, t)
    expect(recovered.failingSince).toBe('')
    expect(recovered.failures).toBe('0')
    await expectFiguresMatchErp()
    await runner!.stop()
    delete process.env[env]
  })

  test('two runners on one source: one reads, the other waits; the second resumes from the watermark', async () => {
    const id = `lease-${tag}`
    await declare(id, `TEST_FAULTS_URL_${tag}`, 1000)
    const a = killingSqlClient(mariadbKiller((text) => db.sql(text)))
    const b = killingSqlClient(mariadbKiller((text) => db.sql(text)))
    const t = Date.now()
    const runnerA = await start(id, { connect: a.connect, holder: 'process-a' })
    const runnerB = await start(id, { connect: b.connect, holder: 'process-b' })
    expect(runnerA).toBeDefined()
    expect(runnerB).toBeUndefined()
    await caughtUpAfter(id, t)
    expect(a.stats.rows).toBeGreaterThan(0)
    expect(b.stats.queries).toBe(0)
    expect(await server.app.redis.get(server.app.keys.lease(`source:${id}`))).toBe('process-a')

    // A stops (its lease released): B takes over and reads only what is after the watermark
    await runnerA!.stop()
    expect(await server.app.redis.get(server.app.keys.lease(`source:${id}`))).toBeNull()
    await erp.payment('PE-late', 'Receive', 'CUST-1', 42, shanghaiDate(0))
    const t2 = Date.now()
    const runnerB2 = await start(id, { connect: b.connect, holder: 'process-b' })
    expect(runnerB2).toBeDefined()
    await caughtUpAfter(id, t2)
    expect(b.stats.rows).toBe(1)

    // a runner whose lease another process took stops without writing a position
    await server.app.redis.set(server.app.keys.lease(`source:${id}`), 'process-c', 'PX', 60_000)
    await erp.payment('PE-later', 'Receive', 'CUST-1', 7, shanghaiDate(0))
    await runnerB2!.done
    expect(await server.app.redis.get(server.app.keys.lease(`source:${id}`))).toBe('process-c')
    await server.app.redis.del(server.app.keys.lease(`source:${id}`))
  })
})
