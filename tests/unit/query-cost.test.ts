/**
 * The cost of a query from the request alone (server/query/cost.ts): bounds are upper bounds of
 * what the engine really builds and reads, are computed without building buckets (so hostile
 * periods are refused in microseconds), and the time limit stops a query that waits on Redis.
 */
import fc from 'fast-check'
import type { Redis } from 'ioredis'
import { describe, expect, test } from 'vitest'
import { bucketsOf, createCalendar, tilePeriod } from '../../server/domain/time.ts'
import { CockpitError } from '../../server/errors.ts'
import {
  BUSINESS_RANGE,
  MAX_POINTS,
  REPLY_FIELDS_PER_COST,
  assertCost,
  assertInBusinessRange,
  readCost,
  runWithinLimits,
  stockPeriodCost,
  tileBound,
} from '../../server/query/cost.ts'
import { createQueryEngine } from '../../server/query/engine.ts'
import { resolvePeriod } from '../../server/query/period.ts'
import { createKeys } from '../../server/redis/keys.ts'
import type { Resolution } from '../../server/redis/keys.ts'

const sh = createCalendar('Asia/Shanghai')
const ny = createCalendar('America/New_York')
const at = (s: string) => Date.parse(s)
const DAY = 86_400_000
const ALL: Resolution[] = ['minute', 'hour', 'day', 'month', 'year']

/** the error a call throws (fails the test when it throws none) */
function thrown(fn: () => unknown): CockpitError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(CockpitError)
    return err as CockpitError
  }
  throw new Error('expected an error')
}

describe('business range', () => {
  test('a period before 1970 or after 2100 is refused naming the field', () => {
    const now = at('2026-11-25T12:00:00Z')
    const early = thrown(() => resolvePeriod({ from: '0001-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, sh, now))
    expect(early).toMatchObject({ code: 'COCKPIT_ERR_INVALID_QUERY', statusCode: 400, errors: [{ path: '/from' }] })
    const late = thrown(() => resolvePeriod({ from: '2026-01-01T00:00:00Z', to: '9999-12-31T00:00:00Z' }, sh, now))
    expect(late).toMatchObject({ code: 'COCKPIT_ERR_INVALID_QUERY', errors: [{ path: '/to' }] })
    expect(late.message).toMatch(/1970-01-01T00:00:00Z and 2100-01-01T00:00:00Z/)
  })

  test('the range ends themselves are allowed; `to` is exclusive', () => {
    const now = at('2026-11-25T12:00:00Z')
    expect(resolvePeriod({ from: '1970-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' }, sh, now)).toEqual(BUSINESS_RANGE)
    expect(thrown(() => assertInBusinessRange('from', BUSINESS_RANGE.to)).errors?.[0]?.path).toBe('/from')
    expect(thrown(() => assertInBusinessRange('to', BUSINESS_RANGE.from)).errors?.[0]?.path).toBe('/to')
    expect(thrown(() => assertInBusinessRange('from', BUSINESS_RANGE.from - 1)).errors?.[0]?.path).toBe('/from')
  })
})

describe('tileBound', () => {
  const resolutions = fc.subarray(ALL, { minLength: 1 })

  test('is never below the tiles tilePeriod really builds (any zone, resolutions, ends)', () => {
    const start = at('2025-01-01T00:00:00Z')
    fc.assert(
      fc.property(
        fc.constantFrom(sh, ny),
        fc.integer({ min: 0, max: 400 * DAY }),
        // lengths from a minute to ~4 months, biased short so minute-only sets stay small
        fc.oneof(fc.integer({ min: 1, max: 3 * DAY }), fc.integer({ min: 1, max: 120 * DAY })),
        resolutions,
        fc.boolean(),
        (cal, offset, length, allowed, openEnd) => {
          const from = start + offset
          // keep what tilePeriod builds small: minute-only sets over short spans only
          if (allowed.length === 1 && allowed[0] === 'minute' && length > 3 * DAY) return
          const real = tilePeriod(cal, from, from + length, { allowed, openEnd }).length
          expect(tileBound(cal, from, from + length, allowed)).toBeGreaterThanOrEqual(real)
        },
      ),
      { numRuns: 300 },
    )
  })

  test('ten years read as 9 years plus edges, not minutes; without years as ~120 months plus edges', () => {
    const from = at('2016-03-17T09:41:13+08:00')
    const to = at('2026-11-25T13:37:20+08:00')
    const real = tilePeriod(sh, from, to)
    const years = real.filter((t) => t.res === 'year').length
    expect(years).toBe(9)
    expect(real.length).toBeLessThan(years + 2 * (11 + 30 + 23 + 59) + 1)
    const bound = tileBound(sh, from, to, ALL)
    expect(bound).toBeGreaterThanOrEqual(real.length)
    expect(bound).toBeLessThan(real.length + 300)
    const noYears = ALL.filter((r) => r !== 'year')
    const byMonth = tilePeriod(sh, from, to, { allowed: noYears })
    const months = byMonth.filter((t) => t.res === 'month').length
    expect(months).toBeGreaterThanOrEqual(120)
    expect(byMonth.length).toBeLessThan(months + 2 * (59 + 23 + 30) + 1)
    expect(tileBound(sh, from, to, noYears)).toBeGreaterThanOrEqual(byMonth.length)
  })
})

describe('readCost', () => {
  test('the finding: minute points to year 9999 are refused by arithmetic, in well under a millisecond each', () => {
    const from = at('2026-11-24T00:00:00Z')
    const to = at('2099-12-31T00:00:00Z') // in range: the point cap refuses it
    const t = performance.now()
    for (let i = 0; i < 100; i++) {
      const err = thrown(() => readCost(sh, { period: { from, to }, allowed: ALL, interval: 'minute', terms: 1, members: 1 }))
      expect(err.code).toBe('COCKPIT_ERR_QUERY_TOO_COSTLY')
      expect(err.statusCode).toBe(400)
      expect(err.message).toMatch(/38,\d{3},\d{3} minute points is more than the 10,100 .* \(about 7 days\): use a coarser interval \(hour, day, month\)/)
    }
    expect(performance.now() - t).toBeLessThan(100)
  })

  test('each interval allows its documented range and refuses a longer one', () => {
    const from = at('2030-01-01T00:00:00+08:00')
    const ok = { minute: 7 * DAY, hour: 366 * DAY, day: 3653 * DAY, month: 129 * 365 * DAY } as const
    for (const interval of ['minute', 'hour', 'day', 'month'] as const) {
      const period = { from, to: Math.min(from + ok[interval], BUSINESS_RANGE.to) }
      const p = interval === 'month' ? { from: BUSINESS_RANGE.from, to: BUSINESS_RANGE.to } : period
      expect(() => readCost(sh, { period: p, allowed: ALL, interval, terms: 1, members: 1 })).not.toThrow()
      const points = bucketsOf(sh, interval, p.from, p.to).length
      expect(points).toBeLessThanOrEqual(MAX_POINTS[interval])
      if (interval !== 'month') {
        const longer = { from, to: from + ok[interval] * 1.1 }
        expect(thrown(() => readCost(sh, { period: longer, allowed: ALL, interval, terms: 1, members: 1 })).code).toBe('COCKPIT_ERR_QUERY_TOO_COSTLY')
      }
    }
  })

  test('cost is tiles × terms × members; a wall query costs little', () => {
    const now = at('2026-11-25T13:37:20+08:00')
    const week = { from: now - 7 * DAY, to: now }
    // P7D by hour, a ratio of three terms, ten warehouses
    const cost = readCost(sh, { period: week, allowed: ALL, interval: 'hour', terms: 3, members: 10 })
    const tiles = bucketsOf(sh, 'hour', week.from, week.to).reduce(
      (n, b) => n + tilePeriod(sh, Math.max(b.start, week.from), Math.min(b.end, week.to), { allowed: ['minute', 'hour'] }).length,
      0,
    )
    expect(cost).toBeGreaterThanOrEqual(tiles * 30)
    expect(cost).toBeLessThan(200_000)
    // a year by month grouped (whole hashes: one field per hash read)
    const year = { from: at('2026-01-01T00:00:00+08:00'), to: now }
    expect(readCost(sh, { period: year, allowed: ['day', 'month'], interval: 'month', terms: 1, members: 1 })).toBeLessThan(200)
  })

  test('assertCost names the estimate, the limit and what to do', () => {
    const err = thrown(() => assertCost(1_234_567, 200_000))
    expect(err).toMatchObject({ code: 'COCKPIT_ERR_QUERY_TOO_COSTLY', statusCode: 400 })
    expect(err.message).toMatch(/1,234,567 .*limit of 200,000: use a coarser interval, a shorter range/)
    expect(() => assertCost(200_000, 200_000)).not.toThrow()
  })
})

describe('stockPeriodCost', () => {
  const now = at('2026-11-25T13:37:20+08:00')

  /** the delta tiles closingAt reads for these boundaries (its segmentation, replayed) */
  function closingTiles(boundaries: number[], allowed: Resolution[]): number {
    const end = sh.nextStart('day', sh.nextStart('day', now))
    const dayAfter = (b: number) => (sh.startOf('day', b) === b ? b : sh.nextStart('day', b))
    const starts = [...new Set(boundaries.filter((b) => b < now).map(dayAfter))].sort((a, b) => a - b)
    return starts.reduce((n, s, i) => n + tilePeriod(sh, s, starts[i + 1] ?? end, { allowed }).length, 0)
  }

  test('closing figures: the estimate bounds the segments read, and years cost months, not days', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: at('2000-01-01T00:00:00Z'), max: now + 30 * DAY }),
        fc.integer({ min: 1, max: 12 * 365 * DAY }),
        fc.constantFrom(undefined, 'day' as const, 'month' as const),
        fc.constantFrom<Resolution[]>(['day', 'month'], ['day']),
        (from, length, interval, deltaAllowed) => {
          const period = { from, to: from + length }
          const input = { kind: 'closing' as const, period, at: now, interval, deltaAllowed, cogsAllowed: [], members: 1, grouped: false }
          const points = interval ? bucketsOf(sh, interval, period.from, period.to) : []
          // a day series is refused past its point cap (by points, not by length: a period's ends widen to whole days)
          if (interval === 'day' && points.length > MAX_POINTS.day) {
            expect(thrown(() => stockPeriodCost(sh, input)).code).toBe('COCKPIT_ERR_QUERY_TOO_COSTLY')
            return
          }
          const boundaries = [period.to, ...points.map((p) => Math.min(p.end, period.to))]
          const real = 1 + closingTiles(boundaries, deltaAllowed)
          expect(stockPeriodCost(sh, input)).toBeGreaterThanOrEqual(real)
        },
      ),
      { numRuns: 60 },
    )
    // a closing figure of 1970 read up to today: ~680 months and some days, not 20,000 days
    const cost = stockPeriodCost(sh, {
      kind: 'closing',
      period: { from: at('1970-01-01T00:00:00Z'), to: at('1970-01-02T00:00:00Z') },
      at: now,
      deltaAllowed: ['day', 'month'],
      cogsAllowed: [],
      members: 1,
      grouped: false,
    })
    expect(cost).toBeLessThan(1000)
  })

  test('turnover counts a closing per day of the period, up to ten years; grouping and filter members multiply it', () => {
    const period = { from: now - 10 * 365 * DAY, to: now }
    const base = {
      kind: 'turnover' as const,
      period,
      at: now,
      deltaAllowed: ['day', 'month'] as Resolution[],
      cogsAllowed: ['day', 'month'] as Resolution[],
      members: 1,
      grouped: false,
    }
    const total = stockPeriodCost(sh, base)
    const days = 10 * 365
    expect(total).toBeGreaterThan(days)
    expect(total).toBeLessThan(days + 1_000)
    expect(stockPeriodCost(sh, { ...base, grouped: true })).toBeGreaterThan(2 * days)
    expect(stockPeriodCost(sh, { ...base, members: 100 })).toBeGreaterThan(100 * days)
    // 1970 to now: more days than a turnover may average
    const long = thrown(() => stockPeriodCost(sh, { ...base, period: { from: BUSINESS_RANGE.from, to: now } }))
    expect(long).toMatchObject({ code: 'COCKPIT_ERR_QUERY_TOO_COSTLY', errors: [{ path: '/from' }] })
    expect(long.message).toMatch(/20,\d{3} days is more than the 3,700/)
  })
})

describe('runWithinLimits', () => {
  test('a query still waiting after the time limit is answered 408 and stops at its next check', async () => {
    let checkedAfter: unknown
    const t = performance.now()
    const result = runWithinLimits({ maxCost: 1000, timeoutMs: 50 }, async (budget) => {
      await new Promise((r) => setTimeout(r, 150))
      try {
        budget.check()
      } catch (err) {
        checkedAfter = err
      }
      return 1
    })
    await expect(result).rejects.toMatchObject({ code: 'COCKPIT_ERR_QUERY_TIMEOUT', statusCode: 408 })
    expect(performance.now() - t).toBeLessThan(140)
    await new Promise((r) => setTimeout(r, 150))
    expect(checkedAfter).toMatchObject({ code: 'COCKPIT_ERR_QUERY_TIMEOUT' })
  })

  test('fields read beyond REPLY_FIELDS_PER_COST × the cost limit stop the query', async () => {
    const result = runWithinLimits({ maxCost: 1000, timeoutMs: 5000 }, async (budget) => {
      for (let i = 0; i < 10; i++) budget.spend(REPLY_FIELDS_PER_COST * 100)
      budget.spend(1)
      return 'unreachable'
    })
    await expect(result).rejects.toMatchObject({ code: 'COCKPIT_ERR_QUERY_TOO_COSTLY', statusCode: 400 })
    await expect(runWithinLimits({ maxCost: 1000, timeoutMs: 5000 }, async () => 'fast')).resolves.toBe('fast')
  })

  test('the engine answers 408 when Redis does not answer in time (and never sends the later reads)', async () => {
    // round trips sent: pipelines, and the script that reads whole hashes (server/redis/scripts/read-hashes.lua)
    let roundTrips = 0
    const pipeline = () => {
      roundTrips++
      const stub = { hget: () => stub, hmget: () => stub, hgetall: () => stub, exec: () => new Promise(() => {}) }
      return stub
    }
    const evalsha = () => {
      roundTrips++
      return new Promise(() => {})
    }
    const now = at('2026-11-25T13:37:20+08:00')
    const engine = createQueryEngine({
      // neither the pipelines nor the read of from when year buckets hold everything ever answer
      redis: { pipeline, evalsha, get: () => new Promise(() => {}) } as unknown as Redis,
      keys: createKeys('unit:'),
      calendar: sh,
      masterData: { names: () => undefined, sku: () => undefined, warehouse: () => undefined },
      currency: 'CNY',
      retention: { minute: 2 * 86_400, hour: 90 * 86_400, day: 0, month: 0, year: 0 },
      limits: { maxCost: 200_000, timeoutMs: 100 },
      now: () => now,
    })
    const t = performance.now()
    // P30D by hour, three terms: ~2,200 reads in several round trips; only the first is ever sent
    await expect(engine.run({ metric: 'sales.grossMargin', window: 'P30D', interval: 'hour', groupBy: 'category' })).rejects.toMatchObject({ code: 'COCKPIT_ERR_QUERY_TIMEOUT' })
    expect(performance.now() - t).toBeLessThan(1000)
    expect(roundTrips).toBe(1)
  })
})
