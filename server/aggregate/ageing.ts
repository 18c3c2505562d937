/**
 * Stock ageing (库龄) and slow-moving stock (呆滞): the codec of
 * the per-pair FIFO layers the apply script keeps (`lv:layers`, server/redis/scripts/apply-batch.lua
 * "Stock ageing"), and the rules that turn them into age buckets (docs/metrics.md "Stock ageing").
 */
import type { BusinessCalendar } from '../domain/time.ts'

/** The offset of the business zone from UTC at an instant, seconds (the script dates legacy stock with it). */
export function zoneOffsetSeconds(calendar: BusinessCalendar, at: number): number {
  return calendar.offsetMinutes(at) * 60
}

/** One pair's layers as stored: qty in 1e-3 (bigint: exact at any size). */
export interface PairLayers {
  /** qty issued beyond the layers (negative stock), ≥ 0 */
  deficit: bigint
  /** receipt layers, oldest first: [business day, qty > 0] */
  layers: [day: number, qty: bigint][]
  /** outbound movements per business day, oldest first (the latest few kept) */
  outDays: [day: number, count: number][]
}

/** Parses a `lv:layers` value (`deficit|day:qty,…|day:count,…`). */
export function parseLayers(raw: string): PairLayers {
  const [d = '0', l = '', o = ''] = raw.split('|')
  const pairs = (s: string) => (s === '' ? [] : s.split(',').map((x) => x.split(':') as [string, string]))
  return {
    deficit: BigInt(d),
    layers: pairs(l).map(([day, q]) => [Number(day), BigInt(q)]),
    outDays: pairs(o).map(([day, n]) => [Number(day), Number(n)]),
  }
}

/** Upper bounds (inclusive, days) of the age buckets; the last bucket is everything older. */
export const AGE_BUCKET_LIMITS = [30, 60, 90, 180] as const
/** Bucket keys, youngest first: `0-30`, `31-60`, `61-90`, `91-180`, `181+`. */
export const AGE_BUCKETS = ['0-30', '31-60', '61-90', '91-180', '181+'] as const
export type AgeBucket = (typeof AGE_BUCKETS)[number]

/** The bucket of an age in days (ERPNext get_range_age: `age <= range` picks the first range). A layer dated after today is 0 days old. */
export function bucketOf(age: number): number {
  const a = Math.max(0, age)
  for (let j = 0; j < AGE_BUCKET_LIMITS.length; j++) if (a <= AGE_BUCKET_LIMITS[j]!) return j
  return AGE_BUCKET_LIMITS.length
}

/**
 * Splits `value` (money units, a multiple of `step`) over buckets in proportion to their qty, so
 * that the parts are multiples of `step` and sum to `value` exactly: each part is rounded down,
 * and the steps left over go to the largest remainders (ties: the older bucket) — Hamilton's
 * method, the usual way to make rounded shares add up.
 */
export function allocateValue(value: bigint, qty: readonly bigint[], step: bigint): bigint[] {
  const total = qty.reduce((a, b) => a + b, 0n)
  if (total <= 0n) return qty.map(() => 0n)
  const negative = value < 0n
  const units = (negative ? -value : value) / step
  const parts = qty.map((q) => (units * q) / total)
  const rest = qty.map((q, j) => ({ j, r: (units * q) % total }))
  let left = units - parts.reduce((a, b) => a + b, 0n)
  rest.sort((a, b) => (a.r === b.r ? b.j - a.j : a.r > b.r ? -1 : 1))
  for (const { j } of rest) {
    if (left <= 0n) break
    parts[j] = parts[j]! + 1n
    left--
  }
  return parts.map((p) => (negative ? -p : p) * step)
}
