import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { bucketsOf, countBuckets, createCalendar, tilePeriod } from '../../server/domain/time.ts'
import type { Resolution } from '../../server/redis/keys.ts'

const sh = createCalendar('Asia/Shanghai')
const at = (s: string) => Date.parse(s)

describe('business calendar', () => {
  test('an instant falls in the buckets of its business-zone wall clock', () => {
    expect(sh.buckets(at('2026-11-25T23:59:59+08:00'))).toEqual({ year: '2026', month: '202611', day: '20261125', hour: '2026112523', minute: '202611252359' })
    // 16:00Z is midnight in Shanghai: the next day, whatever offset the ERP wrote
    expect(sh.buckets(at('2026-11-25T16:00:00Z'))).toEqual({ year: '2026', month: '202611', day: '20261126', hour: '2026112600', minute: '202611260000' })
    expect(sh.buckets(at('2026-12-31T23:59:59+08:00')).month).toBe('202612')
    expect(sh.buckets(at('2026-12-31T16:00:00Z')).month).toBe('202701')
    expect(sh.buckets(at('2026-12-31T16:00:00Z')).year).toBe('2027')
  })

  test('bucket starts and ends in the business zone', () => {
    const t = at('2026-11-25T13:37:10+08:00')
    expect(sh.format(sh.startOf('minute', t))).toBe('2026-11-25T13:37:00+08:00')
    expect(sh.format(sh.startOf('hour', t))).toBe('2026-11-25T13:00:00+08:00')
    expect(sh.format(sh.startOf('day', t))).toBe('2026-11-25T00:00:00+08:00')
    expect(sh.format(sh.startOf('month', t))).toBe('2026-11-01T00:00:00+08:00')
    expect(sh.format(sh.nextStart('day', t))).toBe('2026-11-26T00:00:00+08:00')
    expect(sh.format(sh.nextStart('month', at('2026-12-15T00:00:00+08:00')))).toBe('2027-01-01T00:00:00+08:00')
    expect(sh.format(sh.nextStart('month', at('2028-02-10T00:00:00+08:00')))).toBe('2028-03-01T00:00:00+08:00')
    expect(sh.format(sh.startOf('year', t))).toBe('2026-01-01T00:00:00+08:00')
    expect(sh.format(sh.nextStart('year', t))).toBe('2027-01-01T00:00:00+08:00')
    // New Year in the business zone, not in UTC
    expect(sh.format(sh.startOf('year', at('2026-12-31T16:00:00Z')))).toBe('2027-01-01T00:00:00+08:00')
  })

  test('daylight saving: days are 23 or 25 hours long and hours still step by one', () => {
    const ny = createCalendar('America/New_York')
    const springDay = at('2026-03-08T12:00:00-04:00')
    expect(ny.nextStart('day', springDay) - ny.startOf('day', springDay)).toBe(23 * 3600_000)
    const fallDay = at('2026-11-01T12:00:00-05:00')
    expect(ny.nextStart('day', fallDay) - ny.startOf('day', fallDay)).toBe(25 * 3600_000)
    const hours = bucketsOf(ny, 'hour', ny.startOf('day', springDay), ny.nextStart('day', springDay))
    expect(hours).toHaveLength(23)
    expect(hours.every((h) => h.end - h.start === 3600_000)).toBe(true)
    expect(ny.format(at('2026-07-01T12:00:00Z'))).toBe('2026-07-01T08:00:00-04:00')
  })
})

describe('tilePeriod', () => {
  test('a year to date is months, then days, hours and minutes', () => {
    const tiles = tilePeriod(sh, at('2026-01-01T00:00:00+08:00'), at('2026-11-25T13:37:00+08:00'))
    const count = (res: string) => tiles.filter((t) => t.res === res).length
    expect([count('month'), count('day'), count('hour'), count('minute')]).toEqual([10, 24, 13, 37])
    // contiguous, no gaps or overlaps
    for (let i = 1; i < tiles.length; i++) expect(tiles[i]!.start).toBe(tiles[i - 1]!.end)
  })

  test('whole years inside a period are one bucket each; the ends are months, then days', () => {
    const tiles = tilePeriod(sh, at('2014-03-15T00:00:00+08:00'), at('2017-10-20T00:00:00+08:00'))
    const count = (res: string) => tiles.filter((t) => t.res === res).length
    expect([count('year'), count('month'), count('day')]).toEqual([2, 9 + 9, 17 + 19])
    expect(tiles.filter((t) => t.res === 'year').map((t) => t.bucket)).toEqual(['2015', '2016'])
    for (let i = 1; i < tiles.length; i++) expect(tiles[i]!.start).toBe(tiles[i - 1]!.end)
    const fourYears = tilePeriod(sh, at('2014-01-01T00:00:00+08:00'), at('2018-01-01T00:00:00+08:00'))
    expect(fourYears.map((t) => `${t.res}:${t.bucket}`)).toEqual(['year:2014', 'year:2015', 'year:2016', 'year:2017'])
  })

  test('a rolling window reads its last bucket whole', () => {
    const now = at('2026-11-25T13:37:20+08:00')
    const today = tilePeriod(sh, sh.startOf('day', now), now, { openEnd: true })
    expect(today.map((t) => `${t.res}:${t.bucket}`)).toEqual(['day:20261125'])
    const lastHour = tilePeriod(sh, now - 3600_000, now, { openEnd: true })
    expect(lastHour.filter((t) => t.res === 'minute')).toHaveLength(23) // 12:37 … 12:59
    expect(lastHour.at(-1)).toMatchObject({ res: 'hour', bucket: '2026112513' })
  })

  test('only allowed resolutions are used; edges widen to the finest one', () => {
    const tiles = tilePeriod(sh, at('2026-11-24T10:30:00+08:00'), at('2026-11-26T00:00:00+08:00'), { allowed: ['hour', 'day'] })
    expect(tiles[0]).toMatchObject({ res: 'hour', bucket: '2026112410' })
    expect(tiles.at(-1)).toMatchObject({ res: 'day', bucket: '20261125' })
    expect(tiles.some((t) => t.res === 'minute' || t.res === 'month')).toBe(false)
  })
})

describe('countBuckets', () => {
  const zones = ['Asia/Shanghai', 'America/New_York', 'Europe/London', 'Asia/Kolkata', 'Australia/Adelaide'].map(createCalendar)
  /** longest range tried per resolution, so that bucketsOf stays small */
  const longest: Record<Resolution, number> = {
    minute: 3 * 86_400_000,
    hour: 120 * 86_400_000,
    day: 6 * 365 * 86_400_000,
    month: 60 * 365 * 86_400_000,
    year: 120 * 365 * 86_400_000,
  }

  test('equals the number of buckets bucketsOf builds (hours: at most two more), in zones with and without daylight saving', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.constantFrom<Resolution>('minute', 'hour', 'day', 'month', 'year'),
        fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2090, 0, 1) }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (cal, res, from, share) => {
          const to = from + 1 + Math.floor(share * longest[res])
          const real = bucketsOf(cal, res, from, to).length
          // hours: absolute hours, so a range holding the hour the clocks go back (one bucket of two hours) may count up to two more
          if (res === 'hour') expect(countBuckets(cal, res, from, to) - real).toBeOneOf([0, 1, 2])
          else expect(countBuckets(cal, res, from, to)).toBe(real)
        },
      ),
      { numRuns: 400 },
    )
  })

  test('counts years of minutes without building them, and nothing for an empty range', () => {
    const t = performance.now()
    expect(countBuckets(sh, 'minute', at('2026-01-01T00:00:00+08:00'), at('2099-01-01T00:00:00+08:00'))).toBe(38_394_720)
    expect(countBuckets(sh, 'month', at('1970-01-01T00:00:00+08:00'), at('2100-01-01T00:00:00+08:00'))).toBe(1_560)
    expect(countBuckets(sh, 'year', at('1970-01-01T00:00:00+08:00'), at('2100-01-01T00:00:00+08:00'))).toBe(130)
    expect(performance.now() - t).toBeLessThan(50)
    expect(countBuckets(sh, 'day', 10, 10)).toBe(0)
    expect(countBuckets(sh, 'day', 10, 5)).toBe(0)
  })

  test('offsets read through the fast wall-clock path match formatToParts', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('Asia/Shanghai', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kathmandu'),
        fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2200, 0, 1) }),
        (tz, t) => {
          const dtf = new Intl.DateTimeFormat('en-US', {
            timeZone: tz,
            hourCycle: 'h23',
            year: 'numeric',
            month: 'numeric',
            day: 'numeric',
            hour: 'numeric',
            minute: 'numeric',
            second: 'numeric',
          })
          const slot = Math.floor(t / 900_000) * 900_000
          const f: Record<string, number> = {}
          for (const p of dtf.formatToParts(new Date(slot))) if (p.type !== 'literal') f[p.type] = Number(p.value)
          const expected = Math.round((Date.UTC(f.year!, f.month! - 1, f.day!, f.hour!, f.minute!, f.second!) - slot) / 60_000)
          expect(createCalendar(tz).offsetMinutes(t)).toBe(expected)
        },
      ),
      { numRuns: 300 },
    )
  })
})
