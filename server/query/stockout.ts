/** `stock.stockoutRate` "now": the share of active sku × warehouse pairs with nothing on hand. */
import type { Query } from '../../protocol/query.ts'
import { CockpitError } from '../errors.ts'
import { named, normalizeFilter } from './shared.ts'
import type { QueryContext, QueryFigures } from './shared.ts'

/** A pair counts as active for the stock-out rate when it moved within this many days (docs/metrics.md, `stock.stockoutRate`). */
const ACTIVE_DAYS = 90

/** share of active sku × warehouse pairs (moved in the last 90 days) with nothing on hand */
export async function runStockout(ctx: QueryContext, q: Query, at: number): Promise<QueryFigures> {
  const filter = normalizeFilter(q.filter)
  const dim = q.groupBy
  for (const d of [dim, ...Object.keys(filter)]) {
    if (d && !['sku', 'warehouse', 'category', 'region'].includes(d)) {
      throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `stock-out rate is kept by sku, warehouse, category and region, not ${d}`)
    }
  }
  const [last, qty] = await Promise.all([ctx.redis.hgetall(ctx.keys.lastMoved), ctx.redis.hgetall(ctx.keys.level('q', 'pair'))])
  const since = at / 1000 - ACTIVE_DAYS * 86_400
  const groups = new Map<string, { active: number; out: number }>()
  const total = { active: 0, out: 0 }
  for (const [pair, t] of Object.entries(last)) {
    if (Number(t) < since) continue
    const [sku, warehouse] = pair.split('|') as [string, string]
    // a virtual warehouse holds nothing by design: its pairs are neither active nor out of stock
    if (ctx.masterData.warehouse(warehouse)?.virtual) continue
    const member: Record<string, string> = {
      sku,
      warehouse,
      category: ctx.masterData.sku(sku)?.category ?? '-',
      region: ctx.masterData.warehouse(warehouse)?.region ?? '-',
    }
    if (Object.entries(filter).some(([d, values]) => !values!.includes(member[d] ?? ''))) continue
    const isOut = Number(qty[pair] ?? '0') <= 0 ? 1 : 0
    total.active++
    total.out += isOut
    if (dim) {
      const g = groups.get(member[dim]!) ?? { active: 0, out: 0 }
      g.active++
      g.out += isOut
      groups.set(member[dim]!, g)
    }
  }
  const figures: QueryFigures = { total: total.active === 0 ? null : total.out / total.active }
  if (dim) {
    let list = [...groups].map(([key, g]) => named(ctx, dim, { key, total: g.out / g.active }))
    list.sort((a, b) => b.total! - a.total! || (a.key < b.key ? -1 : 1))
    if (q.top) list = list.slice(0, q.top)
    figures.groups = list
  }
  return figures
}
