/**
 * The subscription registry with a fake clock and a fake compute: coalescing and versions,
 * the work queue (per-turn budget, concurrency, priorities), the rolling-window schedule, and
 * invalidation by the period a change notice touched.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import type { Query, QueryResult } from '../../protocol/query.ts'
import { createCalendar, tilePeriod } from '../../server/domain/time.ts'
import type { Tile } from '../../server/domain/time.ts'
import { durationMs } from '../../server/query/period.ts'
import { RoomDroppedError, RoomRegistry } from '../../server/realtime/rooms.ts'
import type { RoomRegistryOptions } from '../../server/realtime/rooms.ts'
import { createChangeMatcher, nextRefreshAt, spanOf } from '../../server/realtime/periods.ts'
import type { PeriodRules } from '../../server/realtime/periods.ts'
import type { Resolution } from '../../server/redis/keys.ts'

const calendar = createCalendar('Asia/Shanghai')
const DAY_S = 86_400
const rules: PeriodRules = { calendar, retention: { minute: 2 * DAY_S, hour: 90 * DAY_S, day: 0, month: 0, year: 0 } }
const at = (s: string) => Date.parse(s)
const fmt = (ms: number | undefined) => (ms === undefined ? undefined : calendar.format(ms))
const result = (total: number): QueryResult => ({ metric: 'sales.revenue', unit: 'money', currency: 'CNY', total, asOf: '' })
const key = (q: Query) => JSON.stringify(q)

/** a compute the test settles by hand, one promise per call */
function manualCompute() {
  const calls: { query: Query; resolve(r: QueryResult): void; reject(e: unknown): void }[] = []
  return {
    calls,
    compute: (query: Query) => new Promise<QueryResult>((resolve, reject) => calls.push({ query, resolve, reject })),
  }
}

/** turns of the event loop, run by hand */
function manualTurns() {
  const queue: (() => void)[] = []
  return {
    defer: (fn: () => void) => void queue.push(fn),
    next() {
      const fns = queue.splice(0)
      for (const fn of fns) fn()
      return fns.length
    },
    get pending() {
      return queue.length
    },
  }
}

const flush = () => new Promise<void>((r) => queueMicrotask(r)).then(() => new Promise<void>((r) => queueMicrotask(r)))

function registry(over: Partial<RoomRegistryOptions> & Pick<RoomRegistryOptions, 'compute'>) {
  const published: { id: string; version: number; total: number | null }[] = []
  const errors: unknown[] = []
  const rooms = new RoomRegistry({
    publish: (room) => published.push({ id: room.id, version: room.version, total: room.result!.total }),
    intervalMs: 250,
    onError: (err) => errors.push(err),
    ...over,
  })
  return { rooms, published, errors }
}

describe('room registry', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: at('2026-11-25T10:30:20+08:00') })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  test('the first result is computed at once; changes are coalesced; a push only when the figures changed, with version + 1', async () => {
    let total = 1
    let computed = 0
    const { rooms, published } = registry({ compute: async () => (computed++, result(total)) })
    const room = rooms.join({ metric: 'sales.revenue', window: 'today' }, 'k')
    expect(await rooms.current(room)).toMatchObject({ version: 0, result: { total: 1 } })
    expect(computed).toBe(1)

    // quiet room: a change is computed at once (leading edge), unchanged figures push nothing
    vi.advanceTimersByTime(1000)
    rooms.invalidate(() => true)
    await vi.advanceTimersByTimeAsync(0)
    expect(computed).toBe(2)
    expect(published).toEqual([])

    // a burst inside one interval: one computation at its end, one push
    total = 2
    rooms.invalidate(() => true)
    rooms.invalidate(() => true)
    rooms.invalidate(() => true)
    await vi.advanceTimersByTimeAsync(100)
    expect(computed).toBe(2)
    await vi.advanceTimersByTimeAsync(200)
    expect(computed).toBe(3)
    expect(published).toEqual([{ id: room.id, version: 1, total: 2 }])
  })

  test('thousands of invalidated rooms are computed a budget per turn, never more than the concurrency at once', async () => {
    const { calls, compute } = manualCompute()
    const turns = manualTurns()
    const { rooms } = registry({ compute, concurrency: 16, startsPerTurn: 8, defer: turns.defer })
    const all = Array.from({ length: 2000 }, (_, i) =>
      rooms.join(
        { metric: 'sales.revenue', from: '2026-01-01T00:00:00+08:00', to: `2026-02-01T00:${String(i % 60).padStart(2, '0')}:00+08:00`, top: 1 + Math.floor(i / 60) } as Query,
        `k${i}`,
      ),
    )
    expect(rooms.size).toBe(2000)
    // give every room a first result, then invalidate them all at once
    for (const room of all) void rooms.current(room)
    let settled = 0
    while (settled < all.length) {
      const open = calls.slice(settled)
      for (const c of open) c.resolve(result(0))
      settled += open.length
      await flush()
      turns.next()
      await flush()
    }
    expect(all.every((r) => r.result !== undefined)).toBe(true)
    calls.length = 0
    vi.advanceTimersByTime(1000)

    rooms.invalidate(() => true)
    // this turn: the budget, not 2000
    expect(calls.length).toBe(8)
    expect(rooms.pending).toEqual({ queued: 1992, running: 8 })
    let maxRunning = 0
    let turnsTaken = 0
    while (rooms.pending.queued > 0 || rooms.pending.running > 0) {
      turns.next()
      turnsTaken++
      maxRunning = Math.max(maxRunning, rooms.pending.running)
      // settle half of what runs: the rest stays in flight, so the concurrency is what limits
      const running = calls.filter((c) => !(c as { done?: boolean }).done)
      for (const c of running.slice(0, Math.ceil(running.length / 2))) {
        ;(c as { done?: boolean }).done = true
        c.resolve(result(0))
      }
      await flush()
      expect(rooms.pending.running).toBeLessThanOrEqual(16)
    }
    expect(calls.length).toBe(2000)
    expect(maxRunning).toBe(16)
    expect(turnsTaken).toBeGreaterThan(2000 / 16)
  })

  test('a subscriber waiting for a first result goes ahead of queued refreshes and of changes', async () => {
    const { calls, compute } = manualCompute()
    const turns = manualTurns()
    const { rooms } = registry({ compute, concurrency: 1, startsPerTurn: 100, defer: turns.defer })
    const old = Array.from({ length: 5 }, (_, i) => rooms.join({ metric: 'cash.in', window: `PT${i + 1}M` }, `o${i}`))
    for (const r of old) {
      const done = rooms.current(r)
      calls.at(-1)!.resolve(result(0))
      await done
    }
    calls.length = 0
    vi.advanceTimersByTime(1000)
    rooms.invalidate((r) => r.query.window === 'PT1M' || r.query.window === 'PT2M', 'background')
    rooms.invalidate((r) => r.query.window === 'PT3M', 'change')
    const fresh = rooms.join({ metric: 'cash.in', window: 'today' }, 'new')
    const ack = rooms.current(fresh)
    // one runs (the first background room took the only slot); then the subscriber, then the change, then the rest
    const order: string[] = []
    while (calls.length > order.length) {
      const c = calls[order.length]!
      order.push(c.query.window!)
      c.resolve(result(1))
      await flush()
      turns.next()
      await flush()
    }
    expect(order).toEqual(['PT1M', 'today', 'PT3M', 'PT2M'])
    await expect(ack).resolves.toMatchObject({ version: 0 })
  })

  test('a room left by its last member is dropped with its timers; a waiter of a dropped room is told', async () => {
    const { calls, compute } = manualCompute()
    const { rooms } = registry({ compute, nextRefreshAt: (q, now) => nextRefreshAt(q, now, rules) })
    const q: Query = { metric: 'cash.in', window: 'PT15M' }
    const a = rooms.join(q, key(q))
    rooms.join(q, key(q))
    expect(rooms.size).toBe(1)
    const waiting = rooms.current(a)
    rooms.leave(a.id)
    rooms.leave(a.id)
    expect(rooms.size).toBe(0)
    await expect(waiting).rejects.toBeInstanceOf(RoomDroppedError)
    // its computation finishing late schedules nothing
    calls[0]!.resolve(result(1))
    await vi.advanceTimersByTimeAsync(0)
    expect(rooms.scheduled).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  test('a failed first computation fails the waiting subscribers and is not retried by itself', async () => {
    const { calls, compute } = manualCompute()
    const { rooms, errors } = registry({ compute })
    const room = rooms.join({ metric: 'cash.in', window: 'today' }, 'k')
    const first = rooms.current(room)
    const second = rooms.current(room)
    expect(calls.length).toBe(1)
    calls[0]!.reject(new Error('redis away'))
    await expect(first).rejects.toThrow('redis away')
    await expect(second).rejects.toThrow('redis away')
    expect(errors.length).toBe(1)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(calls.length).toBe(1)
    // the next subscriber tries again
    const third = rooms.current(room)
    calls[1]!.resolve(result(3))
    await expect(third).resolves.toMatchObject({ result: { total: 3 } })
  })

  test('rolling windows are recomputed when their buckets move: PT1H every minute, today at midnight, a fixed range never', async () => {
    const counts = new Map<string, number>()
    const { rooms } = registry({
      compute: async (q) => (counts.set(q.window ?? 'fixed', (counts.get(q.window ?? 'fixed') ?? 0) + 1), result(0)),
      nextRefreshAt: (q, now) => nextRefreshAt(q, now, rules),
    })
    for (const q of [
      { metric: 'cash.in', window: 'PT1H' },
      { metric: 'cash.in', window: 'today' },
      { metric: 'cash.in', from: '2026-11-01T00:00:00+08:00', to: '2026-12-01T00:00:00+08:00' },
    ] as Query[]) {
      await rooms.current(rooms.join(q, key(q)))
    }
    expect(Object.fromEntries(counts)).toEqual({ PT1H: 1, today: 1, fixed: 1 })
    expect(rooms.scheduled).toBe(2)
    // 10:30:20 → 10:30:59: nothing moves
    await vi.advanceTimersByTimeAsync(39_000)
    expect(counts.get('PT1H')).toBe(1)
    // 10:31:00: the hour window's first minute left it
    await vi.advanceTimersByTimeAsync(1_500)
    expect(counts.get('PT1H')).toBe(2)
    // up to 23:59: PT1H once a minute, today never
    await vi.advanceTimersByTimeAsync(at('2026-11-25T23:59:30+08:00') - Date.now())
    expect(counts.get('PT1H')).toBe(2 + (23 * 60 + 59 - (10 * 60 + 31)))
    expect(counts.get('today')).toBe(1)
    // midnight: today rolls over
    await vi.advanceTimersByTimeAsync(31_000)
    expect(counts.get('today')).toBe(2)
    expect(counts.get('fixed')).toBe(1)
  })

  test('a refresh that fails is retried, not forgotten', async () => {
    let fail = false
    let computed = 0
    const { rooms } = registry({
      compute: async () => {
        computed++
        if (fail) throw new Error('redis away')
        return result(0)
      },
      nextRefreshAt: (q, now) => nextRefreshAt(q, now, rules),
      retryMs: 5000,
    })
    const q: Query = { metric: 'cash.in', window: 'PT1H' }
    await rooms.current(rooms.join(q, key(q)))
    fail = true
    await vi.advanceTimersByTimeAsync(41_000) // 10:31:01: the refresh fails
    expect(computed).toBe(2)
    fail = false
    await vi.advanceTimersByTimeAsync(5_000)
    expect(computed).toBe(3)
    expect(rooms.scheduled).toBe(1)
  })

  test('a change notice recomputes only the rooms whose metric it lists and whose period it touches', async () => {
    let computed = 0
    const { rooms } = registry({ compute: async () => (computed++, result(0)) })
    const touches = createChangeMatcher(rules)
    const october: Query = { metric: 'sales.revenue', from: '2026-10-01T00:00:00+08:00', to: '2026-11-01T00:00:00+08:00' }
    const room = rooms.join(october, key(october))
    await rooms.current(room)
    const notice = (metrics: string[], from: string, to = from) => {
      const span = spanOf({ from, to })!
      const now = Date.now()
      return rooms.invalidate((r) => metrics.includes(r.query.metric) && touches(r.query, span, now))
    }
    vi.advanceTimersByTime(1000)
    expect(notice(['sales.revenue'], '2026-09-20T10:00:00+08:00')).toBe(0) // before the range
    expect(notice(['sales.revenue'], '2026-11-01T00:00:00+08:00', '2026-11-25T10:00:00+08:00')).toBe(0) // after it (its end is exclusive)
    expect(notice(['cash.in'], '2026-10-20T10:00:00+08:00')).toBe(0) // another metric
    await vi.advanceTimersByTimeAsync(1000)
    expect(computed).toBe(1)
    expect(notice(['sales.revenue'], '2026-09-30T09:00:00+08:00', '2026-10-02T10:00:00+08:00')).toBe(1)
    await vi.advanceTimersByTimeAsync(0)
    expect(computed).toBe(2)
  })
})

/** The tiles a rolling window reads at `now`, as the engine tiles it (retention decides the resolutions). */
function windowTiles(window: string, now: number): Tile[] {
  const length = durationMs(window)!
  const from = now - length
  const keep: Record<Resolution, number> = { minute: rules.retention.minute, hour: rules.retention.hour, day: 0, month: 0, year: 0 }
  const allowed = (['minute', 'hour', 'day', 'month', 'year'] as const).filter((r) => keep[r] === 0 || from >= now - keep[r] * 1000)
  return tilePeriod(calendar, from, now, { allowed, openEnd: true })
}

describe('rolling schedule', () => {
  const now = at('2026-11-25T10:30:20+08:00')
  const next = (q: Partial<Query>, t = now) => fmt(nextRefreshAt({ metric: 'sales.revenue', ...q } as Query, t, rules))

  test('durations: the next minute while minutes are kept, then the next hour, then the next day', () => {
    expect(next({ window: 'PT15M' })).toBe('2026-11-25T10:31:00.001+08:00')
    expect(next({ window: 'PT1H' })).toBe('2026-11-25T10:31:00.001+08:00')
    expect(next({ window: 'P2D' })).toBe('2026-11-25T10:31:00.001+08:00')
    // a week back: only hours are kept that far (minutes: 2 days)
    expect(next({ window: 'P7D' })).toBe('2026-11-25T11:00:00.001+08:00')
    // beyond the 90 days hours are kept: days
    expect(next({ window: 'P120D' })).toBe('2026-11-26T00:00:00.001+08:00')
    // a start off the hour: when that start crosses an hour
    expect(next({ window: 'P3DT40M' })).toBe('2026-11-25T10:40:00.001+08:00')
  })

  test('today and this month roll over at their boundary, or gain a point per interval', () => {
    expect(next({ window: 'today' })).toBe('2026-11-26T00:00:00.001+08:00')
    expect(next({ window: 'yesterday' })).toBe('2026-11-26T00:00:00.001+08:00')
    expect(next({ window: 'today', interval: 'hour' })).toBe('2026-11-25T11:00:00.001+08:00')
    expect(next({ window: 'thisMonth' })).toBe('2026-12-01T00:00:00.001+08:00')
    expect(next({ window: 'thisMonth', interval: 'day' })).toBe('2026-11-26T00:00:00.001+08:00')
    // yesterday up to the same time of day slides by the minute
    expect(next({ window: 'today', compare: 'previous' })).toBe('2026-11-25T10:31:00.001+08:00')
    // days on hand divides by the time elapsed today
    expect(next({ metric: 'stock.daysOnHand', window: 'today' })).toBe('2026-11-25T10:31:00.001+08:00')
  })

  test('fixed ranges and figures "now" are never refreshed by time', () => {
    expect(next({ from: '2026-11-01T00:00:00+08:00', to: '2026-12-01T00:00:00+08:00' })).toBeUndefined()
    expect(next({ metric: 'stock.qty' })).toBeUndefined()
  })

  test('stock ageing and slow-moving stock age with the calendar: refreshed at the next business midnight', () => {
    expect(next({ metric: 'stock.ageing' })).toBe('2026-11-26T00:00:00.001+08:00')
    expect(next({ metric: 'stock.ageing', groupBy: 'warehouse' })).toBe('2026-11-26T00:00:00.001+08:00')
    expect(next({ metric: 'stock.slowMoving', days: 30 })).toBe('2026-11-26T00:00:00.001+08:00')
    expect(next({ metric: 'stock.slowMoving' }, at('2026-11-25T23:59:59.999+08:00'))).toBe('2026-11-26T00:00:00.001+08:00')
  })

  test("between two refreshes a window's tiles do not move (checked against tilePeriod)", () => {
    for (const window of ['PT15M', 'PT1H', 'PT24H', 'P2D', 'P7D', 'P3DT40M', 'P30D', 'P120D']) {
      let t = now
      for (let step = 0; step < 5; step++) {
        const refresh = nextRefreshAt({ metric: 'sales.revenue', window }, t, rules)!
        const tiles = JSON.stringify(windowTiles(window, t))
        // sample the interval: the tiling is the same throughout
        for (const f of [0.25, 0.5, 0.999]) expect(JSON.stringify(windowTiles(window, t + Math.floor((refresh - t) * f))), `${window} at ${fmt(t)}`).toBe(tiles)
        t = refresh
      }
    }
  })
})

describe('which rooms a change notice touches', () => {
  const now = at('2026-11-25T10:30:20+08:00')
  const touches = createChangeMatcher(rules)
  const hit = (q: Partial<Query>, from: string, to = from) => touches({ metric: 'sales.revenue', ...q } as Query, spanOf({ from, to })!, now)

  test('fixed ranges: the days they read, ends widened to whole days', () => {
    const jan = { from: '2026-01-01T00:00:00+08:00', to: '2026-02-01T00:00:00+08:00' }
    expect(hit(jan, '2026-01-15T10:00:00+08:00')).toBe(true)
    expect(hit(jan, '2026-03-01T10:00:00+08:00')).toBe(false)
    expect(hit(jan, '2025-12-31T23:59:59+08:00')).toBe(false)
    expect(hit(jan, '2026-02-01T00:00:00+08:00')).toBe(false)
    expect(hit(jan, '2025-12-01T00:00:00+08:00', '2026-03-01T00:00:00+08:00')).toBe(true)
    // a range starting mid-day may be read from the day's start
    expect(hit({ from: '2026-01-10T12:00:00+08:00', to: '2026-01-11T00:00:00+08:00' }, '2026-01-10T08:00:00+08:00')).toBe(true)
    // compare: the previous period is read too
    expect(hit({ ...jan, compare: 'previous' }, '2025-12-15T10:00:00+08:00')).toBe(true)
  })

  test('rolling windows: only what lies in them (or ahead: open buckets)', () => {
    expect(hit({ window: 'today' }, '2026-11-24T10:00:00+08:00')).toBe(false)
    expect(hit({ window: 'today' }, '2026-11-25T09:00:00+08:00')).toBe(true)
    expect(hit({ window: 'today' }, '2026-11-25T22:00:00+08:00')).toBe(true)
    expect(hit({ window: 'yesterday' }, '2026-11-25T09:00:00+08:00')).toBe(false)
    expect(hit({ window: 'yesterday' }, '2026-11-24T09:00:00+08:00')).toBe(true)
    expect(hit({ window: 'PT1H' }, '2026-11-22T10:00:00+08:00')).toBe(false)
    expect(hit({ window: 'P7D' }, '2026-11-22T10:00:00+08:00')).toBe(true)
    expect(hit({ window: 'today', compare: 'previous' }, '2026-11-24T10:00:00+08:00')).toBe(true)
  })

  test('closing stock reads all history before its end; figures "now" any change', () => {
    const closing = { metric: 'stock.closingQty' as const, from: '2026-01-01T00:00:00+08:00', to: '2026-02-01T00:00:00+08:00' }
    expect(hit(closing, '2024-05-01T00:00:00+08:00')).toBe(true)
    expect(hit(closing, '2026-03-01T00:00:00+08:00')).toBe(false)
    expect(hit({ metric: 'stock.qty' }, '2020-01-01T00:00:00+08:00')).toBe(true)
  })
})
