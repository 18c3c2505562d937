/**
 * Properties every figure must have, checked with generated movements against the real Redis
 * through the real server (one key prefix, figures reset between runs):
 *  (a) movements that all carry their cost give the same figures in any arrival order and any
 *      batch split — moving-average valuation never comes into play. Stock value is the
 *      exception where stock crosses zero: a receipt into negative stock revalues at its own
 *      rate (docs/metrics.md "Valuation"), so what is order-free is value minus revaluation;
 *  (b) re-sending any subset of applied movements is acknowledged as duplicates and changes
 *      nothing;
 *  (c) a cancel restores every figure to what it was before the cancelled movement.
 * Movements come from small pools of SKUs, warehouses, partners and order refs, so stock goes
 * negative, receipts land in negative stock, orders are fulfilled, over-fulfilled and fulfilled
 * before they arrive, and stocktakes and transfers meet each other.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { METRICS, METRIC_NAMES } from '../../protocol/metrics.ts'
import type { MetricName } from '../../protocol/metrics.ts'
import type { Movement } from '../../protocol/movement.ts'
import type { Query, QueryResult } from '../../protocol/query.ts'
import { createCalendar } from '../../server/domain/time.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { candidateQueries, resetFigures, snapshot, supportedQueries } from './figures-support.ts'
import type { Snapshot } from './figures-support.ts'

const cal = createCalendar('Asia/Shanghai')
const DAY = 86_400_000
const today = cal.startOf('day', Date.now())
/** movements happen over the three days before today; figures are read up to today, so they do not move with the clock */
const base = today - 3 * DAY
const period = { from: cal.format(base - DAY), to: cal.format(today) }

const SKUS = ['A', 'B', 'C'] as const
const WAREHOUSES = ['W1', 'W2'] as const
const PARTNERS = ['P1', 'P2'] as const
const CHANNELS = ['pos', 'web'] as const

/** A movement without its id (ids are given when a list is built, so they are unique); the server validates it. */
interface Draft {
  type: string
  occurredAt: string
  [field: string]: unknown
}

const at = fc.integer({ min: 0, max: 3 * 1440 - 1 }).map((minute) => cal.format(base + minute * 60_000))
const qty = fc.integer({ min: 1, max: 40 }).map((n) => n / 2)
const money = fc.integer({ min: 1, max: 2_000_000 }).map((n) => n / 10_000)
const line = fc.record({
  occurredAt: at,
  sku: fc.constantFrom(...SKUS),
  warehouse: fc.constantFrom(...WAREHOUSES),
  qty,
  partner: fc.constantFrom(...PARTNERS),
  channel: fc.constantFrom(...CHANNELS),
})
/** an order ref always belongs to one warehouse and partner, as in an ERP */
const withRef = <T extends { warehouse: string; partner: string }>(m: T, k: number | null) => (k === null ? m : { ...m, ref: `${m.warehouse}-${m.partner}-${k}` })
const ref = fc.option(fc.integer({ min: 1, max: 2 }), { nil: null, freq: 3 })
/** a payment's document: the order ref of a line (`W1-P1-2`, see withRef) once the partner is known, or none */
const paymentRef = fc.option(fc.tuple(fc.constantFrom('W1', 'W2'), fc.integer({ min: 1, max: 2 })), { nil: null, freq: 3 })
const docOf = (r: [string, number] | null, partner: string) => (r === null ? {} : { ref: `${r[0]}-${partner}-${r[1]}` })
const due = fc.option(fc.integer({ min: -600, max: 600 }), { nil: null, freq: 2 })
const withDue = <T extends { occurredAt: string }>(m: T, minutes: number | null) =>
  minutes === null ? m : { ...m, dueAt: cal.format(Date.parse(m.occurredAt) + minutes * 60_000) }

/** an order's promised instant: before today, so whether a line is overdue cannot change between two runs */
const withOrderDue = <T extends { occurredAt: string }>(m: T, minutes: number | null) =>
  minutes === null ? m : { ...m, dueAt: cal.format(Math.min(Date.parse(m.occurredAt) + minutes * 60_000, today - 60_000)) }

/** Movements whose every figure is known from the movement itself (all outbound carry unitCost). */
const costed: fc.Arbitrary<Draft> = fc.oneof(
  fc.tuple(line, money, ref, due).map(([l, unitCost, r, d]) => withOrderDue(withRef({ type: 'purchase_order', ...l, unitCost }, r), d)),
  fc.tuple(line, money, ref, due).map(([l, unitCost, r, d]) => withDue(withRef({ type: 'purchase_receipt', ...l, unitCost }, r), d)),
  fc.tuple(line, money, ref).map(([l, unitCost, r]) => withRef({ type: 'purchase_return', ...l, unitCost }, r)),
  fc.tuple(line, money, ref, due).map(([l, unitPrice, r, d]) => withOrderDue(withRef({ type: 'sales_order', ...l, unitPrice }, r), d)),
  fc.tuple(line, money, money, ref, due).map(([l, unitPrice, unitCost, r, d]) => withDue(withRef({ type: 'sales_shipment', ...l, unitPrice, unitCost }, r), d)),
  fc.tuple(line, money, money, ref).map(([l, unitPrice, unitCost, r]) => withRef({ type: 'sales_return', ...l, unitPrice, unitCost }, r)),
  // payments and returns with a ref settle that document (receivables and payables ageing), without one the oldest
  fc
    .tuple(at, fc.constantFrom(...PARTNERS), fc.constantFrom(...CHANNELS), money, paymentRef)
    .map(([occurredAt, partner, channel, amount, r]) => ({ type: 'payment_in', occurredAt, partner, channel, amount, ...docOf(r, partner) })),
  fc
    .tuple(at, fc.constantFrom(...PARTNERS), money, paymentRef)
    .map(([occurredAt, partner, amount, r]) => ({ type: 'payment_out', occurredAt, partner, amount, ...docOf(r, partner) })),
)

/** Anything: outbound at the moving average, transfers, stocktakes. */
const any: fc.Arbitrary<Draft> = fc.oneof(
  { arbitrary: costed, weight: 4 },
  fc.tuple(line, money).map(([l, unitPrice]) => ({ type: 'sales_shipment', ...l, unitPrice })),
  fc.tuple(line, money).map(([l, unitPrice]) => ({ type: 'sales_return', ...l, unitPrice })),
  line.map((l) => ({ type: 'purchase_return', ...l })),
  line.map(({ occurredAt, sku, warehouse, qty: q }) => ({ type: 'transfer', occurredAt, sku, warehouse, toWarehouse: warehouse === 'W1' ? 'W2' : 'W1', qty: q })),
  fc.tuple(line, fc.integer({ min: 0, max: 30 })).map(([{ occurredAt, sku, warehouse }, counted]) => ({ type: 'stocktake', occurredAt, sku, warehouse, countedQty: counted })),
)

let run = 0
const named = (drafts: Draft[]): Movement[] => {
  run++
  return drafts.map((d, i) => ({ ...d, id: `r${run}-${i}` }) as unknown as Movement)
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size))
  return out
}

let server: TestServer
let queries: Query[]
/** what was sent since the figures were last reset */
let sent: Movement[] = []

async function reset(): Promise<void> {
  await resetFigures(server.app, server.prefix, sent)
  sent = []
}

async function send(batch: readonly Movement[]): Promise<{ accepted: number; duplicates: number }> {
  sent.push(...batch)
  const res = await server.app.inject({ method: 'POST', url: '/api/v1/movements', headers: { authorization: `Bearer ${server.ingestKey}` }, payload: batch })
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

async function apply(movements: readonly Movement[], batchSize: number): Promise<void> {
  for (const batch of chunks(movements, batchSize)) expect(await send(batch)).toEqual({ accepted: batch.length, duplicates: 0 })
}

/** Figures that two states must agree on; `except` drops queries of the named metrics. */
async function figures(except: readonly string[] = []): Promise<Snapshot> {
  return snapshot(
    server.app,
    queries.filter((q) => !except.includes(q.metric)),
  )
}

beforeAll(async () => {
  server = await startTestServer()
  const admin = { authorization: `Bearer ${server.adminKey}` }
  const master = {
    skus: SKUS.map((code, i) => ({ code, name: `SKU ${code}`, category: i < 2 ? 'food' : 'tools', safetyStock: 5, ...(i > 0 && { reorderPoint: 8 }) })),
    warehouses: WAREHOUSES.map((code, i) => ({ code, name: `Warehouse ${code}`, region: i === 0 ? 'east' : 'south' })),
    partners: PARTNERS.map((code) => ({ code, name: `Partner ${code}`, kind: 'both' })),
  }
  for (const [kind, records] of Object.entries(master)) {
    const res = await server.app.inject({ method: 'PUT', url: `/api/v1/master/${kind}`, headers: admin, payload: records })
    expect(res.statusCode, res.body).toBe(200)
  }
  queries = await supportedQueries(server.app, candidateQueries(period))
  // the set must stay broad: every metric of the catalogue, most by several dimensions
  expect(new Set(queries.map((q) => q.metric)).size).toBe(new Set(candidateQueries(period).map((q) => q.metric)).size)
  expect(queries.length).toBeGreaterThan(150)
})

afterAll(async () => {
  if (server) await reset()
  await server?.close()
}, 120_000)

/** runs per property: moderate for CI; FIGURES_RUNS=200 for a deeper search */
const RUNS = { numRuns: Number(process.env.FIGURES_RUNS ?? 12), endOnFailure: true } as const

/**
 * figures that depend on the order stock crosses zero in (the revaluation it takes), and stock
 * ageing: outbound consumes the oldest layers held when it arrives (docs/metrics.md "Stock ageing")
 */
const ORDER_DEPENDENT = ['stock.value', 'stock.closingValue', 'stock.revaluation', 'stock.turnover', 'stock.daysOnHand', 'stock.ageing', 'stock.slowMoving']

/** stock value less revaluation, by warehouse and SKU: the sum of the lines' own values, the same in any order */
async function valueOfLines(): Promise<Record<string, number>> {
  const ask = (q: Query) => server.app.inject({ method: 'POST', url: '/api/v1/query', payload: q }).then((r) => r.json() as QueryResult)
  const out: Record<string, number> = {}
  for (const dim of ['warehouse', 'sku'] as const) {
    const value = await ask({ metric: 'stock.value', groupBy: dim })
    const revaluation = await ask({ metric: 'stock.revaluation', from: period.from, to: period.to, groupBy: dim })
    for (const g of value.groups ?? []) out[`${dim}:${g.key}`] = Math.round((g.total ?? 0) * 100)
    for (const g of revaluation.groups ?? []) out[`${dim}:${g.key}`] = (out[`${dim}:${g.key}`] ?? 0) - Math.round((g.total ?? 0) * 100)
  }
  for (const k of Object.keys(out)) if (out[k] === 0) delete out[k]
  return out
}

describe('figures of movements that carry their cost', () => {
  test('do not depend on arrival order or batch split', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(costed, { minLength: 1, maxLength: 40 }).chain((drafts) =>
          fc.tuple(
            fc.constant(drafts),
            fc.shuffledSubarray(
              drafts.map((_, i) => i),
              { minLength: drafts.length, maxLength: drafts.length },
            ),
          ),
        ),
        fc.integer({ min: 1, max: 15 }),
        fc.integer({ min: 1, max: 15 }),
        async ([drafts, order], size1, size2) => {
          const movements = named(drafts)
          await reset()
          await apply(movements, size1)
          const inOrder = await figures(ORDER_DEPENDENT)
          const lines = await valueOfLines()
          await reset()
          await apply(
            order.map((i) => movements[i]!),
            size2,
          )
          expect(await figures(ORDER_DEPENDENT)).toEqual(inOrder)
          expect(await valueOfLines()).toEqual(lines)
        },
      ),
      RUNS,
    )
  })
})

describe('re-sent movements', () => {
  test('are acknowledged as duplicates and change no figure', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(any, { minLength: 1, maxLength: 40 }).chain((drafts) =>
          fc.tuple(
            fc.constant(drafts),
            fc.subarray(
              drafts.map((_, i) => i),
              { minLength: 1 },
            ),
            fc.integer({ min: 1, max: 12 }),
          ),
        ),
        fc.integer({ min: 1, max: 12 }),
        async ([drafts, subset, size2], size1) => {
          const movements = named(drafts)
          await reset()
          await apply(movements, size1)
          const before = await figures()
          const again = subset.map((i) => movements[i]!).reverse()
          let duplicates = 0
          for (const batch of chunks(again, size2)) {
            const reply = await send(batch)
            expect(reply.accepted).toBe(0)
            duplicates += reply.duplicates
          }
          expect(duplicates).toBe(again.length)
          // a batch mixing a new movement, already-seen ids, and the new id twice: applied once
          const fresh = { ...movements[0]!, id: `${movements[0]!.id}-again` } as Movement
          const seen = again.slice(0, 3)
          expect(await send([fresh, ...seen, fresh])).toEqual({ accepted: 1, duplicates: seen.length + 1 })
          expect(await send([{ id: `${fresh.id}-x`, type: 'cancel', occurredAt: fresh.occurredAt, cancels: fresh.id }])).toEqual({ accepted: 1, duplicates: 0 })
          expect(await figures()).toEqual(before)
        },
      ),
      RUNS,
    )
  })
})

describe('a cancel', () => {
  test('restores every figure to what it was before the cancelled movement', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(any, { minLength: 0, maxLength: 30 }), any, fc.integer({ min: 1, max: 10 }), async (drafts, extra, size) => {
        // the target may be the first movement of its pair: after the cancel the pair is unknown again
        // (no stock alert at 0, not active for the stock-out rate)
        const [target, ...history] = named([extra, ...drafts])
        await reset()
        await apply(history, size)
        const before = await figures()
        await apply([target!], 1)
        await apply([{ id: `${target!.id}-cancel`, type: 'cancel', occurredAt: cal.format(Date.now()), cancels: target!.id }], 1)
        expect(await figures()).toEqual(before)
      }),
      RUNS,
    )
  })
})

describe('ratios', () => {
  const ratios = (METRIC_NAMES as MetricName[]).filter((m) => METRICS[m].unit === 'ratio' || METRICS[m].unit === 'times' || METRICS[m].unit === 'days')

  test('are null, never NaN or 0, when their denominator is 0', async () => {
    await reset()
    const ask = (metric: MetricName, extra: Partial<Query> = {}) => {
      const kind = METRICS[metric].kind
      const q: Query = kind === 'level' ? { metric } : { metric, ...period, ...extra }
      return server.app.inject({ method: 'POST', url: '/api/v1/query', payload: q }).then((r) => r.json() as QueryResult)
    }
    // nothing happened at all
    for (const metric of ratios) expect((await ask(metric)).total, metric).toBeNull()
    for (const metric of ratios.filter((m) => METRICS[m].kind !== 'level')) {
      const r = await ask(metric, { interval: 'day' })
      expect(
        r.series!.every((p) => p.value === null),
        metric,
      ).toBe(true)
    }
    // a shipment given away (revenue 0, COGS > 0), a receipt without a promised date, a shipment
    // of a SKU that was never received: margin, supplier on-time and value accuracy stay null
    const day = cal.format(base + 10 * 3600_000)
    await apply(
      named([
        { type: 'purchase_receipt', occurredAt: day, sku: 'A', warehouse: 'W1', qty: 4, unitCost: 2.5 },
        { type: 'sales_shipment', occurredAt: day, sku: 'A', warehouse: 'W1', qty: 1, unitPrice: 0 },
        { type: 'stocktake', occurredAt: day, sku: 'C', warehouse: 'W2', countedQty: 0 },
      ]),
      3,
    )
    const margin = await ask('sales.grossMargin', { groupBy: 'sku' })
    expect(margin.total).toBeNull()
    expect(margin.groups).toEqual([{ key: 'A', label: 'SKU A', total: null }])
    expect((await ask('supplier.onTimeRate')).total).toBeNull()
    expect((await ask('fulfilment.onTimeRate')).total).toBeNull()
    expect((await ask('purchase.returnRate')).total).toBe(0)
    expect((await ask('stock.accuracy')).total).toBe(1)
    // the only count found book value 0: value accuracy has no denominator
    expect((await ask('stock.valueAccuracy')).total).toBeNull()
    expect((await ask('stock.turnover')).total).toBeCloseTo(2.5 / ((7.5 * 3 + 0) / 4), 12)
  })
})

describe('totals over groups', () => {
  test('are the exact sum rounded once, not a sum of rounded floats', async () => {
    await reset()
    const day = cal.format(base + 9 * 3600_000)
    // 0.1 + 0.2 in binary floating point is 0.30000000000000004; in money units it is 3000
    await apply(
      named([
        { type: 'purchase_receipt', occurredAt: day, sku: 'A', warehouse: 'W1', qty: 1, unitCost: 0.1 },
        { type: 'purchase_receipt', occurredAt: day, sku: 'A', warehouse: 'W2', qty: 1, unitCost: 0.2 },
        { type: 'sales_shipment', occurredAt: day, sku: 'B', warehouse: 'W1', qty: 1, unitPrice: 0.1, unitCost: 0 },
        { type: 'sales_shipment', occurredAt: day, sku: 'B', warehouse: 'W2', qty: 1, unitPrice: 0.2, unitCost: 0 },
        { type: 'sales_shipment', occurredAt: day, sku: 'C', warehouse: 'W2', qty: 1, unitPrice: 0.004, unitCost: 0 },
        { type: 'sales_shipment', occurredAt: day, sku: 'C', warehouse: 'W1', qty: 1, unitPrice: 0.004, unitCost: 0 },
      ]),
      6,
    )
    const ask = (q: Query) => server.app.inject({ method: 'POST', url: '/api/v1/query', payload: q }).then((r) => r.json() as QueryResult)
    expect((await ask({ metric: 'stock.closingValue', ...period, groupBy: 'warehouse' })).total).toBe(0.3)
    expect((await ask({ metric: 'stock.closingValue', ...period, filter: { warehouse: ['W1', 'W2'] } })).total).toBe(0.3)
    // 0.1 + 0.2 + 2 × 0.004: each line is rounded once to the cent (0.004 → 0.00, as an ERP's
    // line), so the groups are 0.1 and 0.2 and the total is exactly their sum
    const revenue = await ask({ metric: 'sales.revenue', ...period, groupBy: 'warehouse' })
    expect(revenue.groups!.map((g) => g.total).sort()).toEqual([0.1, 0.2])
    expect(revenue.total).toBe(0.3)
    expect((await ask({ metric: 'sales.revenue', ...period, filter: { warehouse: ['W1', 'W2'] } })).total).toBe(0.3)
  })
})

describe('compare with the previous period', () => {
  test('gives every period metric the figure its own query over the previous period gives', async () => {
    await reset()
    await apply(
      named([
        { type: 'purchase_receipt', occurredAt: cal.format(base + 3_600_000), sku: 'A', warehouse: 'W1', qty: 10, unitCost: 2, dueAt: cal.format(base + 7_200_000) },
        {
          type: 'sales_shipment',
          occurredAt: cal.format(base + 5 * 3_600_000),
          sku: 'A',
          warehouse: 'W1',
          qty: 3,
          unitPrice: 5,
          dueAt: cal.format(base + 4 * 3_600_000),
          channel: 'pos',
          partner: 'P1',
        },
        { type: 'stocktake', occurredAt: cal.format(base + DAY), sku: 'A', warehouse: 'W1', countedQty: 6 },
        { type: 'sales_shipment', occurredAt: cal.format(base + DAY + 3_600_000), sku: 'A', warehouse: 'W1', qty: 2, unitPrice: 6, channel: 'web', partner: 'P2' },
        { type: 'payment_in', occurredAt: cal.format(base + DAY + 3_600_000), amount: 12, partner: 'P2' },
      ]),
      5,
    )
    const current = { from: cal.format(base + DAY), to: cal.format(base + 2 * DAY) }
    const previous = { from: cal.format(base), to: cal.format(base + DAY) }
    const ask = (q: Query) => server.app.inject({ method: 'POST', url: '/api/v1/query', payload: q }).then((r) => r.json() as QueryResult)
    const metrics = (METRIC_NAMES as MetricName[]).filter((m) => ['flow', 'ratio', 'closing'].includes(METRICS[m].kind))
    for (const metric of metrics) {
      const compared = await ask({ metric, ...current, compare: 'previous' })
      const direct = await ask({ metric, ...previous })
      expect(compared.previous, metric).toEqual({ ...previous, total: direct.total })
    }
  })
})

describe('questions the counters cannot answer', () => {
  test('get 400 COCKPIT_ERR_UNSUPPORTED_QUERY naming why, never a silent empty figure', async () => {
    const cases: Query[] = [
      { metric: 'stock.belowSafety', groupBy: 'warehouse' },
      { metric: 'stock.belowSafety', filter: { partner: 'P1' } },
      { metric: 'stock.stockoutRate', filter: { channel: 'pos' } },
      { metric: 'stock.stockoutRate', groupBy: 'partner' },
      { metric: 'cash.in', ...period, groupBy: 'sku' },
      { metric: 'sales.revenue', ...period, groupBy: 'sku', interval: 'minute' },
      { metric: 'stock.closingValue', ...period, interval: 'hour' },
      { metric: 'stock.value', ...period },
    ]
    for (const q of cases) {
      const res = await server.app.inject({ method: 'POST', url: '/api/v1/query', payload: q })
      expect(res.statusCode, JSON.stringify(q)).toBe(400)
      expect(res.json(), JSON.stringify(q)).toMatchObject({ error: 'COCKPIT_ERR_UNSUPPORTED_QUERY', message: expect.any(String) })
    }
  })
})
