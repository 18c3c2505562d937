/**
 * A query result as one table (docs/reports.md "Exports"): the columns a spreadsheet shows, with
 * their headers in the asked language and the unit each column is formatted in, and the rows.
 * Every result shape of protocol/query.ts has its table: a KPI (total, previous period), a series,
 * groups (with their series as columns), stock alerts, reorder rows, the latest movements,
 * receivables/payables ageing, stock ageing and slow-moving stock. Pure: CSV and .xlsx are written
 * from it by export-files.ts.
 */
import type { Interval, Unit } from '../../protocol/metrics.ts'
import { METRICS } from '../../protocol/metrics.ts'
import { CREDIT_AGE_BUCKETS } from '../../protocol/query.ts'
import type { AgeingFigures, QueryResult } from '../../protocol/query.ts'
import type { Locale } from '../../protocol/screen.ts'
import { DIMENSION_TITLES, MOVEMENT_TYPE_TITLES } from '../../widgets/common/i18n.ts'

/** How a column's numbers are written: a metric unit, or text / a time as it stands. */
export type ColumnFormat = Unit | 'text' | 'time'
export type Cell = string | number | null

export interface ExportColumn {
  header: string
  format: ColumnFormat
}

export interface ExportTable {
  /** the metric's title in the language: the sheet's name */
  title: string
  columns: ExportColumn[]
  rows: Cell[][]
  /** what the figures are: metric, period, currency, as-of time (label, value) */
  about: [string, string][]
}

type Words = Record<string, Record<Locale, string>>

/** Column headers and labels of exports, both languages. */
const WORDS = {
  code: { 'zh-CN': '编码', en: 'Code' },
  name: { 'zh-CN': '名称', en: 'Name' },
  total: { 'zh-CN': '合计', en: 'Total' },
  time: { 'zh-CN': '时间', en: 'Time' },
  metric: { 'zh-CN': '指标', en: 'Metric' },
  value: { 'zh-CN': '数值', en: 'Value' },
  from: { 'zh-CN': '开始', en: 'From' },
  to: { 'zh-CN': '结束', en: 'To' },
  previous: { 'zh-CN': '上期', en: 'Previous period' },
  change: { 'zh-CN': '变化', en: 'Change' },
  currency: { 'zh-CN': '币种', en: 'Currency' },
  asOf: { 'zh-CN': '数据时间', en: 'As of' },
  period: { 'zh-CN': '期间', en: 'Period' },
  skuName: { 'zh-CN': '商品名称', en: 'Item name' },
  warehouseName: { 'zh-CN': '仓库名称', en: 'Warehouse name' },
  category: { 'zh-CN': '品类', en: 'Category' },
  qty: { 'zh-CN': '数量', en: 'Qty' },
  safetyStock: { 'zh-CN': '安全库存', en: 'Safety stock' },
  coverage: { 'zh-CN': '覆盖率', en: 'Coverage' },
  onHand: { 'zh-CN': '在库', en: 'On hand' },
  openPurchase: { 'zh-CN': '采购在途', en: 'On order' },
  openSales: { 'zh-CN': '销售待发', en: 'Reserved' },
  projected: { 'zh-CN': '预计可用', en: 'Projected' },
  reorderPoint: { 'zh-CN': '再订货点', en: 'Reorder point' },
  reorderQty: { 'zh-CN': '再订货量', en: 'Reorder qty' },
  suggestedQty: { 'zh-CN': '建议采购量', en: 'Suggested qty' },
  id: { 'zh-CN': '单据行', en: 'Movement' },
  type: { 'zh-CN': '类型', en: 'Type' },
  occurredAt: { 'zh-CN': '发生时间', en: 'Occurred at' },
  partnerName: { 'zh-CN': '往来单位名称', en: 'Partner name' },
  ref: { 'zh-CN': '关联单号', en: 'Reference' },
  amount: { 'zh-CN': '金额', en: 'Amount' },
  balance: { 'zh-CN': '余额', en: 'Balance' },
  credit: { 'zh-CN': '未核销预收/预付', en: 'Unapplied credit' },
  oldestDue: { 'zh-CN': '最早到期日', en: 'Oldest due date' },
  notDue: { 'zh-CN': '未到期', en: 'Not due' },
  days: { 'zh-CN': '天', en: 'days' },
  stockValue: { 'zh-CN': '库存金额', en: 'Stock value' },
  averageAge: { 'zh-CN': '平均库龄（天）', en: 'Average age (days)' },
  oldestAge: { 'zh-CN': '最长库龄（天）', en: 'Oldest age (days)' },
  lastOutbound: { 'zh-CN': '最近出库日', en: 'Last outbound' },
  idleDays: { 'zh-CN': '呆滞天数', en: 'Idle days' },
  all: { 'zh-CN': '全部', en: 'All' },
} as const satisfies Words

type Word = keyof typeof WORDS

/** `lang` of an export: `zh` / `zh-CN` → Chinese, `en` → English. */
export function exportLocale(lang: string | undefined): Locale | undefined {
  if (lang === undefined || lang === 'zh' || lang === 'zh-CN') return 'zh-CN'
  if (lang === 'en') return 'en'
  return undefined
}

/** A bucket start as a spreadsheet shows it: `2026-12-06`, `2026-12`, `2026-12-06 10:00` (the business time zone it was cut in). */
export function bucketLabel(start: string, interval: Interval | undefined): string {
  if (interval === 'month') return start.slice(0, 7)
  if (interval === 'day') return start.slice(0, 10)
  return `${start.slice(0, 10)} ${start.slice(11, 16)}`
}

function ageLabel(key: string, locale: Locale): string {
  return key === 'notDue' ? WORDS.notDue[locale] : `${key} ${WORDS.days[locale]}`
}

/** The table of one result. */
export function resultTable(result: QueryResult, locale: Locale): ExportTable {
  const w = (word: Word) => WORDS[word][locale]
  const en = locale === 'en'
  const name = (zh: string | undefined, english: string | undefined): string => ((en ? english || zh : zh) ?? '') || ''
  const metric = METRICS[result.metric as keyof typeof METRICS]
  const title = metric?.title[locale] ?? result.metric
  const unit = result.unit
  const col = (header: string, format: ColumnFormat): ExportColumn => ({ header, format })
  const dim = (d: keyof typeof DIMENSION_TITLES) => DIMENSION_TITLES[d][locale]

  const about: [string, string][] = [[w('metric'), title]]
  if (result.from && result.to) about.push([w('period'), `${result.from} — ${result.to}`])
  if (unit === 'money') about.push([w('currency'), result.currency])
  about.push([w('asOf'), result.asOf])
  const table = (columns: ExportColumn[], rows: Cell[][]): ExportTable => ({ title, columns, rows, about })

  if (result.rows) {
    return table(
      [
        col(dim('sku'), 'text'),
        col(w('skuName'), 'text'),
        col(dim('warehouse'), 'text'),
        col(w('warehouseName'), 'text'),
        col(w('category'), 'text'),
        col(w('qty'), 'qty'),
        col(w('safetyStock'), 'qty'),
        col(w('coverage'), 'ratio'),
      ],
      result.rows.map((r) => [
        r.sku,
        name(r.skuName, r.skuNameEn),
        r.warehouse,
        name(r.warehouseName, r.warehouseNameEn),
        name(r.categoryName, r.categoryNameEn) || r.category || '',
        r.qty,
        r.safetyStock,
        r.coverage,
      ]),
    )
  }
  if (result.reorder) {
    return table(
      [
        col(dim('sku'), 'text'),
        col(w('skuName'), 'text'),
        col(dim('warehouse'), 'text'),
        col(w('warehouseName'), 'text'),
        col(w('onHand'), 'qty'),
        col(w('openPurchase'), 'qty'),
        col(w('openSales'), 'qty'),
        col(w('projected'), 'qty'),
        col(w('reorderPoint'), 'qty'),
        col(w('reorderQty'), 'qty'),
        col(w('suggestedQty'), 'qty'),
      ],
      result.reorder.map((r) => [
        r.sku,
        name(r.skuName, r.skuNameEn),
        r.warehouse,
        name(r.warehouseName, r.warehouseNameEn),
        r.onHand,
        r.openPurchase,
        r.openSales,
        r.projected,
        r.reorderPoint,
        r.reorderQty ?? null,
        r.suggestedQty,
      ]),
    )
  }
  if (result.movements) {
    return table(
      [
        col(w('id'), 'text'),
        col(w('type'), 'text'),
        col(w('occurredAt'), 'time'),
        col(dim('sku'), 'text'),
        col(w('skuName'), 'text'),
        col(dim('warehouse'), 'text'),
        col(dim('partner'), 'text'),
        col(w('ref'), 'text'),
        col(w('qty'), 'qty'),
        col(w('amount'), 'money'),
      ],
      result.movements.map((m) => [
        m.id,
        MOVEMENT_TYPE_TITLES[m.type][locale],
        m.occurredAt,
        m.sku ?? '',
        name(m.skuName, m.skuNameEn),
        name(m.warehouseName, m.warehouseNameEn) || m.warehouse || '',
        name(m.partnerName, m.partnerNameEn) || m.partner || '',
        m.ref ?? '',
        m.qty ?? null,
        m.amount ?? null,
      ]),
    )
  }
  if (result.creditAgeing) {
    const ageing = result.creditAgeing
    const bucketColumns = CREDIT_AGE_BUCKETS.map((b) => col(ageLabel(b, locale), 'money'))
    if (ageing.rows) {
      return table(
        [col(dim('partner'), 'text'), col(w('partnerName'), 'text'), col(w('balance'), 'money'), ...bucketColumns, col(w('credit'), 'money'), col(w('oldestDue'), 'text')],
        ageing.rows.map((r) => [r.partner, name(r.partnerName, r.partnerNameEn), r.balance, ...r.buckets, r.credit, r.oldestDue ?? '']),
      )
    }
    return table([col(w('total'), 'text'), ...bucketColumns, col(w('credit'), 'money')], [[w('all'), ...ageing.buckets.map((b) => b.amount), ageing.credit]])
  }
  if (result.ageing) {
    const buckets = result.ageing.buckets.map((b) => b.key)
    const columns = [
      col(w('code'), 'text'),
      col(w('name'), 'text'),
      col(w('qty'), 'qty'),
      col(w('stockValue'), 'money'),
      ...buckets.flatMap((b) => [col(`${ageLabel(b, locale)} ${w('qty')}`, 'qty' as const), col(`${ageLabel(b, locale)} ${w('amount')}`, 'money' as const)]),
      col(w('averageAge'), 'days'),
      col(w('oldestAge'), 'days'),
    ]
    const row = (key: string, label: string, f: AgeingFigures): Cell[] => [key, label, f.qty, f.value, ...f.buckets.flatMap((b) => [b.qty, b.value]), f.averageAge, f.oldestAge]
    const rows = (result.ageing.groups ?? []).map((g) => row(g.key, name(g.label, g.labelEn), g))
    rows.push(row('', w('total'), result.ageing))
    return table(columns, rows)
  }
  if (result.slowMoving) {
    return table(
      [
        col(dim('sku'), 'text'),
        col(w('skuName'), 'text'),
        col(dim('warehouse'), 'text'),
        col(w('warehouseName'), 'text'),
        col(w('qty'), 'qty'),
        col(w('stockValue'), 'money'),
        col(w('lastOutbound'), 'text'),
        col(w('idleDays'), 'days'),
        col(w('oldestAge'), 'days'),
      ],
      result.slowMoving.map((r) => [
        r.sku,
        name(r.skuName, r.skuNameEn),
        r.warehouse,
        name(r.warehouseName, r.warehouseNameEn),
        r.qty,
        r.value,
        r.lastOutbound ?? '',
        r.idleDays,
        r.oldestAge,
      ]),
    )
  }
  if (result.groups && result.groupBy) {
    // the buckets of every group, in time order, as columns after the total
    const starts = [...new Set(result.groups.flatMap((g) => (g.series ?? []).map((p) => p.start)))].sort()
    const columns = [col(dim(result.groupBy), 'text'), col(w('name'), 'text'), col(title, unit), ...starts.map((s) => col(bucketLabel(s, result.interval), unit))]
    const rows = result.groups.map((g) => {
      const byStart = new Map((g.series ?? []).map((p) => [p.start, p.value]))
      return [g.key, name(g.label, g.labelEn), g.total, ...starts.map((s) => byStart.get(s) ?? null)]
    })
    return table(columns, rows)
  }
  if (result.series) {
    const rows: Cell[][] = result.series.map((p) => [bucketLabel(p.start, result.interval), p.value])
    rows.push([w('total'), result.total])
    return table([col(w('time'), 'text'), col(title, unit)], rows)
  }
  // a KPI: the figure, its period and, when compared, the previous period's
  const columns = [col(w('metric'), 'text'), col(w('value'), unit)]
  const row: Cell[] = [title, result.total]
  if (result.from && result.to) {
    columns.push(col(w('from'), 'time'), col(w('to'), 'time'))
    row.push(result.from, result.to)
  }
  if (result.previous) {
    const { total } = result.previous
    columns.push(col(w('previous'), unit), col(w('change'), 'ratio'))
    row.push(total, total === null || result.total === null || total === 0 ? null : (result.total - total) / Math.abs(total))
  }
  return table(columns, [row])
}
