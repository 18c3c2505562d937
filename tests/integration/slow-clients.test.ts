/**
 * A client that stops reading (a frozen tab, a stalled network) must not make the server hold every update pushed
 * to it: past COCKPIT_SOCKET_BACKLOG_BYTES unread its connection is closed (server/realtime/fanout.ts), and the
 * clients that read on get every update. The same for a long-polling client that stops polling: past
 * COCKPIT_SOCKET_BACKLOG_PACKETS queued its connection is closed, and its queue stops growing.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { Movement } from '../../protocol/movement.ts'
import { createCalendar } from '../../server/domain/time.ts'
import { openPollingSocket } from '../helpers/polling-socket.ts'
import { openRawSocket } from '../helpers/raw-socket.ts'
import type { RawSocket } from '../helpers/raw-socket.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

const cal = createCalendar('Asia/Shanghai')
const SKUS = Array.from({ length: 400 }, (_, i) => `SLOW-${String(i).padStart(4, '0')}`)
/** 400 SKUs × 48 hourly points: each update is a few hundred KB */
const query = { metric: 'sales.revenue', window: 'P2D', interval: 'hour', groupBy: 'sku' }

let server: TestServer
const sockets: RawSocket[] = []
let n = 0

/** one shipment of every SKU: every group of the query moves */
async function ingestAll(): Promise<void> {
  const at = cal.format(Date.now() - 60_000)
  const movements: Movement[] = SKUS.map((sku) => ({ id: `slow-${++n}`, type: 'sales_shipment', occurredAt: at, sku, warehouse: 'W1', qty: 1, unitPrice: 1 + (n % 7) }) as Movement)
  const res = await server.app.inject({ method: 'POST', url: '/api/v1/movements', headers: { authorization: `Bearer ${server.ingestKey}` }, payload: movements })
  expect(res.statusCode, res.body).toBe(200)
}

beforeAll(async () => {
  server = await startTestServer({ COCKPIT_SOCKET_BACKLOG_BYTES: String(256 * 1024), COCKPIT_PUSH_INTERVAL_MS: '50' })
  await ingestAll()
})

afterAll(async () => {
  for (const s of sockets) s.close()
  await server?.close()
})

test('a connection that reads nothing is closed once its backlog passes the limit; a reading one gets every update', async () => {
  let readerTotal: number | null = null
  let readerUpdates = 0
  const reader = await openRawSocket(server.url, {
    onUpdate: (_at, total) => {
      readerUpdates++
      readerTotal = total
    },
  })
  const frozen = await openRawSocket(server.url)
  sockets.push(reader, frozen)
  const [a, b] = await Promise.all([reader.request<{ ok: boolean }>('subscribe', query), frozen.request<{ ok: boolean }>('subscribe', query)])
  expect(a.ok && b.ok).toBe(true)
  frozen.pause()
  const shedBefore = server.app.realtime.fanout.shed

  const connected = () => server.app.io.of('/').sockets.size
  expect(connected()).toBe(2)
  // each ingest moves every group: one update of a few hundred KB per push, until the kernel's buffers are full too
  for (let i = 0; i < 300 && server.app.realtime.fanout.shed === shedBefore; i++) {
    await ingestAll()
    await new Promise((r) => setTimeout(r, 60))
  }
  expect(server.app.realtime.fanout.shed).toBe(shedBefore + 1)
  // the frozen connection is gone from the server (its unread updates with it); the reader stays
  for (let i = 0; i < 100 && connected() > 1; i++) await new Promise((r) => setTimeout(r, 20))
  expect(connected()).toBe(1)

  // the reader is still connected and ends on the figure a query gives now
  await ingestAll()
  const expected = (await server.app.inject({ method: 'POST', url: '/api/v1/query', payload: query })).json().total as number
  for (let i = 0; i < 100 && readerTotal !== expected; i++) await new Promise((r) => setTimeout(r, 50))
  expect(readerTotal).toBe(expected)
  expect(readerUpdates).toBeGreaterThan(1)
}, 60_000)

test('a long-polling client that stops polling is closed once its queue passes the limit; polling again, it is told so and can start anew', async () => {
  const limit = 100
  const polling = await startTestServer({ COCKPIT_SOCKET_BACKLOG_PACKETS: String(limit), COCKPIT_PUSH_INTERVAL_MS: '50' })
  try {
    const ingestOne = async () => {
      const movement = { id: `poll-${++n}`, type: 'sales_shipment', occurredAt: cal.format(Date.now() - 60_000), sku: 'POLL-1', warehouse: 'W1', qty: 1, unitPrice: 3 } as Movement
      const res = await polling.app.inject({ method: 'POST', url: '/api/v1/movements', headers: { authorization: `Bearer ${polling.ingestKey}` }, payload: [movement] })
      expect(res.statusCode, res.body).toBe(200)
    }
    await ingestOne()
    // ten live queries one movement moves: ten updates a push, the limit passed in a second or two (well within a heartbeat)
    const queries = ['sales.revenue', 'sales.qty'].flatMap((metric) => ['today', 'PT1H', 'PT6H', 'P1D', 'P2D'].map((window) => ({ metric, window })))
    const stalled = await openPollingSocket(polling.url)
    for (const q of queries) expect((await stalled.request<{ ok: boolean }>('subscribe', q)).ok).toBe(true)
    const fanout = polling.app.realtime.fanout
    // the Engine.IO connection (engine.io's own, not typed as public)
    const engine = polling.app.io.engine as unknown as { clients: Record<string, { readyState: string; writeBuffer: unknown[] } | undefined> }
    const conn = () => engine.clients[stalled.sid]
    expect(conn()?.readyState).toBe('open')

    // no more polls: every update waits in the connection's queue
    const started = Date.now()
    for (let i = 0; i < 300 && fanout.shed === 0; i++) {
      await ingestOne()
      await new Promise((r) => setTimeout(r, 60))
    }
    expect(fanout.shed, `after ${Date.now() - started} ms`).toBe(1)
    // the queue is bounded: pushes after the closing add nothing to it, nor count it again
    const queued = conn()?.writeBuffer.length ?? 0
    expect(queued).toBeLessThanOrEqual(limit + queries.length + 1)
    for (let i = 0; i < 10; i++) {
      await ingestOne()
      await new Promise((r) => setTimeout(r, 60))
    }
    expect(conn()?.writeBuffer.length ?? 0).toBeLessThanOrEqual(queued)
    expect(fanout.shed).toBe(1)
    expect(polling.app.io.of('/').sockets.size).toBeLessThanOrEqual(1)

    // polling again, the client learns the connection is closed: a close packet, or the session is unknown
    const polls: string[] = []
    let ended = false
    for (let i = 0; i < 5 && !ended; i++) {
      const { status, packets } = await stalled.poll()
      polls.push(`${status}: ${packets.length} packets, last ${packets.at(-1)?.slice(0, 20) ?? '-'}`)
      ended = status === 400 || packets.includes('1')
    }
    expect(ended, polls.join('; ')).toBe(true)
    for (let i = 0; i < 100 && conn() !== undefined; i++) await new Promise((r) => setTimeout(r, 20))
    expect(conn()).toBeUndefined()
    expect(polling.app.io.of('/').sockets.size).toBe(0)

    // a new connection gets the figure a query gives now, and the next update
    const fresh = await openPollingSocket(polling.url)
    const figure = async () => (await polling.app.inject({ method: 'POST', url: '/api/v1/query', payload: queries[0] })).json().total as number
    const ack = await fresh.request<{ ok: boolean; result: { total: number } }>('subscribe', queries[0])
    expect(ack.result.total).toBe(await figure())
    await ingestOne()
    let last: number | null = ack.result.total
    for (let i = 0; i < 10 && last !== (await figure()); i++) last = (await fresh.poll()).totals.at(-1) ?? last
    expect(last).toBe(await figure())
  } finally {
    await polling.close()
  }
}, 60_000)
