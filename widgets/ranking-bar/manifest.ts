import Type from 'typebox'
import { DIMENSIONS, METRIC_NAMES } from '../../protocol/metrics.ts'
import { WINDOW_PATTERN } from '../../protocol/query.ts'
import { defineWidget } from '../define-widget.ts'

export const rankingBar = defineWidget({
  id: 'ranking-bar',
  version: 1,
  title: { 'zh-CN': '排行榜', en: 'Ranking' },
  options: Type.Object({
    metric: Type.Enum(METRIC_NAMES),
    groupBy: Type.Enum(DIMENSIONS),
    top: Type.Integer({ minimum: 3, maximum: 30 }),
    window: Type.String({ pattern: WINDOW_PATTERN }),
    title: Type.Optional(Type.String({ maxLength: 40 })),
  }),
  defaults: { metric: 'sales.revenue', groupBy: 'sku', top: 10, window: 'today' },
  migrations: {},
  queries: (o) => ({ ranking: { metric: o.metric, window: o.window, groupBy: o.groupBy, top: o.top } }),
})
