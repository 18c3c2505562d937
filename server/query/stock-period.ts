/**
 * Figures of a balance over a period: closing stock (qty, value) at the end of the period and of
 * each point, and turnover / days on hand, DSO and DPO (a flow against the average daily closing
 * balance). A closing balance is the running levels now minus the changes dated after it.
 */
import type { Dimension } from '../../protocol/metrics.ts'
import type { Query } from '../../protocol/query.ts'
import { COUNTERS, DIM_RESOLUTIONS, LEVELS } from '../aggregate/counters.ts'
import { bucketsIn, tilePeriod } from '../domain/time.ts'
import type { Tile } from '../domain/time.ts'
import { CockpitError } from '../errors.ts'
import { ALL_FIELD, RESOLUTIONS } from '../redis/keys.ts'
import type { Resolution } from '../redis/keys.ts'
import { assertAnswerSize, assertCost, stockPeriodCost } from './cost.ts'
import type { QueryBudget } from './cost.ts'
import { FORMULAS } from '../aggregate/formulas.ts'
import type { LevelTerms, Terms } from '../aggregate/formulas.ts'
import { previousPeriod, resolvePeriod } from './period.ts'
import type { Period } from './period.ts'
import { allowedForCodes, collect, filterPlan, named, readFlow, scaleOut, sumMap } from './shared.ts'
import type { QueryContext, QueryFigures } from './shared.ts'

/** Σ ± running levels by members of a dimension: all (`_`), every member, or some members */
export async function readBalance(ctx: QueryContext, terms: LevelTerms, dim: Dimension | 'all', members: string[] | undefined): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  for (const [code, sign] of terms) {
    const key = ctx.keys.level(code, dim)
    let entries: [string, string | null][]
    if (dim === 'all') entries = [[ALL_FIELD, await ctx.redis.hget(key, ALL_FIELD)]]
    else if (members) {
      const values = await ctx.redis.hmget(key, ...members)
      entries = members.map((m, i) => [m, values[i] ?? null])
    } else entries = Object.entries(await ctx.redis.hgetall(key))
    for (const [m, v] of entries) if (v !== null) out.set(m, (out.get(m) ?? 0) + sign * Number(v))
  }
  return out
}

/** per member, Σ ± the terms' sums (readFlow gives one map per term) */
function signedSum(sums: readonly Map<string, number>[], terms: Terms): Map<string, number> {
  const out = new Map<string, number>()
  sums.forEach((sum, j) => {
    for (const [m, v] of sum) out.set(m, (out.get(m) ?? 0) + terms[j]![1] * v)
  })
  return out
}

/** resolutions every change counter of a balance (`sq`/`sv`, `ar.i`/`ar.s`…: day and month) is kept at for a dimension */
function deltaResolutions(changes: Terms, dim: Dimension | 'all'): Resolution[] {
  return RESOLUTIONS.filter((res) => DIM_RESOLUTIONS[dim].includes(res) && changes.every(([c]) => (COUNTERS[c].res as readonly Resolution[]).includes(res)))
}

/**
 * A balance (units) at each boundary, per member: levels now − changes dated at or after
 * the boundary (buckets of `delta`, up to tomorrow for movements dated slightly ahead).
 * Boundaries are taken at day starts: closing values are end-of-day figures. The changes are
 * read once per segment between consecutive boundaries, in whole months where the dimension
 * keeps them: a closing figure of years ago costs months, not a day bucket per day since.
 */
async function closingAt(
  ctx: QueryContext,
  budget: QueryBudget,
  level: LevelTerms,
  delta: Terms,
  dim: Dimension | 'all',
  members: string[] | undefined,
  boundaries: number[],
  at: number,
) {
  const cal = ctx.cal
  const now = await readBalance(ctx, level, dim, members)
  const end = cal.nextStart('day', cal.nextStart('day', at))
  // the first day whose changes come after a boundary
  const dayAfter = (b: number) => (cal.startOf('day', b) === b ? b : cal.nextStart('day', b))
  // per boundary (a turnover has one per day of its period): that day, or Infinity for "now"
  const firstDays: number[] = []
  for (const b of boundaries) {
    if (firstDays.push(b < at ? dayAfter(b) : Infinity) % 64 === 0) await budget.pace()
  }
  const starts = [...new Set(firstDays.filter((d) => d !== Infinity))].sort((a, b) => a - b)
  if (starts.length === 0) return boundaries.map(() => now)
  const allowed = deltaResolutions(delta, dim)
  const segments: Tile[][] = []
  for (let i = 0; i < starts.length; i++) {
    segments.push(tilePeriod(cal, starts[i]!, starts[i + 1] ?? end, { allowed }))
    await budget.pace()
  }
  const changes = (await readFlow(ctx, budget, delta, segments, { dim, members })).map((sums) => signedSum(sums, delta))
  // from the last segment back: changes since each start, and the level then
  const levelAt = new Map<number, Map<string, number>>()
  const since = new Map<string, number>()
  for (let i = starts.length - 1; i >= 0; i--) {
    for (const [m, v] of changes[i]!) since.set(m, (since.get(m) ?? 0) + v)
    const out = new Map<string, number>()
    for (const m of new Set([...now.keys(), ...since.keys()])) out.set(m, (now.get(m) ?? 0) - (since.get(m) ?? 0))
    // one figure per member and boundary: a many-membered dimension over many days is bounded here
    budget.spend(out.size)
    levelAt.set(starts[i]!, out)
    await budget.pace()
  }
  return firstDays.map((d) => (d === Infinity ? now : levelAt.get(d)!))
}

/**
 * closing stock, and turnover / days on hand / DSO / DPO over `period`: read levels, their
 * changes by day and the flow they are set against. Days figures (`result: 'days'`) read the
 * complete business days the period touches: today, not yet over, is left out, so a morning's
 * flow is never stretched over a whole day.
 */
export async function runStockPeriod(ctx: QueryContext, q: Query, period: Period, at: number, budget: QueryBudget): Promise<QueryFigures> {
  const cal = ctx.cal
  const f = FORMULAS[q.metric]
  if (f.kind !== 'closing' && f.kind !== 'turnover') throw new Error('not a stock period metric')
  const plan = filterPlan(ctx, q)
  if (plan.keep) throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${q.metric} by sku cannot be filtered by category; filter on sku`)
  const flowAllowed = (from: number) => (f.kind === 'turnover' ? allowedForCodes(ctx, q.metric, f.flow, plan.dim, from, at) : [])
  const balance: LevelTerms = f.kind === 'closing' ? [[f.level, 1]] : f.balance
  const changes: Terms = f.kind === 'closing' ? [[f.delta, 1]] : f.changes
  const kept = LEVELS[balance[0]![0]].dims.filter((d) => d !== 'all')
  if (!(kept as readonly string[]).includes(plan.dim) && plan.dim !== 'all') {
    throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${q.metric} is kept by ${kept.join(', ')}, not ${plan.dim}`)
  }
  if (q.interval && q.interval !== 'day' && q.interval !== 'month') {
    throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${q.metric} is computed from end-of-day figures: use interval day or month`)
  }
  const cost = stockPeriodCost(cal, {
    kind: f.kind,
    period,
    at,
    interval: q.interval,
    deltaAllowed: deltaResolutions(changes, plan.dim),
    changeTerms: changes.length,
    cogsAllowed: f.kind === 'turnover' ? flowAllowed(period.from) : [],
    members: plan.members?.length ?? 1,
    grouped: q.groupBy !== undefined,
    previous: q.compare === 'previous' ? previousPeriod(period, q.window, cal) : undefined,
  })
  assertCost(cost, ctx.limits.maxCost)
  const completeDays = f.kind === 'turnover' && f.result === 'days'
  const today = cal.startOf('day', at)
  // turnover: the period up to now; days figures: the complete days it touches
  let start = completeDays ? cal.startOf('day', period.from) : period.from
  const end = completeDays ? Math.max(start, Math.min(cal.nextStart('day', period.to - 1), today)) : Math.min(period.to, at)
  // a period within today (`today`, `PT1H`) has no complete day yet: it reads the latest one, yesterday
  if (completeDays && end <= start && period.to > today) start = cal.startOf('day', today - 1)
  const points = q.interval ? await collect(budget, bucketsIn(cal, q.interval, period.from, period.to)) : [{ start: period.from, end: period.to }]
  const figures: QueryFigures = { total: 0 }

  // one figure per member for the whole period and for each point
  let wholeValues: Map<string, number | null>
  let pointValues: Map<string, number | null>[]
  if (f.kind === 'closing') {
    const closings = await closingAt(ctx, budget, balance, changes, plan.dim, plan.members, [period.to, ...points.map((p) => Math.min(p.end, period.to))], at)
    // kept in integer units until output, so totals over members are exact
    wholeValues = closings[0]!
    pointValues = closings.slice(1)
  } else {
    // end of each day of the period (today: now)
    const days = await collect(budget, bucketsIn(cal, 'day', start, end))
    const closings = await closingAt(
      ctx,
      budget,
      balance,
      changes,
      plan.dim,
      plan.members,
      days.map((d) => Math.min(d.end, end)),
      at,
    )
    // the days are consecutive: those a span covers start at the first one ending after it starts
    const firstEndingAfter = (t: number) => {
      let lo = 0
      let hi = days.length
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if (days[mid]!.end > t) hi = mid
        else lo = mid + 1
      }
      return lo
    }
    const span = (from: number, to: number) => {
      const idx: number[] = []
      for (let k = firstEndingAfter(from); k < days.length && days[k]!.start < to; k++) idx.push(k)
      const tiles = from < Math.min(to, end) ? tilePeriod(cal, from, Math.min(to, end), { allowed: flowAllowed(from), openEnd: to >= at }) : []
      return { idx, tiles }
    }
    const spans = [span(start, period.to)]
    for (const p of points) {
      spans.push(span(Math.max(p.start, start), Math.min(p.end, period.to)))
      await budget.pace()
    }
    const cogs = (
      await readFlow(
        ctx,
        budget,
        f.flow,
        spans.map((sp) => sp.tiles),
        plan,
      )
    ).map((sums) => [signedSum(sums, f.flow)])
    // turnover = flow / average balance; days = average balance / flow per complete day
    const ratio = (avg: number, flow: number, days: number): number | null =>
      f.result === 'turnover' ? (avg > 0 ? flow / avg : null) : flow > 0 && days > 0 ? (avg * days) / flow : null
    const compute = (k: number) => {
      const sp = spans[k]!
      const c = cogs[k]![0]!
      const out = new Map<string, number | null>()
      const keys = new Set<string>([...c.keys()])
      for (const i of sp.idx) for (const m of closings[i]!.keys()) keys.add(m)
      for (const m of keys) {
        const avg = sp.idx.length ? sp.idx.reduce((t, i) => t + (closings[i]!.get(m) ?? 0), 0) / sp.idx.length : 0
        const cg = c.get(m) ?? 0
        out.set(m, ratio(avg, cg, sp.idx.length))
      }
      return out
    }
    wholeValues = compute(0)
    pointValues = []
    for (let k = 1; k < spans.length; k++) {
      await budget.pace()
      pointValues.push(compute(k))
    }
    if (!q.groupBy && plan.dim !== 'all') {
      // several members of one dimension: a ratio of sums, not a sum of ratios
      const merge = (k: number) => {
        const sp = spans[k]!
        let cg = 0
        for (const v of cogs[k]![0]!.values()) cg += v
        const avg = sp.idx.length ? sp.idx.reduce((t, i) => t + [...closings[i]!.values()].reduce((a, b) => a + b, 0), 0) / sp.idx.length : 0
        return new Map([[ALL_FIELD, ratio(avg, cg, sp.idx.length)]])
      }
      wholeValues = merge(0)
      pointValues = points.map((_, k) => merge(k + 1))
    }
  }
  const isSum = f.kind === 'closing'
  const out = (v: number | null): number | null => (v !== null && f.kind === 'closing' ? scaleOut(f.scale, v) : v)
  // a closing level with nothing ever in stock is 0; a turnover without stock or COGS is null
  const pick = (m: Map<string, number | null>): number | null => out(plan.dim === 'all' || (!q.groupBy && !isSum) ? (m.get(ALL_FIELD) ?? (isSum ? 0 : null)) : sumMap(m))
  if (q.groupBy) {
    // a member whose level at the end is 0 may still have had stock within the period
    let keys = [...new Set([wholeValues, ...pointValues].flatMap((m) => [...m.keys()]))].sort(
      (a, b) => (wholeValues.get(b) ?? -Infinity) - (wholeValues.get(a) ?? -Infinity) || (a < b ? -1 : 1),
    )
    if (q.top) keys = keys.slice(0, q.top)
    assertAnswerSize(keys.length, q.interval ? points.length : 0)
    // formatted once, not once per group
    const starts = points.map((p) => cal.format(p.start))
    figures.groups = keys.map((key) => {
      const g = named(ctx, q.groupBy!, { key, total: out(wholeValues.get(key) ?? (isSum ? 0 : null)) })
      if (q.interval) g.series = points.map((_, k) => ({ start: starts[k]!, value: out(pointValues[k]!.get(key) ?? (isSum ? 0 : null)) }))
      return g
    })
    if (isSum) figures.total = out(sumMap(wholeValues))
    else {
      // the same period ungrouped: a ratio of sums over every member
      const whole = await runStockPeriod(ctx, { ...q, groupBy: undefined, top: undefined, interval: undefined, compare: undefined }, period, at, budget)
      figures.total = whole.total
    }
  } else {
    figures.total = pick(wholeValues)
    if (q.interval) figures.series = points.map((p, k) => ({ start: cal.format(p.start), value: pick(pointValues[k]!) }))
  }
  if (q.compare === 'previous') {
    // the same figure over the previous period of equal length, as its own query would give it
    const prev = previousPeriod(period, q.window, cal)
    const range = { from: cal.format(prev.from), to: cal.format(prev.to) }
    const before: Query = { metric: q.metric, ...(q.filter ? { filter: q.filter } : {}), ...range }
    const { total } = await runStockPeriod(ctx, before, resolvePeriod(before, cal, at), at, budget)
    figures.previous = { ...range, total }
  }
  return figures
}
