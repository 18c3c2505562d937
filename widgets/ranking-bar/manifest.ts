import Type from 'typebox'
import { MOVEMENT_DIMENSIONS, METRIC_NAMES } from '../../protocol/metrics.ts'
import { WINDOW_PATTERN } from '../../protocol/query.ts'
import { defineWidget } from '../define-widget.ts'
import { metricQuery } from '../common/query.ts'

/** The top N members of any dimension by a metric, largest first; tapping a bar drills into it. */
export const rankingBar = defineWidget({
  id: 'ranking-bar',
  version: 1,
  title: { 'zh-CN': '排行榜', en: 'Ranking' },
  icon: '☰',
  group: 'general',
  size: { w: 4, h: 6, minW: 1, minH: 1 },
  options: Type.Object({
    metric: Type.Enum(METRIC_NAMES, { description: 'metric ranked' }),
    /** the dimension ranked: sku, category, warehouse, partner, region or channel */
    groupBy: Type.Enum(MOVEMENT_DIMENSIONS, { description: 'dimension ranked' }),
    top: Type.Integer({ minimum: 3, maximum: 30, description: 'bars shown' }),
    /** period of flow and ratio metrics (stock levels are ranked "now") */
    window: Type.String({ pattern: WINDOW_PATTERN, description: 'period of flow and ratio metrics (stock levels are ranked "now")' }),
    title: Type.Optional(Type.String({ maxLength: 40 })),
  }),
  defaults: { metric: 'sales.revenue', groupBy: 'sku', top: 10, window: 'today' },
  labels: {},
  migrations: {},
  queries: (o) => ({ ranking: metricQuery(o.metric, o.window, { groupBy: o.groupBy, top: o.top }) }),
})
