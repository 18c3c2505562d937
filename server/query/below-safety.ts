/** `stock.belowSafety` "now": sku × warehouse rows whose stock is under the SKU's safety stock, least covered first. */
import type { AlertRow, Query } from '../../protocol/query.ts'
import { qtyOut } from '../domain/money.ts'
import { CockpitError } from '../errors.ts'
import { normalizeFilter } from './shared.ts'
import type { QueryContext, QueryFigures } from './shared.ts'

/** Rows a list metric returns at most unless `top` says otherwise. */
const DEFAULT_ROWS = 200

export async function runBelowSafety(ctx: QueryContext, q: Query): Promise<QueryFigures> {
  const filter = normalizeFilter(q.filter)
  // rows of sku × warehouse: they can be narrowed, not grouped, and only by what a pair has
  if (q.groupBy) throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${q.metric} lists sku × warehouse rows: filter it, it cannot be grouped`)
  for (const d of Object.keys(filter)) {
    if (!['sku', 'warehouse', 'category', 'region'].includes(d))
      throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${q.metric} can be filtered by sku, warehouse, category and region, not ${d}`)
  }
  // a filter the rows cannot honour must be refused, not ignored (scoped tokens rely on it)
  for (const d of Object.keys(filter)) {
    if (d === 'partner' || d === 'channel') throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `stock alerts can be filtered by sku, warehouse, category and region, not ${d}`)
  }
  const raw = await ctx.redis.hgetall(ctx.keys.level('q', 'pair'))
  const rows: AlertRow[] = []
  for (const [pair, v] of Object.entries(raw)) {
    const [sku, warehouse] = pair.split('|') as [string, string]
    const master = ctx.masterData.sku(sku)
    const safety = master?.safetyStock
    if (safety === undefined || safety <= 0) continue
    const qty = qtyOut(Number(v))
    if (qty >= safety) continue
    if (ctx.masterData.warehouse(warehouse)?.virtual) continue
    if (filter.sku && !filter.sku.includes(sku)) continue
    if (filter.warehouse && !filter.warehouse.includes(warehouse)) continue
    if (filter.category && !filter.category.includes(master?.category ?? '')) continue
    const wh = ctx.masterData.warehouse(warehouse)
    if (filter.region && !filter.region.includes(wh?.region ?? '')) continue
    const row: AlertRow = { sku, warehouse, qty, safetyStock: safety, coverage: Math.max(0, qty) / safety }
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
    rows.push(row)
  }
  rows.sort((a, b) => a.coverage - b.coverage || a.qty - b.qty || (a.sku < b.sku ? -1 : 1))
  return { total: rows.length, rows: rows.slice(0, q.top ?? DEFAULT_ROWS) }
}
