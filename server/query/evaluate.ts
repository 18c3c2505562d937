/**
 * Flow and ratio formulas (server/aggregate/formulas.ts) evaluated over tile sets: one figure per
 * member for each set, a ratio of sums over several members, and how a figure is output.
 */
import type { Query } from '../../protocol/query.ts'
import type { Tile } from '../domain/time.ts'
import { CockpitError } from '../errors.ts'
import type { QueryBudget } from './cost.ts'
import { FORMULAS } from '../aggregate/formulas.ts'
import type { Formula, Terms } from '../aggregate/formulas.ts'
import { missedLines } from './order-lines.ts'
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
    // one counter counted once (most flows: revenue, quantities): its sums are the figures
    if (f.terms.length === 1 && f.terms[0]![1] === 1) return sums.map((s) => s[0]!)
    return sums.map((s) => {
      const out = new Map<string, number | null>()
      for (const m of membersOf(s)) out.set(m, combine(f.terms, s, m))
      return out
    })
  }
  if (f.kind === 'ratio') {
    return (await ratioSums(ctx, budget, f, tileSets, plan)).map(({ num, den }) => {
      const out = new Map<string, number | null>()
      for (const m of new Set([...num.keys(), ...den.keys()])) out.set(m, ratioOf(f, num.get(m) ?? 0, den.get(m) ?? 0))
      return out
    })
  }
  throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${metric} is not a flow metric`)
}

/** ratio of sums over several members of one dimension */
export async function filteredRatio(ctx: QueryContext, budget: QueryBudget, metric: Query['metric'], tiles: Tile[], plan: Plan): Promise<number | null> {
  const f = FORMULAS[metric]
  if (f.kind !== 'ratio') return null
  const { num, den } = (await ratioSums(ctx, budget, f, [tiles], plan))[0]!
  let n = 0
  let d = 0
  for (const v of num.values()) n += v
  for (const v of den.values()) d += v
  return ratioOf(f, n, d)
}

type RatioFormula = Extract<Formula, { kind: 'ratio' }>

/** num / den of a ratio formula (null when den is 0), complemented and scaled as it says */
export function ratioOf(f: RatioFormula, num: number, den: number): number | null {
  if (den === 0) return null
  const r = (num / den) * (f.factor ?? 1)
  return f.complement ? 1 - r : r
}

/**
 * Numerator and denominator per member, for each tile set. An OTIF formula (`settle`) reads a
 * bucket that has ended as it is counted (lines due, lines in full on time); a bucket not yet
 * ended counts as due only the lines in full on time and those whose promised instant has passed
 * while open or late (server/query/order-lines.ts): a line promised later today is not yet a miss.
 */
async function ratioSums(
  ctx: QueryContext,
  budget: QueryBudget,
  f: RatioFormula,
  tileSets: Tile[][],
  plan: Plan,
): Promise<{ num: Map<string, number>; den: Map<string, number> }[]> {
  const all = [...f.num, ...f.den]
  const split = (s: Map<string, number>[]) => {
    const num = new Map<string, number>()
    const den = new Map<string, number>()
    for (const m of membersOf(s)) {
      num.set(m, combine(f.num, s.slice(0, f.num.length), m))
      den.set(m, combine(f.den, s.slice(f.num.length), m))
    }
    return { num, den }
  }
  if (f.settle === undefined) return (await readFlow(ctx, budget, all, tileSets, plan)).map(split)
  const now = ctx.now()
  const ended = tileSets.map((tiles) => tiles.filter((t) => t.end <= now))
  const running = tileSets.map((tiles) => tiles.filter((t) => t.end > now))
  const settled = (await readFlow(ctx, budget, all, ended, plan)).map(split)
  const hits = await readFlow(ctx, budget, f.num, running, plan)
  for (let i = 0; i < tileSets.length; i++) {
    const { num, den } = settled[i]!
    for (const m of membersOf(hits[i]!)) {
      const n = combine(f.num, hits[i]!, m)
      num.set(m, (num.get(m) ?? 0) + n)
      den.set(m, (den.get(m) ?? 0) + n)
    }
    for (const t of running[i]!) {
      for (const [m, missed] of await missedLines(ctx, budget, f.settle, t.start, Math.min(t.end, now), plan)) {
        den.set(m, (den.get(m) ?? 0) + missed)
        if (!num.has(m)) num.set(m, 0)
      }
    }
  }
  return settled
}

/** a flow's integer units → its output number; ratios pass through */
export function outputOf(metric: Query['metric']): (v: number | null) => number | null {
  const f = FORMULAS[metric]
  if (f.kind !== 'flow') return (v) => v
  return (v) => (v === null ? null : scaleOut(f.scale, v))
}
