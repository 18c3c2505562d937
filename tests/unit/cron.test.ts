/**
 * The five-field cron matcher of scheduled reports (server/reports/cron.ts): fields, ranges,
 * steps, lists, names, day of week (0 and 7), the day-of-month / day-of-week rule of crontab(5),
 * errors naming the field, and the business time zone: `0 8 * * *` is 08:00 in COCKPIT_TZ, the
 * day boundary is the zone's midnight, and a clock turned back runs a minute once.
 */
import { describe, expect, test } from 'vitest'
import { createCalendar } from '../../server/domain/time.ts'
import { CronError, latestRun, matchesLocal, nextRun, parseCron, runsAt } from '../../server/reports/cron.ts'

const shanghai = createCalendar('Asia/Shanghai')
const at = (iso: string) => Date.parse(iso)
const local = (year: number, month: number, day: number, hour: number, minute: number) => ({ year, month, day, hour, minute })

describe('parsing', () => {
  test('values, ranges, steps and lists', () => {
    const s = parseCron('0,15-17,*/20 8-18/5 1 * *')
    expect([...s.minutes].sort((a, b) => a - b)).toEqual([0, 15, 16, 17, 20, 40])
    expect([...s.hours].sort((a, b) => a - b)).toEqual([8, 13, 18])
    expect([...s.days]).toEqual([1])
    expect(s.months.size).toBe(12)
    expect(parseCron('5/15 * * * *').minutes).toEqual(new Set([5, 20, 35, 50]))
  })

  test('names of months and days, any case; 7 is Sunday', () => {
    const s = parseCron('0 9 * jan-Mar,DEC mon-fri')
    expect(s.months).toEqual(new Set([1, 2, 3, 12]))
    expect(s.weekdays).toEqual(new Set([1, 2, 3, 4, 5]))
    expect(parseCron('0 0 * * 7').weekdays).toEqual(new Set([0]))
    expect(parseCron('0 0 * * 5-7').weekdays).toEqual(new Set([5, 6, 0]))
  })

  test('macros', () => {
    expect(parseCron('@daily').minutes).toEqual(new Set([0]))
    expect(parseCron('@hourly').hours.size).toBe(24)
    expect(parseCron('@weekly').weekdays).toEqual(new Set([0]))
    expect(parseCron('@monthly').days).toEqual(new Set([1]))
  })

  test('errors name the field at fault', () => {
    const cases: [string, string, RegExp][] = [
      ['0 8 * *', 'expression', /5 fields/],
      ['60 8 * * *', 'minute', /60 is out of 0–59/],
      ['0 24 * * *', 'hour', /24 is out of 0–23/],
      ['0 8 0 * *', 'day of month', /0 is out of 1–31/],
      ['0 8 * 13 *', 'month', /13 is out of 1–12/],
      ['0 8 * * 8', 'day of week', /8 is out of 0–7/],
      ['0 8 * * fry', 'day of week', /not a number or a name/],
      ['*/0 8 * * *', 'minute', /step/],
      ['0 18-8 * * *', 'hour', /backwards/],
      ['0 8,,9 * * *', 'hour', /empty item/],
      ['0 8 * * 1-', 'day of week', /not a range/],
      ['@sometimes', 'expression', /@hourly/],
    ]
    for (const [expr, field, message] of cases) {
      let caught: unknown
      try {
        parseCron(expr)
      } catch (err) {
        caught = err
      }
      expect(caught, expr).toBeInstanceOf(CronError)
      expect((caught as CronError).field, expr).toBe(field)
      expect((caught as CronError).message, expr).toMatch(message)
    }
  })
})

describe('matching a local minute', () => {
  test('每天 08:00', () => {
    const s = parseCron('0 8 * * *')
    expect(matchesLocal(s, local(2026, 12, 7, 8, 0))).toBe(true)
    expect(matchesLocal(s, local(2026, 12, 7, 8, 1))).toBe(false)
    expect(matchesLocal(s, local(2026, 12, 7, 20, 0))).toBe(false)
  })

  test('day of week: 2026-12-07 is a Monday', () => {
    const weekdays = parseCron('30 9 * * 1-5')
    expect(matchesLocal(weekdays, local(2026, 12, 7, 9, 30))).toBe(true)
    expect(matchesLocal(weekdays, local(2026, 12, 6, 9, 30))).toBe(false) // Sunday
    expect(matchesLocal(parseCron('30 9 * * 0'), local(2026, 12, 6, 9, 30))).toBe(true)
    expect(matchesLocal(parseCron('30 9 * * 7'), local(2026, 12, 6, 9, 30))).toBe(true)
  })

  test('day of month and day of week both restricted: either matches (crontab(5))', () => {
    const s = parseCron('0 8 1 * 1') // the 1st, and every Monday
    expect(matchesLocal(s, local(2026, 12, 1, 8, 0))).toBe(true) // a Tuesday, the 1st
    expect(matchesLocal(s, local(2026, 12, 7, 8, 0))).toBe(true) // a Monday
    expect(matchesLocal(s, local(2026, 12, 8, 8, 0))).toBe(false)
    // one of them `*`: both must hold
    expect(matchesLocal(parseCron('0 8 */2 * *'), local(2026, 12, 7, 8, 0))).toBe(true)
    expect(matchesLocal(parseCron('0 8 */2 * 2'), local(2026, 12, 7, 8, 0))).toBe(false)
  })

  test('months and the last days of short months', () => {
    const s = parseCron('0 0 31 * *')
    expect(matchesLocal(s, local(2026, 1, 31, 0, 0))).toBe(true)
    expect(nextRun(s, shanghai, at('2026-04-01T00:00:00+08:00'))).toBe(at('2026-05-31T00:00:00+08:00'))
    expect(nextRun(parseCron('0 0 31 2 *'), shanghai, at('2026-01-01T00:00:00+08:00'))).toBeUndefined()
  })
})

describe('in the business time zone (COCKPIT_TZ)', () => {
  test('08:00 in Shanghai is 00:00 UTC; the server clock does not matter', () => {
    const s = parseCron('0 8 * * *')
    expect(runsAt(s, shanghai, at('2026-12-07T00:00:00Z'))).toBe(true)
    expect(runsAt(s, shanghai, at('2026-12-07T08:00:00Z'))).toBe(false)
    expect(runsAt(s, createCalendar('UTC'), at('2026-12-07T08:00:00Z'))).toBe(true)
  })

  test('the day is the zone’s day: Monday 00:30 in Shanghai is Sunday 16:30 UTC', () => {
    const monday = parseCron('30 0 * * 1')
    expect(runsAt(monday, shanghai, at('2026-12-06T16:30:00Z'))).toBe(true)
    expect(runsAt(monday, createCalendar('UTC'), at('2026-12-06T16:30:00Z'))).toBe(false)
    const first = parseCron('0 0 1 * *')
    expect(runsAt(first, shanghai, at('2026-11-30T16:00:00Z'))).toBe(true)
  })

  test('next and latest run', () => {
    const s = parseCron('0 8 * * *')
    expect(nextRun(s, shanghai, at('2026-12-07T08:00:00+08:00'))).toBe(at('2026-12-08T08:00:00+08:00'))
    expect(nextRun(s, shanghai, at('2026-12-07T07:59:30+08:00'))).toBe(at('2026-12-07T08:00:00+08:00'))
    expect(nextRun(parseCron('*/15 * * * *'), shanghai, at('2026-12-07T08:01:00+08:00'))).toBe(at('2026-12-07T08:15:00+08:00'))
    // Feb 29 comes in 2028
    expect(nextRun(parseCron('0 0 29 2 *'), shanghai, at('2026-03-01T00:00:00+08:00'))).toBe(at('2028-02-29T00:00:00+08:00'))
    // latest in (after, upTo]
    expect(latestRun(s, shanghai, at('2026-12-07T07:00:00+08:00'), at('2026-12-07T08:40:00+08:00'))).toBe(at('2026-12-07T08:00:00+08:00'))
    expect(latestRun(s, shanghai, at('2026-12-07T08:00:00+08:00'), at('2026-12-07T08:40:00+08:00'))).toBeUndefined()
    expect(latestRun(s, shanghai, at('2026-12-07T07:00:00+08:00'), at('2026-12-07T07:59:59+08:00'))).toBeUndefined()
  })

  test('a clock turned back runs the repeated minute once; a skipped minute does not run', () => {
    const berlin = createCalendar('Europe/Berlin')
    const s = parseCron('30 2 * * *')
    // 2026-10-25: 03:00 CEST → 02:00 CET; 02:30 local is 00:30Z and again 01:30Z
    expect(runsAt(s, berlin, at('2026-10-25T00:30:00Z'))).toBe(true)
    expect(runsAt(s, berlin, at('2026-10-25T01:30:00Z'))).toBe(false)
    expect(runsAt(s, berlin, at('2026-10-26T01:30:00Z'))).toBe(true)
    // 2026-03-29: 02:00 CET → 03:00 CEST; 02:30 local does not exist that day
    expect(nextRun(s, berlin, at('2026-03-28T12:00:00Z'))).toBe(at('2026-03-30T00:30:00Z'))
  })
})
