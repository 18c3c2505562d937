/**
 * Reference model of the cockpit's valuation, written from the valuation rules (moving average per
 * SKU × warehouse, ERPNext-style revaluation, exact rounding), never from the server's code: the
 * tests drive the real server and compare every figure with this model.
 *
 * Units, all BigInt: qty in thousandths ("milli"), unit prices and costs in millionths ("micro"),
 * money in ten-thousandths ("mu"). The money step is s = 10^(4−D) mu, D = COCKPIT_MONEY_DECIMALS
 * (default 2, s = 100). R(x / y) = s × roundDiv(x, y·s), half away from zero by default,
 * half-to-even with COCKPIT_MONEY_ROUNDING=half-even. A line of qty q at price p is R(q·p / 1e5).
 *
 * Per pair: q, v and a (the last rate, read only when q = 0). rate = v/q when q ≠ 0, else a; rates
 * are exact fractions (mu per milli), except the rate a pair keeps at q = 0: that one is rounded to
 * 1e-6 of the currency per unit, as docs/metrics.md "Valuation" keeps it (see `kept`).
 *
 * Decisions where the rules leave room (each one is this model's, and a server that decides
 * otherwise fails the tests that exercise it):
 *  1. The rate of a line is unitCost / 1e5 when its cost comes from `unitCost`, else L / qty. The
 *     rule "unitCost and no lineAmount/lineCost" is read per cost field: on sales movements
 *     `lineAmount` is revenue and does not touch the cost rate; on purchase movements it is the cost.
 *  2. A `purchase_return` with `lineAmount` and no `unitCost` is returned at that line amount (the
 *     ERP's own credit), like one with `unitCost`. Precedence: lineAmount, unitCost, returnOf,
 *     average. A `sales_return`: lineCost, unitCost, returnOf, average. A `sales_shipment`:
 *     lineCost, unitCost, average.
 *  3. `returnOf` is honoured when the id names an applied movement of the matching type
 *     (purchase_receipt / sales_shipment) that has not been cancelled; earlier in the same batch
 *     counts. Its SKU and warehouse are not compared (the ERP links the lines); the property test
 *     only links movements of the same pair, so a server that also checks the pair passes too.
 *  4. A cancel is applied pair by pair: a transfer's source and destination are each restored
 *     (when that pair still stands exactly where the transfer left it) or reversed on their own.
 *  5. When reversed (not restored), the cancelled movement's own revaluation stays and the
 *     reversal's revaluation is added: stock value = Σ natural line values + Σ revaluation holds
 *     either way. When restored, the movement's revaluation is taken back with its value change.
 *  6. A stocktake's natural line value is its value change dv, its rate dv / difference. A
 *     stocktake with difference 0 that cannot be restored is left as it is on cancel (it moved no
 *     units; its only possible value change is rounding v to the step).
 *  7. A cancel of an unknown or already cancelled id changes nothing. A cancel in the same batch as
 *     its movement is outside the rules: the model throws (the tests never send one).
 *  8. Limits: the exact product qty × price (before rounding) must not exceed 1e11 of the currency,
 *     and lineAmount, lineCost and amount must not exceed 1e11; the refusal names `/unitPrice`,
 *     `/unitCost`, `/lineAmount`, `/lineCost` or `/amount`. Exactly 1e11 is accepted.
 *  9. The rules bound lines, not what a pair holds: an outbound at the average, a transfer or a
 *     count can value far more than 1e11 (1e9 units at a rate of 1e9). `peak` records the largest
 *     magnitude of any figure the model produced, so tests can keep to figures a double still
 *     holds exactly (≤ 2^53 mu); generated ledgers leave out a movement that would pass it.
 * 10. `stock.adjustment` is this model's own name for Σ stocktake value changes (no server metric);
 *     with it, stock value = receipts − purchase returns − COGS + adjustments + revaluation.
 * 11. The reversal's revaluation of a cancel is counted in the totals without a date: the tests date
 *     every cancel inside the period they read, so its bucket (the cancel's or the movement's) does
 *     not change the figures they compare.
 * 12. A figure off the money step (lineAmount and lineCost keep 4 decimals) is shown rounded to D
 *     decimals; at an exact half the display rounding is not in the rules, so `displayedMoney`
 *     accepts either neighbour.
 * 13. A pair whose every stock line has been cancelled, left at qty 0 and value 0, is forgotten as
 *     if it never moved (docs/metrics.md "Valuation"): the rate it kept goes with it, so the next
 *     movement at the average finds rate 0, as for a pair never seen.
 * 14. The rate kept at q = 0 (docs/metrics.md "Valuation": "the rate a pair keeps at 0 is that
 *     rounded figure", 1e-6 of the currency per unit, as ERPNext keeps a valuation rate to 6
 *     decimals) is rounded like money, half away from zero or half to even. At large quantities
 *     this is not a rounding cent: 6.2e8 units out at a kept rate 0.5e-6 off move ~300.
 */

import fc from 'fast-check'

export type Rounding = 'half-away' | 'half-even'

export interface ValuationOptions {
  /** COCKPIT_MONEY_DECIMALS @default 2 */
  decimals?: number
  /** COCKPIT_MONEY_ROUNDING @default 'half-away' */
  rounding?: Rounding
}

/** A rate as an exact fraction, in mu per milli; d > 0. */
export interface Rate {
  n: bigint
  d: bigint
}

/** One pair's state. */
export interface PairState {
  q: bigint
  v: bigint
  a: Rate
}

/** Flow figures the model totals, in mu (`stock.adjustment` is the model's own, see decision 10). */
export const MODEL_FIGURES = [
  'sales.revenue',
  'sales.cogs',
  'purchase.receiptAmount',
  'purchase.returnAmount',
  'stock.revaluation',
  'stock.adjustment',
  'sales.orderAmount',
  'purchase.orderAmount',
  'cash.in',
  'cash.out',
] as const
export type ModelFigure = (typeof MODEL_FIGURES)[number]

/** A movement as it is sent (protocol v1 plus the valuation fields); numbers are decimals. */
export interface ModelMovement {
  id: string
  type: string
  occurredAt?: string
  sku?: string
  warehouse?: string
  toWarehouse?: string
  qty?: number
  countedQty?: number
  bookQty?: number
  unitPrice?: number
  unitCost?: number
  lineAmount?: number
  lineCost?: number
  amount?: number
  returnOf?: string
  cancels?: string
  [field: string]: unknown
}

export type BatchOutcome = { status: 200; accepted: number; duplicates: number } | { status: 400; rejected: { index: number; id: string; path: string }[] }

/** Upper bounds (protocol limits), scaled. */
export const MODEL_LIMITS = {
  /** 1e9 units */
  qtyMilli: 10n ** 12n,
  /** 1e9 per unit */
  priceMicro: 10n ** 15n,
  /** 1e11 of the currency */
  lineMu: 10n ** 15n,
} as const

/** The largest figure a double holds exactly, in mu: tests keep generated ledgers below it. */
export const EXACT_MU = BigInt(Number.MAX_SAFE_INTEGER)

const LINE_DIVISOR = 100_000n
const ZERO_RATE: Rate = { n: 0n, d: 1n }
/** a rate kept at qty 0 is a whole number of 1e-6 of the currency per unit: n / 1e5 mu per milli */
const KEPT_RATE_SCALE = 100_000n

/** A decimal as an exact integer of `decimals` places; throws when it has more. */
export function toUnits(value: number, decimals: number, field = 'value'): bigint {
  if (!Number.isFinite(value)) throw new Error(`${field}: ${value} is not a finite number`)
  const fixed = value.toFixed(decimals)
  if (Number(fixed) !== value) throw new Error(`${field}: ${value} has more than ${decimals} decimal places`)
  return BigInt(fixed.replace('.', ''))
}

const abs = (x: bigint) => (x < 0n ? -x : x)

/** x / y rounded to an integer, half away from zero or half to even. */
export function roundDiv(x: bigint, y: bigint, rounding: Rounding = 'half-away'): bigint {
  if (y === 0n) throw new Error('division by zero')
  if (y < 0n) {
    x = -x
    y = -y
  }
  const q = x / y
  const twice = 2n * abs(x % y)
  if (twice < y) return q
  const away = x < 0n ? q - 1n : q + 1n
  if (twice > y) return away
  return rounding === 'half-away' || q % 2n !== 0n ? away : q
}

/** a fraction with a positive denominator */
function rate(n: bigint, d: bigint): Rate {
  if (d === 0n) throw new Error('rate with denominator 0')
  return d < 0n ? { n: -n, d: -d } : { n, d }
}

/** The line field the limits refuse in this movement, as the 400 names it; undefined when within them. */
export function overLimitField(m: ModelMovement): string | undefined {
  const qty = m.qty === undefined ? undefined : toUnits(m.qty, 3, 'qty')
  for (const field of ['unitPrice', 'unitCost'] as const) {
    const price = m[field]
    if (qty !== undefined && price !== undefined && qty * toUnits(price, 6, field) > MODEL_LIMITS.lineMu * LINE_DIVISOR) return `/${field}`
  }
  for (const field of ['lineAmount', 'lineCost', 'amount'] as const) {
    const money = m[field]
    if (money !== undefined && toUnits(money, 4, field) > MODEL_LIMITS.lineMu) return `/${field}`
  }
  return undefined
}

/** What a movement did to one pair, kept for its cancel. */
interface PairEffect {
  key: string
  before: PairState
  after: PairState
  /** signed qty change */
  dq: bigint
  /** signed natural line value: +L in, −C out, dv for a count */
  line: bigint
  /** the line's rate */
  rate: Rate
  rv: bigint
}

interface Effect {
  id: string
  type: string
  batch: number
  pairs: PairEffect[]
  flows: Partial<Record<ModelFigure, bigint>>
  /** the cost line a later `returnOf` takes its rate from (receipt: L; shipment: C) */
  costLine?: { value: bigint; qty: bigint }
  cancelled: boolean
}

interface Outcome {
  after: PairState
  rv: bigint
}

export const pairKey = (sku: string, warehouse: string) => `${sku}|${warehouse}`

export class ValuationModel {
  readonly decimals: number
  readonly rounding: Rounding
  /** money step s, in mu */
  readonly step: bigint
  /** largest magnitude of any figure produced so far (mu, or milli for quantities) */
  peak = 0n
  readonly totals: Record<ModelFigure, bigint>
  private pairs = new Map<string, PairState>()
  /** stock lines applied and not cancelled, per pair (decision 13) */
  private moves = new Map<string, number>()
  private effects = new Map<string, Effect>()
  /** every id applied (cancels included): a re-sent id is a duplicate */
  private seen = new Set<string>()
  private batchNo = 0

  constructor(opts: ValuationOptions = {}) {
    this.decimals = opts.decimals ?? 2
    this.rounding = opts.rounding ?? 'half-away'
    if (!Number.isInteger(this.decimals) || this.decimals < 0 || this.decimals > 4) throw new Error('decimals must be 0…4')
    this.step = 10n ** BigInt(4 - this.decimals)
    this.totals = Object.fromEntries(MODEL_FIGURES.map((f) => [f, 0n])) as Record<ModelFigure, bigint>
  }

  /** An independent copy (to try a movement and throw the attempt away). */
  clone(): ValuationModel {
    const copy = new ValuationModel({ decimals: this.decimals, rounding: this.rounding })
    copy.peak = this.peak
    Object.assign(copy.totals, this.totals)
    for (const [k, p] of this.pairs) copy.pairs.set(k, { ...p })
    for (const [k, n] of this.moves) copy.moves.set(k, n)
    for (const [k, e] of this.effects) copy.effects.set(k, { ...e, pairs: e.pairs.map((p) => ({ ...p })), flows: { ...e.flows } })
    for (const id of this.seen) copy.seen.add(id)
    copy.batchNo = this.batchNo
    return copy
  }

  /** R(x / y): rounded to a multiple of the money step. */
  round(x: bigint, y: bigint): bigint {
    return this.step * roundDiv(x, y * this.step, this.rounding)
  }

  /** Line money of qty (milli) at a unit price (micro). */
  line(qtyMilli: bigint, priceMicro: bigint): bigint {
    return this.round(qtyMilli * priceMicro, LINE_DIVISOR)
  }

  /** A pair's state (zero when it never moved). */
  pair(sku: string, warehouse: string): PairState {
    const p = this.pairs.get(pairKey(sku, warehouse))
    return p ? { ...p } : { q: 0n, v: 0n, a: ZERO_RATE }
  }

  /** Σ v over the pairs of these SKUs (all pairs when none given). */
  stockValue(skus?: readonly string[]): bigint {
    let sum = 0n
    for (const [k, p] of this.pairs) if (!skus || skus.includes(k.split('|')[0]!)) sum += p.v
    return sum
  }

  /** Σ q over the pairs of these SKUs (all pairs when none given). */
  stockQty(skus?: readonly string[]): bigint {
    let sum = 0n
    for (const [k, p] of this.pairs) if (!skus || skus.includes(k.split('|')[0]!)) sum += p.q
    return sum
  }

  /**
   * Applies a batch as the server does: any movement over a limit refuses the whole batch (400,
   * nothing applied); else ids already applied, or repeated in the batch, are duplicates.
   */
  applyBatch(items: readonly ModelMovement[]): BatchOutcome {
    const rejected: { index: number; id: string; path: string }[] = []
    items.forEach((m, index) => {
      const path = overLimitField(m)
      if (path) rejected.push({ index, id: m.id, path })
    })
    if (rejected.length > 0) return { status: 400, rejected }
    this.batchNo++
    let accepted = 0
    let duplicates = 0
    for (const m of items) {
      if (this.seen.has(m.id)) {
        duplicates++
        continue
      }
      this.seen.add(m.id)
      this.apply(m)
      accepted++
    }
    return { status: 200, accepted, duplicates }
  }

  private see(...values: bigint[]): void {
    for (const x of values) if (abs(x) > this.peak) this.peak = abs(x)
  }

  private rateOf(p: PairState): Rate {
    return p.q !== 0n ? rate(p.v, p.q) : p.a
  }

  /**
   * The rate a pair keeps for when its qty is 0: rounded to 1e-6 of the currency per unit (the
   * displayed average, ERPNext's valuation-rate precision of 6), as the money is rounded.
   */
  private kept(r: Rate): Rate {
    return { n: roundDiv(r.n * KEPT_RATE_SCALE, r.d, this.rounding), d: KEPT_RATE_SCALE }
  }

  private valueAt(qty: bigint, r: Rate): bigint {
    return qty === 0n ? 0n : this.round(qty * r.n, r.d)
  }

  /** dq > 0 in, with line value L and line rate r */
  private inbound(p: PairState, dq: bigint, L: bigint, r: Rate): Outcome {
    const q = p.q + dq
    const after = p.q <= 0n ? { q, v: this.valueAt(q, r), a: this.kept(r) } : { q, v: p.v + L, a: p.a }
    return { after, rv: after.v - p.v - L }
  }

  /** dq > 0 out at the average; C = v − v' */
  private outboundAtAverage(p: PairState, dq: bigint): Outcome & { cost: bigint } {
    const before = this.rateOf(p)
    const q = p.q - dq
    const after = { q, v: this.valueAt(q, before), a: q === 0n ? this.kept(before) : p.a }
    return { after, rv: 0n, cost: p.v - after.v }
  }

  /** dq > 0 out at a given line cost L and rate r; C = L */
  private outboundWithCost(p: PairState, dq: bigint, L: bigint, r: Rate): Outcome {
    const q = p.q - dq
    let after: PairState
    if (q === 0n) after = { q, v: 0n, a: this.kept(r) }
    else if (q > 0n) after = { q, v: p.v - L, a: p.a }
    else if (p.q >= 0n) after = { q, v: this.valueAt(q, r), a: this.kept(r) }
    else after = { q, v: this.valueAt(q, rate(p.v, p.q)), a: p.a }
    return { after, rv: after.v - p.v + L }
  }

  private stateOf(key: string): PairState {
    return this.pairs.get(key) ?? { q: 0n, v: 0n, a: ZERO_RATE }
  }

  /** Sets a pair's new state and records what it did. */
  private commit(effect: Effect, key: string, outcome: Outcome, dq: bigint, line: bigint, r: Rate): void {
    const before = this.stateOf(key)
    this.pairs.set(key, outcome.after)
    this.moves.set(key, (this.moves.get(key) ?? 0) + 1)
    effect.pairs.push({ key, before, after: outcome.after, dq, line, rate: r, rv: outcome.rv })
    this.totals['stock.revaluation'] += outcome.rv
    this.see(outcome.after.q, outcome.after.v, outcome.after.v - before.v, line, outcome.rv)
  }

  /** a cost given by the movement: its line value and rate, or undefined to value at the average */
  private givenCost(m: ModelMovement, qty: bigint, moneyField: 'lineAmount' | 'lineCost'): { L: bigint; r: Rate } | undefined {
    const money = m[moneyField]
    if (money !== undefined) {
      const L = toUnits(money, 4, moneyField)
      return { L, r: rate(L, qty) }
    }
    if (m.unitCost !== undefined) {
      const cost = toUnits(m.unitCost, 6, 'unitCost')
      return { L: this.line(qty, cost), r: rate(cost, LINE_DIVISOR) }
    }
    return undefined
  }

  /** the cost line of a `returnOf` original, when it is still known */
  private original(m: ModelMovement, type: string): { value: bigint; qty: bigint } | undefined {
    if (m.returnOf === undefined) return undefined
    const e = this.effects.get(m.returnOf)
    return e && e.type === type && !e.cancelled ? e.costLine : undefined
  }

  private apply(m: ModelMovement): void {
    const effect: Effect = { id: m.id, type: m.type, batch: this.batchNo, pairs: [], flows: {}, cancelled: false }
    const qty = m.qty === undefined ? 0n : toUnits(m.qty, 3, 'qty')
    const key = m.sku !== undefined && m.warehouse !== undefined ? pairKey(m.sku, m.warehouse) : ''
    const price = (field: 'unitPrice' | 'unitCost') => {
      const value = m[field]
      if (value === undefined) throw new Error(`${m.id}: ${field} is required`)
      return toUnits(value, 6, field)
    }
    const lineAmountOr = (field: 'unitPrice' | 'unitCost') => (m.lineAmount !== undefined ? toUnits(m.lineAmount, 4, 'lineAmount') : this.line(qty, price(field)))
    const flow = (figure: ModelFigure, mu: bigint) => {
      effect.flows[figure] = (effect.flows[figure] ?? 0n) + mu
    }

    switch (m.type) {
      case 'purchase_order':
        flow('purchase.orderAmount', lineAmountOr('unitCost'))
        break
      case 'sales_order':
        flow('sales.orderAmount', lineAmountOr('unitPrice'))
        break
      case 'payment_in':
      case 'payment_out':
        flow(m.type === 'payment_in' ? 'cash.in' : 'cash.out', this.round(toUnits(m.amount ?? NaN, 4, 'amount'), 1n))
        break
      case 'purchase_receipt': {
        const { L, r } = this.givenCost(m, qty, 'lineAmount') ?? { L: this.line(qty, price('unitCost')), r: rate(price('unitCost'), LINE_DIVISOR) }
        this.commit(effect, key, this.inbound(this.stateOf(key), qty, L, r), qty, L, r)
        flow('purchase.receiptAmount', L)
        effect.costLine = { value: L, qty }
        break
      }
      case 'purchase_return': {
        const source = this.original(m, 'purchase_receipt')
        const given = this.givenCost(m, qty, 'lineAmount') ?? (source && { L: this.round(qty * source.value, source.qty), r: rate(source.value, source.qty) })
        flow('purchase.returnAmount', this.outbound(effect, key, qty, given))
        break
      }
      case 'sales_shipment': {
        const cost = this.outbound(effect, key, qty, this.givenCost(m, qty, 'lineCost'))
        flow('sales.cogs', cost)
        flow('sales.revenue', lineAmountOr('unitPrice'))
        effect.costLine = { value: cost, qty }
        break
      }
      case 'sales_return': {
        const p = this.stateOf(key)
        const source = this.original(m, 'sales_shipment')
        const now = this.rateOf(p)
        const { L, r } = this.givenCost(m, qty, 'lineCost') ??
          (source && { L: this.round(qty * source.value, source.qty), r: rate(source.value, source.qty) }) ?? { L: this.valueAt(qty, now), r: now }
        this.commit(effect, key, this.inbound(p, qty, L, r), qty, L, r)
        flow('sales.cogs', -L)
        flow('sales.revenue', -lineAmountOr('unitPrice'))
        break
      }
      case 'transfer': {
        const cost = this.outbound(effect, key, qty, undefined)
        const to = pairKey(m.sku!, m.toWarehouse!)
        const r = rate(cost, qty)
        this.commit(effect, to, this.inbound(this.stateOf(to), qty, cost, r), qty, cost, r)
        break
      }
      case 'stocktake': {
        const p = this.stateOf(key)
        const counted = toUnits(m.countedQty ?? NaN, 3, 'countedQty')
        const book = m.bookQty === undefined ? p.q : toUnits(m.bookQty, 3, 'bookQty')
        const dq = counted - book
        const before = this.rateOf(p)
        const q = p.q + dq
        const after = { q, v: this.valueAt(q, before), a: q === 0n && p.q !== 0n ? this.kept(before) : p.a }
        // the server also counts the book value (stock.valueAccuracy): it must stay a figure a double holds
        if (m.bookQty !== undefined) this.see(this.valueAt(book, before))
        const dv = after.v - p.v
        this.commit(effect, key, { after, rv: 0n }, dq, dv, dq === 0n ? ZERO_RATE : rate(dv, dq))
        flow('stock.adjustment', dv)
        break
      }
      case 'cancel':
        this.cancel(m)
        break
      default:
        throw new Error(`${m.id}: movement type ${m.type} is not modelled`)
    }
    const flows = Object.entries(effect.flows) as [ModelFigure, bigint][]
    for (const [figure, mu] of flows) this.totals[figure] += mu
    this.see(...flows.map(([, mu]) => mu), ...Object.values(this.totals))
    this.effects.set(m.id, effect)
  }

  /** an outbound of qty at a given cost, else at the average; returns the cost C */
  private outbound(effect: Effect, key: string, qty: bigint, given: { L: bigint; r: Rate } | undefined): bigint {
    const p = this.stateOf(key)
    if (given) {
      this.commit(effect, key, this.outboundWithCost(p, qty, given.L, given.r), -qty, -given.L, given.r)
      return given.L
    }
    const out = this.outboundAtAverage(p, qty)
    this.commit(effect, key, out, -qty, -out.cost, rate(out.cost, qty))
    return out.cost
  }

  private cancel(m: ModelMovement): void {
    const target = m.cancels === undefined ? undefined : this.effects.get(m.cancels)
    if (!target || target.cancelled || target.type === 'cancel') return
    if (target.batch === this.batchNo) throw new Error(`${m.id}: a cancel must come in a later batch than ${target.id}`)
    for (const pe of target.pairs) {
      const now = this.stateOf(pe.key)
      let outcome: Outcome | undefined
      if (now.q === pe.after.q && now.v === pe.after.v) outcome = { after: { ...pe.before }, rv: -pe.rv }
      else if (pe.dq > 0n) outcome = this.outboundWithCost(now, pe.dq, pe.line, pe.rate)
      else if (pe.dq < 0n) outcome = this.inbound(now, -pe.dq, -pe.line, pe.rate)
      const live = (this.moves.get(pe.key) ?? 0) - 1
      this.moves.set(pe.key, live)
      if (!outcome) continue
      this.pairs.set(pe.key, outcome.after)
      if (live <= 0 && outcome.after.q === 0n && outcome.after.v === 0n) this.pairs.delete(pe.key)
      this.totals['stock.revaluation'] += outcome.rv
      this.see(outcome.after.q, outcome.after.v, outcome.after.v - now.v, outcome.rv)
    }
    for (const [figure, mu] of Object.entries(target.flows) as [ModelFigure, bigint][]) this.totals[figure] -= mu
    target.cancelled = true
  }
}

/**
 * A money figure as the query API shows it: mu rounded to `decimals` places, in currency units.
 * At an exact half the display rounding is not part of the rules, so both neighbours are returned.
 */
export function displayedMoney(mu: bigint, decimals = 2): number[] {
  const unit = 10n ** BigInt(4 - decimals)
  const scale = 10 ** decimals
  const shown = (minor: bigint) => Number(minor) / scale
  const floor = mu >= 0n ? mu / unit : -((-mu + unit - 1n) / unit)
  const rest = mu - floor * unit
  if (rest === 0n) return [shown(floor)]
  if (2n * rest === unit) return [shown(floor), shown(floor + 1n)]
  return [shown(2n * rest < unit ? floor : floor + 1n)]
}

/** A quantity (milli) as the query API shows it. */
export function displayedQty(milli: bigint): number {
  return Number(milli) / 1000
}

// ─── Generated ledgers ────────────────────────────────────────────────────────────────────────
// Random movement sequences over 2 SKUs × 2 warehouses for the model's own properties and for
// the server's: stock going negative, receipts into negative stock, transfers, counts with and
// without a book qty, returns linked to their original, cancels of earlier movements, and every
// quantity, price and amount drawn over the whole accepted range, its limits included.

/** SKUs and warehouses of a generated ledger; tests relabel them per run (see `relabel`). */
export const LEDGER_SKUS = ['A', 'B'] as const
export const LEDGER_WAREHOUSES = ['W1', 'W2'] as const

const KINDS = ['purchase_receipt', 'purchase_return', 'sales_shipment', 'sales_return', 'transfer', 'stocktake', 'cancel'] as const
type Kind = (typeof KINDS)[number]
const KIND_WEIGHTS: Record<Kind, number> = { purchase_receipt: 4, purchase_return: 2, sales_shipment: 4, sales_return: 2, transfer: 2, stocktake: 2, cancel: 2 }

/** mostly everyday figures, often the whole range, sometimes exactly its ends */
const ranged = (everyday: bigint, min: bigint, max: bigint, ...ends: bigint[]) =>
  fc.oneof({ arbitrary: fc.bigInt(min, everyday), weight: 6 }, { arbitrary: fc.bigInt(min, max), weight: 2 }, { arbitrary: fc.constantFrom(min, max, ...ends), weight: 1 })

export const qtyMilliArb = ranged(50_000n, 1n, MODEL_LIMITS.qtyMilli)
export const priceMicroArb = ranged(50_000_000n, 0n, MODEL_LIMITS.priceMicro, 1n)
export const moneyMuArb = ranged(1_000_000_000n, 0n, MODEL_LIMITS.lineMu, 1n)
const countMilliArb = ranged(50_000n, 0n, MODEL_LIMITS.qtyMilli)

/** One step of a ledger before it is resolved against what came before it. */
export interface Draft {
  kind: Kind
  /** 0…3: sku × warehouse */
  pair: number
  /** minutes into the ledger's period */
  minute: number
  qty: bigint
  price: bigint
  cost: bigint
  money: bigint
  money2: bigint
  counted: bigint
  book: bigint | undefined
  /** which cost source an outbound or return uses */
  variant: number
  lineAmount: boolean
  /** picks the `returnOf` original or the cancelled movement among the eligible ones */
  pick: number
}

export const draftArb = (minutes = 3 * 1440): fc.Arbitrary<Draft> =>
  fc.record({
    kind: fc.oneof(...KINDS.map((k) => ({ arbitrary: fc.constant(k), weight: KIND_WEIGHTS[k] }))),
    pair: fc.nat(3),
    minute: fc.nat(minutes - 1),
    qty: qtyMilliArb,
    price: priceMicroArb,
    cost: priceMicroArb,
    money: moneyMuArb,
    money2: moneyMuArb,
    counted: countMilliArb,
    book: fc.option(countMilliArb, { nil: undefined, freq: 2 }),
    variant: fc.nat(3),
    lineAmount: fc.boolean(),
    pick: fc.nat(),
  })

/** the largest price that keeps qty × price within the line limit */
export const limitPrice = (qtyMilli: bigint) => (MODEL_LIMITS.lineMu * LINE_DIVISOR) / qtyMilli
const within = (qtyMilli: bigint, priceMicro: bigint) => (priceMicro > limitPrice(qtyMilli) ? limitPrice(qtyMilli) : priceMicro)

export const qtyOf = (milli: bigint) => Number(milli) / 1000
export const priceOf = (micro: bigint) => Number(micro) / 1e6
export const moneyOf = (mu: bigint) => Number(mu) / 1e4

export interface Ledger {
  movements: ModelMovement[]
  /** the movements split into batches; a cancel always comes in a later batch than its movement */
  batches: ModelMovement[][]
  /** drafts left out because a figure would have gone past `bound` (decision 9) */
  dropped: number
}

export interface LedgerOptions {
  /** occurredAt of a minute into the period */
  time: (minute: number) => string
  /** drafts whose figures would pass this (mu) are left out @default EXACT_MU */
  bound?: bigint
}

/** Turns drafts into movements (ids m0, m1, … in order), dropping those that would pass the bound. */
export function buildLedger(drafts: readonly Draft[], batchSizes: readonly number[], opts: LedgerOptions): Ledger {
  const bound = opts.bound ?? EXACT_MU
  let model = new ValuationModel()
  const movements: ModelMovement[] = []
  const cancelled = new Set<string>()
  let dropped = 0
  drafts.forEach((d, i) => {
    const m = movementOf(d, `m${i}`, movements, cancelled, opts.time)
    if (!m) return
    const trial = model.clone()
    trial.applyBatch([m])
    if (trial.peak > bound) {
      dropped++
      return
    }
    model = trial
    movements.push(m)
    if (m.cancels) cancelled.add(m.cancels)
  })
  return { movements, batches: splitBatches(movements, batchSizes), dropped }
}

function movementOf(d: Draft, id: string, earlier: readonly ModelMovement[], cancelled: ReadonlySet<string>, time: (minute: number) => string): ModelMovement | undefined {
  const sku = LEDGER_SKUS[d.pair >> 1]!
  const warehouse = LEDGER_WAREHOUSES[d.pair & 1]!
  const occurredAt = time(d.minute)
  const qty = qtyOf(d.qty)
  const unitPrice = priceOf(within(d.qty, d.price))
  const unitCost = priceOf(within(d.qty, d.cost))
  const base = { id, occurredAt, sku, warehouse }
  const revenue = d.lineAmount ? { lineAmount: moneyOf(d.money2) } : {}
  /** an earlier, not cancelled movement of this type and pair, or an id that names none */
  const original = (type: string) => {
    const eligible = earlier.filter((m) => m.type === type && m.sku === sku && m.warehouse === warehouse && !cancelled.has(m.id))
    return eligible.length ? eligible[d.pick % eligible.length]!.id : `${id}-nothing`
  }
  switch (d.kind) {
    case 'purchase_receipt':
      return { ...base, type: d.kind, qty, unitCost, ...(d.lineAmount ? { lineAmount: moneyOf(d.money) } : {}) }
    case 'purchase_return': {
      const cost = [{}, { unitCost }, { unitCost, lineAmount: moneyOf(d.money) }, { returnOf: original('purchase_receipt') }][d.variant]
      return { ...base, type: d.kind, qty, ...cost }
    }
    case 'sales_shipment': {
      const cost = [{}, { unitCost }, { lineCost: moneyOf(d.money) }, { unitCost, lineCost: moneyOf(d.money) }][d.variant]
      return { ...base, type: d.kind, qty, unitPrice, ...revenue, ...cost }
    }
    case 'sales_return': {
      const cost = [{}, { unitCost }, { lineCost: moneyOf(d.money) }, { returnOf: original('sales_shipment') }][d.variant]
      return { ...base, type: d.kind, qty, unitPrice, ...revenue, ...cost }
    }
    case 'transfer':
      return { ...base, type: d.kind, qty, toWarehouse: LEDGER_WAREHOUSES[1 - (d.pair & 1)]! }
    case 'stocktake':
      return { ...base, type: d.kind, countedQty: qtyOf(d.counted), ...(d.book === undefined ? {} : { bookQty: qtyOf(d.book) }) }
    case 'cancel': {
      const eligible = earlier.filter((m) => m.type !== 'cancel' && !cancelled.has(m.id))
      if (!eligible.length) return undefined
      return { id, occurredAt, type: 'cancel', cancels: eligible[d.pick % eligible.length]!.id }
    }
  }
}

/** Cuts the movements into batches of the given sizes (cycled), cutting early so a cancel follows its movement's batch. */
export function splitBatches(movements: readonly ModelMovement[], sizes: readonly number[]): ModelMovement[][] {
  const batches: ModelMovement[][] = []
  let current: ModelMovement[] = []
  let size = sizes[0] ?? 1
  for (const m of movements) {
    const sameBatch = m.cancels !== undefined && current.some((c) => c.id === m.cancels)
    if (current.length > 0 && (current.length >= size || sameBatch)) {
      batches.push(current)
      current = []
      size = sizes[batches.length % Math.max(1, sizes.length)] ?? 1
    }
    current.push(m)
  }
  if (current.length) batches.push(current)
  return batches
}

export const ledgerArb = (opts: LedgerOptions & { maxLength?: number; minutes?: number }): fc.Arbitrary<Ledger> =>
  fc
    .tuple(
      fc.array(draftArb(opts.minutes), { minLength: 1, maxLength: opts.maxLength ?? 40, size: 'max' }),
      fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 8 }),
    )
    .map(([drafts, sizes]) => buildLedger(drafts, sizes, opts))

/** Renames ids (and the ids movements refer to) and SKU codes, so each run has its own. */
export function relabel(movements: readonly ModelMovement[], tag: string): ModelMovement[] {
  const id = (x: string | undefined) => (x === undefined ? undefined : `${tag}:${x}`)
  return movements.map((m) => {
    const out: ModelMovement = { ...m, id: `${tag}:${m.id}` }
    if (m.sku !== undefined) out.sku = `${tag}${m.sku}`
    if (m.cancels !== undefined) out.cancels = id(m.cancels)
    if (m.returnOf !== undefined) out.returnOf = id(m.returnOf)
    return out
  })
}
