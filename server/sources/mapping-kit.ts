/**
 * Small pure helpers the ready-made ERP mappings share (server/sources/odoo.ts, jsherp.ts):
 * reading driver values, rounding to what a movement keeps, ERP timestamps to RFC 3339, codes.
 *
 * Drivers differ in what they return: `pg` gives `numeric` and `int8` as strings, `mysql2` gives
 * DECIMAL as strings and BIGINT as numbers. Both turn timestamp columns into JS `Date`s read in
 * the Node process's zone, which is wrong for ERP columns stored without an offset; so every page
 * query selects its timestamps as text (`to_char` / `DATE_FORMAT`) and these helpers read text.
 */
import { CODE_PATTERN, ID_PATTERN, MAX_CODE_LENGTH, MAX_ID_LENGTH } from '../../protocol/codes.ts'
import { LIMITS } from '../../protocol/movement.ts'
import type { Movement } from '../../protocol/movement.ts'
import { createCalendar } from '../domain/time.ts'
import type { BusinessCalendar } from '../domain/time.ts'
import type { RowResult } from './mapping.ts'

/** A number from a driver value (number, numeric string, bigint); undefined for null, '' or garbage. */
export function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined
  if (typeof v === 'bigint') return Number(v)
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v)
    return Number.isFinite(n) ? n : undefined
  }
  return undefined
}

/** Text of a driver value; undefined for null/undefined and blank strings. */
export function text(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined
  const s = typeof v === 'string' ? v : String(v as number)
  return s.trim() === '' ? undefined : s
}

/** Rounds half away from zero to `decimals` (decimal-safe for the magnitudes a movement allows). */
export function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals
  const r = Math.round(Math.abs(value) * f + 1e-9) / f
  return value < 0 ? -r : r
}

export const roundQty = (v: number) => roundTo(v, LIMITS.qtyDecimals)
export const roundPrice = (v: number) => roundTo(v, LIMITS.priceDecimals)
export const roundMoney = (v: number) => roundTo(v, LIMITS.amountDecimals)

const calendars = new Map<string, BusinessCalendar>()
/** One calendar per zone (a memo: the mapping stays pure, the zone comes from the context). */
export function calendarOf(tz: string): BusinessCalendar {
  let cal = calendars.get(tz)
  if (!cal) {
    cal = createCalendar(tz)
    calendars.set(tz, cal)
  }
  return cal
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(Z)?$/

/**
 * An ERP timestamp as an instant. `YYYY-MM-DD[ HH:MM[:SS[.fff]]]` without an offset is a wall
 * time in `zone` ('UTC' for Odoo, which stores UTC; the business zone for jshERP, which stores
 * the server's local time); a trailing `Z` is UTC whatever the zone. Undefined when unreadable.
 */
export function instantOf(value: unknown, zone: string): number | undefined {
  const s = text(value)
  const m = s === undefined ? null : DATE_TIME.exec(s.trim())
  if (!m) return undefined
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number]
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined
  if (m[8] || zone === 'UTC') return Date.UTC(year, month - 1, day, hour, minute, second, ms)
  // fromLocal works in minutes: add seconds and milliseconds after
  return calendarOf(zone).fromLocal({ year, month, day, hour, minute }) + second * 1000 + ms
}

/** RFC 3339 of an ERP timestamp, with the business zone's offset; undefined when unreadable. */
export function rfc3339(value: unknown, zone: string, tz: string): string | undefined {
  const at = instantOf(value, zone)
  return at === undefined ? undefined : calendarOf(tz).format(at)
}

/** The business date (YYYY-MM-DD in `tz`) of an instant. */
export function businessDateOf(at: number, tz: string): string {
  const p = calendarOf(tz).local(at)
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`
}

const codeRe = new RegExp(CODE_PATTERN, 'u')
const idRe = new RegExp(ID_PATTERN, 'u')

/** A cockpit code (sku, warehouse, partner…) from an ERP value, with the source's prefix; undefined when it cannot be one. */
export function codeOf(prefix: string, raw: unknown): string | undefined {
  const s = text(raw)?.trim()
  if (s === undefined) return undefined
  const c = `${prefix}${s}`
  return c.length <= MAX_CODE_LENGTH && codeRe.test(c) ? c : undefined
}

/** A movement id (or `ref`) with the source's prefix; undefined when it cannot be one. */
export function idOf(prefix: string, raw: string): string | undefined {
  const c = `${prefix}${raw}`
  return c.length <= MAX_ID_LENGTH && idRe.test(c) ? c : undefined
}

/** The id of the cancel that reverses movement `id`: stable, so re-reading a cancelled row is a duplicate. */
export const cancelIdOf = (id: string) => `${id}:x`

/** The row's movements are cancelled: one `cancel` of each id. */
export function cancelsOf(ids: readonly string[], occurredAt: string): RowResult {
  return { movements: ids.map((id): Movement => ({ type: 'cancel', id: cancelIdOf(id), occurredAt, cancels: id })) }
}

/**
 * A stock change the cockpit has no trade type for (an inventory adjustment, scrap, production,
 * jshERP 其它入库/出库, 组装/拆卸, 盘点复盘): a `stocktake` whose `bookQty` and `countedQty` differ by
 * exactly the change, so the cockpit books delta = countedQty − bookQty = `signedQty` (the ERPs
 * keep only the difference on the document, not the book qty at count time; docs/connectors.md).
 */
export function adjustmentOf(base: { id: string; occurredAt: string; sku: string; warehouse: string }, signedQty: number): Movement {
  const q = roundQty(Math.abs(signedQty))
  return signedQty >= 0 ? { type: 'stocktake', ...base, bookQty: 0, countedQty: q } : { type: 'stocktake', ...base, bookQty: q, countedQty: 0 }
}

/** Keeps only the keys whose value is defined (movements refuse unknown and undefined-valued keys alike in JSON). */
export function defined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k]
  return o
}

/** The `modified` text of a watermark for a UTC instant: RFC 3339, UTC, milliseconds. */
export const watermarkTime = (at: number) => new Date(at).toISOString()
