/**
 * Final movements against the real Redis (docs/architecture.md "Effect records and final
 * movements"): a movement that occurred before the cancel window when it arrives keeps its effect
 * record only COCKPIT_FINAL_GRACE_S, then an id marker: re-sent, it is still a duplicate; its
 * cancel within the grace works, after it is refused with a reason; a recent movement keeps its
 * record for the whole window; with COCKPIT_FINAL_AFTER_S=0 nothing is final.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { markerShard } from '../../server/redis/keys.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

const DAY = 86_400_000
const daysAgo = (d: number, minutes = 0) => new Date(Date.now() - d * DAY - minutes * 60_000).toISOString()

let server: TestServer
let never: TestServer

async function ingest(s: TestServer, movements: unknown[]): Promise<{ status: number; body: any }> {
  const res = await s.app.inject({ method: 'POST', url: '/api/v1/movements', headers: { authorization: `Bearer ${s.ingestKey}` }, payload: movements })
  return { status: res.statusCode, body: res.json() }
}
async function stock(s: TestServer, sku: string): Promise<{ qty: number; value: number }> {
  const q = async (metric: string) =>
    ((await s.app.inject({ method: 'POST', url: '/api/v1/query', payload: { metric, filter: { sku: [sku] } } })).json() as { total: number }).total
  return { qty: await q('stock.qty'), value: await q('stock.value') }
}
const receipt = (id: string, occurredAt: string, sku: string, qty = 10, unitCost = 4) => ({ id, type: 'purchase_receipt', occurredAt, sku, warehouse: 'W', qty, unitCost })
const waitPast = (ms: number) => new Promise((r) => setTimeout(r, ms))

beforeAll(async () => {
  server = await startTestServer({ COCKPIT_FINAL_GRACE_S: '1' })
  never = await startTestServer({ COCKPIT_FINAL_GRACE_S: '1', COCKPIT_FINAL_AFTER_S: '0' })
})
afterAll(async () => {
  await server.close()
  await never.close()
})

describe('a movement older than the cancel window', () => {
  test('keeps its record for the grace only, then a marker: re-sent it is still a duplicate', async () => {
    const redis = server.app.redis
    const p = server.prefix
    expect(await ingest(server, [receipt('old-1', daysAgo(60), 'OLD')])).toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } })
    // the marker sits where the server's own shard function says (the script computes it the same way)
    expect(await redis.hget(`${p}dd:${markerShard('old-1')}`, 'old-1')).toBe(String(Math.floor(Date.now() / DAY)))
    const ttl = await redis.ttl(`${p}e:old-1`)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(1)
    expect(await redis.ttl(`${p}dd:${markerShard('old-1')}`)).toBeGreaterThan(34 * 86_400)
    await waitPast(2100)
    expect(await redis.exists(`${p}e:old-1`)).toBe(0)
    // the same id again, alone and in a batch with a new one: only the new one is applied
    expect(await ingest(server, [receipt('old-1', daysAgo(60), 'OLD')])).toEqual({ status: 200, body: { accepted: 0, duplicates: 1 } })
    expect(await ingest(server, [receipt('old-2', daysAgo(50), 'OLD', 5, 6), receipt('old-1', daysAgo(60), 'OLD')])).toEqual({
      status: 200,
      body: { accepted: 1, duplicates: 1 },
    })
    expect(await stock(server, 'OLD')).toEqual({ qty: 15, value: 70 })
  })

  test('its cancel within the grace reverses it; after the grace it is refused, naming why', async () => {
    expect((await ingest(server, [receipt('old-3', daysAgo(90), 'OLDC'), receipt('old-4', daysAgo(90), 'OLDC', 2, 3)])).status).toBe(200)
    expect(await ingest(server, [{ id: 'old-3-x', type: 'cancel', occurredAt: daysAgo(0, 1), cancels: 'old-3' }])).toEqual({
      status: 200,
      body: { accepted: 1, duplicates: 0 },
    })
    expect(await stock(server, 'OLDC')).toEqual({ qty: 2, value: 6 })
    await waitPast(2100)
    const refused = await ingest(server, [{ id: 'old-4-x', type: 'cancel', occurredAt: daysAgo(0, 1), cancels: 'old-4' }])
    expect(refused.status).toBe(400)
    expect(refused.body.rejected[0].errors[0]).toMatchObject({ path: '/cancels', message: expect.stringContaining('"old-4" is final') })
    // the cancel that was applied, re-sent after its own record went: still a duplicate
    expect(await ingest(server, [{ id: 'old-3-x', type: 'cancel', occurredAt: daysAgo(0, 1), cancels: 'old-3' }])).toEqual({
      status: 200,
      body: { accepted: 0, duplicates: 1 },
    })
    expect(await stock(server, 'OLDC')).toEqual({ qty: 2, value: 6 })
  })

  test('a return naming it within the grace is costed at it', async () => {
    expect((await ingest(server, [receipt('old-5', daysAgo(70), 'OLDR', 10, 7), receipt('old-6', daysAgo(70), 'OLDR', 10, 3)])).status).toBe(200)
    const back = { id: 'old-5-r', type: 'purchase_return', occurredAt: daysAgo(0, 1), sku: 'OLDR', warehouse: 'W', qty: 2, returnOf: 'old-5' }
    expect((await ingest(server, [back])).status).toBe(200)
    // 20 × 5.00 − 2 × 7.00 (the receipt's cost, not the average)
    expect(await stock(server, 'OLDR')).toEqual({ qty: 18, value: 86 })
  })
})

describe('a recent movement', () => {
  test('keeps its effect record for the whole window and leaves no marker', async () => {
    const redis = server.app.redis
    const p = server.prefix
    expect((await ingest(server, [receipt('new-1', daysAgo(1), 'NEW')])).status).toBe(200)
    expect(await redis.ttl(`${p}e:new-1`)).toBeGreaterThan(34 * 86_400)
    expect(await redis.hexists(`${p}dd:${markerShard('new-1')}`, 'new-1')).toBe(0)
  })
})

test('COCKPIT_FINAL_AFTER_S=0: nothing is final, an old movement keeps its record for the window', async () => {
  const redis = never.app.redis
  const p = never.prefix
  expect((await ingest(never, [receipt('keep-1', daysAgo(400), 'KEEP')])).status).toBe(200)
  expect(await redis.ttl(`${p}e:keep-1`)).toBeGreaterThan(34 * 86_400)
  expect(await redis.exists(never.app.keys.markersOn)).toBe(0)
  await waitPast(1100)
  expect((await ingest(never, [{ id: 'keep-1-x', type: 'cancel', occurredAt: daysAgo(0, 1), cancels: 'keep-1' }])).status).toBe(200)
  expect(await stock(never, 'KEEP')).toEqual({ qty: 0, value: 0 })
})

describe('order lines of final movements', () => {
  test('a line closed by final movements may be forgotten after the grace; a live one after the window', async () => {
    const redis = server.app.redis
    const closed = server.app.keys.lineClosed('s')
    const order = (id: string, occurredAt: string, ref: string) => ({ id, type: 'sales_order', occurredAt, sku: 'LN', warehouse: 'W', qty: 2, unitPrice: 5, ref })
    const ship = (id: string, occurredAt: string, ref: string) => ({ id, type: 'sales_shipment', occurredAt, sku: 'LN', warehouse: 'W', qty: 2, unitPrice: 5, ref })
    expect((await ingest(server, [order('lo-1', daysAgo(200), 'SO-OLD'), ship('ls-1', daysAgo(199), 'SO-OLD')])).status).toBe(200)
    expect((await ingest(server, [order('lo-2', daysAgo(2), 'SO-NEW'), ship('ls-2', daysAgo(1), 'SO-NEW')])).status).toBe(200)
    const now = Date.now()
    const old = Number(await redis.zscore(closed, 'SO-OLD|LN'))
    expect(old).toBeGreaterThan(now - 60_000)
    expect(old).toBeLessThanOrEqual(now + 1000)
    expect(Number(await redis.zscore(closed, 'SO-NEW|LN'))).toBeGreaterThan(now + 34 * DAY)
  })
})

describe('order lines of history are forgotten in bulk', () => {
  test('one later batch forgets the 300 lines an import closed, once their grace is over', async () => {
    const redis = server.app.redis
    const lines = server.app.keys.line('s')
    const batch = Array.from({ length: 300 }, (_, k) => [
      { id: `bo-${k}`, type: 'sales_order', occurredAt: daysAgo(100), sku: 'BULK', warehouse: 'W', qty: 1, unitPrice: 2, ref: `SO-BULK-${k}` },
      { id: `bs-${k}`, type: 'sales_shipment', occurredAt: daysAgo(99), sku: 'BULK', warehouse: 'W', qty: 1, unitPrice: 2, ref: `SO-BULK-${k}` },
    ]).flat()
    expect((await ingest(server, batch)).status).toBe(200)
    const bulk = async () => (await redis.hkeys(lines)).filter((f) => f.startsWith('SO-BULK-')).length
    expect(await bulk()).toBe(300)
    await waitPast(2100)
    const next = { id: 'bo-next', type: 'sales_order', occurredAt: daysAgo(1), sku: 'BULK', warehouse: 'W', qty: 1, unitPrice: 2, ref: 'SO-NEXT' }
    expect((await ingest(server, [next])).status).toBe(200)
    expect(await bulk()).toBe(0)
    expect(await redis.zcard(server.app.keys.lineClosed('s'))).toBeLessThan(10)
  })
})

describe('documents of final movements', () => {
  test('a document invoiced and settled by history may be compacted after the grace; one live change keeps the window', async () => {
    const redis = server.app.redis
    const changed = server.app.keys.creditChanged('ar')
    const ship = (id: string, occurredAt: string, ref: string) => ({
      id,
      type: 'sales_shipment',
      occurredAt,
      sku: 'CR',
      warehouse: 'W',
      qty: 1,
      unitPrice: 10,
      partner: 'CUST',
      ref,
    })
    const pay = (id: string, occurredAt: string, ref: string) => ({ id, type: 'payment_in', occurredAt, partner: 'CUST', amount: 10, ref })
    expect((await ingest(server, [ship('cs-1', daysAgo(300), 'INV-OLD'), pay('cp-1', daysAgo(290), 'INV-OLD')])).status).toBe(200)
    expect((await ingest(server, [ship('cs-2', daysAgo(300), 'INV-MIX')])).status).toBe(200)
    expect((await ingest(server, [pay('cp-2', daysAgo(1), 'INV-MIX')])).status).toBe(200)
    // history after a live change: the later, earlier time does not shorten the live window
    expect((await ingest(server, [pay('cp-3', daysAgo(280), 'INV-MIX')])).status).toBe(200)
    const now = Date.now()
    const ttl = server.app.config.effectTtl * 1000
    const old = Number(await redis.zscore(changed, 'CUST|INV-OLD'))
    expect(old + ttl).toBeLessThanOrEqual(now + 1000 + 1000)
    expect(old + ttl).toBeGreaterThan(now - 60_000)
    expect(Number(await redis.zscore(changed, 'CUST|INV-MIX'))).toBeGreaterThan(now - 60_000)
  })
})
