/**
 * The ready-made Odoo 17 mapping (PostgreSQL): stock moves valued by the stock valuation layers,
 * sale and purchase order lines, customer and vendor payments, and products, categories,
 * warehouses and partners as master data (docs/connectors.md "Odoo 17").
 *
 * Tables and columns are Odoo 17's (odoo/odoo, branch 17.0):
 * - `stock_move`: addons/stock/models/stock_move.py (state, product_id, product_uom, quantity,
 *   date, reference, location_id, location_dest_id, picking_id, origin_returned_move_id,
 *   company_id, price_unit, write_date); `sale_line_id` from addons/sale_stock/models/stock.py,
 *   `purchase_line_id` from addons/purchase_stock/models/stock.py.
 * - `stock_location` (usage, warehouse_id): addons/stock/models/stock_location.py;
 *   `stock_warehouse` (code, name): addons/stock/models/stock_warehouse.py;
 *   `stock_picking` (partner_id), `stock_picking_type` (warehouse_id).
 * - `stock_valuation_layer` (stock_move_id, quantity, value, unit_cost):
 *   addons/stock_account/models/stock_valuation_layer.py: the ERP's own cost of each move.
 * - `uom_uom` (factor, rounding): addons/uom/models/uom_uom.py; `_compute_quantity` converts
 *   qty / from.factor × to.factor, which is how a move's qty reaches the product's unit here.
 * - `sale_order` / `sale_order_line`: addons/sale/models/sale_order{,_line}.py (state, date_order,
 *   commitment_date, warehouse_id; product_uom_qty, product_uom, price_subtotal, customer_lead,
 *   display_type, currency_id).
 * - `purchase_order` / `purchase_order_line`: addons/purchase/models/purchase_order{,_line}.py
 *   (state, date_order, picking_type_id; product_qty, product_uom, price_subtotal, date_planned).
 * - `account_payment` (move_id, payment_type, partner_type, partner_id, amount, currency_id,
 *   is_internal_transfer) delegating to `account_move` (state, date, posted_before, name):
 *   addons/account/models/account_payment.py, account_move.py.
 * - `product_product` (default_code, product_tmpl_id), `product_template` (name jsonb, type,
 *   categ_id, uom_id), `product_category` (name, complete_name), `res_partner` (name,
 *   commercial_partner_id, customer_rank, supplier_rank), `res_currency` (name), `res_company`.
 *
 * Odoo writes every timestamp as UTC without an offset (`timestamp without time zone`) and sets
 * `write_date` on every write; the watermark is `write_date` truncated to the millisecond (the
 * precision a watermark keeps), compared in SQL at that precision so a page never stops inside a
 * millisecond it would then skip or re-read forever.
 */
import type { Movement } from '../../protocol/movement.ts'
import type { ErpMapping, MapContext, MasterStream, RowResult, SqlQuery, StreamMapping, Watermark } from './mapping.ts'
import { adjustmentOf, cancelsOf, codeOf, defined, idOf, instantOf, num, rfc3339, roundMoney, roundPrice, roundQty, roundTo, text } from './mapping-kit.ts'

type Row = Record<string, unknown>

/** Builds a `pg` query: `$n` placeholders in the order values are added. */
class PgQuery {
  readonly values: unknown[] = []
  $(v: unknown): string {
    this.values.push(v)
    return `$${this.values.length}`
  }
}

/** `modified` of a row: the ERP timestamp truncated to the millisecond, as RFC 3339 UTC text. */
const wmText = (expr: string) => `to_char(date_trunc('milliseconds', ${expr}), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
/** a timestamp column as UTC text without offset (read back with zone 'UTC') */
const tsText = (expr: string) => `to_char(${expr}, 'YYYY-MM-DD HH24:MI:SS.US')`

/**
 * The tail of every page query: rows strictly after the watermark in (modified, key) order, at
 * most `limit`. `modified` is the millisecond-truncated expression the row's watermark is read
 * from; `after.modified` is RFC 3339 UTC, turned back into Odoo's naive UTC.
 */
function pagePredicate(q: PgQuery, modifiedExpr: string, keyExpr: string, after: Watermark | null): string {
  if (!after) return 'TRUE'
  return `(date_trunc('milliseconds', ${modifiedExpr}), ${keyExpr}) > ((${q.$(after.modified)}::timestamptz AT TIME ZONE 'UTC'), ${q.$(after.key)}::bigint)`
}
const orderAndLimit = (q: PgQuery, modifiedExpr: string, keyExpr: string, limit: number) => `ORDER BY date_trunc('milliseconds', ${modifiedExpr}), ${keyExpr} LIMIT ${q.$(limit)}`

/** The first instant of business date `since` in the business zone, as Odoo's naive UTC. */
const sinceUtc = (q: PgQuery, since: string, tz: string) => `((${q.$(since)}::date::timestamp AT TIME ZONE ${q.$(tz)}) AT TIME ZONE 'UTC')`

/** The source's `company` as a `res_company.id`; a value that is not one is a configuration error. */
export function odooCompany(ctx: MapContext): string | undefined {
  if (ctx.company === undefined || ctx.company === '') return undefined
  if (!/^\d{1,10}$/.test(ctx.company)) throw new Error(`company must be an Odoo res_company id (an integer), not ${JSON.stringify(ctx.company)}`)
  return ctx.company
}

const watermarkOf = (row: Row): Watermark => ({ modified: String(row.wm_modified), key: String(row.wm_key) })

/** Where stock is held: an internal location, or a transit location between warehouses. */
const STOCK_USAGES = new Set(['internal', 'transit'])
/** Stock comes from or goes to nowhere the cockpit names: inventory loss/gain, scrap, production. */
const ADJUSTMENT_USAGES = new Set(['inventory', 'production'])

/** The SKU code of an Odoo product: its Internal Reference (`default_code`), else `product-<id>`. */
export function odooSkuCode(prefix: string, defaultCode: unknown, productId: unknown): string | undefined {
  return codeOf(prefix, defaultCode) ?? codeOf(prefix, `product-${text(productId) ?? ''}`)
}

/** The warehouse code of a location: its warehouse's `code`; a transit location outside any warehouse is `transit-<id>`. */
function locationWarehouse(prefix: string, usage: string | undefined, warehouseCode: unknown, locationId: unknown): string | undefined {
  return codeOf(prefix, warehouseCode) ?? (usage === 'transit' ? codeOf(prefix, `transit-${text(locationId) ?? ''}`) : undefined)
}

/**
 * A quantity in a line's unit → the product's unit, as `uom_uom._compute_quantity` does (qty /
 * from.factor × to.factor), rounded to the product unit's `rounding` half-up (stock moves compute
 * `product_qty` with rounding_method HALF-UP), then to the 3 decimals a movement keeps.
 */
export function toProductUnit(qty: number, fromFactor: number, toFactor: number, toRounding: number | undefined): number {
  let q = (qty / fromFactor) * toFactor
  if (toRounding !== undefined && toRounding > 0) {
    // float_round HALF-UP: to a multiple of the rounding, ties away from zero
    const steps = Math.floor(Math.abs(q) / toRounding + 0.5 + 1e-9)
    const decimals = (toRounding.toString().split('.')[1] ?? '').length || Math.max(0, Math.ceil(-Math.log10(toRounding) - 1e-9))
    q = Math.sign(q) * roundTo(steps * toRounding, Math.min(decimals, 10))
  }
  return roundQty(q)
}

/** A price per line unit → per product unit (the inverse ratio of quantities). */
const priceToProductUnit = (price: number, fromFactor: number, toFactor: number) => (price * fromFactor) / toFactor

/** Product-unit qty of a row with `<prefix>qty`, `<prefix>uom_factor`, `product_uom_factor`, `product_uom_rounding`. */
function rowQty(row: Row, qtyField: string, uomField: string): number | { reject: string } {
  const qty = num(row[qtyField])
  const from = num(row[uomField])
  const to = num(row.product_uom_factor)
  if (qty === undefined) return { reject: `${qtyField} is missing` }
  if (!from || !to) return { reject: `unit of measure factor missing (${uomField}, product_uom_factor)` }
  return toProductUnit(qty, from, to, num(row.product_uom_rounding))
}

// ---------------------------------------------------------------------------------------------
// stock moves

const MOVE_MODIFIED = `COALESCE(m.write_date, m.create_date)`

/** `stock_move` with its locations, warehouses, order lines and valuation layers. */
export const odooStockMoves: StreamMapping = {
  name: 'stock-moves',
  page(after, limit, since, ctx) {
    const q = new PgQuery()
    const where = [pagePredicate(q, MOVE_MODIFIED, 'm.id', after)]
    if (since) where.push(`m.date >= ${sinceUtc(q, since, ctx.tz)}`)
    const company = odooCompany(ctx)
    if (company) where.push(`m.company_id = ${q.$(company)}::integer`)
    // the page's move ids first (one scan of stock_move, an index scan with the index of
    // docs/connectors.md), then the joins for those rows only
    const text = `
WITH page AS (
  SELECT m.id FROM stock_move m
  WHERE ${where.join(' AND ')}
  ${orderAndLimit(q, MOVE_MODIFIED, 'm.id', limit)}
)
SELECT ${wmText(MOVE_MODIFIED)} AS wm_modified, m.id::text AS wm_key,
  m.id, m.state, m.reference, ${tsText('m.date')} AS date, m.quantity::text AS quantity,
  mu.factor::text AS move_uom_factor, pu.factor::text AS product_uom_factor, pu.rounding::text AS product_uom_rounding,
  m.product_id, pp.default_code, pt.type AS product_type,
  ls.usage AS src_usage, ls.id AS src_location_id, ws.code AS src_warehouse,
  ld.usage AS dest_usage, ld.id AS dest_location_id, wd.code AS dest_warehouse,
  m.origin_returned_move_id, m.price_unit::text AS move_price_unit, cc.name AS company_currency,
  so.name AS sale_order, sol.price_subtotal::text AS sale_subtotal, sol.product_uom_qty::text AS sale_qty,
  solu.factor::text AS sale_uom_factor, solc.name AS sale_currency,
  ${tsText('so.commitment_date')} AS commitment_date, ${tsText('so.date_order')} AS sale_date_order, sol.customer_lead::text AS customer_lead,
  po.name AS purchase_order, ${tsText('pol.date_planned')} AS date_planned,
  rp.commercial_partner_id AS partner_id,
  svl.quantity::text AS svl_quantity, svl.value::text AS svl_value, svl.layers AS svl_layers
FROM page
JOIN stock_move m ON m.id = page.id
JOIN product_product pp ON pp.id = m.product_id
JOIN product_template pt ON pt.id = pp.product_tmpl_id
JOIN uom_uom mu ON mu.id = m.product_uom
JOIN uom_uom pu ON pu.id = pt.uom_id
JOIN stock_location ls ON ls.id = m.location_id
JOIN stock_location ld ON ld.id = m.location_dest_id
LEFT JOIN stock_warehouse ws ON ws.id = ls.warehouse_id
LEFT JOIN stock_warehouse wd ON wd.id = ld.warehouse_id
LEFT JOIN res_company co ON co.id = m.company_id
LEFT JOIN res_currency cc ON cc.id = co.currency_id
LEFT JOIN stock_picking pk ON pk.id = m.picking_id
LEFT JOIN sale_order_line sol ON sol.id = m.sale_line_id
LEFT JOIN sale_order so ON so.id = sol.order_id
LEFT JOIN uom_uom solu ON solu.id = sol.product_uom
LEFT JOIN res_currency solc ON solc.id = sol.currency_id
LEFT JOIN purchase_order_line pol ON pol.id = m.purchase_line_id
LEFT JOIN purchase_order po ON po.id = pol.order_id
LEFT JOIN res_partner rp ON rp.id = COALESCE(so.partner_id, po.partner_id, pk.partner_id)
LEFT JOIN LATERAL (
  SELECT sum(v.quantity) AS quantity, sum(v.value) AS value, count(*) AS layers
  FROM stock_valuation_layer v WHERE v.stock_move_id = m.id
) svl ON TRUE
ORDER BY date_trunc('milliseconds', ${MOVE_MODIFIED}), m.id`
    return { text, values: q.values }
  },
  watermark: watermarkOf,
  map: mapStockMove,
}

/** Odoo's `stock_move` row → movements (exported for the unit tests' row-by-row cases). */
export function mapStockMove(row: Row, ctx: MapContext): RowResult {
  const p = ctx.idPrefix
  const id = idOf(p, `sm:${text(row.id) ?? ''}`)
  if (!id) return { reject: 'stock move id cannot be a movement id' }
  const occurredAt = rfc3339(row.date, 'UTC', ctx.tz)
  if (!occurredAt) return { reject: `unreadable date ${JSON.stringify(row.date)}` }
  const state = text(row.state)
  if (state === 'cancel') {
    // a move cancelled before it was done was never applied; one that was valued had been done
    return (num(row.svl_layers) ?? 0) > 0 ? cancelsOf([id], occurredAt) : { skip: 'cancelled before it was done' }
  }
  if (state !== 'done') return { skip: `state ${state ?? 'unknown'}: not done yet` }
  if (text(row.product_type) !== 'product') return { skip: `product type ${text(row.product_type) ?? 'unknown'}: Odoo keeps no stock of it` }

  const qty = rowQty(row, 'quantity', 'move_uom_factor')
  if (typeof qty !== 'number') return qty
  if (qty <= 0) return { skip: 'quantity 0' }
  const sku = odooSkuCode(p, row.default_code, row.product_id)
  if (!sku) return { reject: `product ${text(row.product_id) ?? '?'} has no usable code` }

  const srcUsage = text(row.src_usage)
  const destUsage = text(row.dest_usage)
  const src = STOCK_USAGES.has(srcUsage ?? '') ? locationWarehouse(p, srcUsage, row.src_warehouse, row.src_location_id) : undefined
  const dest = STOCK_USAGES.has(destUsage ?? '') ? locationWarehouse(p, destUsage, row.dest_warehouse, row.dest_location_id) : undefined
  if (STOCK_USAGES.has(srcUsage ?? '') && !src) return { reject: `source location ${text(row.src_location_id) ?? '?'} belongs to no warehouse` }
  if (STOCK_USAGES.has(destUsage ?? '') && !dest) return { reject: `destination location ${text(row.dest_location_id) ?? '?'} belongs to no warehouse` }

  // the ERP's own cost: the move's valuation layers (company currency), else the move's price_unit
  const svlValue = num(row.svl_value)
  const lineCost = svlValue !== undefined && (num(row.svl_layers) ?? 0) > 0 ? roundMoney(Math.abs(svlValue)) : undefined
  const movePrice = num(row.move_price_unit)
  const unitCost = lineCost !== undefined ? roundPrice(lineCost / qty) : movePrice !== undefined ? roundPrice(Math.abs(movePrice)) : undefined
  const companyCurrency = text(row.company_currency)
  const partner = codeOf(p, row.partner_id)
  const returnOf = text(row.origin_returned_move_id) ? idOf(p, `sm:${text(row.origin_returned_move_id)}`) : undefined
  const base = { id, occurredAt, sku, qty, partner }

  if (srcUsage === 'supplier' && dest) {
    if (unitCost === undefined) return { reject: 'receipt without valuation layer or price_unit: no cost' }
    const purchaseRef = text(row.purchase_order) ? idOf(p, String(row.purchase_order)) : undefined
    return ok(
      withCurrency(
        { type: 'purchase_receipt', ...base, warehouse: dest, unitCost, lineAmount: lineCost, ref: purchaseRef, dueAt: rfc3339(row.date_planned, 'UTC', ctx.tz) },
        companyCurrency,
        ctx,
      ),
    )
  }
  if (src && destUsage === 'supplier') {
    return ok(withCurrency({ type: 'purchase_return', ...base, warehouse: src, unitCost, lineAmount: lineCost, returnOf }, companyCurrency, ctx))
  }
  if (src && destUsage === 'customer') {
    const sale = salePrice(row, companyCurrency)
    if ('reject' in sale) return sale
    const saleRef = text(row.sale_order) ? idOf(p, String(row.sale_order)) : undefined
    const costs = sale.sameCurrency ? { unitCost, lineCost } : {}
    return ok(withCurrency({ type: 'sales_shipment', ...base, warehouse: src, unitPrice: sale.unitPrice, ...costs, ref: saleRef, dueAt: saleDue(row, ctx.tz) }, sale.currency, ctx))
  }
  if (srcUsage === 'customer' && dest) {
    const sale = salePrice(row, companyCurrency)
    if ('reject' in sale) return sale
    const costs = sale.sameCurrency ? { unitCost, lineCost } : {}
    const saleRef = text(row.sale_order) ? idOf(p, String(row.sale_order)) : undefined
    return ok(withCurrency({ type: 'sales_return', ...base, warehouse: dest, unitPrice: sale.unitPrice, ...costs, returnOf, ref: saleRef }, sale.currency, ctx))
  }
  if (src && dest) {
    if (src === dest) return { skip: 'move inside one warehouse' }
    return ok({ type: 'transfer', id, occurredAt, sku, qty, warehouse: src, toWarehouse: dest })
  }
  if (dest && ADJUSTMENT_USAGES.has(srcUsage ?? '')) return ok(adjustmentOf({ id, occurredAt, sku, warehouse: dest }, qty))
  if (src && ADJUSTMENT_USAGES.has(destUsage ?? '')) return ok(adjustmentOf({ id, occurredAt, sku, warehouse: src }, -qty))
  if (!src && !dest) return { skip: `${srcUsage ?? '?'} → ${destUsage ?? '?'}: no stock location (dropship or virtual)` }
  return { reject: `no movement type for ${srcUsage ?? '?'} → ${destUsage ?? '?'}` }
}

const ok = (m: Movement): RowResult => ({ movements: [defined(m as unknown as Record<string, unknown>) as unknown as Movement] })

/** Sets `currency` when the money is not in the cockpit's base currency. */
function withCurrency(m: Movement, currency: string | undefined, ctx: MapContext): Movement {
  if (currency && currency !== ctx.baseCurrency) return { ...m, currency } as Movement
  return m
}

/**
 * A shipment's or return's selling price per product unit, without taxes: the sale line's
 * `price_subtotal` ÷ `product_uom_qty` (discount included), converted from the line's unit. A
 * delivery without a sale line (a manual delivery) sells at 0: Odoo has no price for it either.
 */
function salePrice(row: Row, companyCurrency: string | undefined): { unitPrice: number; currency: string | undefined; sameCurrency: boolean } | { reject: string } {
  if (!text(row.sale_order)) return { unitPrice: 0, currency: companyCurrency, sameCurrency: true }
  const subtotal = num(row.sale_subtotal)
  const lineQty = num(row.sale_qty)
  const from = num(row.sale_uom_factor)
  const to = num(row.product_uom_factor)
  if (subtotal === undefined || !lineQty || !from || !to) return { reject: 'sale order line without price_subtotal, product_uom_qty or unit' }
  const currency = text(row.sale_currency) ?? companyCurrency
  return { unitPrice: roundPrice(priceToProductUnit(subtotal / lineQty, from, to)), currency, sameCurrency: currency === companyCurrency }
}

/** The promised instant of a sale line: the order's `commitment_date`, else `date_order` + the line's `customer_lead` days. */
function saleDue(row: Row, tz: string): string | undefined {
  const committed = rfc3339(row.commitment_date, 'UTC', tz)
  if (committed) return committed
  const ordered = instantOf(row.sale_date_order, 'UTC')
  const lead = num(row.customer_lead)
  if (ordered === undefined || lead === undefined) return undefined
  return rfc3339(new Date(ordered + Math.round(lead * 86_400_000)).toISOString(), 'UTC', tz)
}

// ---------------------------------------------------------------------------------------------
// order lines

const LINE_MODIFIED = `GREATEST(COALESCE(l.write_date, l.create_date), COALESCE(o.write_date, o.create_date))`

/** What differs between a sale and a purchase order line's query: its tables, dates, quantity and warehouse. */
const ORDER_LINE_SQL = {
  sale: {
    name: 'sale-order-lines',
    line: 'sale_order_line',
    order: 'sale_order',
    // the promise: the order's commitment date, else the order date + the line's lead days
    dates: `${tsText('o.commitment_date')} AS commitment_date, l.customer_lead::text AS customer_lead`,
    qty: 'l.product_uom_qty',
    warehouse: 'LEFT JOIN stock_warehouse wh ON wh.id = o.warehouse_id',
  },
  purchase: {
    name: 'purchase-order-lines',
    line: 'purchase_order_line',
    order: 'purchase_order',
    dates: `${tsText('l.date_planned')} AS date_planned`,
    qty: 'l.product_qty',
    // a purchase order's warehouse is its operation type's
    warehouse: 'LEFT JOIN stock_picking_type spt ON spt.id = o.picking_type_id\nLEFT JOIN stock_warehouse wh ON wh.id = spt.warehouse_id',
  },
} as const

/** `sale_order_line` or `purchase_order_line` with its order (state, dates, warehouse, partner). */
function orderLineStream(side: 'sale' | 'purchase'): StreamMapping {
  const sql = ORDER_LINE_SQL[side]
  return {
    name: sql.name,
    page(after, limit, since, ctx) {
      const q = new PgQuery()
      const where = [pagePredicate(q, LINE_MODIFIED, 'l.id', after)]
      if (since) where.push(`o.date_order >= ${sinceUtc(q, since, ctx.tz)}`)
      const company = odooCompany(ctx)
      if (company) where.push(`o.company_id = ${q.$(company)}::integer`)
      const text = `
SELECT ${wmText(LINE_MODIFIED)} AS wm_modified, l.id::text AS wm_key,
  l.id, l.display_type, o.name AS order_name, o.state, ${tsText('o.date_order')} AS date_order,
  ${sql.dates},
  ${sql.qty}::text AS qty, l.price_subtotal::text AS price_subtotal, lu.factor::text AS line_uom_factor,
  pu.factor::text AS product_uom_factor, pu.rounding::text AS product_uom_rounding,
  l.product_id, pp.default_code, pt.type AS product_type, cur.name AS currency,
  rp.commercial_partner_id AS partner_id, wh.code AS warehouse
FROM ${sql.line} l
JOIN ${sql.order} o ON o.id = l.order_id
LEFT JOIN product_product pp ON pp.id = l.product_id
LEFT JOIN product_template pt ON pt.id = pp.product_tmpl_id
LEFT JOIN uom_uom lu ON lu.id = l.product_uom
LEFT JOIN uom_uom pu ON pu.id = pt.uom_id
LEFT JOIN res_currency cur ON cur.id = l.currency_id
LEFT JOIN res_partner rp ON rp.id = o.partner_id
${sql.warehouse}
WHERE ${where.join(' AND ')}
${orderAndLimit(q, LINE_MODIFIED, 'l.id', limit)}`
      return { text, values: q.values }
    },
    watermark: watermarkOf,
    map: (row, ctx) => mapOrderLine(row, ctx, side),
  }
}

export const odooSaleOrderLines = orderLineStream('sale')
export const odooPurchaseOrderLines = orderLineStream('purchase')

/** Confirmed states: Odoo 17 sale orders are `sale` (locked ones too), purchase orders `purchase` or `done`. */
const CONFIRMED = { sale: new Set(['sale', 'done']), purchase: new Set(['purchase', 'done']) }

/** A sale or purchase order line → a `sales_order` / `purchase_order` movement, or the cancel of it. */
export function mapOrderLine(row: Row, ctx: MapContext, side: 'sale' | 'purchase'): RowResult {
  const p = ctx.idPrefix
  const id = idOf(p, `${side === 'sale' ? 'sol' : 'pol'}:${text(row.id) ?? ''}`)
  if (!id) return { reject: 'order line id cannot be a movement id' }
  if (text(row.display_type)) return { skip: `${String(row.display_type)} line` }
  const occurredAt = rfc3339(row.date_order, 'UTC', ctx.tz)
  if (!occurredAt) return { reject: `unreadable date_order ${JSON.stringify(row.date_order)}` }
  const state = text(row.state)
  if (state === 'cancel') return cancelsOf([id], occurredAt)
  if (!CONFIRMED[side].has(state ?? '')) return { skip: `order state ${state ?? 'unknown'}: not confirmed` }
  if (text(row.product_type) !== 'product') return { skip: `product type ${text(row.product_type) ?? 'unknown'}: not a stocked product` }
  const qty = rowQty(row, 'qty', 'line_uom_factor')
  if (typeof qty !== 'number') return qty
  if (qty <= 0) return { skip: 'quantity 0' }
  const sku = odooSkuCode(p, row.default_code, row.product_id)
  if (!sku) return { reject: `product ${text(row.product_id) ?? '?'} has no usable code` }
  const warehouse = codeOf(p, row.warehouse)
  if (!warehouse) return { reject: `order ${text(row.order_name) ?? '?'} has no warehouse` }
  const subtotal = num(row.price_subtotal)
  if (subtotal === undefined || subtotal < 0) return { reject: 'price_subtotal missing or negative' }
  const lineAmount = roundMoney(subtotal)
  const price = roundPrice(lineAmount / qty)
  const ref = text(row.order_name) ? idOf(p, String(row.order_name)) : undefined
  const common = { id, occurredAt, sku, warehouse, qty, lineAmount, ref, partner: codeOf(p, row.partner_id) }
  if (side === 'sale')
    return ok(withCurrency({ type: 'sales_order', ...common, unitPrice: price, dueAt: saleDue({ ...row, sale_date_order: row.date_order }, ctx.tz) }, text(row.currency), ctx))
  return ok(withCurrency({ type: 'purchase_order', ...common, unitCost: price, dueAt: rfc3339(row.date_planned, 'UTC', ctx.tz) }, text(row.currency), ctx))
}

// ---------------------------------------------------------------------------------------------
// payments

const PAY_MODIFIED = `GREATEST(COALESCE(p.write_date, p.create_date), COALESCE(am.write_date, am.create_date))`

/** `account_payment` with its journal entry (`account_move`: state, date, posted_before). */
export const odooPayments: StreamMapping = {
  name: 'payments',
  page(after, limit, since, ctx) {
    const q = new PgQuery()
    const where = [pagePredicate(q, PAY_MODIFIED, 'p.id', after)]
    if (since) where.push(`am.date >= ${q.$(since)}::date`)
    const company = odooCompany(ctx)
    if (company) where.push(`am.company_id = ${q.$(company)}::integer`)
    const text = `
SELECT ${wmText(PAY_MODIFIED)} AS wm_modified, p.id::text AS wm_key,
  p.id, p.payment_type, p.partner_type, p.amount::text AS amount, p.is_internal_transfer,
  am.state, am.posted_before, to_char(am.date, 'YYYY-MM-DD') AS date, am.name AS move_name,
  cur.name AS currency, rp.commercial_partner_id AS partner_id
FROM account_payment p
JOIN account_move am ON am.id = p.move_id
LEFT JOIN res_currency cur ON cur.id = p.currency_id
LEFT JOIN res_partner rp ON rp.id = p.partner_id
WHERE ${where.join(' AND ')}
${orderAndLimit(q, PAY_MODIFIED, 'p.id', limit)}`
    return { text, values: q.values }
  },
  watermark: watermarkOf,
  map: mapPayment,
}

/**
 * A payment → `payment_in` (inbound) or `payment_out` (outbound) on its accounting date. A posted
 * payment counts; one reset to draft or cancelled after it was posted (`posted_before`) is a
 * cancel; internal transfers between the company's own journals are not trade cash.
 */
export function mapPayment(row: Row, ctx: MapContext): RowResult {
  const p = ctx.idPrefix
  const id = idOf(p, `pay:${text(row.id) ?? ''}`)
  if (!id) return { reject: 'payment id cannot be a movement id' }
  const occurredAt = rfc3339(row.date, ctx.tz, ctx.tz)
  if (!occurredAt) return { reject: `unreadable date ${JSON.stringify(row.date)}` }
  if (row.is_internal_transfer === true || row.is_internal_transfer === 't') return { skip: 'internal transfer' }
  const state = text(row.state)
  const postedBefore = row.posted_before === true || row.posted_before === 't'
  if (state !== 'posted') return postedBefore ? cancelsOf([id], occurredAt) : { skip: `state ${state ?? 'unknown'}: never posted` }
  const amount = num(row.amount)
  if (amount === undefined || amount <= 0) return { skip: 'amount 0' }
  const type = text(row.payment_type) === 'inbound' ? 'payment_in' : text(row.payment_type) === 'outbound' ? 'payment_out' : undefined
  if (!type) return { reject: `payment_type ${text(row.payment_type) ?? 'missing'}` }
  const ref = text(row.move_name) && row.move_name !== '/' ? idOf(p, String(row.move_name)) : undefined
  return ok(withCurrency({ type, id, occurredAt, amount: roundMoney(amount), partner: codeOf(p, row.partner_id), ref }, text(row.currency), ctx))
}

// ---------------------------------------------------------------------------------------------
// master data

/** A translated `jsonb` name (Odoo 16+): the Chinese translation when there is one, else English, else any. */
const NAME_SQL = (col: string) => `COALESCE(${col}->>'zh_CN', ${col}->>'en_US', (SELECT value FROM jsonb_each_text(${col}) LIMIT 1))`

function masterPage(q: PgQuery, select: string, from: string, modified: string, key: string, after: Watermark | null, limit: number, extra: string[] = []): SqlQuery {
  const where = [pagePredicate(q, modified, key, after), ...extra]
  const text = `SELECT ${wmText(modified)} AS wm_modified, ${key}::text AS wm_key, ${select} FROM ${from} WHERE ${where.join(' AND ')} ${orderAndLimit(q, modified, key, limit)}`
  return { text, values: q.values }
}

const name200 = (v: unknown) => text(v)?.trim().slice(0, 200)

export const odooProducts: MasterStream = {
  name: 'products',
  kind: 'skus',
  page(after, limit, ctx) {
    const q = new PgQuery()
    const company = odooCompany(ctx)
    const extra = company ? [`(pt.company_id IS NULL OR pt.company_id = ${q.$(company)}::integer)`] : []
    return masterPage(
      q,
      `pp.id, pp.default_code, ${NAME_SQL('pt.name')} AS name, pt.name->>'en_US' AS name_en, pt.type AS product_type, pt.categ_id, ${NAME_SQL('u.name')} AS unit`,
      'product_product pp JOIN product_template pt ON pt.id = pp.product_tmpl_id LEFT JOIN uom_uom u ON u.id = pt.uom_id',
      'GREATEST(COALESCE(pp.write_date, pp.create_date), COALESCE(pt.write_date, pt.create_date))',
      'pp.id',
      after,
      limit,
      extra,
    )
  },
  watermark: watermarkOf,
  map(row, ctx) {
    if (text(row.product_type) !== 'product') return { skip: 'not a stocked product' }
    const code = odooSkuCode(ctx.idPrefix, row.default_code, row.id)
    const name = name200(row.name)
    if (!code || !name) return { skip: 'no usable code or name' }
    const nameEn = name200(row.name_en)
    return {
      record: defined({ code, name, nameEn: nameEn && nameEn !== name ? nameEn : undefined, category: codeOf(ctx.idPrefix, row.categ_id), unit: text(row.unit)?.slice(0, 16) }),
    }
  },
}

export const odooCategories: MasterStream = {
  name: 'categories',
  kind: 'categories',
  page(after, limit) {
    const q = new PgQuery()
    return masterPage(q, 'c.id, c.complete_name, c.name', 'product_category c', 'COALESCE(c.write_date, c.create_date)', 'c.id', after, limit)
  },
  watermark: watermarkOf,
  map(row, ctx) {
    const code = codeOf(ctx.idPrefix, row.id)
    const name = name200(row.complete_name ?? row.name)
    return code && name ? { record: { code, name } } : { skip: 'no usable name' }
  },
}

export const odooWarehouses: MasterStream = {
  name: 'warehouses',
  kind: 'warehouses',
  page(after, limit, ctx) {
    const q = new PgQuery()
    const company = odooCompany(ctx)
    const extra = company ? [`w.company_id = ${q.$(company)}::integer`] : []
    return masterPage(q, 'w.id, w.code, w.name', 'stock_warehouse w', 'COALESCE(w.write_date, w.create_date)', 'w.id', after, limit, extra)
  },
  watermark: watermarkOf,
  map(row, ctx) {
    const code = codeOf(ctx.idPrefix, row.code)
    const name = name200(row.name)
    return code && name ? { record: { code, name } } : { skip: 'no usable code or name' }
  },
}

export const odooPartners: MasterStream = {
  name: 'partners',
  kind: 'partners',
  page(after, limit) {
    const q = new PgQuery()
    return masterPage(q, 'rp.id, rp.name, rp.customer_rank, rp.supplier_rank', 'res_partner rp', 'COALESCE(rp.write_date, rp.create_date)', 'rp.id', after, limit, [
      'rp.id = rp.commercial_partner_id',
    ])
  },
  watermark: watermarkOf,
  map(row, ctx) {
    const code = codeOf(ctx.idPrefix, row.id)
    const name = name200(row.name)
    if (!code || !name) return { skip: 'no usable name' }
    const customer = (num(row.customer_rank) ?? 0) > 0
    const supplier = (num(row.supplier_rank) ?? 0) > 0
    if (!customer && !supplier) return { skip: 'neither customer nor vendor' }
    return { record: { code, name, kind: customer && supplier ? 'both' : customer ? 'customer' : 'supplier' } }
  },
}

/** The Odoo 17 mapping: master data first, then moves, order lines and payments. */
export const odooMapping: ErpMapping = {
  erp: 'odoo',
  dialect: 'postgres',
  master: [odooCategories, odooWarehouses, odooPartners, odooProducts],
  streams: [odooStockMoves, odooSaleOrderLines, odooPurchaseOrderLines, odooPayments],
}
