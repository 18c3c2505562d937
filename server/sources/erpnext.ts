/**
 * The ERPNext mapping (docs/connectors.md "ERPNext"), written from the doctype definitions of
 * frappe/erpnext (v13 and later):
 * - erpnext/stock/doctype/stock_ledger_entry/stock_ledger_entry.json and erpnext/stock/stock_ledger.py:
 *   one Stock Ledger Entry (SLE) per item × warehouse a submitted voucher moves, `actual_qty` signed
 *   (+ in, − out), `incoming_rate` / `valuation_rate` / `stock_value_difference` the ERP's valuation,
 *   `qty_after_transaction` the balance after it (for a Stock Reconciliation: the counted qty, with
 *   `actual_qty` 0 and the book qty on the reconciliation line, `tabStock Reconciliation Item`.current_qty).
 *   On cancel, `make_sl_entries` → `set_as_cancel` marks the voucher's SLEs `is_cancelled = 1` (and
 *   moves their `modified`), then inserts reversing SLEs, also `is_cancelled = 1`, with the opposite
 *   `actual_qty`. So every SLE with `is_cancelled = 1` maps to a `cancel` of the movement of its own
 *   name: for an original that is the reversal; for a reversing entry it names a movement that never
 *   existed, which the runner counts as skipped.
 * - selling/doctype/sales_order_item, buying/doctype/purchase_order_item (joined with their parent:
 *   `docstatus` 1 submitted, 2 cancelled; an amendment is a new document `<name>-1` with
 *   `amended_from`, whose lines are new lines);
 * - accounts/doctype/payment_entry (`payment_type` Receive / Pay / Internal Transfer, `party`,
 *   `base_paid_amount` / `base_received_amount` in the company currency);
 * - stock/doctype/item, stock/doctype/warehouse, selling/doctype/customer, buying/doctype/supplier.
 * The delivery and receipt lines (Delivery Note Item, Sales Invoice Item, Purchase Receipt Item,
 * Purchase Invoice Item, Stock Entry Detail) are joined to an SLE through `voucher_detail_no` for
 * what the ledger does not hold: the selling price, the party, the order fulfilled and a transfer's
 * destination.
 *
 * Timestamps (`modified`, `posting_date` + `posting_time`, `creation`) are local times of the
 * ERPNext site's time zone, taken to be COCKPIT_TZ. Every figure is read in the company currency
 * (`base_*` columns and the ledger's own rates), which must be COCKPIT_CURRENCY.
 */
import type { Movement } from '../../protocol/movement.ts'
import type { ErpMapping, MapContext, MasterStream, RowResult, SqlQuery, StreamMapping, Watermark } from './mapping.ts'
import { localToRfc3339, localToUtc, utcToLocal } from './local-time.ts'

type Row = Record<string, unknown>

const str = (v: unknown): string | undefined => (v === null || v === undefined || v === '' ? undefined : String(v))
const num = (v: unknown): number => (v === null || v === undefined || v === '' ? 0 : Number(v))
/** rounds to `d` decimals, half away from zero, without binary drift (1.005 → 1.01) */
export function round(n: number, d: number): number {
  const f = 10 ** d
  return (Math.sign(n) * Math.round(Math.abs(n) * f + 1e-9)) / f
}
/** a quantity as the cockpit keeps it (3 decimals); ERPNext floats carry noise past the 9th */
const qtyOf = (v: unknown) => round(Math.abs(num(v)), 6)

/**
 * The keyset condition "strictly after the watermark" on a (modified, name) pair, and the page's
 * other bounds, for MariaDB (`?` placeholders).
 */
function after(modified: string, key: string, w: Watermark | null, ctx: MapContext, values: unknown[]): string {
  if (!w) return '1 = 1'
  const local = utcToLocal(w.modified, ctx.tz)
  values.push(local, local, w.key)
  return `(${modified} > ? OR (${modified} = ? AND ${key} > ?))`
}

/**
 * The WHERE of a page of documents: after the watermark, dated from `since` on, of the source's
 * company; `alias` prefixes the document's own columns. Pushes its values before the LIMIT.
 */
function documentWhere(values: unknown[], w: Watermark | null, since: string | undefined, ctx: MapContext, dated: string, alias = ''): string {
  const where = [after(`${alias}modified`, `${alias}name`, w, ctx, values)]
  if (since) {
    where.push(`${alias}${dated} >= ?`)
    values.push(since)
  }
  if (ctx.company !== undefined) {
    where.push(`${alias}company = ?`)
    values.push(ctx.company)
  }
  return where.join(' AND ')
}

function watermarkOf(row: Row, ctx: MapContext, modified = 'modified', key = 'name'): Watermark {
  const text = String(row[modified])
  return { modified: localToUtc(text, ctx.tz) ?? text, key: String(row[key]) }
}

/** RFC 3339 of a document date: its creation time when created that day, else the start of the day */
function documentTime(date: unknown, creation: unknown, ctx: MapContext): string | undefined {
  const d = str(date)
  if (!d) return undefined
  const c = str(creation)
  if (c && c.slice(0, 10) === d) return localToRfc3339(d, c.slice(11), ctx.tz)
  return localToRfc3339(d, null, ctx.tz)
}

function cancelOf(id: string, row: Row, ctx: MapContext): Movement {
  const at = localToRfc3339(String(row.modified).slice(0, 10), String(row.modified).slice(11), ctx.tz)!
  return { type: 'cancel', id: `${id}:cancel`, cancels: id, occurredAt: at }
}

const SLE_COLUMNS = `sle.name, sle.modified, sle.item_code, sle.warehouse, sle.posting_date, sle.posting_time,
  sle.voucher_type, sle.voucher_no, sle.voucher_detail_no, sle.actual_qty, sle.qty_after_transaction,
  sle.incoming_rate, sle.valuation_rate, sle.stock_value_difference, sle.is_cancelled,
  COALESCE(pr.supplier, pi.supplier) AS supplier,
  COALESCE(dn.customer, si.customer) AS customer,
  COALESCE(pr.is_return, pi.is_return, dn.is_return, si.is_return, 0) AS is_return,
  COALESCE(pri.purchase_order, pii.purchase_order) AS purchase_order,
  COALESCE(dni.against_sales_order, sii.sales_order) AS sales_order,
  COALESCE(dni.base_net_amount, sii.base_net_amount) AS base_net_amount,
  COALESCE(dni.stock_qty, sii.stock_qty) AS item_stock_qty,
  sed.s_warehouse, sed.t_warehouse,
  sri.current_qty AS reco_current_qty`

const SLE_JOINS = `LEFT JOIN \`tabPurchase Receipt\` pr ON sle.voucher_type = 'Purchase Receipt' AND pr.name = sle.voucher_no
  LEFT JOIN \`tabPurchase Receipt Item\` pri ON sle.voucher_type = 'Purchase Receipt' AND pri.name = sle.voucher_detail_no
  LEFT JOIN \`tabPurchase Invoice\` pi ON sle.voucher_type = 'Purchase Invoice' AND pi.name = sle.voucher_no
  LEFT JOIN \`tabPurchase Invoice Item\` pii ON sle.voucher_type = 'Purchase Invoice' AND pii.name = sle.voucher_detail_no
  LEFT JOIN \`tabDelivery Note\` dn ON sle.voucher_type = 'Delivery Note' AND dn.name = sle.voucher_no
  LEFT JOIN \`tabDelivery Note Item\` dni ON sle.voucher_type = 'Delivery Note' AND dni.name = sle.voucher_detail_no
  LEFT JOIN \`tabSales Invoice\` si ON sle.voucher_type = 'Sales Invoice' AND si.name = sle.voucher_no
  LEFT JOIN \`tabSales Invoice Item\` sii ON sle.voucher_type = 'Sales Invoice' AND sii.name = sle.voucher_detail_no
  LEFT JOIN \`tabStock Entry Detail\` sed ON sle.voucher_type = 'Stock Entry' AND sed.name = sle.voucher_detail_no
  LEFT JOIN \`tabStock Reconciliation Item\` sri ON sle.voucher_type = 'Stock Reconciliation' AND sri.name = sle.voucher_detail_no`

/**
 * A stock change without a trade movement type: a `stocktake` whose book and counted quantities differ by
 * exactly the change, so the cockpit's stock moves by it whatever its own book qty (the Odoo and jshERP
 * mappings do the same for their inventory and production moves).
 */
function adjustment(id: string, occurredAt: string, sku: string, warehouse: string, change: number): Movement {
  const q = round(Math.abs(change), 6)
  return change > 0
    ? { type: 'stocktake', id, occurredAt, sku, warehouse, bookQty: 0, countedQty: q }
    : { type: 'stocktake', id, occurredAt, sku, warehouse, bookQty: q, countedQty: 0 }
}

const PURCHASE_VOUCHERS = new Set(['Purchase Receipt', 'Purchase Invoice'])
const SALES_VOUCHERS = new Set(['Delivery Note', 'Sales Invoice'])

/** `tabStock Ledger Entry`: receipts, deliveries, returns, transfers, stock reconciliations, cancels. */
export const stockLedger: StreamMapping = {
  name: 'stock-ledger',
  page(w, limit, since, ctx) {
    const values: unknown[] = []
    const where = documentWhere(values, w, since, ctx, 'posting_date', 'sle.')
    values.push(limit)
    return { text: `SELECT ${SLE_COLUMNS} FROM \`tabStock Ledger Entry\` sle ${SLE_JOINS} WHERE ${where} ORDER BY sle.modified, sle.name LIMIT ?`, values }
  },
  watermark: (row, ctx) => watermarkOf(row, ctx),
  map: mapLedgerRow,
}

export function mapLedgerRow(row: Row, ctx: MapContext): RowResult {
  const p = ctx.idPrefix
  const id = `${p}SLE:${String(row.name)}`
  const voucher = String(row.voucher_type)
  const occurredAt = localToRfc3339(String(row.posting_date), str(row.posting_time), ctx.tz)
  if (!occurredAt) return { reject: `posting_date/posting_time "${String(row.posting_date)} ${String(row.posting_time)}" is not a date and time` }
  const sku = `${p}${String(row.item_code)}`
  const warehouse = `${p}${String(row.warehouse)}`
  const actual = num(row.actual_qty)
  const qty = qtyOf(actual)
  const cancelled = num(row.is_cancelled) === 1

  if (voucher === 'Stock Entry') {
    const from = str(row.s_warehouse)
    const to = str(row.t_warehouse)
    if (!from || !to) {
      if (cancelled) return { movements: [cancelOf(id, row, ctx)] }
      if (qty === 0) return { skip: 'no quantity change' }
      // material issue / receipt, manufacture, repack: no trade movement type
      return { movements: [adjustment(id, occurredAt, sku, warehouse, actual)] }
    }
    // a transfer is two SLEs sharing voucher_detail_no: the one at the source warehouse stands for it
    if (String(row.warehouse) !== from) return { skip: 'the receiving half of a transfer (the issuing half carries it)' }
    const transferId = `${p}SED:${String(row.voucher_detail_no)}`
    if (cancelled) return { movements: [cancelOf(transferId, row, ctx)] }
    if (actual >= 0) return { skip: 'not the issuing entry of the transfer' }
    return { movements: [{ type: 'transfer', id: transferId, occurredAt, sku, warehouse, toWarehouse: `${p}${to}`, qty }] }
  }

  if (cancelled) return { movements: [cancelOf(id, row, ctx)] }

  if (voucher === 'Stock Reconciliation') {
    // items with a serial and batch bundle are reconciled by two entries, out of the book qty and into the
    // counted qty (`get_sle_for_serialized_items`): each is an adjustment by its own quantity
    if (qty !== 0) return { movements: [adjustment(id, occurredAt, sku, warehouse, actual)] }
    // otherwise one entry with actual_qty 0 and qty_after_transaction the counted qty (`get_sle_for_items`); the
    // book qty at count time is the reconciliation line's current_qty (stock_ledger.py get_stock_reco_qty_shift)
    const counted = round(num(row.qty_after_transaction), 6)
    if (counted < 0) return { reject: `qty_after_transaction ${counted} of a Stock Reconciliation is negative` }
    if (row.reco_current_qty === null || row.reco_current_qty === undefined) {
      return { reject: `no Stock Reconciliation Item "${String(row.voucher_detail_no)}": the book qty at count time is unknown` }
    }
    return { movements: [{ type: 'stocktake', id, occurredAt, sku, warehouse, countedQty: counted, bookQty: round(num(row.reco_current_qty), 6) }] }
  }

  if (qty === 0) return { skip: 'no quantity change (a revaluation: the cockpit revalues nothing)' }

  if (PURCHASE_VOUCHERS.has(voucher)) {
    const partner = str(row.supplier)
    const common = { id, occurredAt, sku, warehouse, qty, ...(partner && { partner: `${p}${partner}` }) }
    if (actual > 0) {
      const order = str(row.purchase_order)
      return { movements: [{ type: 'purchase_receipt', ...common, unitCost: round(num(row.incoming_rate), 6), ...(order && { ref: `${p}${order}` }) }] }
    }
    const value = Math.abs(num(row.stock_value_difference))
    return { movements: [{ type: 'purchase_return', ...common, unitCost: round(value / qty, 6), lineAmount: round(value, 4) }] }
  }

  if (SALES_VOUCHERS.has(voucher)) {
    const amount = row.base_net_amount
    const itemQty = qtyOf(row.item_stock_qty)
    if (amount === null || amount === undefined || itemQty === 0)
      return { reject: `no ${voucher} Item "${String(row.voucher_detail_no)}" with a stock qty: the selling price is unknown` }
    const lineAmount = Math.abs(num(amount))
    const partner = str(row.customer)
    const order = str(row.sales_order)
    const line = {
      id,
      occurredAt,
      sku,
      warehouse,
      qty,
      unitPrice: round(lineAmount / itemQty, 6),
      // the ERP's own line amount when this entry moves the whole line
      ...(itemQty === qty && { lineAmount: round(lineAmount, 4) }),
      lineCost: round(Math.abs(num(row.stock_value_difference)), 4),
      ...(partner && { partner: `${p}${partner}` }),
    }
    if (actual < 0) return { movements: [{ type: 'sales_shipment', ...line, ...(order && { ref: `${p}${order}` }) }] }
    return { movements: [{ type: 'sales_return', ...line }] }
  }

  return { reject: `voucher type "${voucher}" is not mapped` }
}

/** Sales or purchase order lines joined with their order. */
function orderStream(side: 'sales' | 'purchase'): StreamMapping {
  const [child, parent, party, due] =
    side === 'sales' ? ['tabSales Order Item', 'tabSales Order', 'customer', 'delivery_date'] : ['tabPurchase Order Item', 'tabPurchase Order', 'supplier', 'schedule_date']
  const tag = side === 'sales' ? 'SOI' : 'POI'
  return {
    name: `${side}-orders`,
    /**
     * A page of orders (`limit` of them, by their own `modified` index) with all their lines: the
     * keyset is the order's (modified, name), so the database never sorts the lines of every
     * order after the watermark, and an order's lines are never split between two pages.
     */
    page(w, limit, since, ctx) {
      const values: unknown[] = []
      const where = documentWhere(values, w, since, ctx, 'transaction_date')
      values.push(limit)
      return {
        text: `SELECT i.name, o.modified, o.name AS parent, o.${party} AS party, o.transaction_date, o.creation, o.docstatus,
          i.item_code, i.warehouse, i.stock_qty, i.base_net_amount, i.${due} AS due_date
          FROM (SELECT name, modified, ${party}, transaction_date, creation, docstatus FROM \`${parent}\`
                WHERE ${where} ORDER BY modified, name LIMIT ?) o
          JOIN \`${child}\` i ON i.parent = o.name
          ORDER BY o.modified, o.name, i.idx, i.name`,
        values,
      }
    },
    watermark: (row, ctx) => watermarkOf(row, ctx, 'modified', 'parent'),
    map(row, ctx) {
      const p = ctx.idPrefix
      const id = `${p}${tag}:${String(row.name)}`
      const status = num(row.docstatus)
      if (status === 0) return { skip: 'a draft order' }
      if (status === 2) return { movements: [cancelOf(id, row, ctx)] }
      const qty = qtyOf(row.stock_qty)
      if (qty === 0) return { skip: 'an order line without quantity' }
      const warehouse = str(row.warehouse)
      if (!warehouse) return { reject: 'the order line has no warehouse' }
      const occurredAt = documentTime(row.transaction_date, row.creation, ctx)
      if (!occurredAt) return { reject: `transaction_date "${String(row.transaction_date)}" is not a date` }
      const amount = Math.abs(num(row.base_net_amount))
      const partyCode = str(row.party)
      const dueDate = str(row.due_date)?.slice(0, 10)
      const common = {
        id,
        occurredAt,
        sku: `${p}${String(row.item_code)}`,
        warehouse: `${p}${warehouse}`,
        qty,
        lineAmount: round(amount, 4),
        ref: `${p}${String(row.parent)}`,
        ...(partyCode && { partner: `${p}${partyCode}` }),
        ...(dueDate && { dueDate }),
      }
      const unit = round(amount / qty, 6)
      return { movements: [side === 'sales' ? { type: 'sales_order', ...common, unitPrice: unit } : { type: 'purchase_order', ...common, unitCost: unit }] }
    },
  }
}

/** `tabPayment Entry`: money received from customers and paid to suppliers. */
export const paymentEntries: StreamMapping = {
  name: 'payments',
  page(w, limit, since, ctx) {
    const values: unknown[] = []
    const where = documentWhere(values, w, since, ctx, 'posting_date')
    values.push(limit)
    return {
      text: `SELECT name, modified, creation, payment_type, party_type, party, base_paid_amount, base_received_amount, posting_date, docstatus
        FROM \`tabPayment Entry\` WHERE ${where} ORDER BY modified, name LIMIT ?`,
      values,
    }
  },
  watermark: (row, ctx) => watermarkOf(row, ctx),
  map(row, ctx) {
    const p = ctx.idPrefix
    const id = `${p}PE:${String(row.name)}`
    const status = num(row.docstatus)
    if (status === 0) return { skip: 'a draft payment' }
    if (status === 2) return { movements: [cancelOf(id, row, ctx)] }
    const type = String(row.payment_type)
    if (type !== 'Receive' && type !== 'Pay') return { skip: `payment type "${type}" moves no money in or out` }
    const amount = round(num(type === 'Receive' ? row.base_received_amount : row.base_paid_amount), 4)
    if (amount <= 0) return { skip: 'no amount' }
    const occurredAt = documentTime(row.posting_date, row.creation, ctx)
    if (!occurredAt) return { reject: `posting_date "${String(row.posting_date)}" is not a date` }
    const party = str(row.party)
    return { movements: [{ type: type === 'Receive' ? 'payment_in' : 'payment_out', id, occurredAt, amount, ...(party && { partner: `${p}${party}` }) }] }
  },
}

function masterPage(table: string, columns: string, companyColumn?: string) {
  return (w: Watermark | null, limit: number, ctx: MapContext): SqlQuery => {
    const values: unknown[] = []
    const where = [after('modified', 'name', w, ctx, values)]
    if (companyColumn && ctx.company !== undefined) {
      where.push(`${companyColumn} = ?`)
      values.push(ctx.company)
    }
    values.push(limit)
    return { text: `SELECT name, modified, ${columns} FROM \`${table}\` WHERE ${where.join(' AND ')} ORDER BY modified, name LIMIT ?`, values }
  }
}

const masterWatermark = (row: Row, ctx: MapContext) => watermarkOf(row, ctx)

export const items: MasterStream = {
  name: 'items',
  kind: 'skus',
  page: masterPage('tabItem', 'item_name, item_group, stock_uom, safety_stock'),
  watermark: masterWatermark,
  map(row, ctx) {
    const p = ctx.idPrefix
    const safety = num(row.safety_stock)
    const group = str(row.item_group)
    const unit = str(row.stock_uom)
    return {
      record: {
        code: `${p}${String(row.name)}`,
        name: str(row.item_name) ?? String(row.name),
        ...(group && { category: `${p}${group}` }),
        ...(unit && { unit }),
        ...(safety > 0 && { safetyStock: safety }),
      },
    }
  },
}

export const warehouses: MasterStream = {
  name: 'warehouses',
  kind: 'warehouses',
  page: masterPage('tabWarehouse', 'warehouse_name, is_group', 'company'),
  watermark: masterWatermark,
  map(row, ctx) {
    if (num(row.is_group) === 1) return { skip: 'a group warehouse holds no stock' }
    return { record: { code: `${ctx.idPrefix}${String(row.name)}`, name: str(row.warehouse_name) ?? String(row.name) } }
  },
}

function partyStream(table: 'tabCustomer' | 'tabSupplier'): MasterStream {
  const kind = table === 'tabCustomer' ? 'customer' : 'supplier'
  return {
    name: `${kind}s`,
    kind: 'partners',
    page: masterPage(table, `${kind}_name AS party_name`),
    watermark: masterWatermark,
    map(row, ctx) {
      return { record: { code: `${ctx.idPrefix}${String(row.name)}`, name: str(row.party_name) ?? String(row.name), kind } }
    },
  }
}

export const erpnextMapping: ErpMapping = {
  erp: 'erpnext',
  dialect: 'mysql',
  master: [items, warehouses, partyStream('tabCustomer'), partyStream('tabSupplier')],
  streams: [stockLedger, orderStream('sales'), orderStream('purchase'), paymentEntries],
}
