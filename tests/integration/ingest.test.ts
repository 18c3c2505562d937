/**
 * Ingest → Redis → query, against the real Redis, isolated by a key prefix of its own.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../server/app.ts'
import { loadConfig } from '../../server/config.ts'

const prefix = `test:ingest:${randomUUID().slice(0, 8)}:`
const INGEST = 'ik_test'
const ADMIN = 'ak_test'
let app: FastifyInstance

async function prefixKeys(): Promise<string[]> {
  const out: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await app.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = next
    out.push(...keys)
  } while (cursor !== '0')
  return out.sort()
}

async function post(body: unknown, headers: Record<string, string> = {}) {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/movements',
    headers: { authorization: `Bearer ${INGEST}`, 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: res.statusCode, body: res.json() as Record<string, unknown>, headers: res.headers }
}

async function query(q: unknown) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/query', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(q) })
  return { status: res.statusCode, body: res.json() as Record<string, any> }
}

const today = (h: number, m = 0) => {
  const d = new Date(Date.now() + 8 * 3600_000) // Shanghai wall clock
  const day = d.toISOString().slice(0, 10)
  return `${day}T${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00+08:00`
}
const nowHour = () => new Date(Date.now() + 8 * 3600_000).getUTCHours()
const id = () => randomUUID()

beforeAll(async () => {
  app = await buildApp({
    config: loadConfig({ COCKPIT_KEY_PREFIX: prefix, COCKPIT_INGEST_KEYS: INGEST, COCKPIT_ADMIN_KEY: ADMIN, COCKPIT_BODY_LIMIT: String(4 * 1024 * 1024) }),
    logger: false,
  })
  await app.ready()
  for (let i = 0; i < 50 && !app.aggregator.ready; i++) await new Promise((r) => setTimeout(r, 20))
})

afterAll(async () => {
  const keys = await prefixKeys()
  if (keys.length) await app.redis.unlink(...keys)
  await app.close()
})

describe('ingest and query', () => {
  test('receipts, a shipment and a payment give exact revenue, COGS at moving average, stock and margin', async () => {
    const h = nowHour()
    const batch = [
      { id: id(), type: 'purchase_receipt', occurredAt: today(0, 5), sku: 'A1', warehouse: 'W1', qty: 10, unitCost: 3 },
      { id: id(), type: 'purchase_receipt', occurredAt: today(0, 6), sku: 'A1', warehouse: 'W1', qty: 10, unitCost: 4 },
      { id: id(), type: 'sales_shipment', occurredAt: today(h), sku: 'A1', warehouse: 'W1', qty: 5, unitPrice: 10.01, dueAt: today(h, 30) },
      { id: id(), type: 'sales_shipment', occurredAt: today(h), sku: 'B2', warehouse: 'W1', qty: 1, unitPrice: 99.99, unitCost: 60 },
      { id: id(), type: 'payment_in', occurredAt: today(h), amount: 50.05, partner: 'C1' },
    ]
    expect(await post(batch)).toMatchObject({ status: 200, body: { accepted: 5, duplicates: 0 } })

    const revenue = await query({ metric: 'sales.revenue', window: 'today' })
    expect(revenue.status).toBe(200)
    expect(revenue.body.total).toBe(150.04) // 5 × 10.01 + 99.99
    // A1 average (10×3 + 10×4)/20 = 3.5 → 17.50; B2 at the ERP's own cost 60
    expect((await query({ metric: 'sales.cogs', window: 'today' })).body.total).toBe(77.5)
    expect((await query({ metric: 'sales.grossProfit', window: 'today' })).body.total).toBe(72.54)
    expect((await query({ metric: 'sales.grossMargin', window: 'today' })).body.total).toBeCloseTo(72.54 / 150.04, 12)
    expect((await query({ metric: 'purchase.receiptAmount', window: 'today' })).body.total).toBe(70)
    expect((await query({ metric: 'cash.net', window: 'today' })).body.total).toBe(50.05)
    expect((await query({ metric: 'fulfilment.onTimeRate', window: 'today' })).body.total).toBe(1)
    const stock = await query({ metric: 'stock.value', groupBy: 'sku' })
    // A1: 15 left at 3.50 = 52.50; B2 shipped from nothing: −1 at cost 60
    expect(stock.body.groups).toEqual([
      { key: 'A1', total: 52.5 },
      { key: 'B2', total: -60 },
    ])
    expect((await query({ metric: 'stock.qty', filter: { sku: 'A1', warehouse: 'W1' } })).body.total).toBe(15)
    const top = await query({ metric: 'sales.revenue', window: 'today', groupBy: 'sku', top: 1 })
    expect(top.body.groups).toEqual([{ key: 'B2', total: 99.99 }])
    const hourly = await query({ metric: 'sales.revenue', window: 'today', interval: 'hour' })
    expect(hourly.body.series).toHaveLength(h + 1)
    expect(hourly.body.series.at(-1).value).toBe(150.04)
    expect((await query({ metric: 'sales.grossMargin', window: 'yesterday' })).body.total).toBeNull()
  })

  test('a retried batch is reported as duplicates and changes nothing', async () => {
    const batch = [{ id: id(), type: 'sales_order', occurredAt: today(nowHour()), sku: 'R1', warehouse: 'W1', qty: 3, unitPrice: 2.5 }]
    const before = (await query({ metric: 'sales.orderAmount', window: 'today' })).body.total
    expect((await post(batch)).body).toEqual({ accepted: 1, duplicates: 0 })
    const after = (await query({ metric: 'sales.orderAmount', window: 'today' })).body.total
    expect(after - before).toBeCloseTo(7.5, 10)
    expect((await post(batch)).body).toEqual({ accepted: 0, duplicates: 1 })
    expect((await query({ metric: 'sales.orderAmount', window: 'today' })).body.total).toBe(after)
    // mixing new ids with seen ones, and the same id twice in one batch
    const fresh = { ...batch[0]!, id: id() }
    expect((await post([...batch, fresh, fresh])).body).toEqual({ accepted: 1, duplicates: 2 })
    expect((await query({ metric: 'sales.orderAmount', window: 'today' })).body.total).toBeCloseTo(after + 7.5, 10)
  })

  test('an invalid batch gets 400 naming every bad index, and Redis is untouched', async () => {
    const keysBefore = await prefixKeys()
    const snapshot = await app.redis.hgetall(`${prefix}c:now:q:all`)
    const res = await post([
      { id: id(), type: 'sales_shipment', occurredAt: today(1), sku: 'X', warehouse: 'W1', qty: 1, unitPrice: 1 },
      { id: 'bad-qty', type: 'sales_shipment', occurredAt: today(1), sku: 'X', warehouse: 'W1', qty: -1, unitPrice: 1 },
      { id: id(), type: 'payment_in', occurredAt: today(1), amount: 5 },
      { id: 'bad-type', type: 'teleport', occurredAt: today(1) },
    ])
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_movements')
    expect(res.body.rejected).toEqual([
      { index: 1, id: 'bad-qty', errors: [{ path: '/qty', message: 'must be > 0' }] },
      { index: 3, id: 'bad-type', errors: [{ path: '/type', message: expect.stringContaining('must be one of') }] },
    ])
    expect(await prefixKeys()).toEqual(keysBefore)
    expect(await app.redis.hgetall(`${prefix}c:now:q:all`)).toEqual(snapshot)
  })

  test('authentication, size limits and malformed bodies', async () => {
    const one = [{ id: id(), type: 'payment_out', occurredAt: today(1), amount: 1 }]
    expect((await post(one, { authorization: '' })).status).toBe(401)
    const wrong = await post(one, { authorization: 'Bearer nope' })
    expect(wrong.status).toBe(401)
    expect(wrong.headers['www-authenticate']).toBe('Bearer')
    const many = Array.from({ length: 5001 }, () => ({ id: id(), type: 'payment_out', occurredAt: today(1), amount: 1 }))
    const tooMany = await post(many)
    expect(tooMany.status).toBe(413)
    expect(tooMany.body.message).toMatch(/ndjson/i)
    expect((await post('x'.repeat(5 * 1024 * 1024))).status).toBe(413)
    expect((await post('[{"id": "a", ')).status).toBe(400)
    expect((await post([])).status).toBe(400)
    expect((await post({ id: 'not-an-array' })).status).toBe(400)
  })

  test('NDJSON bodies are validated whole, with line numbers', async () => {
    const lines = Array.from({ length: 7000 }, (_, i) => JSON.stringify({ id: `nd-${prefix}-${i}`, type: 'payment_in', occurredAt: today(2), amount: 0.01 }))
    const before = (await query({ metric: 'cash.in', window: 'today' })).body.total
    const ok = await post(lines.join('\n') + '\n', { 'content-type': 'application/x-ndjson' })
    expect(ok).toMatchObject({ status: 200, body: { accepted: 7000, duplicates: 0 } })
    expect((await query({ metric: 'cash.in', window: 'today' })).body.total).toBeCloseTo(before + 70, 10)
    const bad = [lines[0], '{broken', lines[1], JSON.stringify({ id: 'z', type: 'payment_in', occurredAt: today(2), amount: -4 })].join('\n')
    const res = await post(bad, { 'content-type': 'application/x-ndjson' })
    expect(res.status).toBe(400)
    expect((res.body.rejected as { index: number }[]).map((r) => r.index)).toEqual([1, 3])
  })

  test('years-old history lands in its day and month buckets', async () => {
    const old = [
      { id: id(), type: 'sales_shipment', occurredAt: '2017-03-31T23:59:59+08:00', sku: 'H', warehouse: 'W9', qty: 2, unitPrice: 5, unitCost: 1 },
      { id: id(), type: 'sales_shipment', occurredAt: '2017-03-31T16:00:00Z', sku: 'H', warehouse: 'W9', qty: 1, unitPrice: 5, unitCost: 1 },
    ]
    expect((await post(old)).body).toEqual({ accepted: 2, duplicates: 0 })
    const r = await query({ metric: 'sales.revenue', from: '2017-01-01T00:00:00+08:00', to: '2018-01-01T00:00:00+08:00', interval: 'month' })
    expect(r.status).toBe(200)
    const series = r.body.series as { start: string; value: number }[]
    expect(series).toHaveLength(12)
    expect(series[2]).toEqual({ start: '2017-03-01T00:00:00+08:00', value: 10 })
    expect(series[3]).toEqual({ start: '2017-04-01T00:00:00+08:00', value: 5 }) // 16:00Z on the 31st is April 1st in Shanghai
    const bySku = await query({ metric: 'sales.revenue', from: '2017-03-01T00:00:00+08:00', to: '2017-05-01T00:00:00+08:00', groupBy: 'sku' })
    expect(bySku.body.groups).toEqual([{ key: 'H', total: 15 }])
  })

  test('bad queries get a 400 naming the problem', async () => {
    const r = await query({ metric: 'sales.nope', window: 'today' })
    expect(r.status).toBe(400)
    expect(r.body.error).toBe('COCKPIT_ERR_INVALID_QUERY')
    expect(r.body.errors[0].path).toBe('/metric')
    expect((await query({ metric: 'sales.revenue' })).status).toBe(400)
    expect((await query({ metric: 'sales.revenue', window: 'today', groupBy: 'sku', interval: 'minute' })).body.error).toBe('COCKPIT_ERR_UNSUPPORTED_QUERY')
    expect((await query({ metric: 'cash.in', window: 'today', groupBy: 'sku' })).body.message).toMatch(/not kept by sku/)
  })
})
