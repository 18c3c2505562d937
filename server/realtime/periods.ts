/**
 * When a live query's figures can change, decided from the query alone (no Redis read):
 * - without ingest, a rolling window's figures move only when the buckets it reads change —
 *   when its start or its end crosses a boundary of the finest resolution it may be read at
 *   (`tilePeriod` in server/domain/time.ts) — so each room is refreshed at its next boundary,
 *   not on a fixed timer;
 * - with ingest, a change notice `{metrics, from, to}` moves a query only if its metric is listed
 *   and the movements' occurrence overlaps the buckets the query reads.
 * Both err on the side of "may change": an extra computation whose figures did not move pushes
 * nothing (the registry compares figures), a missed one would leave a wall wrong.
 */
import type { Query } from '../../protocol/query.ts'
import type { RetentionConfig } from '../config.ts'
import type { BusinessCalendar } from '../domain/time.ts'
import type { Resolution } from '../redis/keys.ts'
import { COUNTERS, LINE_RESOLUTIONS } from '../aggregate/counters.ts'
import type { CounterCode } from '../aggregate/counters.ts'
import { FORMULAS } from '../aggregate/formulas.ts'
import { durationMs, previousPeriod, resolvePeriod } from '../query/period.ts'

export interface PeriodRules {
  calendar: BusinessCalendar
  retention: RetentionConfig
}

/** Occurrence span of a change notice, epoch ms (both ends inclusive). */
export interface ChangeSpan {
  from: number
  to: number
}

const FINE_TO_COARSE: readonly Resolution[] = ['minute', 'hour', 'day', 'month', 'year']

/**
 * Finest resolution retention still keeps for data starting at `start` — the engine's own rule
 * (`from >= at − keep`). The engine may read coarser (dimensions, counters): a coarser
 * resolution's boundaries are a subset of this one's, so scheduling on these is never late.
 */
function finestKept(retention: RetentionConfig, start: number, now: number): Resolution {
  for (const res of FINE_TO_COARSE) {
    const keep = retention[res]
    if (keep === 0 || start >= now - keep * 1000) return res
  }
  return 'year'
}

/**
 * Coarsest resolution the engine may widen a period's ends to: day buckets exist for every
 * counter and dimension, so only an expired day retention leaves month buckets (and an expired
 * month retention year buckets).
 */
function widestUnit(retention: RetentionConfig, start: number, now: number): 'day' | 'month' | 'year' {
  if (retention.day === 0 || start >= now - retention.day * 1000) return 'day'
  return retention.month === 0 || start >= now - retention.month * 1000 ? 'month' : 'year'
}

/** Figures "now" (levels, lists, stock-out): no period; any listed change may move them. */
function hasPeriod(query: Query): boolean {
  return query.window !== undefined || query.from !== undefined || query.to !== undefined
}

/** Figures "now" that age with the calendar (stock ageing, slow-moving stock). */
function agesWithCalendar(query: Query): boolean {
  const f = FORMULAS[query.metric]
  return f?.kind === 'ageing' || f?.kind === 'creditAgeing' || (f?.kind === 'list' && f.list === 'slowMoving')
}

/** Closing stock and turnover read running levels: a change at any time before the period's end moves them. */
function readsHistory(query: Query): boolean {
  const kind = FORMULAS[query.metric]?.kind
  return kind === 'closing' || kind === 'turnover'
}

const LINE_COUNTER_CODES: ReadonlySet<string> = new Set(Object.keys(COUNTERS).filter((code) => (COUNTERS[code as CounterCode].res as readonly string[]) === LINE_RESOLUTIONS))

/**
 * Order-line figures (OTIF, lead time) are written in the buckets of the line — its promised
 * date, its receipts — not of the movement that changed it: any change of the metric may move them.
 */
function readsOrderLines(query: Query): boolean {
  const f = FORMULAS[query.metric]
  return f?.kind === 'ratio' && [...f.num, ...f.den].some(([c]) => LINE_COUNTER_CODES.has(c))
}

/**
 * Figures that move as time passes without ingest: open lines become overdue at their promised
 * instant (overdue lines; OTIF of a bucket not yet ended). Refreshed every minute.
 */
function passesDueDates(query: Query): boolean {
  const f = FORMULAS[query.metric]
  return f?.kind === 'overdue' || (f?.kind === 'ratio' && f.settle !== undefined)
}

/**
 * The next instant after `now` at which a rolling window's figures can change without ingest,
 * or undefined when they cannot (fixed ranges, figures "now": only ingest moves them).
 * - `today` / `yesterday` / `thisMonth`: the next midnight (month start), or the next `interval`
 *   boundary (a series gains a point), or — with `compare` — when the previous period's sliding
 *   end crosses a boundary; turnover over `today`/`thisMonth` divides by the elapsed time, so
 *   it is refreshed every minute.
 * - durations (`PT15M`, `P7D`): when the start (now − length) or the end (now) crosses a boundary
 *   of the finest resolution kept that far back (minute up to 2 days with the default retention,
 *   then hour, then day).
 * - stock ageing and slow-moving stock ("now", but aged in business days): the next midnight.
 */
export function nextRefreshAt(query: Query, now: number, rules: PeriodRules): number | undefined {
  let next = nextBoundary(query, now, rules)
  if (passesDueDates(query)) next = Math.min(next ?? Infinity, rules.calendar.nextStart('minute', now))
  // at a boundary's very instant a window ending there holds no part of the new bucket yet
  // (tilePeriod covers [from, to)): read it a millisecond later
  return next === undefined || !Number.isFinite(next) ? undefined : next + 1
}

function nextBoundary(query: Query, now: number, rules: PeriodRules): number | undefined {
  const { window } = query
  const cal = rules.calendar
  // ages are counted in business days: stock ageing, slow-moving stock and open items move at midnight
  if (agesWithCalendar(query)) return cal.nextStart('day', now)
  if (window === undefined) return undefined
  // the instant a point sliding with `now` crosses its next `res` boundary
  const sliding = (res: Resolution, point: number) => now + (cal.nextStart(res, point) - point)
  if (window === 'today' || window === 'yesterday' || window === 'thisMonth') {
    let next = cal.nextStart(window === 'thisMonth' ? 'month' : 'day', now)
    if (window === 'yesterday') return next
    if (query.interval) next = Math.min(next, cal.nextStart(query.interval, now))
    if (FORMULAS[query.metric]?.kind === 'turnover') next = Math.min(next, cal.nextStart('minute', now))
    if (query.compare === 'previous') {
      const prev = previousPeriod(resolvePeriod(query, cal, now), window, cal)
      if (prev.to < now) next = Math.min(next, sliding(finestKept(rules.retention, prev.from, now), prev.to))
    }
    return next
  }
  const length = durationMs(window)
  if (length === undefined) return undefined
  const from = now - length
  const res = finestKept(rules.retention, from, now)
  let next = Math.min(cal.nextStart(res, now), sliding(res, from))
  if (query.interval) next = Math.min(next, cal.nextStart(query.interval, now), sliding(query.interval, from))
  if (query.compare === 'previous') {
    const prevFrom = from - length
    next = Math.min(next, sliding(finestKept(rules.retention, prevFrom, now), prevFrom))
  }
  return next
}

interface Bounds {
  /** earliest occurrence that can move the figures */
  lo: number
  /** occurrences at or after this cannot move them */
  hi: number
  /** the bounds hold until this instant (a rolling window slides) */
  until: number
}

const UNBOUNDED: Bounds = { lo: -Infinity, hi: Infinity, until: Infinity }

function boundsOf(query: Query, now: number, rules: PeriodRules): Bounds {
  if (!hasPeriod(query) || readsOrderLines(query)) return UNBOUNDED
  const cal = rules.calendar
  let period
  let prev
  try {
    period = resolvePeriod(query, cal, now)
    if (query.compare === 'previous') prev = previousPeriod(period, query.window, cal)
  } catch {
    return UNBOUNDED // the engine refuses it anyway
  }
  const start = Math.min(period.from, prev?.from ?? Infinity)
  const unit = widestUnit(rules.retention, start, now)
  const keep = unit === 'year' ? 0 : rules.retention[unit]
  let until = keep > 0 ? start + keep * 1000 : Infinity
  const lo = readsHistory(query) ? -Infinity : cal.startOf(unit, start)
  // a period that ends now (or later) reads its last bucket whole, up to a month ahead: anything later may count
  const openEnd = period.to >= now
  const hi = openEnd ? Infinity : cal.nextStart(unit, period.to - 1)
  if (openEnd && query.window === undefined) until = Math.min(until, period.to)
  const { window } = query
  if (window === 'today' || window === 'yesterday') until = Math.min(until, cal.nextStart('day', now))
  else if (window === 'thisMonth') until = Math.min(until, cal.nextStart('month', now))
  else if (window !== undefined) until = Math.min(until, now + (cal.nextStart(unit, start) - start))
  return { lo, hi, until }
}

/**
 * `touches(query, span, now)`: may a change to movements that occurred within `span` move the
 * query's figures? Bounds are cached per query object until its window slides, so a notice
 * costs a comparison per room.
 */
export function createChangeMatcher(rules: PeriodRules): (query: Query, span: ChangeSpan, now: number) => boolean {
  const cache = new WeakMap<Query, Bounds>()
  return (query, span, now) => {
    let b = cache.get(query)
    if (b === undefined || now >= b.until) {
      b = boundsOf(query, now, rules)
      cache.set(query, b)
    }
    return span.from < b.hi && span.to >= b.lo
  }
}

/** The occurrence span of a change notice, or undefined when it names none (master data) or an unreadable one. */
export function spanOf(notice: { from?: string | undefined; to?: string | undefined }): ChangeSpan | undefined {
  if (notice.from === undefined || notice.to === undefined) return undefined
  const from = Date.parse(notice.from)
  const to = Date.parse(notice.to)
  return Number.isNaN(from) || Number.isNaN(to) ? undefined : { from, to }
}
