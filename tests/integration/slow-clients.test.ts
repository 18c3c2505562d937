/**
 * A client that stops reading (a frozen tab, a stalled network) must not make the server hold every update pushed
 * to it: past COCKPIT_SOCKET_BACKLOG_BYTES unread its connection is closed (server/realtime/fanout.ts), and the
 * clients that read on get every update.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { Movement } from '../../protocol/movement.ts'
import { createCalendar } from '../../server/domain/time.ts'
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
