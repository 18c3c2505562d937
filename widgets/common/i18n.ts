/**
 * Names keyed by protocol values in both languages (dimensions, movement types, members), picked by
 * the `locale` prop. Phrases are in the catalogue, ./messages.ts.
 */
import type { Dimension, MetricName } from '../../protocol/metrics.ts'
import { METRICS } from '../../protocol/metrics.ts'
import type { MovementType } from '../../protocol/movement.ts'
import type { GroupResult } from '../../protocol/query.ts'
import type { Locale, WidgetDrill } from '../define-widget.ts'
import { message } from './messages.ts'

export type Text = Readonly<Record<Locale, string>>

export function t(locale: Locale | undefined, text: Text): string {
  return text[locale ?? 'zh-CN']
}

export function metricTitle(metric: MetricName, locale: Locale | undefined): string {
  return METRICS[metric].title[locale ?? 'zh-CN']
}

/** What each dimension is called: the one table of these names, for widgets and the screen (tablet drills, editor forms). */
export const DIMENSION_TITLES: Readonly<Record<Dimension, Text>> = {
  sku: { 'zh-CN': '商品', en: 'SKU' },
  category: { 'zh-CN': '品类', en: 'Category' },
  warehouse: { 'zh-CN': '仓库', en: 'Warehouse' },
  partner: { 'zh-CN': '往来单位', en: 'Partner' },
  region: { 'zh-CN': '区域', en: 'Region' },
  channel: { 'zh-CN': '渠道', en: 'Channel' },
  route: { 'zh-CN': '调拨路线', en: 'Route' },
}

/** What each movement type is called on a screen (docs/api.md "Movement"). */
export const MOVEMENT_TYPE_TITLES: Readonly<Record<MovementType, Text>> = {
  purchase_order: { 'zh-CN': '采购订单', en: 'Purchase order' },
  purchase_receipt: { 'zh-CN': '采购入库', en: 'Receipt' },
  purchase_return: { 'zh-CN': '采购退货', en: 'Return to supplier' },
  sales_order: { 'zh-CN': '销售订单', en: 'Sales order' },
  sales_shipment: { 'zh-CN': '销售出库', en: 'Shipment' },
  sales_return: { 'zh-CN': '销售退货', en: 'Customer return' },
  transfer: { 'zh-CN': '调拨', en: 'Transfer' },
  stocktake: { 'zh-CN': '盘点', en: 'Stocktake' },
  payment_in: { 'zh-CN': '收款', en: 'Payment in' },
  payment_out: { 'zh-CN': '付款', en: 'Payment out' },
  cancel: { 'zh-CN': '冲销', en: 'Reversal' },
}

/** A member as results name it: its code and master-data names (`label` zh-CN, `labelEn` English). */
export type Member = Pick<GroupResult, 'key' | 'label' | 'labelEn'>

/** The name of a member in a locale: English shows `labelEn` when there is one, else `label`. */
export function localLabel(names: { label?: string | undefined; labelEn?: string | undefined }, locale: Locale | undefined): string | undefined {
  return ((locale ?? 'zh-CN') === 'en' ? names.labelEn || names.label : names.label) || undefined
}

/** Display name of a group: its master-data name in the locale, else its code; `-` collects movements without that dimension. */
export function memberName(group: Member, locale: Locale | undefined): string {
  const name = localLabel(group, locale)
  if (name) return name
  return group.key === '-' ? message(locale ?? 'zh-CN', 'widget.unspecified') : group.key
}

/** The drill event of a tapped member: its code and, when known, both of its names (the tablet titles its view in its locale). */
export function memberDrill(dimension: WidgetDrill['dimension'], member: Member): WidgetDrill {
  return { dimension, key: member.key, ...(member.label ? { label: member.label } : {}), ...(member.labelEn ? { labelEn: member.labelEn } : {}) }
}

/** A rolling window in words: "今日" / "today", "近7天" / "last 7 days", "近2小时" / "last 2 h". */
export function windowLabel(window: string, locale: Locale | undefined): string {
  const zh = (locale ?? 'zh-CN') === 'zh-CN'
  if (window === 'today') return zh ? '今日' : 'today'
  if (window === 'yesterday') return zh ? '昨日' : 'yesterday'
  if (window === 'thisMonth') return zh ? '本月' : 'this month'
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(window)
  const [d, h, min] = [Number(m?.[1] ?? 0), Number(m?.[2] ?? 0), Number(m?.[3] ?? 0)]
  if (d && !h && !min) return zh ? `近${d}天` : `last ${d} days`
  if (h && !d && !min) return zh ? `近${h}小时` : `last ${h} h`
  if (min && !d && !h) return zh ? `近${min}分钟` : `last ${min} min`
  return window
}

/** "vs same time yesterday" for `today`, else "vs previous period". */
export function compareLabel(window: string | undefined, locale: Locale | undefined): string {
  return message(locale ?? 'zh-CN', window === 'today' ? 'widget.vsYesterday' : 'widget.vsPrevious')
}
