/**
 * Hostile queries (issue #13): every query's cost is bounded before work starts, and in time.
 * The findings replayed against the real server and Redis: a series by minute to year 9999 (it
 * used to build every bucket and die at the heap limit), ten-year ranges, a total over
 * 0001–9999, long closing-stock and turnover periods, the same through a socket's `subscribe`,
 * while `/healthz` keeps answering. Ordinary wall queries are still answered exactly.
 */
import { randomUUID } from 'node:crypto'
import { io as connect } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck } from '../../protocol/events.ts'
import type { Query, QueryResult } from '../../protocol/query.ts'
import { countBuckets, createCalendar } from '../../server/domain/time.ts'
import { warmHealth, whileProbing } from '../helpers/health-probe.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

type Client = Socket<ServerToClientEvents, ClientToServerEvents>

const cal = createCalendar('Asia/Shanghai')
const HOUR = 3_600_000
const DAY = 24 * HOUR
const YEAR = 365 * DAY
const iso = (ms: number) => new Date(ms).toISOString()

let s: TestServer
const clients: Client[] = []
/** when the seeded movements happened (a little before the tests' "now") */
let seededAt: number

interface Answer {
  status: number
  ms: number
  body: QueryResult & { error?: string; message?: string; errors?: { path: string; message: string }[] }
}

async function query(url: string, q: unknown): Promise<Answer> {
  const t = performance.now()
  const res = await fetch(`${url}/api/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(q) })
  const body = (await res.json()) as Answer['body']
  return { status: res.status, ms: performance.now() - t, body }
}

async function ingest(url: string, key: string, movements: unknown[]) {
  const res = await fetch(`${url}/api/v1/movements`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(movements),
  })
  expect(res.status, await res.clone().text()).toBe(200)
}

/** Runs `work` on a warm server while probing `/healthz` (at least `min` probes); work's result and the slowest probe in ms. */
async function whileProbingWarm<T>(url: string, work: () => Promise<T>, min = 5): Promise<{ result: T; slowestProbe: number }> {
  await warmHealth(url)
  const { result, probes } = await whileProbing(url, work, { everyMs: 5, min })
  return { result, slowestProbe: Math.max(...probes) }
}

function client(url: string): Client {
  const c: Client = connect(url, { transports: ['websocket'], reconnection: false })
  clients.push(c)
  return c
}

function subscribe(c: Client, q: unknown): Promise<SubscribeAck & { ms: number }> {
  const t = performance.now()
  return new Promise((resolve) => c.emit('subscribe', q as Query, (ack) => resolve({ ...ack, ms: performance.now() - t })))
}

/** the 12 categories seeded: C01 sells 10, C02 20, … C12 120 */
const CATEGORIES = Array.from({ length: 12 }, (_, i) => ({ code: `C${String(i + 1).padStart(2, '0')}`, revenue: 10 * (i + 1) }))

beforeAll(async () => {
  s = await startTestServer()
  seededAt = Date.now() - 5_000
  await ingest(s.url, s.ingestKey, [
    // stock on hand now in W2: 30 units worth 300
    { id: randomUUID(), type: 'purchase_receipt', occurredAt: cal.format(seededAt), sku: 'K1', warehouse: 'W2', qty: 30, unitCost: 10 },
    ...CATEGORIES.map((c) => ({
      id: randomUUID(),
      type: 'sales_shipment',
      occurredAt: cal.format(seededAt),
      sku: `S-${c.code}`,
      category: c.code,
      warehouse: 'W1',
      qty: 1,
      unitPrice: c.revenue,
    })),
  ])
})

afterAll(async () => {
  for (const c of clients) c.disconnect()
  await s?.close()
})

describe('the findings, replayed', () => {
  test('a series by minute up to year 9999 is a fast 400 naming /to; memory does not grow; /healthz keeps answering', async () => {
    const hostile = { metric: 'sales.revenue', from: iso(Date.now() - DAY), to: '9999-12-31T00:00:00Z', interval: 'minute' }
    const rssBefore = process.memoryUsage().rss
    const { result, slowestProbe } = await whileProbingWarm(s.url, () => Promise.all([1, 2, 3, 4, 5].map(() => query(s.url, hostile))))
    const rssAfter = process.memoryUsage().rss
    for (const a of result) {
      expect(a.status).toBe(400)
      expect(a.body).toMatchObject({ error: 'COCKPIT_ERR_INVALID_QUERY', errors: [{ path: '/to' }] })
      expect(a.body.message).toMatch(/2100-01-01/)
      expect(a.ms).toBeLessThan(1000)
    }
    // it used to climb to 5 GB and die at the heap limit
    expect(rssAfter - rssBefore).toBeLessThan(50 * 1024 * 1024)
    expect(slowestProbe).toBeLessThan(100)
  })

  test('the same series within the business range is refused by its point count: the limit and what to do', async () => {
    const a = await query(s.url, { metric: 'sales.revenue', from: iso(Date.now() - DAY), to: '2099-12-31T00:00:00Z', interval: 'minute' })
    expect(a.status).toBe(400)
    expect(a.body.error).toBe('COCKPIT_ERR_QUERY_TOO_COSTLY')
    expect(a.body.message).toMatch(/minute points is more than the 10,100 a series by minute may have \(about 7 days\): use a coarser interval/)
    expect(a.ms).toBeLessThan(1000)
  })

  test('ten years by hour (it took 7.7 s to refuse) and two years by hour are refused at once', async () => {
    const from = iso(Date.now() - DAY)
    const { result, slowestProbe } = await whileProbingWarm(s.url, () =>
      Promise.all([10 * YEAR, 2 * YEAR].map((length) => query(s.url, { metric: 'sales.revenue', from, to: iso(Date.now() + length), interval: 'hour' }))),
    )
    for (const a of result) {
      expect(a.body.error).toBe('COCKPIT_ERR_QUERY_TOO_COSTLY')
      expect(a.ms).toBeLessThan(1000)
    }
    expect(slowestProbe).toBeLessThan(100)
  })

  test('ten years by day is answered, every point there, in time', async () => {
    const from = cal.startOf('day', Date.now() - 10 * YEAR)
    const to = Date.now()
    const a = await query(s.url, { metric: 'sales.revenue', from: iso(from), to: iso(to), interval: 'day' })
    expect(a.status).toBe(200)
    expect(a.body.series).toHaveLength(countBuckets(cal, 'day', from, to))
    expect(a.body.total).toBe(CATEGORIES.reduce((t, c) => t + c.revenue, 0))
    expect(a.body.series!.at(-1)!.value).toBe(a.body.total)
    expect(a.ms).toBeLessThan(5000)
  })

  test('a total over the years 0001–9999 is a fast 400 naming /from (it took 3.6 s to answer)', async () => {
    const a = await query(s.url, { metric: 'sales.revenue', from: '0001-01-01T00:00:00Z', to: '9999-12-31T00:00:00Z' })
    expect(a.status).toBe(400)
    expect(a.body).toMatchObject({ error: 'COCKPIT_ERR_INVALID_QUERY', errors: [{ path: '/from' }] })
    expect(a.ms).toBeLessThan(1000)
    // the whole business range is fine for a total: months, not minutes
    const whole = await query(s.url, { metric: 'sales.revenue', from: '1970-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' })
    expect(whole.status).toBe(200)
    expect(whole.body.total).toBe(CATEGORIES.reduce((t, c) => t + c.revenue, 0))
  })
})

describe('closing stock and turnover over long ranges', () => {
  test('a closing figure of 1970 reads months of changes, not a day bucket per day since, and is exact', async () => {
    const a = await query(s.url, { metric: 'stock.closingQty', from: '1970-01-01T00:00:00Z', to: '1970-01-02T00:00:00Z' })
    expect(a.status).toBe(200)
    // 30 received and 12 shipped since: nothing was on hand in 1970
    expect(a.body.total).toBe(0)
    const now = await query(s.url, { metric: 'stock.closingQty', from: iso(seededAt - DAY), to: iso(Date.now() + DAY) })
    expect(now.body.total).toBe(18)
    expect(a.ms).toBeLessThan(2000)
  })

  test('closing value 1970–2100 by month: one point per month, the level now from this month on', async () => {
    const a = await query(s.url, { metric: 'stock.closingValue', from: '1970-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z', interval: 'month', filter: { warehouse: 'W2' } })
    expect(a.status).toBe(200)
    const series = a.body.series!
    expect(series).toHaveLength(1_561) // and January 2100: the range ends at 08:00 on its first day in UTC+8
    const thisMonth = series.findIndex((p) => Date.parse(p.start) === cal.startOf('month', Date.now()))
    expect(series.slice(0, thisMonth).every((p) => p.value === 0)).toBe(true)
    expect(series.slice(thisMonth).every((p) => p.value === 300)).toBe(true)
    expect(a.ms).toBeLessThan(5000)
  })

  test('turnover over ten years is answered; over 1970 to now, or ten years by day, refused at once naming the limit', async () => {
    const ten = await query(s.url, { metric: 'stock.turnover', from: iso(Date.now() - 10 * YEAR), to: iso(Date.now()) })
    expect(ten.status).toBe(200)
    expect(ten.ms).toBeLessThan(5000)
    const long = await query(s.url, { metric: 'stock.turnover', from: '1970-01-01T00:00:00Z', to: iso(Date.now()) })
    expect(long.body).toMatchObject({ error: 'COCKPIT_ERR_QUERY_TOO_COSTLY', errors: [{ path: '/from' }] })
    expect(long.body.message).toMatch(/more than the 3,700 \(about 10 years\)/)
    expect(long.ms).toBeLessThan(1000)
    const daily = await query(s.url, { metric: 'stock.daysOnHand', from: iso(Date.now() - 11 * YEAR), to: iso(Date.now()), interval: 'day', groupBy: 'warehouse' })
    expect(daily.body.error).toBe('COCKPIT_ERR_QUERY_TOO_COSTLY')
    expect(daily.ms).toBeLessThan(1000)
  })
})

describe('subscribe is bounded the same way', () => {
  test('a costly subscribe is refused fast with the code in the ack, and the socket stays usable', async () => {
    const c = client(s.url)
    const twoYears = await subscribe(c, { metric: 'sales.revenue', from: iso(Date.now() - DAY), to: iso(Date.now() + 2 * YEAR), interval: 'hour' })
    expect(twoYears).toMatchObject({ ok: false, error: { code: 'COCKPIT_ERR_QUERY_TOO_COSTLY' } })
    expect(twoYears.ms).toBeLessThan(1000)
    const toYear9999 = await subscribe(c, { metric: 'sales.revenue', from: iso(Date.now() - DAY), to: '9999-12-31T00:00:00Z', interval: 'minute' })
    expect(toYear9999).toMatchObject({ ok: false, error: { code: 'COCKPIT_ERR_INVALID_QUERY' } })
    expect(toYear9999.ms).toBeLessThan(1000)
    const fine = await subscribe(c, { metric: 'sales.revenue', window: 'today' })
    expect(fine).toMatchObject({ ok: true, result: { total: CATEGORIES.reduce((t, c) => t + c.revenue, 0) } })
  })
})

describe('ordinary wall queries are answered as before', () => {
  const sum = CATEGORIES.reduce((t, c) => t + c.revenue, 0)

  test('today, P7D by hour, thisMonth by day', async () => {
    const today = await query(s.url, { metric: 'sales.revenue', window: 'today' })
    expect(today).toMatchObject({ status: 200, body: { total: sum } })
    const week = await query(s.url, { metric: 'sales.revenue', window: 'P7D', interval: 'hour' })
    expect(week.status).toBe(200)
    expect(week.body.series!.length).toBeGreaterThanOrEqual(168)
    expect(week.body.series!.length).toBeLessThanOrEqual(169)
    const hourOfSale = week.body.series!.find((p) => Date.parse(p.start) === cal.startOf('hour', seededAt))
    expect(hourOfSale?.value).toBe(sum)
    expect(week.body.series!.reduce((t, p) => t + (p.value ?? 0), 0)).toBe(sum)
    const month = await query(s.url, { metric: 'sales.revenue', window: 'thisMonth', interval: 'day' })
    expect(month.body.series!.find((p) => Date.parse(p.start) === cal.startOf('day', seededAt))?.value).toBe(sum)
    expect(month.body.total).toBe(sum)
  })

  test('a year by month grouped by category, top 10', async () => {
    const from = cal.startOf('month', cal.fromLocal({ year: cal.local(seededAt).year, month: 1, day: 1, hour: 0, minute: 0 }))
    const to = cal.fromLocal({ year: cal.local(seededAt).year + 1, month: 1, day: 1, hour: 0, minute: 0 })
    const a = await query(s.url, { metric: 'sales.revenue', from: cal.format(from), to: cal.format(to), interval: 'month', groupBy: 'category', top: 10 })
    expect(a.status).toBe(200)
    const top = [...CATEGORIES].reverse().slice(0, 10)
    expect(a.body.groups!.map((g) => [g.key, g.total])).toEqual(top.map((c) => [c.code, c.revenue]))
    expect(a.body.groups![0]!.series).toHaveLength(12)
    expect(a.body.total).toBe(sum)
  })
})

describe('limits from the configuration', () => {
  test('a query still running after COCKPIT_QUERY_TIMEOUT_MS answers 408, over HTTP and in a subscribe ack; /healthz keeps answering', async () => {
    const slow = await startTestServer({ COCKPIT_QUERY_TIMEOUT_MS: '100', COCKPIT_QUERY_MAX_COST: '100000000' })
    try {
      // allowed by this server's huge cost limit: SKUs keep day buckets, so ~47,000 whole-hash reads
      const heavy = { metric: 'sales.revenue', from: '1970-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z', interval: 'month', groupBy: 'sku' }
      const { result, slowestProbe } = await whileProbingWarm(slow.url, () => query(slow.url, heavy))
      expect(result.status).toBe(408)
      expect(result.body.error).toBe('COCKPIT_ERR_QUERY_TIMEOUT')
      expect(result.body.message).toMatch(/longer than 100 ms/)
      expect(result.ms).toBeLessThan(1500)
      expect(slowestProbe).toBeLessThan(100)
      const ack = await subscribe(client(slow.url), heavy)
      expect(ack).toMatchObject({ ok: false, error: { code: 'COCKPIT_ERR_QUERY_TIMEOUT' } })
      expect(ack.ms).toBeLessThan(1500)
    } finally {
      await slow.close()
    }
  })

  test('whole hashes are counted at their real size as they are read: past 5 × COCKPIT_QUERY_MAX_COST fields the query stops', async () => {
    const small = await startTestServer({ COCKPIT_QUERY_MAX_COST: '1000' })
    try {
      // 3,000 SKUs sold over the last 5 days: each hour bucket holds ~25 of them, each day ~600
      const now = Date.now()
      await ingest(
        small.url,
        small.ingestKey,
        Array.from({ length: 3000 }, (_, i) => ({
          id: randomUUID(),
          type: 'sales_shipment',
          occurredAt: cal.format(now - (1 + (i % 120)) * HOUR),
          sku: `S${i}`,
          warehouse: 'W1',
          qty: 1,
          unitPrice: 1,
        })),
      )
      // estimated from the request: ~350 hash reads, under the limit of 1,000; ~6,000 fields come back
      const bySku = await query(small.url, { metric: 'sales.revenue', window: 'P7D', interval: 'hour', groupBy: 'sku' })
      expect(bySku.status).toBe(400)
      expect(bySku.body.error).toBe('COCKPIT_ERR_QUERY_TOO_COSTLY')
      expect(bySku.body.message).toMatch(/read more than 5,000 counter fields/)
      // the top 5 alone: the period's ~3,000 fields summed in Redis, then the series of those 5 SKUs only
      const top5 = await query(small.url, { metric: 'sales.revenue', window: 'P7D', interval: 'hour', groupBy: 'sku', top: 5 })
      expect(top5.status).toBe(200)
      expect(top5.body.groups).toHaveLength(5)
      expect(top5.body.total).toBe(3000)
      // the same figures by a dimension with few members are fine
      const byWarehouse = await query(small.url, { metric: 'sales.revenue', window: 'P7D', interval: 'hour', groupBy: 'warehouse' })
      expect(byWarehouse.status).toBe(200)
      expect(byWarehouse.body.total).toBe(3000)
      // and the estimate alone refuses what is plainly too much for this limit
      const long = await query(small.url, { metric: 'sales.revenue', window: 'P30D', interval: 'hour', groupBy: 'warehouse' })
      expect(long.body.error).toBe('COCKPIT_ERR_QUERY_TOO_COSTLY')
      expect(long.body.message).toMatch(/more than the limit of 1,000/)
    } finally {
      await small.close()
    }
  })
})
