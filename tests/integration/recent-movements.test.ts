/**
 * `movements.recent` against the real Redis: the latest movements as the apply script recorded
 * them — newest first, named from master data, figures as the counters took them — filtered by
 * dimension and type, unchanged by re-sent batches, with reversals marked, capped, and pushed
 * to subscribers.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { io as connect } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck, UpdateMessage } from '../../protocol/events.ts'
import type { MovementRow, Query, QueryResult } from '../../protocol/query.ts'
import { RECENT_MOVEMENTS_KEPT } from '../../server/aggregate/fold.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

let server: TestServer
const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString()

async function post(url: string, key: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}${url}`, {
    method: url.startsWith('/api/v1/master') ? 'PUT' : 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: await res.json() }
}
const ingest = (movements: unknown[]) => post('/api/v1/movements', server.ingestKey, movements)
async function query(q: unknown): Promise<{ status: number; body: QueryResult & { message?: string } }> {
  return post('/api/v1/query', server.ingestKey, q)
}
const ids = (r: QueryResult) => (r.movements ?? []).map((m) => m.id)

const first = [
  { id: 'r-in', type: 'purchase_receipt', occurredAt: at(9), sku: 'S1', warehouse: 'W1', partner: 'SUP', qty: 10, unitCost: 4 },
  { id: 'r-ship', type: 'sales_shipment', occurredAt: at(8), sku: 'S1', warehouse: 'W1', partner: 'CUS', qty: 3, unitPrice: 9.5 },
  { id: 'r-back', type: 'purchase_return', occurredAt: at(7), sku: 'S1', warehouse: 'W1', partner: 'SUP', qty: 1 },
  { id: 'r-move', type: 'transfer', occurredAt: at(6), sku: 'S1', warehouse: 'W1', toWarehouse: 'W2', qty: 2 },
  { id: 'r-count', type: 'stocktake', occurredAt: at(5), sku: 'S1', warehouse: 'W2', countedQty: 1.5 },
  { id: 'r-pay', type: 'payment_in', occurredAt: at(4), partner: 'CUS', amount: 28.5, ref: 'INV-7' },
]

beforeAll(async () => {
  server = await startTestServer()
  expect((await post('/api/v1/master/skus', server.adminKey, [{ code: 'S1', name: '矿泉水', category: 'drinks' }])).status).toBe(200)
  expect(
    (
      await post('/api/v1/master/warehouses', server.adminKey, [
        { code: 'W1', name: '上海仓', nameEn: 'Shanghai DC' },
        { code: 'W2', name: '杭州店' },
      ])
    ).status,
  ).toBe(200)
  expect(
    (
      await post('/api/v1/master/partners', server.adminKey, [
        { code: 'CUS', name: '华联超市', kind: 'customer' },
        { code: 'SUP', name: '农夫', kind: 'supplier' },
      ])
    ).status,
  ).toBe(200)
  expect((await ingest(first)).body).toEqual({ accepted: 6, duplicates: 0 })
})

afterAll(async () => {
  await server.close()
})

describe('movements.recent', () => {
  test('newest first, named, with the figures the counters took', async () => {
    const { status, body } = await query({ metric: 'movements.recent' })
    expect(status).toBe(200)
    expect(body.total).toBe(6)
    expect(ids(body)).toEqual(['r-pay', 'r-count', 'r-move', 'r-back', 'r-ship', 'r-in'])
    const byId = Object.fromEntries((body.movements ?? []).map((m) => [m.id, m])) as Record<string, MovementRow>
    expect(byId['r-in']).toMatchObject({
      type: 'purchase_receipt',
      sku: 'S1',
      skuName: '矿泉水',
      category: 'drinks',
      warehouse: 'W1',
      warehouseName: '上海仓',
      warehouseNameEn: 'Shanghai DC',
      partnerName: '农夫',
      qty: 10,
      amount: 40,
    })
    expect(byId['r-ship']).toMatchObject({ type: 'sales_shipment', qty: 3, amount: 28.5, partnerName: '华联超市' })
    // a return without a cost leaves at the moving average (4): what purchase.returnAmount counts
    expect(byId['r-back']).toMatchObject({ type: 'purchase_return', qty: 1, amount: 4 })
    expect(byId['r-move']).toMatchObject({ type: 'transfer', warehouse: 'W1', toWarehouse: 'W2', toWarehouseName: '杭州店', qty: 2 })
    expect(byId['r-move']!.amount).toBeUndefined()
    // W2 held the 2 transferred: counted 1.5 is a loss of 0.5
    expect(byId['r-count']).toMatchObject({ type: 'stocktake', qty: 1.5, difference: -0.5 })
    expect(byId['r-pay']).toMatchObject({ type: 'payment_in', amount: 28.5, ref: 'INV-7', partnerName: '华联超市' })
    expect(byId['r-pay']!.qty).toBeUndefined()
    expect(byId['r-pay']!.occurredAt).toMatch(/\+08:00$/)
    const returned = await query({ metric: 'purchase.returnAmount', window: 'today' })
    expect(returned.body.total).toBe(byId['r-back']!.amount)
  })

  test('a filter by warehouse keeps transfers from and to it; types and top narrow the list', async () => {
    expect(ids((await query({ metric: 'movements.recent', filter: { warehouse: 'W2' } })).body)).toEqual(['r-count', 'r-move'])
    expect(ids((await query({ metric: 'movements.recent', filter: { partner: 'CUS' } })).body)).toEqual(['r-pay', 'r-ship'])
    const typed = await query({ metric: 'movements.recent', types: ['sales_shipment', 'payment_in'] })
    expect(ids(typed.body)).toEqual(['r-pay', 'r-ship'])
    expect(typed.body.total).toBe(2)
    const top = await query({ metric: 'movements.recent', top: 2 })
    expect(ids(top.body)).toEqual(['r-pay', 'r-count'])
    expect(top.body.total).toBe(6)
  })

  test('a re-sent batch adds nothing; a reversal is listed and marks its target', async () => {
    expect((await ingest(first)).body).toEqual({ accepted: 0, duplicates: 6 })
    expect((await query({ metric: 'movements.recent' })).body.total).toBe(6)
    expect((await ingest([{ id: 'r-undo', type: 'cancel', occurredAt: at(1), cancels: 'r-ship' }])).body).toEqual({ accepted: 1, duplicates: 0 })
    const { body } = await query({ metric: 'movements.recent' })
    expect(ids(body).slice(0, 2)).toEqual(['r-undo', 'r-pay'])
    expect(body.movements![0]).toMatchObject({ type: 'cancel', cancels: 'r-ship', sku: 'S1', partner: 'CUS', amount: 28.5 })
    expect(body.movements!.find((m) => m.id === 'r-ship')!.cancelled).toBe(true)
    // the reversal shows where its target showed
    expect(ids((await query({ metric: 'movements.recent', filter: { partner: 'CUS' } })).body)).toEqual(['r-undo', 'r-pay', 'r-ship'])
    expect(ids((await query({ metric: 'movements.recent', filter: { partner: 'SUP' } })).body)).toEqual(['r-back', 'r-in'])
  })

  test.each([
    [{ metric: 'movements.recent', groupBy: 'sku' }, /cannot be grouped/],
    [{ metric: 'movements.recent', window: 'today' }, /period/],
    [{ metric: 'sales.revenue', window: 'today', types: ['sales_shipment'] }, /movements.recent only/],
    [{ metric: 'stock.qty', types: ['transfer'] }, /movements.recent only/],
    [{ metric: 'movements.recent', types: ['shipment'] }, /types/],
  ])('%j is refused with a 400 that says why', async (q, why) => {
    const { status, body } = await query(q)
    expect(status).toBe(400)
    expect(body.message).toMatch(why)
  })

  test(`keeps the latest ${RECENT_MOVEMENTS_KEPT}, dropping the oldest`, async () => {
    const many = Array.from({ length: RECENT_MOVEMENTS_KEPT + 20 }, (_, i) => ({ id: `bulk-${i}`, type: 'payment_out', occurredAt: at(0), partner: 'SUP', amount: i + 1 }))
    expect((await ingest(many)).body).toEqual({ accepted: many.length, duplicates: 0 })
    const { body } = await query({ metric: 'movements.recent', top: 1000 })
    expect(body.total).toBe(RECENT_MOVEMENTS_KEPT)
    expect(body.movements).toHaveLength(RECENT_MOVEMENTS_KEPT)
    expect(body.movements![0]!.id).toBe(`bulk-${many.length - 1}`)
    expect(body.movements!.at(-1)!.id).toBe(`bulk-20`)
  })

  test('subscribers get each new movement pushed', async () => {
    const c: Socket<ServerToClientEvents, ClientToServerEvents> = connect(server.url, { transports: ['websocket'], reconnection: false })
    try {
      const ack = await new Promise<SubscribeAck>((resolve) => c.emit('subscribe', { metric: 'movements.recent', top: 5, types: ['sales_order'] } as Query, resolve))
      if (!ack.ok) throw new Error(ack.error.message)
      expect(ack.result.movements).toEqual([])
      const id = `live-${randomUUID()}`
      const update = new Promise<UpdateMessage>((resolve) => c.on('update', (m) => m.subscription === ack.subscription && resolve(m)))
      await ingest([{ id, type: 'sales_order', occurredAt: at(0), sku: 'S1', warehouse: 'W1', qty: 4, unitPrice: 2.25 }])
      const m = await update
      expect(m.result.movements).toEqual([expect.objectContaining({ id, type: 'sales_order', qty: 4, amount: 9, skuName: '矿泉水' })])
    } finally {
      c.close()
    }
  })
})
