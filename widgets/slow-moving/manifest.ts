import Type from 'typebox'
import { DEFAULT_IDLE_DAYS, MAX_IDLE_DAYS } from '../../protocol/query.ts'
import { defineWidget } from '../define-widget.ts'

const Code = Type.String({ minLength: 1, maxLength: 64 })

/** Slow-moving stock (呆滞库存): sku × warehouse pairs with stock and no outbound for N days, largest value first; scrolls when they do not fit. */
export const slowMoving = defineWidget({
  id: 'slow-moving',
  version: 1,
  title: { 'zh-CN': '呆滞库存', en: 'Slow-moving stock' },
  icon: '⏸',
  group: 'stock',
  size: { w: 4, h: 5, minW: 1, minH: 1 },
  options: Type.Object({
    /** a pair is slow-moving after this many days without an outbound movement */
    days: Type.Integer({ minimum: 1, maximum: MAX_IDLE_DAYS, description: 'a pair is slow-moving after this many days without an outbound movement' }),
    limit: Type.Integer({ minimum: 5, maximum: 100, description: 'rows fetched; the list scrolls when they do not fit' }),
    warehouses: Type.Optional(Type.Array(Code, { minItems: 1, maxItems: 50, description: 'only these warehouses (codes); all when absent' })),
    categories: Type.Optional(Type.Array(Code, { minItems: 1, maxItems: 50, description: 'only these categories (codes); all when absent' })),
    scrollSeconds: Type.Integer({ minimum: 5, maximum: 300, description: 'seconds for one scroll through the list' }),
    title: Type.Optional(Type.String({ maxLength: 40 })),
  }),
  defaults: { days: DEFAULT_IDLE_DAYS, limit: 50, scrollSeconds: 40 },
  labels: {
    days: { 'zh-CN': '无出库天数', en: 'Days without outbound' },
    scrollSeconds: { 'zh-CN': '滚动一遍（秒）', en: 'Seconds per scroll' },
  },
  migrations: {},
  queries: (o) => {
    const filter = { ...(o.warehouses ? { warehouse: o.warehouses } : {}), ...(o.categories ? { category: o.categories } : {}) }
    return { slow: { metric: 'stock.slowMoving', days: o.days, top: o.limit, ...(Object.keys(filter).length ? { filter } : {}) } }
  },
})
