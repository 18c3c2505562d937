import Type from 'typebox'
import { defineWidget } from '../define-widget.ts'

const Code = Type.String({ minLength: 1, maxLength: 64 })

/**
 * Stock ageing (库龄): one stacked bar per warehouse or category, split into the age buckets of
 * `stock.ageing` (0–30, 31–60, 61–90, 91–180, over 180 days), in stock value or qty.
 */
export const stockAgeing = defineWidget({
  id: 'stock-ageing',
  version: 1,
  title: { 'zh-CN': '库龄分布', en: 'Stock ageing' },
  icon: '⌛',
  group: 'stock',
  size: { w: 6, h: 5, minW: 2, minH: 2 },
  options: Type.Object({
    /** one bar per warehouse or per category */
    groupBy: Type.Union([Type.Literal('warehouse'), Type.Literal('category')], { description: 'one bar per warehouse or per category' }),
    /** stock value or stock qty per bucket */
    measure: Type.Union([Type.Literal('value'), Type.Literal('qty')], { description: 'bars in stock value or in stock qty' }),
    /** bars shown, largest stock value first */
    top: Type.Integer({ minimum: 1, maximum: 20, description: 'bars shown, largest stock value first' }),
    warehouses: Type.Optional(Type.Array(Code, { minItems: 1, maxItems: 50, description: 'only these warehouses (codes); all when absent' })),
    categories: Type.Optional(Type.Array(Code, { minItems: 1, maxItems: 50, description: 'only these categories (codes); all when absent' })),
    title: Type.Optional(Type.String({ maxLength: 40 })),
  }),
  defaults: { groupBy: 'warehouse', measure: 'value', top: 8 },
  labels: { measure: { 'zh-CN': '度量', en: 'Measure' } },
  migrations: {},
  queries: (o) => {
    const filter = { ...(o.warehouses ? { warehouse: o.warehouses } : {}), ...(o.categories ? { category: o.categories } : {}) }
    return { ageing: { metric: 'stock.ageing', groupBy: o.groupBy, top: o.top, ...(Object.keys(filter).length ? { filter } : {}) } }
  },
})
