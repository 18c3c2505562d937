/**
 * What `GET /api/v1/sources` says of each ERP source, read defensively into the rows the
 * source-status widget shows. The answer is `{"sources": [{id, kind, state, lagMs, rows: {read,
 * applied, duplicate, skipped, rejected}, lastError: {message, at} | null, backfill}]}`; a plain
 * array of `{source: {id, kind, …}, status: {state, lagMs, counters, lastError, backfill}}` (the
 * endpoint's detail form) reads the same. Anything else is no rows, never an exception.
 */

export const SOURCE_STATES = ['failing', 'backfilling', 'paused', 'running', 'idle'] as const
export type SourceState = (typeof SOURCE_STATES)[number]

export const ROW_COUNTERS = ['read', 'applied', 'duplicate', 'skipped', 'rejected'] as const
export type RowCounter = (typeof ROW_COUNTERS)[number]

export interface SourceRow {
  id: string
  kind: string
  state: SourceState
  /** ms the cockpit is behind the ERP; null when not known yet */
  lagMs: number | null
  rows: Record<RowCounter, number>
  lastError: { message: string; at: string } | null
  /** rows loaded by the first run's backfill, when it reports them */
  backfillRows?: number
  /** when the backfill finished, when it did */
  backfillDoneAt?: string | null
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0)
const text = (v: unknown, max = 200): string => (typeof v === 'string' ? v.slice(0, max) : '')

function rowOf(id: unknown, kind: unknown, status: Obj): SourceRow | undefined {
  if (typeof id !== 'string' || !id) return undefined
  const counters = isObj(status.rows) ? status.rows : isObj(status.counters) ? status.counters : {}
  const state = (SOURCE_STATES as readonly unknown[]).includes(status.state) ? (status.state as SourceState) : 'idle'
  const err = isObj(status.lastError) && typeof status.lastError.message === 'string' ? { message: text(status.lastError.message, 500), at: text(status.lastError.at, 40) } : null
  const backfill = isObj(status.backfill) ? status.backfill : undefined
  return {
    id: text(id, 64),
    kind: text(kind, 32),
    state,
    lagMs: typeof status.lagMs === 'number' && Number.isFinite(status.lagMs) && status.lagMs >= 0 ? status.lagMs : null,
    rows: Object.fromEntries(ROW_COUNTERS.map((c) => [c, num(counters[c])])) as Record<RowCounter, number>,
    lastError: err,
    ...(backfill && typeof backfill.rows === 'number' ? { backfillRows: num(backfill.rows) } : {}),
    ...(backfill && 'doneAt' in backfill ? { backfillDoneAt: typeof backfill.doneAt === 'string' ? backfill.doneAt : null } : {}),
  }
}

/** The sources of an answer, the ones needing attention first (failing, backfilling, paused, then by lag), at most `limit`. */
export function sourceRows(body: unknown, limit = 50): SourceRow[] {
  const list: unknown[] = isObj(body) && Array.isArray(body.sources) ? body.sources : Array.isArray(body) ? body : []
  const rows: SourceRow[] = []
  for (const item of list.slice(0, 1000)) {
    if (!isObj(item)) continue
    const row = isObj(item.source) && isObj(item.status) ? rowOf(item.source.id, item.source.kind, item.status) : rowOf(item.id, item.kind, item)
    if (row) rows.push(row)
  }
  const rank = (s: SourceState) => SOURCE_STATES.indexOf(s)
  return rows.sort((a, b) => rank(a.state) - rank(b.state) || (b.lagMs ?? -1) - (a.lagMs ?? -1) || (a.id < b.id ? -1 : 1)).slice(0, limit)
}

/** A lag in words-free units: `0.8 s`, `42 s`, `12 min`, `3.5 h`, `2.1 d`. */
export function lagText(ms: number | null): string {
  if (ms === null) return '—'
  const s = ms / 1000
  if (s < 10) return `${s.toFixed(1)} s`
  if (s < 120) return `${Math.round(s)} s`
  if (s < 7200) return `${Math.round(s / 60)} min`
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`
  return `${(s / 86_400).toFixed(1)} d`
}
