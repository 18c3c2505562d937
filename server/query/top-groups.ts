/**
 * Ranked groups and sums over all members computed where the counters are: one read-only script
 * (server/redis/scripts/top-groups.lua) sums a period's tiles by member and answers with the
 * sums over every member and the few members that can be in the top N — instead of every member
 * of every tile crossing the network to be summed here. docs/architecture.md "Reading long
 * periods" has the measurements behind it.
 */
import type { Tile } from '../domain/time.ts'
import type { Formula } from '../aggregate/formulas.ts'
import { TOP_GROUPS_LUA, TOP_GROUPS_SHA, parseTopGroupsReply, topGroupsCall } from '../redis/top-groups.ts'
import type { TopCandidate, WeightedKey } from '../redis/top-groups.ts'
import type { QueryBudget } from './cost.ts'
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
  let raw: unknown
  try {
    raw = await ctx.redis.evalsha(TOP_GROUPS_SHA, ...(call as [number, ...(string | number)[]]))
  } catch (err) {
    // a Redis that restarted (or never saw the script) loads it with EVAL
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err
    raw = await ctx.redis.eval(TOP_GROUPS_LUA, ...(call as [number, ...(string | number)[]]))
  }
  budget.check()
  const reply = parseTopGroupsReply(raw)
  if (!reply.ok) return undefined
  budget.spend(Math.max(1, reply.fields))
  return { a: reply.a, b: reply.b, candidates: reply.candidates }
}
