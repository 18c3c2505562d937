import Type from 'typebox'
import { defineWidget } from '../define-widget.ts'

/**
 * Receivables (应收) or payables (应付) by age now: the balance, the share overdue, and either the
 * amount in each age bucket or the largest partners' balances split by bucket.
 */
export const creditAgeing = defineWidget({
  id: 'credit-ageing',
  version: 1,
  title: { 'zh-CN': '账龄分析', en: 'Ageing' },
  icon: '⌛',
  group: 'cash',
  size: { w: 6, h: 4, minW: 2, minH: 2 },
  options: Type.Object({
    /** receivables (customers) or payables (suppliers) */
    side: Type.Union([Type.Literal('receivables'), Type.Literal('payables')], { description: 'receivables (customers) or payables (suppliers)' }),
    /** one bar per age bucket, or the largest partners, each split by age */
    view: Type.Union([Type.Literal('buckets'), Type.Literal('partners')], { description: 'one bar per age bucket, or the largest partners split by age' }),
    /** partners shown (view partners) */
    top: Type.Integer({ minimum: 3, maximum: 20, description: 'partners shown (view partners)' }),
    title: Type.Optional(Type.String({ maxLength: 40 })),
  }),
  defaults: { side: 'receivables', view: 'buckets', top: 8 },
  labels: {
    side: { 'zh-CN': '应收 / 应付', en: 'Receivables / payables' },
    view: { 'zh-CN': '按账龄 / 按往来单位', en: 'By age / by partner' },
  },
  migrations: {},
  queries: (o) => ({ ageing: { metric: `${o.side}.ageing`, groupBy: 'partner', top: o.top } }),
})
