/**
 * A five-field cron schedule (`minute hour day-of-month month day-of-week`) evaluated on the
 * wall clock of the business time zone (COCKPIT_TZ): `0 8 * * *` is every day at 08:00 in
 * Shanghai, whatever the server's own zone. Pure: the caller gives the calendar and the instant.
 *
 * Syntax, as Vixie cron / POSIX crontab(5) reads it: `*`, a value, a range `a-b`, a step `*\/n`,
 * `a-b/n` or `a/n` (from a to the field's end), lists joined by `,`; month names JAN–DEC and day
 * names SUN–SAT (any case); day of week 0–7 with both 0 and 7 Sunday; `@hourly`, `@daily`
 * (`@midnight`), `@weekly`, `@monthly`, `@yearly` (`@annually`). When both day of month and day
 * of week are restricted (neither starts with `*`), a day matches if either does (crontab(5)).
 *
 * Time-zone changes (not in Asia/Shanghai, which keeps +08:00, but in zones with daylight saving):
 * a local minute that occurs twice (clocks turned back) runs once, at its first occurrence; a
 * local minute that does not exist (clocks turned forward) does not run that day.
 */
import type { BusinessCalendar, LocalParts } from '../domain/time.ts'

const MINUTE = 60_000

export const CRON_FIELDS = ['minute', 'hour', 'day of month', 'month', 'day of week'] as const
export type CronField = (typeof CRON_FIELDS)[number]

const RANGES: Record<CronField, [number, number]> = {
  minute: [0, 59],
  hour: [0, 23],
  'day of month': [1, 31],
  month: [1, 12],
  'day of week': [0, 7],
}
const NAMES: Partial<Record<CronField, readonly string[]>> = {
  month: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  'day of week': ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
}
const MACROS: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
}

/** A parsed schedule: the allowed values of each field (day of week 0–6, Sunday 0). */
export interface CronSchedule {
  readonly source: string
  readonly minutes: ReadonlySet<number>
  readonly hours: ReadonlySet<number>
  readonly days: ReadonlySet<number>
  readonly months: ReadonlySet<number>
  readonly weekdays: ReadonlySet<number>
  /** day of month restricted (its field did not start with `*`) */
  readonly dayRestricted: boolean
  /** day of week restricted */
  readonly weekdayRestricted: boolean
}

/** A schedule that does not parse: `field` names the part at fault. */
export class CronError extends Error {
  override readonly name = 'CronError'
  constructor(
    readonly field: CronField | 'expression',
    message: string,
  ) {
    super(message)
  }
}

function value(raw: string, field: CronField): number {
  const names = NAMES[field]
  const named = names?.indexOf(raw.toUpperCase()) ?? -1
  if (named >= 0) return field === 'month' ? named + 1 : named
  if (!/^\d{1,2}$/.test(raw)) throw new CronError(field, `${field}: "${raw}" is not a number${names ? ` or a name (${names[0]}…)` : ''}`)
  const n = Number(raw)
  const [min, max] = RANGES[field]
  if (n < min || n > max) throw new CronError(field, `${field}: ${n} is out of ${min}–${max}`)
  return n
}

function parseField(text: string, field: CronField): Set<number> {
  const [min, max] = RANGES[field]
  const out = new Set<number>()
  for (const part of text.split(',')) {
    if (part === '') throw new CronError(field, `${field}: empty item in "${text}"`)
    const [range, stepText, extra] = part.split('/')
    if (extra !== undefined) throw new CronError(field, `${field}: "${part}" has two steps`)
    let step = 1
    if (stepText !== undefined) {
      if (!/^\d{1,2}$/.test(stepText) || Number(stepText) === 0) throw new CronError(field, `${field}: step "${stepText}" must be a whole number from 1`)
      step = Number(stepText)
    }
    let from: number
    let to: number
    if (range === '*') {
      from = min
      to = max
    } else if (range!.includes('-')) {
      const [a, b, more] = range!.split('-')
      if (more !== undefined || a === '' || b === '') throw new CronError(field, `${field}: "${range}" is not a range like 1-5`)
      from = value(a!, field)
      to = value(b!, field)
      if (from > to) throw new CronError(field, `${field}: range "${range}" runs backwards`)
    } else {
      from = value(range!, field)
      // `a/n`: from a to the end of the field
      to = stepText !== undefined ? max : from
    }
    for (let v = from; v <= to; v += step) out.add(v)
  }
  return out
}

/** Parses a five-field expression or a macro; throws CronError naming the field. */
export function parseCron(expression: string): CronSchedule {
  const trimmed = expression.trim()
  const text = trimmed.startsWith('@') ? MACROS[trimmed.toLowerCase()] : trimmed
  if (text === undefined) throw new CronError('expression', `"${trimmed}" is not one of ${Object.keys(MACROS).join(', ')}`)
  const parts = text.split(/\s+/)
  if (parts.length !== 5) throw new CronError('expression', `needs 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`)
  const [minutes, hours, days, months, weekdays] = parts.map((p, i) => parseField(p, CRON_FIELDS[i]!))
  // 7 is Sunday too
  if (weekdays!.delete(7)) weekdays!.add(0)
  return {
    source: trimmed,
    minutes: minutes!,
    hours: hours!,
    days: days!,
    months: months!,
    weekdays: weekdays!,
    dayRestricted: !parts[2]!.startsWith('*'),
    weekdayRestricted: !parts[4]!.startsWith('*'),
  }
}

/** Day of the week of a local date, Sunday 0. */
export function weekdayOf(p: Pick<LocalParts, 'year' | 'month' | 'day'>): number {
  return new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay()
}

/** Whether the schedule names the day of a local date (crontab(5): either restricted day field may match). */
function dayMatches(s: CronSchedule, p: LocalParts): boolean {
  if (!s.months.has(p.month)) return false
  const dom = s.days.has(p.day)
  const dow = s.weekdays.has(weekdayOf(p))
  if (s.dayRestricted && s.weekdayRestricted) return dom || dow
  return dom && dow
}

/** Whether the schedule names a local wall-clock minute. */
export function matchesLocal(s: CronSchedule, p: LocalParts): boolean {
  return s.minutes.has(p.minute) && s.hours.has(p.hour) && dayMatches(s, p)
}

/**
 * Whether the schedule runs at the minute starting at `at` (epoch ms, a whole minute) in the
 * calendar's zone. A local minute repeated by a clock turned back matches only its first time.
 */
export function runsAt(s: CronSchedule, calendar: BusinessCalendar, at: number): boolean {
  const p = calendar.local(at)
  if (!matchesLocal(s, p)) return false
  // the offset fell within the last day: is this the second time this wall-clock minute shows?
  const back = calendar.offsetMinutes(at - 86_400_000) - calendar.offsetMinutes(at)
  if (back > 0) {
    const earlier = calendar.local(at - back * MINUTE)
    if (earlier.hour === p.hour && earlier.minute === p.minute && earlier.day === p.day) return false
  }
  return true
}

/** The whole minute an instant falls in. */
export function minuteOf(at: number): number {
  return Math.floor(at / MINUTE) * MINUTE
}

/**
 * The latest minute in (`after`, `upTo`] the schedule runs at, or undefined. Walks back minute
 * by minute: callers bound the span (a grace of at most a day is 1,440 steps).
 */
export function latestRun(s: CronSchedule, calendar: BusinessCalendar, after: number, upTo: number): number | undefined {
  for (let t = minuteOf(upTo); t > after; t -= MINUTE) if (runsAt(s, calendar, t)) return t
  return undefined
}

/**
 * The first minute after `after` the schedule runs at, within `horizonDays` (default 5 years:
 * `0 0 29 2 1` — 29 February, or any Monday — comes sooner; `0 0 31 2 *` never does).
 * Skips whole days and hours that cannot match.
 */
export function nextRun(s: CronSchedule, calendar: BusinessCalendar, after: number, horizonDays = 5 * 366): number | undefined {
  const end = after + horizonDays * 86_400_000
  let t = minuteOf(after) + MINUTE
  while (t <= end) {
    const p = calendar.local(t)
    if (!dayMatches(s, p)) {
      t = calendar.nextStart('day', t)
      continue
    }
    if (!s.hours.has(p.hour)) {
      t += (60 - p.minute) * MINUTE
      continue
    }
    if (runsAt(s, calendar, t)) return t
    t += MINUTE
  }
  return undefined
}
