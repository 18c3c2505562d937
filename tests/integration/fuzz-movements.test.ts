/**
 * Fuzzing the write path against the real server and Redis (issue #13): arbitrary
 * movement-shaped objects (wrong types, strings with control characters, markup and any Unicode,
 * numbers at and past the limits, missing and extra fields) and arbitrary bodies, as a JSON
 * array or NDJSON, posted with an ingest key. Whatever comes in: a 2xx or a 4xx, in time, never a
 * 5xx; `/healthz` stays fast meanwhile; a batch answered 400 applied nothing; and whatever was
 * accepted, `movements.recent` still answers.
 */
import { performance } from 'node:perf_hooks'
import fc from 'fast-check'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { MOVEMENT_TYPES } from '../../protocol/movement.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { probeHealth } from '../helpers/health-probe.ts'

let server: TestServer
/**
 * A database index of its own on the shared Redis: the test counts applied movements by scanning
 * for effect records after every case, and SCAN walks the whole database, whatever else it holds
 * (a demo's history is hundreds of thousands of keys: 25 s then ran 32 cases instead of 250).
 */
const FUZZ_DB = 14
function ownDatabase(): string {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
  url.pathname = `/${FUZZ_DB}`
  return url.toString()
}

beforeAll(async () => {
  server = await startTestServer({ REDIS_URL: ownDatabase() })
})
afterAll(async () => {
  await server?.close()
})

const recentTime = new Date(Date.now() - 3600_000).toISOString()

/** strings an attacker or a broken connector sends */
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '<img src=x onerror=alert(1)>',
    '<script>alert(1)</script>',
    'a\tb',
    'a|b',
    'a\nb',
    ' A',
    'A ',
    '\u2028',
    '\u202e',
    '\u0000',
    '\ud800',
    'NaN',
    'Infinity',
    '-1',
    '1e308',
    '',
    '上海仓',
    '华东 区',
    '→',
    '-',
    '_',
    '__proto__',
    'constructor',
    'x'.repeat(129),
  ),
)
/**
 * numbers past the limits, and things that are not numbers. Lines *at* the limits (qty 1e9 @ 1e9)
 * still overflow a counter in the apply script: issue #8, pinned by the known-failure test below.
 */
const hostileNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(0, -0, -1, 0.001, 0.0001, 1.0005, 1e9 + 1, 1e12 + 1, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER, 2 ** 53 + 1),
  fc.constantFrom<unknown>('NaN', 'Infinity', '1', null, true, [], {}, [1]),
)
const anything = fc.oneof(hostileString, hostileNumber)

const codeOk = fc.constantFrom('S1', 'W1', 'W2', '上海仓', 'SKU-0001', 'C&A')
/** a valid movement of each type, mutated or not: most fuzz stays near the accepted shape */
const validMovement = fc
  .record({ type: fc.constantFrom(...MOVEMENT_TYPES), n: fc.nat(50), sku: codeOk, warehouse: fc.constantFrom('W1', '上海仓'), qty: fc.constantFrom(1, 2.5, 1000, 0.001) })
  .map(({ type, n, sku, warehouse, qty }): Record<string, unknown> => {
    const base: Record<string, unknown> = { id: `fz-${type}-${n}`, type, occurredAt: recentTime }
    // a cancel of a movement the fuzz may or may not have applied (or cancelled) before
    if (type === 'cancel') return { ...base, cancels: `fz-${MOVEMENT_TYPES[n % (MOVEMENT_TYPES.length - 1)]}-${n}` }
    if (type === 'payment_in' || type === 'payment_out') return { ...base, amount: qty }
    if (type === 'stocktake') return { ...base, sku, warehouse, countedQty: qty }
    const line = { ...base, sku, warehouse, qty }
    if (type === 'transfer') return { ...line, toWarehouse: 'W2' }
    if (type.startsWith('sales')) return { ...line, unitPrice: 3 }
    return { ...line, unitCost: 2 }
  })
const FIELDS = [
  'id',
  'type',
  'occurredAt',
  'sku',
  'warehouse',
  'toWarehouse',
  'qty',
  'countedQty',
  'unitPrice',
  'unitCost',
  'amount',
  'partner',
  'category',
  'region',
  'channel',
  'ref',
  'cancels',
  'currency',
  'dueAt',
  'extra',
]
const mutated = fc.tuple(validMovement, fc.array(fc.tuple(fc.constantFrom(...FIELDS), fc.option(anything, { nil: undefined })), { maxLength: 3 })).map(([m, changes]) => {
  const out: Record<string, unknown> = { ...m }
  for (const [field, value] of changes) {
    if (value === undefined) delete out[field]
    else out[field] = value
  }
  return out
})
/** a valid movement with one code or id replaced by any string: accepted or refused by the pattern alone */
const hostileCode = fc
  .tuple(validMovement, fc.constantFrom('id', 'sku', 'warehouse', 'partner', 'category', 'region', 'channel', 'ref'), hostileString)
  .map(([m, field, value]) => ({ ...m, [field]: field === 'id' ? `${String(m.id)}${value}` : value }))
/** any object with movement-ish keys */
const shapeless = fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 8 })), anything, { maxKeys: 12 })
const movementish = fc.oneof(
  { weight: 3, arbitrary: validMovement },
  { weight: 3, arbitrary: hostileCode },
  { weight: 4, arbitrary: mutated },
  { weight: 2, arbitrary: shapeless },
  { weight: 1, arbitrary: anything },
)

interface Body {
  type: 'application/json' | 'application/x-ndjson'
  payload: string | Uint8Array<ArrayBuffer>
}
const separator = fc.constantFrom('\n', '\r\n', '\n\n', '\n \n')
const body: fc.Arbitrary<Body> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.array(fc.oneof(validMovement, hostileCode), { minLength: 1, maxLength: 10 }), fc.boolean())
      .map(([a, ndjson]): Body =>
        ndjson ? { type: 'application/x-ndjson', payload: a.map((m) => JSON.stringify(m)).join('\n') } : { type: 'application/json', payload: JSON.stringify(a) },
      ),
  },
  { weight: 4, arbitrary: fc.array(movementish, { minLength: 0, maxLength: 20 }).map((a): Body => ({ type: 'application/json', payload: JSON.stringify(a) })) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.array(fc.oneof({ weight: 5, arbitrary: movementish.map((m) => JSON.stringify(m) ?? 'null') }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) }), {
          maxLength: 20,
        }),
        separator,
      )
      .map(([lines, sep]): Body => ({ type: 'application/x-ndjson', payload: lines.join(sep) })),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v): Body => ({ type: 'application/json', payload: JSON.stringify(v) ?? '' })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom<Body['type']>('application/json', 'application/x-ndjson'), fc.string({ unit: 'binary', maxLength: 300 }))
      .map(([type, payload]): Body => ({ type, payload })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom<Body['type']>('application/json', 'application/x-ndjson'), fc.uint8Array({ maxLength: 500 }))
      .map(([type, payload]): Body => ({ type, payload })),
  },
)

/** effect records under the server's prefix: one per movement applied */
async function applied(): Promise<number> {
  let cursor = '0'
  let n = 0
  do {
    const [next, keys] = await server.app.redis.scan(cursor, 'MATCH', `${server.prefix}e:*`, 'COUNT', 1000)
    cursor = next
    n += keys.length
  } while (cursor !== '0')
  return n
}

test('any body gets a 2xx or a 4xx in time, /healthz stays fast, and a 400 applies nothing', async () => {
  // first calls compile validators, load the apply script and open connections: not what is measured
  const post = (type: string, payload: string) =>
    fetch(`${server.url}/api/v1/movements`, { method: 'POST', headers: { authorization: `Bearer ${server.ingestKey}`, 'content-type': type }, body: payload }).then((r) => r.text())
  await fetch(`${server.url}/healthz`).then((r) => r.text())
  await post('application/json', JSON.stringify([{ id: 'warm-1', type: 'payment_in', occurredAt: recentTime, amount: 1 }, { type: 'sales_order' }]))
  await post('application/x-ndjson', `{"id":"warm-2","type":"transfer","qty":-1}\nnot json`)
  await post('application/x-ndjson', JSON.stringify({ id: 'warm-3', type: 'payment_in', occurredAt: recentTime, amount: 1 }))
  const probe = probeHealth(server.url, { everyMs: 25 })
  const healthMs: number[] = []
  const statuses = new Map<number, number>()
  try {
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const before = await applied()
        const t = performance.now()
        const res = await fetch(`${server.url}/api/v1/movements`, {
          method: 'POST',
          headers: { authorization: `Bearer ${server.ingestKey}`, 'content-type': b.type },
          body: b.payload,
        })
        const text = await res.text()
        const ms = performance.now() - t
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
        expect(res.status, text).toBeGreaterThanOrEqual(200)
        expect(res.status, text).toBeLessThan(500)
        expect(ms).toBeLessThan(3000)
        const answer = JSON.parse(text) as Record<string, unknown>
        if (res.status === 200) {
          expect(answer).toEqual({ accepted: expect.any(Number), duplicates: expect.any(Number) })
          // whatever was accepted, the latest-movements list (shared by every screen) still reads
          const recent = await fetch(`${server.url}/api/v1/query`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ metric: 'movements.recent', top: 500 }),
          })
          expect(recent.status, await recent.text()).toBe(200)
        } else {
          expect(typeof answer.error).toBe('string')
          expect(typeof answer.message).toBe('string')
        }
        if (res.status === 400) {
          expect(await applied()).toBe(before)
          if (answer.error === 'invalid_movements') {
            expect((answer.rejected as unknown[]).length).toBeLessThanOrEqual(100)
            expect(answer.rejectedCount).toEqual(expect.any(Number))
          }
        }
      }),
      { numRuns: 250, interruptAfterTimeLimit: 25_000 },
    )
  } finally {
    healthMs.push(...(await probe.stop()))
  }
  const slowestHealth = Math.max(...healthMs)
  console.info(`fuzz statuses: ${JSON.stringify(Object.fromEntries(statuses))}; slowest /healthz ${slowestHealth.toFixed(1)} ms`)
  // the fuzz reached the apply path too, not only the refusals
  expect(statuses.get(200) ?? 0).toBeGreaterThan(5)
  expect(statuses.get(400) ?? 0).toBeGreaterThan(50)
  expect(slowestHealth).toBeLessThan(250)
})

test('a line whose money leaves the largest line (qty 1e9 @ 1e9) is a 400 naming its price, and the batch applies nothing', async () => {
  const post = (batch: unknown[]) =>
    fetch(`${server.url}/api/v1/movements`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.ingestKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(batch),
    })
  const other = { id: 'fz-limit-0', type: 'sales_shipment', occurredAt: recentTime, sku: 'S1', warehouse: 'W1', qty: 1, unitPrice: 2 }
  const big = { id: 'fz-limit-1', type: 'sales_shipment', occurredAt: recentTime, sku: 'S1', warehouse: 'W1', qty: 1e9, unitPrice: 1e9 }
  const refused = await post([other, big])
  expect(refused.status).toBe(400)
  const body = (await refused.json()) as { rejected: { index: number; errors: { path: string }[] }[] }
  expect(body.rejected).toEqual([expect.objectContaining({ index: 1, errors: [expect.objectContaining({ path: '/unitPrice' })] })])
  // fixed and re-sent, the batch is applied whole, exactly once
  const fixed = await post([other, { ...big, qty: 100, unitPrice: 1e9 }])
  expect(await fixed.json()).toEqual({ accepted: 2, duplicates: 0 })
  expect(await (await post([other, { ...big, qty: 100, unitPrice: 1e9 }])).json()).toEqual({ accepted: 0, duplicates: 2 })
})
