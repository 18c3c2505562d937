/**
 * Receivables and payables (docs/metrics.md "Receivables and payables") through the real server:
 * balances, open items by age, DSO and DPO, worked by hand below. Settlements naming a document
 * pay it, the rest pays the oldest items first; the figures do not depend on arrival order, and a
 * cancel restores them.
 *
 * Customer C1 has 30-day terms, C2 none; supplier S1 has 60-day terms. "d−N" is N days before
 * today, 10:00 in Asia/Shanghai; due = shipment/receipt date + terms.
 *
 * | movement | d | amount | due | settles |
 * |---|---|---|---|---|
 * | ship C1 SO-A 10 × 10.00 | 100 | 100.00 | d−70 | |
 * | ship C2 SO-C 3 × 10.00 | 200 | 30.00 | d−200 | |
 * | ship C1 SO-B 5 × 20.00 | 40 | 100.00 | d−10 | |
 * | ship C1 SO-B 2 × 20.00 | 10 | 40.00 | d+20 | |
 * | C1 pays 60.00, no document | 5 | | | oldest first: SO-A 60 (40 left) |
 * | C1 pays 100.00 for SO-B | 3 | | | SO-B oldest first: the d−10 item |
 * | C1 returns 1 × 20.00 of SO-B | 2 | | | SO-B: the d+20 item (20 left) |
 * | C2 pays 50.00 for SO-X (unknown) | 1 | | | nothing of SO-X: oldest first, SO-C 30; 20.00 credit |
 * | ship C1 SO-D 1 × 10.00 | 1 | 10.00 | d+29 | |
 *
 * Receivables now: C1 open SO-A 40.00 (70 days past due: 61–90), SO-B 20.00 and SO-D 10.00 (not
 * due): balance 70.00 = 250 − (60 + 100 + 20). C2: nothing open, credit 20.00: balance −20.00.
 * Total 50.00 = 30 (not due) + 40 (61–90) − 20 (credit).
 *
 * DSO over the 12 complete days d−12 … d−1: closing receivables 230, 230, 270 ×5 (the d−10
 * shipment), 210 ×2 (d−5), 110 (d−3), 90 (d−2), 50 (d−1): Σ 2,480, average 206.67; invoiced
 * 50.00 over those days: DSO = 2,480 / 50 = 49.6 days. Over `today` (no complete day yet) it is
 * yesterday's: 50 / 10 = 5 days.
 *
 * Payables: receipt S1 PO-1 100 × 2.00 at d−90 (200.00, due d−30), PO-2 50 × 2.00 at d−10
 * (100.00, due d+50); return 10 × 2.00 of PO-1 at d−5 (20.00); return 10 of PO-2 at the
 * average cost 2.00 at d−4 (20.00, valued by the stock ledger); payment 150.00 without document
 * at d−1 pays PO-1's 180.00 down to 30.00. Open: PO-1 30.00 (30 days past due: 0–30), PO-2 80.00
 * (not due): balance 110.00 = 300 − 190.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { QueryResult } from '../../protocol/query.ts'
import { createCalendar } from '../../server/domain/time.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

const cal = createCalendar('Asia/Shanghai')
const DAY = 86_400_000
const today = cal.startOf('day', Date.now())
const d = (daysAgo: number, hour = 10) => cal.format(today - daysAgo * DAY + hour * 3_600_000)
const tag = randomUUID().slice(0, 8)
let s: TestServer

const C1 = `${tag}-C1`
const C2 = `${tag}-C2`
const S1 = `${tag}-S1`
const SKU = `${tag}-K`

let n = 0
const id = () => `${tag}-${++n}`
const ship = (partner: string, ref: string, qty: number, unitPrice: number, daysAgo: number) => ({
  id: id(),
  type: 'sales_shipment',
  occurredAt: d(daysAgo),
  sku: SKU,
  warehouse: 'W1',
  qty,
  unitPrice,
  partner,
  ref,
})
const pay = (type: 'payment_in' | 'payment_out', partner: string, amount: number, daysAgo: number, ref?: string) => ({
  id: id(),
  type,
  occurredAt: d(daysAgo),
  amount,
  partner,
  ...(ref && { ref }),
})

const receivables = [
  ship(C1, 'SO-A', 10, 10, 100),
  ship(C2, 'SO-C', 3, 10, 200),
  ship(C1, 'SO-B', 5, 20, 40),
  ship(C1, 'SO-B', 2, 20, 10),
  pay('payment_in', C1, 60, 5),
  pay('payment_in', C1, 100, 3, 'SO-B'),
  { id: id(), type: 'sales_return', occurredAt: d(2), sku: SKU, warehouse: 'W1', qty: 1, unitPrice: 20, partner: C1, ref: 'SO-B' },
  pay('payment_in', C2, 50, 1, 'SO-X'),
  ship(C1, 'SO-D', 1, 10, 1),
]
const payables = [
  { id: id(), type: 'purchase_receipt', occurredAt: d(90), sku: `${SKU}-P`, warehouse: 'W1', qty: 100, unitCost: 2, partner: S1, ref: 'PO-1' },
  { id: id(), type: 'purchase_receipt', occurredAt: d(10), sku: `${SKU}-P`, warehouse: 'W1', qty: 50, unitCost: 2, partner: S1, ref: 'PO-2' },
  { id: id(), type: 'purchase_return', occurredAt: d(5), sku: `${SKU}-P`, warehouse: 'W1', qty: 10, unitCost: 2, partner: S1, ref: 'PO-1' },
  { id: id(), type: 'purchase_return', occurredAt: d(4), sku: `${SKU}-P`, warehouse: 'W1', qty: 10, partner: S1, ref: 'PO-2' },
  pay('payment_out', S1, 150, 1),
]

async function send(batch: object[]) {
  const res = await s.app.inject({ method: 'POST', url: '/api/v1/movements', headers: { authorization: `Bearer ${s.ingestKey}` }, payload: batch })
  expect(res.statusCode, res.body).toBe(200)
}

async function query(q: object): Promise<QueryResult> {
  const res = await s.app.inject({ method: 'POST', url: '/api/v1/query', payload: q })
  expect(res.statusCode, `${JSON.stringify(q)} → ${res.body}`).toBe(200)
  return res.json() as QueryResult
}

const bucketsOf = (r: QueryResult) => Object.fromEntries(r.creditAgeing!.buckets.map((b) => [b.key, b.amount]))

beforeAll(async () => {
  s = await startTestServer()
  const res = await s.app.inject({
    method: 'PUT',
    url: '/api/v1/master/partners',
    headers: { authorization: `Bearer ${s.adminKey}` },
    payload: [
      { code: C1, name: '华东商贸', kind: 'customer', paymentTermsDays: 30 },
      { code: C2, name: 'C2', kind: 'customer' },
      { code: S1, name: 'S1', kind: 'supplier', paymentTermsDays: 60 },
    ],
  })
  expect(res.statusCode, res.body).toBe(200)
  // the last receivables movement first: arrival order does not matter
  await send([receivables.at(-1)!, ...receivables.slice(0, -1)])
  await send(payables)
})

afterAll(async () => {
  await s?.close()
})

describe('receivables', () => {
  test('balance per partner and in total', async () => {
    expect((await query({ metric: 'receivables.balance' })).total).toBe(50)
    const byPartner = await query({ metric: 'receivables.balance', groupBy: 'partner' })
    expect(byPartner.groups!.map((g) => [g.key, g.total, g.label])).toEqual([
      [C1, 70, '华东商贸'],
      [C2, -20, 'C2'],
    ])
    expect((await query({ metric: 'receivables.balance', filter: { partner: C1 } })).total).toBe(70)
  })

  test('open items by age, credit apart', async () => {
    const r = await query({ metric: 'receivables.ageing', groupBy: 'partner' })
    expect(r.total).toBe(50)
    expect(bucketsOf(r)).toEqual({ notDue: 30, '0-30': 0, '31-60': 0, '61-90': 40, '91-180': 0, '181+': 0 })
    expect(r.creditAgeing!.credit).toBe(20)
    expect(r.creditAgeing!.rows).toEqual([
      { partner: C1, partnerName: '华东商贸', balance: 70, buckets: [30, 0, 0, 40, 0, 0], credit: 0, oldestDue: cal.format(today - 70 * DAY).slice(0, 10) },
      { partner: C2, partnerName: 'C2', balance: -20, buckets: [0, 0, 0, 0, 0, 0], credit: 20 },
    ])
    const one = await query({ metric: 'receivables.ageing', filter: { partner: C2 } })
    expect([one.total, one.creditAgeing!.rows, one.creditAgeing!.credit]).toEqual([-20, undefined, 20])
  })

  test('DSO over the complete days of the period', async () => {
    const r = await query({ metric: 'receivables.dso', from: d(12, 0), to: d(0, 0) })
    expect(r.total).toBeCloseTo(49.6, 10)
    // a period reaching into today reads the same complete days: today is left out
    const open = await query({ metric: 'receivables.dso', from: d(12, 0), to: d(-1, 0) })
    expect(open.total).toBeCloseTo(49.6, 10)
    // by partner: C1 alone, invoiced 50.00 and closing 200 ×2, 240 ×5, 180 ×2, 80, 60, 70 = 2,170
    const byPartner = await query({ metric: 'receivables.dso', from: d(12, 0), to: d(0, 0), groupBy: 'partner' })
    expect(byPartner.groups!.find((g) => g.key === C1)!.total).toBeCloseTo(2170 / 50, 10)
    expect(byPartner.total).toBeCloseTo(49.6, 10)
    // nothing invoiced in the period: no DSO
    expect((await query({ metric: 'receivables.dso', from: d(9, 0), to: d(2, 0) })).total).toBeNull()
    // today has no complete day: the latest one, yesterday (closing 50, invoiced 10)
    expect((await query({ metric: 'receivables.dso', window: 'today' })).total).toBeCloseTo(5, 10)
  })

  test('a cancelled payment is open again', async () => {
    const cancel = { id: id(), type: 'cancel', occurredAt: d(0, 1), cancels: receivables[4]!.id }
    await send([cancel])
    const r = await query({ metric: 'receivables.ageing', filter: { partner: C1 } })
    expect([r.total, bucketsOf(r)]).toEqual([130, { notDue: 30, '0-30': 0, '31-60': 0, '61-90': 100, '91-180': 0, '181+': 0 }])
    expect((await query({ metric: 'receivables.balance', filter: { partner: C1 } })).total).toBe(130)
    // the d−5 payment no longer lowers the closings after it: +60 on d−5 … d−1
    expect((await query({ metric: 'receivables.dso', from: d(12, 0), to: d(0, 0) })).total).toBeCloseTo((2480 + 5 * 60) / 50, 10)
  })

  test('other dimensions are refused with a clear error', async () => {
    const res = await s.app.inject({ method: 'POST', url: '/api/v1/query', payload: { metric: 'receivables.ageing', groupBy: 'sku' } })
    expect(res.statusCode).toBe(400)
    expect(res.json().message).toContain('kept by partner')
  })
})

describe('payables', () => {
  test('returns and payments settle the supplier’s documents', async () => {
    expect((await query({ metric: 'payables.balance' })).total).toBe(110)
    const r = await query({ metric: 'payables.ageing', groupBy: 'partner' })
    expect(bucketsOf(r)).toEqual({ notDue: 80, '0-30': 30, '31-60': 0, '61-90': 0, '91-180': 0, '181+': 0 })
    expect(r.creditAgeing!.rows!.map((row) => [row.partner, row.balance, row.credit])).toEqual([[S1, 110, 0]])
  })

  test('DPO: average closing payables over the purchases of the period', async () => {
    // d−12 … d−1: 200 ×2, 300 (d−10) ×5, 280 (d−5), 260 ×3 (d−4), 110 (d−1) = 3,070; invoiced 100.00
    const r = await query({ metric: 'payables.dpo', from: d(12, 0), to: d(0, 0) })
    expect(r.total).toBeCloseTo(3070 / 100, 10)
  })
})
