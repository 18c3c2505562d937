/**
 * The Odoo 17 mapping row by row (server/sources/odoo.ts): which movement each stock move, order
 * line and payment becomes, in which units, at which cost and price, on which instant; what is
 * skipped, cancelled or rejected and why. Every movement produced must pass the ingest validator.
 */
import { describe, expect, test } from 'vitest'
import type { Movement } from '../../protocol/movement.ts'
import { validateMovement } from '../../server/ingest/validate.ts'
import type { MapContext, RowResult } from '../../server/sources/mapping.ts'
import { mapOrderLine, mapPayment, mapStockMove, odooMapping, odooPartners, odooProducts, odooStockMoves, toProductUnit } from '../../server/sources/odoo.ts'

const ctx: MapContext = { tz: 'Asia/Shanghai', baseCurrency: 'CNY', idPrefix: 'o:' }

/** the movements of a result, each checked by the ingest validator */
function movements(r: RowResult): Movement[] {
  if (!('movements' in r)) throw new Error(`expected movements, got ${JSON.stringify(r)}`)
  for (const m of r.movements) {
    const v = validateMovement(m, 0, { baseCurrency: 'CNY', foreignCurrencies: true, now: Date.parse('2026-12-31T00:00:00Z') })
    if (!v.ok) throw new Error(`invalid movement ${JSON.stringify(m)}: ${JSON.stringify(v.rejected.errors)}`)
  }
  return r.movements
}
const one = (r: RowResult) => {
  const ms = movements(r)
  expect(ms).toHaveLength(1)
  return ms[0]!
}

/** a done receipt of 10 units of COLA into WH/Stock, valued 50 */
const move = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  wm_modified: '2026-12-01T01:00:00.123Z',
  wm_key: '41',
  id: '41',
  state: 'done',
  date: '2026-12-01 01:00:00.000000',
  quantity: '10.00',
  move_uom_factor: '1.0',
  product_uom_factor: '1.0',
  product_uom_rounding: '0.01',
  product_id: 7,
  default_code: 'COLA',
  product_type: 'product',
  src_usage: 'supplier',
  src_location_id: 4,
  src_warehouse: null,
  dest_usage: 'internal',
  dest_location_id: 8,
  dest_warehouse: 'WH',
  origin_returned_move_id: null,
  move_price_unit: '5',
  company_currency: 'CNY',
  sale_order: null,
  sale_subtotal: null,
  sale_qty: null,
  sale_uom_factor: null,
  sale_currency: null,
  commitment_date: null,
  sale_date_order: null,
  customer_lead: null,
  purchase_order: 'P00001',
  date_planned: '2026-12-02 08:00:00.000000',
  partner_id: 12,
  svl_quantity: '10.00',
  svl_value: '50.00',
  svl_layers: '1',
  ...over,
})
const shipment = (over: Record<string, unknown> = {}) =>
  move({
    src_usage: 'internal',
    src_location_id: 8,
    src_warehouse: 'WH',
    dest_usage: 'customer',
    dest_location_id: 5,
    dest_warehouse: null,
    purchase_order: null,
    date_planned: null,
    sale_order: 'S00001',
    sale_subtotal: '216.00',
    sale_qty: '2.00',
    sale_uom_factor: String(1 / 12),
    sale_currency: 'CNY',
    quantity: '24.00',
    svl_quantity: '-24.00',
    svl_value: '-120.00',
    commitment_date: '2026-12-02 10:00:00.000000',
    sale_date_order: '2026-12-01 03:00:00.000000',
    customer_lead: '0',
    ...over,
  })

describe('stock moves', () => {
  test('a receipt from a vendor: qty in the product unit, the valuation layer as cost, the order as ref and due instant', () => {
    expect(one(mapStockMove(move(), ctx))).toEqual({
      type: 'purchase_receipt',
      id: 'o:sm:41',
      occurredAt: '2026-12-01T09:00:00+08:00',
      sku: 'o:COLA',
      warehouse: 'o:WH',
      qty: 10,
      unitCost: 5,
      lineAmount: 50,
      partner: 'o:12',
      ref: 'o:P00001',
      dueAt: '2026-12-02T16:00:00+08:00',
    })
  })

  test('a move in dozens of a product kept in units: 2 dozens are 24 units, the cost per unit', () => {
    const m = one(mapStockMove(move({ quantity: '2', move_uom_factor: String(1 / 12), svl_quantity: '24', svl_value: '120' }), ctx))
    expect(m).toMatchObject({ qty: 24, unitCost: 5, lineAmount: 120 })
  })

  test('units: qty / from.factor × to.factor, rounded half-up to the product unit rounding', () => {
    expect(toProductUnit(2, 1 / 12, 1, 0.01)).toBe(24)
    expect(toProductUnit(1500, 1000, 1, 0.001)).toBe(1.5) // grams (factor 1000) to kg
    expect(toProductUnit(1, 1, 1 / 12, 0.01)).toBe(0.08) // one unit is 0.0833 dozen → 0.08
    expect(toProductUnit(1.005, 1, 1, 0.01)).toBe(1.01)
    expect(toProductUnit(2.3, 1, 1, 0.5)).toBe(2.5) // a unit counted in halves
    expect(toProductUnit(2.2, 1, 1, 0.25)).toBe(2.25)
    expect(toProductUnit(7, 1, 1, 1)).toBe(7)
  })

  test('without a valuation layer the cost is the move price_unit; without either the receipt is rejected', () => {
    expect(one(mapStockMove(move({ svl_layers: '0', svl_value: null, svl_quantity: null, move_price_unit: '4.2' }), ctx))).toMatchObject({ unitCost: 4.2 })
    expect(one(mapStockMove(move({ svl_layers: '0', svl_value: null, svl_quantity: null, move_price_unit: '4.2' }), ctx))).not.toHaveProperty('lineAmount')
    expect(mapStockMove(move({ svl_layers: '0', svl_value: null, move_price_unit: null }), ctx)).toEqual({ reject: 'receipt without valuation layer or price_unit: no cost' })
  })

  test('a delivery: price from the sale line (after discount, per product unit), COGS from the layer, the commitment date as due', () => {
    expect(one(mapStockMove(shipment(), ctx))).toEqual({
      type: 'sales_shipment',
      id: 'o:sm:41',
      occurredAt: '2026-12-01T09:00:00+08:00',
      sku: 'o:COLA',
      warehouse: 'o:WH',
      qty: 24,
      unitPrice: 9,
      unitCost: 5,
      lineCost: 120,
      partner: 'o:12',
      ref: 'o:S00001',
      dueAt: '2026-12-02T18:00:00+08:00',
    })
  })

  test('without a commitment date a delivery is due date_order + the line customer_lead days', () => {
    expect(one(mapStockMove(shipment({ commitment_date: null, customer_lead: '3' }), ctx))).toMatchObject({ dueAt: '2026-12-04T11:00:00+08:00' })
    expect(one(mapStockMove(shipment({ commitment_date: null, sale_date_order: null }), ctx))).not.toHaveProperty('dueAt')
  })

  test('a delivery in another currency than the company: the order currency, no cost (the layer is in company currency)', () => {
    const m = one(mapStockMove(shipment({ sale_currency: 'USD' }), ctx))
    expect(m).toMatchObject({ currency: 'USD', unitPrice: 9 })
    expect(m).not.toHaveProperty('unitCost')
  })

  test('a delivery without a sale line sells at 0', () => {
    expect(one(mapStockMove(shipment({ sale_order: null, sale_subtotal: null }), ctx))).toMatchObject({ type: 'sales_shipment', unitPrice: 0, unitCost: 5 })
  })

  test('a customer return and a return to the vendor name the move they return', () => {
    const ret = one(
      mapStockMove(
        shipment({ src_usage: 'customer', src_warehouse: null, dest_usage: 'internal', dest_warehouse: 'WH', origin_returned_move_id: 40, svl_value: '20', quantity: '4' }),
        ctx,
      ),
    )
    expect(ret).toMatchObject({ type: 'sales_return', warehouse: 'o:WH', qty: 4, unitPrice: 9, unitCost: 5, lineCost: 20, returnOf: 'o:sm:40', ref: 'o:S00001' })
    const back = one(
      mapStockMove(
        move({ src_usage: 'internal', src_warehouse: 'WH', dest_usage: 'supplier', dest_warehouse: null, origin_returned_move_id: 39, quantity: '6', svl_value: '-30' }),
        ctx,
      ),
    )
    expect(back).toMatchObject({ type: 'purchase_return', warehouse: 'o:WH', qty: 6, unitCost: 5, lineAmount: 30, returnOf: 'o:sm:39' })
  })

  test('transfers between warehouses, through a transit location outside any warehouse; moves inside one warehouse are skipped', () => {
    const internal = { src_usage: 'internal', src_warehouse: 'WH', dest_usage: 'internal', dest_warehouse: 'BJ', svl_layers: '0', svl_value: null }
    expect(one(mapStockMove(move(internal), ctx))).toEqual({
      type: 'transfer',
      id: 'o:sm:41',
      occurredAt: '2026-12-01T09:00:00+08:00',
      sku: 'o:COLA',
      qty: 10,
      warehouse: 'o:WH',
      toWarehouse: 'o:BJ',
    })
    expect(one(mapStockMove(move({ ...internal, dest_usage: 'transit', dest_warehouse: null, dest_location_id: 99 }), ctx))).toMatchObject({ toWarehouse: 'o:transit-99' })
    expect(mapStockMove(move({ ...internal, dest_warehouse: 'WH' }), ctx)).toEqual({ skip: 'move inside one warehouse' })
    expect(mapStockMove(move({ ...internal, dest_warehouse: null }), ctx)).toEqual({ reject: 'destination location 8 belongs to no warehouse' })
  })

  test('inventory and production locations: a stocktake whose book and counted qty differ by the move', () => {
    expect(one(mapStockMove(move({ src_usage: 'inventory' }), ctx))).toEqual({
      type: 'stocktake',
      id: 'o:sm:41',
      occurredAt: '2026-12-01T09:00:00+08:00',
      sku: 'o:COLA',
      warehouse: 'o:WH',
      bookQty: 0,
      countedQty: 10,
    })
    expect(one(mapStockMove(move({ src_usage: 'internal', src_warehouse: 'WH', dest_usage: 'production', dest_warehouse: null }), ctx))).toMatchObject({
      type: 'stocktake',
      bookQty: 10,
      countedQty: 0,
    })
  })

  test('skips: not done, consumables, dropship, zero qty; rejects: unreadable date, missing unit factor', () => {
    expect(mapStockMove(move({ state: 'assigned' }), ctx)).toEqual({ skip: 'state assigned: not done yet' })
    expect(mapStockMove(move({ product_type: 'consu' }), ctx)).toEqual({ skip: 'product type consu: Odoo keeps no stock of it' })
    expect(mapStockMove(move({ dest_usage: 'customer', dest_warehouse: null }), ctx)).toEqual({ skip: 'supplier → customer: no stock location (dropship or virtual)' })
    expect(mapStockMove(move({ quantity: '0' }), ctx)).toEqual({ skip: 'quantity 0' })
    expect(mapStockMove(move({ date: 'yesterday' }), ctx)).toEqual({ reject: 'unreadable date "yesterday"' })
    expect(mapStockMove(move({ move_uom_factor: null }), ctx)).toEqual({ reject: 'unit of measure factor missing (move_uom_factor, product_uom_factor)' })
  })

  test('a move that left done is a cancel of its movement; one cancelled before it was done is skipped', () => {
    expect(mapStockMove(move({ state: 'cancel' }), ctx)).toEqual({ movements: [{ type: 'cancel', id: 'o:sm:41:x', occurredAt: '2026-12-01T09:00:00+08:00', cancels: 'o:sm:41' }] })
    expect(mapStockMove(move({ state: 'cancel', svl_layers: '0' }), ctx)).toEqual({ skip: 'cancelled before it was done' })
  })

  test('the SKU code is the internal reference, else product-<id>', () => {
    expect(one(mapStockMove(move({ default_code: null }), ctx))).toMatchObject({ sku: 'o:product-7' })
    expect(one(mapStockMove(move({ default_code: 'A|B' }), ctx))).toMatchObject({ sku: 'o:product-7' })
  })

  test('times are UTC in Odoo: shown with the business zone offset, the business day follows', () => {
    expect(one(mapStockMove(move({ date: '2026-12-31 16:30:00.000000' }), { ...ctx, tz: 'Asia/Shanghai' })).occurredAt).toBe('2027-01-01T00:30:00+08:00')
    expect(one(mapStockMove(move({ date: '2026-07-01 12:00:00.000000' }), { ...ctx, tz: 'Europe/Berlin' })).occurredAt).toBe('2026-07-01T14:00:00+02:00')
  })

  test('the watermark is the row modified text and key', () => {
    expect(odooStockMoves.watermark(move(), ctx)).toEqual({ modified: '2026-12-01T01:00:00.123Z', key: '41' })
  })
})

describe('page queries', () => {
  test('after a watermark: (write_date at the millisecond, id) strictly after it, the since date at the start of its business day', () => {
    const q = odooStockMoves.page({ modified: '2026-12-01T01:00:00.123Z', key: '41' }, 500, '2026-11-01', { ...ctx, company: '1' })
    expect(q.text).toContain(`(date_trunc('milliseconds', COALESCE(m.write_date, m.create_date)), m.id) > (($1::timestamptz AT TIME ZONE 'UTC'), $2::bigint)`)
    expect(q.text).toContain(`m.date >= (($3::date::timestamp AT TIME ZONE $4) AT TIME ZONE 'UTC')`)
    expect(q.text).toContain('m.company_id = $5::integer')
    expect(q.text).toContain(`ORDER BY date_trunc('milliseconds', COALESCE(m.write_date, m.create_date)), m.id LIMIT $6`)
    expect(q.text).toMatch(/ORDER BY date_trunc\('milliseconds', COALESCE\(m.write_date, m.create_date\)\), m.id$/)
    expect(q.values).toEqual(['2026-12-01T01:00:00.123Z', '41', '2026-11-01', 'Asia/Shanghai', '1', 500])
  })

  test('a company that is not a res_company id is a configuration error, named', () => {
    expect(() => odooStockMoves.page(null, 10, undefined, { ...ctx, company: 'ACME' })).toThrow('company must be an Odoo res_company id (an integer), not "ACME"')
  })

  test('the first page has no watermark condition', () => {
    const q = odooStockMoves.page(null, 10, undefined, ctx)
    expect(q.values).toEqual([10])
    expect(q.text).toContain('WHERE TRUE')
  })

  test('the mapping: postgres, master data before four movement streams', () => {
    expect(odooMapping.dialect).toBe('postgres')
    expect(odooMapping.streams.map((s) => s.name)).toEqual(['stock-moves', 'sale-order-lines', 'purchase-order-lines', 'payments'])
    expect(odooMapping.master.map((s) => s.kind)).toEqual(['categories', 'warehouses', 'partners', 'skus'])
  })
})

describe('order lines', () => {
  const line = (over: Record<string, unknown> = {}) => ({
    id: '9',
    display_type: null,
    order_name: 'S00001',
    state: 'sale',
    date_order: '2026-12-01 03:00:00.000000',
    commitment_date: null,
    customer_lead: '2',
    date_planned: '2026-12-05 02:00:00.000000',
    qty: '2',
    price_subtotal: '216.00',
    line_uom_factor: String(1 / 12),
    product_uom_factor: '1',
    product_uom_rounding: '0.01',
    product_id: 7,
    default_code: 'COLA',
    product_type: 'product',
    currency: 'CNY',
    partner_id: 12,
    warehouse: 'WH',
    ...over,
  })

  test('a confirmed sale line: qty in product units, price from the subtotal, due date_order + customer_lead', () => {
    expect(one(mapOrderLine(line(), ctx, 'sale'))).toEqual({
      type: 'sales_order',
      id: 'o:sol:9',
      occurredAt: '2026-12-01T11:00:00+08:00',
      sku: 'o:COLA',
      warehouse: 'o:WH',
      qty: 24,
      unitPrice: 9,
      lineAmount: 216,
      ref: 'o:S00001',
      partner: 'o:12',
      dueAt: '2026-12-03T11:00:00+08:00',
    })
  })

  test('a confirmed purchase line is due at its date_planned; a foreign currency is named', () => {
    expect(one(mapOrderLine(line({ state: 'purchase', order_name: 'P00001', currency: 'USD' }), ctx, 'purchase'))).toEqual({
      type: 'purchase_order',
      id: 'o:pol:9',
      occurredAt: '2026-12-01T11:00:00+08:00',
      sku: 'o:COLA',
      warehouse: 'o:WH',
      qty: 24,
      unitCost: 9,
      lineAmount: 216,
      ref: 'o:P00001',
      partner: 'o:12',
      dueAt: '2026-12-05T10:00:00+08:00',
      currency: 'USD',
    })
  })

  test('cancelled orders are cancels; drafts, sections and services are skipped; a line without warehouse is rejected', () => {
    expect(movements(mapOrderLine(line({ state: 'cancel' }), ctx, 'sale'))).toEqual([
      { type: 'cancel', id: 'o:sol:9:x', occurredAt: '2026-12-01T11:00:00+08:00', cancels: 'o:sol:9' },
    ])
    expect(mapOrderLine(line({ state: 'draft' }), ctx, 'sale')).toEqual({ skip: 'order state draft: not confirmed' })
    expect(mapOrderLine(line({ state: 'to approve' }), ctx, 'purchase')).toEqual({ skip: 'order state to approve: not confirmed' })
    expect(mapOrderLine(line({ display_type: 'line_section' }), ctx, 'sale')).toEqual({ skip: 'line_section line' })
    expect(mapOrderLine(line({ product_type: 'service' }), ctx, 'sale')).toEqual({ skip: 'product type service: not a stocked product' })
    expect(mapOrderLine(line({ warehouse: null }), ctx, 'sale')).toEqual({ reject: 'order S00001 has no warehouse' })
  })
})

describe('payments', () => {
  const pay = (over: Record<string, unknown> = {}) => ({
    id: '3',
    payment_type: 'inbound',
    partner_type: 'customer',
    amount: '300.00',
    is_internal_transfer: false,
    state: 'posted',
    posted_before: true,
    date: '2026-12-02',
    move_name: 'PBNK1/2026/00001',
    currency: 'CNY',
    partner_id: 12,
    ...over,
  })

  test('posted payments in and out on their accounting date, at the start of the business day', () => {
    expect(one(mapPayment(pay(), ctx))).toEqual({
      type: 'payment_in',
      id: 'o:pay:3',
      occurredAt: '2026-12-02T00:00:00+08:00',
      amount: 300,
      partner: 'o:12',
      ref: 'o:PBNK1/2026/00001',
    })
    expect(one(mapPayment(pay({ payment_type: 'outbound', amount: '428.5', currency: 'EUR' }), ctx))).toMatchObject({ type: 'payment_out', amount: 428.5, currency: 'EUR' })
  })

  test('reset to draft or cancelled after posting: a cancel; never posted or internal: skipped', () => {
    expect(movements(mapPayment(pay({ state: 'draft' }), ctx))).toEqual([{ type: 'cancel', id: 'o:pay:3:x', occurredAt: '2026-12-02T00:00:00+08:00', cancels: 'o:pay:3' }])
    expect(movements(mapPayment(pay({ state: 'cancel' }), ctx))).toHaveLength(1)
    expect(mapPayment(pay({ state: 'draft', posted_before: false }), ctx)).toEqual({ skip: 'state draft: never posted' })
    expect(mapPayment(pay({ is_internal_transfer: true }), ctx)).toEqual({ skip: 'internal transfer' })
    expect(mapPayment(pay({ payment_type: 'sideways' }), ctx)).toEqual({ reject: 'payment_type sideways' })
  })
})

describe('master data', () => {
  test('products: code, Chinese name with the English one, category code, unit; consumables skipped', () => {
    const row = { id: 7, default_code: 'COLA', name: '可乐', name_en: 'Cola', product_type: 'product', categ_id: 3, unit: '件' }
    expect(odooProducts.map(row, ctx)).toEqual({ record: { code: 'o:COLA', name: '可乐', nameEn: 'Cola', category: 'o:3', unit: '件' } })
    expect(odooProducts.map({ ...row, product_type: 'consu' }, ctx)).toEqual({ skip: 'not a stocked product' })
  })

  test('partners: customer, vendor or both by rank; neither is skipped', () => {
    expect(odooPartners.map({ id: 5, name: 'ACME', customer_rank: 1, supplier_rank: 2 }, ctx)).toEqual({ record: { code: 'o:5', name: 'ACME', kind: 'both' } })
    expect(odooPartners.map({ id: 5, name: 'ACME', customer_rank: 0, supplier_rank: 0 }, ctx)).toEqual({ skip: 'neither customer nor vendor' })
  })
})
