import Type from 'typebox'
import { METRIC_NAMES } from '../../protocol/metrics.ts'
import { WINDOW_PATTERN } from '../../protocol/query.ts'
import { defineWidget } from '../define-widget.ts'
import { metricQuery } from '../common/query.ts'
import { ThresholdSteps } from '../common/thresholds.ts'

/**
 * A rate on a dial (on-time shipment, gross margin, stocktake accuracy …) with red / amber /
 * green bands at the thresholds the options give, and its change against the previous period.
 */
export const gauge = defineWidget({
  id: 'gauge',
  version: 1,
  title: { 'zh-CN': '仪表盘', en: 'Gauge' },
  icon: '◠',
  group: 'general',
  size: { w: 3, h: 3, minW: 1, minH: 1 },
  options: Type.Object({
    metric: Type.Enum(METRIC_NAMES, { description: 'the rate shown (on-time shipment, gross margin, …)' }),
    window: Type.String({ pattern: WINDOW_PATTERN, description: 'period' }),
    /** dial range in the metric's unit (ratios: 0.8 = 80 %) */
    min: Type.Number({ minimum: -1e12, maximum: 1e12, description: "start of the dial, in the metric's unit (ratios: 0.8 = 80 %)" }),
    max: Type.Number({ minimum: -1e12, maximum: 1e12, description: 'end of the dial' }),
    /** below `warn` is bad, from `good` on is good (reversed when higherIsBetter is false) */
    warn: Type.Number({ minimum: -1e12, maximum: 1e12, description: 'threshold between the bad and the amber band' }),
    good: Type.Number({ minimum: -1e12, maximum: 1e12, description: 'threshold between the amber and the good band' }),
    /** false for figures where less is better (days on hand, return rate) */
    higherIsBetter: Type.Boolean({ description: 'false for figures where less is better (days on hand, return rate)' }),
    /** show the change against the previous period */
    compare: Type.Boolean({ description: 'show the change against the previous period' }),
    title: Type.Optional(Type.String({ maxLength: 40 })),
    /** conditional colours of the pointer and figure (阈值变色); without them the band's colour */
    thresholds: Type.Optional(ThresholdSteps),
  }),
  defaults: { metric: 'fulfilment.onTimeRate', window: 'today', min: 0, max: 1, warn: 0.85, good: 0.95, higherIsBetter: true, compare: true },
  labels: {
    min: { 'zh-CN': '最小值', en: 'Minimum' },
    max: { 'zh-CN': '最大值', en: 'Maximum' },
    warn: { 'zh-CN': '警戒值', en: 'Warning level' },
    good: { 'zh-CN': '良好值', en: 'Good level' },
    higherIsBetter: { 'zh-CN': '越高越好', en: 'Higher is better' },
    thresholds: { 'zh-CN': '阈值变色', en: 'Threshold colours' },
  },
  migrations: {},
  queries: (o) => ({ value: metricQuery(o.metric, o.window, o.compare ? { compare: 'previous' } : {}) }),
})

/** The band a value falls in: 'bad', 'warn' or 'good' (thresholds as in the options). */
export function gaugeBand(value: number, o: { warn: number; good: number; higherIsBetter: boolean }): 'bad' | 'warn' | 'good' {
  if (o.higherIsBetter) return value >= o.good ? 'good' : value >= o.warn ? 'warn' : 'bad'
  return value <= o.good ? 'good' : value <= o.warn ? 'warn' : 'bad'
}
