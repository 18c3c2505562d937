/** Pure maths of turning a widget's own queries into the ones a host actually subscribes to. */
import type { Query } from '../../protocol/query.ts'

/** A period chosen by the viewer (tablet) or locked by an embed: a rolling window or a fixed range. */
export type Period = { window: string } | { from: string; to: string }
export type QueryFilter = NonNullable<Query['filter']>

/**
 * `period` replaces window/from/to in every query (a widget's own period only when none is
 * given); `filter` is merged into every query's filter and wins over the widget's own members
 * for the dimensions it names (these are locked scope filters, never widened by options).
 */
export function deriveQueries(queries: Record<string, Query>, period?: Period, filter?: QueryFilter): Record<string, Query> {
  const out: Record<string, Query> = {}
  for (const [name, query] of Object.entries(queries)) {
    let q: Query = { ...query }
    if (period) {
      delete q.window
      delete q.from
      delete q.to
      q = 'window' in period ? { ...q, window: period.window } : { ...q, from: period.from, to: period.to }
    }
    if (filter && Object.keys(filter).length > 0) q = { ...q, filter: { ...(q.filter ?? {}), ...filter } }
    out[name] = q
  }
  return out
}

const MINUTE = 60_000

/** Length of a window (`PT15M`, `P7D`, `today`…) in ms; undefined for the ones that grow or close. */
export function windowLength(window: string): number | undefined {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(window)
  if (!m) return undefined
  const ms = ((Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * MINUTE
  return ms > 0 ? ms : undefined
}

/**
 * How long a query's result may go without confirmation from the server before the widget
 * counts as stale. The server pushes only when a figure changes (and recomputes rolling
 * windows when a bucket leaves them), so a quiet result is confirmed by re-subscribing after half this budget;
 * a result still unconfirmed after the whole budget is stale. Short windows move fast and get a
 * tight budget; days and months a looser one; closed periods (`yesterday`, from/to) change
 * only on late movements.
 */
export function freshnessBudget(query: Query): number {
  if (query.window === 'yesterday') return 30 * MINUTE
  if (query.window === undefined && query.from !== undefined) return 30 * MINUTE
  const length = query.window ? windowLength(query.window) : undefined
  if (length !== undefined) return Math.min(10 * MINUTE, Math.max(MINUTE, length / 10))
  return 5 * MINUTE // today, thisMonth, and "now" metrics such as stock levels
}
