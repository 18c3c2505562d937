/**
 * Exact numbers. Quantities are kept as integer thousandths of the stock unit, unit prices and
 * costs as integer millionths of the base currency, money as integer ten-thousandths ("money
 * units"). Every line's money is rounded once, to the currency's minor unit (docs/metrics.md
 * "Rounding"), as ERP line amounts are; totals are sums of rounded lines, so they never drift.
 */

export const QTY_SCALE = 1_000
export const PRICE_SCALE = 1_000_000
export const MONEY_SCALE = 10_000
/** a cent in money units: what query results show */
const CENT = MONEY_SCALE / 100
/** qty (1e-3) × price (1e-6) = 1e-9; money is 1e-4: divide by 1e5 */
export const LINE_DIVISOR = (QTY_SCALE * PRICE_SCALE) / MONEY_SCALE

export type RoundingMode = 'half-away' | 'half-even'

/** How line money is rounded: to `decimals` of the currency, ties away from zero or to even. */
export interface MoneyRules {
  /** decimals of the currency's minor unit, 0–4 @default 2 (COCKPIT_MONEY_DECIMALS) */
  decimals: number
  /** @default 'half-away' (COCKPIT_MONEY_ROUNDING) */
  rounding: RoundingMode
}

export const DEFAULT_MONEY: MoneyRules = { decimals: 2, rounding: 'half-away' }

/** The minor unit in money units: 100 for cents. */
export function moneyStep(rules: MoneyRules): number {
  return 10 ** (4 - rules.decimals)
}

/** Scales a decimal to an integer; undefined when it has more decimals than the scale keeps. */
export function toScaled(value: number, scale: number): number | undefined {
  const scaled = value * scale
  const rounded = Math.round(scaled)
  // decimal inputs like 19.99 are not exact in binary: accept what is within float noise
  if (Math.abs(scaled - rounded) > Math.max(1e-6, Math.abs(scaled) * 1e-14)) return undefined
  return rounded
}

/** a / b for integers (b ≠ 0), rounded to an integer: ties away from zero, or to even. */
export function divRoundBig(a: bigint, b: bigint, mode: RoundingMode = 'half-away'): bigint {
  const neg = a < 0n !== b < 0n
  const aa = a < 0n ? -a : a
  const bb = b < 0n ? -b : b
  let q = aa / bb
  const twice = (aa - q * bb) * 2n
  if (twice > bb || (twice === bb && (mode === 'half-away' || q % 2n === 1n))) q += 1n
  return neg ? -q : q
}

/** The rational num / den of money units, rounded to the minor unit (exact, any size). */
export function roundMoneyBig(num: bigint, den: bigint, rules: MoneyRules): bigint {
  const step = BigInt(moneyStep(rules))
  return divRoundBig(num, den * step, rules.rounding) * step
}

/**
 * Money units of qty × unit price, rounded once to the minor unit. The validator keeps every
 * line inside LIMITS.lineAmount, so the result is a safe integer.
 */
export function lineMoney(qtyMilli: number, priceMicro: number, rules: MoneyRules): number {
  return Number(roundMoneyBig(BigInt(qtyMilli) * BigInt(priceMicro), BigInt(LINE_DIVISOR), rules))
}

/** An amount in money units (a payment, an ERP's own line amount), rounded to the minor unit. */
export function roundMoney(units: number, rules: MoneyRules): number {
  const step = moneyStep(rules)
  if (units % step === 0) return units
  return Number(roundMoneyBig(BigInt(units), 1n, rules))
}

/**
 * Money units (a number, a decimal integer string or a bigint) → decimal number of the base
 * currency, rounded half away from zero to the cent: a report shows the cent even where an
 * ERP's own line amount carried more decimals.
 */
export function moneyOut(units: number | bigint | string): number {
  if (typeof units === 'number' && Number.isSafeInteger(units) && units % CENT === 0) return units / MONEY_SCALE
  const n = typeof units === 'number' ? BigInt(Math.round(units)) : BigInt(units)
  const cents = divRoundBig(n, BigInt(CENT))
  if (cents <= BigInt(Number.MAX_SAFE_INTEGER) && cents >= -BigInt(Number.MAX_SAFE_INTEGER)) return Number(cents) / 100
  const whole = cents / 100n
  return Number(whole) + Number(cents - whole * 100n) / 100
}

/** Thousandths → decimal quantity. */
export function qtyOut(milli: number | bigint | string): number {
  if (typeof milli === 'number' && Number.isSafeInteger(milli)) return milli / QTY_SCALE
  const n = typeof milli === 'number' ? BigInt(Math.round(milli)) : BigInt(milli)
  const whole = n / BigInt(QTY_SCALE)
  return Number(whole) + Number(n - whole * BigInt(QTY_SCALE)) / QTY_SCALE
}
