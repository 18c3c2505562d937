/**
 * Redis goes away under a running database source: the runner fails (its page is not committed),
 * backs off, and when Redis is back it resumes from the committed watermark; documents written in
 * the ERP meanwhile reach the figures once, and the figures are the SQL sums.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startPrivateRedis } from '../helpers/private-redis.ts'
import type { PrivateRedis } from '../helpers/private-redis.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { ErpnextWriter, createErpnextDb, shanghaiDate } from '../helpers/erpnext-db.ts'
import type { ErpDb } from '../helpers/erpnext-db.ts'

const ENV = `TEST_OUTAGE_URL_${randomUUID().slice(0, 8).toUpperCase()}`
const ID = 'erp'
const period = { from: `${shanghaiDate(-5)}T00:00:00+08:00`, to: `${shanghaiDate(1)}T00:00:00+08:00` }
let redis: PrivateRedis
let server: TestServer
let db: ErpDb
let erp: ErpnextWriter

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    const v = await probe().catch(() => undefined)
    if (v !== undefined) return v
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out waiting for ${what}`)
}

async function figure(metric: string): Promise<number | undefined> {
  const res = await server.app.inject({ method: 'POST', url: '/api/v1/query', payload: { metric, ...(metric === 'stock.qty' ? {} : period) } })
  return res.statusCode === 200 ? (res.json().total ?? 0) : undefined
}

async function sql(text: string): Promise<number> {
  return Number((await db.sql<{ v: string | null }>(text))[0]?.v ?? 0)
}

beforeAll(async () => {
  redis = await startPrivateRedis()
  db = await createErpnextDb()
  erp = new ErpnextWriter(db)
  process.env[ENV] = db.url
  server = await startTestServer({ REDIS_URL: redis.url, COCKPIT_SOURCES: 'on' })
  await erp.receipt('PR-1', 'SUP-1', shanghaiDate(-2), '09:00:00', [{ item: 'A', wh: 'W', qty: 10, rate: 5 }])
  await erp.payment('PE-1', 'Receive', 'C1', 100, shanghaiDate(-1))
}, 60_000)

afterAll(async () => {
  await server?.app.close()
  await redis?.destroy()
  await db?.drop()
  delete process.env[ENV]
}, 60_000)

describe('a database source across a Redis outage', () => {
  test('resumes from its watermark: nothing lost, nothing doubled', async () => {
    const res = await server.app.inject({
      method: 'PUT',
      url: `/api/v1/sources/${ID}`,
      headers: { authorization: `Bearer ${server.adminKey}` },
      payload: { id: ID, kind: 'erpnext', connectionEnv: ENV, schedule: { pollIntervalMs: 100, settleMs: 0 } },
    })
    expect(res.statusCode, res.body).toBe(200)
    await until('the first documents', async () => ((await figure('cash.in')) === 100 ? true : undefined))

    await redis.stop()
    await until('the runner to fail', async () => (server.app.redisState.up ? undefined : true))
    // written in the ERP while Redis is away
    await erp.payment('PE-2', 'Receive', 'C1', 25, shanghaiDate(0))
    await erp.delivery('DN-1', 'C1', shanghaiDate(0), '10:00:00', [{ item: 'A', wh: 'W', qty: 4, rate: 9 }])
    await new Promise((r) => setTimeout(r, 1500))
    await redis.start()

    await until('the documents of the outage', async () => ((await figure('cash.in')) === 125 ? true : undefined))
    const detail = (await server.app.inject({ method: 'GET', url: `/api/v1/sources/${ID}` })).json()
    expect(detail.status.lastError).not.toBeNull()
    expect(await figure('stock.qty')).toBe(await sql('SELECT SUM(actual_qty) v FROM `tabStock Ledger Entry` WHERE is_cancelled = 0'))
    expect(await figure('sales.revenue')).toBe(await sql('SELECT SUM(base_net_amount) v FROM `tabDelivery Note Item`'))
    expect(detail.status.counters.applied).toBe(4)
  })
})
