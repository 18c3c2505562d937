/**
 * Ranked groups and sums over all members computed where the counters are: one read-only script
 * (server/redis/scripts/top-groups.lua) sums a period's tiles by member and answers with the
 * sums over every member and the few members that can be in the top N — instead of every member
 * of every tile crossing the network to be summed here. docs/architecture.md "Reading long
 * periods" has the measurements behind it.
 */
import type { Tile } from '../domain/time.ts'
import type { Formula } from '../aggregate/formulas.ts'
import { TOP_GROUPS_LUA, TOP_GROUPS_SHA, TOP_RANKED_LUA, TOP_RANKED_SHA, parseTopGroupsReply, parseTopRankedReply, topGroupsCall, topRankedCall } from '../redis/top-groups.ts'
import type { TopCandidate, WeightedKey, WeightedRanking, WeightedTotal } from '../redis/top-groups.ts'
import type { QueryBudget } from './cost.ts'
import { evalScript } from './shared.ts'
import type { Plan, QueryContext } from './shared.ts'

/**
 * Most fields one script call may read (Σ of the hashes' sizes, checked by the script before
 * reading): Redis runs one script at a time, so a call must stay short (~10 ms at this size on
 * the reference machine). A larger read goes through the paced pipelined path instead.
 */
export const TOP_GROUPS_MAX_FIELDS = 40_000
/** Most hashes one script call sums: beyond, the period has so many tiles the pipelined path is as good. */
export const TOP_GROUPS_MAX_KEYS = 400

/** A flow, or a ratio that is a plain quotient of sums (not OTIF, whose running buckets are settled here). */
export type SummableFormula = Extract<Formula, { kind: 'flow' }> | (Extract<Formula, { kind: 'ratio' }> & { settle?: undefined })

export function isSummable(f: Formula): f is SummableFormula {
  return f.kind === 'flow' || (f.kind === 'ratio' && f.settle === undefined)
}

/** Σ a and Σ b over every member (a flow's value; a ratio's numerator and denominator), and the candidates for the top. */
export interface GroupSums {
  a: number
  b: number
  candidates: TopCandidate[]
}

/** the hashes of `tiles` a formula reads for `plan.dim`, each once, with its weights into a and b */
function weightedKeys(ctx: QueryContext, f: SummableFormula, tiles: readonly Tile[], dim: Plan['dim']): WeightedKey[] {
  const parts = f.kind === 'flow' ? f.terms.map(([c, s]) => [c, s, 0] as const) : [...f.num.map(([c, s]) => [c, s, 0] as const), ...f.den.map(([c, s]) => [c, 0, s] as const)]
  const byKey = new Map<string, WeightedKey>()
  for (const tile of tiles) {
    for (const [code, a, b] of parts) {
      const key = ctx.keys.counter(tile.res, tile.bucket, code, dim)
      const w = byKey.get(key)
      if (w) {
        w.a += a
        w.b += b
      } else byKey.set(key, { key, a, b })
    }
  }
  return [...byKey.values()]
}

/**
 * Σ over every member of `plan` (its `members`, or all) of a formula over `tiles`, and every
 * member whose rank is at least the `top`-th largest (0: none), summed in Redis. Undefined when
 * the read is too large for one script call: the caller reads it the paced way. Not for plans
 * that keep members by a predicate (`plan.keep`): the script cannot apply it.
 */
export async function sumGroupsInRedis(
  ctx: QueryContext,
  budget: QueryBudget,
  f: SummableFormula,
  tiles: readonly Tile[],
  plan: Plan,
  top: number,
): Promise<GroupSums | undefined> {
  if (plan.keep || plan.dim === 'all') return undefined
  const ranked = top > 0 ? await topFromRankings(ctx, budget, f, tiles, plan, top) : undefined
  if (ranked) return ranked
  const hashes = weightedKeys(ctx, f, tiles, plan.dim)
  if (hashes.length > TOP_GROUPS_MAX_KEYS) return undefined
  if (hashes.length === 0) return { a: 0, b: 0, candidates: [] }
  const ratio = f.kind === 'ratio'
  const call = topGroupsCall(
    hashes,
    { top, ratio: ratio ? 1 : 0, factor: ratio ? (f.factor ?? 1) : 1, complement: ratio && f.complement ? 1 : 0, maxFields: TOP_GROUPS_MAX_FIELDS },
    plan.members,
  )
  budget.check()
  const raw = await evalScript(ctx, TOP_GROUPS_SHA, TOP_GROUPS_LUA, call)
  budget.check()
  const reply = parseTopGroupsReply(raw)
  if (!reply.ok) return undefined
  budget.spend(Math.max(1, reply.fields))
  return { a: reply.a, b: reply.b, candidates: reply.candidates }
}

/**
 * The top `top` members of a flow over whole years by SKU, read best first from the year buckets'
 * rankings (`rk:`, sorted sets the apply script keeps beside the hashes) by one read-only script
 * (top-ranked.lua): it meets members in order of their figure in each year and stops once no member
 * left can reach the top, so it reads a few dozen members of each year instead of every one. The
 * sum over every member comes from the same years' `all` hashes. Undefined when it does not apply —
 * a ratio (rankings order members by one counter, not a quotient), chosen members, a period not
 * made of whole years, another dimension — or when a ranking does not hold every member of its year
 * (written before rankings were kept, until `npm run years:rollup`): the caller sums the hashes.
 */
async function topFromRankings(ctx: QueryContext, budget: QueryBudget, f: SummableFormula, tiles: readonly Tile[], plan: Plan, top: number): Promise<GroupSums | undefined> {
  if (f.kind !== 'flow' || plan.members || plan.dim !== 'sku' || tiles.length === 0 || tiles.some((t) => t.res !== 'year')) return undefined
  const rankings = new Map<string, WeightedRanking>()
  const totals = new Map<string, WeightedTotal>()
  for (const tile of tiles) {
    for (const [code, weight] of f.terms) {
      const ranking = ctx.keys.ranking(tile.res, tile.bucket, code, plan.dim)
      const r = rankings.get(ranking)
      if (r) r.weight += weight
      else rankings.set(ranking, { ranking, hash: ctx.keys.counter(tile.res, tile.bucket, code, plan.dim), weight })
      const all = ctx.keys.counter(tile.res, tile.bucket, code, 'all')
      const t = totals.get(all)
      if (t) t.weight += weight
      else totals.set(all, { key: all, weight })
    }
  }
  // the same bound as the summing script's: a period of centuries is not read year by year here
  if (rankings.size * 2 + totals.size > TOP_GROUPS_MAX_KEYS) return undefined
  budget.check()
  const reply = parseTopRankedReply(await evalScript(ctx, TOP_RANKED_SHA, TOP_RANKED_LUA, topRankedCall([...rankings.values()], [...totals.values()], top)))
  budget.check()
  if (!reply.ok) return undefined
  budget.spend(Math.max(1, reply.candidates.length))
  return { a: reply.total, b: 0, candidates: reply.candidates.map((c) => ({ member: c.member, a: c.sum, b: 0 })) }
}
