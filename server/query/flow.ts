/**
 * Flow and ratio metrics over a period (sales, purchases, cash, stocktakes…): the total, a series
 * by interval, groups ranked by total, the previous period. Read from counter buckets tiling the
 * period; a ratio over several members divides sums, never adds ratios.
 */
import { METRICS } from '../../protocol/metrics.ts'
import type { Interval } from '../../protocol/metrics.ts'
import type { GroupResult, Query, SeriesPoint } from '../../protocol/query.ts'
import { bucketsIn, countBuckets, tilePeriod, tilesOf } from '../domain/time.ts'
import type { BusinessCalendar, Tile } from '../domain/time.ts'
import { CockpitError } from '../errors.ts'
import { ALL_FIELD, RESOLUTIONS } from '../redis/keys.ts'
import type { Resolution } from '../redis/keys.ts'
import { assertAnswerSize, assertCost, assertPoints, readCost } from './cost.ts'
import type { PeriodRead, QueryBudget } from './cost.ts'
import { evaluate, filteredRatio, outputOf, ratioOf } from './evaluate.ts'
import { FORMULAS } from '../aggregate/formulas.ts'
import { previousPeriod } from './period.ts'
import type { Period } from './period.ts'
import { allowedFor, collect, filterPlan, named, sumMap } from './shared.ts'
import type { Plan, QueryContext, QueryFigures } from './shared.ts'
import { isSummable, sumGroupsInRedis } from './top-groups.ts'
import type { SummableFormula } from './top-groups.ts'

/**
 * Counter fields runFlow will read, estimated from the request (server/query/cost.ts): the
 * period's total, the series, a ratio's totals read again as ratios of sums, the previous period.
 */
function flowCost(ctx: QueryContext, q: Query, period: Period, plan: Plan, allowed: Resolution[], at: number): number {
  const f = FORMULAS[q.metric]
  const terms = f.kind === 'ratio' ? f.num.length + f.den.length : f.kind === 'flow' ? f.terms.length : 1
  const members = plan.members?.length ?? 1
  const isRatio = f.kind === 'ratio'
  const reads: PeriodRead[] = [{ period, allowed, terms, members }]
  if (q.interval) {
    // an interval finer than the figures are kept at is refused by seriesPoints, naming why
    if (RESOLUTIONS.indexOf(q.interval) >= RESOLUTIONS.indexOf(allowed[0]!)) reads.push({ period, allowed, interval: q.interval, terms, members })
  }
  if (isRatio && q.groupBy) {
    reads.push({ period, allowed: allowedFor(ctx, q.metric, 'all', period.from, at), terms, members: 1 })
    if (plan.members || plan.keep) reads.push(reads[0]!)
  } else if (isRatio && plan.members) {
    // filtered ratio: the total and every point read again as ratios of sums
    reads.push(...reads.slice())
  }
  if (q.compare === 'previous') {
    const prev = previousPeriod(period, q.window, ctx.cal)
    reads.push({ period: prev, allowed: allowedFor(ctx, q.metric, plan.dim, prev.from, at), terms, members })
  }
  return reads.reduce((cost, r) => cost + readCost(ctx.cal, r), 0)
}

/** A point of a series: its start as answered, and the tiles it reads. */
interface Point {
  start: string
  tiles: Tile[]
}

/**
 * Most tiles (Σ over entries) kept by `memoTiles`: a few MB at most. A wall asks the same periods
 * at every refresh, and building them — calendar maths in the business time zone, a formatted
 * start per point — cost a month series over four years about as much CPU as reading its figures.
 */
const TILE_MEMO_MAX = 50_000
/** periods' tiles and series points by calendar, period and options; oldest out first past TILE_MEMO_MAX */
const tileMemo = new Map<string, { value: Tile[] | Point[]; size: number }>()
let tileMemoSize = 0

/**
 * The value `build` makes for `key`, built once while it stays among the recent ones. The tiles
 * are frozen: every query that asks the same period shares them.
 */
async function memoTiles<T extends Tile[] | Point[]>(key: string, build: () => Promise<{ value: T; size: number }>): Promise<T> {
  const hit = tileMemo.get(key)
  if (hit) {
    // most recently used last: a Map iterates in insertion order
    tileMemo.delete(key)
    tileMemo.set(key, hit)
    return hit.value as T
  }
  const made = await build()
  if (made.size > TILE_MEMO_MAX / 4) return made.value
  tileMemo.set(key, made)
  tileMemoSize += made.size
  for (const [k, e] of tileMemo) {
    if (tileMemoSize <= TILE_MEMO_MAX) break
    tileMemo.delete(k)
    tileMemoSize -= e.size
  }
  return made.value
}

const frozen = (tiles: Tile[]): Tile[] => Object.freeze(tiles.map((t) => Object.freeze(t))) as Tile[]

/** the tiles of [from, to) (tilesOf), shared by the queries that ask the same period */
function periodTiles(budget: QueryBudget, cal: BusinessCalendar, from: number, to: number, allowed: Resolution[], openEnd: boolean): Promise<Tile[]> {
  return memoTiles(`${cal.timeZone}|tiles|${from}|${to}|${allowed.join()}|${openEnd}`, async () => {
    const tiles = frozen(await collect(budget, tilesOf(cal, from, to, { allowed, openEnd })))
    return { value: tiles, size: tiles.length + 1 }
  })
}

async function seriesPoints(ctx: QueryContext, budget: QueryBudget, interval: Interval, period: Period, allowed: Resolution[], openEnd: boolean): Promise<Point[]> {
  const cal = ctx.cal
  if (RESOLUTIONS.indexOf(interval) < RESOLUTIONS.indexOf(allowed[0]!)) {
    throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `this metric and dimension are kept by ${allowed[0]} at the finest; use interval ${allowed[0]} or coarser`)
  }
  // counted before the buckets are built (runFlow's cost check did so already; kept next to the build)
  assertPoints(interval, countBuckets(cal, interval, period.from, period.to))
  // a point never reads buckets coarser than itself
  const within = allowed.filter((r) => RESOLUTIONS.indexOf(r) <= RESOLUTIONS.indexOf(interval))
  return memoTiles(`${cal.timeZone}|points|${interval}|${period.from}|${period.to}|${within.join()}|${openEnd}`, async () => {
    const points: Point[] = []
    let size = 0
    for (const b of bucketsIn(cal, interval, period.from, period.to)) {
      const tiles = frozen(tilePeriod(cal, Math.max(b.start, period.from), Math.min(b.end, period.to), { allowed: within, openEnd: openEnd && b.end >= period.to }))
      points.push(Object.freeze({ start: cal.format(b.start), tiles }))
      size += tiles.length + 1
      await budget.pace()
    }
    return { value: Object.freeze(points) as Point[], size }
  })
}

/** a flow or ratio metric over `period`, under the cost limit and `budget` */
export async function runFlow(ctx: QueryContext, q: Query, period: Period, at: number, budget: QueryBudget): Promise<QueryFigures> {
  const cal = ctx.cal
  const out = outputOf(q.metric)
  const plan = filterPlan(ctx, q)
  const allowed = allowedFor(ctx, q.metric, plan.dim, period.from, at)
  assertCost(flowCost(ctx, q, period, plan, allowed, at), ctx.limits.maxCost)
  // a rolling window ends now: nothing lies after it, so its last bucket can be read whole
  const openEnd = period.to >= at
  const isRatio = METRICS[q.metric].kind === 'ratio'

  // a ratio over several members (filter with many values) must divide sums, not add ratios:
  // so totals of filtered ratios are read as their own tile set below
  const whole: Tile[] = await periodTiles(budget, cal, period.from, period.to, allowed, openEnd)
  const points = q.interval ? await seriesPoints(ctx, budget, q.interval, period, allowed, openEnd) : []
  // report the period really covered (ends widen to the finest bucket kept)
  const figures: QueryFigures = { from: cal.format(whole[0]?.start ?? period.from), total: 0 }
  const coveredTo = coveredEnd(whole, period.to, at)
  if (coveredTo !== period.to) figures.to = cal.format(coveredTo)
  const f = FORMULAS[q.metric]
  const ranked = q.groupBy && q.top && isSummable(f) ? await topInRedis(ctx, budget, q.metric, f, q.top, whole, points, plan) : undefined
  const tileSets = [whole, ...points.map((p) => p.tiles)]
  const values = ranked ? ranked.values : await evaluate(ctx, budget, q.metric, tileSets, plan)
  const totals = values[0]!

  if (q.groupBy) {
    // a member whose period total is 0 may still move within it: its series keeps it a group
    const members = new Set<string>()
    for (const m of values) for (const k of m.keys()) members.add(k)
    let keys = [...members]
    const byTotal = (k: string) => totals.get(k) ?? (isRatio ? null : 0)
    keys.sort((a, b) => (byTotal(b) ?? -Infinity) - (byTotal(a) ?? -Infinity) || (a < b ? -1 : 1))
    if (q.top) keys = keys.slice(0, q.top)
    assertAnswerSize(keys.length, points.length)
    figures.groups = keys.map((key): GroupResult => {
      const g = named(ctx, q.groupBy!, { key, total: out(byTotal(key)) })
      if (q.interval) {
        const series: SeriesPoint[] = new Array(points.length)
        for (let i = 0; i < points.length; i++) series[i] = { start: points[i]!.start, value: out(values[i + 1]!.get(key) ?? (isRatio ? null : 0)) }
        g.series = series
      }
      return g
    })
    if (isRatio) {
      if (ranked && (plan.members || plan.keep)) {
        figures.total = ratioOf(f as Extract<SummableFormula, { kind: 'ratio' }>, ranked.a, ranked.b)
      } else {
        const allTiles = await collect(budget, tilesOf(cal, period.from, period.to, { allowed: allowedFor(ctx, q.metric, 'all', period.from, at), openEnd }))
        const all = await evaluate(ctx, budget, q.metric, [allTiles], { dim: 'all', members: undefined })
        figures.total = plan.members || plan.keep ? await filteredRatio(ctx, budget, q.metric, whole, plan) : (all[0]!.get(ALL_FIELD) ?? null)
      }
    } else {
      figures.total = out(ranked ? ranked.a : sumMap(totals))
    }
  } else {
    const pick = (m: Map<string, number | null>): number | null => out(plan.dim === 'all' ? (m.get(ALL_FIELD) ?? (isRatio ? null : 0)) : sumMap(m))
    figures.total = isRatio && plan.members ? await filteredRatio(ctx, budget, q.metric, whole, plan) : pick(totals)
    if (q.interval) {
      figures.series = await Promise.all(
        points.map(async (p, i): Promise<SeriesPoint> => ({
          start: p.start,
          value: isRatio && plan.members ? await filteredRatio(ctx, budget, q.metric, p.tiles, plan) : pick(values[i + 1]!),
        })),
      )
    }
  }
  if (q.compare === 'previous') {
    const prev = previousPeriod(period, q.window, cal)
    const prevTiles = await collect(budget, tilesOf(cal, prev.from, prev.to, { allowed: allowedFor(ctx, q.metric, plan.dim, prev.from, at) }))
    // the previous period's total over every member: summed in Redis when it can be
    const summed = plan.dim !== 'all' && isSummable(f) ? await sumGroupsInRedis(ctx, budget, f, prevTiles, plan, 0) : undefined
    let prevTotal: number | null
    if (summed) prevTotal = f.kind === 'ratio' ? ratioOf(f, summed.a, summed.b) : out(summed.a)
    else {
      const pv = plan.dim === 'all' || !isRatio ? (await evaluate(ctx, budget, q.metric, [prevTiles], plan))[0]! : undefined
      prevTotal =
        pv === undefined ? await filteredRatio(ctx, budget, q.metric, prevTiles, plan) : out(plan.dim === 'all' ? (pv.get(ALL_FIELD) ?? (isRatio ? null : 0)) : sumMap(pv))
    }
    // the previous period as read: past the finest resolution's retention its ends widen too
    figures.previous = { from: cal.format(prevTiles[0]?.start ?? prev.from), to: cal.format(coveredEnd(prevTiles, prev.to, at)), total: prevTotal }
  }
  return figures
}

/**
 * The end of what `tiles` read for a period ending at `to`: when the last tile reaches past `to` (a bucket coarser
 * than the period's edge), its movements up to its end — or up to `at` while it is still running — are in the figures.
 */
function coveredEnd(tiles: readonly Tile[], to: number, at: number): number {
  const end = tiles[tiles.length - 1]?.end ?? to
  return end > to ? Math.max(to, Math.min(end, at)) : to
}

/** What topInRedis found: the figures of the top groups as evaluate gives them, and the sums over every member. */
interface RankedInRedis {
  /** [whole period, each point]: member → figure, for the members that can rank */
  values: Map<string, number | null>[]
  /** Σ over every member of the flow (its numerator for a ratio), and of a ratio's denominator */
  a: number
  b: number
}

/**
 * The top groups of a flow or ratio over a period, summed in Redis (server/query/top-groups.ts):
 * only the members that can rank, and the series of those alone. Undefined when the answer could
 * differ from ranking every member — then runFlow reads every member as before:
 * - the read is too large for one script call;
 * - the plan keeps members by master data (a category's SKUs);
 * - with a series, a member may rank without a figure over the whole period (it moved only within
 *   it), which can only happen when the top N's last figure is not above 0 (flows) or is null (ratios).
 */
async function topInRedis(
  ctx: QueryContext,
  budget: QueryBudget,
  metric: Query['metric'],
  f: SummableFormula,
  top: number,
  whole: Tile[],
  points: Point[],
  plan: Plan,
): Promise<RankedInRedis | undefined> {
  const sums = await sumGroupsInRedis(ctx, budget, f, whole, plan, top)
  if (!sums) return undefined
  const totals = new Map<string, number | null>()
  for (const c of sums.candidates) totals.set(c.member, f.kind === 'ratio' ? ratioOf(f, c.a, c.b) : c.a)
  const keys = [...totals.keys()].sort((x, y) => (totals.get(y) ?? -Infinity) - (totals.get(x) ?? -Infinity) || (x < y ? -1 : 1)).slice(0, top)
  if (points.length > 0) {
    const last = keys.length === top ? totals.get(keys[top - 1]!) : undefined
    if (last === undefined || last === null || (f.kind === 'flow' && last <= 0)) return undefined
  }
  const kept = new Map(keys.map((k) => [k, totals.get(k)!]))
  if (points.length === 0 || keys.length === 0) return { values: [kept, ...points.map(() => new Map<string, number | null>())], a: sums.a, b: sums.b }
  const series = await evaluate(
    ctx,
    budget,
    metric,
    points.map((p) => p.tiles),
    { dim: plan.dim, members: keys },
  )
  return { values: [kept, ...series], a: sums.a, b: sums.b }
}
