/**
 * Credit compaction (server/aggregate/credit-compaction.ts, docs/metrics.md "Receivables and
 * payables"): documents settled in full by their own settlements, unchanged past the cancel
 * window, leave the open items and settlements; every figure stays what it was, and what is still
 * open, partly paid, overpaid or paid without a document stays.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { QueryResult } from '../../protocol/query.ts'
import { compactCredit } from '../../server/aggregate/credit-compaction.ts'
import { createCalendar } from '../../server/domain/time.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

const cal = createCalendar('Asia/Shanghai')
const DAY = 86_400_000
const today = cal.startOf('day', Date.now())
const d = (daysAgo: number) => cal.format(today - daysAgo * DAY + 10 * 3_600_000)
const tag = randomUUID().slice(0, 8)
const C1 = `${tag}-C1`
const C2 = `${tag}-C2`
const S1 = `${tag}-S1`
const SKU = `${tag}-K`
let s: TestServer
let n = 0
const id = () => `${tag}-${++n}`
const ship = (partner: string, ref: string, qty: number, daysAgo: number) => ({
  id: id(),
  type: 'sales_shipment',
  occurredAt: d(daysAgo),
  sku: SKU,
  warehouse: 'W1',
  qty,
  unitPrice: 10,
  partner,
  ref,
})
const pay = (partner: string, amount: number, daysAgo: number, ref?: string) => ({ id: id(), type: 'payment_in', occurredAt: d(daysAgo), amount, partner, ...(ref && { ref }) })

// C1: SO-A paid in full; SO-B shipped twice and paid in full; SO-C partly paid; SO-D overpaid; 10.00 without a document.
// C2: SO-E paid, the payment cancelled; SO-F shipped and cancelled. S1: PO-1 received and paid in full.
const soE = pay(C2, 70, 20, 'SO-E')
const soF = ship(C2, 'SO-F', 1.5, 30)
const movements = [
  ship(C1, 'SO-A', 10, 90),
  pay(C1, 100, 60, 'SO-A'),
  ship(C1, 'SO-B', 4, 80),
  ship(C1, 'SO-B', 6, 50),
  pay(C1, 100, 40, 'SO-B'),
  ship(C1, 'SO-C', 5, 70),
  pay(C1, 30, 30, 'SO-C'),
  ship(C1, 'SO-D', 2, 20),
  pay(C1, 50, 10, 'SO-D'),
  pay(C1, 10, 5),
  ship(C2, 'SO-E', 7, 45),
  soE,
  soF,
  { id: id(), type: 'purchase_receipt', occurredAt: d(100), sku: `${SKU}-P`, warehouse: 'W1', qty: 100, unitCost: 2, partner: S1, ref: 'PO-1' },
  { id: id(), type: 'payment_out', occurredAt: d(30), amount: 200, partner: S1, ref: 'PO-1' },
]

async function send(batch: object[]) {
  const res = await s.app.inject({ method: 'POST', url: '/api/v1/movements', headers: { authorization: `Bearer ${s.ingestKey}` }, payload: batch })
  expect(res.statusCode, res.body).toBe(200)
}
/** a query's figures (without `asOf`, the instant it was computed) */
async function query(q: object): Promise<Omit<QueryResult, 'asOf'>> {
  const res = await s.app.inject({ method: 'POST', url: '/api/v1/query', payload: q })
  expect(res.statusCode, res.body).toBe(200)
  const { asOf: _, ...figures } = res.json() as QueryResult
  return figures
}
/** every receivables and payables figure the cockpit shows */
const figures = async () => ({
  arAgeing: await query({ metric: 'receivables.ageing', groupBy: 'partner' }),
  apAgeing: await query({ metric: 'payables.ageing', groupBy: 'partner' }),
  arBalance: await query({ metric: 'receivables.balance', groupBy: 'partner' }),
  apBalance: await query({ metric: 'payables.balance', groupBy: 'partner' }),
  c1: await query({ metric: 'receivables.ageing', filter: { partner: C1 } }),
})
const fieldsOf = async (key: string) => Object.keys(await s.app.redis.hgetall(key)).sort()
const ttlMs = () => s.app.config.effectTtl * 1000
/** an instant past the cancel window of everything sent so far */
const later = () => Date.now() + ttlMs() + 2 * DAY

beforeAll(async () => {
  s = await startTestServer()
  const res = await s.app.inject({
    method: 'PUT',
    url: '/api/v1/master/partners',
    headers: { authorization: `Bearer ${s.adminKey}` },
    payload: [
      { code: C1, name: 'C1', kind: 'customer', paymentTermsDays: 30 },
      { code: C2, name: 'C2', kind: 'customer' },
      { code: S1, name: 'S1', kind: 'supplier', paymentTermsDays: 60 },
    ],
  })
  expect(res.statusCode, res.body).toBe(200)
  await send(movements)
  await send([
    { id: id(), type: 'cancel', occurredAt: d(0), cancels: soE.id },
    { id: id(), type: 'cancel', occurredAt: d(0), cancels: soF.id },
  ])
})

afterAll(async () => {
  await s?.close()
})

describe('credit compaction', () => {
  test('nothing is compacted inside the cancel window', async () => {
    const before = await figures()
    expect(await compactCredit(s.app.redis, s.app.keys, s.app.config.effectTtl)).toEqual({ looked: 0, compacted: 0, listed: 0 })
    expect(await figures()).toEqual(before)
  })

  test('documents settled in full leave; every figure stays', async () => {
    const before = await figures()
    const k = s.app.keys
    expect(await fieldsOf(k.settlements('ar', C1))).toEqual(['', 'SO-A', 'SO-B', 'SO-C', 'SO-D'])
    const r = await compactCredit(s.app.redis, k, s.app.config.effectTtl, later())
    // C1 SO-A..SO-D, C2 SO-E and SO-F, S1 PO-1 looked at; SO-A, SO-B, SO-F (all at 0) and PO-1 compacted
    expect(r).toEqual({ looked: 7, compacted: 4, listed: 0 })
    expect(await figures()).toEqual(before)
    expect((await fieldsOf(k.openItems('ar', C1))).map((f) => f.slice(11))).toEqual(['SO-C', 'SO-D'])
    expect(await fieldsOf(k.settlements('ar', C1))).toEqual(['', 'SO-C', 'SO-D'])
    expect((await fieldsOf(k.openItems('ar', C2))).map((f) => f.slice(11))).toEqual(['SO-E'])
    expect(await fieldsOf(k.settlements('ar', C2))).toEqual(['SO-E'])
    expect(await s.app.redis.exists(k.openItems('ap', S1), k.settlements('ap', S1))).toBe(0)
    expect(await s.app.redis.zcard(k.creditChanged('ar'))).toBe(0)
    // the hand-worked figures: C1 open SO-C 20.00 and SO-D −30 over → credit; 10.00 without a document
    expect(before.c1.total).toBe(-20)
    expect(before.apBalance.total).toBe(0)
  })

  test('a document changed after its compaction starts afresh and is listed again', async () => {
    await send([ship(C1, 'SO-A', 0.5, 1)])
    const after = await query({ metric: 'receivables.ageing', filter: { partner: C1 } })
    // the new item of SO-A is open in full, as the ERP shows a new invoice after the order was paid
    expect(after.total).toBe(-15)
    expect(await s.app.redis.zscore(s.app.keys.creditChanged('ar'), `${C1}|SO-A`)).not.toBeNull()
  })

  test('documents stored before their changes were kept are listed once, then compacted a window later', async () => {
    const k = s.app.keys
    // as a cockpit that ran before `cr:` existed: documents in the hashes, none listed
    await send([ship(C2, 'SO-G', 1, 3), pay(C2, 10, 2, 'SO-G')])
    await s.app.redis.del(k.creditChanged('ar'), k.creditChanged('ap'), k.creditListed)
    const first = await compactCredit(s.app.redis, k, s.app.config.effectTtl)
    // C1 SO-A, SO-C, SO-D; C2 SO-E, SO-G; none compacted: each waits a whole window from now
    expect(first).toEqual({ looked: 0, compacted: 0, listed: 5 })
    expect(await compactCredit(s.app.redis, k, s.app.config.effectTtl)).toEqual({ looked: 0, compacted: 0, listed: 0 })
    const before = await figures()
    expect(await compactCredit(s.app.redis, k, s.app.config.effectTtl, later())).toEqual({ looked: 5, compacted: 1, listed: 0 })
    expect(await figures()).toEqual(before)
    expect((await fieldsOf(k.openItems('ar', C2))).map((f) => f.slice(11))).toEqual(['SO-E'])
  })
})
