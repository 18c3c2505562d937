/** `stock.belowSafety` "now": sku × warehouse rows whose stock is under the SKU's safety stock, least covered first. */
import type { AlertRow, Query } from '../../protocol/query.ts'
import { qtyOut } from '../domain/money.ts'
import { DEFAULT_ROWS, pairLister } from './pair-rows.ts'
import type { QueryContext, QueryFigures } from './shared.ts'

export async function runBelowSafety(ctx: QueryContext, q: Query): Promise<QueryFigures> {
  const listed = pairLister(ctx, q)
  const raw = await ctx.redis.hgetall(ctx.keys.level('q', 'pair'))
  const rows: AlertRow[] = []
  for (const [pair, v] of Object.entries(raw)) {
    const safety = ctx.masterData.sku(pair.slice(0, pair.indexOf('|')))?.safetyStock
    if (safety === undefined || safety <= 0) continue
    const qty = qtyOut(Number(v))
    if (qty >= safety) continue
    const p = listed(pair)
    if (!p) continue
    rows.push({ ...p.row, qty, safetyStock: safety, coverage: Math.max(0, qty) / safety })
  }
  rows.sort((a, b) => a.coverage - b.coverage || a.qty - b.qty || (a.sku < b.sku ? -1 : 1))
  return { total: rows.length, rows: rows.slice(0, q.top ?? DEFAULT_ROWS) }
}
