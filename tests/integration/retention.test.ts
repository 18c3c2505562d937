/**
 * Buckets past their retention (`COCKPIT_RETAIN_*_S`) are neither written nor read: a period whose edges need them
 * widens to the finest resolution still kept, and the result says so in `from`/`to` — the previous period's too — so
 * a figure never silently covers more than its label (docs/metrics.md "Retention").
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Movement } from '../../protocol/movement.ts'
import type { Query, QueryResult } from '../../protocol/query.ts'
import { createCalendar } from '../../server/domain/time.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

const cal = createCalendar('Asia/Shanghai')
const DAY = 86_400_000
const now = Date.now()
/** the month two months back: every day of it is past a 10-day day retention */
const month = cal.startOf('month', cal.startOf('month', cal.startOf('month', now) - 1) - 1)
const monthEnd = cal.nextStart('month', month)
const priorMonth = cal.startOf('month', month - 1)
/** the previous period of `month` (as long, just before): it starts inside the month before when the lengths differ */
const prevFrom = month - (monthEnd - month)
const prevMonthStart = cal.startOf('month', prevFrom)

const sale = (id: string, t: number, unitPrice: number, sku = 'S1'): Movement => ({
  id,
  type: 'sales_shipment',
  occurredAt: cal.format(t),
  sku,
  warehouse: 'W1',
  qty: 1,
  unitPrice,
  category: 'tools',
})
const movements: Movement[] = [
  sale('rt-a', month + 2 * DAY + 10 * 3_600_000, 100),
  sale('rt-b', month + 19 * DAY + 15 * 3_600_000, 50),
  sale('rt-c', priorMonth + 14 * DAY, 30),
  // in the month where the previous period starts (the month before, or the one before that)
  sale('rt-d', prevMonthStart + 12 * 3_600_000, 7),
]

let server: TestServer
let ask: (q: Partial<Query>) => Promise<QueryResult>

beforeAll(async () => {
  server = await startTestServer({ COCKPIT_RETAIN_DAY_S: String(10 * 86_400), COCKPIT_RETAIN_HOUR_S: String(86_400) })
  const res = await server.app.inject({ method: 'POST', url: '/api/v1/movements', headers: { authorization: `Bearer ${server.ingestKey}` }, payload: movements })
  expect(res.statusCode, res.body).toBe(200)
  ask = async (q) => {
    const r = await server.app.inject({ method: 'POST', url: '/api/v1/query', payload: q })
    expect(r.statusCode, r.body).toBe(200)
    return r.json() as QueryResult
  }
})

afterAll(async () => {
  await server?.close()
})

describe('a period past the day retention', () => {
  test('no day bucket is written for it', async () => {
    const days = await server.app.redis.keys(`${server.prefix}c:d:*`)
    expect(days).toEqual([])
    expect(await server.app.redis.keys(`${server.prefix}c:M:*`)).not.toEqual([])
  })

  test('a few days inside an old month read the whole month, and the result says so', async () => {
    const r = await ask({ metric: 'sales.revenue', from: cal.format(month + 9 * DAY), to: cal.format(month + 14 * DAY) })
    expect(r.total).toBe(150)
    expect(r.from).toBe(cal.format(month))
    expect(r.to).toBe(cal.format(monthEnd))
  })

  test('a whole month is read as asked', async () => {
    const r = await ask({ metric: 'sales.revenue', from: cal.format(month), to: cal.format(monthEnd), groupBy: 'category' })
    expect(r.total).toBe(150)
    expect(r.from).toBe(cal.format(month))
    expect(r.to).toBe(cal.format(monthEnd))
    expect(r.groups?.map((g) => [g.key, g.total])).toEqual([['tools', 150]])
  })

  test('the previous period widens the same way, and names what it read', async () => {
    const r = await ask({ metric: 'sales.revenue', from: cal.format(month), to: cal.format(monthEnd), compare: 'previous' })
    expect(r.total).toBe(150)
    // from the start of the month holding prevFrom to the start of `month`: the sales c and d, whatever the months' lengths
    expect(r.previous).toEqual({ from: cal.format(prevMonthStart), to: cal.format(month), total: 37 })
  })

  test('SKUs keep no months: their figures there are read by year, and the result says so', async () => {
    const r = await ask({ metric: 'sales.revenue', from: cal.format(month), to: cal.format(monthEnd), groupBy: 'sku' })
    const year = cal.startOf('year', month)
    expect(r.from).toBe(cal.format(year))
    // a year still running holds the movements up to now
    const yearEnd = cal.nextStart('year', month)
    if (yearEnd <= Date.now()) expect(r.to).toBe(cal.format(yearEnd))
    else expect(Date.parse(r.to!)).toBeGreaterThan(Date.now() - 60_000)
    expect(r.groups?.map((g) => [g.key, g.total])).toEqual([
      ['S1', movements.filter((m) => Date.parse(m.occurredAt) >= year).reduce((s, m) => s + (m as { unitPrice: number }).unitPrice, 0)],
    ])
  })

  test('partners keep days only: a query by partner there is refused, naming why', async () => {
    const r = await server.app.inject({
      method: 'POST',
      url: '/api/v1/query',
      payload: { metric: 'sales.revenue', from: cal.format(month), to: cal.format(monthEnd), groupBy: 'partner' },
    })
    expect(r.statusCode).toBe(400)
    expect(r.json()).toMatchObject({ error: 'COCKPIT_ERR_UNSUPPORTED_QUERY' })
    expect(r.json().message).toMatch(/partner/)
  })

  test('a series finer than what is kept is refused, naming the finest', async () => {
    const r = await server.app.inject({
      method: 'POST',
      url: '/api/v1/query',
      payload: { metric: 'sales.revenue', from: cal.format(month), to: cal.format(monthEnd), interval: 'day' },
    })
    expect(r.statusCode).toBe(400)
    expect(r.json().message).toMatch(/month/)
  })

  test('a period inside the retention reads days and stays as asked', async () => {
    const today = cal.startOf('day', now)
    const r = await ask({ metric: 'sales.revenue', from: cal.format(today - 3 * DAY), to: cal.format(today - DAY) })
    expect(r.total).toBe(0)
    expect(r.from).toBe(cal.format(today - 3 * DAY))
    expect(r.to).toBe(cal.format(today - DAY))
  })
})
