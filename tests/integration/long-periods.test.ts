/**
 * Long periods read pre-summed year buckets, and ranked groups are summed in Redis
 * (docs/architecture.md "Reading long periods"). Every figure must stay what summing the
 * movements themselves gives: checked here against a model of 2½ years of shipments and returns
 * of 40 SKUs, over whole years, over periods that start and end inside a month (and a year),
 * with members that fall out of the top, ties at the cut, a filter, a series and the previous period.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Movement } from '../../protocol/movement.ts'
import type { Query, QueryResult } from '../../protocol/query.ts'
import { markYearBuckets, rollUpYears } from '../../server/aggregate/years.ts'
import { createCalendar } from '../../server/domain/time.ts'
import { createKeys } from '../../server/redis/keys.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

const cal = createCalendar('Asia/Shanghai')
const DAY = 86_400_000
const at = (date: string) => Date.parse(`${date}T00:00:00+08:00`)
const HISTORY = { from: at('2021-06-01'), to: at('2024-01-01') }
const SKUS = Array.from({ length: 40 }, (_, i) => `S${String(i).padStart(2, '0')}`)
/** the two best sellers sell exactly alike: they tie, and the code decides their order */
const TWINS = ['T1', 'T2']
const CATEGORIES = ['food', 'tools', 'toys', 'garden']
const categoryOf = (sku: string) => (TWINS.includes(sku) ? 'food' : CATEGORIES[Number(sku.slice(1)) % CATEGORIES.length]!)

interface Line {
  t: number
  sku: string
  /** revenue and COGS in cents, signed (a return is negative) */
  rev: number
  cogs: number
}

/** mulberry32: the same history every run */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const lines: Line[] = []
const movements: Movement[] = []
{
  const rand = rng(11)
  let n = 0
  const push = (sku: string, t: number, qty: number, priceCents: number, costCents: number, isReturn: boolean) => {
    const base = { id: `lp-${++n}`, occurredAt: cal.format(t), sku, warehouse: 'W1', qty, unitPrice: priceCents / 100, unitCost: costCents / 100, category: categoryOf(sku) }
    movements.push({ ...base, type: isReturn ? 'sales_return' : 'sales_shipment' } as Movement)
    const sign = isReturn ? -1 : 1
    lines.push({ t, sku, rev: sign * qty * priceCents, cogs: sign * qty * costCents })
  }
  for (let i = 0; i < 1_600; i++) {
    const sku = SKUS[Math.floor(rand() * rand() * SKUS.length)]!
    const t = HISTORY.from + Math.floor(rand() * ((HISTORY.to - HISTORY.from) / 60_000)) * 60_000
    const price = 100 + Math.floor(rand() * 5_000)
    // one line in eight is a return: some SKUs end below zero over short periods
    push(sku, t, 1 + Math.floor(rand() * 5), price, Math.floor(price * (0.3 + rand() * 0.5)), rand() < 0.125)
  }
  // the twins: the same sales, each month, more than anyone else's
  for (let t = HISTORY.from + DAY / 2; t < HISTORY.to; t += 30 * DAY) for (const sku of TWINS) push(sku, t, 40, 9_900, 5_000, false)
}

let server: TestServer

beforeAll(async () => {
  server = await startTestServer()
  const auth = { authorization: `Bearer ${server.ingestKey}` }
  for (let i = 0; i < movements.length; i += 500) {
    const res = await server.app.inject({ method: 'POST', url: '/api/v1/movements', headers: auth, payload: movements.slice(i, i + 500) })
    expect(res.statusCode, res.body).toBe(200)
  }
})

afterAll(async () => {
  await server?.close()
}, 60_000)

async function ask(q: Query): Promise<QueryResult> {
  const res = await server.app.inject({ method: 'POST', url: '/api/v1/query', payload: q })
  expect(res.statusCode, res.body).toBe(200)
  return res.json() as QueryResult
}

/** revenue (or gross profit, or margin parts) in cents by member over [from, to) */
function model(from: number, to: number, by: (l: Line) => string, keep: (l: Line) => boolean = () => true): Map<string, { rev: number; cogs: number }> {
  const out = new Map<string, { rev: number; cogs: number }>()
  for (const l of lines) {
    if (l.t < from || l.t >= to || !keep(l)) continue
    const m = out.get(by(l)) ?? { rev: 0, cogs: 0 }
    m.rev += l.rev
    m.cogs += l.cogs
    out.set(by(l), m)
  }
  return out
}

/** members ranked as the API ranks them: largest first, then by code */
function ranked<V>(m: Map<string, V>, value: (v: V) => number | null): { key: string; total: number | null }[] {
  return [...m].map(([key, v]) => ({ key, total: value(v) })).sort((a, b) => (b.total ?? -Infinity) - (a.total ?? -Infinity) || (a.key < b.key ? -1 : 1))
}

const cents = (c: number) => c / 100
const bySku = (l: Line) => l.sku
const byCategory = (l: Line) => categoryOf(l.sku)
const margin = (v: { rev: number; cogs: number }) => (v.rev === 0 ? null : (v.rev - v.cogs) / v.rev)

const PERIODS = {
  'two whole years': { from: at('2022-01-01'), to: at('2024-01-01') },
  'partial months and years at both ends': { from: at('2021-12-15'), to: at('2023-11-20') },
  'the whole history and beyond': { from: at('2021-01-01'), to: at('2024-03-01') },
}

describe.each(Object.entries(PERIODS))('over %s', (_, p) => {
  const period = { from: cal.format(p.from), to: cal.format(p.to) }

  test('the top SKUs and the total over all of them are the sums of their movements', async () => {
    const all = ranked(model(p.from, p.to, bySku), (v) => v.rev)
    expect(all.length).toBeGreaterThan(30)
    // the twins lead, tied: the code orders them
    expect(all.slice(0, 2).map((g) => g.key)).toEqual(TWINS)
    expect(all[0]!.total).toBe(all[1]!.total)
    for (const top of [1, 5, 12]) {
      const r = await ask({ metric: 'sales.revenue', ...period, groupBy: 'sku', top })
      expect(r.groups?.map((g) => ({ key: g.key, total: g.total }))).toEqual(all.slice(0, top).map((g) => ({ key: g.key, total: cents(g.total!) })))
      // the members that fall out of the top still count in the total
      expect(r.total).toBe(cents(all.reduce((s, g) => s + g.total!, 0)))
    }
    const everyone = await ask({ metric: 'sales.revenue', ...period, groupBy: 'sku' })
    expect(everyone.groups?.filter((g) => g.total !== 0).map((g) => ({ key: g.key, total: g.total }))).toEqual(
      all.filter((g) => g.total !== 0).map((g) => ({ key: g.key, total: cents(g.total!) })),
    )
  })

  test('a top with a series: each month of each top SKU is the sum of its movements in that month', async () => {
    const r = await ask({ metric: 'sales.grossProfit', ...period, groupBy: 'sku', top: 4, interval: 'month' })
    const all = ranked(model(p.from, p.to, bySku), (v) => v.rev - v.cogs)
    expect(r.groups?.map((g) => g.key)).toEqual(all.slice(0, 4).map((g) => g.key))
    for (const g of r.groups ?? []) {
      expect(g.total).toBe(cents(all.find((m) => m.key === g.key)!.total!))
      for (const point of g.series ?? []) {
        const start = Math.max(Date.parse(point.start), p.from)
        const end = Math.min(cal.nextStart('month', Date.parse(point.start)), p.to)
        const v = model(start, end, bySku).get(g.key)
        expect(point.value, `${g.key} ${point.start}`).toBe(cents(v ? v.rev - v.cogs : 0))
      }
    }
  })

  test('a filtered group-by ranks and sums only the members asked for', async () => {
    const members = SKUS.filter((_, i) => i % 3 === 1).slice(0, 9)
    const r = await ask({ metric: 'sales.revenue', ...period, groupBy: 'sku', filter: { sku: members }, top: 3 })
    const all = ranked(
      model(p.from, p.to, bySku, (l) => members.includes(l.sku)),
      (v) => v.rev,
    )
    expect(r.groups?.map((g) => ({ key: g.key, total: g.total }))).toEqual(all.slice(0, 3).map((g) => ({ key: g.key, total: cents(g.total!) })))
    expect(r.total).toBe(cents(all.reduce((s, g) => s + g.total!, 0)))
  })

  test('margin by category: each a ratio of sums, ranked; the total is the margin of everything', async () => {
    const r = await ask({ metric: 'sales.grossMargin', ...period, groupBy: 'category', top: 3 })
    const m = model(p.from, p.to, byCategory)
    const all = ranked(m, margin)
    expect(r.groups?.map((g) => g.key)).toEqual(all.slice(0, 3).map((g) => g.key))
    for (const g of r.groups ?? []) expect(g.total).toBeCloseTo(all.find((x) => x.key === g.key)!.total!, 12)
    const sum = [...m.values()].reduce((s, v) => ({ rev: s.rev + v.rev, cogs: s.cogs + v.cogs }), { rev: 0, cogs: 0 })
    expect(r.total).toBeCloseTo(margin(sum)!, 12)
    const filtered = await ask({ metric: 'sales.grossMargin', ...period, groupBy: 'category', filter: { category: ['food', 'toys'] }, top: 1 })
    const both = [m.get('food'), m.get('toys')].reduce<{ rev: number; cogs: number }>((s, v) => ({ rev: s.rev + (v?.rev ?? 0), cogs: s.cogs + (v?.cogs ?? 0) }), {
      rev: 0,
      cogs: 0,
    })
    expect(filtered.total).toBeCloseTo(margin(both)!, 12)
  })

  test('compare=previous: the previous period of a ranked query is the sum over all members then', async () => {
    const r = await ask({ metric: 'sales.revenue', ...period, groupBy: 'sku', top: 3, compare: 'previous' })
    const length = p.to - p.from
    const prev = model(p.from - length, p.from, bySku)
    expect(r.previous?.total).toBe(cents([...prev.values()].reduce((s, v) => s + v.rev, 0)))
    const ratio = await ask({ metric: 'sales.grossMargin', ...period, groupBy: 'sku', top: 3, compare: 'previous' })
    const sum = [...prev.values()].reduce((s, v) => ({ rev: s.rev + v.rev, cogs: s.cogs + v.cogs }), { rev: 0, cogs: 0 })
    if (sum.rev === 0) expect(ratio.previous?.total).toBeNull()
    else expect(ratio.previous?.total).toBeCloseTo(margin(sum)!, 12)
  })
})

describe('year buckets', () => {
  test('hold exactly the sum of the months of their year', async () => {
    const byMonth = await ask({ metric: 'sales.revenue', from: cal.format(at('2022-01-01')), to: cal.format(at('2023-01-01')), interval: 'month', groupBy: 'category' })
    const byYear = await ask({ metric: 'sales.revenue', from: cal.format(at('2022-01-01')), to: cal.format(at('2023-01-01')), groupBy: 'category' })
    expect(byYear.groups?.length).toBe(CATEGORIES.length)
    for (const g of byYear.groups ?? []) {
      const months = byMonth.groups!.find((m) => m.key === g.key)!.series!
      expect(months).toHaveLength(12)
      expect(Math.round(g.total! * 100)).toBe(months.reduce((s, pt) => s + Math.round(pt.value! * 100), 0))
    }
    const keys = await server.app.redis.keys(`${server.prefix}c:Y:2022:s.rev:*`)
    expect(keys.map((k) => k.slice(`${server.prefix}c:Y:2022:s.rev:`.length))).toEqual(expect.arrayContaining(['all', 'category', 'sku', 'warehouse']))
  })
})

describe('rankings of SKU years', () => {
  /** every SKU year bucket with the ranking beside it, both as member → value */
  async function pairs(): Promise<{ key: string; hash: Record<string, string>; ranking: Record<string, string> }[]> {
    const redis = server.app.redis
    const keys = createKeys(server.prefix)
    const yearKeys = (await redis.keys(`${server.prefix}c:Y:*:sku`)).sort()
    return Promise.all(
      yearKeys.map(async (key) => {
        const [, , bucket, code] = key.slice(server.prefix.length).split(':') as [string, string, string, string]
        const flat = await redis.zrange(keys.ranking('year', bucket, code, 'sku'), '0', '-1', 'WITHSCORES')
        const ranking: Record<string, string> = {}
        for (let i = 0; i < flat.length; i += 2) ranking[flat[i]!] = flat[i + 1]!
        return { key, hash: await redis.hgetall(key), ranking }
      }),
    )
  }

  test('mirror their year bucket member for member, as ingest wrote it (returns included)', async () => {
    const all = await pairs()
    // revenue, COGS, qty, returns … of 2021, 2022 and 2023
    expect(all.length).toBeGreaterThanOrEqual(12)
    for (const p of all) expect(p.ranking, p.key).toEqual(p.hash)
  })

  test('missing (as an older version left them): top-N over years stays exact, and years:rollup rebuilds them', async () => {
    const redis = server.app.redis
    const q = { metric: 'sales.grossProfit', from: cal.format(at('2022-01-01')), to: cal.format(at('2024-01-01')), groupBy: 'sku', top: 7 } as Query
    const expected = await ask(q)
    const rankings = await redis.keys(`${server.prefix}rk:*`)
    expect(rankings.length).toBeGreaterThan(0)
    await redis.del(...rankings)
    expect({ ...(await ask(q)), asOf: '' }).toEqual({ ...expected, asOf: '' })
    const report = await rollUpYears(redis, server.prefix, cal, { retainYearS: 0 })
    expect(report.rankings).toBe(rankings.length)
    for (const p of await pairs()) expect(p.ranking, p.key).toEqual(p.hash)
    expect({ ...(await ask(q)), asOf: '' }).toEqual({ ...expected, asOf: '' })
    // complete now: a second run has nothing to rebuild
    expect((await rollUpYears(redis, server.prefix, cal, { retainYearS: 0 })).rankings).toBe(0)
  })
})

describe('a cockpit that held figures before year buckets existed', () => {
  test('reads no year bucket until npm run years:rollup summed them, then the same figures from years', async () => {
    const redis = server.app.redis
    const keys = createKeys(server.prefix)
    const queries: Query[] = Object.values(PERIODS).flatMap((p) => {
      const period = { from: cal.format(p.from), to: cal.format(p.to) }
      return [
        { metric: 'sales.revenue', ...period, groupBy: 'sku', top: 5 },
        { metric: 'sales.grossMargin', ...period, groupBy: 'category' },
        { metric: 'sales.revenue', ...period, interval: 'month' },
      ] as Query[]
    })
    const expected = await Promise.all(queries.map(ask))
    // what an older version left: no year buckets, and years read only from the next New Year on
    const yearKeys = (await redis.keys(`${server.prefix}c:Y:*`)).sort()
    expect(yearKeys.length).toBeGreaterThan(20)
    const written = await Promise.all(yearKeys.map((k) => redis.hgetall(k)))
    await redis.del(...yearKeys)
    const nextYear = cal.nextStart('year', Date.now())
    await redis.set(keys.yearsFrom, String(nextYear))
    expect(await markYearBuckets(redis, keys, cal, Date.now())).toBe(nextYear)

    const older = await startTestServer({ COCKPIT_KEY_PREFIX: server.prefix })
    try {
      const answers = await Promise.all(queries.map((q) => older.app.inject({ method: 'POST', url: '/api/v1/query', payload: q }).then((r) => r.json() as QueryResult)))
      answers.forEach((r, i) => expect({ ...r, asOf: '' }).toEqual({ ...expected[i], asOf: '' }))
    } finally {
      await older.app.close()
    }

    const report = await rollUpYears(redis, server.prefix, cal, { retainYearS: 0 })
    expect(report).toMatchObject({ refused: [], yearsFrom: 0 })
    expect(report.buckets).toBe(yearKeys.length)
    expect(await redis.get(keys.yearsFrom)).toBe('0')
    // the same year buckets as ingest wrote, field for field (a member at 0 may have a field or not:
    // ingest leaves one where a cell went up and back down across batches, not within one)
    const nonZero = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).filter(([, v]) => v !== '0'))
    expect((await redis.keys(`${server.prefix}c:Y:*`)).sort()).toEqual(yearKeys)
    expect((await Promise.all(yearKeys.map((k) => redis.hgetall(k)))).map(nonZero)).toEqual(written.map(nonZero))

    const upgraded = await startTestServer({ COCKPIT_KEY_PREFIX: server.prefix })
    try {
      // the engine learns from when years hold everything beside its first query
      await upgraded.app.inject({ method: 'POST', url: '/api/v1/query', payload: queries[0] })
      await new Promise((r) => setTimeout(r, 100))
      const answers = await Promise.all(queries.map((q) => upgraded.app.inject({ method: 'POST', url: '/api/v1/query', payload: q }).then((r) => r.json() as QueryResult)))
      answers.forEach((r, i) => expect({ ...r, asOf: '' }).toEqual({ ...expected[i], asOf: '' }))
      // and it reads the years now: without the months of 2022, 2022 by category is still all there
      const year2022 = { metric: 'sales.revenue', from: cal.format(at('2022-01-01')), to: cal.format(at('2023-01-01')), groupBy: 'category' } as Query
      const before = await ask(year2022)
      await redis.del(...(await redis.keys(`${server.prefix}c:M:2022??:s.rev:category`)))
      const after = (await upgraded.app.inject({ method: 'POST', url: '/api/v1/query', payload: year2022 })).json() as QueryResult
      expect({ ...after, asOf: '' }).toEqual({ ...before, asOf: '' })
    } finally {
      await upgraded.app.close()
    }
  })

  test('a cockpit without figures has year buckets from the start; one with figures from the next New Year', async () => {
    const redis = server.app.redis
    const fresh = createKeys(`${server.prefix}fresh:`)
    const used = createKeys(`${server.prefix}used:`)
    await redis.lpush(used.recent, 'x')
    const now = Date.now()
    expect(await markYearBuckets(redis, fresh, cal, now)).toBe(0)
    expect(await markYearBuckets(redis, used, cal, now)).toBe(cal.nextStart('year', now))
    // decided once: later starts keep it
    await redis.lpush(fresh.recent, 'x')
    expect(await markYearBuckets(redis, fresh, cal, now)).toBe(0)
  })
})
