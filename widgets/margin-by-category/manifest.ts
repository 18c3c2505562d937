import Type from 'typebox'
import { WINDOW_PATTERN } from '../../protocol/query.ts'
import { defineWidget } from '../define-widget.ts'

/** Dimensions sales margins are kept by (a SKU's margin is a ranking, not this chart). */
export const MARGIN_DIMENSIONS = ['category', 'region', 'channel', 'warehouse'] as const

/**
 * Gross margin per category (or region, channel, warehouse), highest first, each column coloured
 * by whether it is above the overall margin, drawn as a dashed level. Revenue is in the tooltip.
 */
export const marginByCategory = defineWidget({
  id: 'margin-by-category',
  version: 1,
  title: { 'zh-CN': '品类毛利率', en: 'Gross margin by category' },
  icon: '%',
  group: 'sales',
  size: { w: 4, h: 5, minW: 1, minH: 1 },
  options: Type.Object({
    groupBy: Type.Enum(MARGIN_DIMENSIONS, { description: 'dimension of the columns' }),
    window: Type.String({ pattern: WINDOW_PATTERN, description: 'period' }),
    /** columns shown, highest margins first */
    top: Type.Integer({ minimum: 3, maximum: 20, description: 'columns shown, highest margins first' }),
    title: Type.Optional(Type.String({ maxLength: 40 })),
  }),
  defaults: { groupBy: 'category', window: 'today', top: 10 },
  labels: {},
  migrations: {},
  queries: (o) => ({
    margin: { metric: 'sales.grossMargin', window: o.window, groupBy: o.groupBy, top: o.top },
    revenue: { metric: 'sales.revenue', window: o.window, groupBy: o.groupBy },
  }),
})
