import Type from 'typebox'
import { WINDOW_PATTERN } from '../../protocol/query.ts'
import { defineWidget } from '../define-widget.ts'

/**
 * Purchasing from order to payment over a period, as stepped bars: ordered from suppliers
 * (purchase.orderAmount) → received into stock (purchase.receiptAmount) → paid (cash.out), each
 * with its share of what was ordered.
 */
export const purchasePipeline = defineWidget({
  id: 'purchase-pipeline',
  version: 1,
  title: { 'zh-CN': '采购进度', en: 'Purchase pipeline' },
  icon: '⇢',
  group: 'purchasing',
  size: { w: 6, h: 3, minW: 1, minH: 1 },
  options: Type.Object({
    window: Type.String({ pattern: WINDOW_PATTERN, description: 'period' }),
    title: Type.Optional(Type.String({ maxLength: 40 })),
  }),
  defaults: { window: 'today' },
  labels: {},
  migrations: {},
  queries: (o) => ({
    ordered: { metric: 'purchase.orderAmount', window: o.window },
    received: { metric: 'purchase.receiptAmount', window: o.window },
    paid: { metric: 'cash.out', window: o.window },
  }),
})
