/**
 * Replay: 100,000 movements of the simulated retail chain (several days of history) go through
 * the HTTP API into a real server; then the cockpit's figures are checked against a ledger
 * recomputed here, in plain code, from the same movement list: exact integer maths (BigInt),
 * moving-average valuation per sku × warehouse in arrival order, days cut in Asia/Shanghai
 * (UTC+8, no daylight saving). Re-sent movements and cancels are part of the replay.
 *
 * The ledger deliberately shares no code with the server: only the movement list and the
 * documented rules (docs/metrics.md) connect the two.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { chunks } from '../../mock-feeds/feed.ts'
import { createSimulator } from '../../mock-feeds/simulator.ts'
import { retailScenario } from '../../mock-feeds/scenarios/retail.ts'
import type { Movement } from '../../protocol/movement.ts'
import type { Query, QueryResult } from '../../protocol/query.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { resetFigures } from './figures-support.ts'

const COUNT = 100_000
const CANCELS = 400
const RESENT = 3_000
const HOUR = 3_600_000
const DAY = 24 * HOUR
const ZONE = 8 * HOUR // Asia/Shanghai

// ---------------------------------------------------------------------------------------------
// exact numbers: qty in thousandths, unit prices and costs in millionths, money in ten-thousandths
// ---------------------------------------------------------------------------------------------
const milli = (x: number) => BigInt(Math.round(x * 1_000))
const micro = (x: number) => BigInt(Math.round(x * 1_000_000))
const units = (x: number) => BigInt(Math.round(x * 10_000))
/** a / b rounded half away from zero */
function div(a: bigint, b: bigint): bigint {
  const neg = a < 0n !== b < 0n
  const aa = a < 0n ? -a : a
  const bb = b < 0n ? -b : b
  const q = (2n * aa + bb) / (2n * bb)
  return neg ? -q : q
}
/** qty (1e-3) × unit price (1e-6) → money (1e-4) */
const line = (q: bigint, price: bigint) => div(q * price, 100_000n)
/** money units → the currency, to the cent */
const cents = (u: bigint) => Number(div(u, 100n)) / 100
const abs = (x: bigint) => (x < 0n ? -x : x)
const max0 = (x: bigint) => (x > 0n ? x : 0n)

const localDay = (t: number) => new Date(t + ZONE).toISOString().slice(0, 10)
const dayStart = (day: string) => `${day}T00:00:00+08:00`
const startOfLocalDay = (t: number) => Math.floor((t + ZONE) / DAY) * DAY - ZONE

// ---------------------------------------------------------------------------------------------
// the ledger
// ---------------------------------------------------------------------------------------------
interface Effect {
  m: Movement
  at: number
  day: string
  month: string
  category: string
  rev: bigint
  cogs: bigint
  cashIn: bigint
  cashOut: bigint
  receiptAmount: bigint
  /** change of the partner's receivable (shipments +, returns and payments −) and payable (receipts +, returns and payments −) */
  partner: string
  ar: bigint
  ap: bigint
  /** units shipped, returned by customers and received (1e-3) */
  shippedQty: bigint
  returnedQty: bigint
  receivedQty: bigint
  /** shipments with a promised date, and those on time */
  due: number
  onTime: number
  stocktake?: { exact: number; diffValue: bigint; bookValue: bigint }
  /** what it did to stock: per warehouse */
  stock: { warehouse: string; dq: bigint; dv: bigint }[]
  cancelled: boolean
}

interface Pair {
  q: bigint
  v: bigint
  /** moving-average unit cost, 1e-6 */
  a: bigint
}

/** What an ERP's own reports would say about a movement list, computed the plain way. */
function ledger(movements: readonly Movement[], categoryOf: (sku: string) => string) {
  const pairs = new Map<string, Pair>()
  const effects = new Map<string, Effect>()
  const pair = (sku: string, wh: string) => {
    let p = pairs.get(`${sku}|${wh}`)
    if (!p) pairs.set(`${sku}|${wh}`, (p = { q: 0n, v: 0n, a: 0n }))
    return p
  }
  const settle = (p: Pair, unit: bigint) => {
    p.a = p.q > 0n ? div(p.v * 100_000n, p.q) : unit
  }
  /** goods in at a unit cost: value grows by their cost */
  const inbound = (p: Pair, q: bigint, unit: bigint) => {
    const dv = line(q, unit)
    p.q += q
    p.v += dv
    settle(p, unit)
    return dv
  }
  /** goods out at a given unit cost, else at the moving average (value / qty) */
  const outbound = (p: Pair, q: bigint, unit?: bigint) => {
    const cost = unit !== undefined ? line(q, unit) : p.q > 0n ? div(p.v * q, p.q) : line(q, p.a)
    p.q -= q
    p.v -= cost
    if (p.q > 0n) p.a = div(p.v * 100_000n, p.q)
    return cost
  }

  for (const m of movements) {
    if (m.type === 'cancel') {
      const target = effects.get(m.cancels)!
      target.cancelled = true
      for (const s of target.stock) {
        const p = pair((target.m as { sku: string }).sku, s.warehouse)
        p.q -= s.dq
        p.v -= s.dv
        if (p.q > 0n) p.a = div(p.v * 100_000n, p.q)
      }
      continue
    }
    const at = Date.parse(m.occurredAt)
    const day = localDay(at)
    const e: Effect = {
      m,
      at,
      day,
      month: day.slice(0, 7),
      category: ('category' in m && m.category) || ('sku' in m ? categoryOf(m.sku) : '-'),
      rev: 0n,
      cogs: 0n,
      cashIn: 0n,
      cashOut: 0n,
      receiptAmount: 0n,
      // trade credit needs a partner (docs/metrics.md "Receivables and payables")
      partner: ('partner' in m && m.partner) || '',
      ar: 0n,
      ap: 0n,
      shippedQty: 0n,
      returnedQty: 0n,
      receivedQty: 0n,
      due: 0,
      onTime: 0,
      stock: [],
      cancelled: false,
    }
    effects.set(m.id, e)
    switch (m.type) {
      case 'purchase_receipt': {
        const q = milli(m.qty)
        e.receiptAmount = line(q, micro(m.unitCost))
        e.ap = e.receiptAmount
        e.receivedQty = q
        e.stock.push({ warehouse: m.warehouse, dq: q, dv: inbound(pair(m.sku, m.warehouse), q, micro(m.unitCost)) })
        break
      }
      case 'sales_shipment': {
        const q = milli(m.qty)
        e.rev = line(q, micro(m.unitPrice))
        e.ar = e.rev
        e.shippedQty = q
        e.cogs = outbound(pair(m.sku, m.warehouse), q, m.unitCost === undefined ? undefined : micro(m.unitCost))
        e.stock.push({ warehouse: m.warehouse, dq: -q, dv: -e.cogs })
        if (m.dueAt !== undefined) {
          e.due = 1
          e.onTime = at <= Date.parse(m.dueAt) ? 1 : 0
        }
        break
      }
      case 'sales_return': {
        const q = milli(m.qty)
        const p = pair(m.sku, m.warehouse)
        const unit = m.unitCost === undefined ? p.a : micro(m.unitCost)
        e.rev = -line(q, micro(m.unitPrice))
        e.ar = e.rev
        e.returnedQty = q
        e.cogs = -line(q, unit)
        e.stock.push({ warehouse: m.warehouse, dq: q, dv: inbound(p, q, unit) })
        break
      }
      case 'transfer': {
        const q = milli(m.qty)
        const cost = outbound(pair(m.sku, m.warehouse), q)
        const to = pair(m.sku, m.toWarehouse)
        to.q += q
        to.v += cost
        if (to.q > 0n) to.a = div(to.v * 100_000n, to.q)
        e.stock.push({ warehouse: m.warehouse, dq: -q, dv: -cost }, { warehouse: m.toWarehouse, dq: q, dv: cost })
        break
      }
      case 'stocktake': {
        const p = pair(m.sku, m.warehouse)
        const book = max0(p.v)
        const dq = milli(m.countedQty) - p.q
        const dv = dq > 0n ? inbound(p, dq, p.a) : dq < 0n ? -outbound(p, -dq) : 0n
        e.stocktake = { exact: dq === 0n ? 1 : 0, diffValue: abs(dv), bookValue: book }
        e.stock.push({ warehouse: m.warehouse, dq, dv })
        break
      }
      case 'payment_in':
        e.cashIn = units(m.amount)
        e.ar = -e.cashIn
        break
      case 'payment_out':
        e.cashOut = units(m.amount)
        e.ap = -e.cashOut
        break
      case 'purchase_return': {
        const q = milli(m.qty)
        const cost = outbound(pair(m.sku, m.warehouse), q, m.unitCost === undefined ? undefined : micro(m.unitCost))
        // the supplier is owed that much less: the return's line, else the value it left stock at
        e.ap = -cost
        e.stock.push({ warehouse: m.warehouse, dq: -q, dv: -cost })
        break
      }
      case 'purchase_order':
      case 'sales_order':
        break
    }
  }
  const live = [...effects.values()].filter((e) => !e.cancelled)

  const sumBy = <K extends string>(key: (e: Effect) => K, value: (e: Effect) => bigint) => {
    const out = new Map<K, bigint>()
    for (const e of live) out.set(key(e), (out.get(key(e)) ?? 0n) + value(e))
    return out
  }
  const total = (value: (e: Effect) => bigint) => live.reduce((t, e) => t + value(e), 0n)

  /** ordered − fulfilled per ref|sku; the backlog is what stays open */
  const backlog = (order: Movement['type'], fulfil: Movement['type']) => {
    const open = new Map<string, bigint>()
    for (const { m } of live) {
      if (!('ref' in m) || m.ref === undefined || !('qty' in m)) continue
      const sign = m.type === order ? 1n : m.type === fulfil ? -1n : 0n
      const key = `${m.ref}|${m.sku}`
      open.set(key, (open.get(key) ?? 0n) + sign * milli(m.qty))
    }
    return [...open.values()].reduce((t, v) => t + max0(v), 0n)
  }

  /** Σ over order lines (ref|sku) of open × ordered amount ÷ ordered qty, each line rounded once to the cent */
  const openValue = (order: Movement['type'], fulfil: Movement['type']) => {
    const lines = new Map<string, { ordered: bigint; amount: bigint; fulfilled: bigint }>()
    for (const { m } of live) {
      if (!('ref' in m) || m.ref === undefined || !('qty' in m) || (m.type !== order && m.type !== fulfil)) continue
      const key = `${m.ref}|${m.sku}`
      const l = lines.get(key) ?? { ordered: 0n, amount: 0n, fulfilled: 0n }
      const q = milli(m.qty)
      if (m.type === order) {
        l.ordered += q
        l.amount += line(q, micro('unitPrice' in m ? m.unitPrice : (m as { unitCost: number }).unitCost))
      } else l.fulfilled += q
      lines.set(key, l)
    }
    let total = 0n
    for (const l of lines.values()) if (l.ordered > 0n) total += div(max0(l.ordered - l.fulfilled) * l.amount, l.ordered * 100n) * 100n
    return total
  }

  const stockBy = (pick: (s: Effect['stock'][number]) => bigint) => {
    const out = new Map<string, bigint>()
    for (const e of live) for (const s of e.stock) out.set(s.warehouse, (out.get(s.warehouse) ?? 0n) + pick(s))
    return out
  }
  const valueChangeByDay = new Map<string, bigint>()
  for (const e of live) for (const s of e.stock) valueChangeByDay.set(e.day, (valueChangeByDay.get(e.day) ?? 0n) + s.dv)
  const valueNow = [...stockBy((s) => s.dv).values()].reduce((a, b) => a + b, 0n)
  /** stock value at the end of a day: value now − changes dated after it */
  const closingValue = (day: string) => valueNow - [...valueChangeByDay].filter(([d]) => d > day).reduce((t, [, v]) => t + v, 0n)

  const stocktakes = live.filter((e) => e.stocktake)
  return {
    live,
    byDay: (value: (e: Effect) => bigint) => sumBy((e) => e.day, value),
    byMonth: (value: (e: Effect) => bigint) => sumBy((e) => e.month, value),
    byCategory: (value: (e: Effect) => bigint) => sumBy((e) => e.category, value),
    total,
    qtyByWarehouse: stockBy((s) => s.dq),
    valueByWarehouse: stockBy((s) => s.dv),
    closingValue,
    onTime: { due: live.reduce((t, e) => t + e.due, 0), onTime: live.reduce((t, e) => t + e.onTime, 0) },
    accuracy: {
      lines: stocktakes.length,
      exact: stocktakes.reduce((t, e) => t + e.stocktake!.exact, 0),
      diffValue: stocktakes.reduce((t, e) => t + e.stocktake!.diffValue, 0n),
      bookValue: stocktakes.reduce((t, e) => t + e.stocktake!.bookValue, 0n),
    },
    receivables: sumBy(
      (e) => e.partner,
      (e) => (e.partner ? e.ar : 0n),
    ),
    payables: sumBy(
      (e) => e.partner,
      (e) => (e.partner ? e.ap : 0n),
    ),
    salesOpenValue: openValue('sales_order', 'sales_shipment'),
    purchaseOpenValue: openValue('purchase_order', 'purchase_receipt'),
    salesBacklog: backlog('sales_order', 'sales_shipment'),
    purchaseBacklog: backlog('purchase_order', 'purchase_receipt'),
  }
}

// ---------------------------------------------------------------------------------------------
// the replay
// ---------------------------------------------------------------------------------------------
const scenario = retailScenario(11, { rate: 0.3 })
const categoryOf = new Map(scenario.skus.map((s) => [s.code, s.category!]))
/** history starts five days ago at midnight and runs until 100,000 movements happened */
const startAt = startOfLocalDay(Date.now()) - 5 * DAY

function simulate(): Movement[] {
  const sim = createSimulator({ scenario, seed: 11, startAt, rate: 0.3, idPrefix: 'replay' })
  const out: Movement[] = []
  for (let t = startAt + HOUR; out.length < COUNT; t += HOUR) {
    if (t > Date.now()) throw new Error(`only ${out.length} movements before now`)
    out.push(...sim.step(t))
  }
  return out.slice(0, COUNT)
}

/** a deterministic pick of n distinct items */
function sample<T>(items: readonly T[], n: number, seed: number): T[] {
  const picked = new Set<number>()
  let x = seed
  while (picked.size < Math.min(n, items.length)) {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0
    picked.add(x % items.length)
  }
  return [...picked].map((i) => items[i]!)
}

let server: TestServer
let movements: Movement[]
let expected: ReturnType<typeof ledger>
let from: string
let to: string
let days: string[]
const ingestSeconds: number[] = []

async function post(path: string, body: unknown, token: string): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: path.includes('master') ? 'PUT' : 'POST',
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

async function query(q: Query): Promise<QueryResult> {
  const res = await post('/api/v1/query', q, '')
  expect(res.status, await res.clone().text()).toBe(200)
  return (await res.json()) as QueryResult
}

const period = (q: Omit<Query, 'from' | 'to'>): Query => ({ ...q, from, to })

beforeAll(async () => {
  server = await startTestServer()
  const master = {
    skus: scenario.skus.map(({ code, name, category, unit, safetyStock, reorderPoint }) => ({ code, name, category, unit, safetyStock, reorderPoint })),
    warehouses: scenario.warehouses.map(({ code, name, region }) => ({ code, name, region })),
    partners: [...scenario.suppliers, ...scenario.customers],
  }
  for (const [kind, body] of Object.entries(master)) {
    const res = await post(`/api/v1/master/${kind}`, body, server.adminKey)
    expect(res.status, await res.text()).toBe(200)
  }

  const history = simulate()
  // cancels of movements of every kind, sent after the history (a cancel waits for its target)
  // (the simulator cancels some movements itself: those and its cancels are not cancelled again)
  const cancelledBySimulator = new Set(history.flatMap((m) => (m.type === 'cancel' ? [m.cancels] : [])))
  const cancellable = history.filter((m) => m.type !== 'purchase_order' && m.type !== 'cancel' && !cancelledBySimulator.has(m.id))
  const cancels: Movement[] = sample(cancellable, CANCELS, 7).map((m) => ({ id: `cancel-${m.id}`, type: 'cancel', occurredAt: m.occurredAt, cancels: m.id }))
  movements = [...history, ...cancels]

  const started = performance.now()
  // batches of 5000 as a connector sends them: a cancel travels in a later batch than its target
  for (const batch of chunks(history, 5_000)) {
    const res = await post('/api/v1/movements', batch, server.ingestKey)
    expect(await res.json()).toEqual({ accepted: batch.length, duplicates: 0 })
  }
  ingestSeconds.push((performance.now() - started) / 1000)
  // a connector that retries: part of the history again, then the cancels, then the cancels again
  const again = sample(
    history.filter((m) => m.type !== 'cancel'),
    RESENT,
    3,
  )
  expect(await (await post('/api/v1/movements', again, server.ingestKey)).json()).toEqual({ accepted: 0, duplicates: RESENT })
  expect(await (await post('/api/v1/movements', cancels, server.ingestKey)).json()).toEqual({ accepted: CANCELS, duplicates: 0 })
  expect(await (await post('/api/v1/movements', cancels, server.ingestKey)).json()).toEqual({ accepted: 0, duplicates: CANCELS })

  expected = ledger(movements, (sku) => categoryOf.get(sku) ?? '-')
  const times = history.map((m) => Date.parse(m.occurredAt))
  const first = startOfLocalDay(Math.min(...times))
  const end = startOfLocalDay(Math.max(...times)) + DAY
  from = dayStart(localDay(first))
  to = dayStart(localDay(end))
  days = []
  for (let t = first; t < end; t += DAY) days.push(localDay(t))
}, 240_000)

afterAll(async () => {
  // the ~150,000 keys of the replay by name first (fast), then the prefix scan finds what is left
  if (server && movements) await resetFigures(server.app, server.prefix, movements)
  await server?.close()
}, 180_000)

/** a series of money by day, as the ledger gives it */
function moneyByDay(m: Map<string, bigint>) {
  return days.map((d) => ({ start: dayStart(d), value: cents(m.get(d) ?? 0n) }))
}

describe(`replay of ${COUNT.toLocaleString('en')} simulated movements`, () => {
  test('the history is several days of a busy chain, all movement kinds', () => {
    expect(days.length).toBeGreaterThanOrEqual(3)
    const kinds = new Set(movements.map((m) => m.type))
    for (const k of ['purchase_order', 'purchase_receipt', 'sales_order', 'sales_shipment', 'sales_return', 'transfer', 'stocktake', 'payment_in', 'payment_out', 'cancel'])
      expect(kinds).toContain(k)
    console.info(`ingested ${COUNT} movements over HTTP in ${ingestSeconds[0]!.toFixed(1)} s; ${days.length} days`)
  })

  test('revenue, COGS and gross profit by day', async () => {
    for (const [metric, value] of [
      ['sales.revenue', (e: Effect) => e.rev],
      ['sales.cogs', (e: Effect) => e.cogs],
      ['sales.grossProfit', (e: Effect) => e.rev - e.cogs],
    ] as const) {
      const r = await query(period({ metric, interval: 'day' }))
      expect(r.series, metric).toEqual(moneyByDay(expected.byDay(value)))
      expect(r.total, metric).toBe(cents(expected.total(value)))
    }
    const margin = await query(period({ metric: 'sales.grossMargin' }))
    const rev = expected.total((e) => e.rev)
    expect(margin.total).toBeCloseTo(Number(rev - expected.total((e) => e.cogs)) / Number(rev), 12)
  })

  test('revenue, COGS and gross profit by category, and by category and day', async () => {
    for (const [metric, value] of [
      ['sales.revenue', (e: Effect) => e.rev],
      ['sales.cogs', (e: Effect) => e.cogs],
      ['sales.grossProfit', (e: Effect) => e.rev - e.cogs],
    ] as const) {
      const r = await query(period({ metric, groupBy: 'category', interval: 'day' }))
      const want = [...expected.byCategory(value)].filter(([, v]) => v !== 0n)
      expect(want.length).toBeGreaterThanOrEqual(10)
      expect(Object.fromEntries(r.groups!.filter((g) => g.total !== 0).map((g) => [g.key, g.total])), metric).toEqual(Object.fromEntries(want.map(([k, v]) => [k, cents(v)])))
      for (const [category] of want) {
        const daily = expected.byDay((e) => (e.category === category ? value(e) : 0n))
        expect(r.groups!.find((g) => g.key === category)!.series, `${metric} ${category}`).toEqual(moneyByDay(daily))
      }
      expect(r.total, metric).toBe(cents(expected.total(value)))
    }
  })

  test('stock qty and value now, per warehouse', async () => {
    const qty = await query({ metric: 'stock.qty', groupBy: 'warehouse' })
    const value = await query({ metric: 'stock.value', groupBy: 'warehouse' })
    expect(Object.fromEntries(qty.groups!.map((g) => [g.key, g.total]))).toEqual(Object.fromEntries([...expected.qtyByWarehouse].map(([k, v]) => [k, Number(v) / 1000])))
    expect(Object.fromEntries(value.groups!.map((g) => [g.key, g.total]))).toEqual(Object.fromEntries([...expected.valueByWarehouse].map(([k, v]) => [k, cents(v)])))
    expect(value.total).toBe(cents([...expected.valueByWarehouse.values()].reduce((a, b) => a + b, 0n)))
  })

  test('closing stock value per day and turnover', async () => {
    const r = await query(period({ metric: 'stock.closingValue', interval: 'day' }))
    expect(r.series).toEqual(days.map((d) => ({ start: dayStart(d), value: cents(expected.closingValue(d)) })))
    const turnover = await query(period({ metric: 'stock.turnover' }))
    const average = days.reduce((t, d) => t + Number(expected.closingValue(d)), 0) / days.length
    expect(turnover.total).toBeCloseTo(Number(expected.total((e) => e.cogs)) / average, 12)
  })

  test('cash in, out and net by day', async () => {
    for (const [metric, value] of [
      ['cash.in', (e: Effect) => e.cashIn],
      ['cash.out', (e: Effect) => e.cashOut],
      ['cash.net', (e: Effect) => e.cashIn - e.cashOut],
    ] as const) {
      const r = await query(period({ metric, interval: 'day' }))
      expect(r.series, metric).toEqual(moneyByDay(expected.byDay(value)))
      expect(r.total, metric).toBe(cents(expected.total(value)))
    }
  })

  test('on-time shipment rate', async () => {
    const r = await query(period({ metric: 'fulfilment.onTimeRate' }))
    expect(expected.onTime.due).toBeGreaterThan(1000)
    expect(r.total).toBeCloseTo(expected.onTime.onTime / expected.onTime.due, 12)
  })

  test('purchase receipt amount by month', async () => {
    const r = await query(period({ metric: 'purchase.receiptAmount', interval: 'month' }))
    const byMonth = expected.byMonth((e) => e.receiptAmount)
    expect(r.series).toEqual([...new Set(days.map((d) => d.slice(0, 7)))].map((m) => ({ start: dayStart(`${m}-01`), value: cents(byMonth.get(m) ?? 0n) })))
  })

  test('stocktake accuracy, by lines and by value', async () => {
    const a = expected.accuracy
    expect(a.lines).toBeGreaterThan(100)
    expect((await query(period({ metric: 'stock.countedLines' }))).total).toBe(a.lines)
    expect((await query(period({ metric: 'stock.accuracy' }))).total).toBeCloseTo(a.exact / a.lines, 12)
    expect((await query(period({ metric: 'stock.valueAccuracy' }))).total).toBeCloseTo(1 - Number(a.diffValue) / Number(a.bookValue), 12)
  })

  test('receivables and payables per partner, and their ageing', async () => {
    for (const [metric, ageing, want] of [
      ['receivables.balance', 'receivables.ageing', expected.receivables],
      ['payables.balance', 'payables.ageing', expected.payables],
    ] as const) {
      const owed = [...want].filter(([partner, v]) => partner !== '' && v !== 0n)
      expect(owed.length, metric).toBeGreaterThan(0)
      const r = await query({ metric, groupBy: 'partner' })
      expect(Object.fromEntries(r.groups!.map((g) => [g.key, g.total])), metric).toEqual(Object.fromEntries(owed.map(([k, v]) => [k, cents(v)])))
      const sum = owed.reduce((t, [, v]) => t + v, 0n)
      expect(r.total, metric).toBe(cents(sum))
      // the open items by age less advances are the balance, in total and per partner
      const a = await query({ metric: ageing, groupBy: 'partner' })
      expect(a.total, ageing).toBe(cents(sum))
      const open = a.creditAgeing!.buckets.reduce((t, b) => t + Math.round(b.amount * 100), 0)
      expect(open - Math.round(a.creditAgeing!.credit * 100), ageing).toBe(Math.round(cents(sum) * 100))
      for (const row of a.creditAgeing!.rows!) expect(row.balance, `${ageing} ${row.partner}`).toBe(cents(want.get(row.partner) ?? 0n))
    }
  })

  test('open order value, sales and purchase', async () => {
    const sales = await query({ metric: 'sales.openOrderValue' })
    const purchase = await query({ metric: 'purchase.openOrderValue' })
    expect(expected.salesOpenValue).toBeGreaterThan(0n)
    expect([sales.total, purchase.total]).toEqual([cents(expected.salesOpenValue), cents(expected.purchaseOpenValue)])
  })

  test('sales return rate and average purchase price', async () => {
    const returnRate = await query(period({ metric: 'sales.returnRate' }))
    const returned = expected.total((e) => e.returnedQty)
    expect(returnRate.total).toBeCloseTo(Number(returned) / Number(expected.total((e) => e.shippedQty)), 12)
    const avgPrice = await query(period({ metric: 'purchase.avgPrice' }))
    expect(avgPrice.total).toBeCloseTo(Number(expected.total((e) => e.receiptAmount)) / 10 / Number(expected.total((e) => e.receivedQty)), 9)
  })

  test('open order backlogs', async () => {
    expect((await query({ metric: 'sales.backlogQty' })).total).toBe(Number(expected.salesBacklog) / 1000)
    expect((await query({ metric: 'purchase.backlogQty' })).total).toBe(Number(expected.purchaseBacklog) / 1000)
  })
})
