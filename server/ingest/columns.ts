/**
 * Spreadsheet columns → movement fields (docs/import.md "Spreadsheets and Chinese headers"), shared by
 * `npm run import` and `POST /api/v1/import`. A header row is either the movement's own field
 * names (the CSV format the importer always read: cells taken as they are) or an ERP export's
 * headers — 单据编号, 日期, 商品编码, 仓库, 数量, 单价, 金额, 单据类型 … as jshERP/华夏ERP, 用友 and
 * 金蝶 name them, or their English equivalents — which are mapped, with the row's document type
 * (采购入库, 销售出库, 调拨, 盘点 …) deciding what 单价 and 金额 mean. A mapping file adds or
 * overrides headers and type names.
 *
 * Headers and type names follow jshERP's own tables (jishenghua/jshERP jshERP-boot/docs/jsh_erp.sql):
 * jsh_depot_head `number` 票据号, `oper_time` 出入库时间, `link_number` 关联订单号, `type` 入库/出库/其它 ×
 * `sub_type` 采购/采购退货/采购订单/销售/销售退货/销售订单/零售/零售退货/调拨/其它; jsh_depot_item
 * `oper_number` 数量, `basic_number` 基础数量 (the base unit: preferred), `unit_price` 单价, `tax_unit_price`
 * 含税单价, `all_price` 金额, `tax_last_money` 价税合计, `another_depot_id` 对方仓库; jsh_account_head `type`
 * 收款/付款, `bill_no` 单据编号, `bill_time` 单据日期 — and the usual names of 用友/金蝶 exports.
 */
import { MOVEMENT_TYPES } from '../../protocol/movement.ts'
import type { FieldError, MovementType } from '../../protocol/movement.ts'
import type { BusinessCalendar } from '../domain/time.ts'

/** Movement fields a column may fill directly. */
export const MOVEMENT_FIELDS = [
  'id',
  'type',
  'occurredAt',
  'sku',
  'warehouse',
  'toWarehouse',
  'qty',
  'countedQty',
  'bookQty',
  'unitPrice',
  'unitCost',
  'amount',
  'lineAmount',
  'lineCost',
  'currency',
  'partner',
  'category',
  'region',
  'channel',
  'ref',
  'dueAt',
  'dueDate',
  'cancels',
  'returnOf',
] as const
export type MovementField = (typeof MOVEMENT_FIELDS)[number]

/**
 * Targets that are not a field of their own: the document number and line number make the id
 * (`<单据编号>-<行号>`); `price` (单价) is unitPrice on sales types and unitCost on purchase types;
 * `money` (金额) is a payment's amount and a line's lineAmount.
 */
export const DERIVED_TARGETS = ['document', 'line', 'price', 'money'] as const
export type ColumnTarget = MovementField | (typeof DERIVED_TARGETS)[number]

const NUMERIC: ReadonlySet<string> = new Set(['qty', 'countedQty', 'bookQty', 'unitPrice', 'unitCost', 'amount', 'lineAmount', 'lineCost', 'price', 'money', 'line'])
const DATE_TIME: ReadonlySet<string> = new Set(['occurredAt', 'dueAt'])

/**
 * Headers recognised, by target (compared without spaces, brackets and case). Where an export has
 * several (客户 and 供应商), the first non-empty cell of a row is taken, in this order.
 */
export const HEADER_ALIASES: Readonly<Record<ColumnTarget, readonly string[]>> = {
  id: ['id', 'movementid', 'lineid', '明细id', '行id', '分录id', '唯一编号'],
  document: ['document', 'documentno', 'docno', 'voucherno', 'billno', 'number', '单据编号', '票据号', '单据号', '单号', '单据编码', '订单编号', '凭证号'],
  line: ['lineno', 'linenumber', '行号', '序号', '分录号'],
  type: ['type', 'documenttype', 'movementtype', '单据类型', '业务类型', '类型', '单据类别'],
  occurredAt: ['occurredat', 'date', 'datetime', 'time', 'documentdate', '日期', '单据日期', '业务日期', '操作时间', '发生时间', '出入库时间', '出入库日期', '时间'],
  sku: ['sku', 'itemcode', 'productcode', 'materialcode', '商品编码', '物料编码', '商品编号', '物料编号', '产品编码', '存货编码', '货品编码', '条码'],
  warehouse: ['warehouse', 'warehousecode', 'fromwarehouse', '仓库', '仓库编码', '仓库名称', '调出仓库', '出库仓库'],
  toWarehouse: ['towarehouse', '调入仓库', '目标仓库', '入库仓库', '对方仓库'],
  qty: ['qty', 'basicquantity', '基础数量', '基本数量', 'quantity', '数量', '出入库数量'],
  countedQty: ['countedqty', '盘点数量', '实盘数量', '实存数量'],
  bookQty: ['bookqty', '账面数量', '账存数量', '库存数量'],
  price: ['price', 'unitprice/cost', '单价', '含税单价'],
  unitPrice: ['unitprice', 'sellingprice', '销售单价', '售价', '零售价'],
  unitCost: ['unitcost', 'cost', '采购单价', '成本单价', '成本价', '进价', '单位成本'],
  money: ['money', 'total', '金额', '价税合计', '含税金额', '收付金额'],
  amount: ['amount', '收款金额', '付款金额', '本次收款', '本次付款'],
  lineAmount: ['lineamount', '销售金额', '采购金额'],
  lineCost: ['linecost', '成本金额', '成本'],
  currency: ['currency', '币种', '币别', '货币'],
  partner: ['partner', 'customer', 'supplier', 'vendor', '往来单位', '客户', '供应商', '客户编码', '供应商编码', '往来单位编码', '会员'],
  category: ['category', '商品类别', '商品分类', '类别', '分类', '物料类别'],
  region: ['region', '区域', '地区', '片区'],
  channel: ['channel', '渠道', '销售渠道', '门店'],
  ref: ['ref', 'order', 'orderno', 'sourcedocument', '关联单号', '关联单据', '源单号', '源单编号', '订单号', '关联订单', '关联订单号'],
  dueAt: ['dueat', 'duedate', 'promiseddate', '交货日期', '到货日期', '约定日期', '到期日', '到期日期', '预计交货日期', '要求到货日期'],
  dueDate: [],
  cancels: ['cancels', '作废单号', '冲销单号'],
  returnOf: ['returnof', '退货原单', '原单明细id'],
}

/** Headers known to carry nothing a movement takes (names, units, remarks): ignored without a warning. */
const IGNORED = [
  '商品名称',
  '物料名称',
  '名称',
  '品名',
  '规格',
  '规格型号',
  '型号',
  '单位',
  '计量单位',
  '备注',
  '税率',
  '税额',
  '经手人',
  '制单人',
  '审核人',
  '状态',
  '摘要',
  'name',
  'unit',
  'remark',
  'note',
  'spec',
]

/**
 * Document type names → movement types. Besides these the movement types themselves
 * (`purchase_receipt` …) are accepted.
 */
export const TYPE_NAMES: Readonly<Record<string, MovementType>> = {
  采购订单: 'purchase_order',
  采购入库: 'purchase_receipt',
  采购收货: 'purchase_receipt',
  入库单: 'purchase_receipt',
  采购退货: 'purchase_return',
  采购退货出库: 'purchase_return',
  采购退回: 'purchase_return',
  // jshERP's sub_type alone: 采购 is always 入库, 销售 always 出库 (jsh_depot_head)
  采购: 'purchase_receipt',
  销售: 'sales_shipment',
  销售订单: 'sales_order',
  销售出库: 'sales_shipment',
  销售发货: 'sales_shipment',
  发货单: 'sales_shipment',
  零售出库: 'sales_shipment',
  零售: 'sales_shipment',
  销售退货: 'sales_return',
  销售退货入库: 'sales_return',
  销售退回: 'sales_return',
  零售退货: 'sales_return',
  调拨: 'transfer',
  调拨出库: 'transfer',
  调拨单: 'transfer',
  盘点: 'stocktake',
  盘点复盘: 'stocktake',
  盘点单: 'stocktake',
  收款: 'payment_in',
  收款单: 'payment_in',
  付款: 'payment_out',
  付款单: 'payment_out',
  作废: 'cancel',
  冲销: 'cancel',
}

/** A mapping file (`--mapping file.json`, or `mapping` of the import endpoints). */
export interface MappingFile {
  /** header → target (a movement field, `document`, `line`, `price`, `money`), or null to ignore the column */
  columns?: Record<string, string | null>
  /** document type name → movement type */
  types?: Record<string, string>
}

export interface MappedColumn {
  /** the header as written in the file */
  header: string
  /** what the column fills; null: ignored */
  target: ColumnTarget | null
  /** from a mapping file, a recognised header, or the field name itself */
  source?: 'mapping' | 'alias' | 'field'
}

export interface ColumnMapping {
  /**
   * `fields`: every header is a movement field (cells taken as they are, the original CSV format);
   * `mapped`: headers were mapped (ids derived, types translated, dates and numbers read)
   */
  mode: 'fields' | 'mapped'
  columns: MappedColumn[]
  /** document type names in use (built-in and the mapping file's) */
  types: Record<string, MovementType>
  /** what a reader should know: a missing id or type, an unknown header */
  warnings: string[]
}

const normalizeHeader = (h: string) => h.replace(/[\s_\-()（）[\]【】:：*]/g, '').toLowerCase()

/** a header's alias as listed in HEADER_ALIASES (its rank there) */
const normalizeAlias = (header: string): string => ALIAS_FORM.get(normalizeHeader(header)) ?? ''
const ALIAS_FORM: ReadonlyMap<string, string> = (() => {
  const out = new Map<string, string>()
  for (const list of Object.values(HEADER_ALIASES)) for (const a of list) if (!out.has(normalizeHeader(a))) out.set(normalizeHeader(a), a)
  return out
})()

const ALIAS_INDEX: ReadonlyMap<string, ColumnTarget> = (() => {
  const out = new Map<string, ColumnTarget>()
  for (const [target, aliases] of Object.entries(HEADER_ALIASES) as [ColumnTarget, readonly string[]][]) {
    for (const a of aliases) if (!out.has(normalizeHeader(a))) out.set(normalizeHeader(a), target)
  }
  return out
})()
const IGNORED_INDEX: ReadonlySet<string> = new Set(IGNORED.map(normalizeHeader))
const FIELD_SET: ReadonlySet<string> = new Set(MOVEMENT_FIELDS)
const TARGET_SET: ReadonlySet<string> = new Set([...MOVEMENT_FIELDS, ...DERIVED_TARGETS])
const TYPE_SET: ReadonlySet<string> = new Set(MOVEMENT_TYPES)

/** A mapping file that names an unknown target or type: the message names the entry. */
export class MappingError extends Error {
  override readonly name = 'MappingError'
}

/** Checks a mapping file's shape and names; throws MappingError naming the bad entry. */
export function checkMappingFile(raw: unknown): MappingFile {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new MappingError('the mapping must be a JSON object {"columns": {…}, "types": {…}}')
  const { columns, types, ...rest } = raw as Record<string, unknown>
  const extra = Object.keys(rest)
  if (extra.length > 0) throw new MappingError(`mapping: unknown key "${extra[0]}" (only "columns" and "types")`)
  const out: MappingFile = {}
  if (columns !== undefined) {
    if (columns === null || typeof columns !== 'object' || Array.isArray(columns)) throw new MappingError('mapping.columns must be an object {"header": "field"}')
    for (const [h, t] of Object.entries(columns)) {
      if (t !== null && (typeof t !== 'string' || !TARGET_SET.has(t))) {
        throw new MappingError(`mapping.columns["${h}"]: "${String(t)}" is not a movement field nor one of ${DERIVED_TARGETS.join(', ')} (null ignores the column)`)
      }
    }
    out.columns = columns as Record<string, string | null>
  }
  if (types !== undefined) {
    if (types === null || typeof types !== 'object' || Array.isArray(types)) throw new MappingError('mapping.types must be an object {"name": "movement type"}')
    for (const [n, t] of Object.entries(types)) {
      if (typeof t !== 'string' || !TYPE_SET.has(t)) throw new MappingError(`mapping.types["${n}"]: "${String(t)}" is not a movement type (${MOVEMENT_TYPES.join(', ')})`)
    }
    out.types = types as Record<string, string>
  }
  return out
}

/**
 * Maps a header row. Exact movement field names only, and no mapping file: `fields` mode (the
 * original CSV format, unknown columns refused line by line by validation). Otherwise each header
 * is looked up in the mapping file, then among the recognised headers; unknown ones are ignored
 * with a warning.
 */
export function detectMapping(headers: readonly string[], file?: MappingFile): ColumnMapping {
  const types: Record<string, MovementType> = { ...TYPE_NAMES, ...(file?.types as Record<string, MovementType> | undefined) }
  const trimmed = headers.map((h) => h.trim())
  const anyAlias = trimmed.some((h) => h !== '' && !FIELD_SET.has(h) && ALIAS_INDEX.has(normalizeHeader(h)))
  if (!file?.columns && !anyAlias) {
    return { mode: 'fields', columns: trimmed.map((h) => ({ header: h, target: FIELD_SET.has(h) ? (h as MovementField) : null, source: 'field' as const })), types, warnings: [] }
  }
  const warnings: string[] = []
  const columns = trimmed.map((header): MappedColumn => {
    if (file?.columns && Object.hasOwn(file.columns, header)) return { header, target: (file.columns[header] ?? null) as ColumnTarget | null, source: 'mapping' }
    if (FIELD_SET.has(header)) return { header, target: header as MovementField, source: 'field' }
    const alias = ALIAS_INDEX.get(normalizeHeader(header))
    if (alias) return { header, target: alias, source: 'alias' }
    if (header !== '' && !IGNORED_INDEX.has(normalizeHeader(header))) warnings.push(`column "${header}" is not recognised: ignored (a mapping file can map it)`)
    return { header, target: null }
  })
  const has = (t: ColumnTarget) => columns.some((c) => c.target === t)
  if (!has('id') && !has('document')) warnings.push('no id column nor 单据编号 (document number): every row will be refused')
  if (!has('type')) warnings.push('no 单据类型 (type) column: every row will be refused')
  if (!has('occurredAt')) warnings.push('no 日期 (date) column: every row will be refused')
  if (has('document') && !has('id') && !has('line'))
    warnings.push('no 行号 (line number) column: ids are <单据编号>-row<row number>, stable only while the file keeps its row order')
  return { mode: 'mapped', columns, types, warnings }
}

/** A cell as read: text, a number, a Date (xlsx dates, wall-clock time in UTC fields), a boolean, empty. */
export type Cell = string | number | boolean | Date | null | undefined

/** exceljs cell values (rich text, formulas, hyperlinks, errors) as a Cell. */
export function cellValue(v: unknown): Cell {
  if (v === null || v === undefined) return null
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v instanceof Date) return v
  if (typeof v === 'object') {
    const o = v as { richText?: { text: string }[]; result?: unknown; text?: unknown; error?: string }
    if (Array.isArray(o.richText)) return o.richText.map((r) => r.text).join('')
    if ('result' in o) return cellValue(o.result)
    if (typeof o.text === 'string') return o.text
    if (typeof o.error === 'string') return o.error
  }
  return String(v)
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')
const isBlank = (c: Cell) => c === null || c === undefined || (typeof c === 'string' && c.trim() === '')

/**
 * A date, or a date and time, as RFC 3339 in the business time zone. An xlsx date (a Date whose
 * UTC fields are the wall clock the sheet shows), `2025-03-03`, `2025/3/3 14:20[:05]`,
 * `2025年3月3日 14:20`, or RFC 3339 with an offset (kept as it is). `dateOnly` is true when no
 * time was given.
 */
export function readDateTime(c: Cell, cal: BusinessCalendar): { value: string; dateOnly: boolean } | { error: string } {
  let parts: { year: number; month: number; day: number; hour: number; minute: number; second: number } | undefined
  let dateOnly: boolean
  if (c instanceof Date) {
    if (Number.isNaN(c.getTime())) return { error: 'is not a date' }
    parts = { year: c.getUTCFullYear(), month: c.getUTCMonth() + 1, day: c.getUTCDate(), hour: c.getUTCHours(), minute: c.getUTCMinutes(), second: c.getUTCSeconds() }
    dateOnly = parts.hour === 0 && parts.minute === 0 && parts.second === 0
  } else if (typeof c === 'string') {
    const s = c.trim()
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|z|[+-]\d{2}:\d{2})$/.test(s)) return { value: s, dateOnly: false }
    const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]+(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2})(?:\.\d+)?)?秒?)?$/.exec(s)
    if (!m) return { error: `"${s}" is not a date (2025-03-03, 2025/3/3 14:20 or 2025年3月3日)` }
    parts = { year: +m[1]!, month: +m[2]!, day: +m[3]!, hour: +(m[4] ?? 0), minute: +(m[5] ?? 0), second: +(m[6] ?? 0) }
    dateOnly = m[4] === undefined
  } else return { error: `${String(c)} is not a date` }
  const { year, month, day, hour, minute, second } = parts
  const check = new Date(Date.UTC(year, month - 1, day, hour, minute, second))
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return { error: `${year}-${pad(month)}-${pad(day)} ${pad(hour)}:${pad(minute)}:${pad(second)} is not a real date and time` }
  }
  if (dateOnly) return { value: `${year}-${pad(month)}-${pad(day)}`, dateOnly }
  return { value: cal.format(cal.fromLocal({ year, month, day, hour, minute }) + second * 1000), dateOnly }
}

/** A number cell: a number, or text like `1234.5`, `1,234.50`, `¥12.00`; undefined when it is none. */
export function readNumber(c: Cell): number | undefined {
  if (typeof c === 'number') return Number.isFinite(c) ? c : undefined
  if (typeof c !== 'string') return undefined
  const s = c.trim().replace(/^[¥￥$]/, '')
  const plain = /^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(s) ? s.replace(/,/g, '') : s
  if (!/^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(plain)) return undefined
  return Number(plain)
}

/** Currency names of Chinese exports → ISO 4217 */
const CURRENCY_NAMES: Readonly<Record<string, string>> = {
  人民币: 'CNY',
  本位币: 'CNY',
  RMB: 'CNY',
  rmb: 'CNY',
  美元: 'USD',
  欧元: 'EUR',
  港币: 'HKD',
  港元: 'HKD',
  日元: 'JPY',
  英镑: 'GBP',
}

const text = (c: Cell): string => (c instanceof Date ? c.toISOString() : String(c)).trim()

/** A row as a movement, or the errors that stopped it (each naming its column). */
export type RowOutcome = { ok: true; value: Record<string, unknown> } | { ok: false; errors: FieldError[] }

export interface RowContext {
  calendar: BusinessCalendar
  /** the row's number in the file (1-based, header included): the id of a row without a line number */
  row: number
}

const PURCHASE: ReadonlySet<MovementType> = new Set(['purchase_order', 'purchase_receipt', 'purchase_return'])
const SALES: ReadonlySet<MovementType> = new Set(['sales_order', 'sales_shipment', 'sales_return'])
const PAYMENT: ReadonlySet<MovementType> = new Set(['payment_in', 'payment_out'])
const ORDER: ReadonlySet<MovementType> = new Set(['purchase_order', 'sales_order'])

/** Reads a document type cell: a name of `types` or a movement type. */
export function readType(c: Cell, types: Readonly<Record<string, MovementType>>): MovementType | undefined {
  const s = text(c)
  if (TYPE_SET.has(s)) return s as MovementType
  return types[s] ?? types[s.replace(/\s+/g, '')]
}

/** Each column's rank among its target's aliases (-1: not an alias), read once per mapping. */
const RANKS = new WeakMap<ColumnMapping, number[]>()
function ranksOf(mapping: ColumnMapping): number[] {
  let ranks = RANKS.get(mapping)
  if (!ranks) {
    ranks = mapping.columns.map((col) => (col.target !== null && col.source === 'alias' ? HEADER_ALIASES[col.target].indexOf(normalizeAlias(col.header)) : -1))
    RANKS.set(mapping, ranks)
  }
  return ranks
}

/**
 * One row (cells in header order) as a movement. In `fields` mode cells are taken as they are
 * (numbers parsed in the numeric fields); in `mapped` mode the id is derived, the type translated,
 * dates read in the business time zone, 单价/金额 placed by type, and for a stocktake 数量 is the
 * counted quantity unless a 盘点数量 column gives it.
 */
export function rowToMovement(cells: readonly Cell[], mapping: ColumnMapping, ctx: RowContext): RowOutcome {
  if (mapping.mode === 'fields') {
    const m: Record<string, unknown> = {}
    mapping.columns.forEach((col, i) => {
      const c = cells[i]
      if (isBlank(c) || col.header === '') return
      if (typeof c === 'number') m[col.header] = c
      else if (c instanceof Date) {
        // an xlsx date cell: its wall clock in the business time zone
        const d = readDateTime(c, ctx.calendar)
        m[col.header] = 'error' in d ? text(c) : d.value
      } else if (NUMERIC.has(col.header)) {
        const n = Number(c)
        // a non-number stays as written: validation names the field
        m[col.header] = Number.isFinite(n) ? n : text(c)
      } else m[col.header] = text(c)
    })
    return { ok: true, value: m }
  }

  const errors: FieldError[] = []
  // where several columns fill one target, the highest-ranked non-empty one wins (基础数量 over 数量)
  const got = new Map<ColumnTarget, { cell: Cell; header: string; rank: number }>()
  const ranks = ranksOf(mapping)
  mapping.columns.forEach((col, i) => {
    const c = cells[i]
    if (col.target === null || isBlank(c)) return
    const rank = ranks[i]!
    const held = got.get(col.target)
    if (held && held.rank <= rank) return
    got.set(col.target, { cell: c, header: col.header, rank })
  })
  const m: Record<string, unknown> = {}
  const at = (header: string) => `/${header}`

  let type: MovementType | undefined
  const typeCell = got.get('type')
  if (typeCell) {
    type = readType(typeCell.cell, mapping.types)
    if (!type)
      errors.push({
        path: at(typeCell.header),
        message: `"${text(typeCell.cell)}" is not a known document type (${Object.keys(TYPE_NAMES).slice(0, 12).join('、')} … or a movement type)`,
      })
  } else errors.push({ path: '/type', message: 'is required (a 单据类型 column)' })

  for (const [target, { cell, header }] of got) {
    if (target === 'type' || target === 'document' || target === 'line') continue
    if (DATE_TIME.has(target)) {
      const d = readDateTime(cell, ctx.calendar)
      if ('error' in d) errors.push({ path: at(header), message: d.error })
      else if (target === 'dueAt' && d.dateOnly) m.dueDate = d.value
      else if (d.dateOnly)
        m[target] = ctx.calendar.format(ctx.calendar.fromLocal({ year: +d.value.slice(0, 4), month: +d.value.slice(5, 7), day: +d.value.slice(8, 10), hour: 0, minute: 0 }))
      else m[target] = d.value
      continue
    }
    if (NUMERIC.has(target)) {
      const n = readNumber(cell)
      if (n === undefined) errors.push({ path: at(header), message: `"${text(cell)}" is not a number` })
      else m[target] = n
      continue
    }
    m[target] = target === 'currency' ? (CURRENCY_NAMES[text(cell)] ?? text(cell).toUpperCase()) : text(cell)
  }

  // the id: an id column, else <单据编号>-<行号>, else <单据编号>-row<n>
  if (m.id === undefined) {
    const doc = got.get('document')
    const line = got.get('line')
    if (doc) m.id = line ? `${text(doc.cell)}-${text(line.cell)}` : `${text(doc.cell)}-row${ctx.row}`
    else errors.push({ path: '/id', message: 'is required (an id column, or 单据编号 with 行号)' })
  }
  if (type) {
    m.type = type
    const price = m.price
    const money = m.money
    delete m.price
    delete m.money
    if (price !== undefined) {
      if (SALES.has(type) && m.unitPrice === undefined) m.unitPrice = price
      else if (PURCHASE.has(type) && m.unitCost === undefined) m.unitCost = price
    }
    if (money !== undefined) {
      if (PAYMENT.has(type) && m.amount === undefined) m.amount = money
      else if ((SALES.has(type) || PURCHASE.has(type)) && m.lineAmount === undefined) m.lineAmount = money
    }
    if (PAYMENT.has(type)) {
      // a payment has no goods: an export's empty goods columns must not make it invalid
      for (const k of ['sku', 'warehouse', 'qty', 'unitPrice', 'unitCost', 'lineAmount', 'lineCost']) delete m[k]
    }
    if (type === 'stocktake') {
      if (m.countedQty === undefined && m.qty !== undefined) m.countedQty = m.qty
      delete m.qty
      delete m.unitCost
      delete m.unitPrice
      delete m.lineAmount
    }
    if (type === 'cancel') for (const k of Object.keys(m)) if (!['id', 'type', 'occurredAt', 'cancels'].includes(k)) delete m[k]
    if (type === 'transfer') for (const k of ['unitCost', 'unitPrice', 'lineAmount', 'lineCost']) delete m[k]
    // an order line is its own document: ref names the order the later receipts/shipments fulfil
    if (ORDER.has(type) && m.ref === undefined && got.has('document')) m.ref = text(got.get('document')!.cell)
  } else {
    delete m.price
    delete m.money
  }
  if (errors.length > 0) return { ok: false, errors }
  // id, type and date first: how a person reads a movement
  const ordered: Record<string, unknown> = {}
  for (const k of ['id', 'type', 'occurredAt', ...Object.keys(m)]) if (m[k] !== undefined) ordered[k] = m[k]
  return { ok: true, value: ordered }
}
