/**
 * The server against the stock ageing reference model (tests/support/ageing-model.ts), on
 * generated ledgers over 2 SKUs × 2 warehouses spread over the 250 days before today: receipts,
 * shipments, purchase and sales returns, transfers (into stock that is short, too), stocktakes
 * with and without a book qty, cancels of any of them, quantities over the whole accepted range.
 * Each ledger is sent in random batch splits through POST /api/v1/movements; after every batch
 * the stored layers, deficit and outbound days of every pair, the age buckets (qty, and value
 * split so it adds up to stock.value) and the slow-moving rows must be the model's.
 *
 * Each run gets SKU codes and ids of its own; figures are reset after each run.
 */
import { randomUUID } from 'node:crypto'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Movement } from '../../protocol/movement.ts'
import type { QueryResult } from '../../protocol/query.ts'
import { createCalendar } from '../../server/domain/time.ts'
import { createKeys } from '../../server/redis/keys.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { AgeingModel, bucketQty, shanghaiDay, splitCents } from '../support/ageing-model.ts'
import type { ModelLayers } from '../support/ageing-model.ts'
import { LEDGER_SKUS, LEDGER_WAREHOUSES, ValuationModel, ledgerArb, relabel } from '../support/valuation-model.ts'
import type { ModelMovement } from '../support/valuation-model.ts'
import { resetFigures } from './figures-support.ts'

const cal = createCalendar('Asia/Shanghai')
const DAY = 86_400_000
const SPAN_DAYS = 250
const base = cal.startOf('day', Date.now()) - SPAN_DAYS * DAY
const time = (minute: number) => cal.format(base + minute * 60_000)
const SLOW_DAYS = 30

let server: TestServer
let sent: ModelMovement[] = []
const runTag = randomUUID().slice(0, 6)
let run = 0

beforeAll(async () => {
  server = await startTestServer()
})

afterAll(async () => {
  if (server) await resetFigures(server.app, server.prefix, sent as unknown as Movement[])
  await server?.close()
}, 120_000)

async function ask(query: Record<string, unknown>): Promise<QueryResult> {
  const res = await server.app.inject({ method: 'POST', url: '/api/v1/query', payload: query })
  expect(res.statusCode, `${JSON.stringify(query)} → ${res.body}`).toBe(200)
  return res.json()
}

/** a stored `lv:layers` value read independently of the server's codec */
function stored(raw: string | null): ModelLayers {
  if (raw === null) return { deficit: 0n, layers: [], outDays: [] }
  const [d, l, o] = raw.split('|')
  const list = (s: string) => (s ? s.split(',').map((x) => x.split(':')) : [])
  return {
    deficit: BigInt(d!),
    layers: list(l!).map(([day, q]) => [Number(day), BigInt(q!)]),
    outDays: list(o!).map(([day, n]) => [Number(day), Number(n)]),
  }
}

async function compare(ageing: AgeingModel, valuation: ValuationModel, skus: readonly string[], when: string): Promise<void> {
  const keys = createKeys(server.prefix)
  const today = shanghaiDay(new Date().toISOString())
  const fields = skus.flatMap((sku) => LEDGER_WAREHOUSES.map((wh) => `${sku}|${wh}`))
  const raw = await server.app.redis.hmget(keys.layers, ...fields)
  fields.forEach((field, j) => {
    const [sku, wh] = field.split('|') as [string, string]
    expect(stored(raw[j] ?? null), `${when}: layers of ${field}`).toEqual(ageing.state(sku, wh))
    expect(ageing.qty(sku, wh), `${when}: Σ layers − deficit of ${field} = stock qty`).toBe(valuation.pair(sku, wh).q)
  })
  const slowExpected: unknown[] = []
  for (const warehouse of LEDGER_WAREHOUSES) {
    const [result, stockValue] = await Promise.all([
      ask({ metric: 'stock.ageing', groupBy: 'sku', filter: { sku: [...skus], warehouse } }),
      ask({ metric: 'stock.value', groupBy: 'sku', filter: { sku: [...skus], warehouse } }),
    ])
    // the split is checked against the pair's value as the server shows it (tests/integration/valuation-property.test.ts checks that value)
    const valueOf = (sku: string) => BigInt(Math.round((stockValue.groups?.find((g) => g.key === sku)?.total ?? 0) * 100))
    const expected = skus
      .filter((sku) => ageing.qty(sku, warehouse) > 0n)
      .map((sku) => {
        const state = ageing.state(sku, warehouse)
        const qty = bucketQty(state, today)
        const value = splitCents(valueOf(sku), qty)
        return { sku, buckets: qty.map((q, j) => [Number(q) / 1000, Number(value[j]!) / 100]) }
      })
    const actual = (result.ageing!.groups ?? []).map((g) => ({ sku: g.key, buckets: g.buckets.map((b) => [b.qty, b.value]) }))
    const bySku = (a: { sku: string }, b: { sku: string }) => (a.sku < b.sku ? -1 : 1)
    expect(actual.sort(bySku), `${when}: age buckets in ${warehouse}`).toEqual(expected.sort(bySku))
    for (const sku of skus) {
      const state = ageing.state(sku, warehouse)
      if (ageing.qty(sku, warehouse) <= 0n) continue
      const oldest = Math.max(0, ...state.layers.map(([d]) => today - d))
      const last = state.outDays.length ? Math.max(...state.outDays.map(([d]) => d)) : undefined
      const idle = last === undefined ? oldest : Math.max(0, today - last)
      if (idle >= SLOW_DAYS) slowExpected.push([sku, warehouse, last === undefined ? null : new Date(last * DAY).toISOString().slice(0, 10), idle, oldest])
    }
  }
  const slow = await ask({ metric: 'stock.slowMoving', days: SLOW_DAYS, filter: { sku: [...skus] } })
  const key = (x: unknown) => JSON.stringify(x)
  expect(
    slow.slowMoving!.map((r) => [r.sku, r.warehouse, r.lastOutbound, r.idleDays, r.oldestAge]).sort((a, b) => (key(a) < key(b) ? -1 : 1)),
    `${when}: slow-moving`,
  ).toEqual(slowExpected.sort((a, b) => (key(a) < key(b) ? -1 : 1)))
}

/** runs per property: moderate for CI; AGEING_RUNS=200 searches deeper */
const RUNS = { numRuns: Number(process.env.AGEING_RUNS ?? 12), endOnFailure: true } as const

describe('stock ageing against the FIFO model', () => {
  test('layers, buckets and slow-moving rows are the model’s after every batch, in any batch split', async () => {
    await fc.assert(
      fc.asyncProperty(ledgerArb({ time, minutes: SPAN_DAYS * 1440 }), async (ledger) => {
        await resetFigures(server.app, server.prefix, sent as unknown as Movement[])
        sent = []
        const tag = `${runTag}a${++run}`
        const skus = LEDGER_SKUS.map((s) => `${tag}${s}`)
        const ageing = new AgeingModel()
        const valuation = new ValuationModel()
        for (const [i, batch] of ledger.batches.map((b) => relabel(b, tag)).entries()) {
          sent.push(...batch)
          const res = await server.app.inject({ method: 'POST', url: '/api/v1/movements', headers: { authorization: `Bearer ${server.ingestKey}` }, payload: batch })
          expect(res.statusCode, res.body).toBe(200)
          ageing.apply(batch)
          valuation.applyBatch(batch)
          await compare(ageing, valuation, skus, `after batch ${i + 1} of ${ledger.batches.length}`)
        }
      }),
      RUNS,
    )
  }, 120_000)
})

describe('bounds', () => {
  test('past 40 layers the closest two merge at their weighted day; past 8 outbound days the oldest two merge; cancels still agree', async () => {
    const tag = `${runTag}b`
    const sku = `${tag}S`
    const at = (daysBack: number) => cal.format(base + (SPAN_DAYS - daysBack) * DAY + 9 * 3_600_000)
    const movements: ModelMovement[] = []
    // 45 receipts on 45 days (gaps of 1 to 3 days), some on the same day twice, then shipments on 10 days
    let back = 240
    for (let i = 0; i < 45; i++) {
      movements.push({ id: `${tag}r${i}`, type: 'purchase_receipt', occurredAt: at(back), sku, warehouse: 'W1', qty: 1 + (i % 7), unitCost: 2 })
      if (i % 9 === 0) movements.push({ id: `${tag}r${i}x`, type: 'purchase_receipt', occurredAt: at(back), sku, warehouse: 'W1', qty: 0.5, unitCost: 2 })
      back -= 1 + (i % 3)
    }
    for (let i = 0; i < 10; i++) movements.push({ id: `${tag}s${i}`, type: 'sales_shipment', occurredAt: at(60 - 5 * i), sku, warehouse: 'W1', qty: 2, unitPrice: 3 })
    const batches: ModelMovement[][] = []
    for (let i = 0; i < movements.length; i += 7) batches.push(movements.slice(i, i + 7))
    // a cancel comes in a batch after its movement's
    for (const [n, target] of [`${tag}r44`, `${tag}s0`, `${tag}s9`].entries()) batches.push([{ id: `${tag}c${n}`, type: 'cancel', occurredAt: at(1), cancels: target }])
    const model = new AgeingModel()
    const keys = createKeys(server.prefix)
    let most = 0
    let mostOut = 0
    for (const [i, batch] of batches.entries()) {
      sent.push(...batch)
      const res = await server.app.inject({ method: 'POST', url: '/api/v1/movements', headers: { authorization: `Bearer ${server.ingestKey}` }, payload: batch })
      expect(res.statusCode, res.body).toBe(200)
      model.apply(batch)
      const state = stored(await server.app.redis.hget(keys.layers, `${sku}|W1`))
      expect(state, `after batch ${i + 1}`).toEqual(model.state(sku, 'W1'))
      most = Math.max(most, state.layers.length)
      mostOut = Math.max(mostOut, state.outDays.length)
    }
    // 45 receipt days were held at once, as 40 layers; 10 outbound days as 8
    expect(most).toBe(40)
    expect(mostOut).toBe(8)
    const final = model.state(sku, 'W1')
    // the merges keep every unit: Σ layers = received − shipped
    const received = movements.filter((m) => m.type === 'purchase_receipt' && m.id !== `${tag}r44`).reduce((s, m) => s + Math.round(m.qty! * 1000), 0)
    expect(final.layers.reduce((s, [, q]) => s + Number(q), 0)).toBe(received - 8 * 2000)
  })
})
