/**
 * Stock ageing (`stock.ageing`) and slow-moving stock (`stock.slowMoving`) through the real server,
 * on the worked example of docs/metrics.md "Stock ageing": ERPNext's FIFO slot cases
 * (erpnext/stock/report/stock_ageing/stock_ageing_fifo_logic.md: FIFO consumption across slots,
 * negative stock filled by the next receipts) plus a transfer carrying its layer, a stocktake loss
 * and a sales return, with values from the moving-average rules (docs/metrics.md "Valuation"),
 * every figure worked by hand in the doc. Then: a cancel of each kind of movement restores every
 * figure and the stored layers exactly, and an effect record from before layers still reverses.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { io as connect } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck, UpdateMessage } from '../../protocol/events.ts'
import type { Query, QueryResult } from '../../protocol/query.ts'
import { createCalendar } from '../../server/domain/time.ts'
import { createKeys } from '../../server/redis/keys.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

const cal = createCalendar('Asia/Shanghai')
const DAY = 86_400_000
/** noon of the business day `n` days before today (Asia/Shanghai has no daylight saving) */
const daysAgo = (n: number) => cal.format(cal.startOf('day', Date.now()) - n * DAY + 12 * 3_600_000)

let server: TestServer
let seq = 0

beforeAll(async () => {
  server = await startTestServer()
  const admin = { authorization: `Bearer ${server.adminKey}` }
  const master = {
    skus: [
      { code: 'A', name: '甲', nameEn: 'Alpha', category: 'food' },
      { code: 'B', name: '乙', category: 'tools' },
    ],
    warehouses: [
      { code: 'W1', name: '一号仓', region: 'east' },
      { code: 'W2', name: '二号仓', region: 'south' },
      { code: 'DS', name: '直发', region: 'east', virtual: true },
    ],
  }
  for (const [kind, records] of Object.entries(master)) {
    const res = await server.app.inject({ method: 'PUT', url: `/api/v1/master/${kind}`, headers: admin, payload: records })
    expect(res.statusCode, res.body).toBe(200)
  }
})

afterAll(async () => {
  await server?.close()
})

async function post(...movements: Record<string, unknown>[]): Promise<string[]> {
  const batch = movements.map((m) => ({ id: `m${++seq}`, ...m }))
  const res = await server.app.inject({ method: 'POST', url: '/api/v1/movements', headers: { authorization: `Bearer ${server.ingestKey}` }, payload: batch })
  expect(res.statusCode, res.body).toBe(200)
  return batch.map((m) => m.id)
}

async function ask(query: Record<string, unknown>): Promise<QueryResult> {
  const res = await server.app.inject({ method: 'POST', url: '/api/v1/query', payload: query })
  expect(res.statusCode, `${JSON.stringify(query)} → ${res.body}`).toBe(200)
  return res.json()
}

const buckets = (r: QueryResult) => Object.fromEntries(r.ageing!.buckets.map((b) => [b.key, [b.qty, b.value]]))
const layers = () => server.app.redis.hgetall(createKeys(server.prefix).layers)

describe('the worked example', () => {
  test('FIFO layers: consumption across slots, a transfer carrying its layer, a count, a return, negative stock', async () => {
    await post({ type: 'purchase_receipt', occurredAt: daysAgo(200), sku: 'A', warehouse: 'W1', qty: 50, unitCost: 10 })
    await post({ type: 'purchase_receipt', occurredAt: daysAgo(100), sku: 'A', warehouse: 'W1', qty: 20, unitCost: 13 })
    // ERPNext case 2: 60 out of [[50, −200], [20, −100]] leaves [[10, −100]]
    await post({ type: 'sales_shipment', occurredAt: daysAgo(95), sku: 'A', warehouse: 'W1', qty: 60, unitPrice: 15 })
    await post({ type: 'transfer', occurredAt: daysAgo(70), sku: 'A', warehouse: 'W1', toWarehouse: 'W2', qty: 4 })
    await post({ type: 'purchase_receipt', occurredAt: daysAgo(40), sku: 'A', warehouse: 'W1', qty: 30, unitCost: 12 })
    await post({ type: 'stocktake', occurredAt: daysAgo(10), sku: 'A', warehouse: 'W1', countedQty: 33 })
    await post({ type: 'sales_return', occurredAt: daysAgo(5), sku: 'A', warehouse: 'W1', qty: 2, unitPrice: 20, unitCost: 11 })
    // ERPNext case 3: 10 out of nothing is a deficit; 5 in leaves 5 owed; 10 in fills it and keeps 5
    await post({ type: 'sales_shipment', occurredAt: daysAgo(60), sku: 'B', warehouse: 'W1', qty: 10, unitPrice: 15 })
    await post({ type: 'purchase_receipt', occurredAt: daysAgo(50), sku: 'B', warehouse: 'W1', qty: 5, unitCost: 8 })
    await post({ type: 'purchase_receipt', occurredAt: daysAgo(20), sku: 'B', warehouse: 'W1', qty: 10, unitCost: 9 })
    // a virtual warehouse holds nothing of its own: left out
    await post({ type: 'purchase_receipt', occurredAt: daysAgo(300), sku: 'B', warehouse: 'DS', qty: 7, unitCost: 1 })

    const all = await ask({ metric: 'stock.ageing' })
    expect(all.unit).toBe('money')
    expect(all.total).toBe(500.14)
    expect(buckets(all)).toEqual({ '0-30': [7, 68.53], '31-60': [30, 352.89], '61-90': [0, 0], '91-180': [7, 78.72], '181+': [0, 0] })
    expect(all.ageing).toMatchObject({ qty: 44, value: 500.14, averageAge: 45.68, oldestAge: 100 })

    const byWarehouse = await ask({ metric: 'stock.ageing', groupBy: 'warehouse' })
    const w1 = byWarehouse.ageing!.groups!.find((g) => g.key === 'W1')!
    expect(byWarehouse.ageing!.groups!.map((g) => g.key)).toEqual(['W1', 'W2'])
    expect(w1.label).toBe('一号仓')
    expect(Object.fromEntries(w1.buckets.map((b) => [b.key, [b.qty, b.value]]))).toEqual({
      '0-30': [7, 68.53],
      '31-60': [30, 352.89],
      '61-90': [0, 0],
      '91-180': [3, 35.29],
      '181+': [0, 0],
    })
    // the transfer carried the 4 units of day −100 to W2 with their date (and the value they left at)
    const w2 = byWarehouse.ageing!.groups!.find((g) => g.key === 'W2')!
    expect(w2).toMatchObject({ qty: 4, value: 43.43, oldestAge: 100, averageAge: 100 })

    // bucket values add up to stock.value, to the cent, per warehouse
    const value = await ask({ metric: 'stock.value', groupBy: 'warehouse', filter: { warehouse: ['W1', 'W2'] } })
    for (const g of byWarehouse.ageing!.groups!) {
      expect(g.buckets.reduce((s, b) => Math.round(s * 100 + b.value * 100) / 100, 0)).toBe(value.groups!.find((x) => x.key === g.key)!.total)
    }

    const byCategory = await ask({ metric: 'stock.ageing', groupBy: 'category', filter: { region: 'east' } })
    expect(byCategory.ageing!.groups!.map((g) => [g.key, g.qty, g.value])).toEqual([
      ['food', 35, 411.71],
      ['tools', 5, 45],
    ])
  })

  test('slow-moving: no outbound for N days (90 unless asked), largest value first', async () => {
    const standard = await ask({ metric: 'stock.slowMoving' })
    expect(standard.days).toBe(90)
    expect(standard.total).toBe(1)
    // never shipped from W2: idle since its oldest stock (day −100) arrived
    expect(standard.slowMoving).toEqual([
      {
        sku: 'A',
        skuName: '甲',
        skuNameEn: 'Alpha',
        warehouse: 'W2',
        warehouseName: '二号仓',
        category: 'food',
        qty: 4,
        value: 43.43,
        lastOutbound: null,
        idleDays: 100,
        oldestAge: 100,
      },
    ])
    const sixty = await ask({ metric: 'stock.slowMoving', days: 60 })
    // W1's latest outbound is the transfer (day −70): the count's loss (day −10) is no outbound
    expect(sixty.slowMoving!.map((r) => [r.sku, r.warehouse, r.value, r.lastOutbound, r.idleDays])).toEqual([
      ['A', 'W1', 411.71, daysAgo(70).slice(0, 10), 70],
      ['B', 'W1', 45, daysAgo(60).slice(0, 10), 60],
      ['A', 'W2', 43.43, null, 100],
    ])
    const scoped = await ask({ metric: 'stock.slowMoving', days: 60, filter: { category: 'tools' } })
    expect(scoped.slowMoving!.map((r) => r.sku)).toEqual(['B'])
  })

  test('queries it cannot answer are refused', async () => {
    for (const q of [
      { metric: 'stock.slowMoving', groupBy: 'warehouse' },
      { metric: 'stock.ageing', groupBy: 'partner' },
      { metric: 'stock.ageing', filter: { channel: 'web' } },
      { metric: 'stock.ageing', days: 30 },
      { metric: 'stock.ageing', window: 'today' },
      { metric: 'sales.revenue', window: 'today', days: 30 },
    ]) {
      const res = await server.app.inject({ method: 'POST', url: '/api/v1/query', payload: q })
      expect(res.statusCode, JSON.stringify(q)).toBe(400)
    }
    for (const days of [0, -1, 3651, 1.5, '90']) {
      const res = await server.app.inject({ method: 'POST', url: '/api/v1/query', payload: { metric: 'stock.slowMoving', days } })
      expect(res.statusCode, String(days)).toBe(400)
    }
  })
})

describe('cancels', () => {
  /** everything ageing shows, and the layers as stored */
  async function state() {
    const out: Record<string, unknown> = { layers: await layers() }
    for (const groupBy of [undefined, 'warehouse', 'sku', 'category', 'region']) out[`ageing ${groupBy}`] = await ask({ metric: 'stock.ageing', ...(groupBy && { groupBy }) })
    out.slow = await ask({ metric: 'stock.slowMoving', days: 1 })
    for (const r of Object.values(out) as { asOf?: string }[]) delete r.asOf
    return out
  }

  test.each([
    ['a shipment over several layers', { type: 'sales_shipment', occurredAt: daysAgo(1), sku: 'A', warehouse: 'W1', qty: 31, unitPrice: 15 }],
    ['a shipment into negative stock', { type: 'sales_shipment', occurredAt: daysAgo(1), sku: 'B', warehouse: 'W1', qty: 8, unitPrice: 15 }],
    ['a purchase return', { type: 'purchase_return', occurredAt: daysAgo(2), sku: 'A', warehouse: 'W1', qty: 3 }],
    ['a receipt on a day that has a layer', { type: 'purchase_receipt', occurredAt: daysAgo(40), sku: 'A', warehouse: 'W1', qty: 6, unitCost: 12 }],
    ['a late receipt older than every layer', { type: 'purchase_receipt', occurredAt: daysAgo(400), sku: 'A', warehouse: 'W1', qty: 6, unitCost: 12 }],
    ['a transfer of more than the source holds', { type: 'transfer', occurredAt: daysAgo(3), sku: 'A', warehouse: 'W2', toWarehouse: 'W1', qty: 9 }],
    ['a transfer into a pair never seen', { type: 'transfer', occurredAt: daysAgo(3), sku: 'A', warehouse: 'W1', toWarehouse: 'W3', qty: 33 }],
    ['a stocktake gain', { type: 'stocktake', occurredAt: daysAgo(1), sku: 'B', warehouse: 'W1', countedQty: 9 }],
    ['a stocktake loss', { type: 'stocktake', occurredAt: daysAgo(1), sku: 'A', warehouse: 'W1', countedQty: 1 }],
    ['a sales return', { type: 'sales_return', occurredAt: daysAgo(0), sku: 'A', warehouse: 'W2', qty: 2, unitPrice: 20 }],
  ])('%s: its cancel restores every figure and the layers', async (_name, movement) => {
    const before = await state()
    const [id] = await post(movement)
    expect(await state()).not.toEqual(before)
    await post({ type: 'cancel', occurredAt: daysAgo(0), cancels: id })
    expect(await state()).toEqual(before)
  })

  test('a shipment and a receipt cancelled in the batch after a later movement: qty stays whole, the shipment’s layers return to their days', async () => {
    const [ship] = await post({ type: 'sales_shipment', occurredAt: daysAgo(1), sku: 'A', warehouse: 'W1', qty: 31, unitPrice: 15 })
    await post({ type: 'purchase_receipt', occurredAt: daysAgo(0), sku: 'A', warehouse: 'W1', qty: 1, unitCost: 12 })
    await post({ type: 'cancel', occurredAt: daysAgo(0), cancels: ship })
    const w1 = (await ask({ metric: 'stock.ageing', groupBy: 'warehouse' })).ageing!.groups!.find((g) => g.key === 'W1')!
    expect(w1.buckets.map((b) => b.qty)).toEqual([8, 30, 0, 3, 0])
    const qty = await ask({ metric: 'stock.qty', groupBy: 'warehouse' })
    expect(qty.groups!.find((g) => g.key === 'W1')!.total).toBe(w1.qty)
  })

  test('an effect record from before layers (no layer change) still reverses: oldest first, qty whole', async () => {
    const keys = createKeys(server.prefix)
    const [ship] = await post({ type: 'sales_shipment', occurredAt: daysAgo(1), sku: 'A', warehouse: 'W2', qty: 1, unitPrice: 15 })
    // as an older version wrote it: stock outputs of 7 figures
    const raw = (await server.app.redis.get(keys.effect(ship!)))!
    const record = JSON.parse(raw) as { x: unknown[][] }
    record.x = record.x.map((o) => o.slice(0, 7))
    await server.app.redis.set(keys.effect(ship!), JSON.stringify(record), 'KEEPTTL')
    await post({ type: 'cancel', occurredAt: daysAgo(0), cancels: ship })
    const w2 = (await ask({ metric: 'stock.ageing', groupBy: 'warehouse' })).ageing!.groups!.find((g) => g.key === 'W2')!
    // the unit comes back dated at the shipment's day
    expect(w2.buckets.map((b) => b.qty)).toEqual([1, 0, 0, 3, 0])
  })
})

describe('live', () => {
  test('a subscription to the ageing and one to the slow-moving list are pushed when stock moves, and back on its cancel', async () => {
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = connect(server.url, { transports: ['websocket'], reconnection: false })
    try {
      const subscribe = (query: Query) => new Promise<SubscribeAck>((resolve) => socket.emit('subscribe', query, resolve))
      const next = (subscription: string) =>
        new Promise<UpdateMessage>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no update in time')), 5000)
          const on = (m: UpdateMessage) => {
            if (m.subscription !== subscription) return
            clearTimeout(timer)
            socket.off('update', on)
            resolve(m)
          }
          socket.on('update', on)
        })
      const ageing = await subscribe({ metric: 'stock.ageing', groupBy: 'warehouse' })
      const slow = await subscribe({ metric: 'stock.slowMoving', days: 60 })
      if (!ageing.ok || !slow.ok) throw new Error('subscribe refused')
      const w2 = (r: QueryResult) => r.ageing!.groups!.find((g) => g.key === 'W2')!.buckets.map((b) => b.qty)
      const before = w2(ageing.result)
      expect(slow.result.slowMoving!.some((r) => r.sku === 'A' && r.warehouse === 'W2')).toBe(true)

      // a shipment from W2: its oldest units leave, and W2 is no longer idle
      const ageingMoved = next(ageing.subscription)
      const slowMoved = next(slow.subscription)
      const [id] = await post({ type: 'sales_shipment', occurredAt: daysAgo(0), sku: 'A', warehouse: 'W2', qty: 1, unitPrice: 15 })
      expect(w2((await ageingMoved).result)).toEqual([before[0], 0, 0, before[3]! - 1, 0])
      expect((await slowMoved).result.slowMoving!.some((r) => r.sku === 'A' && r.warehouse === 'W2')).toBe(false)

      const ageingBack = next(ageing.subscription)
      const slowBack = next(slow.subscription)
      await post({ type: 'cancel', occurredAt: daysAgo(0), cancels: id })
      expect(w2((await ageingBack).result)).toEqual(before)
      expect((await slowBack).result.slowMoving!.some((r) => r.sku === 'A' && r.warehouse === 'W2')).toBe(true)
    } finally {
      socket.close()
    }
  })
})

describe('stock from before layers were kept', () => {
  test('is one layer dated at the pair’s last movement, in the query and once the pair moves again', async () => {
    const keys = createKeys(server.prefix)
    await post({ type: 'purchase_receipt', occurredAt: daysAgo(150), sku: 'B', warehouse: 'W9', qty: 10, unitCost: 2 })
    await post({ type: 'purchase_receipt', occurredAt: daysAgo(45), sku: 'B', warehouse: 'W9', qty: 6, unitCost: 2 })
    // as a cockpit that kept no layers left it: stock on hand, no layer text
    await server.app.redis.hdel(keys.layers, 'B|W9')
    const w9 = async () => (await ask({ metric: 'stock.ageing', filter: { warehouse: 'W9' } })).ageing!
    // all 16 dated at the last movement (45 days ago)
    expect((await w9()).buckets.map((b) => b.qty)).toEqual([0, 16, 0, 0, 0])
    // a shipment: the script dates that stock the same way, then takes 4 of it
    await post({ type: 'sales_shipment', occurredAt: daysAgo(1), sku: 'B', warehouse: 'W9', qty: 4, unitPrice: 5 })
    expect((await w9()).buckets.map((b) => b.qty)).toEqual([0, 12, 0, 0, 0])
    expect(await server.app.redis.hget(keys.layers, 'B|W9')).toMatch(/^0\|\d+:12000\|\d+:1$/)
  })
})
