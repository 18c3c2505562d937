/**
 * The ready-made jshERP (华夏ERP / 管伊佳ERP) mapping (MySQL/MariaDB): document lines of
 * `jsh_depot_head` + `jsh_depot_item` by type and sub-type, payments of `jsh_account_head` and the
 * payment a bill carries itself (`jsh_depot_head.change_amount`), and materials, categories,
 * depots and suppliers/customers as master data (docs/connectors.md "jshERP").
 *
 * Tables and columns are jshERP's own: jishenghua/jshERP `jshERP-boot/docs/jsh_erp.sql`
 * (2025-04-09). How a line moves stock is jshERP's own stock query, `getStockByParamWithDepotList`
 * in `DepotItemService.java` and `DepotItemMapperEx.xml`: 入库 adds `basic_number` (the qty in the
 * material's base unit), 出库 takes it, 调拨 takes it from `depot_id` and adds it to
 * `another_depot_id`, 组装单/拆卸单 add or take by `material_type` (组合件 / 普通子件), 盘点复盘 adds its
 * signed `basic_number`; other 其它 documents (orders, 盘点录入, 请购单) move no stock. A line
 * counts while neither it nor its bill is deleted and, when the tenant's 强审核 switch is on, while
 * the bill is approved; otherwise it is the cancel of its movement.
 *
 * **Watermark.** jshERP keeps no modification time on its documents; ids only grow, and a bill is
 * approved, un-approved or soft-deleted (`delete_flag = '1'`) in place. So a row's `modified` is the
 * *read cycle*: the database's UTC clock cut to the minute (`CYCLE_SECONDS`); `key` is the line id.
 * Within a cycle a page reads the lines after the last id (new documents at once); when a new cycle
 * starts, the next page also re-reads every line of the bills entered in the last
 * `RESCAN_DAYS` days, once, so an approval, un-approval or deletion there is seen within about a
 * minute. Editing a bill deletes its lines for good (`DepotItemService.deleteDepotItemHeadId` runs
 * `deleteByExample`): the runner cancels the lines of recent bills that are gone (`lines`, checked
 * once a cycle), and gives a row approved again after its un-approval was read new movement ids. Limits (docs/connectors.md): a change to a bill entered before the window is not seen.
 */
import type { Movement } from '../../protocol/movement.ts'
import type { DocumentLines, ErpMapping, MapContext, MasterStream, RowResult, SqlQuery, StreamMapping, Watermark } from './mapping.ts'
import { adjustmentOf, cancelsOf, codeOf, defined, idOf, num, rfc3339, roundMoney, roundPrice, roundQty, text } from './mapping-kit.ts'

type Row = Record<string, unknown>

/** Length of a read cycle of the movement streams: the re-scan of recent bills happens once per cycle. */
export const CYCLE_SECONDS = 60
/** Length of a read cycle of the master-data streams (every row is re-read once per cycle). */
export const MASTER_CYCLE_SECONDS = 600
/**
 * Bills entered this many days ago or less are re-read every cycle. Matches the cockpit's default
 * effect-record retention (35 days): an older movement could not be cancelled anyway.
 */
export const RESCAN_DAYS = 35

/** The current cycle as RFC 3339 UTC text: the database clock, cut to `seconds`. */
const cycleSql = (seconds: number) => `DATE_FORMAT(UTC_TIMESTAMP() - INTERVAL (UNIX_TIMESTAMP() MOD ${seconds}) SECOND, '%Y-%m-%dT%H:%i:%s.000Z')`

/**
 * Rows after the watermark: a larger id in the same cycle; in a later cycle, a larger id or a row
 * the re-scan covers (`rescan`, an SQL condition; 'TRUE' for master data: all rows each cycle).
 */
function cyclePredicate(values: unknown[], idExpr: string, after: Watermark | null, rescan: string, seconds: number): string {
  if (!after) return 'TRUE'
  values.push(after.key, after.modified)
  return `(${idExpr} > CAST(? AS UNSIGNED) OR (? < ${cycleSql(seconds)} AND ${rescan}))`
}

/** The source's `company` as a jshERP `tenant_id`; a value that is not one is a configuration error. */
export function jsherpTenant(ctx: MapContext): string | undefined {
  if (ctx.company === undefined || ctx.company === '') return undefined
  if (!/^\d{1,19}$/.test(ctx.company)) throw new Error(`company must be a jshERP tenant_id (an integer), not ${JSON.stringify(ctx.company)}`)
  return ctx.company
}

/**
 * The WHERE of a document stream's page: after the watermark (re-scanning the documents entered in the last
 * RESCAN_DAYS each cycle, by `created`), dated on or after `since` (by `dated`), of the source's tenant (by `tenant`);
 * `extra` conditions are added as they are. Pushes the parameters onto `values`, the page's `limit` last.
 */
function documentWhere(
  values: unknown[],
  cols: { id: string; created: string; dated: string; tenant: string },
  page: { after: Watermark | null; since: string | undefined; limit: number; ctx: MapContext },
  extra: readonly string[] = [],
): string {
  const where = [cyclePredicate(values, cols.id, page.after, `${cols.created} >= NOW() - INTERVAL ${RESCAN_DAYS} DAY`, CYCLE_SECONDS), ...extra]
  if (page.since) {
    where.push(`${cols.dated} >= ?`)
    values.push(`${page.since} 00:00:00`)
  }
  const tenant = jsherpTenant(page.ctx)
  if (tenant) {
    where.push(`${cols.tenant} = ?`)
    values.push(tenant)
  }
  values.push(page.limit)
  return where.join(' AND ')
}

const watermarkOf = (row: Row): Watermark => ({ modified: String(row.wm_modified), key: String(row.wm_key) })
const localTime = (expr: string) => `DATE_FORMAT(${expr}, '%Y-%m-%d %H:%i:%s')`
/** jshERP's own test for "not deleted": `ifnull(delete_flag,'0') != '1'` */
const deleted = (v: unknown) => text(v) === '1'
/** Approved: 1 已审核; orders also 2 完成采购|销售 and 3 部分采购|销售. 0 未审核 and 9 审核中 are not. */
const APPROVED = new Set(['1', '2', '3'])

/**
 * The tenant's 强审核 switch (`jsh_system_config.force_approval_flag`, read as
 * `SystemConfigService.getForceApprovalFlag` does: the first undeleted row, '1' is on). On, jshERP's
 * stock and reports count approved bills only; off (jshERP's default), every bill that is not deleted.
 */
const forceApprovalSql = (tenantExpr: string) =>
  `(SELECT sc.force_approval_flag FROM jsh_system_config sc WHERE sc.tenant_id <=> ${tenantExpr} AND IFNULL(sc.delete_flag, '0') != '1' ORDER BY sc.id LIMIT 1)`

/** Whether a bill counts now: not deleted, and approved when the tenant's 强审核 is on. */
function counts(row: Row, deletedFlags: unknown[]): boolean {
  if (deletedFlags.some(deleted)) return false
  return text(row.force_approval_flag) !== '1' || APPROVED.has(text(row.status) ?? '')
}

/** `recent`: 1 while the document (entered at `created`) is in the re-scan window, so its rows are remembered */
const recentSql = (created: string) => `(${created} >= NOW() - INTERVAL ${RESCAN_DAYS} DAY) AS recent`

/**
 * The rows of a stream the runner remembers (docs/connectors.md "jshERP"): those of documents in
 * the re-scan window, each row's movement `<tag>:<row id>`; a row not read again for RESCAN_DAYS
 * (its document left the window; its movements can be cancelled as long again) is forgotten.
 */
function remembered(tag: string, docOf: (row: Row) => string): DocumentLines {
  return {
    of: (row) => (text(row.recent) === '1' ? { doc: docOf(row), line: String(row.id) } : undefined),
    movementIds: (line, ctx) => {
      const id = idOf(ctx.idPrefix, `${tag}:${line}`)
      return id ? [id] : []
    },
    everyMs: CYCLE_SECONDS * 1000,
    keepMs: RESCAN_DAYS * 86_400_000,
  }
}

// ---------------------------------------------------------------------------------------------
// document lines

export const jsherpDepotLines: StreamMapping = {
  name: 'depot-lines',
  page(after, limit, since, ctx) {
    const values: unknown[] = []
    const where = documentWhere(values, { id: 'i.id', created: 'h.create_time', dated: 'h.oper_time', tenant: 'h.tenant_id' }, { after, since, limit, ctx })
    const text = `
SELECT ${cycleSql(CYCLE_SECONDS)} AS wm_modified, CAST(i.id AS CHAR) AS wm_key,
  i.id, i.header_id, h.type, h.sub_type, h.number, h.link_number, ${localTime('h.oper_time')} AS oper_time,
  h.status, ${forceApprovalSql('h.tenant_id')} AS force_approval_flag, h.delete_flag AS head_delete_flag, i.delete_flag AS item_delete_flag, h.organ_id,
  i.material_id, i.material_type, CAST(i.oper_number AS CHAR) AS oper_number, CAST(i.basic_number AS CHAR) AS basic_number,
  CAST(i.all_price AS CHAR) AS all_price, CAST(i.purchase_unit_price AS CHAR) AS purchase_unit_price,
  i.depot_id, i.another_depot_id, ${recentSql('h.create_time')}
FROM jsh_depot_item i
JOIN jsh_depot_head h ON h.id = i.header_id
WHERE ${where}
ORDER BY i.id
LIMIT ?`
    return { text, values }
  },
  watermark: watermarkOf,
  map: mapDepotLine,
  // editing a bill deletes its lines and inserts new ones (DepotItemService.saveDetials →
  // deleteDepotItemHeadId → deleteByExample): the runner cancels the lines of the bills entered in
  // the re-scan window that are gone, and gives a line approved again new ids
  lines: {
    ...remembered('dl', (row) => String(row.header_id)),
    current(docs) {
      return {
        text: `SELECT CAST(header_id AS CHAR) AS doc, CAST(id AS CHAR) AS line FROM jsh_depot_item WHERE header_id IN (${docs.map(() => '?').join(', ')})`,
        values: [...docs],
      }
    },
  },
}

type LineKind =
  | { kind: 'purchase_receipt' | 'purchase_return' | 'sales_shipment' | 'sales_return' | 'purchase_order' | 'sales_order' | 'transfer'; channel?: string }
  | { kind: 'adjustment'; sign: 1 | -1 | 0 }
  | { skip: string }
  | { reject: string }

/** What a line of (type, sub_type) is, after jshERP's stock query (see the file comment). */
export function depotLineKind(type: string | undefined, subType: string | undefined, materialType: string | undefined): LineKind {
  switch (`${type ?? ''}/${subType ?? ''}`) {
    case '入库/采购':
      return { kind: 'purchase_receipt' }
    case '出库/采购退货':
      return { kind: 'purchase_return' }
    case '出库/销售':
      return { kind: 'sales_shipment', channel: '销售' }
    case '出库/零售':
      return { kind: 'sales_shipment', channel: '零售' }
    case '入库/销售退货':
      return { kind: 'sales_return', channel: '销售' }
    case '入库/零售退货':
      return { kind: 'sales_return', channel: '零售' }
    case '出库/调拨':
      return { kind: 'transfer' }
    case '其它/采购订单':
      return { kind: 'purchase_order' }
    case '其它/销售订单':
      return { kind: 'sales_order', channel: '销售' }
    case '入库/其它':
      return { kind: 'adjustment', sign: 1 }
    case '出库/其它':
      return { kind: 'adjustment', sign: -1 }
    case '其它/盘点复盘':
      return { kind: 'adjustment', sign: 0 }
    case '其它/组装单':
      return materialType === '组合件'
        ? { kind: 'adjustment', sign: 1 }
        : materialType === '普通子件'
          ? { kind: 'adjustment', sign: -1 }
          : { skip: `组装单 line of material_type ${materialType ?? 'none'}` }
    case '其它/拆卸单':
      return materialType === '普通子件'
        ? { kind: 'adjustment', sign: 1 }
        : materialType === '组合件'
          ? { kind: 'adjustment', sign: -1 }
          : { skip: `拆卸单 line of material_type ${materialType ?? 'none'}` }
    case '其它/请购单':
    case '其它/盘点录入':
      return { skip: `${subType}: moves no stock` }
    default:
      // jshERP's stock query counts every 入库/出库 line: one the mapping cannot place must be seen
      if (type === '入库' || type === '出库') return { reject: `${type}/${subType ?? ''}: a sub-type jshERP's stock query counts but the mapping does not know` }
      return { skip: `${type ?? '?'}/${subType ?? '?'}: moves no stock` }
  }
}

/** A `jsh_depot_item` line with its bill → movements (exported for the unit tests). */
export function mapDepotLine(row: Row, ctx: MapContext): RowResult {
  const p = ctx.idPrefix
  const id = idOf(p, `dl:${text(row.id) ?? ''}`)
  if (!id) return { reject: 'line id cannot be a movement id' }
  const occurredAt = rfc3339(row.oper_time, ctx.tz, ctx.tz)
  if (!occurredAt) return { reject: `unreadable oper_time ${JSON.stringify(row.oper_time)}` }
  const kind = depotLineKind(text(row.type), text(row.sub_type), text(row.material_type))
  if ('skip' in kind || 'reject' in kind) return kind
  if (!counts(row, [row.head_delete_flag, row.item_delete_flag])) return cancelsOf([id], occurredAt)

  const basic = num(row.basic_number)
  if (basic === undefined) return { reject: 'basic_number missing' }
  const qty = roundQty(Math.abs(basic))
  if (qty === 0) return { skip: 'quantity 0' }
  if (basic < 0 && !(kind.kind === 'adjustment' && kind.sign === 0)) return { reject: `negative basic_number ${basic} on a ${text(row.sub_type) ?? ''} line` }
  const sku = codeOf(p, row.material_id)
  const warehouse = codeOf(p, row.depot_id)
  if (!sku) return { reject: 'material_id missing' }
  if (!warehouse) return { reject: 'depot_id missing' }

  if (kind.kind === 'adjustment') return ok(adjustmentOf({ id, occurredAt, sku, warehouse }, kind.sign === 0 ? basic : kind.sign * qty))
  if (kind.kind === 'transfer') {
    const toWarehouse = codeOf(p, row.another_depot_id)
    if (!toWarehouse) return { reject: '调拨 line without another_depot_id' }
    if (toWarehouse === warehouse) return { skip: 'transfer to the same depot' }
    return ok({ type: 'transfer', id, occurredAt, sku, qty, warehouse, toWarehouse })
  }

  // money: all_price is the line's amount before tax (tax_last_money is with tax); per base unit
  const allPrice = num(row.all_price)
  if (allPrice === undefined) return { reject: 'all_price missing' }
  const lineAmount = roundMoney(Math.abs(allPrice))
  const unitPrice = roundPrice(lineAmount / qty)
  const number = text(row.number)
  const ownRef = number ? idOf(p, number) : undefined
  const linkRef = text(row.link_number) ? idOf(p, String(row.link_number)) : undefined
  const common = { id, occurredAt, sku, warehouse, qty, partner: codeOf(p, row.organ_id), channel: kind.channel ? codeOf(p, kind.channel) : undefined }

  switch (kind.kind) {
    case 'purchase_order':
      return ok({ type: 'purchase_order', ...common, unitCost: unitPrice, lineAmount, ref: ownRef })
    case 'sales_order':
      return ok({ type: 'sales_order', ...common, unitPrice, lineAmount, ref: ownRef })
    case 'purchase_receipt':
      return ok({ type: 'purchase_receipt', ...common, unitCost: unitPrice, lineAmount, ref: linkRef })
    case 'purchase_return':
      return ok({ type: 'purchase_return', ...common, unitCost: unitPrice, lineAmount })
    case 'sales_shipment':
      return ok({ type: 'sales_shipment', ...common, unitPrice, lineAmount, ...saleCost(row, qty), ref: linkRef })
    case 'sales_return':
      return ok({ type: 'sales_return', ...common, unitPrice, lineAmount, ...saleCost(row, qty) })
  }
}

/**
 * The ERP's own cost of a sales line: `purchase_unit_price` (set on 销售/零售 lines and their
 * returns from the moving average or the purchase price, `DepotItemService.saveDetials`), per
 * `material_unit`; × `oper_number` it is the line's cost, ÷ `basic_number` the cost per base unit.
 */
function saleCost(row: Row, qty: number): { unitCost?: number; lineCost?: number } {
  const price = num(row.purchase_unit_price)
  const oper = num(row.oper_number)
  if (price === undefined || oper === undefined || price < 0) return {}
  const lineCost = roundMoney(Math.abs(price * oper))
  return { unitCost: roundPrice(lineCost / qty), lineCost }
}

const ok = (m: Movement): RowResult => ({ movements: [defined(m as unknown as Record<string, unknown>) as unknown as Movement] })

// ---------------------------------------------------------------------------------------------
// payments

/** 收款单 / 收预付款 (money in from a customer or member), 付款单 (money out to a supplier). */
const PAYMENT_TYPES: Readonly<Record<string, 'payment_in' | 'payment_out'>> = { 收款: 'payment_in', 收预付款: 'payment_in', 付款: 'payment_out' }

export const jsherpAccountPayments: StreamMapping = {
  name: 'account-payments',
  page(after, limit, since, ctx) {
    const values: unknown[] = []
    const where = documentWhere(values, { id: 'a.id', created: 'a.bill_time', dated: 'a.bill_time', tenant: 'a.tenant_id' }, { after, since, limit, ctx })
    const text = `
SELECT ${cycleSql(CYCLE_SECONDS)} AS wm_modified, CAST(a.id AS CHAR) AS wm_key,
  a.id, a.type, a.organ_id, CAST(a.change_amount AS CHAR) AS change_amount, a.bill_no, ${localTime('a.bill_time')} AS bill_time,
  a.status, ${forceApprovalSql('a.tenant_id')} AS force_approval_flag, a.delete_flag, ${recentSql('a.bill_time')}
FROM jsh_account_head a
WHERE ${where}
ORDER BY a.id
LIMIT ?`
    return { text, values }
  },
  watermark: watermarkOf,
  map: mapAccountPayment,
  // a payment approved again after its un-approval was read gets new ids
  lines: remembered('ah', (row) => String(row.id)),
}

/** A `jsh_account_head` → `payment_in` / `payment_out` of |change_amount| (jshERP books 付款 negative). */
export function mapAccountPayment(row: Row, ctx: MapContext): RowResult {
  const p = ctx.idPrefix
  const type = PAYMENT_TYPES[text(row.type) ?? '']
  if (!type) return { skip: `${text(row.type) ?? '?'}: not a payment to or from a partner` }
  const id = idOf(p, `ah:${text(row.id) ?? ''}`)
  if (!id) return { reject: 'account head id cannot be a movement id' }
  const occurredAt = rfc3339(row.bill_time, ctx.tz, ctx.tz)
  if (!occurredAt) return { reject: `unreadable bill_time ${JSON.stringify(row.bill_time)}` }
  if (!counts(row, [row.delete_flag])) return cancelsOf([id], occurredAt)
  const amount = num(row.change_amount)
  if (amount === undefined) return { reject: 'change_amount missing' }
  if (roundMoney(Math.abs(amount)) === 0) return { skip: 'amount 0' }
  const ref = text(row.bill_no) ? idOf(p, String(row.bill_no)) : undefined
  return ok({ type, id, occurredAt, amount: roundMoney(Math.abs(amount)), partner: codeOf(p, row.organ_id), ref })
}

/** Bills that carry a payment of their own (现付): purchase and sales receipts, shipments and returns. */
const PAID_BILLS = "('采购','采购退货','销售','销售退货','零售','零售退货')"

export const jsherpBillPayments: StreamMapping = {
  name: 'bill-payments',
  page(after, limit, since, ctx) {
    const values: unknown[] = []
    const where = documentWhere(values, { id: 'h.id', created: 'h.create_time', dated: 'h.oper_time', tenant: 'h.tenant_id' }, { after, since, limit, ctx }, [
      `h.type IN ('入库','出库') AND h.sub_type IN ${PAID_BILLS}`,
    ])
    const text = `
SELECT ${cycleSql(CYCLE_SECONDS)} AS wm_modified, CAST(h.id AS CHAR) AS wm_key,
  h.id, h.type, h.sub_type, h.number, h.organ_id, CAST(h.change_amount AS CHAR) AS change_amount,
  ${localTime('h.oper_time')} AS oper_time, h.status, ${forceApprovalSql('h.tenant_id')} AS force_approval_flag, h.delete_flag, ${recentSql('h.create_time')}
FROM jsh_depot_head h
WHERE ${where}
ORDER BY h.id
LIMIT ?`
    return { text, values }
  },
  watermark: watermarkOf,
  map: mapBillPayment,
  lines: remembered('dp', (row) => String(row.id)),
}

/**
 * The money paid with a bill (`jsh_depot_head.change_amount`, 现付): positive is money in (a sale,
 * a purchase return), negative money out (a purchase, a sales return), as jshERP signs it.
 */
export function mapBillPayment(row: Row, ctx: MapContext): RowResult {
  const p = ctx.idPrefix
  const amount = num(row.change_amount)
  if (amount === undefined || roundMoney(Math.abs(amount)) === 0) return { skip: 'no payment with the bill' }
  const id = idOf(p, `dp:${text(row.id) ?? ''}`)
  if (!id) return { reject: 'bill id cannot be a movement id' }
  const occurredAt = rfc3339(row.oper_time, ctx.tz, ctx.tz)
  if (!occurredAt) return { reject: `unreadable oper_time ${JSON.stringify(row.oper_time)}` }
  if (!counts(row, [row.delete_flag])) return cancelsOf([id], occurredAt)
  const ref = text(row.number) ? idOf(p, String(row.number)) : undefined
  return ok({ type: amount > 0 ? 'payment_in' : 'payment_out', id, occurredAt, amount: roundMoney(Math.abs(amount)), partner: codeOf(p, row.organ_id), ref })
}

// ---------------------------------------------------------------------------------------------
// master data

function masterPage(select: string, from: string, idExpr: string, after: Watermark | null, limit: number, ctx: MapContext, tenantExpr: string): SqlQuery {
  const values: unknown[] = []
  const where = [cyclePredicate(values, idExpr, after, 'TRUE', MASTER_CYCLE_SECONDS)]
  const tenant = jsherpTenant(ctx)
  if (tenant) {
    where.push(`${tenantExpr} = ?`)
    values.push(tenant)
  }
  values.push(limit)
  return {
    text: `SELECT ${cycleSql(MASTER_CYCLE_SECONDS)} AS wm_modified, CAST(${idExpr} AS CHAR) AS wm_key, ${select} FROM ${from} WHERE ${where.join(' AND ')} ORDER BY ${idExpr} LIMIT ?`,
    values,
  }
}

const name200 = (v: unknown) => text(v)?.trim().slice(0, 200)

export const jsherpMaterials: MasterStream = {
  name: 'materials',
  kind: 'skus',
  page: (after, limit, ctx) =>
    masterPage(
      'm.id, m.name, m.model, m.standard, m.category_id, COALESCE(u.basic_unit, m.unit) AS unit, m.delete_flag',
      'jsh_material m LEFT JOIN jsh_unit u ON u.id = m.unit_id',
      'm.id',
      after,
      limit,
      ctx,
      'm.tenant_id',
    ),
  watermark: watermarkOf,
  map(row, ctx) {
    if (deleted(row.delete_flag)) return { skip: 'deleted' }
    const code = codeOf(ctx.idPrefix, row.id)
    const spec = [text(row.standard), text(row.model)].filter(Boolean).join(' ')
    const name = name200(spec ? `${text(row.name) ?? ''} ${spec}` : row.name)
    if (!code || !name) return { skip: 'no usable name' }
    return { record: defined({ code, name, category: codeOf(ctx.idPrefix, row.category_id), unit: text(row.unit)?.slice(0, 16) }) }
  },
}

export const jsherpCategories: MasterStream = {
  name: 'material-categories',
  kind: 'categories',
  page: (after, limit, ctx) => masterPage('c.id, c.name, c.delete_flag', 'jsh_material_category c', 'c.id', after, limit, ctx, 'c.tenant_id'),
  watermark: watermarkOf,
  map(row, ctx) {
    if (deleted(row.delete_flag)) return { skip: 'deleted' }
    const code = codeOf(ctx.idPrefix, row.id)
    const name = name200(row.name)
    return code && name ? { record: { code, name } } : { skip: 'no usable name' }
  },
}

export const jsherpDepots: MasterStream = {
  name: 'depots',
  kind: 'warehouses',
  page: (after, limit, ctx) => masterPage('d.id, d.name, d.delete_Flag AS delete_flag', 'jsh_depot d', 'd.id', after, limit, ctx, 'd.tenant_id'),
  watermark: watermarkOf,
  map(row, ctx) {
    if (deleted(row.delete_flag)) return { skip: 'deleted' }
    const code = codeOf(ctx.idPrefix, row.id)
    const name = name200(row.name)
    return code && name ? { record: { code, name } } : { skip: 'no usable name' }
  },
}

/** jsh_supplier.type: 供应商 (supplier), 客户 (customer), 会员 (retail member: a customer). */
const PARTNER_KINDS: Readonly<Record<string, 'supplier' | 'customer'>> = { 供应商: 'supplier', 客户: 'customer', 会员: 'customer' }

export const jsherpPartners: MasterStream = {
  name: 'suppliers',
  kind: 'partners',
  page: (after, limit, ctx) => masterPage('s.id, s.supplier, s.type, s.delete_flag', 'jsh_supplier s', 's.id', after, limit, ctx, 's.tenant_id'),
  watermark: watermarkOf,
  map(row, ctx) {
    if (deleted(row.delete_flag)) return { skip: 'deleted' }
    const kind = PARTNER_KINDS[text(row.type) ?? '']
    if (!kind) return { skip: `type ${text(row.type) ?? 'none'}` }
    const code = codeOf(ctx.idPrefix, row.id)
    const name = name200(row.supplier)
    return code && name ? { record: { code, name, kind } } : { skip: 'no usable name' }
  },
}

/** The jshERP mapping: master data first, then document lines and payments. */
export const jsherpMapping: ErpMapping = {
  erp: 'jsherp',
  dialect: 'mysql',
  master: [jsherpCategories, jsherpDepots, jsherpPartners, jsherpMaterials],
  streams: [jsherpDepotLines, jsherpAccountPayments, jsherpBillPayments],
}
