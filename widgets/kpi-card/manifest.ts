import Type from 'typebox'
import { METRIC_NAMES } from '../../protocol/metrics.ts'
import { WINDOW_PATTERN } from '../../protocol/query.ts'
import { defineWidget } from '../define-widget.ts'

export const kpiCard = defineWidget({
  id: 'kpi-card',
  version: 1,
  title: { 'zh-CN': '指标卡', en: 'KPI card' },
  options: Type.Object({
    metric: Type.Enum(METRIC_NAMES, { description: 'metric to show' }),
    window: Type.String({ pattern: WINDOW_PATTERN, description: 'period' }),
    /** show the change against the previous period of equal length */
    compare: Type.Boolean(),
    /** title override; default the metric's title */
    title: Type.Optional(Type.String({ maxLength: 40 })),
  }),
  defaults: { metric: 'sales.revenue', window: 'today', compare: true },
  migrations: {},
  queries: (o) => ({ value: { metric: o.metric, window: o.window, ...(o.compare ? { compare: 'previous' as const } : {}) } }),
})
