/**
 * Calendar maths in the business time zone: which minute/hour/day/month/year bucket an instant
 * falls in, where a bucket starts and ends, and how to tile a period with the fewest buckets.
 * Pure functions (plus memo caches); DST-safe because offsets are looked up per instant.
 */

/**
 * Time resolutions of counters, finest first; `now` holds running levels (stock on hand). Years
 * are pre-summed buckets for long periods: four years read 4 buckets, not 48 months or 1,461 days
 * (docs/architecture.md "Reading long periods"); they are not a query interval.
 */
export type Resolution = 'minute' | 'hour' | 'day' | 'month' | 'year'
export const RESOLUTIONS: readonly Resolution[] = ['minute', 'hour', 'day', 'month', 'year']

export interface LocalParts {
  year: number
  month: number // 1..12
  day: number
  hour: number
  minute: number
}

export interface BucketIds {
  minute: string
  hour: string
  day: string
  month: string
  year: string
}

const MINUTE = 60_000
const OFFSET_SLOT = 15 * MINUTE // every real zone changes offset on a quarter hour

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n))
/** `M/D/Y, HH:mm:ss` (en-US, h23) — anything else (an era, a sign) falls back to formatToParts */
const WALL_CLOCK = /^(\d{1,2})\/(\d{1,2})\/(\d{1,6}), (\d{2}):(\d{2}):(\d{2})$/

export interface BusinessCalendar {
  readonly timeZone: string
  /** offset of the zone from UTC at an instant, in minutes */
  offsetMinutes(epochMs: number): number
  local(epochMs: number): LocalParts
  /** the bucket ids (YYYYMMDDHHmm, YYYYMMDDHH, YYYYMMDD, YYYYMM, YYYY) an instant falls in */
  buckets(epochMs: number): BucketIds
  /** instant of a local wall-clock time (the earlier instant when ambiguous) */
  fromLocal(p: LocalParts): number
  /** start (inclusive) of the bucket containing an instant */
  startOf(res: Resolution, epochMs: number): number
  /** start of the next bucket after the one containing an instant */
  nextStart(res: Resolution, epochMs: number): number
  /** bucket id of the bucket containing an instant */
  bucketId(res: Resolution, epochMs: number): string
  /** RFC 3339 of an instant with the zone's offset, e.g. 2026-11-25T08:00:00+08:00 */
  format(epochMs: number): string
}

export function createCalendar(timeZone: string): BusinessCalendar {
  const dtf = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  })
  const offsetCache = new Map<number, number>()
  const bucketCache = new Map<number, BucketIds>()

  /**
   * The wall clock at an instant as if it were UTC. `format` is several times faster than
   * `formatToParts` (which a walk over years of day buckets would call tens of thousands of
   * times) and is the same parts joined: en-US numeric gives `M/D/Y, HH:mm:ss`.
   */
  function wallAsUtc(at: number): number {
    const m = WALL_CLOCK.exec(dtf.format(at))
    if (m) return Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2]), Number(m[4]), Number(m[5]), Number(m[6]))
    const f: Record<string, number> = {}
    for (const part of dtf.formatToParts(new Date(at))) {
      if (part.type !== 'literal') f[part.type] = Number(part.value)
    }
    return Date.UTC(f.year!, f.month! - 1, f.day!, f.hour!, f.minute!, f.second!)
  }

  function offsetMinutes(epochMs: number): number {
    const slot = Math.floor(epochMs / OFFSET_SLOT)
    let off = offsetCache.get(slot)
    if (off === undefined) {
      const at = slot * OFFSET_SLOT
      off = Math.round((wallAsUtc(at) - at) / MINUTE)
      if (offsetCache.size > 100_000) offsetCache.clear()
      offsetCache.set(slot, off)
    }
    return off
  }

  function local(epochMs: number): LocalParts {
    const d = new Date(epochMs + offsetMinutes(epochMs) * MINUTE)
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes() }
  }

  function buckets(epochMs: number): BucketIds {
    const minuteSlot = Math.floor(epochMs / MINUTE)
    let ids = bucketCache.get(minuteSlot)
    if (ids === undefined) {
      const p = local(epochMs)
      const year = String(p.year)
      const month = `${year}${pad2(p.month)}`
      const day = `${month}${pad2(p.day)}`
      const hour = `${day}${pad2(p.hour)}`
      ids = { year, month, day, hour, minute: `${hour}${pad2(p.minute)}` }
      if (bucketCache.size > 50_000) bucketCache.clear()
      bucketCache.set(minuteSlot, ids)
    }
    return ids
  }

  function fromLocal(p: LocalParts): number {
    const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute)
    // two passes settle the offset across a DST change
    let t = wall - offsetMinutes(wall) * MINUTE
    t = wall - offsetMinutes(t) * MINUTE
    return t
  }

  function startOf(res: Resolution, epochMs: number): number {
    const p = local(epochMs)
    switch (res) {
      case 'minute':
        return Math.floor(epochMs / MINUTE) * MINUTE - ((offsetMinutes(epochMs) * MINUTE) % MINUTE)
      case 'hour':
        return fromLocal({ ...p, minute: 0 })
      case 'day':
        return fromLocal({ ...p, hour: 0, minute: 0 })
      case 'month':
        return fromLocal({ ...p, day: 1, hour: 0, minute: 0 })
      case 'year':
        return fromLocal({ ...p, month: 1, day: 1, hour: 0, minute: 0 })
    }
  }

  function nextStart(res: Resolution, epochMs: number): number {
    const p = local(epochMs)
    switch (res) {
      case 'minute':
        return startOf('minute', epochMs) + MINUTE
      case 'hour': {
        // hours are not always 60 min apart in wall time across DST; step in absolute time
        const s = startOf('hour', epochMs)
        return startOf('hour', s + 60 * MINUTE + 1) === s ? s + 120 * MINUTE : startOf('hour', s + 60 * MINUTE)
      }
      case 'day': {
        const d = new Date(Date.UTC(p.year, p.month - 1, p.day + 1))
        return fromLocal({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: 0, minute: 0 })
      }
      case 'month': {
        const d = new Date(Date.UTC(p.year, p.month, 1))
        return fromLocal({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: 1, hour: 0, minute: 0 })
      }
      case 'year':
        return fromLocal({ year: p.year + 1, month: 1, day: 1, hour: 0, minute: 0 })
    }
  }

  function format(epochMs: number): string {
    const off = offsetMinutes(epochMs)
    const d = new Date(epochMs + off * MINUTE)
    const iso = d.toISOString() // in "local" after shifting
    const sign = off >= 0 ? '+' : '-'
    const abs = Math.abs(off)
    const ms = d.getUTCMilliseconds()
    return `${iso.slice(0, ms ? 23 : 19)}${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`
  }

  return {
    timeZone,
    offsetMinutes,
    local,
    buckets,
    fromLocal,
    startOf,
    nextStart,
    bucketId: (res, epochMs) => buckets(epochMs)[res],
    format,
  }
}

export interface Tile {
  res: Resolution
  bucket: string
  start: number
  end: number
}

const COARSE_TO_FINE: readonly Resolution[] = ['year', 'month', 'day', 'hour', 'minute']

export interface TileOptions {
  /** resolutions that exist for the data read @default all five */
  allowed?: readonly Resolution[]
  /**
   * true when nothing can have happened after `to` (a rolling window ending now): the bucket
   * holding `to` may then be read whole, so "today" is one day bucket, not 24 hours + minutes
   * @default false
   */
  openEnd?: boolean
}

/**
 * Covers [from, to) with whole buckets, coarsest first (a year = 1 year bucket, not 12 months or
 * 525,600 minutes): the reason a wall refresh costs the same whatever the history size.
 * Ends that are not on a boundary of the finest allowed resolution widen to it; the tiles say
 * what was really covered.
 */
export function tilePeriod(cal: BusinessCalendar, from: number, to: number, opts: TileOptions = {}): Tile[] {
  const next = tileStepper(cal, from, to, opts)
  const tiles: Tile[] = []
  for (let tile = next(); tile !== undefined; tile = next()) tiles.push(tile)
  return tiles
}

/** The tiles of tilePeriod one at a time: a caller covering years can pause between them. */
export function* tilesOf(cal: BusinessCalendar, from: number, to: number, opts: TileOptions = {}): Generator<Tile, void, undefined> {
  const next = tileStepper(cal, from, to, opts)
  for (let tile = next(); tile !== undefined; tile = next()) yield tile
}

/** the next tile of [from, to) at each call, then undefined (a closure: cheaper than a generator for the many short periods) */
function tileStepper(cal: BusinessCalendar, from: number, to: number, opts: TileOptions): () => Tile | undefined {
  const allowed = COARSE_TO_FINE.filter((r) => (opts.allowed ?? COARSE_TO_FINE).includes(r))
  const finest = allowed[allowed.length - 1]
  if (finest === undefined) return () => undefined
  let t = cal.startOf(finest, from)
  return () => {
    if (!(t < to)) return undefined
    let res: Resolution = finest
    let end = cal.nextStart(finest, t)
    for (const r of allowed) {
      if (cal.startOf(r, t) !== t) continue
      const e = cal.nextStart(r, t)
      if (e <= to || opts.openEnd || r === finest) {
        res = r
        end = e
        break
      }
    }
    const tile = { res, bucket: cal.bucketId(res, t), start: t, end }
    t = end
    return tile
  }
}

/**
 * How many buckets of one resolution intersect [from, to): `bucketsOf(…).length` by arithmetic on
 * the two ends, without building them, so a query's cost is known before anything is allocated.
 * Minutes, days, months and years are exact. Hours are counted in absolute hours: a range holding the
 * hour the clocks go back (where bucketsOf steps over one bucket of two hours) counts up to two
 * more — an upper bound, as a cost estimate needs.
 */
export function countBuckets(cal: BusinessCalendar, res: Resolution, from: number, to: number): number {
  if (!(to > from)) return 0
  // the bucket holding the last instant of the range is the last one counted
  const last = to - 1
  switch (res) {
    case 'minute':
      return Math.round((cal.startOf('minute', last) - cal.startOf('minute', from)) / MINUTE) + 1
    case 'hour':
      return Math.round((cal.startOf('hour', last) - cal.startOf('hour', from)) / (60 * MINUTE)) + 1
    case 'day': {
      const a = cal.local(from)
      const b = cal.local(last)
      return Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / (1440 * MINUTE)) + 1
    }
    case 'month': {
      const a = cal.local(from)
      const b = cal.local(last)
      return (b.year - a.year) * 12 + b.month - a.month + 1
    }
    case 'year':
      return cal.local(last).year - cal.local(from).year + 1
  }
}

/** Consecutive buckets of one resolution that intersect [from, to): the points of a series. */
export function bucketsOf(cal: BusinessCalendar, res: Resolution, from: number, to: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = []
  for (let t = cal.startOf(res, from); t < to;) {
    const end = cal.nextStart(res, t)
    out.push({ start: t, end })
    t = end
  }
  return out
}

/** The buckets of bucketsOf one at a time. */
export function* bucketsIn(cal: BusinessCalendar, res: Resolution, from: number, to: number): Generator<{ start: number; end: number }, void, undefined> {
  for (let t = cal.startOf(res, from); t < to;) {
    const end = cal.nextStart(res, t)
    yield { start: t, end }
    t = end
  }
}

const DAY_MS = 86_400_000

/** The business day an instant falls on, as days since 1970-01-01 (its local date in the calendar's zone). */
export function businessDay(cal: BusinessCalendar, epochMs: number): number {
  const p = cal.local(epochMs)
  return Math.floor(Date.UTC(p.year, p.month - 1, p.day) / DAY_MS)
}

/** A day number (days since 1970-01-01) → `YYYY-MM-DD`. */
export function dayDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10)
}

/** `YYYY-MM-DD` → its day number (days since 1970-01-01): calendar days, whatever the zone's offset changes. */
function dayNumber(date: string): number {
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / DAY_MS
}

/** The business date (YYYY-MM-DD in the calendar's zone) an instant falls on. */
export function businessDate(cal: BusinessCalendar, epochMs: number): string {
  return dayDate(businessDay(cal, epochMs))
}

/** A date YYYY-MM-DD plus `days` calendar days. */
export function addDays(date: string, days: number): string {
  return dayDate(dayNumber(date) + days)
}

/** Calendar days from date `a` to date `b` (YYYY-MM-DD): negative when b is before a. */
export function daysBetween(a: string, b: string): number {
  return dayNumber(b) - dayNumber(a)
}
