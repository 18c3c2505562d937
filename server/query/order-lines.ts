/**
 * Order lines read at query time (docs/metrics.md "Order lines"): the lines whose promised
 * instant has passed while they were still open are the time-dependent part of two figures —
 * overdue open lines now (count and open value), and the misses of OTIF in a bucket that has not
 * ended yet. Both read the side's sorted sets of open and late lines by promised instant and the
 * records of the lines they list; the cost is the number of such lines, counted against the
 * query's budget.
 */
import type { Dimension } from '../../protocol/metrics.ts'
import type { Query } from '../../protocol/query.ts'
import { LINE_DIMS, UNSPECIFIED } from '../aggregate/counters.ts'
import type { LineSide } from '../aggregate/counters.ts'
import { FORMULAS } from '../aggregate/formulas.ts'
import { moneyOut, roundMoneyBig } from '../domain/money.ts'
import { CockpitError } from '../errors.ts'
import { ALL_FIELD } from '../redis/keys.ts'
import type { QueryBudget } from './cost.ts'
import { named, normalizeFilter } from './shared.ts'
import type { Plan, QueryContext, QueryFigures } from './shared.ts'

/** Lines read per round trip. */
const CHUNK = 500

/**
 * A line record as the apply script writes it: order entries [t ms, qty, amount, due ms, due
 * day, due month, expiries ×2, category, warehouse, partner], fulfilment entries [t, qty, …] and
 * the 1-based index of the head order (0: none).
 */
interface LineRecord {
  /** absent when empty */
  o?: (number | string)[][]
  f?: (number | string)[][]
  h: number
}

/** What a listed line contributes: its members and its open qty and value (money units). */
interface ListedLine {
  members: Record<'all' | 'sku' | 'category' | 'warehouse' | 'partner', string>
  open: bigint
  value: bigint
}

function listed(ctx: QueryContext, field: string, raw: string): ListedLine | undefined {
  const r = JSON.parse(raw) as LineRecord
  const orders = r.o ?? []
  const head = orders[r.h - 1]
  if (head === undefined) return undefined
  let ordered = 0n
  let amount = 0n
  let fulfilled = 0n
  for (const e of orders) {
    ordered += BigInt(e[1] as number)
    amount += BigInt(e[2] as string)
  }
  for (const e of r.f ?? []) fulfilled += BigInt(e[1] as number)
  const open = ordered > fulfilled ? ordered - fulfilled : 0n
  // the script's rounding of the open value: open × amount / ordered, once, to the minor unit
  const value = open > 0n && ordered > 0n ? roundMoneyBig(open * amount, ordered, ctx.money) : 0n
  const sku = field.slice(field.lastIndexOf('|') + 1)
  return {
    members: { all: ALL_FIELD, sku, category: String(head[8] ?? UNSPECIFIED), warehouse: String(head[9] ?? UNSPECIFIED), partner: String(head[10] ?? UNSPECIFIED) },
    open,
    value,
  }
}

/**
 * The lines listed in the side's sets whose promised instant lies in [from, to): those still open
 * (`open`) and, with `late`, those fulfilled in full after it.
 */
async function linesDue(ctx: QueryContext, budget: QueryBudget, side: LineSide, from: number, to: number, late: boolean): Promise<ListedLine[]> {
  const min = Number.isFinite(from) ? String(from) : '-inf'
  const max = `(${to}`
  const sets = [ctx.keys.lineOpen(side), ...(late ? [ctx.keys.lineLate(side)] : [])]
  const fields: string[] = []
  for (const set of sets) {
    budget.check()
    const members = await ctx.redis.zrangebyscore(set, min, max)
    budget.spend(Math.max(1, members.length))
    fields.push(...members)
  }
  const out: ListedLine[] = []
  for (let i = 0; i < fields.length; i += CHUNK) {
    const part = fields.slice(i, i + CHUNK)
    budget.check()
    const raws = await ctx.redis.hmget(ctx.keys.line(side), ...part)
    budget.spend(part.length)
    for (let j = 0; j < part.length; j++) {
      if (j % 64 === 0) await budget.pace()
      const raw = raws[j]
      if (raw === null || raw === undefined) continue
      const line = listed(ctx, part[j]!, raw)
      if (line) out.push(line)
    }
  }
  return out
}

/** the member a line is counted under for a plan, undefined when the plan leaves it out */
function memberOf(line: ListedLine, plan: Plan): string | undefined {
  if (plan.dim === 'all') return ALL_FIELD
  if (!(LINE_DIMS as readonly string[]).includes(plan.dim))
    throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `order lines are kept by ${LINE_DIMS.filter((d) => d !== 'all').join(', ')}, not ${plan.dim}`)
  const m = line.members[plan.dim as keyof ListedLine['members']]
  if (plan.members && !plan.members.includes(m)) return undefined
  if (plan.keep && !plan.keep(m)) return undefined
  return m
}

/**
 * OTIF misses not yet in the counters: lines of `side` promised within [from, to) — `to` at most
 * now — that are open or were fulfilled late, per member of the plan.
 */
export async function missedLines(ctx: QueryContext, budget: QueryBudget, side: LineSide, from: number, to: number, plan: Plan): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  if (!(to > from)) return out
  for (const line of await linesDue(ctx, budget, side, from, to, true)) {
    const m = memberOf(line, plan)
    if (m !== undefined) out.set(m, (out.get(m) ?? 0) + 1)
  }
  return out
}

/** `sales.overdueLines` … now: open lines whose promised instant has passed, grouped and filtered by the line's members */
export async function runOverdue(ctx: QueryContext, q: Query, budget: QueryBudget, at: number): Promise<QueryFigures> {
  const f = FORMULAS[q.metric]
  if (f.kind !== 'overdue') throw new Error('not an overdue metric')
  const filter = normalizeFilter(q.filter)
  const dims = Object.keys(filter) as Dimension[]
  for (const d of [q.groupBy, ...dims]) {
    if (d && !(LINE_DIMS as readonly string[]).includes(d)) {
      throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${q.metric} is kept by ${LINE_DIMS.filter((x) => x !== 'all').join(', ')}, not ${d}`)
    }
  }
  const totals = new Map<string, bigint>()
  for (const line of await linesDue(ctx, budget, f.side, -Infinity, at, false)) {
    if (dims.some((d) => !filter[d]!.includes(line.members[d as keyof ListedLine['members']]))) continue
    const key = q.groupBy ? line.members[q.groupBy as keyof ListedLine['members']] : ALL_FIELD
    totals.set(key, (totals.get(key) ?? 0n) + (f.result === 'count' ? 1n : line.value))
  }
  const out = (v: bigint) => (f.result === 'count' ? Number(v) : moneyOut(v))
  let total = 0n
  for (const v of totals.values()) total += v
  const figures: QueryFigures = { total: out(total) }
  if (q.groupBy) {
    let keys = [...totals.keys()].sort((a, b) => (totals.get(b)! > totals.get(a)! ? 1 : totals.get(b)! < totals.get(a)! ? -1 : a < b ? -1 : 1))
    if (q.top) keys = keys.slice(0, q.top)
    figures.groups = keys.map((key) => named(ctx, q.groupBy!, { key, total: out(totals.get(key)!) }))
  }
  return figures
}
