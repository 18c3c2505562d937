import Type from 'typebox'
import { WINDOW_PATTERN } from '../../protocol/query.ts'
import { defineWidget } from '../define-widget.ts'

/**
 * The largest suppliers of a period with their receipts, on-time delivery rate and return rate.
 * The query engine answers one metric per query, so the table joins three queries grouped by
 * partner on the partner code: receipts (top N, sets the rows), on-time rate, return rate.
 */
export const supplierScorecard = defineWidget({
  id: 'supplier-scorecard',
  version: 1,
  title: { 'zh-CN': '供应商评分卡', en: 'Supplier scorecard' },
  icon: '★',
  group: 'purchasing',
  size: { w: 4, h: 5, minW: 1, minH: 1 },
  options: Type.Object({
    /** partner figures are kept by day: windows of whole days read best (today, P7D, P30D, thisMonth) */
    window: Type.String({ pattern: WINDOW_PATTERN, description: 'period (partner figures are kept by day: whole days read best)' }),
    /** rows: the suppliers with the largest receipts */
    top: Type.Integer({ minimum: 3, maximum: 20, description: 'rows: the suppliers with the largest receipts' }),
    /** on-time rate below this is flagged */
    onTimeTarget: Type.Number({ minimum: 0, maximum: 1, description: 'on-time rate below this is flagged' }),
    /** return rate above this is flagged */
    returnLimit: Type.Number({ minimum: 0, maximum: 1, description: 'return rate above this is flagged' }),
    title: Type.Optional(Type.String({ maxLength: 40 })),
  }),
  defaults: { window: 'P30D', top: 8, onTimeTarget: 0.9, returnLimit: 0.03 },
  labels: {
    onTimeTarget: { 'zh-CN': '准时率目标', en: 'On-time target' },
    returnLimit: { 'zh-CN': '退货率上限', en: 'Return rate limit' },
  },
  migrations: {},
  queries: (o) => ({
    receipts: { metric: 'purchase.receiptAmount', window: o.window, groupBy: 'partner', top: o.top },
    onTime: { metric: 'supplier.onTimeRate', window: o.window, groupBy: 'partner' },
    returns: { metric: 'purchase.returnRate', window: o.window, groupBy: 'partner' },
  }),
})
