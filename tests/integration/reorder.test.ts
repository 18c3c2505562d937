/**
 * `stock.reorder` through the real server: projected qty (on hand + open purchase − open sales)
 * per sku × warehouse against the SKU's reorder point, with figures worked by hand
 * (docs/metrics.md "Reorder alerts"); cancels restoring the rows; filters; the order lines
 * opened before backlogs were kept by pair; a subscription pushed when a movement or master data
 * changes the rows. Also: backlogs filtered by one dimension and grouped by another add up to
 * the same figures as grouped by the first.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { io as connect } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck, UpdateMessage } from '../../protocol/events.ts'
import type { Query, QueryResult, ReorderRow } from '../../protocol/query.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

let server: TestServer
const at = new Date().toISOString()
let n = 0
const mv = (type: string, sku: string, warehouse: string, qty: number, rest: Record<string, unknown> = {}) => ({
  id: `r-${++n}-${randomUUID().slice(0, 6)}`,
  type,
  occurredAt: at,
  sku,
  warehouse,
  qty,
  ...(type.startsWith('purchase') ? { unitCost: 2 } : { unitPrice: 5 }),
  ...rest,
})
const cancel = (m: { id: string }) => ({ id: `c-${m.id}`, type: 'cancel', occurredAt: at, cancels: m.id })

async function ingest(movements: object[]): Promise<void> {
  const res = await server.app.inject({
    method: 'POST',
    url: '/api/v1/movements',
    headers: { authorization: `Bearer ${server.ingestKey}` },
    payload: movements,
  })
  expect(res.statusCode, res.body).toBe(200)
}

async function put(kind: string, records: object[]): Promise<void> {
  const res = await server.app.inject({ method: 'PUT', url: `/api/v1/master/${kind}`, headers: { authorization: `Bearer ${server.adminKey}` }, payload: records })
  expect(res.statusCode, res.body).toBe(200)
}

async function ask(q: Query): Promise<QueryResult> {
  const res = await server.app.inject({ method: 'POST', url: '/api/v1/query', payload: q })
  expect(res.statusCode, `${JSON.stringify(q)} → ${res.body}`).toBe(200)
  return res.json() as QueryResult
}

const reorder = async (q: Partial<Query> = {}) => (await ask({ metric: 'stock.reorder', ...q })).reorder!
const pairsOf = (rows: ReorderRow[]) => rows.map((r) => `${r.sku}@${r.warehouse}`)

const SKUS = [
  // reorder point 20, reorder qty 50, safety stock 10
  { code: 'A', name: '六角螺栓 M8', nameEn: 'Hex bolt M8', category: 'hw', safetyStock: 10, reorderPoint: 20, reorderQty: 50 },
  // reorder point 10, no reorder qty
  { code: 'B', name: '扳手', category: 'tools', reorderPoint: 10 },
  // no reorder point: never listed
  { code: 'C', name: '胶带', category: 'tools', safetyStock: 5 },
  // neither a reorder point above 0 nor a reorder qty: no reorder rule (as ERPNext)
  { code: 'D', name: '垫圈', category: 'hw', reorderPoint: 0 },
]
const WAREHOUSES = [
  { code: 'SH', name: '上海仓', nameEn: 'Shanghai', region: 'east' },
  { code: 'GZ', name: '广州仓', region: 'south' },
  // supplier direct: holds nothing by design, never listed
  { code: 'VD', name: '供应商直发', region: 'east', virtual: true },
]

// stage 1, worked by hand (qty in units):
//   A@SH: receipt 30, sales order SO-1 25, purchase order PO-1 10, shipment SO-1 5
//         on hand 25, open purchase 10, open sales 20 → projected 15 ≤ 20; order max(50, 20 − 15) = 50
//   A@GZ: receipt 40, sales order SO-2 30 → projected 10 ≤ 20; order max(50, 10) = 50
//   B@SH: receipt 4 → projected 4 ≤ 10; order 10 − 4 = 6 (no reorder qty)
//   B@GZ: sales order SO-3 3, nothing on hand → projected −3; order 13
//   C@SH: sales order SO-4 100 → C has no reorder point: not listed
//   A@VD: receipt 1 → virtual warehouse: not listed;  D@SH: receipt 1 → no reorder rule: not listed
// most urgent first, by projected / reorder point: B@GZ −0.3, B@SH 0.4, A@GZ 0.5, A@SH 0.75
const so2 = mv('sales_order', 'A', 'GZ', 30, { ref: 'SO-2' })
const stage1 = [
  mv('purchase_receipt', 'A', 'SH', 30),
  mv('sales_order', 'A', 'SH', 25, { ref: 'SO-1' }),
  mv('purchase_order', 'A', 'SH', 10, { ref: 'PO-1' }),
  mv('sales_shipment', 'A', 'SH', 5, { ref: 'SO-1' }),
  mv('purchase_receipt', 'A', 'GZ', 40),
  so2,
  mv('purchase_receipt', 'B', 'SH', 4),
  mv('sales_order', 'B', 'GZ', 3, { ref: 'SO-3' }),
  mv('sales_order', 'C', 'SH', 100, { ref: 'SO-4' }),
  mv('purchase_receipt', 'A', 'VD', 1),
  mv('purchase_receipt', 'D', 'SH', 1),
]

const A_NAMES = { skuName: '六角螺栓 M8', skuNameEn: 'Hex bolt M8', category: 'hw' }
const STAGE1: ReorderRow[] = [
  {
    sku: 'B',
    skuName: '扳手',
    category: 'tools',
    warehouse: 'GZ',
    warehouseName: '广州仓',
    onHand: 0,
    openPurchase: 0,
    openSales: 3,
    projected: -3,
    reorderPoint: 10,
    suggestedQty: 13,
  },
  {
    sku: 'B',
    skuName: '扳手',
    category: 'tools',
    warehouse: 'SH',
    warehouseName: '上海仓',
    warehouseNameEn: 'Shanghai',
    onHand: 4,
    openPurchase: 0,
    openSales: 0,
    projected: 4,
    reorderPoint: 10,
    suggestedQty: 6,
  },
  {
    sku: 'A',
    ...A_NAMES,
    warehouse: 'GZ',
    warehouseName: '广州仓',
    onHand: 40,
    openPurchase: 0,
    openSales: 30,
    projected: 10,
    reorderPoint: 20,
    reorderQty: 50,
    safetyStock: 10,
    suggestedQty: 50,
  },
  {
    sku: 'A',
    ...A_NAMES,
    warehouse: 'SH',
    warehouseName: '上海仓',
    warehouseNameEn: 'Shanghai',
    onHand: 25,
    openPurchase: 10,
    openSales: 20,
    projected: 15,
    reorderPoint: 20,
    reorderQty: 50,
    safetyStock: 10,
    suggestedQty: 50,
  },
]

beforeAll(async () => {
  server = await startTestServer()
  await put('skus', SKUS)
  await put('warehouses', WAREHOUSES)
  await ingest(stage1)
})

afterAll(async () => {
  await server?.close()
})

describe('stock.reorder', () => {
  test('lists the pairs at or below their reorder point, most urgent first, with the qty to order', async () => {
    const result = await ask({ metric: 'stock.reorder' })
    expect(result).toMatchObject({ metric: 'stock.reorder', unit: 'count', total: 4 })
    expect(result.reorder).toEqual(STAGE1)
    expect(result.rows).toBeUndefined()
  })

  test('filters by sku, warehouse, category and region; top keeps the most urgent', async () => {
    expect(pairsOf(await reorder({ filter: { warehouse: 'GZ' } }))).toEqual(['B@GZ', 'A@GZ'])
    expect(pairsOf(await reorder({ filter: { sku: 'A' } }))).toEqual(['A@GZ', 'A@SH'])
    expect(pairsOf(await reorder({ filter: { category: 'hw' } }))).toEqual(['A@GZ', 'A@SH'])
    expect(pairsOf(await reorder({ filter: { region: 'east' } }))).toEqual(['B@SH', 'A@SH'])
    expect(pairsOf(await reorder({ filter: { sku: ['C', 'D'] } }))).toEqual([])
    const top = await ask({ metric: 'stock.reorder', top: 2 })
    expect(top.total).toBe(4)
    expect(pairsOf(top.reorder!)).toEqual(['B@GZ', 'B@SH'])
  })

  test('refuses what rows of pairs cannot honour', async () => {
    for (const q of [
      { metric: 'stock.reorder', groupBy: 'warehouse' },
      { metric: 'stock.reorder', filter: { partner: 'P1' } },
      { metric: 'stock.reorder', filter: { channel: 'pos' } },
      { metric: 'stock.reorder', window: 'today' },
    ]) {
      const res = await server.app.inject({ method: 'POST', url: '/api/v1/query', payload: q })
      expect(res.statusCode, JSON.stringify(q)).toBe(400)
      expect(res.json()).toMatchObject({ error: 'COCKPIT_ERR_UNSUPPORTED_QUERY' })
    }
  })

  test('receipts and orders move the rows; cancelling them restores the rows exactly', async () => {
    // A@SH: receipt 4 against PO-1 → on hand 29, open purchase 6: projected still 15
    // A@GZ: receipt 20 → on hand 60: projected 30 > 20, off the list
    // B@SH: sales order SO-5 1 → open sales 1: projected 3, order 7
    const stage2 = [mv('purchase_receipt', 'A', 'SH', 4, { ref: 'PO-1' }), mv('purchase_receipt', 'A', 'GZ', 20), mv('sales_order', 'B', 'SH', 1, { ref: 'SO-5' })]
    await ingest(stage2)
    const rows = await reorder()
    expect(pairsOf(rows)).toEqual(['B@GZ', 'B@SH', 'A@SH'])
    expect(rows[1]).toMatchObject({ onHand: 4, openSales: 1, projected: 3, suggestedQty: 7 })
    expect(rows[2]).toMatchObject({ onHand: 29, openPurchase: 6, openSales: 20, projected: 15 })
    await ingest(stage2.map(cancel))
    expect(await reorder()).toEqual(STAGE1)
  })

  test('cancelling a sales order takes its pair off the list; a pair left with nothing is forgotten', async () => {
    await ingest([cancel(so2)])
    expect(pairsOf(await reorder())).toEqual(['B@GZ', 'B@SH', 'A@SH'])
    // B@GZ had only its sales order: cancelled, the pair is gone, not a row at 0
    const so3 = stage1[7]!
    await ingest([cancel(so3)])
    expect(pairsOf(await reorder())).toEqual(['B@SH', 'A@SH'])
  })

  test('master data decides: a new reorder point lists a pair, none takes it off', async () => {
    await put('skus', [{ code: 'C', name: '胶带', category: 'tools', safetyStock: 5, reorderPoint: 0, reorderQty: 24 }])
    // C@SH: nothing on hand, open sales 100 → projected −100 ≤ 0; order max(24, 100) = 100
    const rows = await reorder({ filter: { sku: 'C' } })
    expect(rows).toEqual([
      {
        sku: 'C',
        skuName: '胶带',
        category: 'tools',
        warehouse: 'SH',
        warehouseName: '上海仓',
        warehouseNameEn: 'Shanghai',
        onHand: 0,
        openPurchase: 0,
        openSales: 100,
        projected: -100,
        reorderPoint: 0,
        reorderQty: 24,
        safetyStock: 5,
        suggestedQty: 100,
      },
    ])
    await put('skus', [{ code: 'C', name: '胶带', category: 'tools', safetyStock: 5 }])
    expect(await reorder({ filter: { sku: 'C' } })).toEqual([])
  })
})

describe('order backlogs by one dimension and by two', () => {
  const backlog = (q: Partial<Query>) => ask({ metric: 'sales.backlogQty', ...q })
  const groups = (r: QueryResult) => Object.fromEntries((r.groups ?? []).filter((g) => g.total !== 0).map((g) => [g.key, g.total]))

  test('a filter gives the figure of its group, and groups by another dimension add up to it', async () => {
    // open sales now: SO-1 A@SH 20, SO-4 C@SH 100, SO-5 cancelled, SO-2 and SO-3 cancelled
    expect((await backlog({})).total).toBe(120)
    expect(groups(await backlog({ groupBy: 'warehouse' }))).toEqual({ SH: 120 })
    expect(groups(await backlog({ groupBy: 'sku' }))).toEqual({ A: 20, C: 100 })
    await ingest([mv('sales_order', 'A', 'GZ', 7, { ref: 'SO-6', partner: 'CU1' }), mv('purchase_order', 'B', 'GZ', 9, { ref: 'PO-2' })])
    const byWarehouse = groups(await backlog({ groupBy: 'warehouse' }))
    expect(byWarehouse).toEqual({ SH: 120, GZ: 7 })
    for (const [wh, total] of Object.entries(byWarehouse)) {
      expect((await backlog({ filter: { warehouse: wh } })).total).toBe(total)
      const bySku = await backlog({ filter: { warehouse: wh }, groupBy: 'sku' })
      expect(bySku.total).toBe(total)
      expect(Object.values(groups(bySku)).reduce<number>((a, b) => a + (b ?? 0), 0)).toBe(total)
    }
    expect(groups(await backlog({ filter: { sku: 'A' }, groupBy: 'warehouse' }))).toEqual({ SH: 20, GZ: 7 })
    expect(groups(await backlog({ filter: { category: 'tools' }, groupBy: 'warehouse' }))).toEqual({ SH: 100 })
    expect((await backlog({ filter: { partner: 'CU1' } })).total).toBe(7)
    expect((await ask({ metric: 'purchase.backlogQty', filter: { warehouse: 'GZ' }, groupBy: 'sku' })).groups).toEqual([{ key: 'B', label: '扳手', total: 9 }])
    const res = await server.app.inject({ method: 'POST', url: '/api/v1/query', payload: { metric: 'sales.backlogQty', filter: { partner: 'CU1' }, groupBy: 'sku' } })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ error: 'COCKPIT_ERR_UNSUPPORTED_QUERY' })
  })

  test('a line opened before backlogs were kept by pair counts in the totals, never by pair, until it closes', async () => {
    // such a line as an earlier version left it: its cell in bk:bs and the levels by dimension
    const r = server.app.redis
    const p = server.prefix
    await r.hset(`${p}bk:bs`, 'OLD-1|A', 8000)
    for (const [dim, member] of [
      ['all', '_'],
      ['sku', 'A'],
      ['category', 'hw'],
      ['warehouse', 'SH'],
      ['partner', '-'],
    ])
      await r.hincrby(`${p}c:now:bs:${dim}`, member!, 8000)
    expect((await backlog({ filter: { warehouse: 'SH' } })).total).toBe(128)
    const refused = await server.app.inject({ method: 'POST', url: '/api/v1/query', payload: { metric: 'sales.backlogQty', filter: { warehouse: 'SH' }, groupBy: 'sku' } })
    expect(refused.statusCode).toBe(400)
    expect(refused.json().message).toMatch(/1 line\(s\) opened before/)
    const before = (await reorder({ filter: { sku: 'A', warehouse: 'SH' } }))[0]!
    expect(before.openSales).toBe(20)
    // a partial shipment: the line stays out of the pair's open sales (which never had it)
    const ship = mv('sales_shipment', 'A', 'SH', 3, { ref: 'OLD-1' })
    await ingest([ship])
    expect((await backlog({ filter: { sku: 'A' } })).total).toBe(20 + 7 + 5)
    expect((await reorder({ filter: { sku: 'A', warehouse: 'SH' } }))[0]).toMatchObject({ onHand: 22, openSales: 20, projected: 12 })
    // over-shipped: the line closes; what is left (−1) moves to the lines kept by pair, so its
    // cancel is netted there and the pair's open sales never goes below what its own lines hold
    const rest = mv('sales_shipment', 'A', 'SH', 6, { ref: 'OLD-1' })
    await ingest([rest])
    expect((await backlog({})).total).toBe(127)
    expect(groups(await backlog({ filter: { warehouse: 'SH' }, groupBy: 'sku' }))).toEqual({ A: 20, C: 100 })
    expect((await reorder({ filter: { sku: 'A', warehouse: 'SH' } }))[0]).toMatchObject({ onHand: 16, openSales: 20, projected: 6 })
    await ingest([cancel(rest)])
    expect((await backlog({})).total).toBe(127 + 5)
    expect((await reorder({ filter: { sku: 'A', warehouse: 'SH' } }))[0]).toMatchObject({ onHand: 22, openSales: 20 + 5, projected: 7 })
    await ingest([cancel(ship)])
    expect((await backlog({})).total).toBe(127 + 8)
    expect((await reorder({ filter: { sku: 'A', warehouse: 'SH' } }))[0]).toMatchObject({ onHand: 25, openSales: 20 + 8 })
  })
})

describe('a subscription to stock.reorder', () => {
  test('is pushed a new result when a movement or master data changes the rows', async () => {
    const c: Socket<ServerToClientEvents, ClientToServerEvents> = connect(server.url, { transports: ['websocket'], reconnection: false })
    try {
      await put('skus', [{ code: 'E', name: '<img src=x onerror=alert(1)>', category: 'hw', reorderPoint: 5 }])
      const query: Query = { metric: 'stock.reorder', filter: { sku: 'E' } }
      const ack = await new Promise<SubscribeAck>((resolve) => c.emit('subscribe', query, resolve))
      if (!ack.ok) throw new Error(JSON.stringify(ack))
      expect(ack.result.reorder).toEqual([])
      const next = (pred: (m: UpdateMessage) => boolean) =>
        new Promise<UpdateMessage>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no update in time')), 5000)
          const on = (m: UpdateMessage) => {
            if (m.subscription !== ack.subscription || !pred(m)) return
            clearTimeout(timer)
            c.off('update', on)
            resolve(m)
          }
          c.on('update', on)
        })
      // an order with nothing on hand: projected −2 ≤ 5, order 7
      const pushed = next((m) => m.result.reorder?.length === 1)
      await ingest([mv('sales_order', 'E', 'SH', 2, { ref: 'SO-7' })])
      expect((await pushed).result.reorder).toMatchObject([{ sku: 'E', warehouse: 'SH', openSales: 2, projected: -2, suggestedQty: 7 }])
      // the stock arrives: projected 8 > 5, off the list
      const received = next((m) => m.result.reorder?.length === 0)
      await ingest([mv('purchase_receipt', 'E', 'SH', 10)])
      await received
      // a higher reorder point lists it again
      const raised = next((m) => m.result.reorder?.length === 1)
      await put('skus', [{ code: 'E', name: '<img src=x onerror=alert(1)>', category: 'hw', reorderPoint: 8 }])
      expect((await raised).result.reorder).toMatchObject([{ sku: 'E', projected: 8, reorderPoint: 8, suggestedQty: 0 }])
    } finally {
      c.disconnect()
    }
  })
})
