/**
 * Exact at every size the API accepts (issue #8, point 1): pair values past 2^52 money units go
 * through the apply script's decimal bignums, and every figure equals a BigInt computation of the
 * same rules. Read straight from the Redis hashes (decimal strings), so the query layer's numbers
 * do not blur the comparison.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { DEFAULT_MONEY, roundMoneyBig } from '../../server/domain/money.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

let server: TestServer
const at = '2026-03-02T10:00:00+08:00'

beforeAll(async () => {
  server = await startTestServer()
})
afterAll(async () => {
  await server?.close()
})

const post = (batch: unknown[]) => server.app.inject({ method: 'POST', url: '/api/v1/movements', headers: { authorization: `Bearer ${server.ingestKey}` }, payload: batch })

test('ten of the largest receipts and a shipment at the average are exact to the unit', async () => {
  // 1e9 units @ 99.999999 = 99,999,999,000.00 per line, just inside the largest line
  const receipts = Array.from({ length: 10 }, (_, k) => ({ id: `big-r${k}`, type: 'purchase_receipt', occurredAt: at, sku: 'BIG', warehouse: 'W', qty: 1e9, unitCost: 99.999999 }))
  expect((await post(receipts)).statusCode).toBe(200)
  const ship = { id: 'big-s', type: 'sales_shipment', occurredAt: at, sku: 'BIG', warehouse: 'W', qty: 3, unitPrice: 150 }
  expect((await post([ship])).json()).toEqual({ accepted: 1, duplicates: 0 })

  const line = (1_000_000_000_000n * 99_999_999n) / 100_000n // money units of one receipt, 1e-4
  const q0 = 10n * 1_000_000_000_000n
  const v0 = 10n * line
  expect(v0 > 2n ** 53n).toBe(true)
  const q1 = q0 - 3000n
  const v1 = roundMoneyBig(q1 * v0, q0, DEFAULT_MONEY)
  const cogs = v0 - v1

  const redis = server.app.redis
  const p = server.prefix
  expect(await redis.hget(`${p}c:now:q:pair`, 'BIG|W')).toBe(q1.toString())
  expect(await redis.hget(`${p}c:now:v:pair`, 'BIG|W')).toBe(v1.toString())
  expect(await redis.hget(`${p}c:now:v:all`, '_')).toBe(v1.toString())
  const effect = JSON.parse((await redis.get(`${p}e:big-s`))!) as { x: (number | string)[][] }
  expect(BigInt(effect.x[0]![0]!)).toBe(cogs)
  // the query answers in the currency: 999,999,989,999.70 of stock
  const value = (await server.app.inject({ method: 'POST', url: '/api/v1/query', payload: { metric: 'stock.value' } })).json() as { total: number }
  expect(value.total).toBe(Number(v1) / 10_000)
})

test('a cancel of a receipt into negative stock, before anything else moved the pair, restores it exactly', async () => {
  expect((await post([{ id: 'neg-s', type: 'sales_shipment', occurredAt: at, sku: 'NEG', warehouse: 'W', qty: 5, unitPrice: 9 }])).statusCode).toBe(200)
  expect((await post([{ id: 'neg-r', type: 'purchase_receipt', occurredAt: at, sku: 'NEG', warehouse: 'W', qty: 20, unitCost: 5 }])).statusCode).toBe(200)
  const redis = server.app.redis
  const p = server.prefix
  expect(await redis.hget(`${p}c:now:v:pair`, 'NEG|W')).toBe('750000') // 15 × 5.00, not 100.00
  expect((await post([{ id: 'neg-c', type: 'cancel', occurredAt: at, cancels: 'neg-r' }])).statusCode).toBe(200)
  expect(await redis.hget(`${p}c:now:q:pair`, 'NEG|W')).toBe('-5000')
  expect(await redis.hget(`${p}c:now:v:pair`, 'NEG|W')).toBe('0')
  const reval = (
    await server.app.inject({
      method: 'POST',
      url: '/api/v1/query',
      payload: { metric: 'stock.revaluation', from: '2026-03-02T00:00:00+08:00', to: '2026-03-03T00:00:00+08:00', filter: { sku: 'NEG' } },
    })
  ).json() as { total: number }
  expect(reval.total).toBe(0)
})

/** every key of the test's prefix with its type and contents: what a refused batch must leave as it was */
async function snapshot(): Promise<Map<string, unknown>> {
  const redis = server.app.redis
  const out = new Map<string, unknown>()
  for (const key of (await redis.keys(`${server.prefix}*`)).sort()) {
    const type = await redis.type(key)
    if (type === 'hash') out.set(key, await redis.hgetall(key))
    else if (type === 'zset') out.set(key, await redis.zrange(key, '0', '-1', 'WITHSCORES'))
    else if (type === 'list') out.set(key, await redis.lrange(key, 0, -1))
    else if (type === 'string') out.set(key, await redis.get(key))
    else out.set(key, type)
  }
  return out
}

test('a batch that would take a counter past int64 is refused whole, every cell as it was', async () => {
  const { keys, aggregator } = server.app
  const when = '2026-03-03T11:00:00+08:00'
  const day = aggregator.calendar.bucketId('day', Date.parse(when))
  // revenue of that day, by warehouse, already at the edge of int64 for W2 (money units, 1e-4)
  await server.app.redis.hset(keys.counter('day', day, 's.rev', 'warehouse'), 'W2', '9223372036854775000')
  const ok = { id: 'edge-ok', type: 'sales_shipment', occurredAt: when, sku: 'EDGE', warehouse: 'W1', qty: 2, unitPrice: 10, category: 'c1' }
  expect((await post([ok])).statusCode).toBe(200)
  const before = await snapshot()
  // many cells of this batch are fine (and are incremented first or last, in whatever order the script meets them);
  // one, W2's day revenue, would overflow
  const batch = [
    { id: 'edge-a', type: 'sales_shipment', occurredAt: when, sku: 'EDGE', warehouse: 'W1', qty: 1, unitPrice: 7, category: 'c1', partner: 'P1' },
    { id: 'edge-b', type: 'sales_shipment', occurredAt: when, sku: 'EDGE2', warehouse: 'W2', qty: 1, unitPrice: 1, category: 'c2', partner: 'P2' },
    { id: 'edge-c', type: 'purchase_receipt', occurredAt: when, sku: 'EDGE3', warehouse: 'W3', qty: 5, unitCost: 2 },
  ]
  const refused = await post(batch)
  expect(refused.statusCode).toBe(422)
  expect(refused.json()).toMatchObject({ error: 'COCKPIT_ERR_COUNTER_RANGE' })
  expect(await snapshot()).toEqual(before)
  // the ids were not taken: the same batch without the overflowing line is applied
  expect((await post(batch.filter((m) => m.id !== 'edge-b'))).json()).toEqual({ accepted: 2, duplicates: 0 })
})
