import Type from 'typebox'
import { defineWidget } from '../define-widget.ts'

const Code = Type.String({ minLength: 1, maxLength: 64 })

/**
 * SKU × warehouse pairs whose projected stock (on hand + on order − to ship) is at or below the
 * reorder point, most urgent first, with the qty to order (`stock.reorder`); scrolls when they do not fit.
 */
export const reorderList = defineWidget({
  id: 'reorder-list',
  version: 1,
  title: { 'zh-CN': '补货提醒', en: 'Reorder list' },
  icon: '↻',
  group: 'stock',
  size: { w: 4, h: 5, minW: 1, minH: 1 },
  options: Type.Object({
    /** rows fetched (the list scrolls when they do not fit) */
    limit: Type.Integer({ minimum: 5, maximum: 100, description: 'rows fetched; the list scrolls when they do not fit' }),
    /** only these warehouses (codes); all when absent */
    warehouses: Type.Optional(Type.Array(Code, { minItems: 1, maxItems: 50, description: 'only these warehouses (codes); all when absent' })),
    /** only these categories */
    categories: Type.Optional(Type.Array(Code, { minItems: 1, maxItems: 50, description: 'only these categories (codes); all when absent' })),
    /** seconds for one scroll through the list */
    scrollSeconds: Type.Integer({ minimum: 5, maximum: 300, description: 'seconds for one scroll through the list' }),
    title: Type.Optional(Type.String({ maxLength: 40 })),
  }),
  defaults: { limit: 50, scrollSeconds: 40 },
  labels: { scrollSeconds: { 'zh-CN': '滚动一遍（秒）', en: 'Seconds per scroll' } },
  migrations: {},
  queries: (o) => {
    const filter = { ...(o.warehouses ? { warehouse: o.warehouses } : {}), ...(o.categories ? { category: o.categories } : {}) }
    return { reorder: { metric: 'stock.reorder', top: o.limit, ...(Object.keys(filter).length ? { filter } : {}) } }
  },
})
