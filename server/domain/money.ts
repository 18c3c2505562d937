/**
 * Exact numbers. Quantities are kept as integer thousandths of the stock unit, unit prices and
 * costs as integer millionths of the base currency, money totals as integer ten-thousandths
 * ("money units"). Sums of integers never drift; rounding happens once per line, half away from
 * zero, as ERP line amounts do.
 */

export const QTY_SCALE = 1_000
export const PRICE_SCALE = 1_000_000
export const MONEY_SCALE = 10_000
/** qty (1e-3) × price (1e-6) = 1e-9; money is 1e-4: divide by 1e5 */
const LINE_DIVISOR = (QTY_SCALE * PRICE_SCALE) / MONEY_SCALE
const LINE_DIVISOR_N = BigInt(LINE_DIVISOR)

/** Scales a decimal to an integer; undefined when it has more decimals than the scale keeps. */
export function toScaled(value: number, scale: number): number | undefined {
  const scaled = value * scale
  const rounded = Math.round(scaled)
  // decimal inputs like 19.99 are not exact in binary: accept what is within float noise
  if (Math.abs(scaled - rounded) > Math.max(1e-6, Math.abs(scaled) * 1e-14)) return undefined
  return rounded
}

/** a / b for integers, rounded half away from zero. */
export function divRound(a: number, b: number): number {
  const q = a / b
  return q >= 0 ? Math.floor(q + 0.5) : -Math.floor(-q + 0.5)
}

function divRoundBig(a: bigint, b: bigint): bigint {
  const neg = a < 0n !== b < 0n
  const aa = a < 0n ? -a : a
  const bb = b < 0n ? -b : b
  const r = (aa * 2n + bb) / (bb * 2n)
  return neg ? -r : r
}

/** Money units of qty × unit price, exact (BigInt when the product leaves the safe range). */
export function lineAmount(qtyMilli: number, priceMicro: number): number {
  const product = qtyMilli * priceMicro
  if (Number.isSafeInteger(product)) return divRound(product, LINE_DIVISOR)
  return Number(divRoundBig(BigInt(qtyMilli) * BigInt(priceMicro), LINE_DIVISOR_N))
}

/** Money units → decimal number of the base currency, rounded to the cent for display. */
export function moneyOut(units: number | bigint): number {
  const n = typeof units === 'bigint' ? units : BigInt(Math.round(units))
  const cents = divRoundBig(n, BigInt(MONEY_SCALE / 100))
  return Number(cents) / 100
}

/** Thousandths → decimal quantity. */
export function qtyOut(milli: number | bigint): number {
  return Number(milli) / QTY_SCALE
}
