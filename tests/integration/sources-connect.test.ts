/**
 * `npm run connect` workers: processes that run sources without serving HTTP, sharing the
 * cockpit's Redis. Two of them on one source: one holds the lease and reads, the other waits;
 * when the first stops (SIGTERM releases its lease) the second takes the source over from its
 * watermark, and a server reading the same Redis shows the figures.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { ErpnextWriter, createErpnextDb, shanghaiDate } from '../helpers/erpnext-db.ts'
import type { ErpDb } from '../helpers/erpnext-db.ts'

const root = new URL('../../', import.meta.url).pathname
const tag = randomUUID().slice(0, 8)
const prefix = `test:connect:${tag}:`
const ENV = `TEST_CONNECT_URL_${tag.toUpperCase()}`
const ID = 'erp'
const period = { from: `${shanghaiDate(-5)}T00:00:00+08:00`, to: `${shanghaiDate(1)}T00:00:00+08:00` }

let db: ErpDb
let erp: ErpnextWriter
let server: TestServer
const workers: ChildProcess[] = []

function startWorker(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/connect.ts'], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: '', COCKPIT_KEY_PREFIX: prefix, LOG_LEVEL: 'warn', [ENV]: db.url },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  workers.push(child)
  return child
}

const stop = (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM') =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode)
    child.once('exit', (code) => resolve(code))
    child.kill(signal)
  })

async function detail() {
  const res = await server.app.inject({ method: 'GET', url: `/api/v1/sources/${ID}` })
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    const v = await probe()
    if (v !== undefined) return v
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify((await detail()).status)}`)
}

async function cashIn(): Promise<number> {
  const res = await server.app.inject({ method: 'POST', url: '/api/v1/query', payload: { metric: 'cash.in', ...period } })
  return res.json().total ?? 0
}

beforeAll(async () => {
  db = await createErpnextDb()
  erp = new ErpnextWriter(db)
  await erp.payment('PE-1', 'Receive', 'CUST-1', 120, shanghaiDate(-1))
  // the server only reads figures here: the workers run the source
  server = await startTestServer({ COCKPIT_KEY_PREFIX: prefix, COCKPIT_SOURCES: 'off' })
  const res = await server.app.inject({
    method: 'PUT',
    url: `/api/v1/sources/${ID}`,
    headers: { authorization: `Bearer ${server.adminKey}` },
    payload: { id: ID, kind: 'erpnext', connectionEnv: ENV, schedule: { pollIntervalMs: 200, settleMs: 0 } },
  })
  expect(res.statusCode, res.body).toBe(200)
}, 60_000)

afterAll(async () => {
  await Promise.all(workers.map((w) => stop(w, 'SIGKILL')))
  await server?.close()
  await db?.drop()
}, 60_000)

describe('npm run connect', () => {
  test('two workers: one runs the source, the other takes over when it stops', async () => {
    const first = startWorker()
    const s1 = await until('the first worker to run the source', async () => {
      const d = await detail()
      return d.status.caughtUpAt && d.status.holder?.includes(`:${first.pid}:`) ? d : undefined
    })
    expect(s1.status.state).toBe('running')
    expect(await cashIn()).toBe(120)

    const second = startWorker()
    // give the second worker a few scans: it must not take the source while the first holds it
    await new Promise((r) => setTimeout(r, 3000))
    expect((await detail()).status.holder).toContain(`:${first.pid}:`)

    expect(await stop(first)).toBe(0)
    await erp.payment('PE-2', 'Receive', 'CUST-1', 30, shanghaiDate(0))
    await until('the second worker to take over', async () => {
      const d = await detail()
      return d.status.holder?.includes(`:${second.pid}:`) && (await cashIn()) === 150 ? d : undefined
    })
    const after = await detail()
    // the second worker went on from the watermark: the first payment was not applied again
    expect(after.status.counters.applied).toBe(2)
    expect(await stop(second)).toBe(0)
    expect(await server.app.redis.get(server.app.keys.lease(`source:${ID}`))).toBeNull()
  })
})
