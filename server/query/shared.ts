/**
 * What every kind of query shares: the context it runs in, how a filter becomes the counters to
 * read (scope), which resolutions hold a metric's figures, the pipelined read of counter buckets
 * under the query's budget, and display names from master data.
 */
import type { Redis } from 'ioredis'
import { parseRoute } from '../../protocol/metrics.ts'
import type { Dimension } from '../../protocol/metrics.ts'
import type { GroupResult, Query, QueryResult } from '../../protocol/query.ts'
import { COUNTERS, DIM_RESOLUTIONS } from '../aggregate/counters.ts'
import type { CounterCode, Scale } from '../aggregate/counters.ts'
import type { MasterLookup, MemberNames } from '../domain/master-lookup.ts'
import { moneyOut, qtyOut } from '../domain/money.ts'
import type { MoneyRules } from '../domain/money.ts'
import type { BusinessCalendar, Tile } from '../domain/time.ts'
import { CockpitError } from '../errors.ts'
import type { Keys, Resolution } from '../redis/keys.ts'
import { READ_HASHES_LUA, READ_HASHES_SHA, parseReadHashesReply, readHashesCall } from '../redis/read-hashes.ts'
import { ALL_FIELD, RESOLUTIONS } from '../redis/keys.ts'
import type { QueryBudget, QueryLimits } from './cost.ts'
import { countersOf } from '../aggregate/formulas.ts'
import type { Terms } from '../aggregate/formulas.ts'

/** What a query reads from and under: the engine's options, resolved once. */
export interface QueryContext {
  redis: Redis
  keys: Keys
  cal: BusinessCalendar
  masterData: MasterLookup
  /** how line money is rounded: the movements list shows lines as the counters took them */
  money: MoneyRules
  /** seconds each resolution is kept after its bucket closes; 0 = forever */
  retention: Record<Resolution, number>
  limits: QueryLimits
  /** the time figures are computed at (OTIF of a bucket not yet ended, overdue lines) */
  now: () => number
  /** epoch ms from which year buckets hold every movement (`keys.yearsFrom`; Infinity: not known, years are not read) */
  yearsFrom: () => number
}

/**
 * What one kind of query computes. The engine puts the header every result shares (metric,
 * unit, currency, period, asOf, interval, groupBy) around it; `from` narrows the period's start
 * to what was really covered.
 */
export type QueryFigures = Pick<QueryResult, 'total'> &
  Partial<Pick<QueryResult, 'from' | 'to' | 'series' | 'groups' | 'rows' | 'reorder' | 'movements' | 'previous' | 'ageing' | 'creditAgeing' | 'slowMoving' | 'days'>>

/** A query's filter with every value a list. */
export type Filter = Partial<Record<Dimension, string[]>>

/** How a query's filter is read: counters of `dim`, only `members` (or all), only members `keep` accepts. */
export interface Plan {
  dim: Dimension | 'all'
  members: string[] | undefined
  keep?: (member: string) => boolean
}

/**
 * Commands sent to Redis in one round trip: between round trips the event loop serves others and
 * a query's budget and time limit are checked, and replies never pile up in memory.
 */
const READ_CHUNK = 500

export function scaleOut(scale: Scale, units: number): number {
  if (scale === 'money') return moneyOut(units)
  if (scale === 'qty') return qtyOut(units)
  return units
}

export function normalizeFilter(filter: Query['filter']): Filter {
  const out: Filter = {}
  for (const [dim, v] of Object.entries(filter ?? {})) {
    if (v !== undefined) out[dim as Dimension] = Array.isArray(v) ? v : [v]
  }
  return out
}

/** the counters a flow, ratio or stock-period query reads for its filter and groupBy */
export function filterPlan(ctx: QueryContext, q: Query): Plan {
  const filter = normalizeFilter(q.filter)
  const dims = Object.keys(filter) as Dimension[]
  if (dims.length > 1) throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', 'flow metrics can be filtered by one dimension at a time')
  const fdim = dims[0]
  if (q.groupBy === 'sku' && fdim === 'category') {
    // drill from a category to its SKUs: SKU counters, kept for SKUs whose master-data category matches
    const categories = new Set(filter.category)
    return { dim: 'sku', members: undefined, keep: (sku) => categories.has(ctx.masterData.sku(sku)?.category ?? '-') }
  }
  if (q.groupBy) {
    if (fdim && fdim !== q.groupBy) {
      throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `a filter on ${fdim} cannot be combined with groupBy ${q.groupBy}; filter on the grouped dimension`)
    }
    return { dim: q.groupBy, members: fdim ? filter[fdim] : undefined }
  }
  return fdim ? { dim: fdim, members: filter[fdim] } : { dim: 'all', members: undefined }
}

/** Σ of a member's figures; null when any is null (a ratio without a denominator) */
export function sumMap(m: Map<string, number | null> | undefined): number | null {
  if (!m) return 0
  let total = 0
  for (const v of m.values()) {
    if (v === null) return null
    total += v
  }
  return total
}

/** every item of a walk over the calendar (tiles, buckets), letting others in every few ms of a long one */
export async function collect<T>(budget: QueryBudget, items: Iterable<T>): Promise<T[]> {
  const out: T[] = []
  for (const item of items) {
    if (out.push(item) % 64 === 0) await budget.pace()
  }
  return out
}

/**
 * Resolutions that hold the data a metric needs by a dimension for a period starting at
 * `from`: kept for that dimension (DIM_RESOLUTIONS), by every counter read, not yet past
 * retention — and years only when they hold every movement from `from` on (ctx.yearsFrom).
 */
export function allowedFor(ctx: QueryContext, metric: Query['metric'], dim: Dimension | 'all', from: number, at: number): Resolution[] {
  return allowedForCodes(
    ctx,
    metric,
    countersOf(metric)
      .filter((c): c is CounterCode => Object.hasOwn(COUNTERS, c))
      .map((c) => [c, 1] as const),
    dim,
    from,
    at,
  )
}

/** resolutions at which every counter of `terms` is kept for `dim` over a period starting at `from` (allowedFor of a part of a metric) */
export function allowedForCodes(ctx: QueryContext, metric: Query['metric'], terms: Terms, dim: Dimension | 'all', from: number, at: number): Resolution[] {
  const codes = terms.map(([c]) => c)
  for (const code of codes) {
    if (!(COUNTERS[code].dims as readonly string[]).includes(dim)) {
      throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${metric} is not kept by ${dim}`)
    }
  }
  const allowed = RESOLUTIONS.filter((res) => {
    const keep = ctx.retention[res]
    return (
      DIM_RESOLUTIONS[dim].includes(res) &&
      codes.every((c) => (COUNTERS[c].res as readonly Resolution[]).includes(res)) &&
      (keep === 0 || from >= at - keep * 1000) &&
      (res !== 'year' || from >= ctx.yearsFrom())
    )
  })
  if (allowed.length === 0) throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `no figures of ${metric} by ${dim} are kept for a period starting then`)
  return allowed
}

/**
 * Most fields one read-hashes.lua call may read (Σ of the hashes' sizes, checked by the script
 * before reading). Redis runs one script at a time and the script costs it ~0.7 µs a field (the
 * JSON encoding; a pipeline of HGETALLs ~0.15), so a call stays under ~3 ms: a wall's month
 * series by category is ~900 fields. A chunk over it is read as a pipeline of HGETALLs instead,
 * cheaper for Redis and dearer for this process: the trade is made for small reads only.
 */
export const READ_HASHES_MAX_FIELDS = 4_000

/** EVALSHA, loading the script with EVAL when Redis has not seen it (a restart flushes scripts) */
export async function evalScript(ctx: QueryContext, sha: string, lua: string, call: (string | number)[]): Promise<unknown> {
  try {
    return await ctx.redis.evalsha(sha, ...(call as [number, ...(string | number)[]]))
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err
    return ctx.redis.eval(lua, ...(call as [number, ...(string | number)[]]))
  }
}

/**
 * Whole hashes, each key's `[field, value, …]` in the order of `keys`: by read-hashes.lua (one
 * JSON text; each key once), or undefined when they hold more than READ_HASHES_MAX_FIELDS fields.
 */
async function readHashes(ctx: QueryContext, keys: readonly string[]): Promise<string[][] | undefined> {
  const index = new Map<string, number>()
  const unique: string[] = []
  const at = keys.map((k) => {
    let i = index.get(k)
    if (i === undefined) index.set(k, (i = unique.push(k) - 1))
    return i
  })
  const reply = parseReadHashesReply(await evalScript(ctx, READ_HASHES_SHA, READ_HASHES_LUA, readHashesCall(unique, { maxFields: READ_HASHES_MAX_FIELDS })), unique.length)
  if (!reply.ok) return undefined
  return at.map((i) => reply.hashes[i]!)
}

/**
 * reads Σ terms over tiles, per tile set and term: member → units. `dim` all → field `_`; with
 * members → those fields; else every member (that `keep` accepts). Read in chunks of READ_CHUNK
 * hashes, one round trip each — whole hashes by one read-hashes.lua call, which costs this
 * process several times less CPU than their HGETALL replies (docs/architecture.md "Query CPU") —
 * each reply folded in (and counted against the budget) as it arrives.
 */
export async function readFlow(ctx: QueryContext, budget: QueryBudget, terms: Terms, tileSets: Tile[][], plan: Plan): Promise<Map<string, number>[][]> {
  const { dim, members, keep } = plan
  // per tile set (series point), per term: member → units
  const sums = tileSets.map(() => terms.map(() => new Map<string, number>()))
  // whole hashes by script, until one chunk holds too many fields: the rest go by pipeline
  let whole = dim !== 'all' && !members
  let keys: string[] = []
  let into: Map<string, number>[] = []
  /** a whole hash as `[field, value, …]` into `sum` */
  const addFlat = (sum: Map<string, number>, flat: readonly string[]) => {
    budget.spend(Math.max(1, flat.length / 2))
    for (let k = 0; k < flat.length; k += 2) {
      const m = flat[k]!
      if (!keep || keep(m)) sum.set(m, (sum.get(m) ?? 0) + Number(flat[k + 1]))
    }
  }
  const flush = async () => {
    budget.check()
    const hashes = whole ? await readHashes(ctx, keys) : undefined
    if (whole && !hashes) whole = false
    if (hashes) {
      budget.check()
      for (let i = 0; i < into.length; i++) {
        if (i % 64 === 0) await budget.pace()
        addFlat(into[i]!, hashes[i]!)
      }
    } else {
      const pipe = ctx.redis.pipeline()
      for (const key of keys) {
        if (dim === 'all') pipe.hget(key, ALL_FIELD)
        else if (members) pipe.hmget(key, ...members)
        else pipe.hgetall(key)
      }
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
    }
    keys = []
    into = []
  }
  for (let s = 0; s < tileSets.length; s++) {
    for (const tile of tileSets[s]!) {
      for (let j = 0; j < terms.length; j++) {
        keys.push(ctx.keys.counter(tile.res, tile.bucket, terms[j]![0], dim))
        into.push(sums[s]![j]!)
        if (into.length >= READ_CHUNK) await flush()
      }
    }
  }
  if (into.length > 0) await flush()
  return sums
}

/**
 * `FROM→TO` → "From name → To name" when master data names either warehouse; in English from
 * their `nameEn` (else `name`, else the code) when either has one
 */
function routeNames(master: MasterLookup, key: string): MemberNames | undefined {
  const route = parseRoute(key)
  if (!route) return undefined
  const from = master.names('warehouse', route.from)
  const to = master.names('warehouse', route.to)
  if (from === undefined && to === undefined) return undefined
  const name = `${from?.name ?? route.from} → ${to?.name ?? route.to}`
  if (from?.nameEn === undefined && to?.nameEn === undefined) return { name }
  return { name, nameEn: `${from?.nameEn ?? from?.name ?? route.from} → ${to?.nameEn ?? to?.name ?? route.to}` }
}

/** a group with its display names from master data (`label`, and `labelEn` when there is an English name) */
export function named(ctx: QueryContext, dim: Dimension, g: GroupResult): GroupResult {
  const n = dim === 'route' ? routeNames(ctx.masterData, g.key) : ctx.masterData.names(dim, g.key)
  if (n !== undefined) {
    g.label = n.name
    if (n.nameEn !== undefined) g.labelEn = n.nameEn
  }
  return g
}
