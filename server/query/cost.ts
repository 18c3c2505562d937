/**
 * What a query costs, known from the request alone (docs/operations.md "Query cost": "every request's cost … is computed
 * from the request alone and refused with a 4xx before work starts"): arithmetic on the period's
 * ends, its interval, the counters of the metric and the members of the filter — never by
 * building the buckets, which is what a hostile period would make expensive. docs/api.md
 * ("Query limits") states the rules to clients, docs/operations.md ("Query cost") to operators.
 */
import { INTERVALS } from '../../protocol/metrics.ts'
import type { Interval } from '../../protocol/metrics.ts'
import { countBuckets } from '../domain/time.ts'
import type { BusinessCalendar } from '../domain/time.ts'
import { CockpitError } from '../errors.ts'
import { RESOLUTIONS } from '../redis/keys.ts'
import type { Resolution } from '../redis/keys.ts'
import type { Period } from './period.ts'

/**
 * The instants a period may lie in: [1970-01-01, 2100-01-01) UTC. Business figures outside it
 * are not plausible, and refusing them keeps every other bound (points, tiles, days) finite.
 */
export const BUSINESS_RANGE = { from: Date.UTC(1970, 0, 1), to: Date.UTC(2100, 0, 1) } as const

/**
 * Most points one series may have, per interval: a week by minute, a leap year by hour, ten
 * years by day, the whole business range by month (each with a little room for ends that are not
 * on a bucket boundary). A longer range needs a coarser interval.
 */
export const MAX_POINTS: Readonly<Record<Interval, number>> = { minute: 10_100, hour: 8_800, day: 3_700, month: 1_600 }

/** The longest range each interval allows, in words, for messages and docs (follows MAX_POINTS). */
export const MAX_RANGE: Readonly<Record<Interval, string>> = { minute: '7 days', hour: '366 days', day: '10 years', month: '130 years' }

/**
 * Fields a query may read back (or build, one per member and boundary) per unit of the cost
 * limit. The estimate counts a read of a whole hash (every member of a dimension) as one field,
 * since its size is not known from the request; its real size is counted as the replies arrive,
 * against this budget.
 */
export const REPLY_FIELDS_PER_COST = 5

/**
 * Most days a turnover or days-on-hand figure may cover (about ten years): it averages one
 * closing value per day of its period, for every member.
 */
export const MAX_TURNOVER_DAYS = 3_700

/**
 * Most values one answer may hold: groups × (1 + points). Keeps the reply (and its JSON, about
 * 50 bytes a value) bounded when a grouped series has many sparse members; `top` narrows it.
 */
export const MAX_ANSWER_VALUES = 100_000

/** A running query holds the event loop about this long at most before letting others in. */
const SLICE_MS = 5

/** finest first (RESOLUTIONS' order): a resolution's rank */
const RANK = (res: Resolution) => RESOLUTIONS.indexOf(res)
const COARSE_TO_FINE: readonly Resolution[] = [...RESOLUTIONS].reverse()

/**
 * Most buckets of a finer resolution (key) inside one bucket of a coarser one: a month has at
 * most 31 days, a day 25 hours (the day clocks go back), an hour at most 120 minutes (where the
 * clocks go back, tilePeriod takes the repeated hour and the one before as one bucket), a year
 * 12 months, 366 days.
 */
const MOST_INSIDE: Readonly<Record<Resolution, Partial<Record<Resolution, number>>>> = {
  minute: { hour: 120, day: 1_500, month: 44_700, year: 527_100 },
  hour: { day: 25, month: 745, year: 8_785 },
  day: { month: 31, year: 366 },
  month: { year: 12 },
  year: {},
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

/** Throws a 400 naming the field when a period end lies outside BUSINESS_RANGE. */
export function assertInBusinessRange(field: 'from' | 'to', epochMs: number): void {
  // `to` is exclusive: 2100-01-01T00:00:00Z itself is the last end allowed
  const inside = field === 'from' ? epochMs >= BUSINESS_RANGE.from && epochMs < BUSINESS_RANGE.to : epochMs > BUSINESS_RANGE.from && epochMs <= BUSINESS_RANGE.to
  if (inside) return
  const message = `must lie between 1970-01-01T00:00:00Z and 2100-01-01T00:00:00Z`
  throw new CockpitError('COCKPIT_ERR_INVALID_QUERY', `invalid query: /${field} ${message}`, [{ path: `/${field}`, message }])
}

/** Throws COCKPIT_ERR_QUERY_TOO_COSTLY when a series would have more points than its interval allows. */
export function assertPoints(interval: Interval, points: number): void {
  const max = MAX_POINTS[interval]
  if (points <= max) return
  const coarser = INTERVALS.filter((r) => RANK(r) > RANK(interval))
  const hint = coarser.length ? `use a coarser interval (${coarser.join(', ')}) or a shorter range` : 'use a shorter range'
  const message = `${fmt(points)} ${interval} points is more than the ${fmt(max)} a series by ${interval} may have (about ${MAX_RANGE[interval]}): ${hint}`
  throw new CockpitError('COCKPIT_ERR_QUERY_TOO_COSTLY', message, [{ path: '/interval', message }])
}

/** Throws COCKPIT_ERR_QUERY_TOO_COSTLY when a grouped answer would hold more than MAX_ANSWER_VALUES values. */
export function assertAnswerSize(groups: number, points: number): void {
  const values = groups * (1 + points)
  if (values <= MAX_ANSWER_VALUES) return
  throw new CockpitError(
    'COCKPIT_ERR_QUERY_TOO_COSTLY',
    `the answer would hold ${fmt(values)} values (${fmt(groups)} groups × ${fmt(points)} points), more than the limit of ${fmt(MAX_ANSWER_VALUES)}: use top, a coarser interval or a shorter range`,
  )
}

/** Throws COCKPIT_ERR_QUERY_TOO_COSTLY when the estimated cost is over the limit. */
export function assertCost(cost: number, maxCost: number): void {
  if (cost <= maxCost) return
  throw new CockpitError(
    'COCKPIT_ERR_QUERY_TOO_COSTLY',
    `this query would read about ${fmt(cost)} counter fields, more than the limit of ${fmt(maxCost)}: use a coarser interval, a shorter range or fewer filter members`,
  )
}

/**
 * Most tiles `tilePeriod` covers [from, to) with using these resolutions: whole buckets of the
 * coarsest, plus at each end at most one coarser bucket's worth of each finer one — and never
 * more than there are buckets of the finest.
 */
export function tileBound(cal: BusinessCalendar, from: number, to: number, allowed: readonly Resolution[]): number {
  const chain = COARSE_TO_FINE.filter((r) => allowed.includes(r))
  if (chain.length === 0 || !(to > from)) return 0
  let bound = countBuckets(cal, chain[0]!, from, to)
  for (let i = 1; i < chain.length; i++) bound += 2 * (MOST_INSIDE[chain[i]!][chain[i - 1]!]! - 1)
  return Math.min(bound, countBuckets(cal, chain[chain.length - 1]!, from, to))
}

/** One read of counters over a period: of the whole period, or of each point of an interval. */
export interface PeriodRead {
  period: Period
  /** resolutions the figures are kept at for this read (by dimension, counters and retention) */
  allowed: readonly Resolution[]
  /** read once per point of this interval (each point from buckets no coarser than it) */
  interval?: Interval
  /** counter terms of the formula (a ratio: its numerator's and its denominator's) */
  terms: number
  /** fields read per hash: the filter's members, or 1 when whole hashes are read */
  members: number
}

/**
 * Counter fields one read costs: tiles × terms × members. A series checks its point count first
 * (MAX_POINTS); its tiles are those of the whole period cut at every point.
 */
export function readCost(cal: BusinessCalendar, r: PeriodRead): number {
  const { from, to } = r.period
  let tiles: number
  if (r.interval === undefined) tiles = tileBound(cal, from, to, r.allowed)
  else {
    const points = countBuckets(cal, r.interval, from, to)
    assertPoints(r.interval, points)
    const within = r.allowed.filter((res) => RANK(res) <= RANK(r.interval!))
    tiles = tileBound(cal, from, to, within) + points
  }
  return tiles * r.terms * r.members
}

/** A closing-stock or turnover query, as runStockPeriod reads it. */
export interface StockPeriodRead {
  kind: 'closing' | 'turnover'
  period: Period
  /** the time of the query: boundaries from now on are the level now, not a read */
  at: number
  interval?: 'day' | 'month'
  /** resolutions the stock changes (sq/sv) are kept at for the dimension */
  deltaAllowed: readonly Resolution[]
  /** change counters of the balance (stock: 1; receivables: invoiced and settled) @default 1 */
  changeTerms?: number
  /** resolutions COGS is kept at for the dimension (turnover) */
  cogsAllowed: readonly Resolution[]
  /** fields read per hash: the filter's members, or 1 when whole hashes are read */
  members: number
  /** grouped turnover computes the whole period's figure once more, ungrouped */
  grouped: boolean
  /** compare: the previous period, read as its own ungrouped total */
  previous?: Period
}

/**
 * Counter fields a closing-stock or turnover query costs. A closing level at a past boundary is
 * the level now minus the changes since: changes are read in segments between consecutive
 * boundaries (whole months where kept, days at their ends) up to the end of tomorrow. Closing
 * figures have one boundary per point (or one: the end); turnover one per day of the period.
 */
export function stockPeriodCost(cal: BusinessCalendar, s: StockPeriodRead): number {
  const { from, to } = s.period
  const points = s.interval === undefined ? 0 : countBuckets(cal, s.interval, from, to)
  if (s.interval !== undefined) assertPoints(s.interval, points)
  const past = Math.min(to, s.at)
  const days = countBuckets(cal, 'day', from, past)
  if (s.kind === 'turnover' && days > MAX_TURNOVER_DAYS) {
    const message = `turnover and days on hand average a closing value per day: ${fmt(days)} days is more than the ${fmt(MAX_TURNOVER_DAYS)} (about 10 years) they may cover; use a shorter range`
    throw new CockpitError('COCKPIT_ERR_QUERY_TOO_COSTLY', message, [{ path: '/from', message }])
  }
  // segments inside the period: at most a day each, or some months and at most 60 edge days each
  const boundaries = s.kind === 'turnover' ? days : points + 1
  const inside = s.deltaAllowed.includes('month') ? Math.min(days + 1, boundaries * 61 + countBuckets(cal, 'month', from, past)) : days + 1
  // the last segment: from the latest past boundary to the end of tomorrow (movements dated ahead)
  const endOfTomorrow = cal.nextStart('day', cal.nextStart('day', s.at))
  const tail = from < s.at ? tileBound(cal, cal.startOf('day', past), endOfTomorrow, s.deltaAllowed) : 0
  const terms = s.changeTerms ?? 1
  let reads = terms * (1 + inside + tail) // the levels now, the changes since each boundary
  if (s.kind === 'turnover') {
    const cogs = readCost(cal, { period: s.period, allowed: s.cogsAllowed, terms: 1, members: 1 })
    // each point's COGS (without an interval: the whole period once more, as its one point)
    const series = s.interval === undefined ? cogs : readCost(cal, { period: s.period, allowed: s.cogsAllowed, interval: s.interval, terms: 1, members: 1 })
    reads += cogs + series
    if (s.grouped) reads += terms * (1 + inside + tail) + cogs
  }
  let cost = reads * s.members
  if (s.previous) cost += stockPeriodCost(cal, { ...s, period: s.previous, interval: undefined, grouped: false, previous: undefined })
  return cost
}

/**
 * What one running query may still spend: counter fields read back (whole hashes at their real
 * size) and time. Checked between round trips to Redis and in long loops, so a query past its
 * budget or its time stops instead of running on after its caller was answered, and a long
 * query lets other requests in every few milliseconds instead of blocking the event loop.
 */
export interface QueryBudget {
  /** counts fields read or built; throws COCKPIT_ERR_QUERY_TOO_COSTLY past the limit, COCKPIT_ERR_QUERY_TIMEOUT after a timeout */
  spend(fields: number): void
  /** throws COCKPIT_ERR_QUERY_TIMEOUT once the query has timed out */
  check(): void
  /**
   * call often in long loops (`await budget.pace()`): yields to the event loop once the query has
   * held it for SLICE_MS, and throws COCKPIT_ERR_QUERY_TIMEOUT once it has timed out
   */
  pace(): Promise<void> | undefined
}

/** The limits a query runs under (config.security). */
export interface QueryLimits {
  /** estimated counter fields one query may read @default 200,000 (COCKPIT_QUERY_MAX_COST) */
  maxCost: number
  /** a query still running after this answers 408 @default 5,000 (COCKPIT_QUERY_TIMEOUT_MS) */
  timeoutMs: number
}

function timeoutError(ms: number): CockpitError {
  return new CockpitError('COCKPIT_ERR_QUERY_TIMEOUT', `the query took longer than ${fmt(ms)} ms and was stopped: use a coarser interval, a shorter range or fewer filter members`)
}

/**
 * Runs a query's work under its limits: rejects with COCKPIT_ERR_QUERY_TIMEOUT (408) once
 * `timeoutMs` has passed — the work then stops at its next budget check — and gives the work a
 * budget of REPLY_FIELDS_PER_COST × `maxCost` fields.
 */
export function runWithinLimits<T>(limits: QueryLimits, work: (budget: QueryBudget) => Promise<T>): Promise<T> {
  const maxFields = REPLY_FIELDS_PER_COST * limits.maxCost
  let spent = 0
  let timedOut = false
  let sliceFrom = performance.now()
  const budget: QueryBudget = {
    check() {
      if (timedOut) throw timeoutError(limits.timeoutMs)
    },
    pace() {
      if (timedOut) throw timeoutError(limits.timeoutMs)
      if (performance.now() - sliceFrom < SLICE_MS) return undefined
      return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        sliceFrom = performance.now()
        budget.check()
      })
    },
    spend(fields) {
      if (timedOut) throw timeoutError(limits.timeoutMs)
      spent += fields
      if (spent > maxFields) {
        throw new CockpitError(
          'COCKPIT_ERR_QUERY_TOO_COSTLY',
          `this query read more than ${fmt(maxFields)} counter fields (${REPLY_FIELDS_PER_COST} × the limit of ${fmt(limits.maxCost)}) and was stopped: group or filter by a dimension with fewer members, or use a shorter range`,
        )
      }
    },
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      timedOut = true
      reject(timeoutError(limits.timeoutMs))
    }, limits.timeoutMs)
    work(budget)
      .then(resolve, reject)
      .finally(() => clearTimeout(timer))
  })
}
