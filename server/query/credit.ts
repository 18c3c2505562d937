/**
 * Receivables and payables now (docs/metrics.md "Receivables and payables"): the balance per
 * partner (invoiced − settled, from the running levels) and its open items by age.
 *
 * The fold keeps sums only: per partner, what each document invoiced by due date (`oi:`) and
 * what was settled against each document or against none (`os:`). How settlements meet open
 * items is worked out here, the same way whatever order movements arrived in: a settlement
 * naming a document pays that document's items, oldest due date first; what is left over, and
 * every settlement naming none, pays the partner's oldest open items first (by due date: the
 * order in which ERPNext offers outstanding invoices to a payment, erpnext/accounts/utils.py
 * `get_outstanding_invoices`). What still remains is unapplied credit (an advance).
 */
import { CREDIT_AGE_BUCKETS } from '../../protocol/query.ts'
import type { CreditAgeBucket, CreditAgeingResult, CreditAgeingRow, Query } from '../../protocol/query.ts'
import { bucketOf } from '../aggregate/ageing.ts'
import { CREDIT } from '../aggregate/counters.ts'
import type { CreditSide } from '../aggregate/counters.ts'
import { FORMULAS } from '../aggregate/formulas.ts'
import { moneyOut } from '../domain/money.ts'
import { businessDate, daysBetween } from '../domain/time.ts'
import { CockpitError } from '../errors.ts'
import type { QueryBudget } from './cost.ts'
import { named, normalizeFilter } from './shared.ts'
import type { QueryContext, QueryFigures } from './shared.ts'
import { readBalance } from './stock-period.ts'

/** The bucket of an item `age` days past its due date: `notDue` before it, else the ranges of stock ageing (ERPNext's age ≤ limit). */
export function ageingBucket(age: number): number {
  return age < 0 ? 0 : 1 + bucketOf(age)
}

interface OpenItem {
  due: string
  doc: string
  amount: number
}

/** One partner's open items after settlements (money units), and the credit left unapplied. */
export function settle(items: Record<string, string>, settlements: Record<string, string>): { open: OpenItem[]; credit: number } {
  const open: OpenItem[] = []
  for (const [field, v] of Object.entries(items)) {
    const amount = Number(v)
    // field: due date (10 characters) | document
    if (amount > 0) open.push({ due: field.slice(0, 10), doc: field.slice(11), amount })
  }
  open.sort((a, b) => (a.due < b.due ? -1 : a.due > b.due ? 1 : a.doc < b.doc ? -1 : a.doc > b.doc ? 1 : 0))
  const byDoc = new Map<string, OpenItem[]>()
  for (const item of open) {
    const list = byDoc.get(item.doc)
    if (list) list.push(item)
    else byDoc.set(item.doc, [item])
  }
  const pay = (list: readonly OpenItem[], amount: number): number => {
    for (const item of list) {
      if (amount <= 0) break
      const paid = Math.min(item.amount, amount)
      item.amount -= paid
      amount -= paid
    }
    return amount
  }
  let pool = 0
  for (const [doc, v] of Object.entries(settlements)) {
    const amount = Number(v)
    if (amount <= 0) continue
    pool += doc === '' ? amount : pay(byDoc.get(doc) ?? [], amount)
  }
  const credit = pay(open, pool)
  return { open: open.filter((i) => i.amount > 0), credit }
}

/** partners with a balance or credit on one side (the partner members of its levels), narrowed to a filter */
async function partnersOf(ctx: QueryContext, side: CreditSide, filter: string[] | undefined): Promise<string[]> {
  if (filter) return filter
  const c = CREDIT[side]
  const [invoiced, settled] = await Promise.all([ctx.redis.hkeys(ctx.keys.level(c.invoicedLevel, 'partner')), ctx.redis.hkeys(ctx.keys.level(c.settledLevel, 'partner'))])
  return [...new Set([...invoiced, ...settled])]
}

function checkDims(q: Query): string[] | undefined {
  const filter = normalizeFilter(q.filter)
  for (const d of [q.groupBy, ...Object.keys(filter)]) {
    if (d !== undefined && d !== 'partner') throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${q.metric} is kept by partner, not ${d}`)
  }
  return filter.partner
}

/** `receivables.balance`, `payables.balance`: invoiced − settled now, in total or by partner */
export async function runBalance(ctx: QueryContext, q: Query): Promise<QueryFigures> {
  const f = FORMULAS[q.metric]
  if (f.kind !== 'balance') throw new Error('not a balance metric')
  const members = checkDims(q)
  const c = CREDIT[f.side]
  const dim = q.groupBy || members ? 'partner' : 'all'
  const units = await readBalance(
    ctx,
    [
      [c.invoicedLevel, 1],
      [c.settledLevel, -1],
    ],
    dim,
    members,
  )
  let total = 0
  for (const v of units.values()) total += v
  const figures: QueryFigures = { total: moneyOut(total) }
  if (q.groupBy) {
    let keys = [...units.keys()].filter((k) => units.get(k) !== 0).sort((a, b) => units.get(b)! - units.get(a)! || (a < b ? -1 : 1))
    if (q.top) keys = keys.slice(0, q.top)
    figures.groups = keys.map((key) => named(ctx, 'partner', { key, total: moneyOut(units.get(key)!) }))
  }
  return figures
}

/** `receivables.ageing`, `payables.ageing`: open items by age now, in total and (groupBy partner) per partner */
export async function runCreditAgeing(ctx: QueryContext, q: Query, at: number, budget: QueryBudget): Promise<QueryFigures> {
  const f = FORMULAS[q.metric]
  if (f.kind !== 'creditAgeing') throw new Error('not a receivables or payables ageing metric')
  const partners = await partnersOf(ctx, f.side, checkDims(q))
  const today = businessDate(ctx.cal, at)
  const totals = CREDIT_AGE_BUCKETS.map(() => 0)
  let creditTotal = 0
  const rows: { row: CreditAgeingRow; units: number }[] = []
  // 100 partners (200 hashes) per round trip
  for (let i = 0; i < partners.length; i += 100) {
    const chunk = partners.slice(i, i + 100)
    const pipe = ctx.redis.pipeline()
    for (const p of chunk) pipe.hgetall(ctx.keys.openItems(f.side, p)).hgetall(ctx.keys.settlements(f.side, p))
    budget.check()
    const replies = (await pipe.exec()) ?? []
    budget.check()
    for (let k = 0; k < chunk.length; k++) {
      const [e1, items] = replies[2 * k] ?? [new Error('missing reply'), null]
      const [e2, settlements] = replies[2 * k + 1] ?? [new Error('missing reply'), null]
      if (e1 || e2) throw e1 ?? e2
      const its = items as Record<string, string>
      const sts = settlements as Record<string, string>
      budget.spend(Object.keys(its).length + Object.keys(sts).length)
      const { open, credit } = settle(its, sts)
      if (open.length === 0 && credit === 0) continue
      const buckets = CREDIT_AGE_BUCKETS.map(() => 0)
      let openUnits = 0
      for (const item of open) {
        buckets[ageingBucket(daysBetween(item.due, today))]! += item.amount
        openUnits += item.amount
      }
      buckets.forEach((v, b) => (totals[b]! += v))
      creditTotal += credit
      const partner = chunk[k]!
      const names = ctx.masterData.names('partner', partner)
      const row: CreditAgeingRow = {
        partner,
        ...(names && { partnerName: names.name, ...(names.nameEn !== undefined && { partnerNameEn: names.nameEn }) }),
        balance: moneyOut(openUnits - credit),
        buckets: buckets.map((v) => moneyOut(v)),
        credit: moneyOut(credit),
        ...(open[0] && { oldestDue: open[0].due }),
      }
      rows.push({ row, units: openUnits - credit })
    }
    await budget.pace()
  }
  const ageing: CreditAgeingResult = {
    buckets: CREDIT_AGE_BUCKETS.map((key: CreditAgeBucket, b) => ({ key, amount: moneyOut(totals[b]!) })),
    credit: moneyOut(creditTotal),
  }
  if (q.groupBy) {
    rows.sort((a, b) => b.units - a.units || (a.row.partner < b.row.partner ? -1 : 1))
    ageing.rows = (q.top ? rows.slice(0, q.top) : rows).map((r) => r.row)
  }
  const total = totals.reduce((a, b) => a + b, 0) - creditTotal
  return { total: moneyOut(total), creditAgeing: ageing }
}
