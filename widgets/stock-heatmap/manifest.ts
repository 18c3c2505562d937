import Type from 'typebox'
import type { Query } from '../../protocol/query.ts'
import { defineWidget } from '../define-widget.ts'
import { stockHeatmapMigrations } from './migrations.ts'

const Code = Type.String({ minLength: 1, maxLength: 64 })

/**
 * Stock by SKU or category (rows) × warehouse (columns), as a heat map.
 *
 * One query per row — stock grouped by warehouse, filtered to the row's SKU or category (the
 * engine sums those from the sku|warehouse levels, a SKU's category from master data) — and one
 * for the row names (grouped by the row dimension, filtered to the rows); joined on the warehouse.
 */
export const stockHeatmap = defineWidget({
  id: 'stock-heatmap',
  version: 2,
  title: { 'zh-CN': '库存热力图', en: 'Stock heat map' },
  icon: '▦',
  group: 'stock',
  size: { w: 6, h: 5, minW: 1, minH: 1 },
  options: Type.Object({
    metric: Type.Union([Type.Literal('stock.qty'), Type.Literal('stock.value')], { description: 'stock quantity or stock value' }),
    /** what a row is */
    rows: Type.Union([Type.Literal('sku'), Type.Literal('category')], { description: 'rows are SKUs or categories' }),
    /** SKU or category codes, one row each */
    members: Type.Array(Code, { minItems: 1, maxItems: 16, description: 'SKU or category codes (as rows says), one row each' }),
    /** warehouse codes, one column each in this order; every warehouse holding the rows when absent */
    warehouses: Type.Optional(Type.Array(Code, { minItems: 1, maxItems: 16, description: 'warehouse codes, one column each in this order; all that hold the rows when absent' })),
    /** colour each row against its own largest cell (quantities of different SKUs), or all cells against the largest */
    scale: Type.Union([Type.Literal('row'), Type.Literal('all')], { description: 'colour each row against its own largest cell, or every cell against the largest' }),
    title: Type.Optional(Type.String({ maxLength: 40 })),
  }),
  defaults: { metric: 'stock.qty', rows: 'sku', members: ['SKU-0001', 'SKU-0002', 'SKU-0003', 'SKU-0004', 'SKU-0005', 'SKU-0006'], scale: 'row' },
  labels: {
    rows: { 'zh-CN': '行', en: 'Rows' },
    members: { 'zh-CN': '行（代码）', en: 'Rows (codes)' },
    scale: { 'zh-CN': '着色基准', en: 'Colour scale' },
  },
  migrations: stockHeatmapMigrations,
  queries: (o) => {
    const out: Record<string, Query> = { names: { metric: o.metric, groupBy: o.rows, filter: { [o.rows]: o.members } } }
    o.members.forEach((member, i) => {
      out[`r${i}`] = { metric: o.metric, groupBy: 'warehouse', filter: { [o.rows]: member, ...(o.warehouses ? { warehouse: o.warehouses } : {}) } }
    })
    return out
  },
})
