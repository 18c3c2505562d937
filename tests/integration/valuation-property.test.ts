/**
 * The server against the valuation reference model (tests/support/valuation-model.ts), on
 * generated ledgers over 2 SKUs × 2 warehouses: stock going negative, receipts into negative
 * stock, transfers, counts with and without a book qty, returns linked to their original, cancels
 * of earlier movements, and quantities, prices and amounts over the whole accepted range, its
 * limits included. Each ledger is sent in random batch splits through POST /api/v1/movements;
 * after every batch, per pair stock qty and value, the period's revenue, COGS, receipts, purchase
 * returns and revaluation, and stock value = Σ of the value changes must be the model's.
 * A second property: one line over the line limit refuses its whole batch naming its field, and
 * the batch with that line fixed is then accepted in full exactly once.
 *
 * Each run gets SKU codes and ids of its own (nothing of an earlier run can leak into it) and its
 * figures are read filtered by those SKUs; figures are reset after each run.
 * Ledgers whose figures would pass 2^53 mu are cut short (see the model's decision 9).
 */
import { randomUUID } from 'node:crypto'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Movement } from '../../protocol/movement.ts'
import { createCalendar } from '../../server/domain/time.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import {
  EXACT_MU,
  LEDGER_SKUS,
  LEDGER_WAREHOUSES,
  MODEL_LIMITS,
  ValuationModel,
  displayedMoney,
  displayedQty,
  ledgerArb,
  limitPrice,
  moneyOf,
  priceOf,
  qtyOf,
  relabel,
  roundDiv,
} from '../support/valuation-model.ts'
import type { ModelFigure, ModelMovement } from '../support/valuation-model.ts'
import { resetFigures } from './figures-support.ts'

const cal = createCalendar('Asia/Shanghai')
const DAY = 86_400_000
const today = cal.startOf('day', Date.now())
/** movements (cancels included) happen over the three days before today; flows are read over them */
const base = today - 3 * DAY
const period = { from: cal.format(base), to: cal.format(today) }
const time = (minute: number) => cal.format(base + minute * 60_000)

/** flows compared with the model, filtered by the run's SKUs */
const FLOWS = ['sales.revenue', 'sales.cogs', 'purchase.receiptAmount', 'purchase.returnAmount', 'stock.revaluation'] as const satisfies readonly ModelFigure[]

let server: TestServer
/** what was sent since the figures were last reset */
let sent: ModelMovement[] = []
const runTag = randomUUID().slice(0, 6)
let run = 0

beforeAll(async () => {
  server = await startTestServer()
})

afterAll(async () => {
  if (server) await reset()
  await server?.close()
}, 120_000)

async function reset(): Promise<void> {
  await resetFigures(server.app, server.prefix, sent as unknown as Movement[])
  sent = []
}

async function post(batch: readonly ModelMovement[]) {
  sent.push(...batch)
  return server.app.inject({ method: 'POST', url: '/api/v1/movements', headers: { authorization: `Bearer ${server.ingestKey}` }, payload: batch })
}

async function ask(query: Record<string, unknown>): Promise<any> {
  const res = await server.app.inject({ method: 'POST', url: '/api/v1/query', payload: query })
  expect(res.statusCode, `${JSON.stringify(query)} → ${res.body}`).toBe(200)
  return res.json()
}

const groupTotal = (result: any, key: string): number => result.groups?.find((g: { key: string }) => g.key === key)?.total ?? 0

/** expects a money figure of the server to be the model's (mu), as the API shows it */
function expectMoney(actual: number | null, mu: bigint, what: string): void {
  expect(displayedMoney(mu), `${what}: server ${actual}, model ${mu} mu`).toContain(actual)
}

/** Every compared figure of the run's SKUs, server against model. */
async function compare(model: ValuationModel, skus: readonly string[], when: string): Promise<void> {
  for (const warehouse of LEDGER_WAREHOUSES) {
    const [qty, value] = await Promise.all(['stock.qty', 'stock.value'].map((metric) => ask({ metric, groupBy: 'sku', filter: { warehouse } })))
    for (const sku of skus) {
      const p = model.pair(sku, warehouse)
      expect(groupTotal(qty, sku), `${when}: stock.qty of ${sku} in ${warehouse}`).toBe(displayedQty(p.q))
      expectMoney(groupTotal(value, sku), p.v, `${when}: stock.value of ${sku} in ${warehouse}`)
    }
  }
  const filter = { sku: [...skus] }
  const [stockValue, ...flows] = await Promise.all([ask({ metric: 'stock.value', filter }), ...FLOWS.map((metric) => ask({ metric, ...period, filter }))])
  expectMoney(stockValue.total, model.stockValue(skus), `${when}: stock.value`)
  FLOWS.forEach((metric, i) => expectMoney(flows[i].total, model.totals[metric], `${when}: ${metric}`))

  // stock value = receipts − purchase returns − COGS + counts + revaluation, with the server's own
  // figures; counts have no metric of their own, so their sum is the model's. Each figure is
  // shown rounded to the cent, so the identity holds to half a cent per figure not on a cent.
  const cents = (x: number) => Math.round(x * 100)
  const [, cogs, receipts, returns, revaluation] = flows.map((f) => cents(f.total)) as [number, number, number, number, number]
  const t = model.totals
  const terms = [model.stockValue(skus), t['purchase.receiptAmount'], t['purchase.returnAmount'], t['sales.cogs'], t['stock.adjustment'], t['stock.revaluation']]
  const slack = Math.floor(terms.filter((mu) => mu % 100n !== 0n).length / 2)
  const adjustmentCents = Number(roundDiv(t['stock.adjustment'], 100n))
  const drift = cents(stockValue.total) - (receipts - returns - cogs + adjustmentCents + revaluation)
  expect(Math.abs(drift), `${when}: stock value − (receipts − returns − COGS + counts + revaluation) = ${drift} cents`).toBeLessThanOrEqual(slack)
}

/**
 * runs per property: moderate for CI; VALUATION_RUNS=300 searches deeper. VALUATION_SEED and
 * VALUATION_PATH replay a reported failure; VALUATION_SHRINK=1 shrinks it to a smaller one.
 */
const RUNS = {
  numRuns: Number(process.env.VALUATION_RUNS ?? process.env.FIGURES_RUNS ?? 12),
  endOnFailure: !process.env.VALUATION_SHRINK,
  ...(process.env.VALUATION_SEED ? { seed: Number(process.env.VALUATION_SEED), path: process.env.VALUATION_PATH } : {}),
} as const

describe('figures against the valuation model', () => {
  test('per pair stock and the period totals are the model’s after every batch, in any batch split', async () => {
    await fc.assert(
      fc.asyncProperty(ledgerArb({ time }), async (ledger) => {
        await reset()
        const tag = `${runTag}v${++run}`
        const skus = LEDGER_SKUS.map((s) => `${tag}${s}`)
        const model = new ValuationModel()
        for (const [i, batch] of ledger.batches.map((b) => relabel(b, tag)).entries()) {
          const res = await post(batch)
          expect(res.statusCode, res.body).toBe(200)
          const expected = model.applyBatch(batch)
          expect(res.json()).toEqual({ accepted: batch.length, duplicates: 0 })
          expect(expected).toEqual({ status: 200, accepted: batch.length, duplicates: 0 })
          await compare(model, skus, `after batch ${i + 1} of ${ledger.batches.length}`)
        }
      }),
      RUNS,
    )
  })
})

describe('the rate a pair keeps at qty 0', () => {
  // The shape of a failure the property found (seed 228860720, path 54): a pair counted to 0
  // then sending 6.2e8 units out at the rate it kept. That rate is kept to 1e-6 of the currency
  // per unit (docs/metrics.md "Valuation"), not as the exact v / q: at these quantities the
  // difference is hundreds, not a rounding cent.
  test('is rounded to 1e-6 per unit, and a large outbound at it is valued at that figure', async () => {
    await reset()
    const tag = `${runTag}k${++run}`
    const skus = LEDGER_SKUS.map((s) => `${tag}${s}`)
    const at = (minute: number) => ({ occurredAt: time(minute) })
    const first: ModelMovement[] = [
      // A in W1: 3 units for 1.00 (rate 0.333333…), all shipped at the rate: q 0, kept 0.333333
      { id: 'a1', ...at(1), type: 'purchase_receipt', sku: 'A', warehouse: 'W1', qty: 3, unitCost: 0.333333, lineAmount: 1 },
      { id: 'a2', ...at(2), type: 'sales_shipment', sku: 'A', warehouse: 'W1', qty: 3, unitPrice: 1 },
      // B in W2: 7 units for 10.00 (rate 1.428571428…), counted to 0: kept 1.428571
      { id: 'b1', ...at(3), type: 'purchase_receipt', sku: 'B', warehouse: 'W2', qty: 7, unitCost: 1.428571, lineAmount: 10 },
      { id: 'b2', ...at(4), type: 'stocktake', sku: 'B', warehouse: 'W2', countedQty: 0 },
    ]
    const second: ModelMovement[] = [
      { id: 'a3', ...at(5), type: 'sales_shipment', sku: 'A', warehouse: 'W1', qty: 1e9, unitPrice: 1 },
      { id: 'b3', ...at(6), type: 'transfer', sku: 'B', warehouse: 'W2', toWarehouse: 'W1', qty: 6e8 },
    ]
    const model = new ValuationModel()
    for (const batch of [first, second].map((b) => relabel(b, tag))) {
      const res = await post(batch)
      expect(res.statusCode, res.body).toBe(200)
      expect(model.applyBatch(batch)).toEqual({ status: 200, accepted: batch.length, duplicates: 0 })
    }
    // by hand: 1e9 × 0.333333 = 333,333,000.00 (the exact 1/3 would give 333,333,333.33);
    // 6e8 × 1.428571 = 857,142,600.00 (exact 10/7: 857,142,857.14), which W1 receives
    const [a, b] = skus as [string, string]
    expect(model.pair(a, 'W1')).toMatchObject({ q: -(10n ** 12n), v: -3_333_330_000_000n })
    expect(model.pair(b, 'W2')).toMatchObject({ q: -(6n * 10n ** 11n), v: -8_571_426_000_000n })
    expect(model.pair(b, 'W1')).toMatchObject({ q: 6n * 10n ** 11n, v: 8_571_426_000_000n })
    expect(model.totals['sales.cogs']).toBe(3_333_330_010_000n)
    await compare(model, skus, 'after the outbound at the kept rate')
    const cogs = await ask({ metric: 'sales.cogs', ...period, filter: { sku: [...skus] } })
    expect(cogs.total).toBe(333_333_001)
  })
})

describe('a cancel that cannot restore its pair', () => {
  // The shape of a failure the property found (seed 565500776, path 392): a return costed by the
  // server (at the pair's rate, or at a movement of its own batch) is cancelled once the pair has
  // moved, and its reversal takes the pair across 0, where the value is qty × the line's rate. The
  // line's rate is the one it was costed at (1/3 here), not its rounded value ÷ qty (0.33).
  // Seeds 667130084 (path 856), -1842401465 (528) and -647357936 (489) found the supplier return
  // of a receipt of its own batch, up to 52,893.04 off at 6.4e8 units.
  test('reverses a return it costed at the rate that return was costed at', async () => {
    await reset()
    const tag = `${runTag}c${++run}`
    const skus = LEDGER_SKUS.map((s) => `${tag}${s}`)
    const at = (minute: number) => ({ occurredAt: time(minute) })
    const W = 'W1'
    const batches: ModelMovement[][] = [
      [
        // A: 3 for 1.00, then 1 returned at the pair's rate 1/3: 0.33
        { id: 'a1', ...at(1), type: 'purchase_receipt', sku: 'A', warehouse: W, qty: 3, unitCost: 0.333333, lineAmount: 1 },
        { id: 'a2', ...at(2), type: 'sales_return', sku: 'A', warehouse: W, qty: 1, unitPrice: 1 },
        // B: 3 for 1.00, all shipped at the rate (cost 1.00)
        { id: 'b1', ...at(3), type: 'purchase_receipt', sku: 'B', warehouse: W, qty: 3, unitCost: 0.333333, lineAmount: 1 },
        // A in W2: 3 for 1.00 and 1 of them returned to the supplier in the same batch at 1/3: 0.33
        { id: 'c1', ...at(1), type: 'purchase_receipt', sku: 'A', warehouse: 'W2', qty: 3, unitCost: 0.333333, lineAmount: 1 },
        { id: 'c2', ...at(2), type: 'purchase_return', sku: 'A', warehouse: 'W2', qty: 1, returnOf: 'c1' },
      ],
      [
        // B: 3 shipped at the rate (1.00), 1 of them returned in the same batch at 1.00 / 3: 0.33
        { id: 'b2', ...at(4), type: 'sales_shipment', sku: 'B', warehouse: W, qty: 3, unitPrice: 1 },
        { id: 'b3', ...at(5), type: 'sales_return', sku: 'B', warehouse: W, qty: 1, unitPrice: 1, returnOf: 'b2' },
      ],
      [
        // both left at 0.2 on hand by shipments at their own cost
        { id: 'a3', ...at(6), type: 'sales_shipment', sku: 'A', warehouse: W, qty: 3.8, unitPrice: 1, unitCost: 0.3 },
        { id: 'b4', ...at(7), type: 'sales_shipment', sku: 'B', warehouse: W, qty: 0.8, unitPrice: 1, unitCost: 0.1 },
        // A in W2 left at −0.2 (worth −0.02) by a shipment at its own cost
        { id: 'c3', ...at(6), type: 'sales_shipment', sku: 'A', warehouse: 'W2', qty: 2.2, unitPrice: 1, unitCost: 0.1 },
      ],
      [
        { id: 'a4', ...at(8), type: 'cancel', cancels: 'a2' },
        { id: 'b5', ...at(9), type: 'cancel', cancels: 'b3' },
        { id: 'c4', ...at(10), type: 'cancel', cancels: 'c2' },
      ],
    ]
    const model = new ValuationModel()
    for (const [i, batch] of batches.map((b) => relabel(b, tag)).entries()) {
      const res = await post(batch)
      expect(res.statusCode, res.body).toBe(200)
      expect(model.applyBatch(batch)).toEqual({ status: 200, accepted: batch.length, duplicates: 0 })
      await compare(model, skus, `after batch ${i + 1}`)
    }
    // by hand: A 0.2 on hand worth 1.33 − 1.14 = 0.19, B 0.2 worth 0.33 − 0.08 = 0.25; each
    // cancel takes out 1 from 0.2: −0.8 × 1/3 = −0.2667 → −0.27 (at 0.33 it would be −0.26)
    const value = await ask({ metric: 'stock.value', groupBy: 'sku', filter: { warehouse: W, sku: [...skus] } })
    for (const sku of skus) {
      expect(model.pair(sku, W)).toMatchObject({ q: -800n, v: -2_700n })
      expect(groupTotal(value, sku), sku).toBe(-0.27)
    }
    // A in W2: the supplier return's cancel puts 1 back into −0.2: 0.8 × 1/3 = 0.2667 → 0.27
    expect(model.pair(skus[0]!, 'W2')).toMatchObject({ q: 800n, v: 2_700n })
    const w2 = await ask({ metric: 'stock.value', groupBy: 'sku', filter: { warehouse: 'W2', sku: [...skus] } })
    expect(groupTotal(w2, skus[0]!)).toBe(0.27)
  })
})

/** What a line over the limit breaks, and how it is put right. */
const OVER = [
  { type: 'purchase_receipt', field: 'unitCost' },
  { type: 'purchase_order', field: 'unitCost' },
  { type: 'purchase_return', field: 'unitCost' },
  { type: 'sales_order', field: 'unitPrice' },
  { type: 'sales_shipment', field: 'unitPrice' },
  { type: 'sales_shipment', field: 'unitCost' },
  { type: 'sales_return', field: 'unitPrice' },
  { type: 'sales_return', field: 'unitCost' },
  { type: 'purchase_receipt', field: 'lineAmount' },
  { type: 'sales_shipment', field: 'lineAmount' },
  { type: 'sales_shipment', field: 'lineCost' },
  { type: 'sales_return', field: 'lineCost' },
  { type: 'payment_in', field: 'amount' },
  { type: 'payment_out', field: 'amount' },
] as const

interface OverLine {
  bad: ModelMovement
  fixed: ModelMovement
  field: string
}

/**
 * A line with exactly one field over the limit, and the same line fixed to exactly the limit. A
 * price over it is the smallest one past qty × price = 1e11, or anything up to 1e9; an amount,
 * a ten-thousandth past 1e11 or anything up to 1e12.
 */
const overLineArb: fc.Arbitrary<OverLine> = fc
  .record({
    kind: fc.constantFrom(...OVER),
    qty: fc.oneof(fc.bigInt(100_001n, MODEL_LIMITS.qtyMilli), fc.constant(MODEL_LIMITS.qtyMilli)),
    past: fc.oneof(fc.constant(1n), fc.bigInt(1n, MODEL_LIMITS.priceMicro)),
    pastMoney: fc.oneof(fc.constant(1n), fc.bigInt(1n, 9n * MODEL_LIMITS.lineMu)),
    pair: fc.nat(3),
    minute: fc.nat(3 * 1440 - 1),
  })
  .map(({ kind, qty, past, pastMoney, pair, minute }) => {
    const common = { id: 'over', occurredAt: time(minute) }
    const line = { ...common, sku: LEDGER_SKUS[pair >> 1]!, warehouse: LEDGER_WAREHOUSES[pair & 1]!, qty: qtyOf(qty) }
    const atLimit = limitPrice(qty)
    const overPrice = atLimit + 1n + ((past - 1n) % (MODEL_LIMITS.priceMicro - atLimit))
    const overMoney = MODEL_LIMITS.lineMu + pastMoney
    let bad: ModelMovement
    let fixed: ModelMovement
    if (kind.field === 'amount') {
      bad = { ...common, type: kind.type, partner: 'P1', amount: moneyOf(overMoney) }
      fixed = { ...bad, amount: moneyOf(MODEL_LIMITS.lineMu) }
    } else if (kind.field === 'lineAmount' || kind.field === 'lineCost') {
      const prices = kind.type === 'purchase_receipt' ? { unitCost: 1 } : { unitPrice: 1 }
      const small = { ...line, qty: 1 }
      bad = { ...small, type: kind.type, ...prices, [kind.field]: moneyOf(overMoney) }
      fixed = { ...bad, [kind.field]: moneyOf(MODEL_LIMITS.lineMu) }
    } else {
      // the other price of a sales line stays within the limit
      const other = kind.type.startsWith('sales_') && kind.field === 'unitCost' ? { unitPrice: priceOf(atLimit) } : {}
      bad = { ...line, type: kind.type, ...other, [kind.field]: priceOf(overPrice) }
      fixed = { ...bad, [kind.field]: priceOf(atLimit) }
    }
    return { bad, fixed, field: `/${kind.field}` }
  })

describe('a line over the limit', () => {
  test('refuses its whole batch naming its field; fixed, the batch is accepted in full exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(ledgerArb({ time, maxLength: 20 }), overLineArb, fc.nat(), async (ledger, over, position) => {
        const tag = `${runTag}l${++run}`
        const batches = ledger.batches.map((b) => relabel(b, tag))
        const history = batches.slice(0, -1)
        const last = batches.at(-1) ?? [] // a ledger may hold no batch at all
        const [bad, fixed] = relabel([over.bad, over.fixed], tag)
        const at = position % (last.length + 1)
        const refused = [...last.slice(0, at), bad!, ...last.slice(at)]
        const accepted = [...last.slice(0, at), fixed!, ...last.slice(at)]
        // keep to figures a double holds exactly once the fixed line is in (the model's decision 9)
        const probe = new ValuationModel()
        for (const b of [...history, accepted]) probe.applyBatch(b)
        fc.pre(probe.peak <= EXACT_MU)

        await reset()
        const skus = LEDGER_SKUS.map((s) => `${tag}${s}`)
        const model = new ValuationModel()
        for (const b of history) {
          const res = await post(b)
          expect(res.statusCode, res.body).toBe(200)
          expect(model.applyBatch(b)).toMatchObject({ status: 200 })
        }

        const res = await post(refused)
        expect(res.statusCode, res.body).toBe(400)
        const body = res.json()
        expect(body).toMatchObject({ error: 'invalid_movements', rejectedCount: 1 })
        expect(body.rejected).toHaveLength(1)
        expect(body.rejected[0]).toMatchObject({ index: at, id: bad!.id })
        expect(
          body.rejected[0].errors.map((e: { path: string }) => e.path),
          JSON.stringify(body.rejected[0]),
        ).toContain(over.field)
        expect(model.applyBatch(refused)).toEqual({ status: 400, rejected: [{ index: at, id: bad!.id, path: over.field }] })
        await compare(model, skus, 'after the refused batch')

        const first = await post(accepted)
        expect(first.statusCode, first.body).toBe(200)
        expect(first.json()).toEqual({ accepted: accepted.length, duplicates: 0 })
        expect(model.applyBatch(accepted)).toEqual({ status: 200, accepted: accepted.length, duplicates: 0 })
        await compare(model, skus, 'after the fixed batch')

        const second = await post(accepted)
        expect(second.statusCode, second.body).toBe(200)
        expect(second.json()).toEqual({ accepted: 0, duplicates: accepted.length })
        await compare(model, skus, 'after sending the fixed batch again')
      }),
      RUNS,
    )
  })
})
