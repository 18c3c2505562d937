/**
 * ERP timestamps without an offset (ERPNext's `modified`, `posting_date` + `posting_time`, jshERP's
 * `oper_time`) are wall-clock times of the ERP's zone, which the source takes to be COCKPIT_TZ.
 * These helpers turn them into instants and back, keeping the ERP's fraction of a second
 * (microseconds on MariaDB `datetime(6)`) so a watermark names the exact row it stopped at.
 */
import { calendarOf } from './mapping-kit.ts'

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$/
const UTC = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** epoch ms of a local wall-clock `YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]` in `tz`, and its fraction digits; undefined when it is not one */
function parseLocal(text: string, tz: string): { ms: number; fraction: string } | undefined {
  const m = LOCAL.exec(text.trim())
  if (!m) return undefined
  const [, y, mo, d, h = '0', mi = '0', s = '0', f = ''] = m
  const base = calendarOf(tz).fromLocal({ year: +y!, month: +mo!, day: +d!, hour: +h, minute: +mi })
  const fraction = f.padEnd(3, '0')
  return { ms: base + +s * 1000 + Number(fraction.slice(0, 3)), fraction: f }
}

/** `2026-12-06 09:30:00.123456` (local in tz) → `2026-12-06T01:30:00.123456Z`; undefined when unreadable */
export function localToUtc(text: string, tz: string): string | undefined {
  const p = parseLocal(text, tz)
  if (!p || Number.isNaN(p.ms)) return undefined
  const iso = new Date(p.ms).toISOString() // …T01:30:00.123Z
  const digits = p.fraction.length > 3 ? p.fraction : iso.slice(20, 23)
  return `${iso.slice(0, 19)}.${digits}Z`
}

/** `2026-12-06T01:30:00.123456Z` → `2026-12-06 09:30:00.123456` (local in tz), for a query parameter */
export function utcToLocal(iso: string, tz: string): string {
  const m = UTC.exec(iso)
  if (!m) throw new Error(`"${iso}" is not an RFC 3339 UTC time`)
  const ms = Date.parse(`${m[1]}Z`)
  const p = calendarOf(tz).local(ms)
  const seconds = new Date(ms).getUTCSeconds()
  const fraction = m[2] ?? '000'
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}:${pad(seconds)}.${fraction}`
}

/** RFC 3339 with the zone's offset of a local date (and time) in tz; undefined when unreadable */
export function localToRfc3339(date: string, time: string | null | undefined, tz: string): string | undefined {
  const p = parseLocal(time ? `${date} ${time}` : date, tz)
  if (!p || Number.isNaN(p.ms)) return undefined
  return calendarOf(tz).format(p.ms)
}

/** epoch ms of an RFC 3339 UTC watermark time (microseconds dropped) */
export function utcMs(iso: string): number {
  return Date.parse(iso)
}
