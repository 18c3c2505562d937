/**
 * Flow and ratio formulas (server/aggregate/formulas.ts) evaluated over tile sets: one figure per
 * member for each set, a ratio of sums over several members, and how a figure is output.
 */
import type { Query } from '../../protocol/query.ts'
import type { Tile } from '../domain/time.ts'
import { CockpitError } from '../errors.ts'
import type { QueryBudget } from './cost.ts'
import { FORMULAS } from '../aggregate/formulas.ts'
import type { Terms } from '../aggregate/formulas.ts'
import { readFlow, scaleOut } from './shared.ts'
import type { Plan, QueryContext } from './shared.ts'

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
export async function evaluate(ctx: QueryContext, budget: QueryBudget, metric: Query['metric'], tileSets: Tile[][], plan: Plan): Promise<Map<string, number | null>[]> {
  const f = FORMULAS[metric]
  if (f.kind === 'flow') {
    const sums = await readFlow(ctx, budget, f.terms, tileSets, plan)
    return sums.map((s) => {
      const out = new Map<string, number | null>()
      for (const m of membersOf(s)) out.set(m, combine(f.terms, s, m))
      return out
    })
  }
  if (f.kind === 'ratio') {
    const all = [...f.num, ...f.den]
    const sums = await readFlow(ctx, budget, all, tileSets, plan)
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

/** ratio of sums over several members of one dimension */
export async function filteredRatio(ctx: QueryContext, budget: QueryBudget, metric: Query['metric'], tiles: Tile[], plan: Plan): Promise<number | null> {
  const f = FORMULAS[metric]
  if (f.kind !== 'ratio') return null
  const sums = (await readFlow(ctx, budget, [...f.num, ...f.den], [tiles], plan))[0]!
  let num = 0
  let den = 0
  for (const m of membersOf(sums)) {
    num += combine(f.num, sums.slice(0, f.num.length), m)
    den += combine(f.den, sums.slice(f.num.length), m)
  }
  if (den === 0) return null
  return f.complement ? 1 - num / den : num / den
}

/** a flow's integer units → its output number; ratios pass through */
export function outputOf(metric: Query['metric']): (v: number | null) => number | null {
  const f = FORMULAS[metric]
  if (f.kind !== 'flow') return (v) => v
  return (v) => (v === null ? null : scaleOut(f.scale, v))
}
