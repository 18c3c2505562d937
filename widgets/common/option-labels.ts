/**
 * Form labels of the option names several widgets share (the editor's vocabulary). A widget's
 * own options are labelled in its manifest (`labels`), which wins over these.
 */
import type { Locale, Titles } from '../define-widget.ts'
import { DIMENSION_TITLES } from './i18n.ts'

export const OPTION_LABELS: Readonly<Record<string, Titles>> = {
  metric: { 'zh-CN': '指标', en: 'Metric' },
  metrics: { 'zh-CN': '指标（可多选）', en: 'Metrics' },
  window: { 'zh-CN': '时间窗口', en: 'Period' },
  interval: { 'zh-CN': '时间粒度', en: 'Interval' },
  compare: { 'zh-CN': '与上期对比', en: 'Compare with previous period' },
  title: { 'zh-CN': '标题', en: 'Title' },
  groupBy: { 'zh-CN': '分组维度', en: 'Group by' },
  top: { 'zh-CN': '显示前 N 名', en: 'Top N' },
  limit: { 'zh-CN': '最多行数', en: 'Rows' },
  warehouse: DIMENSION_TITLES.warehouse,
  warehouses: { 'zh-CN': '仓库（代码）', en: 'Warehouses (codes)' },
  categories: { 'zh-CN': '品类（代码）', en: 'Categories (codes)' },
  skus: { 'zh-CN': '商品（代码）', en: 'SKUs (codes)' },
}

/** The label of an option: the widget's own, else the shared one; undefined when neither names it. */
export function optionLabel(labels: Readonly<Partial<Record<string, Titles>>>, key: string, locale: Locale): string | undefined {
  return (Object.hasOwn(labels, key) ? labels[key] : Object.hasOwn(OPTION_LABELS, key) ? OPTION_LABELS[key] : undefined)?.[locale]
}
