import Type from 'typebox'
import type { Query } from '../../protocol/query.ts'
import { defineWidget } from '../define-widget.ts'

const Code = Type.String({ minLength: 1, maxLength: 64 })

/**
 * Stock of chosen SKUs in every warehouse, as a heat map (SKU rows × warehouse columns).
 *
 * Why SKU × warehouse: stock levels are kept per SKU|warehouse pair, and the engine answers
 * `stock.qty` grouped by warehouse with a `sku` filter from those pairs; levels by category and
 * warehouse together are not kept (a category filter cannot be combined with a warehouse grouping).
 * So the widget issues one query per SKU row (grouped by warehouse) and one for the row names
 * (grouped by SKU, filtered to the rows), and joins them on the warehouse code.
 */
export const stockHeatmap = defineWidget({
  id: 'stock-heatmap',
  version: 1,
  title: { 'zh-CN': '库存热力图', en: 'Stock heat map' },
  options: Type.Object({
    metric: Type.Union([Type.Literal('stock.qty'), Type.Literal('stock.value')], { description: 'stock quantity or stock value' }),
    /** SKU codes, one row each */
    skus: Type.Array(Code, { minItems: 1, maxItems: 16, description: 'SKU codes, one row each' }),
    /** warehouse codes, one column each in this order; every warehouse holding the SKUs when absent */
    warehouses: Type.Optional(Type.Array(Code, { minItems: 1, maxItems: 16, description: 'warehouse codes, one column each in this order; all that hold the SKUs when absent' })),
    /** colour each row against its own largest cell (quantities of different SKUs), or all cells against the largest */
    scale: Type.Union([Type.Literal('row'), Type.Literal('all')], { description: 'colour each row against its own largest cell, or every cell against the largest' }),
    title: Type.Optional(Type.String({ maxLength: 40 })),
  }),
  defaults: { metric: 'stock.qty', skus: ['SKU-0001', 'SKU-0002', 'SKU-0003', 'SKU-0004', 'SKU-0005', 'SKU-0006'], scale: 'row' },
  migrations: {},
  queries: (o) => {
    const out: Record<string, Query> = { names: { metric: o.metric, groupBy: 'sku', filter: { sku: o.skus } } }
    o.skus.forEach((sku, i) => {
      out[`r${i}`] = { metric: o.metric, groupBy: 'warehouse', filter: { sku, ...(o.warehouses ? { warehouse: o.warehouses } : {}) } }
    })
    return out
  },
})
