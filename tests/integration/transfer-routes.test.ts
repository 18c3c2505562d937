/**
 * Transfers by route (docs/metrics.md, `transfer.qty` by route): groups keyed `FROM→TO` that a
 * sankey widget splits back into source and destination; other metrics refuse the route
 * dimension. The figures over fixed dates are in tests/fixtures/transfer-routes.json.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../server/app.ts'
import { loadConfig } from '../../server/config.ts'
import { parseRoute } from '../../protocol/metrics.ts'
import { deletePrefix } from '../helpers/redis-prefix.ts'

const prefix = `test:route:${randomUUID().slice(0, 8)}:`
let app: FastifyInstance

const query = async (q: unknown) => {
  const res = await app.inject({ method: 'POST', url: '/api/v1/query', payload: q as object })
  return { status: res.statusCode, body: res.json() as Record<string, any> }
}

beforeAll(async () => {
  app = await buildApp({ config: loadConfig({ COCKPIT_KEY_PREFIX: prefix, COCKPIT_INGEST_KEYS: 'ik', COCKPIT_ADMIN_KEY: 'ak' }), logger: false })
  await app.ready()
  for (let i = 0; i < 100 && !app.aggregator.ready; i++) await new Promise((r) => setTimeout(r, 20))
  const master = await app.inject({
    method: 'PUT',
    url: '/api/v1/master/warehouses',
    headers: { authorization: 'Bearer ak' },
    payload: [
      { code: 'DC-1', name: 'North DC', region: 'N' },
      { code: 'ST-9', name: 'Store 9', region: 'E' },
    ],
  })
  expect(master.statusCode).toBe(200)
  const at = new Date().toISOString()
  const transfer = (id: string, from: string, to: string, qty: number) => ({ id, type: 'transfer', occurredAt: at, sku: 'S1', warehouse: from, toWarehouse: to, qty })
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/movements',
    headers: { authorization: 'Bearer ik' },
    payload: [transfer('t1', 'DC-1', 'ST-9', 12), transfer('t2', 'DC-1', 'ST-9', 3), transfer('t3', 'ST-9', 'DC-1', 2), transfer('t4', 'DC-1', 'X-7', 1.5)],
  })
  expect(res.json()).toEqual({ accepted: 4, duplicates: 0 })
})

afterAll(async () => {
  await deletePrefix(app.redis, prefix)
  await app.close()
})

describe('transfer.qty by route', () => {
  test('today by route: one group per (from, to), from and to recoverable, named from master data', async () => {
    const { status, body } = await query({ metric: 'transfer.qty', groupBy: 'route', window: 'today' })
    expect(status).toBe(200)
    expect(body.groupBy).toBe('route')
    expect(body.total).toBe(18.5)
    const groups = (body.groups as { key: string; label?: string; total: number }[]).map((g) => ({ ...parseRoute(g.key), label: g.label, total: g.total }))
    expect(groups).toEqual([
      { from: 'DC-1', to: 'ST-9', label: 'North DC → Store 9', total: 15 },
      { from: 'ST-9', to: 'DC-1', label: 'Store 9 → North DC', total: 2 },
      { from: 'DC-1', to: 'X-7', label: 'North DC → X-7', total: 1.5 },
    ])
  })

  test('filter by one route, with an hourly series', async () => {
    const { status, body } = await query({ metric: 'transfer.qty', window: 'today', interval: 'hour', filter: { route: 'ST-9→DC-1' } })
    expect(status).toBe(200)
    expect(body.total).toBe(2)
    expect((body.series as { value: number }[]).reduce((t, p) => t + p.value, 0)).toBe(2)
  })

  test.each([
    [{ metric: 'sales.revenue', window: 'today', groupBy: 'route' }],
    [{ metric: 'cash.net', window: 'today', groupBy: 'route' }],
    [{ metric: 'sales.grossMargin', window: 'today', groupBy: 'route' }],
    [{ metric: 'sales.qty', window: 'today', filter: { route: 'DC-1→ST-9' } }],
    [{ metric: 'stock.qty', groupBy: 'route' }],
    [{ metric: 'stock.stockoutRate', groupBy: 'route' }],
    [{ metric: 'stock.closingValue', window: 'P7D', groupBy: 'route' }],
  ])('other metrics refuse the route dimension: %j', async (q) => {
    const { status, body } = await query(q)
    expect(status).toBe(400)
    expect(body.error).toBe('COCKPIT_ERR_UNSUPPORTED_QUERY')
  })

  test('a route filter is validated like any member', async () => {
    const { status, body } = await query({ metric: 'transfer.qty', window: 'today', filter: { route: 'x'.repeat(130) } })
    expect(status).toBe(400)
    expect(body.error).toBe('COCKPIT_ERR_INVALID_QUERY')
  })
})
