/**
 * When things happen in a simulated business, in its business time (China Standard Time, UTC+8,
 * no daylight saving — the offset formatCst writes): how busy each hour of the week is for a
 * sales channel (a demand profile), and the hours in which goods are received, lines run or
 * payments are made (work windows). Pure functions of the instant, so a seeded stream stays the
 * same however it is stepped.
 */

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const WEEK = 7 * DAY
/** China Standard Time: the business time of every simulated ERP */
const CST = 8 * HOUR

/** Start of the local (UTC+8) day an instant falls in. */
export const localDayStart = (t: number): number => Math.floor((t + CST) / DAY) * DAY - CST
/** Local hour of day, fractional (13.5 = 13:30). */
export const localHour = (t: number): number => ((((t + CST) % DAY) + DAY) % DAY) / HOUR
/** Local day of the week, Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday). */
export const localWeekday = (t: number): number => (Math.floor((t + CST) / DAY) + 3) % 7

/**
 * How busy a sales channel is over the week. Values are relative: the simulator rescales a
 * profile so that its average over a week is 1, so a channel's `weight` stays its share of the
 * week's sales lines and the feed's rate stays the week's average.
 */
export interface DemandProfile {
  /** relative intensity at hh:30 local time for hh = 0…23, linear in between */
  hours: readonly number[]
  /** relative intensity by day of the week, Monday first @default every day 1 */
  weekdays?: readonly number[]
}

/** The same intensity at every hour of every day (load tests: the posted rate at any time of day). */
export const FLAT_PROFILE: DemandProfile = { hours: Array.from({ length: 24 }, () => 1) }

/** A demand profile as a function of the instant, with weekly mean 1. */
export interface DemandCurve {
  /** intensity at an instant (weekly mean 1) */
  at(t: number): number
}

export function demandCurve(profile: DemandProfile): DemandCurve {
  const { hours } = profile
  const weekdays = profile.weekdays ?? [1, 1, 1, 1, 1, 1, 1]
  if (hours.length !== 24 || weekdays.length !== 7) throw new Error('a demand profile has 24 hourly and 7 daily values')
  if ([...hours, ...weekdays].some((x) => !(x >= 0))) throw new Error('demand profile values are ≥ 0')
  // a periodic piecewise-linear curve through equally spaced points averages their mean
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  const scale = mean(hours) * mean(weekdays)
  if (!(scale > 0)) throw new Error('a demand profile needs some demand')
  return {
    at(t) {
      const x = localHour(t) - 0.5
      const i = Math.floor(x)
      const f = x - i
      const a = hours[(i + 24) % 24]!
      const b = hours[(i + 25) % 24]!
      return ((a + (b - a) * f) * weekdays[localWeekday(t)]!) / scale
    },
  }
}

const MONDAY = Date.parse('2024-01-01T00:00:00+08:00')

/** Highest value of a sum of curves over a week (the curves are linear between minutes). */
export function weeklyPeak(at: (t: number) => number): number {
  let peak = 0
  for (let t = MONDAY; t < MONDAY + WEEK; t += MINUTE) peak = Math.max(peak, at(t), at(t + MINUTE - 1))
  return peak
}

/** Mean of a sum of curves over its busiest day of the week, relative to its weekly mean. */
export function busiestDayOf(at: (t: number) => number): number {
  let week = 0
  let busiest = 0
  for (let day = MONDAY; day < MONDAY + WEEK; day += DAY) {
    let sum = 0
    for (let t = day + MINUTE / 2; t < day + DAY; t += MINUTE) sum += at(t)
    week += sum
    busiest = Math.max(busiest, sum)
  }
  return (busiest * 7) / week
}

/**
 * Hours in which something is done (goods received, a line running, payments made), local time:
 * from `from` to `to` (hours; `to` may be 24), on the given days of the week.
 */
export interface WorkWindow {
  from: number
  to: number
  /** days of the week it is open, Monday = 0 @default every day */
  days?: readonly number[]
}

const openOn = (w: WorkWindow, t: number) => w.days === undefined || w.days.includes(localWeekday(t))

/** Whether an instant is inside the window. */
export function inWindow(w: WorkWindow, t: number): boolean {
  const h = localHour(t)
  return openOn(w, t) && h >= w.from && h < w.to
}

/** The first instant ≥ t inside the window. */
export function nextOpen(w: WorkWindow, t: number): number {
  if (inWindow(w, t)) return t
  for (let day = localDayStart(t), i = 0; i < 8; i++, day += DAY) {
    const open = day + w.from * HOUR
    if (openOn(w, day) && open >= t) return open
  }
  throw new Error('a work window is open on at least one day of the week')
}
