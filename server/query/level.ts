/**
 * Running levels "now" (stock on hand and its value, sales and purchase backlogs): read from the
 * level hashes, by one dimension or, for stock, by two at once from the sku × warehouse levels.
 */
import type { Dimension } from '../../protocol/metrics.ts'
import type { Query } from '../../protocol/query.ts'
import { LEVELS, UNSPECIFIED } from '../aggregate/counters.ts'
import { CockpitError } from '../errors.ts'
import { ALL_FIELD } from '../redis/keys.ts'
import { FORMULAS } from '../aggregate/formulas.ts'
import { named, normalizeFilter, scaleOut } from './shared.ts'
import type { QueryContext, QueryFigures } from './shared.ts'

/** Dimensions a sku × warehouse level can be summed by (a SKU's category, a warehouse's region from master data). */
const PAIR_DIMS: readonly Dimension[] = ['sku', 'category', 'warehouse', 'region']
/** The same for backlogs: the dimensions they are kept by that a pair determines */
const BACKLOG_PAIR_DIMS: readonly Dimension[] = ['sku', 'category', 'warehouse']

/**
 * Refuses a backlog query by two dimensions while order lines opened before backlogs were kept by
 * pair are still open: the pair levels do not hold them, so the figures would not add up to the
 * same query by one dimension (docs/metrics.md "Order backlogs").
 */
async function assertBacklogByPair(ctx: QueryContext, level: 'bs' | 'bp', metric: string): Promise<void> {
  const key = ctx.keys.backlog(level)
  if ((await ctx.redis.hlen(key)) === 0) return
  const open = (await ctx.redis.hvals(key)).filter((v) => Number(v) > 0).length
  if (open === 0) return
  throw new CockpitError(
    'COCKPIT_ERR_UNSUPPORTED_QUERY',
    `${metric} by two dimensions at once needs every open order line kept by sku × warehouse; ${open} line(s) opened before this cockpit kept them so are still open: query one dimension (filter and groupBy the same) until they close`,
  )
}

export async function runLevel(ctx: QueryContext, q: Query): Promise<QueryFigures> {
  const f = FORMULAS[q.metric]
  if (f.kind !== 'level') throw new Error('not a level metric')
  const filter = normalizeFilter(q.filter)
  const fdims = Object.keys(filter) as Dimension[]
  const out = (units: number) => scaleOut(f.scale, units)
  const levelDims = LEVELS[f.level].dims as readonly string[]
  for (const d of [q.groupBy, ...fdims]) {
    if (d && !levelDims.includes(d)) {
      throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${q.metric} is kept by ${levelDims.filter((x) => x !== 'all').join(', ')}, not ${d}`)
    }
  }
  let members: Map<string, number>
  const backlog = f.level === 'bs' || f.level === 'bp'
  // stock on hand by two dimensions at once (category × warehouse for a heat map, SKUs of a region…) is
  // summed from the sku|warehouse levels, a SKU's category and a warehouse's region from master data;
  // backlogs likewise, from the open order lines kept by pair
  const pairDims = backlog ? BACKLOG_PAIR_DIMS : PAIR_DIMS
  const pairOnly = fdims.length > 0 && fdims.every((d) => pairDims.includes(d)) && (!q.groupBy || pairDims.includes(q.groupBy))
  // a backlog filtered by one dimension reads that dimension's level: the same figure as its group
  const sameDim = fdims.length === 1 && (fdims[0] === q.groupBy || (backlog && !q.groupBy))
  if (fdims.length === 0 || sameDim) {
    const dim = q.groupBy ?? fdims[0] ?? 'all'
    const raw = await ctx.redis.hgetall(ctx.keys.level(f.level, dim))
    members = new Map(Object.entries(raw).map(([k, v]) => [k, Number(v)]))
    if (sameDim) for (const k of [...members.keys()]) if (!filter[fdims[0]!]!.includes(k)) members.delete(k)
  } else if (pairOnly) {
    if (f.level === 'bs' || f.level === 'bp') await assertBacklogByPair(ctx, f.level, q.metric)
    const raw = await ctx.redis.hgetall(ctx.keys.level(f.level, 'pair'))
    members = new Map()
    const of: Record<string, string> = {}
    for (const [pair, v] of Object.entries(raw)) {
      const [sku, wh] = pair.split('|') as [string, string]
      of.sku = sku
      of.warehouse = wh
      of.category = ctx.masterData.sku(sku)?.category ?? UNSPECIFIED
      of.region = ctx.masterData.warehouse(wh)?.region ?? UNSPECIFIED
      if (fdims.some((d) => !filter[d]!.includes(of[d]!))) continue
      const key = q.groupBy ? of[q.groupBy]! : ALL_FIELD
      members.set(key, (members.get(key) ?? 0) + Number(v))
    }
  } else if (backlog) {
    throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${q.metric} can be grouped and filtered by sku, category and warehouse together; by partner only on its own`)
  } else {
    throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', 'stock levels can be grouped and filtered by sku, category, warehouse and region')
  }
  let total = 0
  for (const v of members.values()) total += v
  const figures: QueryFigures = { total: out(total) }
  if (q.groupBy) {
    let keys = [...members.keys()].sort((a, b) => members.get(b)! - members.get(a)! || (a < b ? -1 : 1))
    if (q.top) keys = keys.slice(0, q.top)
    figures.groups = keys.map((key) => named(ctx, q.groupBy!, { key, total: out(members.get(key)!) }))
  }
  return figures
}
