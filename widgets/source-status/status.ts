/**
 * What `GET /api/v1/sources` answers (protocol/sources.ts: an array of `{source, status}`, the
 * status with `state`, `lagMs`, `counters`, `lastError`, `failingSince` and `backfill`), read
 * defensively into the rows the source-status widget shows: an item that is not of that shape is
 * left out, an answer that is not an array is no rows — never an exception.
 */
import { SOURCE_STATES } from '../../protocol/sources.ts'
import type { SourceState } from '../../protocol/sources.ts'

export { SOURCE_STATES }
export type { SourceState }

export const ROW_COUNTERS = ['read', 'applied', 'duplicate', 'skipped', 'rejected'] as const
export type RowCounter = (typeof ROW_COUNTERS)[number]

export interface SourceRow {
  id: string
  /** the source's display title, or its id */
  title: string
  kind: string
  state: SourceState
  /** ms the cockpit is behind the ERP; null when not known yet */
  lagMs: number | null
  rows: Record<RowCounter, number>
  lastError: { message: string; at: string } | null
  /** when the current streak of failures began, while failing */
  failingSince: string | null
  /** rows read by the backfill (first run or re-sync) */
  backfillRows: number
  /** when the backfill finished; null while it runs (or before it started) */
  backfillDoneAt: string | null
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0)
const text = (v: unknown, max = 200): string => (typeof v === 'string' ? v.slice(0, max) : '')
const time = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v.slice(0, 40) : null)

/** One `{source, status}` item as a row; undefined when it is not one. */
export function sourceRow(item: unknown): SourceRow | undefined {
  if (!isObj(item) || !isObj(item.source) || !isObj(item.status)) return undefined
  const { source, status } = item
  if (typeof source.id !== 'string' || !source.id) return undefined
  const counters = isObj(status.counters) ? status.counters : {}
  const state = (SOURCE_STATES as readonly unknown[]).includes(status.state) ? (status.state as SourceState) : 'idle'
  const err = isObj(status.lastError) && typeof status.lastError.message === 'string' ? { message: text(status.lastError.message, 500), at: text(status.lastError.at, 40) } : null
  const backfill = isObj(status.backfill) ? status.backfill : {}
  const id = text(source.id, 64)
  return {
    id,
    title: text(source.title, 200) || id,
    kind: text(source.kind, 32),
    state,
    lagMs: typeof status.lagMs === 'number' && Number.isFinite(status.lagMs) && status.lagMs >= 0 ? status.lagMs : null,
    rows: Object.fromEntries(ROW_COUNTERS.map((c) => [c, num(counters[c])])) as Record<RowCounter, number>,
    lastError: err,
    failingSince: state === 'failing' ? time(status.failingSince) : null,
    backfillRows: num(backfill.rows),
    backfillDoneAt: time(backfill.doneAt),
  }
}

/** The sources of an answer, the ones needing attention first (failing, backfilling, paused, running, idle, then by lag), at most `limit`. */
export function sourceRows(body: unknown, limit = 50): SourceRow[] {
  if (!Array.isArray(body)) return []
  const rows: SourceRow[] = []
  for (const item of body.slice(0, 1000)) {
    const row = sourceRow(item)
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
