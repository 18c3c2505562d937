/**
 * `stock.reorder` "now": sku × warehouse rows whose projected qty — on hand + open purchase − open
 * sales — is at or below the SKU's reorder point, most urgent first, with the qty to order
 * (docs/metrics.md "Reorder alerts"; ERPNext's erpnext/stock/reorder_item.py and Bin.projected_qty).
 */
import type { Query, ReorderRow } from '../../protocol/query.ts'
import { QTY_SCALE, qtyOut } from '../domain/money.ts'
import { DEFAULT_ROWS, pairLister } from './pair-rows.ts'
import type { QueryContext, QueryFigures } from './shared.ts'

/** A master-data quantity in the counters' integer thousandths of a unit. */
const milli = (units: number): number => Math.round(units * QTY_SCALE)

interface Ranked {
  row: ReorderRow
  /** projected / reorder point: lower is more urgent (a reorder point of 0: −∞ below 0, else 0) */
  cover: number
  /** reorder point − projected, 1e-3 */
  short: number
}

export async function runReorder(ctx: QueryContext, q: Query): Promise<QueryFigures> {
  const listed = pairLister(ctx, q)
  const [onHand, openPurchase, openSales] = await Promise.all([
    ctx.redis.hgetall(ctx.keys.level('q', 'pair')),
    ctx.redis.hgetall(ctx.keys.level('bp', 'pair')),
    ctx.redis.hgetall(ctx.keys.level('bs', 'pair')),
  ])
  // a pair is known by its stock (kept while any stock movement of it stands) or by an open order
  // line; a pair whose orders were all cancelled or fulfilled elsewhere leaves only 0s behind
  const pairs = new Set(Object.keys(onHand))
  for (const open of [openPurchase, openSales]) for (const [pair, v] of Object.entries(open)) if (Number(v) !== 0) pairs.add(pair)
  const ranked: Ranked[] = []
  for (const pair of pairs) {
    const master = ctx.masterData.sku(pair.slice(0, pair.indexOf('|')))
    const point = master?.reorderPoint
    if (point === undefined) continue
    const rp = milli(point)
    const rq = master?.reorderQty === undefined ? 0 : milli(master.reorderQty)
    // as ERPNext: a reorder rule needs a reorder level or a reorder qty
    if (rp <= 0 && rq <= 0) continue
    const q0 = Number(onHand[pair] ?? 0)
    const po = Number(openPurchase[pair] ?? 0)
    const so = Number(openSales[pair] ?? 0)
    const projected = q0 + po - so
    if (projected > rp) continue
    const p = listed(pair)
    if (!p) continue
    const row: ReorderRow = {
      ...p.row,
      onHand: qtyOut(q0),
      openPurchase: qtyOut(po),
      openSales: qtyOut(so),
      projected: qtyOut(projected),
      reorderPoint: qtyOut(rp),
      suggestedQty: qtyOut(Math.max(rq, rp - projected)),
    }
    if (master?.reorderQty !== undefined) row.reorderQty = qtyOut(rq)
    if (master?.safetyStock !== undefined) row.safetyStock = master.safetyStock
    ranked.push({ row, cover: rp > 0 ? projected / rp : projected < 0 ? -Infinity : 0, short: rp - projected })
  }
  ranked.sort((a, b) => a.cover - b.cover || b.short - a.short || (a.row.sku < b.row.sku ? -1 : a.row.sku > b.row.sku ? 1 : a.row.warehouse < b.row.warehouse ? -1 : 1))
  return { total: ranked.length, reorder: ranked.slice(0, q.top ?? DEFAULT_ROWS).map((r) => r.row) }
}
