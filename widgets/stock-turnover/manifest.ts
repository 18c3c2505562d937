import Type from 'typebox'
import { WINDOW_PATTERN } from '../../protocol/query.ts'
import type { Query } from '../../protocol/query.ts'
import { defineWidget } from '../define-widget.ts'

/**
 * Inventory turnover and days on hand over a period (two figures), and days on hand (or
 * turnover) day by day. Both come from end-of-day stock values and COGS (docs/metrics.md).
 */
export const stockTurnover = defineWidget({
  id: 'stock-turnover',
  version: 1,
  title: { 'zh-CN': '库存周转', en: 'Inventory turnover' },
  icon: '↻',
  group: 'stock',
  size: { w: 4, h: 4, minW: 1, minH: 1 },
  options: Type.Object({
    /** whole days read best: P7D, P30D, thisMonth */
    window: Type.String({ pattern: WINDOW_PATTERN, description: 'period (whole days read best: P7D, P30D, thisMonth)' }),
    /** the figure drawn day by day */
    trend: Type.Union([Type.Literal('stock.daysOnHand'), Type.Literal('stock.turnover')], { description: 'the figure drawn day by day' }),
    /** only these warehouses (codes); the whole company when absent */
    warehouses: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 50, description: 'only these warehouses (codes); the whole company when absent' }),
    ),
    title: Type.Optional(Type.String({ maxLength: 40 })),
  }),
  defaults: { window: 'P30D', trend: 'stock.daysOnHand' },
  labels: { trend: { 'zh-CN': '趋势', en: 'Trend' } },
  migrations: {},
  queries: (o) => {
    const filter: Pick<Query, 'filter'> = o.warehouses ? { filter: { warehouse: o.warehouses } } : {}
    return {
      turnover: { metric: 'stock.turnover', window: o.window, ...filter },
      days: { metric: 'stock.daysOnHand', window: o.window, ...filter },
      trend: { metric: o.trend, window: o.window, interval: 'day', ...filter },
    }
  },
})
