import Type from 'typebox'
import { defineWidget } from '../define-widget.ts'

export const stockAlerts = defineWidget({
  id: 'stock-alerts',
  version: 1,
  title: { 'zh-CN': '库存预警', en: 'Stock alerts' },
  options: Type.Object({
    /** rows fetched (the list scrolls when they do not fit) */
    limit: Type.Integer({ minimum: 5, maximum: 100 }),
    /** restrict to one warehouse */
    warehouse: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** seconds for one scroll through the list */
    scrollSeconds: Type.Integer({ minimum: 5, maximum: 300 }),
    title: Type.Optional(Type.String({ maxLength: 40 })),
  }),
  defaults: { limit: 50, scrollSeconds: 40 },
  migrations: {},
  queries: (o) => ({ alerts: { metric: 'stock.belowSafety', top: o.limit, ...(o.warehouse ? { filter: { warehouse: o.warehouse } } : {}) } }),
})
