/**
 * The Odoo 17 mapping against a real PostgreSQL: documents written as Odoo writes them
 * (tests/support/erp-odoo.ts), every stream read page by page through `pg` with a small limit,
 * and the figures of the movements compared with sums computed in SQL from the same tables.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Movement } from '../../protocol/movement.ts'
import type { MapContext, StreamMapping } from '../../server/sources/mapping.ts'
import { odooMapping, odooPayments, odooPurchaseOrderLines, odooSaleOrderLines, odooStockMoves } from '../../server/sources/odoo.ts'
import { OdooErp } from '../support/erp-odoo.ts'
import { field, foldResults, readStream, sumOf } from '../support/erp-read.ts'
import type { RunQuery, StreamRead } from '../support/erp-read.ts'

const ctx: MapContext = { tz: 'Asia/Shanghai', baseCurrency: 'CNY', idPrefix: 'o1:' }
const LIMIT = 7
/** rows written in one transaction: they share one write_date */
const BULK = 60

let erp: OdooErp
let run: RunQuery
const reads = new Map<string, StreamRead>()
const doc: Record<string, number> = {}

beforeAll(async () => {
  erp = await OdooErp.create()
  run = async (q) => (await erp.pool.query(q.text, q.values)).rows as Record<string, unknown>[]
  const { ids } = erp
  const P = ids.products as Record<string, number>
  const cola = P.COLA!
  const tea = P.TEA!
  const water = P.WATER!

  // purchase: a confirmed order (one line in dozens), its receipt; a draft RFQ; a cancelled order
  const po = await erp.purchaseOrder({ name: 'P00001', dateOrder: '2026-11-30 02:00:00', datePlanned: '2026-12-02 08:00:00' }, [
    { product: cola, qty: 10, uom: ids.dozens, priceUnit: 60 },
    { product: tea, qty: 50, priceUnit: 3.5 },
  ])
  await erp.purchaseOrder({ name: 'P00002', dateOrder: '2026-11-30 03:00:00', datePlanned: '2026-12-03 08:00:00', state: 'draft' }, [{ product: tea, qty: 5, priceUnit: 3 }])
  const poCancelled = await erp.purchaseOrder({ name: 'P00003', dateOrder: '2026-11-30 04:00:00', datePlanned: '2026-12-03 08:00:00' }, [{ product: water, qty: 9, priceUnit: 1 }])
  await erp.setOrderState('purchase', poCancelled.order, 'cancel')
  doc.receiptCola = await erp.doneMove({
    product: cola,
    qty: 10,
    uom: ids.dozens,
    from: ids.locVendors,
    to: ids.whStock,
    date: '2026-12-01 01:00:00',
    unitCost: 5,
    purchaseLine: po.lines[0],
  })
  doc.receiptTea = await erp.doneMove({ product: tea, qty: 50, from: ids.locVendors, to: ids.whShelf, date: '2026-12-01 01:00:00', unitCost: 3.5, purchaseLine: po.lines[1] })
  // sales: a confirmed order with a discount, its delivery and a customer return; a quotation
  const so = await erp.saleOrder({ name: 'S00001', dateOrder: '2026-12-01 03:00:00', commitmentDate: '2026-12-02 10:00:00' }, [
    { product: cola, qty: 2, uom: ids.dozens, priceUnit: 120, discount: 10 },
    { product: tea, qty: 20, priceUnit: 8, customerLead: 3 },
  ])
  await erp.saleOrder({ name: 'S00002', dateOrder: '2026-12-01 04:00:00', state: 'draft' }, [{ product: tea, qty: 1, priceUnit: 8 }])
  doc.shipCola = await erp.doneMove({ product: cola, qty: 24, from: ids.whStock, to: ids.locCustomers, date: '2026-12-02 02:30:00', unitCost: 5, saleLine: so.lines[0] })
  doc.shipTea = await erp.doneMove({ product: tea, qty: 20, from: ids.whShelf, to: ids.locCustomers, date: '2026-12-02 02:30:00', unitCost: 3.5, saleLine: so.lines[1] })
  doc.returnTea = await erp.doneMove({
    product: tea,
    qty: 4,
    from: ids.locCustomers,
    to: ids.whStock,
    date: '2026-12-03 05:00:00',
    unitCost: 3.5,
    saleLine: so.lines[1],
    returnOf: doc.shipTea,
  })
  doc.vendorReturn = await erp.doneMove({ product: cola, qty: 6, from: ids.whStock, to: ids.locVendors, date: '2026-12-03 06:00:00', unitCost: 5, returnOf: doc.receiptCola })
  // a transfer between warehouses through transit, a move within a warehouse, inventory adjustments
  doc.toTransit = await erp.doneMove({ product: tea, qty: 10, from: ids.whStock, to: ids.locTransit, date: '2026-12-03 07:00:00' })
  doc.fromTransit = await erp.doneMove({ product: tea, qty: 10, from: ids.locTransit, to: ids.wh2Stock, date: '2026-12-03 09:00:00' })
  doc.internal = await erp.doneMove({ product: tea, qty: 5, from: ids.whStock, to: ids.whShelf, date: '2026-12-03 09:30:00' })
  doc.gain = await erp.doneMove({ product: water, qty: 7, from: ids.locInventory, to: ids.whStock, date: '2026-12-04 01:00:00', unitCost: 1, isInventory: true })
  doc.loss = await erp.doneMove({ product: cola, qty: 3, from: ids.whStock, to: ids.locInventory, date: '2026-12-04 01:00:00', unitCost: 5, isInventory: true })
  doc.consumable = await erp.doneMove({ product: ids.consumable, qty: 3, from: ids.locVendors, to: ids.whStock, date: '2026-12-04 01:00:00' })
  doc.pending = await erp.pendingMove({ product: cola, qty: 1, from: ids.whStock, to: ids.locCustomers, date: '2026-12-05 01:00:00' }, 'assigned')
  // a back-dated receipt entered today for last month
  doc.backdated = await erp.doneMove({ product: water, qty: 100, from: ids.locVendors, to: ids.whStock, date: '2026-10-15 16:30:00', unitCost: 0.8 })
  // many moves written by one transaction: one write_date for all
  await erp.tx(async (c) => {
    for (let i = 0; i < BULK; i++) await erp.doneMove({ product: water, qty: 1 + (i % 5), from: ids.whStock, to: ids.locCustomers, date: '2026-12-04 08:00:00', unitCost: 0.8 }, c)
  })
  // payments: in, out, internal transfer, a draft, one posted then reset to draft below
  await erp.payment({ type: 'inbound', amount: 300, date: '2026-12-02' })
  await erp.payment({ type: 'outbound', amount: 428.5, date: '2026-12-02' })
  await erp.payment({ type: 'outbound', amount: 1000, date: '2026-12-02', internal: true })
  await erp.payment({ type: 'inbound', amount: 55, date: '2026-12-02', state: 'draft' })
  doc.payReset = await erp.payment({ type: 'inbound', amount: 77, date: '2026-12-03' })
})

afterAll(async () => {
  await erp?.drop()
})

async function readAll(stream: StreamMapping) {
  const read = await readStream(stream, run, ctx, { after: reads.get(stream.name)?.watermark ?? null, limit: LIMIT })
  const prev = reads.get(stream.name)
  reads.set(stream.name, prev ? { ...read, keys: [...prev.keys, ...read.keys], results: [...prev.results, ...read.results] } : read)
  return read
}

const ids = async (table: string) => (await erp.pool.query(`SELECT t.id::text AS k FROM ${table} t ORDER BY t.id`)).rows.map((r: { k: string }) => r.k)
const sql1 = async (text: string, values: unknown[] = []) => Number((await erp.pool.query(text, values)).rows[0].v ?? 0)

describe('Odoo 17 mapping against PostgreSQL', () => {
  test('paging by watermark visits every row exactly once, even when many rows share a write_date', async () => {
    const tables = { 'stock-moves': 'stock_move', 'sale-order-lines': 'sale_order_line', 'purchase-order-lines': 'purchase_order_line', payments: 'account_payment' } as const
    for (const stream of odooMapping.streams) {
      const read = await readAll(stream)
      const expected = await ids(tables[stream.name as keyof typeof tables])
      expect(
        [...read.keys].sort((a, b) => Number(a) - Number(b)),
        stream.name,
      ).toEqual(expected)
      expect(new Set(read.keys).size, stream.name).toBe(read.keys.length)
      if (stream.name === 'stock-moves') expect(read.pages).toBeGreaterThan(BULK / LIMIT)
    }
    // the bulk rows really share one write_date
    expect(await sql1(`SELECT max(n) AS v FROM (SELECT count(*) AS n FROM stock_move GROUP BY write_date) t`)).toBeGreaterThanOrEqual(BULK)
    // read again from the end: nothing new
    for (const stream of odooMapping.streams) expect((await readStream(stream, run, ctx, { after: reads.get(stream.name)!.watermark, limit: LIMIT })).keys).toEqual([])
  })

  test('a backfill from a date reads the moves of that business day on, in the business zone', async () => {
    // the back-dated receipt is 2026-10-15 16:30 UTC = 2026-10-16 00:30 in Shanghai
    const from16 = await readStream(odooStockMoves, run, ctx, { limit: LIMIT, since: '2026-10-16' })
    const from17 = await readStream(odooStockMoves, run, ctx, { limit: LIMIT, since: '2026-10-17' })
    expect(from16.keys).toContain(String(doc.backdated))
    expect(from17.keys).not.toContain(String(doc.backdated))
    expect(from17.keys).toHaveLength(from16.keys.length - 1)
    const other = await readStream(odooStockMoves, run, { ...ctx, company: String(erp.ids.company + 1) }, { limit: LIMIT })
    expect(other.keys).toEqual([])
  })

  test('the movements sum to what SQL sums from the same tables', async () => {
    const moves = foldResults(reads.get('stock-moves')!.results)
    expect(moves.rejected).toEqual([])
    const live = moves.live
    const flow = async (src: string, dest: string, what: 'quantity' | 'value') =>
      sql1(
        `SELECT sum(v.${what}) AS v FROM stock_valuation_layer v JOIN stock_move m ON m.id = v.stock_move_id
         JOIN stock_location ls ON ls.id = m.location_id JOIN stock_location ld ON ld.id = m.location_dest_id
         WHERE m.state = 'done' AND ls.usage = $1 AND ld.usage = $2`,
        [src, dest],
      )
    // quantities: the layers' quantity is Odoo's own conversion to the product unit
    expect(sumOf(live, 'purchase_receipt', field('qty'))).toBeCloseTo(await flow('supplier', 'internal', 'quantity'), 3)
    expect(sumOf(live, 'purchase_receipt', field('lineAmount'))).toBeCloseTo(await flow('supplier', 'internal', 'value'), 2)
    expect(sumOf(live, 'sales_shipment', field('qty'))).toBeCloseTo(-(await flow('internal', 'customer', 'quantity')), 3)
    expect(sumOf(live, 'sales_shipment', field('lineCost'))).toBeCloseTo(-(await flow('internal', 'customer', 'value')), 2)
    expect(sumOf(live, 'sales_return', field('qty'))).toBeCloseTo(await flow('customer', 'internal', 'quantity'), 3)
    expect(sumOf(live, 'purchase_return', field('qty'))).toBeCloseTo(-(await flow('internal', 'supplier', 'quantity')), 3)
    // revenue: each shipped qty at its sale line's subtotal per product unit
    const revenue = await sql1(
      `SELECT sum(round(sol.price_subtotal / (sol.product_uom_qty / u.factor) * m.product_qty, 2)) AS v
       FROM stock_move m JOIN sale_order_line sol ON sol.id = m.sale_line_id JOIN uom_uom u ON u.id = sol.product_uom
       JOIN stock_location ld ON ld.id = m.location_dest_id WHERE m.state = 'done' AND ld.usage = 'customer'`,
    )
    const shipped = live.filter((m): m is Extract<Movement, { type: 'sales_shipment' }> => m.type === 'sales_shipment')
    expect(Math.round(shipped.reduce((s, m) => s + Math.round(m.qty * m.unitPrice * 100) / 100, 0) * 100) / 100).toBeCloseTo(revenue, 2)
    // adjustments: gains − losses = inventory → internal − internal → inventory
    const net = live.filter((m) => m.type === 'stocktake').reduce((s, m) => s + (m.type === 'stocktake' ? m.countedQty - (m.bookQty ?? 0) : 0), 0)
    expect(net).toBeCloseTo((await flow('inventory', 'internal', 'quantity')) + (await flow('internal', 'inventory', 'quantity')), 3)
    // transfers: out of WH into transit, out of transit into BJ; the move within WH is skipped
    const transfers = live.filter((m) => m.type === 'transfer').map((m) => (m.type === 'transfer' ? [m.warehouse, m.toWarehouse, m.qty] : []))
    expect(transfers).toEqual([
      ['o1:WH', `o1:transit-${erp.ids.locTransit}`, 10],
      [`o1:transit-${erp.ids.locTransit}`, 'o1:BJ', 10],
    ])
    expect(moves.skipped.map((s) => s.key)).toEqual(expect.arrayContaining([String(doc.internal), String(doc.consumable), String(doc.pending)]))
    // the back-dated receipt lands on its own business date (UTC 16:30 is 00:30 the next day in Shanghai)
    expect(live.find((m) => m.id === `o1:sm:${doc.backdated}`)?.occurredAt).toBe('2026-10-16T00:30:00+08:00')

    const orders = foldResults([...reads.get('sale-order-lines')!.results, ...reads.get('purchase-order-lines')!.results]).live
    expect(sumOf(orders, 'sales_order', field('lineAmount'))).toBeCloseTo(await sql1(`SELECT sum(price_subtotal) AS v FROM sale_order_line WHERE state = 'sale'`), 2)
    expect(sumOf(orders, 'purchase_order', field('lineAmount'))).toBeCloseTo(await sql1(`SELECT sum(price_subtotal) AS v FROM purchase_order_line WHERE state = 'purchase'`), 2)
    expect(sumOf(orders, 'purchase_order', field('qty'))).toBeCloseTo(
      await sql1(`SELECT sum(l.product_qty / u.factor) AS v FROM purchase_order_line l JOIN uom_uom u ON u.id = l.product_uom WHERE l.state = 'purchase'`),
      3,
    )

    const pays = foldResults(reads.get('payments')!.results).live
    const paid = (type: string) =>
      sql1(
        `SELECT sum(p.amount) AS v FROM account_payment p JOIN account_move am ON am.id = p.move_id WHERE am.state = 'posted' AND NOT p.is_internal_transfer AND p.payment_type = $1`,
        [type],
      )
    expect(sumOf(pays, 'payment_in', field('amount'))).toBeCloseTo(await paid('inbound'), 2)
    expect(sumOf(pays, 'payment_out', field('amount'))).toBeCloseTo(await paid('outbound'), 2)
  })

  test('a move leaving done, a payment reset to draft and a cancelled order are read again as cancels', async () => {
    const so = await erp.saleOrder({ name: 'S00003', dateOrder: '2026-12-05 02:00:00' }, [{ product: erp.ids.products.TEA!, qty: 3, priceUnit: 9 }])
    await readAll(odooSaleOrderLines)
    await erp.cancelMove(doc.shipCola!)
    await erp.paymentToDraft(doc.payReset!)
    await erp.setOrderState('sale', so.order, 'cancel')
    // and a new receipt written in the same moment as nothing else
    await erp.doneMove({ product: erp.ids.products.WATER!, qty: 2, from: erp.ids.locVendors, to: erp.ids.whStock, date: '2026-12-05 03:00:00', unitCost: 0.8 })

    const moves = await readAll(odooStockMoves)
    expect(moves.keys).toHaveLength(2)
    expect(moves.results[0]!.result).toEqual({
      movements: [{ type: 'cancel', id: `o1:sm:${doc.shipCola}:x`, occurredAt: '2026-12-02T10:30:00+08:00', cancels: `o1:sm:${doc.shipCola}` }],
    })
    const pays = await readAll(odooPayments)
    expect(pays.results.map((r) => r.result)).toEqual([{ movements: [expect.objectContaining({ type: 'cancel', cancels: `o1:pay:${doc.payReset}` })] }])
    const lines = await readAll(odooSaleOrderLines)
    expect(lines.results.map((r) => r.result)).toEqual([{ movements: [expect.objectContaining({ type: 'cancel', cancels: `o1:sol:${so.lines[0]}` })] }])
    expect((await readAll(odooPurchaseOrderLines)).keys).toEqual([])

    // the figures follow: the cancelled shipment is gone from the sums SQL gives for done moves
    const live = foldResults(reads.get('stock-moves')!.results).live
    const shippedQty = await sql1(
      `SELECT -sum(v.quantity) AS v FROM stock_valuation_layer v JOIN stock_move m ON m.id = v.stock_move_id JOIN stock_location ld ON ld.id = m.location_dest_id WHERE m.state = 'done' AND ld.usage = 'customer'`,
    )
    expect(sumOf(live, 'sales_shipment', field('qty'))).toBeCloseTo(shippedQty, 3)
    const pays2 = foldResults(reads.get('payments')!.results).live
    expect(sumOf(pays2, 'payment_in', field('amount'))).toBe(300)
  })

  test('master data: products with their category and unit, warehouses, customers and vendors', async () => {
    const records: Record<string, unknown[]> = {}
    for (const stream of odooMapping.master) {
      let after = null
      const out: unknown[] = []
      for (;;) {
        const rows = await run(stream.page(after, 2, ctx))
        for (const row of rows) {
          after = stream.watermark(row, ctx)
          const r = stream.map(row, ctx)
          if ('record' in r) out.push(r.record)
        }
        if (rows.length < 2) break
      }
      records[stream.kind] = out
    }
    expect(records.skus).toContainEqual({ code: 'o1:COLA', name: 'cola（中）', nameEn: 'cola', category: `o1:${erp.ids.category}`, unit: '件' })
    expect(records.skus).toContainEqual(expect.objectContaining({ code: `o1:product-${erp.ids.products['(none)']}` }))
    expect(records.skus!.some((s) => (s as { code: string }).code === 'o1:BAG')).toBe(false)
    expect(records.warehouses).toEqual([
      { code: 'o1:WH', name: '上海仓' },
      { code: 'o1:BJ', name: '北京仓' },
    ])
    expect(records.partners).toEqual([
      { code: `o1:${erp.ids.vendor}`, name: '华东供应商', kind: 'supplier' },
      { code: `o1:${erp.ids.customer}`, name: '上海客户', kind: 'customer' },
    ])
    expect(records.categories).toEqual([{ code: `o1:${erp.ids.category}`, name: 'All / 饮料' }])
  })
})
