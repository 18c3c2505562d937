import Type from 'typebox'
import { INTERVALS, METRIC_NAMES } from '../../protocol/metrics.ts'
import { WINDOW_PATTERN } from '../../protocol/query.ts'
import { defineWidget } from '../define-widget.ts'

/**
 * Lines (or filled areas) of up to four flow or ratio metrics over a rolling window, one point per
 * interval. Metrics of two different units get two y axes.
 */
export const trendLine = defineWidget({
  id: 'trend-line',
  version: 1,
  title: { 'zh-CN': '趋势折线', en: 'Trend line' },
  icon: '～',
  group: 'general',
  size: { w: 6, h: 4, minW: 1, minH: 1 },
  options: Type.Object({
    /** one line per metric, up to four; at most two different units */
    metrics: Type.Array(Type.Enum(METRIC_NAMES), { minItems: 1, maxItems: 4, description: 'one line per metric (at most two different units)' }),
    /** rolling window: today, PT1H, P7D, … */
    window: Type.String({ pattern: WINDOW_PATTERN, description: 'rolling window: today, PT1H, P7D …' }),
    interval: Type.Enum(INTERVALS, { description: 'one point per minute, hour, day or month' }),
    /** fill under the lines */
    area: Type.Boolean({ description: 'fill under the lines' }),
    title: Type.Optional(Type.String({ maxLength: 40 })),
  }),
  defaults: { metrics: ['sales.revenue', 'purchase.receiptAmount'], window: 'today', interval: 'hour', area: true },
  labels: { area: { 'zh-CN': '填充面积', en: 'Fill area' } },
  migrations: {},
  queries: (o) => Object.fromEntries(o.metrics.map((metric, i) => [`s${i}`, { metric, window: o.window, interval: o.interval }])),
})
