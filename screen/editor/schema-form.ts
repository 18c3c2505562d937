/**
 * Turns a widget's option schema (TypeBox, i.e. JSON Schema) into form fields: enums → select,
 * booleans → switch, numbers with their bounds, strings with their pattern and length, arrays of
 * enums → multi-select. Anything else is edited as JSON. Pure: the form component renders these.
 */
import { DIMENSIONS, INTERVALS, METRICS } from '../../protocol/metrics.ts'
import type { Locale } from '../../widgets/define-widget.ts'

type Json = Record<string, unknown>

export type FieldKind = 'select' | 'multiselect' | 'list' | 'switch' | 'number' | 'text' | 'json'

export interface FieldOption {
  value: string | number | boolean
  label: string
}

export interface FormField {
  key: string
  kind: FieldKind
  label: string
  /** longer explanation from the schema's description (written in English by widget authors) */
  hint?: string
  required: boolean
  options?: FieldOption[]
  min?: number
  max?: number
  /** 1 for integers */
  step?: number
  pattern?: string
  minLength?: number
  maxLength?: number
  minItems?: number
  maxItems?: number
  /** values offered while typing (a datalist): common windows */
  suggestions?: string[]
  /** for lists of codes: which master data the codes name (the editor offers the known ones) */
  codes?: 'sku' | 'category' | 'warehouse' | 'partner' | 'region' | 'channel'
}

const LABELS: Record<string, Record<Locale, string>> = {
  metric: { 'zh-CN': '指标', en: 'Metric' },
  metrics: { 'zh-CN': '指标（可多选）', en: 'Metrics' },
  window: { 'zh-CN': '时间窗口', en: 'Period' },
  interval: { 'zh-CN': '时间粒度', en: 'Interval' },
  compare: { 'zh-CN': '与上期对比', en: 'Compare with previous period' },
  title: { 'zh-CN': '标题', en: 'Title' },
  groupBy: { 'zh-CN': '分组维度', en: 'Group by' },
  top: { 'zh-CN': '显示前 N 名', en: 'Top N' },
  limit: { 'zh-CN': '最多行数', en: 'Rows' },
  warehouse: { 'zh-CN': '仓库', en: 'Warehouse' },
  scrollSeconds: { 'zh-CN': '滚动一遍（秒）', en: 'Seconds per scroll' },
  area: { 'zh-CN': '填充面积', en: 'Fill area' },
  warehouses: { 'zh-CN': '仓库（代码）', en: 'Warehouses (codes)' },
  categories: { 'zh-CN': '品类（代码）', en: 'Categories (codes)' },
  skus: { 'zh-CN': '商品（代码）', en: 'SKUs (codes)' },
  rows: { 'zh-CN': '行', en: 'Rows' },
  members: { 'zh-CN': '行（代码）', en: 'Rows (codes)' },
  sparkline: { 'zh-CN': '迷你趋势线', en: 'Sparkline' },
  min: { 'zh-CN': '最小值', en: 'Minimum' },
  max: { 'zh-CN': '最大值', en: 'Maximum' },
  warn: { 'zh-CN': '警戒值', en: 'Warning level' },
  good: { 'zh-CN': '良好值', en: 'Good level' },
  higherIsBetter: { 'zh-CN': '越高越好', en: 'Higher is better' },
  scale: { 'zh-CN': '着色基准', en: 'Colour scale' },
  onTimeTarget: { 'zh-CN': '准时率目标', en: 'On-time target' },
  returnLimit: { 'zh-CN': '退货率上限', en: 'Return rate limit' },
  trend: { 'zh-CN': '趋势', en: 'Trend' },
  minutes: { 'zh-CN': '最近分钟数', en: 'Minutes' },
  heading: { 'zh-CN': '大标题', en: 'Heading' },
  timeZone: { 'zh-CN': '时区', en: 'Time zone' },
  showDate: { 'zh-CN': '显示日期', en: 'Show the date' },
  showSeconds: { 'zh-CN': '显示秒', en: 'Show seconds' },
}

const VALUE_LABELS: Record<string, Record<Locale, string>> = {
  sku: { 'zh-CN': '商品', en: 'SKU' },
  category: { 'zh-CN': '品类', en: 'Category' },
  warehouse: { 'zh-CN': '仓库', en: 'Warehouse' },
  partner: { 'zh-CN': '往来单位', en: 'Partner' },
  region: { 'zh-CN': '区域', en: 'Region' },
  channel: { 'zh-CN': '渠道', en: 'Channel' },
  minute: { 'zh-CN': '分钟', en: 'Minute' },
  hour: { 'zh-CN': '小时', en: 'Hour' },
  day: { 'zh-CN': '天', en: 'Day' },
  month: { 'zh-CN': '月', en: 'Month' },
}

/** Option names that hold lists of master-data codes. */
const CODE_LISTS: Record<string, FormField['codes']> = {
  skus: 'sku',
  categories: 'category',
  warehouses: 'warehouse',
  partners: 'partner',
  regions: 'region',
  channels: 'channel',
}

/** Windows offered in a window field; any value matching the pattern is accepted. */
export const WINDOW_SUGGESTIONS = ['today', 'yesterday', 'thisMonth', 'PT15M', 'PT1H', 'PT24H', 'P7D', 'P30D']

function enumValues(schema: Json): (string | number | boolean)[] | undefined {
  if (Array.isArray(schema.enum)) return schema.enum as (string | number | boolean)[]
  const union = (schema.anyOf ?? schema.oneOf) as Json[] | undefined
  if (Array.isArray(union) && union.length > 0 && union.every((s) => 'const' in s)) return union.map((s) => s.const as string | number | boolean)
  return undefined
}

/** A label for an enum value: metric titles, dimension and interval names, else the value itself. */
export function valueLabel(value: string | number | boolean, locale: Locale): string {
  const key = String(value)
  if (Object.hasOwn(METRICS, key)) return METRICS[key as keyof typeof METRICS].title[locale]
  if ((DIMENSIONS as readonly string[]).includes(key) || (INTERVALS as readonly string[]).includes(key)) return VALUE_LABELS[key]![locale]
  return key
}

export function fieldLabel(key: string, locale: Locale): string {
  return LABELS[key]?.[locale] ?? key
}

/** The form of an object schema, one field per property, in the schema's order. */
/**
 * The form of an option schema. `options` (the current values) let a list of codes follow another
 * option: `members` names the codes of the dimension `rows` says (a heat map's SKUs or categories).
 */
export function formFields(schema: unknown, locale: Locale, options: Record<string, unknown> = {}): FormField[] {
  const root = schema as Json
  const properties = (root.properties ?? {}) as Record<string, Json>
  const required = new Set((root.required ?? []) as string[])
  return Object.entries(properties).map(([key, prop]) => {
    const base = {
      key,
      label: fieldLabel(key, locale),
      required: required.has(key),
      ...(typeof prop.description === 'string' ? { hint: prop.description } : {}),
    }
    const values = enumValues(prop)
    if (values) return { ...base, kind: 'select', options: values.map((v) => ({ value: v, label: valueLabel(v, locale) })) }
    if (prop.type === 'boolean') return { ...base, kind: 'switch' }
    if (prop.type === 'integer' || prop.type === 'number') {
      return {
        ...base,
        kind: 'number',
        ...(typeof prop.minimum === 'number' ? { min: prop.minimum } : {}),
        ...(typeof prop.maximum === 'number' ? { max: prop.maximum } : {}),
        step: prop.type === 'integer' ? 1 : typeof prop.multipleOf === 'number' ? prop.multipleOf : 0.01,
      }
    }
    if (prop.type === 'string') {
      return {
        ...base,
        kind: 'text',
        ...(typeof prop.pattern === 'string' ? { pattern: prop.pattern } : {}),
        ...(typeof prop.minLength === 'number' ? { minLength: prop.minLength } : {}),
        ...(typeof prop.maxLength === 'number' ? { maxLength: prop.maxLength } : {}),
        ...(key === 'window' ? { suggestions: WINDOW_SUGGESTIONS } : {}),
      }
    }
    if (prop.type === 'array' && prop.items) {
      const items = enumValues(prop.items as Json)
      const limits = {
        ...(typeof prop.minItems === 'number' ? { minItems: prop.minItems } : {}),
        ...(typeof prop.maxItems === 'number' ? { maxItems: prop.maxItems } : {}),
      }
      if (items) return { ...base, kind: 'multiselect', options: items.map((v) => ({ value: v, label: valueLabel(v, locale) })), ...limits }
      const item = prop.items as Json
      if (item.type === 'string') {
        const codes = key === 'members' ? Object.values(CODE_LISTS).find((dim) => dim === options.rows) : CODE_LISTS[key]
        return {
          ...base,
          kind: 'list',
          ...limits,
          ...(typeof item.pattern === 'string' ? { pattern: item.pattern } : {}),
          ...(typeof item.maxLength === 'number' ? { maxLength: item.maxLength } : {}),
          ...(codes ? { codes } : {}),
        }
      }
    }
    return { ...base, kind: 'json' }
  }) satisfies FormField[] as FormField[]
}

/**
 * The options after one field changed. An emptied optional field is removed (the widget's default
 * applies); an emptied required number stays NaN-free: it becomes undefined, which validation reports.
 */
export function setOption(options: Record<string, unknown>, field: FormField, value: unknown): Record<string, unknown> {
  const next = { ...options }
  const empty = value === undefined || value === '' || (typeof value === 'number' && Number.isNaN(value)) || (Array.isArray(value) && value.length === 0 && !field.required)
  if (empty) delete next[field.key]
  else next[field.key] = value
  return next
}
