import Type from 'typebox'
import { METRIC_NAMES } from '../../protocol/metrics.ts'
import { WINDOW_PATTERN } from '../../protocol/query.ts'
import type { Query } from '../../protocol/query.ts'
import { defineWidget } from '../define-widget.ts'
import { intervalFor, metricQuery, needsPeriod } from '../common/query.ts'
import { ThresholdSteps } from '../common/thresholds.ts'

/**
 * One headline figure whose digits roll when it changes, its change against the previous period
 * of equal length, and optionally a sparkline of the period. Stock levels ("now") show no change.
 */
export const kpiCard = defineWidget({
  id: 'kpi-card',
  version: 1,
  title: { 'zh-CN': '指标卡', en: 'KPI card' },
  icon: '№',
  group: 'general',
  size: { w: 3, h: 2, minW: 1, minH: 1 },
  options: Type.Object({
    metric: Type.Enum(METRIC_NAMES, { description: 'metric to show' }),
    /** period of flow and ratio metrics (ignored for figures "now") */
    window: Type.String({ pattern: WINDOW_PATTERN, description: 'period of flow and ratio metrics (figures "now" ignore it)' }),
    /** show the change against the previous period of equal length */
    compare: Type.Boolean({ description: 'show the change against the previous period of equal length' }),
    /** a small line of the period under the figure */
    sparkline: Type.Optional(Type.Boolean({ description: 'a small line of the period under the figure' })),
    /** title override; default the metric's title */
    title: Type.Optional(Type.String({ maxLength: 40 })),
    /** conditional colours of the figure (阈值变色) */
    thresholds: Type.Optional(ThresholdSteps),
  }),
  defaults: { metric: 'sales.revenue', window: 'today', compare: true, sparkline: false },
  labels: { sparkline: { 'zh-CN': '迷你趋势线', en: 'Sparkline' }, thresholds: { 'zh-CN': '阈值变色', en: 'Threshold colours' } },
  migrations: {},
  queries: (o) => {
    const out: Record<string, Query> = { value: metricQuery(o.metric, o.window, o.compare ? { compare: 'previous' } : {}) }
    if (o.sparkline && needsPeriod(o.metric)) out.trend = metricQuery(o.metric, o.window, { interval: intervalFor(o.window) })
    return out
  },
})
