import Type from 'typebox'
import { MOVEMENT_DIMENSIONS, METRIC_NAMES } from '../../protocol/metrics.ts'
import { WINDOW_PATTERN } from '../../protocol/query.ts'
import { defineWidget } from '../define-widget.ts'
import { metricQuery } from '../common/query.ts'

/**
 * Each member's share of a metric (sales by channel, stock value by warehouse …): the largest
 * `top` members as slices, the rest as one "other" slice, the total in the middle.
 */
export const shareDonut = defineWidget({
  id: 'share-donut',
  version: 1,
  title: { 'zh-CN': '占比环图', en: 'Share donut' },
  icon: '◔',
  group: 'sales',
  size: { w: 4, h: 5, minW: 1, minH: 1 },
  options: Type.Object({
    /** an additive metric (money, quantities, counts); ratios have no shares */
    metric: Type.Enum(METRIC_NAMES, { description: 'an additive metric (money, quantities, counts)' }),
    groupBy: Type.Enum(MOVEMENT_DIMENSIONS, { description: 'dimension whose members are the slices' }),
    /** slices before the rest is folded into "other" */
    top: Type.Integer({ minimum: 2, maximum: 12, description: 'slices before the rest becomes "other"' }),
    window: Type.String({ pattern: WINDOW_PATTERN, description: 'period of flow metrics (stock levels are "now")' }),
    title: Type.Optional(Type.String({ maxLength: 40 })),
  }),
  defaults: { metric: 'sales.revenue', groupBy: 'channel', top: 6, window: 'today' },
  labels: {},
  migrations: {},
  queries: (o) => ({ shares: metricQuery(o.metric, o.window, { groupBy: o.groupBy, top: o.top }) }),
})
