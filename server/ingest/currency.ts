/**
 * Conversion of movements in another currency to the base currency, at ingest (docs/api.md "Exchange rates").
 *
 * A rate is kept as an exact integer: base-currency units per foreign unit × 1e10
 * (`RATE_SCALE`). Converting a figure multiplies its integer (unit price/cost in 1e-6, amount
 * in 1e-4, see domain/money.ts) by the rate in BigInt and divides by 1e10, rounding once, half
 * away from zero, at the figure's own scale: unit prices and costs to 1e-6 of the base currency,
 * amounts to 1e-4. Line amounts are then computed from the converted unit price as for any
 * movement, so a line in USD is rounded exactly once more (to 1e-4), like a base-currency line.
 *
 * The rate used is the one in force on the movement's business date (occurredAt in the business
 * time zone): the record of that currency with the latest `from` ≤ that date.
 */
import { Compile } from 'typebox/compile'
import { FX_LIMITS, FxRate } from '../../protocol/fx.ts'
import { LIMITS } from '../../protocol/movement.ts'
import type { FieldError, RejectedMovement } from '../../protocol/movement.ts'
import { PRICE_SCALE, roundMoneyBig, toScaled } from '../domain/money.ts'
import type { MoneyRules } from '../domain/money.ts'
import type { BusinessCalendar } from '../domain/time.ts'
import { businessDate } from '../domain/time.ts'
import { LINE_MAX, lineErrors } from './validate.ts'
import type { NormalizedMovement } from './validate.ts'

/** Rates are integers: base units per foreign unit × 1e10. */
export const RATE_SCALE = 10 ** FX_LIMITS.rateDecimals
const RATE_SCALE_N = BigInt(RATE_SCALE)

/** One stored rate: from business date `from` on, `rate` (× RATE_SCALE). */
export interface ScaledRate {
  currency: string
  from: string
  rate: number
}

/** Rates by currency, each list sorted by `from` ascending. */
export type RateTable = ReadonlyMap<string, readonly ScaledRate[]>

export function buildRateTable(records: Iterable<ScaledRate>): RateTable {
  const table = new Map<string, ScaledRate[]>()
  for (const r of records) {
    let list = table.get(r.currency)
    if (!list) table.set(r.currency, (list = []))
    list.push(r)
  }
  for (const list of table.values()) list.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0))
  return table
}

/** The rate in force on a business date (YYYY-MM-DD): the latest record with from ≤ date. */
export function rateOn(table: RateTable, currency: string, date: string): ScaledRate | undefined {
  const list = table.get(currency)
  if (!list || list.length === 0 || list[0]!.from > date) return undefined
  let lo = 0
  let hi = list.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (list[mid]!.from <= date) lo = mid
    else hi = mid - 1
  }
  return list[lo]
}

/** value × rate / RATE_SCALE, exact, rounded half away from zero (value and result at the same scale). */
export function convertScaled(value: number, rate: number): number {
  const p = BigInt(value) * BigInt(rate)
  const neg = p < 0n
  const a = neg ? -p : p
  const q = (a * 2n + RATE_SCALE_N) / (RATE_SCALE_N * 2n)
  return Number(neg ? -q : q)
}

/** Scaled rate → the decimal the API shows. */
export function rateOut(scaled: number): number {
  return scaled / RATE_SCALE
}

const checkRate = Compile(FxRate)

function realDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s
}

export interface RateValidation {
  rates: ScaledRate[]
  /** paths are /<index>/<field> */
  errors: FieldError[]
}

/** Validates rate records (API body or configuration) and scales them. */
export function validateRates(records: readonly unknown[], baseCurrency: string): RateValidation {
  const rates: ScaledRate[] = []
  const errors: FieldError[] = []
  records.forEach((value, i) => {
    if (!checkRate.Check(value)) {
      for (const e of checkRate.Errors(value)) {
        if (e.keyword === 'boolean') continue
        if (e.keyword === 'required') {
          for (const name of (e.params as { requiredProperties?: string[] }).requiredProperties ?? []) errors.push({ path: `/${i}/${name}`, message: 'is required' })
          continue
        }
        errors.push({ path: `/${i}${e.instancePath}`, message: e.keyword === 'additionalProperties' ? 'has a field that is not currency, from or rate' : e.message })
      }
      return
    }
    const r = value as FxRate
    const before = errors.length
    if (r.currency === baseCurrency) errors.push({ path: `/${i}/currency`, message: `is the base currency ${baseCurrency}: its rate is always 1` })
    if (!realDate(r.from)) errors.push({ path: `/${i}/from`, message: 'is not a real date' })
    const scaled = toScaled(r.rate, RATE_SCALE)
    if (scaled === undefined || scaled <= 0) errors.push({ path: `/${i}/rate`, message: `must be > 0 with at most ${FX_LIMITS.rateDecimals} decimal places` })
    if (errors.length === before) rates.push({ currency: r.currency, from: r.from, rate: scaled! })
  })
  return { rates, errors }
}

/**
 * Parses `COCKPIT_FX_RATES`: comma-separated `CUR:YYYY-MM-DD:rate`, e.g.
 * `USD:2026-01-01:7.12,EUR:2026-01-01:7.81`. Throws an Error naming the bad entry.
 */
export function parseRateList(text: string, baseCurrency: string): ScaledRate[] {
  const entries = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const records = entries.map((entry) => {
    const parts = entry.split(':')
    if (parts.length !== 3 || parts[2]!.trim() === '') throw new Error(`"${entry}" is not CUR:YYYY-MM-DD:rate`)
    const rate = Number(parts[2])
    return { currency: parts[0]!.trim(), from: parts[1]!.trim(), rate }
  })
  const { rates, errors } = validateRates(records, baseCurrency)
  if (errors.length > 0) {
    const e = errors[0]!
    const index = Number(e.path.split('/')[1])
    throw new Error(`"${entries[index]}": ${e.path.split('/').slice(2).join('/')} ${e.message}`)
  }
  return rates
}

export interface ConvertOptions {
  baseCurrency: string
  calendar: BusinessCalendar
  /** amounts convert straight to the minor unit: rounded once */
  money: MoneyRules
}

/** Money units of a foreign amount converted at `rate`, rounded once to the minor unit. */
export function convertAmount(value: number, rate: number, money: MoneyRules): number {
  return Number(roundMoneyBig(BigInt(value) * BigInt(rate), RATE_SCALE_N, money))
}

export interface BatchConversion {
  /** every movement of the input that converted, figures in the base currency (others unchanged) */
  movements: NormalizedMovement[]
  rejected: RejectedMovement[]
}

/** Currencies other than the base one that a batch uses (empty for most batches). */
export function foreignCurrencies(movements: readonly NormalizedMovement[], baseCurrency: string): Set<string> {
  const out = new Set<string>()
  for (const n of movements) {
    const c = (n.m as { currency?: string }).currency
    if (c !== undefined && c !== baseCurrency) out.add(c)
  }
  return out
}

const PRICE_MAX = LIMITS.price * PRICE_SCALE

/**
 * Converts every movement in another currency with the rate of its business date. A movement
 * whose currency has no rate on that date (or whose converted figures leave the limits) is
 * rejected, naming /currency (or the figure).
 */
export function convertBatch(movements: readonly NormalizedMovement[], table: RateTable, opts: ConvertOptions): BatchConversion {
  const out: NormalizedMovement[] = []
  const rejected: RejectedMovement[] = []
  for (const n of movements) {
    const currency = (n.m as { currency?: string }).currency
    if (currency === undefined || currency === opts.baseCurrency) {
      out.push(n)
      continue
    }
    const date = businessDate(opts.calendar, n.at)
    const rate = rateOn(table, currency, date)
    if (!rate) {
      const first = table.get(currency)?.[0]?.from
      const message = first
        ? `no exchange rate ${currency}→${opts.baseCurrency} for ${date} (the business date of occurredAt): rates start ${first}`
        : `unknown currency ${currency}: no exchange rate to ${opts.baseCurrency} is configured`
      rejected.push({ index: n.index, id: n.m.id, errors: [{ path: '/currency', message }] })
      continue
    }
    const errors: FieldError[] = []
    const price = n.price === undefined ? undefined : convertScaled(n.price, rate.rate)
    const cost = n.cost === undefined ? undefined : convertScaled(n.cost, rate.rate)
    const money = (v: number | undefined) => (v === undefined ? undefined : convertAmount(v, rate.rate, opts.money))
    const amount = money(n.amount)
    const lineAmount = money(n.lineAmount)
    const lineCost = money(n.lineCost)
    const after = ` ${opts.baseCurrency} after conversion at ${rateOut(rate.rate)}`
    const tooLarge = (path: string, limit: number) => errors.push({ path, message: `is more than ${limit}${after}` })
    if (price !== undefined && price > PRICE_MAX) tooLarge('/unitPrice', LIMITS.price)
    if (cost !== undefined && cost > PRICE_MAX) tooLarge('/unitCost', LIMITS.price)
    if (amount !== undefined && amount > LINE_MAX) tooLarge('/amount', LIMITS.lineAmount)
    if (lineAmount !== undefined && lineAmount > LINE_MAX) tooLarge('/lineAmount', LIMITS.lineAmount)
    if (lineCost !== undefined && lineCost > LINE_MAX) tooLarge('/lineCost', LIMITS.lineAmount)
    if (errors.length === 0) lineErrors(n.qty, price, '/unitPrice', errors, after)
    if (errors.length === 0) lineErrors(n.qty, cost, '/unitCost', errors, after)
    if (errors.length > 0) {
      rejected.push({ index: n.index, id: n.m.id, errors })
      continue
    }
    const converted: NormalizedMovement = { ...n, price, cost, amount }
    out.push(n.lineAmount === undefined && n.lineCost === undefined ? converted : { ...converted, lineAmount, lineCost })
  }
  return { movements: out, rejected }
}
