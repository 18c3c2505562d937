/**
 * Turns a widget's option schema (TypeBox, i.e. JSON Schema) into form fields: enums → select,
 * booleans → switch, numbers with their bounds, strings with their pattern and length, arrays of
 * enums → multi-select. Anything else is edited as JSON. Pure: the form component renders these.
 */
import { DIMENSIONS, INTERVALS, METRICS } from '../../protocol/metrics.ts'
import type { Dimension, Interval } from '../../protocol/metrics.ts'
import type { Locale, Titles } from '../../widgets/define-widget.ts'
import { DIMENSION_TITLES } from '../../widgets/common/i18n.ts'
import { MESSAGES, message } from '../../widgets/common/messages.ts'
import type { MessageKey } from '../../widgets/common/messages.ts'
import { optionLabel } from '../../widgets/common/option-labels.ts'

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
  if ((DIMENSIONS as readonly string[]).includes(key)) return DIMENSION_TITLES[key as Dimension][locale]
  if ((INTERVALS as readonly string[]).includes(key)) return message(locale, `interval.${key as Interval}`)
  if (Object.hasOwn(MESSAGES, `value.${key}`)) return message(locale, `value.${key}` as MessageKey)
  return key
}

/** An option's label: the widget's own (its manifest's `labels`), else the shared one, else its name. */
export function fieldLabel(key: string, locale: Locale, labels: Readonly<Partial<Record<string, Titles>>> = {}): string {
  return optionLabel(labels, key, locale) ?? key
}

/**
 * The form of an option schema, one field per property, in the schema's order. `options` (the
 * current values) let a list of codes follow another option: `members` names the codes of the
 * dimension `rows` says (a heat map's SKUs or categories). `labels` are the widget's own.
 */
export function formFields(schema: unknown, locale: Locale, options: Record<string, unknown> = {}, labels: Readonly<Partial<Record<string, Titles>>> = {}): FormField[] {
  const root = schema as Json
  const properties = (root.properties ?? {}) as Record<string, Json>
  const required = new Set((root.required ?? []) as string[])
  return Object.entries(properties).map(([key, prop]) => {
    const base = {
      key,
      label: fieldLabel(key, locale, labels),
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
