/**
 * What the stock lists "now" (`stock.belowSafety`, `stock.reorder`) share: rows of sku × warehouse
 * pairs that can be narrowed — by sku, warehouse, category and region — but not grouped, virtual
 * warehouses left out, and each row named from master data.
 */
import type { Sku, Warehouse } from '../../protocol/master.ts'
import type { PairRow, Query } from '../../protocol/query.ts'
import { CockpitError } from '../errors.ts'
import { normalizeFilter } from './shared.ts'
import type { QueryContext } from './shared.ts'

/** Rows a list metric returns at most unless `top` says otherwise. */
export const DEFAULT_ROWS = 200

const PAIR_FILTERS = ['sku', 'warehouse', 'category', 'region']

/** A pair a stock list may show: its codes, master data and the row fields that name it. */
export interface ListedPair {
  sku: string
  warehouse: string
  master: Sku | undefined
  row: PairRow
}

/**
 * The pairs of a stock list query: `accepts(pair)` gives the pair, named, when it is inside the
 * query's filter and not in a virtual warehouse (supplier direct, drop-ship: they hold nothing by
 * design), else undefined. Refuses (400) what such a list cannot honour: a groupBy, or a filter
 * on partner, channel or route — refused, never ignored, as scoped tokens rely on filters.
 */
export function pairLister(ctx: QueryContext, q: Query): (pair: string) => ListedPair | undefined {
  const filter = normalizeFilter(q.filter)
  if (q.groupBy) throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${q.metric} lists sku × warehouse rows: filter it, it cannot be grouped`)
  for (const d of Object.keys(filter)) {
    if (!PAIR_FILTERS.includes(d)) throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${q.metric} can be filtered by sku, warehouse, category and region, not ${d}`)
  }
  return (pair) => {
    const [sku, warehouse] = pair.split('|') as [string, string]
    const wh: Warehouse | undefined = ctx.masterData.warehouse(warehouse)
    if (wh?.virtual) return undefined
    const master = ctx.masterData.sku(sku)
    if (filter.sku && !filter.sku.includes(sku)) return undefined
    if (filter.warehouse && !filter.warehouse.includes(warehouse)) return undefined
    if (filter.category && !filter.category.includes(master?.category ?? '')) return undefined
    if (filter.region && !filter.region.includes(wh?.region ?? '')) return undefined
    const row: PairRow = { sku, warehouse }
    if (master?.name) row.skuName = master.name
    if (master?.nameEn) row.skuNameEn = master.nameEn
    if (wh?.name) row.warehouseName = wh.name
    if (wh?.nameEn) row.warehouseNameEn = wh.nameEn
    if (master?.category) {
      row.category = master.category
      const cat = ctx.masterData.names('category', master.category)
      if (cat) row.categoryName = cat.name
      if (cat?.nameEn !== undefined) row.categoryNameEn = cat.nameEn
    }
    return { sku, warehouse, master, row }
  }
}
