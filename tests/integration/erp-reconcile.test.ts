/**
 * The hand-worked valuation ledgers of tests/unit/valuation-model.test.ts sent through the real
 * server (HTTP API, real Redis): each figure must be the one an ERP's stock ledger gives, and the
 * one the reference model (tests/support/valuation-model.ts) gives. Every ledger uses SKUs of its
 * own, so the cases do not see each other's stock; flows are read filtered by those SKUs.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Movement } from '../../protocol/movement.ts'
import { createCalendar } from '../../server/domain/time.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { ValuationModel, displayedMoney, displayedQty } from '../support/valuation-model.ts'
import type { ModelFigure, ModelMovement, ValuationOptions } from '../support/valuation-model.ts'
import { resetFigures } from './figures-support.ts'

const cal = createCalendar('Asia/Shanghai')
const DAY = 86_400_000
/** the ledgers happen two days ago; cancels the day after; flows are read over both days */
const day = cal.startOf('day', Date.now()) - 2 * DAY
const at = (hour: number, minute = 0) => cal.format(day + (hour * 60 + minute) * 60_000)
const nextDay = (hour: number) => cal.format(day + DAY + hour * 3_600_000)
const period = { from: cal.format(day), to: cal.format(day + 2 * DAY) }
const tag = randomUUID().slice(0, 8)

/** a server and the movements sent to it (deleted after the file) */
interface Server {
  server: TestServer
  sent: ModelMovement[]
}

/** one hand-worked ledger: a server, and a model of that ledger alone */
interface Ledger extends Server {
  model: ValuationModel
}

let plain: Server
let halfEven: Server

beforeAll(async () => {
  plain = { server: await startTestServer(), sent: [] }
  // COCKPIT_MONEY_ROUNDING reaches loadConfig through startTestServer's env
  halfEven = { server: await startTestServer({ COCKPIT_MONEY_ROUNDING: 'half-even' }), sent: [] }
})

afterAll(async () => {
  for (const s of [plain, halfEven]) {
    if (!s) continue
    await resetFigures(s.server.app, s.server.prefix, s.sent as unknown as Movement[])
    await s.server.close()
  }
}, 120_000)

const ledger = (on: Server, opts: ValuationOptions = {}): Ledger => ({ ...on, model: new ValuationModel(opts) })

let n = 0
const mv = (fields: Partial<ModelMovement> & { type: string }): ModelMovement => ({ id: `${tag}-${++n}`, occurredAt: at(9), ...fields })
const sku = (name: string) => `${tag}-${name}`

async function post(l: Server, batch: ModelMovement[]) {
  l.sent.push(...batch)
  return l.server.app.inject({ method: 'POST', url: '/api/v1/movements', headers: { authorization: `Bearer ${l.server.ingestKey}` }, payload: batch })
}

/** sends each batch, expects it accepted in full, and applies it to the model */
async function send(l: Ledger, ...batches: ModelMovement[][]): Promise<void> {
  for (const batch of batches) {
    const res = await post(l, batch)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({ accepted: batch.length, duplicates: 0 })
    expect(l.model.applyBatch(batch)).toEqual({ status: 200, accepted: batch.length, duplicates: 0 })
  }
}

const LEVELS = ['stock.qty', 'stock.value'] as const
type Metric = ModelFigure | (typeof LEVELS)[number]

/** a figure of the server: a level now, or a flow over the period, for these SKUs (and warehouse) */
async function figure(l: Ledger, metric: Metric, skus: string[], warehouse?: string): Promise<number | null> {
  const filter: Record<string, unknown> = { sku: skus }
  if (warehouse) filter.warehouse = warehouse
  const query = (LEVELS as readonly string[]).includes(metric) ? { metric, filter } : { metric, ...period, filter }
  const res = await l.server.app.inject({ method: 'POST', url: '/api/v1/query', payload: query })
  expect(res.statusCode, `${JSON.stringify(query)} → ${res.body}`).toBe(200)
  return res.json().total
}

/** expects the server's figure to be `expected` (currency or units) and the model's to agree */
async function expectFigure(l: Ledger, metric: Metric, skus: string[], expected: number, warehouse?: string): Promise<void> {
  const actual = await figure(l, metric, skus, warehouse)
  expect(actual, `${metric} of ${skus.join(',')}${warehouse ? ` in ${warehouse}` : ''}`).toBe(expected)
  let model: number[]
  if (metric === 'stock.qty') model = [displayedQty(warehouse ? l.model.pair(skus[0]!, warehouse).q : l.model.stockQty(skus))]
  else if (metric === 'stock.value') model = displayedMoney(warehouse ? l.model.pair(skus[0]!, warehouse).v : l.model.stockValue(skus))
  else model = displayedMoney(l.model.totals[metric])
  expect(model, `the model's ${metric}`).toContain(expected)
}

describe('hand-worked ledgers through the server', () => {
  test('(1) ship 5 of a new SKU, then receive 20 @ 5.00: 15 worth 75.00, revaluation −25.00', async () => {
    // ERPNext: the receipt meets qty_after_transaction −5 ≤ 0 → valuation_rate = incoming_rate
    // 5.00; stock_value = flt(15 × 5.00) = 75.00 against an incoming 100.00.
    const s = sku('new')
    const l = ledger(plain)
    await send(l, [
      mv({ type: 'sales_shipment', sku: s, warehouse: 'W1', qty: 5, unitPrice: 9, occurredAt: at(9) }),
      mv({ type: 'purchase_receipt', sku: s, warehouse: 'W1', qty: 20, unitCost: 5, occurredAt: at(10) }),
    ])
    await expectFigure(l, 'stock.qty', [s], 15)
    await expectFigure(l, 'stock.value', [s], 75)
    await expectFigure(l, 'stock.revaluation', [s], -25)
    await expectFigure(l, 'purchase.receiptAmount', [s], 100)
    await expectFigure(l, 'sales.cogs', [s], 0)
    await expectFigure(l, 'sales.revenue', [s], 45)
  })

  test('(2) cancel a receipt whose units were sold: 0 on hand worth 0.00 (not −50.00), revaluation +50.00', async () => {
    // ERPNext: the reversal is outgoing at the receipt's 20.00 with new qty 0 → valuation_rate =
    // outgoing_rate, and `if not qty_after_transaction: stock_value = 0`.
    const s = sku('cancel')
    const l = ledger(plain)
    const second = mv({ type: 'purchase_receipt', sku: s, warehouse: 'W1', qty: 10, unitCost: 20, occurredAt: at(10) })
    await send(
      l,
      [
        mv({ type: 'purchase_receipt', sku: s, warehouse: 'W1', qty: 10, unitCost: 10, occurredAt: at(9) }),
        second,
        mv({ type: 'sales_shipment', sku: s, warehouse: 'W1', qty: 10, unitPrice: 30, occurredAt: at(11) }),
      ],
      [{ id: `${second.id}-cancel`, type: 'cancel', occurredAt: nextDay(9), cancels: second.id }],
    )
    await expectFigure(l, 'stock.qty', [s], 0)
    await expectFigure(l, 'stock.value', [s], 0)
    await expectFigure(l, 'sales.cogs', [s], 150)
    await expectFigure(l, 'stock.revaluation', [s], 50)
    await expectFigure(l, 'purchase.receiptAmount', [s], 100)
  })

  test('(3) 1,000 shipments of 3 @ 0.333: revenue 1,000.00, each line 0.999 → 1.00', async () => {
    // ERPNext: each item's amount = flt(3 × 0.333, 2) = 1.00.
    const s = sku('cents')
    const l = ledger(plain)
    await send(
      l,
      Array.from({ length: 1000 }, (_, i) => mv({ type: 'sales_shipment', sku: s, warehouse: 'W1', qty: 3, unitPrice: 0.333, occurredAt: at(9, i % 60) })),
    )
    await expectFigure(l, 'sales.revenue', [s], 1000)
  })

  test('(4) an 11:00 count of 100 with bookQty 100, arriving after the 12:00 shipment of 30: 70 on hand', async () => {
    // ERPNext: the 11:00 Stock Reconciliation finds 100 = counted; reposting the 12:00 delivery
    // after it leaves 70.
    const s = sku('count')
    const l = ledger(plain)
    await send(
      l,
      [mv({ type: 'purchase_receipt', sku: s, warehouse: 'W1', qty: 100, unitCost: 4, occurredAt: at(9) })],
      [mv({ type: 'sales_shipment', sku: s, warehouse: 'W1', qty: 30, unitPrice: 8, occurredAt: at(12) })],
      [mv({ type: 'stocktake', sku: s, warehouse: 'W1', countedQty: 100, bookQty: 100, occurredAt: at(11) })],
    )
    await expectFigure(l, 'stock.qty', [s], 70)
    await expectFigure(l, 'stock.value', [s], 280)
  })

  test('(5) a sales return linked to a shipment costed at 4.00, while the average is 6.00, comes back at 4.00', async () => {
    // ERPNext: the return's incoming_rate is the original delivery's (get_rate_for_return: 4.00).
    const s = sku('return')
    const l = ledger(plain)
    const ship = mv({ type: 'sales_shipment', sku: s, warehouse: 'W1', qty: 5, unitPrice: 10, occurredAt: at(10) })
    await send(
      l,
      [
        mv({ type: 'purchase_receipt', sku: s, warehouse: 'W1', qty: 10, unitCost: 4, occurredAt: at(9) }),
        ship,
        mv({ type: 'purchase_receipt', sku: s, warehouse: 'W1', qty: 5, unitCost: 8, occurredAt: at(11) }),
      ],
      [mv({ type: 'sales_return', sku: s, warehouse: 'W1', qty: 2, unitPrice: 10, returnOf: ship.id, occurredAt: at(12) })],
    )
    await expectFigure(l, 'stock.qty', [s], 12)
    await expectFigure(l, 'stock.value', [s], 68)
    await expectFigure(l, 'sales.cogs', [s], 12)
    await expectFigure(l, 'sales.revenue', [s], 30)
    await expectFigure(l, 'stock.revaluation', [s], 0)
  })

  test('(6) a line of 1 @ 9,015,959.01 reads 9,015,959.01 exactly', async () => {
    // ERPNext keeps decimals: flt(1 × 9015959.01, 2). 1000 milli × 9,015,959,010,000 micro is past 2^53.
    const s = sku('big')
    const l = ledger(plain)
    await send(l, [
      mv({ type: 'purchase_receipt', sku: s, warehouse: 'W1', qty: 1, unitCost: 9015959.01 }),
      mv({ type: 'sales_shipment', sku: s, warehouse: 'W2', qty: 1, unitPrice: 9015959.01, unitCost: 9015959.01 }),
    ])
    await expectFigure(l, 'purchase.receiptAmount', [s], 9015959.01)
    await expectFigure(l, 'sales.revenue', [s], 9015959.01)
    await expectFigure(l, 'sales.cogs', [s], 9015959.01)
    await expectFigure(l, 'stock.value', [s], 9015959.01, 'W1')
    await expectFigure(l, 'stock.value', [s], -9015959.01, 'W2')
  })

  test('(7) qty 1e9 @ 1e9 is a 400 naming the price field; the batch applies nothing; the other movement goes through', async () => {
    // ERPNext's Currency columns (decimal(21, 9)) cannot hold 1e18; the cockpit bounds a line at 1e11.
    const s = sku('limit')
    const l = ledger(plain)
    const good = mv({ type: 'purchase_receipt', sku: s, warehouse: 'W1', qty: 2, unitCost: 3 })
    const bad = mv({ type: 'sales_shipment', sku: s, warehouse: 'W1', qty: 1e9, unitPrice: 1e9 })
    const res = await post(l, [good, bad])
    expect(res.statusCode, res.body).toBe(400)
    const body = res.json()
    expect(body).toMatchObject({ error: 'invalid_movements', rejectedCount: 1 })
    expect(body.rejected).toHaveLength(1)
    expect(body.rejected[0]).toMatchObject({ index: 1, id: bad.id })
    expect(body.rejected[0].errors.map((e: { path: string }) => e.path)).toContain('/unitPrice')
    expect(l.model.applyBatch([good, bad])).toMatchObject({ status: 400 })
    await expectFigure(l, 'stock.qty', [s], 0)
    await expectFigure(l, 'purchase.receiptAmount', [s], 0)

    await send(l, [good])
    // fixed to exactly the limit: 1e9 × 100.00 = 1e11; the good one is now a duplicate
    const fixed = { ...bad, unitPrice: 100 }
    const again = await post(l, [good, fixed])
    expect(again.statusCode, again.body).toBe(200)
    expect(again.json()).toEqual({ accepted: 1, duplicates: 1 })
    expect(l.model.applyBatch([good, fixed])).toEqual({ status: 200, accepted: 1, duplicates: 1 })
    await expectFigure(l, 'purchase.receiptAmount', [s], 6)
    await expectFigure(l, 'sales.revenue', [s], 100_000_000_000)
    await expectFigure(l, 'stock.qty', [s], 2 - 1e9)
  })

  test('(8) 1 @ 0.125 is 0.13 by default and 0.12 with COCKPIT_MONEY_ROUNDING=half-even', async () => {
    // ERPNext: frappe.utils.flt rounds by the system's rounding method: commercial 0.13, banker's 0.12.
    const s = sku('half')
    const l = ledger(plain)
    const even = ledger(halfEven, { rounding: 'half-even' })
    const receipt = () => [mv({ type: 'purchase_receipt', sku: s, warehouse: 'W1', qty: 1, unitCost: 0.125 })]
    await send(l, receipt())
    await expectFigure(l, 'purchase.receiptAmount', [s], 0.13)
    await expectFigure(l, 'stock.value', [s], 0.13)
    await send(even, receipt())
    await expectFigure(even, 'purchase.receiptAmount', [s], 0.12)
    await expectFigure(even, 'stock.value', [s], 0.12)
    await expectFigure(even, 'stock.revaluation', [s], 0)
  })
})
