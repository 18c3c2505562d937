/**
 * Order and return KPIs against the real Redis, through the HTTP API and Socket.IO
 * (docs/metrics.md "Order lines"): sales return rate, average purchase price, supplier lead time,
 * sales and supplier OTIF, open order value, overdue lines and their value. Every figure is
 * worked out by hand below from the movements; the same movements sent in reverse order, one a
 * batch (every fulfilment before its order), give the same figures; cancels restore them.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { io as connect } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck, UpdateMessage } from '../../protocol/events.ts'
import type { Query, QueryResult } from '../../protocol/query.ts'
import { foldBatch } from '../../server/aggregate/fold.ts'
import { DEFAULT_MONEY } from '../../server/domain/money.ts'
import { createCalendar } from '../../server/domain/time.ts'
import { validateBatch } from '../../server/ingest/validate.ts'
import { applyBatchKeys } from '../../server/redis/apply-batch.ts'
import { createKeys } from '../../server/redis/keys.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

type Body = QueryResult & { message?: string }

function client(server: TestServer) {
  async function post(url: string, key: string, body: unknown, method = 'POST'): Promise<{ status: number; body: any }> {
    const res = await fetch(`${server.url}${url}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    return { status: res.status, body: await res.json() }
  }
  return {
    ingest: (movements: unknown[]) => post('/api/v1/movements', server.ingestKey, movements),
    master: (kind: string, records: unknown[]) => post(`/api/v1/master/${kind}`, server.adminKey, records, 'PUT'),
    query: async (q: Query): Promise<Body> => {
      const r = await post('/api/v1/query', server.ingestKey, q)
      expect(r.status, JSON.stringify(r.body)).toBe(200)
      return r.body as Body
    },
    refused: async (q: Query): Promise<{ status: number; message: string }> => {
      const r = await post('/api/v1/query', server.ingestKey, q)
      return { status: r.status, message: (r.body as { message: string }).message }
    },
  }
}

const day = (d: number, time: string) => `2026-03-${String(d).padStart(2, '0')}T${time}:00+08:00`
const MARCH = { from: '2026-03-01T00:00:00+08:00', to: '2026-04-01T00:00:00+08:00' }

/**
 * March 2026 (Asia/Shanghai). SKUs K1 (drinks), K2 (snacks).
 * Sales:
 *   SO-A K1 10 @ 20.00 to C1 (W1), due date 2026-03-05: shipped 6 on 03-04, 4 on 03-05 15:00 → in full on time (hit)
 *   SO-B K2 5 @ 8.00 to C2 (W1), due 03-05 12:00: shipped 5 on 03-06 → in full, late (miss)
 *   SO-C K1 4 @ 20.00 to C1 (W2), due 03-06 18:00: shipped 1 on 03-04 → 3 open, overdue (miss)
 *   SO-D K1 2 @ 20.00 to C2 (W1), no due date: 2 open, never overdue, not in OTIF
 *   C1 returns 2 of K1 on 03-07
 * Purchases:
 *   PO-1 K1 20 @ 12.00 from S1, ordered 03-01 09:00, due 03-03 18:00: received 15 on 03-03 09:00 (lead 2 days),
 *        5 on 03-04 09:00 (lead 3 days) → in full, late (miss)
 *   PO-2 K2 10 @ 5.00 from S2, ordered 03-02 09:00, due date 03-04: received 10 @ 5.50 on 03-04 15:00 (lead 2.25 days) → hit
 *   PO-3 K1 8 @ 11.00 from S1, ordered 03-05 09:00, due 03-06 12:00: nothing received → 8 open, overdue (miss)
 */
const MOVES = [
  { id: 'so-a', type: 'sales_order', occurredAt: day(2, '09:00'), sku: 'K1', warehouse: 'W1', partner: 'C1', qty: 10, unitPrice: 20, ref: 'SO-A', dueDate: '2026-03-05' },
  { id: 'sh-a1', type: 'sales_shipment', occurredAt: day(4, '10:00'), sku: 'K1', warehouse: 'W1', partner: 'C1', qty: 6, unitPrice: 20, unitCost: 9, ref: 'SO-A' },
  { id: 'sh-a2', type: 'sales_shipment', occurredAt: day(5, '15:00'), sku: 'K1', warehouse: 'W1', partner: 'C1', qty: 4, unitPrice: 20, unitCost: 9, ref: 'SO-A' },
  { id: 'so-b', type: 'sales_order', occurredAt: day(2, '10:00'), sku: 'K2', warehouse: 'W1', partner: 'C2', qty: 5, unitPrice: 8, ref: 'SO-B', dueAt: day(5, '12:00') },
  { id: 'sh-b1', type: 'sales_shipment', occurredAt: day(6, '09:00'), sku: 'K2', warehouse: 'W1', partner: 'C2', qty: 5, unitPrice: 8, unitCost: 4, ref: 'SO-B' },
  { id: 'so-c', type: 'sales_order', occurredAt: day(3, '09:00'), sku: 'K1', warehouse: 'W2', partner: 'C1', qty: 4, unitPrice: 20, ref: 'SO-C', dueAt: day(6, '18:00') },
  { id: 'sh-c1', type: 'sales_shipment', occurredAt: day(4, '11:00'), sku: 'K1', warehouse: 'W2', partner: 'C1', qty: 1, unitPrice: 20, unitCost: 9, ref: 'SO-C' },
  { id: 'so-d', type: 'sales_order', occurredAt: day(3, '10:00'), sku: 'K1', warehouse: 'W1', partner: 'C2', qty: 2, unitPrice: 20, ref: 'SO-D' },
  { id: 'sr-1', type: 'sales_return', occurredAt: day(7, '10:00'), sku: 'K1', warehouse: 'W1', partner: 'C1', qty: 2, unitPrice: 20, unitCost: 9 },
  { id: 'po-1', type: 'purchase_order', occurredAt: day(1, '09:00'), sku: 'K1', warehouse: 'W1', partner: 'S1', qty: 20, unitCost: 12, ref: 'PO-1', dueAt: day(3, '18:00') },
  { id: 'pr-11', type: 'purchase_receipt', occurredAt: day(3, '09:00'), sku: 'K1', warehouse: 'W1', partner: 'S1', qty: 15, unitCost: 12, ref: 'PO-1' },
  { id: 'pr-12', type: 'purchase_receipt', occurredAt: day(4, '09:00'), sku: 'K1', warehouse: 'W1', partner: 'S1', qty: 5, unitCost: 12, ref: 'PO-1' },
  { id: 'po-2', type: 'purchase_order', occurredAt: day(2, '09:00'), sku: 'K2', warehouse: 'W1', partner: 'S2', qty: 10, unitCost: 5, ref: 'PO-2', dueDate: '2026-03-04' },
  { id: 'pr-21', type: 'purchase_receipt', occurredAt: day(4, '15:00'), sku: 'K2', warehouse: 'W1', partner: 'S2', qty: 10, unitCost: 5.5, ref: 'PO-2' },
  { id: 'po-3', type: 'purchase_order', occurredAt: day(5, '09:00'), sku: 'K1', warehouse: 'W1', partner: 'S1', qty: 8, unitCost: 11, ref: 'PO-3', dueAt: day(6, '12:00') },
]

const SKUS = [
  { code: 'K1', name: '矿泉水', category: 'drinks' },
  { code: 'K2', name: '薯片', category: 'snacks' },
]

/** every query of the metrics above, compared between arrival orders and before/after cancels */
const QUERIES: Query[] = [
  ...['sales.returnRate', 'purchase.avgPrice', 'supplier.leadTimeDays', 'fulfilment.otif', 'supplier.otif'].flatMap((metric): Query[] => [
    { metric, ...MARCH } as Query,
    { metric, ...MARCH, interval: 'day' } as Query,
    // sales qty (hence its return rate) is not kept by partner
    ...(['sku', 'category', 'warehouse', 'partner'] as const)
      .filter((g) => metric !== 'sales.returnRate' || g !== 'partner')
      .map((groupBy) => ({ metric, ...MARCH, groupBy }) as Query),
  ]),
  ...[
    'sales.openOrderValue',
    'purchase.openOrderValue',
    'sales.overdueLines',
    'sales.overdueValue',
    'purchase.overdueLines',
    'purchase.overdueValue',
    'sales.backlogQty',
    'purchase.backlogQty',
  ].flatMap((metric): Query[] => [{ metric } as Query, ...(['sku', 'category', 'warehouse', 'partner'] as const).map((groupBy) => ({ metric, groupBy }) as Query)]),
]

const isEmpty = (v: number | null | undefined) => v === 0 || v === null || v === undefined
/** a result without asOf and without groups that are all zero (a counter that went up and back down keeps its field) */
function normalized(r: Body): unknown {
  const { asOf: _asOf, ...rest } = r
  if (rest.groups) rest.groups = rest.groups.filter((g) => !(isEmpty(g.total) && (g.series ?? []).every((p) => isEmpty(p.value))))
  return rest
}
async function snapshot(c: ReturnType<typeof client>): Promise<unknown[]> {
  return Promise.all(QUERIES.map(async (q) => normalized(await c.query(q))))
}
const groups = (r: Body) => Object.fromEntries((r.groups ?? []).map((g) => [g.key, g.total]))

let forward: TestServer
let reverse: TestServer
let A: ReturnType<typeof client>
let B: ReturnType<typeof client>

beforeAll(async () => {
  ;[forward, reverse] = await Promise.all([startTestServer(), startTestServer()])
  A = client(forward)
  B = client(reverse)
  for (const c of [A, B]) expect((await c.master('skus', SKUS)).status).toBe(200)
  // forward: in the order they happened, in three batches
  const byTime = [...MOVES].sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt))
  for (const batch of [byTime.slice(0, 5), byTime.slice(5, 10), byTime.slice(10)]) expect((await A.ingest(batch)).body).toEqual({ accepted: batch.length, duplicates: 0 })
  // reverse: the latest first, one a batch: every receipt and shipment arrives before its order
  for (const m of [...byTime].reverse()) expect((await B.ingest([m])).body).toEqual({ accepted: 1, duplicates: 0 })
}, 60_000)

afterAll(async () => {
  await Promise.all([forward?.close(), reverse?.close()])
})

describe('figures worked out by hand', () => {
  test('sales.returnRate: units returned by customers / units shipped', async () => {
    // shipped 6 + 4 + 5 + 1 = 16, returned 2
    expect((await A.query({ metric: 'sales.returnRate', ...MARCH })).total).toBeCloseTo(2 / 16, 12)
    // drinks shipped 6 + 4 + 1 = 11 and returned 2; snacks shipped 5
    const byCategory = await A.query({ metric: 'sales.returnRate', ...MARCH, groupBy: 'category' })
    expect(byCategory.groups?.map((g) => g.key)).toEqual(['drinks', 'snacks'])
    expect(groups(byCategory).drinks).toBeCloseTo(2 / 11, 12)
    expect(groups(byCategory).snacks).toBe(0)
    // no shipment on 03-01: null, not 0
    const series = await A.query({ metric: 'sales.returnRate', from: day(1, '00:00'), to: day(3, '00:00'), interval: 'day' })
    expect(series.series?.map((p) => p.value)).toEqual([null, null])
    // sales qty is not kept by partner: neither is its return rate
    expect((await A.refused({ metric: 'sales.returnRate', ...MARCH, groupBy: 'partner' })).status).toBe(400)
  })

  test('purchase.avgPrice: receipt amount / receipt qty, by SKU and by day', async () => {
    // (15 × 12 + 5 × 12 + 10 × 5.50) / 30 = 295 / 30
    expect((await A.query({ metric: 'purchase.avgPrice', ...MARCH })).total).toBeCloseTo(295 / 30, 12)
    const bySku = await A.query({ metric: 'purchase.avgPrice', ...MARCH, groupBy: 'sku' })
    expect(groups(bySku)).toEqual({ K1: 12, K2: 5.5 })
    const series = await A.query({ metric: 'purchase.avgPrice', from: day(3, '00:00'), to: day(6, '00:00'), interval: 'day' })
    // 03-03: 180 / 15; 03-04: (60 + 55) / 15; 03-05: no receipt
    expect(series.series?.map((p) => p.value)).toEqual([12, expect.closeTo((60 + 55) / 15, 12), null])
    expect(series.unit).toBe('money')
  })

  test('supplier.leadTimeDays: order → receipt, averaged over the receipts of the period', async () => {
    // PO-1: 2 and 3 days; PO-2: 03-02 09:00 → 03-04 15:00 = 2.25 days
    expect((await A.query({ metric: 'supplier.leadTimeDays', ...MARCH })).total).toBeCloseTo((2 + 3 + 2.25) / 3, 12)
    expect(groups(await A.query({ metric: 'supplier.leadTimeDays', ...MARCH, groupBy: 'partner' }))).toEqual({ S1: 2.5, S2: 2.25 })
    const series = await A.query({ metric: 'supplier.leadTimeDays', from: day(3, '00:00'), to: day(5, '00:00'), interval: 'day' })
    // by the receipt's day: 03-03 one receipt of 2 days; 03-04 3 and 2.25 days
    expect(series.series?.map((p) => p.value)).toEqual([2, (3 + 2.25) / 2])
  })

  test('fulfilment.otif: lines in full on or before their promised date / lines due, by the promised date', async () => {
    // SO-A hit; SO-B late; SO-C still open after its date; SO-D has no date
    expect((await A.query({ metric: 'fulfilment.otif', ...MARCH })).total).toBeCloseTo(1 / 3, 12)
    const series = await A.query({ metric: 'fulfilment.otif', from: day(4, '00:00'), to: day(7, '00:00'), interval: 'day' })
    expect(series.series?.map((p) => p.value)).toEqual([null, 0.5, 0])
    expect(groups(await A.query({ metric: 'fulfilment.otif', ...MARCH, groupBy: 'partner' }))).toEqual({ C1: 0.5, C2: 0 })
    expect(groups(await A.query({ metric: 'fulfilment.otif', ...MARCH, groupBy: 'category' }))).toEqual({ drinks: 0.5, snacks: 0 })
    // a filter on two members is a ratio of sums: (1 + 0) / (2 + 1)
    expect((await A.query({ metric: 'fulfilment.otif', ...MARCH, filter: { partner: ['C1', 'C2'] } })).total).toBeCloseTo(1 / 3, 12)
    // order lines have no region or channel of their own
    expect((await A.refused({ metric: 'fulfilment.otif', ...MARCH, groupBy: 'region' })).status).toBe(400)
  })

  test('supplier.otif', async () => {
    // PO-1 received in full only on 03-04 (late); PO-2 in full on its date; PO-3 open after its date
    expect((await A.query({ metric: 'supplier.otif', ...MARCH })).total).toBeCloseTo(1 / 3, 12)
    expect(groups(await A.query({ metric: 'supplier.otif', ...MARCH, groupBy: 'partner' }))).toEqual({ S2: 1, S1: 0 })
    expect(groups(await A.query({ metric: 'supplier.otif', ...MARCH, groupBy: 'sku' }))).toEqual({ K2: 1, K1: 0 })
  })

  test('open order value now: open qty × the line price', async () => {
    // SO-C 3 × 20.00 (W2) + SO-D 2 × 20.00 (W1)
    const sales = await A.query({ metric: 'sales.openOrderValue', groupBy: 'warehouse' })
    expect(sales.total).toBe(100)
    expect(groups(sales)).toEqual({ W2: 60, W1: 40 })
    expect((await A.query({ metric: 'sales.backlogQty' })).total).toBe(5)
    // PO-3 8 × 11.00; PO-1 and PO-2 are closed (S2's cell went up with PO-2 and back to 0)
    expect(groups(await A.query({ metric: 'purchase.openOrderValue', groupBy: 'partner' }))).toEqual({ S1: 88, S2: 0 })
  })

  test('overdue lines now: open after their promised instant', async () => {
    // SO-C (due 03-06 18:00, 3 open); SO-D has no date
    expect((await A.query({ metric: 'sales.overdueLines' })).total).toBe(1)
    expect(groups(await A.query({ metric: 'sales.overdueValue', groupBy: 'warehouse' }))).toEqual({ W2: 60 })
    expect((await A.query({ metric: 'sales.overdueLines', filter: { partner: 'C2' } })).total).toBe(0)
    expect((await A.query({ metric: 'purchase.overdueLines', groupBy: 'sku' })).groups).toEqual([{ key: 'K1', label: '矿泉水', total: 1 }])
    expect((await A.query({ metric: 'purchase.overdueValue' })).total).toBe(88)
    expect((await A.refused({ metric: 'sales.overdueLines', groupBy: 'region' })).status).toBe(400)
    expect((await A.refused({ metric: 'sales.overdueLines', window: 'today' })).status).toBe(400)
  })
})

describe('arrival order', () => {
  test('every fulfilment before its order, one movement a batch: the same figures', async () => {
    expect(await snapshot(B)).toEqual(await snapshot(A))
  })
})

describe('cancels', () => {
  let c: ReturnType<typeof client>
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer()
    c = client(server)
    expect((await c.master('skus', SKUS)).status).toBe(200)
    expect((await c.ingest(MOVES)).body).toEqual({ accepted: MOVES.length, duplicates: 0 })
  }, 30_000)
  afterAll(async () => {
    await server?.close()
  })

  test('cancelling the shipment that completed a line reopens it: overdue, out of OTIF, open value back', async () => {
    const before = await snapshot(c)
    expect((await c.ingest([{ id: 'x-sh-a2', type: 'cancel', occurredAt: day(8, '09:00'), cancels: 'sh-a2' }])).body).toEqual({ accepted: 1, duplicates: 0 })
    // SO-A has 4 open at 20.00 after its date
    expect((await c.query({ metric: 'sales.openOrderValue' })).total).toBe(180)
    expect((await c.query({ metric: 'sales.overdueLines' })).total).toBe(2)
    expect((await c.query({ metric: 'sales.overdueValue' })).total).toBe(140)
    expect((await c.query({ metric: 'fulfilment.otif', ...MARCH })).total).toBe(0)
    expect((await c.query({ metric: 'sales.returnRate', ...MARCH })).total).toBeCloseTo(2 / 12, 12)
    // the same shipment sent again (a new id): the line is what it was
    expect((await c.ingest([{ ...MOVES[2]!, id: 'sh-a2-again' }])).body).toEqual({ accepted: 1, duplicates: 0 })
    expect(await snapshot(c)).toEqual(before)
  })

  test('cancelling an order with receipts: its receipts lose their lead time and the line leaves OTIF', async () => {
    const before = await snapshot(c)
    expect((await c.ingest([{ id: 'x-po-1', type: 'cancel', occurredAt: day(8, '09:00'), cancels: 'po-1' }])).body).toEqual({ accepted: 1, duplicates: 0 })
    expect((await c.query({ metric: 'supplier.leadTimeDays', ...MARCH })).total).toBe(2.25)
    expect((await c.query({ metric: 'supplier.otif', ...MARCH })).total).toBe(0.5)
    expect((await c.query({ metric: 'purchase.openOrderValue' })).total).toBe(88)
    expect((await c.ingest([{ ...MOVES[9]!, id: 'po-1-again' }])).body).toEqual({ accepted: 1, duplicates: 0 })
    expect(await snapshot(c)).toEqual(before)
  })

  test('a receipt and its cancel leave no trace in any figure', async () => {
    const before = await snapshot(c)
    // PO-3 received in full on time: lead 25 hours, supplier OTIF 2/3, no open value, not overdue
    const receipt = { id: 'pr-31', type: 'purchase_receipt', occurredAt: day(6, '10:00'), sku: 'K1', warehouse: 'W1', partner: 'S1', qty: 8, unitCost: 11, ref: 'PO-3' }
    expect((await c.ingest([receipt])).body).toEqual({ accepted: 1, duplicates: 0 })
    expect((await c.query({ metric: 'supplier.otif', ...MARCH })).total).toBeCloseTo(2 / 3, 12)
    expect((await c.query({ metric: 'supplier.leadTimeDays', ...MARCH })).total).toBeCloseTo((2 + 3 + 2.25 + 25 / 24) / 4, 12)
    expect((await c.query({ metric: 'purchase.overdueLines' })).total).toBe(0)
    expect((await c.query({ metric: 'purchase.openOrderValue' })).total).toBe(0)
    expect((await c.query({ metric: 'purchase.avgPrice', ...MARCH })).total).toBeCloseTo((295 + 88) / 38, 12)
    expect((await c.ingest([{ id: 'x-pr-31', type: 'cancel', occurredAt: day(8, '09:00'), cancels: 'pr-31' }])).body).toEqual({ accepted: 1, duplicates: 0 })
    expect(await snapshot(c)).toEqual(before)
  })
})

describe('today: promised instants passing', () => {
  let server: TestServer
  let c: ReturnType<typeof client>
  const cal = createCalendar('Asia/Shanghai')
  beforeAll(async () => {
    server = await startTestServer()
    c = client(server)
    expect((await c.master('skus', SKUS)).status).toBe(200)
  })
  afterAll(async () => {
    await server?.close()
  })

  test('a line promised earlier today and still open is a miss; one promised later today is not yet due', async () => {
    const now = Date.now()
    const iso = (t: number) => new Date(t).toISOString()
    const line = { sku: 'K1', warehouse: 'W1', partner: 'C1', unitPrice: 10 }
    const passed = now - 60_000
    const later = now + 10 * 60_000
    expect(
      (
        await c.ingest([
          { ...line, id: 't1', type: 'sales_order', occurredAt: iso(now - 2 * 3600_000), qty: 3, ref: 'SO-T1', dueAt: iso(passed) },
          { ...line, id: 't2', type: 'sales_order', occurredAt: iso(now - 2 * 3600_000), qty: 2, ref: 'SO-T2', dueAt: iso(later) },
          { ...line, id: 't3', type: 'sales_order', occurredAt: iso(now - 2 * 3600_000), qty: 1, ref: 'SO-T3', dueAt: iso(later) },
          { ...line, id: 't3s', type: 'sales_shipment', occurredAt: iso(now - 10 * 60_000), qty: 1, ref: 'SO-T3' },
        ])
      ).body,
    ).toEqual({ accepted: 4, duplicates: 0 })
    // today's OTIF: SO-T3 in full before its time (a hit), SO-T1 past its time and open (a miss);
    // SO-T2 is open but not yet due. Near midnight a promised instant may fall on another day.
    const today = cal.startOf('day', now)
    const inToday = (t: number) => t >= today && t < cal.nextStart('day', now)
    const hits = inToday(later) ? 1 : 0
    const misses = inToday(passed) ? 1 : 0
    expect((await c.query({ metric: 'fulfilment.otif', window: 'today' })).total).toBe(hits + misses === 0 ? null : hits / (hits + misses))
    // overdue now: SO-T1, 3 × 10.00
    expect((await c.query({ metric: 'sales.overdueLines' })).total).toBe(1)
    expect((await c.query({ metric: 'sales.overdueValue' })).total).toBe(30)
    expect((await c.query({ metric: 'sales.openOrderValue' })).total).toBe(50)
  })

  test('subscribers of overdue lines get the line closed pushed', async () => {
    const s: Socket<ServerToClientEvents, ClientToServerEvents> = connect(server.url, { transports: ['websocket'], reconnection: false })
    try {
      const ack = await new Promise<SubscribeAck>((resolve) => s.emit('subscribe', { metric: 'sales.overdueLines' } as Query, resolve))
      if (!ack.ok) throw new Error(ack.error.message)
      expect(ack.result.total).toBe(1)
      const update = new Promise<UpdateMessage>((resolve) => s.on('update', (m) => m.subscription === ack.subscription && resolve(m)))
      const shipped = {
        id: `t1s-${randomUUID()}`,
        type: 'sales_shipment',
        occurredAt: new Date().toISOString(),
        sku: 'K1',
        warehouse: 'W1',
        partner: 'C1',
        unitPrice: 10,
        qty: 3,
        ref: 'SO-T1',
      }
      expect((await c.ingest([shipped])).body).toEqual({ accepted: 1, duplicates: 0 })
      expect((await update).result.total).toBe(0)
    } finally {
      s.close()
    }
  })

  test('subscribers of OTIF over a past period get a late order pushed', async () => {
    const s: Socket<ServerToClientEvents, ClientToServerEvents> = connect(server.url, { transports: ['websocket'], reconnection: false })
    try {
      const q = { metric: 'supplier.otif', ...MARCH } as Query
      const ack = await new Promise<SubscribeAck>((resolve) => s.emit('subscribe', q, resolve))
      if (!ack.ok) throw new Error(ack.error.message)
      expect(ack.result.total).toBeNull()
      const update = new Promise<UpdateMessage>((resolve) => s.on('update', (m) => m.subscription === ack.subscription && resolve(m)))
      // a receipt today for a line due in March, then its order (dated in February): the line lands in March's OTIF
      expect(
        (
          await c.ingest([
            { id: 'late-r', type: 'purchase_receipt', occurredAt: new Date().toISOString(), sku: 'K1', warehouse: 'W1', partner: 'S1', qty: 1, unitCost: 1, ref: 'PO-L' },
          ])
        ).status,
      ).toBe(200)
      expect(
        (
          await c.ingest([
            {
              id: 'late-o',
              type: 'purchase_order',
              occurredAt: '2026-02-27T09:00:00+08:00',
              sku: 'K1',
              warehouse: 'W1',
              partner: 'S1',
              qty: 1,
              unitCost: 1,
              ref: 'PO-L',
              dueAt: day(2, '12:00'),
            },
          ])
        ).status,
      ).toBe(200)
      let m = await update
      while (m.result.total === null) m = await new Promise<UpdateMessage>((resolve) => s.once('update', resolve))
      expect(m.result.total).toBe(0)
    } finally {
      s.close()
    }
  })
})

describe('memory', () => {
  let server: TestServer
  let c: ReturnType<typeof client>
  beforeAll(async () => {
    server = await startTestServer()
    c = client(server)
  })
  afterAll(async () => {
    await server?.close()
  })

  test('a line with nothing open is forgotten once its movements can no longer be cancelled; an open one is kept', async () => {
    const line = { sku: 'K1', warehouse: 'W1', partner: 'C1', unitPrice: 10 }
    const at = new Date(Date.now() - 3600_000).toISOString()
    const due = new Date(Date.now() - 60_000).toISOString()
    await c.ingest([
      { ...line, id: 'm-o1', type: 'sales_order', occurredAt: at, qty: 2, ref: 'SO-M1', dueAt: due },
      { ...line, id: 'm-s1', type: 'sales_shipment', occurredAt: at, qty: 2, ref: 'SO-M1' },
      { ...line, id: 'm-o2', type: 'sales_order', occurredAt: at, qty: 3, ref: 'SO-M2', dueAt: due },
    ])
    const lines = `${server.prefix}ln:s`
    expect((await server.app.redis.hkeys(lines)).sort()).toEqual(['SO-M1|K1', 'SO-M2|K1'])
    const otif = (await c.query({ metric: 'fulfilment.otif', window: 'P7D' })).total
    // a batch applied as if the effect records' TTL (35 days) had passed: the closed line is forgotten
    const later = Date.now() + 36 * 86_400_000
    const { movements } = validateBatch([{ ...line, id: 'm-o3', type: 'sales_order', occurredAt: at, qty: 1, ref: 'SO-M3' }], { baseCurrency: 'CNY' })
    const keys = createKeys(server.prefix)
    const folded = foldBatch(movements, {
      keys,
      calendar: createCalendar('Asia/Shanghai'),
      retention: { minute: 0, hour: 0, day: 0, month: 0, year: 0 },
      effectTtl: 35 * 86_400,
      dims: { categoryOf: () => undefined, regionOf: () => undefined },
      now: later,
      expiring: new Set(),
      money: DEFAULT_MONEY,
    })
    const redis = server.app.redis as unknown as { applyBatch(...args: string[]): Promise<unknown> }
    expect(await redis.applyBatch(...applyBatchKeys(keys), folded.payload, keys.effect(''), ...folded.records)).toEqual(['ok', 1])
    expect((await server.app.redis.hkeys(lines)).sort()).toEqual(['SO-M2|K1', 'SO-M3|K1'])
    expect(await server.app.redis.zrange(`${server.prefix}ln:s:closed`, '0', '-1')).toEqual([])
    // the figures the forgotten line fed stay; the open one is still overdue
    expect((await c.query({ metric: 'fulfilment.otif', window: 'P7D' })).total).toBe(otif)
    expect((await c.query({ metric: 'sales.overdueLines' })).total).toBe(1)
    expect((await c.query({ metric: 'sales.openOrderValue' })).total).toBe(40)
  })
})
