/**
 * The query engine: one query object (design §3) → one result, read from counters with
 * pipelined round trips. Cost depends on the number of buckets the period tiles into (months,
 * days, hours, minutes), never on the number of movements behind them; it is estimated from the
 * request and bounded before anything is read, and a query runs under a time limit
 * (server/query/cost.ts).
 */
import { Compile } from 'typebox/compile'
import type { Redis } from 'ioredis'
import { METRICS, PERIOD_KINDS, parseRoute } from '../../protocol/metrics.ts'
import type { Dimension, Interval } from '../../protocol/metrics.ts'
import { Query, queryKey } from '../../protocol/query.ts'
import { schemaErrorMessage } from '../../protocol/codes.ts'
import type { AlertRow, GroupResult, QueryResult, SeriesPoint } from '../../protocol/query.ts'
import { COUNTERS, DIM_RESOLUTIONS, LEVELS, STOCK_LEVEL_DIMS, UNSPECIFIED } from '../aggregate/counters.ts'
import type { CounterCode, LevelCode, Scale } from '../aggregate/counters.ts'
import { moneyOut, qtyOut } from '../domain/money.ts'
import { bucketsIn, countBuckets, tilePeriod, tilesOf } from '../domain/time.ts'
import type { BusinessCalendar, Tile } from '../domain/time.ts'
import { CockpitError } from '../errors.ts'
import type { Keys, Resolution } from '../redis/keys.ts'
import { ALL_FIELD, RESOLUTIONS } from '../redis/keys.ts'
import type { MasterLookup, MemberNames } from '../domain/master-lookup.ts'
import { FORMULAS, countersOf } from './formulas.ts'
import { assertAnswerSize, assertCost, assertPoints, readCost, runWithinLimits, stockPeriodCost } from './cost.ts'
import type { PeriodRead, QueryBudget, QueryLimits } from './cost.ts'
import type { Terms } from './formulas.ts'
import { previousPeriod, resolvePeriod } from './period.ts'
import { recentRows } from './recent.ts'
import type { Period } from './period.ts'

export interface QueryEngine {
  /** validates unknown input against the Query schema; throws COCKPIT_ERR_INVALID_QUERY */
  parse(input: unknown): Query
  /**
   * computes the current result, under the cost and time limits (server/query/cost.ts): throws
   * COCKPIT_ERR_QUERY_TOO_COSTLY (400) before reading when the query would cost too much, and
   * COCKPIT_ERR_QUERY_TIMEOUT (408) when it runs longer than `limits.timeoutMs`
   */
  run(query: Query): Promise<QueryResult>
  /** stable key: identical queries (any key order) give the same key */
  key(query: Query): string
}

export interface QueryEngineOptions {
  redis: Redis
  keys: Keys
  calendar: BusinessCalendar
  masterData: MasterLookup
  currency: string
  retention: Record<Resolution, number>
  /** cost and time limits of one query @default 200,000 fields, 5,000 ms (config.security) */
  limits?: QueryLimits
  now?: () => number
}

const queryValidator = Compile(Query)
const DEFAULT_LIMITS: QueryLimits = { maxCost: 200_000, timeoutMs: 5_000 }
/**
 * Commands sent to Redis in one round trip: between round trips the event loop serves others and
 * a query's budget and time limit are checked, and replies never pile up in memory.
 */
const READ_CHUNK = 500
/** Rows a list metric returns at most unless `top` says otherwise. */
const DEFAULT_ROWS = 200
/** Rows `movements.recent` returns unless `top` says otherwise. */
const DEFAULT_RECENT_ROWS = 50
/** A pair counts as active for the stock-out rate when it moved within this many days (domain.md). */
const ACTIVE_DAYS = 90

function scaleOut(scale: Scale, units: number): number {
  if (scale === 'money') return moneyOut(units)
  if (scale === 'qty') return qtyOut(units)
  return units
}

interface Accumulator {
  /** member → summed units per term index */
  add(member: string, term: number, units: number): void
}

type Filter = Partial<Record<Dimension, string[]>>

/** How a query's filter is read: counters of `dim`, only `members` (or all), only members `keep` accepts. */
interface Plan {
  dim: Dimension | 'all'
  members: string[] | undefined
  keep?: (member: string) => boolean
}

function normalizeFilter(filter: Query['filter']): Filter {
  const out: Filter = {}
  for (const [dim, v] of Object.entries(filter ?? {})) {
    if (v !== undefined) out[dim as Dimension] = Array.isArray(v) ? v : [v]
  }
  return out
}

/** every item of a walk over the calendar (tiles, buckets), letting others in every few ms of a long one */
async function collect<T>(budget: QueryBudget, items: Iterable<T>): Promise<T[]> {
  const out: T[] = []
  for (const item of items) {
    if (out.push(item) % 64 === 0) await budget.pace()
  }
  return out
}

export function createQueryEngine(o: QueryEngineOptions): QueryEngine {
  const now = o.now ?? Date.now
  const cal = o.calendar
  const limits = o.limits ?? DEFAULT_LIMITS

  function parse(input: unknown): Query {
    if (!queryValidator.Check(input)) {
      const errors = queryValidator
        .Errors(input)
        .filter((e) => e.keyword !== 'boolean')
        .map((e) => ({ path: e.instancePath || '/', message: schemaErrorMessage(e) }))
      throw new CockpitError('COCKPIT_ERR_INVALID_QUERY', `invalid query: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors)
    }
    return input
  }

  /**
   * `FROM→TO` → "From name → To name" when master data names either warehouse; in English from
   * their `nameEn` (else `name`, else the code) when either has one
   */
  function routeNames(key: string): MemberNames | undefined {
    const route = parseRoute(key)
    if (!route) return undefined
    const from = o.masterData.names('warehouse', route.from)
    const to = o.masterData.names('warehouse', route.to)
    if (from === undefined && to === undefined) return undefined
    const name = `${from?.name ?? route.from} → ${to?.name ?? route.to}`
    if (from?.nameEn === undefined && to?.nameEn === undefined) return { name }
    return { name, nameEn: `${from?.nameEn ?? from?.name ?? route.from} → ${to?.nameEn ?? to?.name ?? route.to}` }
  }

  /** a group with its display names from master data (`label`, and `labelEn` when there is an English name) */
  function named(dim: Dimension, g: GroupResult): GroupResult {
    const n = dim === 'route' ? routeNames(g.key) : o.masterData.names(dim, g.key)
    if (n !== undefined) {
      g.label = n.name
      if (n.nameEn !== undefined) g.labelEn = n.nameEn
    }
    return g
  }

  /**
   * Resolutions that hold the data a metric needs by a dimension for a period starting at
   * `from`: kept for that dimension (DIM_RESOLUTIONS), by every counter read, and not yet
   * past retention.
   */
  function allowedFor(metric: Query['metric'], dim: Dimension | 'all', from: number, at: number): Resolution[] {
    const codes = countersOf(metric).filter((c): c is CounterCode => Object.hasOwn(COUNTERS, c))
    for (const code of codes) {
      if (!(COUNTERS[code].dims as readonly string[]).includes(dim)) {
        throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${metric} is not kept by ${dim}`)
      }
    }
    const allowed = RESOLUTIONS.filter((res) => {
      const keep = o.retention[res]
      return (
        DIM_RESOLUTIONS[dim].includes(res) &&
        codes.every((c) => (COUNTERS[c].res as readonly Resolution[]).includes(res)) &&
        (keep === 0 || from >= at - keep * 1000)
      )
    })
    if (allowed.length === 0) throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `no figures of ${metric} by ${dim} are kept for a period starting then`)
    return allowed
  }

  /**
   * reads Σ terms over tiles; `dim` all → field `_`; with members → those fields; else every member.
   * Sent in chunks of READ_CHUNK commands, each reply folded in (and counted against the budget)
   * as it arrives.
   */
  async function readFlow(budget: QueryBudget, terms: Terms, tileSets: Tile[][], dim: Dimension | 'all', members: string[] | undefined, keep?: (member: string) => boolean): Promise<Map<string, number>[][]> {
    // per tile set (series point), per term: member → units
    const sums = tileSets.map(() => terms.map(() => new Map<string, number>()))
    let pipe = o.redis.pipeline()
    let into: Map<string, number>[] = []
    const flush = async () => {
      budget.check()
      const replies = (await pipe.exec()) ?? []
      budget.check()
      for (let i = 0; i < into.length; i++) {
        if (i % 64 === 0) await budget.pace()
        const [err, value] = replies[i] ?? [new Error('missing reply'), null]
        if (err) throw err
        const sum = into[i]!
        if (dim === 'all') {
          budget.spend(1)
          if (value !== null) sum.set(ALL_FIELD, (sum.get(ALL_FIELD) ?? 0) + Number(value))
        } else if (members) {
          budget.spend(members.length)
          ;(value as (string | null)[]).forEach((v, k) => {
            if (v !== null) sum.set(members[k]!, (sum.get(members[k]!) ?? 0) + Number(v))
          })
        } else {
          const fields = Object.entries(value as Record<string, string>)
          budget.spend(Math.max(1, fields.length))
          for (const [m, v] of fields) if (!keep || keep(m)) sum.set(m, (sum.get(m) ?? 0) + Number(v))
        }
      }
      pipe = o.redis.pipeline()
      into = []
    }
    for (let s = 0; s < tileSets.length; s++) {
      for (const tile of tileSets[s]!) {
        for (let j = 0; j < terms.length; j++) {
          const key = o.keys.counter(tile.res, tile.bucket, terms[j]![0], dim)
          if (dim === 'all') pipe.hget(key, ALL_FIELD)
          else if (members) pipe.hmget(key, ...members)
          else pipe.hgetall(key)
          into.push(sums[s]![j]!)
          if (into.length >= READ_CHUNK) await flush()
        }
      }
    }
    if (into.length > 0) await flush()
    return sums
  }

  function combine(terms: Terms, sums: Map<string, number>[], member: string): number {
    let total = 0
    terms.forEach(([, sign], j) => {
      total += sign * (sums[j]!.get(member) ?? 0)
    })
    return total
  }

  function membersOf(sums: Map<string, number>[]): Set<string> {
    const out = new Set<string>()
    for (const s of sums) for (const m of s.keys()) out.add(m)
    return out
  }

  /**
   * one figure per member (or `_`) for each tile set, from a flow or ratio formula. Flows stay in
   * integer units (money 1e-4, qty 1e-3) so that totals over members are exact sums; the caller
   * scales them for output once (`outputOf`).
   */
  async function evaluate(budget: QueryBudget, metric: Query['metric'], tileSets: Tile[][], dim: Dimension | 'all', members: string[] | undefined, keep?: (member: string) => boolean) {
    const f = FORMULAS[metric]
    if (f.kind === 'flow') {
      const sums = await readFlow(budget, f.terms, tileSets, dim, members, keep)
      return sums.map((s) => {
        const out = new Map<string, number | null>()
        for (const m of membersOf(s)) out.set(m, combine(f.terms, s, m))
        return out
      })
    }
    if (f.kind === 'ratio') {
      const all = [...f.num, ...f.den]
      const sums = await readFlow(budget, all, tileSets, dim, members, keep)
      return sums.map((s) => {
        const num = s.slice(0, f.num.length)
        const den = s.slice(f.num.length)
        const out = new Map<string, number | null>()
        for (const m of membersOf(s)) {
          const d = combine(f.den, den, m)
          const r = d === 0 ? null : combine(f.num, num, m) / d
          out.set(m, r !== null && f.complement ? 1 - r : r)
        }
        return out
      })
    }
    throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${metric} is not a flow metric`)
  }

  function filterPlan(q: Query): Plan {
    const filter = normalizeFilter(q.filter)
    const dims = Object.keys(filter) as Dimension[]
    if (dims.length > 1) throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', 'flow metrics can be filtered by one dimension at a time')
    const fdim = dims[0]
    if (q.groupBy === 'sku' && fdim === 'category') {
      // drill from a category to its SKUs: SKU counters, kept for SKUs whose master-data category matches
      const categories = new Set(filter.category)
      return { dim: 'sku', members: undefined, keep: (sku) => categories.has(o.masterData.sku(sku)?.category ?? '-') }
    }
    if (q.groupBy) {
      if (fdim && fdim !== q.groupBy) {
        throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `a filter on ${fdim} cannot be combined with groupBy ${q.groupBy}; filter on the grouped dimension`)
      }
      return { dim: q.groupBy, members: fdim ? filter[fdim] : undefined }
    }
    return fdim ? { dim: fdim, members: filter[fdim] } : { dim: 'all', members: undefined }
  }

  const sumMap = (m: Map<string, number | null> | undefined): number | null => {
    if (!m) return 0
    let total = 0
    for (const v of m.values()) {
      if (v === null) return null
      total += v
    }
    return total
  }

  /** a flow's integer units → its output number; ratios pass through */
  function outputOf(metric: Query['metric']): (v: number | null) => number | null {
    const f = FORMULAS[metric]
    if (f.kind !== 'flow') return (v) => v
    return (v) => (v === null ? null : scaleOut(f.scale, v))
  }

  /**
   * Counter fields runFlow will read, estimated from the request (server/query/cost.ts): the
   * period's total, the series, a ratio's totals read again as ratios of sums, the previous period.
   */
  function flowCost(q: Query, period: Period, plan: Plan, allowed: Resolution[], at: number): number {
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
      reads.push({ period, allowed: allowedFor(q.metric, 'all', period.from, at), terms, members: 1 })
      if (plan.members || plan.keep) reads.push(reads[0]!)
    } else if (isRatio && plan.members) {
      // filtered ratio: the total and every point read again as ratios of sums
      reads.push(...reads.slice())
    }
    if (q.compare === 'previous') {
      const prev = previousPeriod(period, q.window, cal)
      reads.push({ period: prev, allowed: allowedFor(q.metric, plan.dim, prev.from, at), terms, members })
    }
    return reads.reduce((cost, r) => cost + readCost(cal, r), 0)
  }

  async function runFlow(q: Query, at: number, budget: QueryBudget): Promise<QueryResult> {
    const info = METRICS[q.metric]
    const out = outputOf(q.metric)
    const period = resolvePeriod(q, cal, at)
    const plan = filterPlan(q)
    const allowed = allowedFor(q.metric, plan.dim, period.from, at)
    assertCost(flowCost(q, period, plan, allowed, at), limits.maxCost)
    // a rolling window ends now: nothing lies after it, so its last bucket can be read whole
    const openEnd = period.to >= at
    const isRatio = info.kind === 'ratio'
    const result: QueryResult = {
      metric: q.metric,
      unit: info.unit,
      currency: o.currency,
      from: cal.format(period.from),
      to: cal.format(period.to),
      total: 0,
      asOf: cal.format(at),
    }
    if (q.interval) result.interval = q.interval
    if (q.groupBy) result.groupBy = q.groupBy

    // a ratio over several members (filter with many values) must divide sums, not add ratios:
    // so totals of filtered ratios are read as their own tile set below
    const whole: Tile[] = await collect(budget, tilesOf(cal, period.from, period.to, { allowed, openEnd }))
    const points = q.interval ? await seriesPoints(budget, q.interval, period, allowed, openEnd) : []
    // report the period really covered (ends widen to the finest bucket kept)
    result.from = cal.format(whole[0]?.start ?? period.from)
    const tileSets = [whole, ...points.map((p) => p.tiles)]
    const values = await evaluate(budget, q.metric, tileSets, plan.dim, plan.members, plan.keep)
    const totals = values[0]!

    if (q.groupBy) {
      // a member whose period total is 0 may still move within it: its series keeps it a group
      let keys = [...new Set(values.flatMap((m) => [...m.keys()]))]
      const byTotal = (k: string) => totals.get(k) ?? (isRatio ? null : 0)
      keys.sort((a, b) => (byTotal(b) ?? -Infinity) - (byTotal(a) ?? -Infinity) || (a < b ? -1 : 1))
      if (q.top) keys = keys.slice(0, q.top)
      assertAnswerSize(keys.length, points.length)
      result.groups = keys.map((key): GroupResult => {
        const g = named(q.groupBy!, { key, total: out(byTotal(key)) })
        if (q.interval) g.series = points.map((p, i) => ({ start: p.start, value: out(values[i + 1]!.get(key) ?? (isRatio ? null : 0)) }))
        return g
      })
      if (isRatio) {
        const allTiles = await collect(budget, tilesOf(cal, period.from, period.to, { allowed: allowedFor(q.metric, 'all', period.from, at), openEnd }))
        const all = await evaluate(budget, q.metric, [allTiles], 'all', undefined)
        result.total = plan.members || plan.keep ? await filteredRatio(budget, q, whole, plan) : (all[0]!.get(ALL_FIELD) ?? null)
      } else {
        result.total = out(sumMap(totals))
      }
    } else {
      const pick = (m: Map<string, number | null>): number | null => out(plan.dim === 'all' ? (m.get(ALL_FIELD) ?? (isRatio ? null : 0)) : sumMap(m))
      result.total = isRatio && plan.members ? await filteredRatio(budget, q, whole, plan) : pick(totals)
      if (q.interval) {
        result.series = await Promise.all(
          points.map(async (p, i): Promise<SeriesPoint> => ({
            start: p.start,
            value: isRatio && plan.members ? await filteredRatio(budget, q, p.tiles, plan) : pick(values[i + 1]!),
          })),
        )
      }
    }
    if (q.compare === 'previous') {
      const prev = previousPeriod(period, q.window, cal)
      const prevTiles = await collect(budget, tilesOf(cal, prev.from, prev.to, { allowed: allowedFor(q.metric, plan.dim, prev.from, at) }))
      const pv = plan.dim === 'all' || !isRatio ? (await evaluate(budget, q.metric, [prevTiles], plan.dim, plan.members, plan.keep))[0]! : undefined
      const prevTotal = pv === undefined ? await filteredRatio(budget, q, prevTiles, plan) : out(plan.dim === 'all' ? (pv.get(ALL_FIELD) ?? (isRatio ? null : 0)) : sumMap(pv))
      result.previous = { from: cal.format(prev.from), to: cal.format(prev.to), total: prevTotal }
    }
    return result
  }

  /** ratio of sums over several members of one dimension */
  async function filteredRatio(budget: QueryBudget, q: Query, tiles: Tile[], plan: Plan): Promise<number | null> {
    const f = FORMULAS[q.metric]
    if (f.kind !== 'ratio') return null
    const sums = (await readFlow(budget, [...f.num, ...f.den], [tiles], plan.dim, plan.members, plan.keep))[0]!
    let num = 0
    let den = 0
    for (const m of membersOf(sums)) {
      num += combine(f.num, sums.slice(0, f.num.length), m)
      den += combine(f.den, sums.slice(f.num.length), m)
    }
    if (den === 0) return null
    return f.complement ? 1 - num / den : num / den
  }

  async function seriesPoints(budget: QueryBudget, interval: Interval, period: Period, allowed: Resolution[], openEnd: boolean) {
    if (RESOLUTIONS.indexOf(interval) < RESOLUTIONS.indexOf(allowed[0]!)) {
      throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `this metric and dimension are kept by ${allowed[0]} at the finest; use interval ${allowed[0]} or coarser`)
    }
    // counted before the buckets are built (runFlow's cost check did so already; kept next to the build)
    assertPoints(interval, countBuckets(cal, interval, period.from, period.to))
    // a point never reads buckets coarser than itself
    const within = allowed.filter((r) => RESOLUTIONS.indexOf(r) <= RESOLUTIONS.indexOf(interval))
    const points: { start: string; tiles: Tile[] }[] = []
    for (const b of bucketsIn(cal, interval, period.from, period.to)) {
      points.push({
        start: cal.format(b.start),
        tiles: tilePeriod(cal, Math.max(b.start, period.from), Math.min(b.end, period.to), { allowed: within, openEnd: openEnd && b.end >= period.to }),
      })
      await budget.pace()
    }
    return points
  }

  async function runLevel(q: Query, at: number): Promise<QueryResult> {
    const f = FORMULAS[q.metric]
    if (f.kind !== 'level') throw new Error('not a level metric')
    const info = METRICS[q.metric]
    const filter = normalizeFilter(q.filter)
    const fdims = Object.keys(filter) as Dimension[]
    const result: QueryResult = { metric: q.metric, unit: info.unit, currency: o.currency, total: 0, asOf: cal.format(at) }
    if (q.groupBy) result.groupBy = q.groupBy
    const out = (units: number) => scaleOut(f.scale, units)
    const levelDims = LEVELS[f.level].dims as readonly string[]
    for (const d of [q.groupBy, ...fdims]) {
      if (d && !levelDims.includes(d)) {
        throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${q.metric} is kept by ${levelDims.filter((x) => x !== 'all').join(', ')}, not ${d}`)
      }
    }
    let members: Map<string, number>
    // stock on hand by two dimensions at once (category × warehouse for a heat map, SKUs of a region…) is
    // summed from the sku|warehouse levels, a SKU's category and a warehouse's region from master data
    const PAIR_DIMS: readonly Dimension[] = ['sku', 'category', 'warehouse', 'region']
    const pairOnly = (f.level === 'q' || f.level === 'v') && fdims.length > 0 && fdims.every((d) => PAIR_DIMS.includes(d)) && (!q.groupBy || PAIR_DIMS.includes(q.groupBy))
    const sameDim = fdims.length === 1 && fdims[0] === q.groupBy
    if (fdims.length === 0 || sameDim) {
      const dim = q.groupBy ?? 'all'
      const raw = await o.redis.hgetall(o.keys.level(f.level, dim))
      members = new Map(Object.entries(raw).map(([k, v]) => [k, Number(v)]))
      if (sameDim) for (const k of [...members.keys()]) if (!filter[fdims[0]!]!.includes(k)) members.delete(k)
    } else if (pairOnly) {
      const raw = await o.redis.hgetall(o.keys.level(f.level, 'pair'))
      members = new Map()
      const of: Record<string, string> = {}
      for (const [pair, v] of Object.entries(raw)) {
        const [sku, wh] = pair.split('|') as [string, string]
        of.sku = sku
        of.warehouse = wh
        of.category = o.masterData.sku(sku)?.category ?? UNSPECIFIED
        of.region = o.masterData.warehouse(wh)?.region ?? UNSPECIFIED
        if (fdims.some((d) => !filter[d]!.includes(of[d]!))) continue
        const key = q.groupBy ? of[q.groupBy]! : ALL_FIELD
        members.set(key, (members.get(key) ?? 0) + Number(v))
      }
    } else {
      throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', 'stock levels can be grouped and filtered by sku, category, warehouse and region')
    }
    let total = 0
    for (const v of members.values()) total += v
    result.total = out(total)
    if (q.groupBy) {
      let keys = [...members.keys()].sort((a, b) => members.get(b)! - members.get(a)! || (a < b ? -1 : 1))
      if (q.top) keys = keys.slice(0, q.top)
      result.groups = keys.map((key) => named(q.groupBy!, { key, total: out(members.get(key)!) }))
    }
    return result
  }

  async function runBelowSafety(q: Query, at: number): Promise<QueryResult> {
    const filter = normalizeFilter(q.filter)
    // rows of sku × warehouse: they can be narrowed, not grouped, and only by what a pair has
    if (q.groupBy) throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${q.metric} lists sku × warehouse rows: filter it, it cannot be grouped`)
    for (const d of Object.keys(filter)) {
      if (!['sku', 'warehouse', 'category', 'region'].includes(d)) throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${q.metric} can be filtered by sku, warehouse, category and region, not ${d}`)
    }
    // a filter the rows cannot honour must be refused, not ignored (scoped tokens rely on it)
    for (const d of Object.keys(filter)) {
      if (d === 'partner' || d === 'channel') throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `stock alerts can be filtered by sku, warehouse, category and region, not ${d}`)
    }
    const raw = await o.redis.hgetall(o.keys.level('q', 'pair'))
    const rows: AlertRow[] = []
    for (const [pair, v] of Object.entries(raw)) {
      const [sku, warehouse] = pair.split('|') as [string, string]
      const master = o.masterData.sku(sku)
      const safety = master?.safetyStock
      if (safety === undefined || safety <= 0) continue
      const qty = qtyOut(Number(v))
      if (qty >= safety) continue
      if (o.masterData.warehouse(warehouse)?.virtual) continue
      if (filter.sku && !filter.sku.includes(sku)) continue
      if (filter.warehouse && !filter.warehouse.includes(warehouse)) continue
      if (filter.category && !filter.category.includes(master?.category ?? '')) continue
      const wh = o.masterData.warehouse(warehouse)
      if (filter.region && !filter.region.includes(wh?.region ?? '')) continue
      const row: AlertRow = { sku, warehouse, qty, safetyStock: safety, coverage: Math.max(0, qty) / safety }
      if (master?.name) row.skuName = master.name
      if (master?.nameEn) row.skuNameEn = master.nameEn
      if (wh?.name) row.warehouseName = wh.name
      if (wh?.nameEn) row.warehouseNameEn = wh.nameEn
      if (master?.category) {
        row.category = master.category
        const cat = o.masterData.names('category', master.category)
        if (cat) row.categoryName = cat.name
        if (cat?.nameEn !== undefined) row.categoryNameEn = cat.nameEn
      }
      rows.push(row)
    }
    rows.sort((a, b) => a.coverage - b.coverage || a.qty - b.qty || (a.sku < b.sku ? -1 : 1))
    return {
      metric: q.metric,
      unit: 'count',
      currency: o.currency,
      total: rows.length,
      rows: rows.slice(0, q.top ?? DEFAULT_ROWS),
      asOf: cal.format(at),
    }
  }

  async function runRecent(q: Query, at: number): Promise<QueryResult> {
    if (q.groupBy) throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${q.metric} lists movements: filter it, it cannot be grouped`)
    const filter = normalizeFilter(q.filter)
    const limit = q.top ?? DEFAULT_RECENT_ROWS
    // unfiltered, the newest `limit` entries are the answer (a cancel is always newer than its target)
    const unfiltered = Object.keys(filter).length === 0 && !q.types
    const replies = await o.redis.multi().lrange(o.keys.recent, 0, unfiltered ? limit - 1 : -1).llen(o.keys.recent).exec()
    const failed = replies?.find(([err]) => err)?.[0]
    if (!replies || failed) throw failed ?? new Error('reading the latest movements was aborted')
    const entries = replies[0]![1] as string[]
    const kept = replies[1]![1] as number
    const { rows, matched } = recentRows(entries, filter, q.types, limit, { format: (ms) => cal.format(ms), names: (dim, code) => o.masterData.names(dim, code) })
    // total: how many of the kept movements match (all of them when unfiltered)
    return { metric: q.metric, unit: 'count', currency: o.currency, total: unfiltered ? kept : matched, movements: rows, asOf: cal.format(at) }
  }

  /** members of a stock-level hash: all (`_`), every member of a dimension, or some members */
  async function readLevel(code: LevelCode, dim: Dimension | 'all', members: string[] | undefined): Promise<Map<string, number>> {
    const key = o.keys.level(code, dim)
    if (dim === 'all') {
      const v = await o.redis.hget(key, ALL_FIELD)
      return new Map(v === null ? [] : [[ALL_FIELD, Number(v)]])
    }
    if (members) {
      const values = await o.redis.hmget(key, ...members)
      return new Map(members.flatMap((m, i) => (values[i] === null ? [] : [[m, Number(values[i])] as [string, number]])))
    }
    return new Map(Object.entries(await o.redis.hgetall(key)).map(([k, v]) => [k, Number(v)]))
  }

  /** resolutions a stock change counter (`sq`/`sv`: day and month) is kept at for a dimension */
  function deltaResolutions(delta: 'sq' | 'sv', dim: Dimension | 'all'): Resolution[] {
    return RESOLUTIONS.filter((res) => DIM_RESOLUTIONS[dim].includes(res) && (COUNTERS[delta].res as readonly Resolution[]).includes(res))
  }

  /**
   * Stock level (units) at each boundary, per member: level now − changes dated at or after
   * the boundary (buckets of `delta`, up to tomorrow for movements dated slightly ahead).
   * Boundaries are taken at day starts: closing values are end-of-day figures. The changes are
   * read once per segment between consecutive boundaries, in whole months where the dimension
   * keeps them: a closing figure of years ago costs months, not a day bucket per day since.
   */
  async function closingAt(budget: QueryBudget, level: 'q' | 'v', delta: 'sq' | 'sv', dim: Dimension | 'all', members: string[] | undefined, boundaries: number[], at: number) {
    const now = await readLevel(level, dim, members)
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
    const changes = (await readFlow(budget, [[delta, 1]], segments, dim, members)).map((sums) => sums[0]!)
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

  /** closing stock and turnover / days on hand: read levels, value changes by day and COGS */
  async function runStockPeriod(q: Query, at: number, budget: QueryBudget): Promise<QueryResult> {
    const f = FORMULAS[q.metric]
    if (f.kind !== 'closing' && f.kind !== 'turnover') throw new Error('not a stock period metric')
    const info = METRICS[q.metric]
    const period = resolvePeriod(q, cal, at)
    const plan = filterPlan(q)
    if (plan.keep) throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${q.metric} by sku cannot be filtered by category; filter on sku`)
    if (!(STOCK_LEVEL_DIMS as readonly string[]).includes(plan.dim)) {
      throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `stock figures are kept by sku, category, warehouse and region, not ${plan.dim}`)
    }
    if (q.interval && q.interval !== 'day' && q.interval !== 'month') {
      throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${q.metric} is computed from end-of-day figures: use interval day or month`)
    }
    const cost = stockPeriodCost(cal, {
      kind: f.kind,
      period,
      at,
      interval: q.interval,
      deltaAllowed: deltaResolutions(f.kind === 'closing' ? f.delta : 'sv', plan.dim),
      cogsAllowed: f.kind === 'turnover' ? allowedFor('sales.cogs', plan.dim, period.from, at) : [],
      members: plan.members?.length ?? 1,
      grouped: q.groupBy !== undefined,
      previous: q.compare === 'previous' ? previousPeriod(period, q.window, cal) : undefined,
    })
    assertCost(cost, limits.maxCost)
    const end = Math.min(period.to, at)
    const points = q.interval ? await collect(budget, bucketsIn(cal, q.interval, period.from, period.to)) : [{ start: period.from, end: period.to }]
    const result: QueryResult = {
      metric: q.metric,
      unit: info.unit,
      currency: o.currency,
      from: cal.format(period.from),
      to: cal.format(period.to),
      total: 0,
      asOf: cal.format(at),
    }
    if (q.interval) result.interval = q.interval
    if (q.groupBy) result.groupBy = q.groupBy

    // one figure per member for the whole period and for each point
    let wholeValues: Map<string, number | null>
    let pointValues: Map<string, number | null>[]
    if (f.kind === 'closing') {
      const closings = await closingAt(budget, f.level, f.delta, plan.dim, plan.members, [period.to, ...points.map((p) => Math.min(p.end, period.to))], at)
      // kept in integer units until output, so totals over members are exact
      wholeValues = closings[0]!
      pointValues = closings.slice(1)
    } else {
      // end of each day of the period (today: now)
      const days = await collect(budget, bucketsIn(cal, 'day', period.from, end))
      const closings = await closingAt(budget, 'v', 'sv', plan.dim, plan.members, days.map((d) => Math.min(d.end, end)), at)
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
        const tiles = tilePeriod(cal, from, Math.min(to, end), { allowed: allowedFor('sales.cogs', plan.dim, from, at), openEnd: to >= at })
        return { idx, tiles, days: Math.max(0, Math.min(to, end) - from) / 86_400_000 }
      }
      const spans = [span(period.from, period.to)]
      for (const p of points) {
        spans.push(span(Math.max(p.start, period.from), Math.min(p.end, period.to)))
        await budget.pace()
      }
      const cogs = await readFlow(budget, [['s.cogs', 1]], spans.map((sp) => sp.tiles), plan.dim, plan.members)
      const compute = (k: number) => {
        const sp = spans[k]!
        const c = cogs[k]![0]!
        const out = new Map<string, number | null>()
        const keys = new Set<string>([...c.keys()])
        for (const i of sp.idx) for (const m of closings[i]!.keys()) keys.add(m)
        for (const m of keys) {
          const avg = sp.idx.length ? sp.idx.reduce((t, i) => t + (closings[i]!.get(m) ?? 0), 0) / sp.idx.length : 0
          const cg = c.get(m) ?? 0
          out.set(m, f.result === 'turnover' ? (avg > 0 ? cg / avg : null) : cg > 0 ? (avg * sp.days) / cg : null)
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
          return new Map([[ALL_FIELD, f.result === 'turnover' ? (avg > 0 ? cg / avg : null) : cg > 0 ? (avg * sp.days) / cg : null]])
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
      let keys = [...new Set([wholeValues, ...pointValues].flatMap((m) => [...m.keys()]))].sort((a, b) => (wholeValues.get(b) ?? -Infinity) - (wholeValues.get(a) ?? -Infinity) || (a < b ? -1 : 1))
      if (q.top) keys = keys.slice(0, q.top)
      assertAnswerSize(keys.length, q.interval ? points.length : 0)
      // formatted once, not once per group
      const starts = points.map((p) => cal.format(p.start))
      result.groups = keys.map((key) => {
        const g = named(q.groupBy!, { key, total: out(wholeValues.get(key) ?? (isSum ? 0 : null)) })
        if (q.interval) g.series = points.map((_, k) => ({ start: starts[k]!, value: out(pointValues[k]!.get(key) ?? (isSum ? 0 : null)) }))
        return g
      })
      if (isSum) result.total = out(sumMap(wholeValues))
      else {
        const whole = await runStockPeriod({ ...q, groupBy: undefined, top: undefined, interval: undefined, compare: undefined }, at, budget)
        result.total = whole.total
      }
    } else {
      result.total = pick(wholeValues)
      if (q.interval) result.series = points.map((p, k) => ({ start: cal.format(p.start), value: pick(pointValues[k]!) }))
    }
    if (q.compare === 'previous') {
      // the same figure over the previous period of equal length, as its own query would give it
      const prev = previousPeriod(period, q.window, cal)
      const range = { from: cal.format(prev.from), to: cal.format(prev.to) }
      const before = await runStockPeriod({ metric: q.metric, ...(q.filter ? { filter: q.filter } : {}), ...range }, at, budget)
      result.previous = { ...range, total: before.total }
    }
    return result
  }

  /** share of active sku × warehouse pairs (moved in the last 90 days) with nothing on hand */
  async function runStockout(q: Query, at: number): Promise<QueryResult> {
    const filter = normalizeFilter(q.filter)
    const dim = q.groupBy
    for (const d of [dim, ...Object.keys(filter)]) {
      if (d && !['sku', 'warehouse', 'category', 'region'].includes(d)) {
        throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `stock-out rate is kept by sku, warehouse, category and region, not ${d}`)
      }
    }
    const [last, qty] = await Promise.all([o.redis.hgetall(o.keys.lastMoved), o.redis.hgetall(o.keys.level('q', 'pair'))])
    const since = at / 1000 - ACTIVE_DAYS * 86_400
    const groups = new Map<string, { active: number; out: number }>()
    const total = { active: 0, out: 0 }
    for (const [pair, t] of Object.entries(last)) {
      if (Number(t) < since) continue
      const [sku, warehouse] = pair.split('|') as [string, string]
      // a virtual warehouse holds nothing by design: its pairs are neither active nor out of stock
      if (o.masterData.warehouse(warehouse)?.virtual) continue
      const member: Record<string, string> = {
        sku,
        warehouse,
        category: o.masterData.sku(sku)?.category ?? '-',
        region: o.masterData.warehouse(warehouse)?.region ?? '-',
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
    const result: QueryResult = {
      metric: q.metric,
      unit: 'ratio',
      currency: o.currency,
      total: total.active === 0 ? null : total.out / total.active,
      asOf: cal.format(at),
    }
    if (dim) {
      result.groupBy = dim
      let list = [...groups].map(([key, g]) => named(dim, { key, total: g.out / g.active }))
      list.sort((a, b) => b.total! - a.total! || (a.key < b.key ? -1 : 1))
      if (q.top) list = list.slice(0, q.top)
      result.groups = list
    }
    return result
  }

  /** one query → its result, read under `budget` (figures "now" read whole hashes: only the time limit applies) */
  async function dispatch(query: Query, budget: QueryBudget): Promise<QueryResult> {
    const at = now()
    const info = METRICS[query.metric]
    const f = FORMULAS[query.metric]
    if (!(PERIOD_KINDS as readonly string[]).includes(info.kind)) {
      if (query.interval || query.window || query.from || query.to || query.compare) {
        throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${query.metric} is a figure "now": period, interval and compare do not apply`)
      }
      if (f.kind === 'stockout') return runStockout(query, at)
      if (query.types && !(f.kind === 'list' && f.list === 'recent')) throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', 'types applies to movements.recent only')
      if (f.kind === 'level') return runLevel(query, at)
      return f.kind === 'list' && f.list === 'recent' ? runRecent(query, at) : runBelowSafety(query, at)
    }
    if (query.top && !query.groupBy) throw new CockpitError('COCKPIT_ERR_INVALID_QUERY', 'top needs groupBy')
    if (query.types) throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', 'types applies to movements.recent only')
    if (f.kind === 'closing' || f.kind === 'turnover') return runStockPeriod(query, at, budget)
    return runFlow(query, at, budget)
  }

  return {
    parse,
    key: queryKey,
    // every query runs under the cost and time limits, whoever asks: HTTP, a socket's subscribe,
    // a room's recomputation, a screen's dry run (all call run)
    run: (query) => runWithinLimits(limits, (budget) => dispatch(query, budget)),
  }
}
