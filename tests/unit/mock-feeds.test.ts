import { describe, expect, test } from 'vitest'
import { MOVEMENT_TYPES } from '../../protocol/movement.ts'
import type { Movement } from '../../protocol/movement.ts'
import { chunks } from '../../mock-feeds/feed.ts'
import { createSimulator } from '../../mock-feeds/simulator.ts'
import { SCENARIO_NAMES, buildScenario } from '../../mock-feeds/scenario-registry.ts'
import { retailScenario } from '../../mock-feeds/scenarios/retail.ts'
import { validateMovement } from '../../server/ingest/validate.ts'
import { validateMasterRecords } from '../../server/plugins/master-data.ts'

// a Friday lunchtime: the chain is busy
const start = Date.parse('2026-11-20T11:30:00+08:00')
const scenario = retailScenario(7, { rate: 100 })
/** movements dated from t on (the opening stock and the orders under way are dated before the start) */
const from = (t: number, stream: Movement[]) => stream.filter((m) => Date.parse(m.occurredAt) >= t)

function run(stepMs: number, minutes: number, seed = 7): Movement[] {
  const sim = createSimulator({ scenario, seed, startAt: start, rate: 100 })
  const out: Movement[] = []
  for (let t = start + stepMs; t <= start + minutes * 60_000; t += stepMs) out.push(...sim.step(t))
  return out
}

describe('retail simulator', () => {
  const stream = run(1000, 30)

  test('the same seed gives the same stream, however it is stepped', { timeout: 60_000 }, () => {
    expect(run(7000, 30).slice(0, 5000)).toEqual(stream.slice(0, 5000))
    expect(run(1000, 30, 8)).not.toEqual(stream)
  })

  test('every movement is valid for the cockpit', { timeout: 60_000 }, () => {
    const now = start + 31 * 60_000
    const bad = stream.map((m, i) => validateMovement(m, i, { baseCurrency: 'CNY', now })).filter((r) => !r.ok)
    expect(bad).toEqual([])
    expect(new Set(stream.map((m) => m.id)).size).toBe(stream.length)
  })

  test('with the flat profile (load tests) the rate is the posted one at any hour', { timeout: 60_000 }, () => {
    const steady = retailScenario(7, { rate: 20 })
    for (const at of ['2026-11-20T03:00:00+08:00', '2026-11-20T12:00:00+08:00']) {
      const t0 = Date.parse(at)
      const sim = createSimulator({ scenario: steady, seed: 7, startAt: t0, rate: 20, profile: 'flat' })
      // once the shipments, payments and returns of earlier orders are due as well
      sim.step(t0 + 3 * 3600_000)
      const live = sim.step(t0 + 3.5 * 3600_000).length / 1800
      expect(live, at).toBeGreaterThan(18)
      expect(live, at).toBeLessThan(22)
    }
  })

  test('with the daily profile lunchtime runs above the weekly average rate, the night far below', { timeout: 60_000 }, () => {
    const lunch = from(start, stream).length / (30 * 60)
    expect(lunch).toBeGreaterThan(130)
    const night = Date.parse('2026-11-20T03:00:00+08:00')
    const sim = createSimulator({ scenario, seed: 7, startAt: night, rate: 100 })
    expect(from(night, sim.step(night + 10 * 60_000)).length / 600).toBeLessThan(lunch / 10)
  })

  test('movements come in time order, each shipment after its order', { timeout: 60_000 }, () => {
    const times = stream.map((m) => Date.parse(m.occurredAt))
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]!)
    const orders = new Map<string, Movement>()
    for (const m of stream) {
      if (m.type === 'sales_order') orders.set(`${m.ref}|${m.sku}`, m)
      if (m.type === 'sales_shipment') {
        const order = orders.get(`${m.ref}|${m.sku}`)
        expect(order).toBeDefined()
        expect(order && 'qty' in order && order.qty).toBeGreaterThanOrEqual(m.qty)
      }
    }
  })

  test('replayed as a stock ledger, no shelf ever goes negative', () => {
    const ledger = new Map<string, number>()
    const add = (k: string, q: number) => {
      const v = (ledger.get(k) ?? 0) + q
      ledger.set(k, v)
      expect(v).toBeGreaterThanOrEqual(0)
    }
    for (const m of stream) {
      if (m.type === 'purchase_receipt' || m.type === 'sales_return') add(`${m.sku}|${m.warehouse}`, m.qty)
      if (m.type === 'sales_shipment') add(`${m.sku}|${m.warehouse}`, -m.qty)
      if (m.type === 'transfer') {
        add(`${m.sku}|${m.warehouse}`, -m.qty)
        add(`${m.sku}|${m.toWarehouse}`, m.qty)
      }
      if (m.type === 'stocktake') ledger.set(`${m.sku}|${m.warehouse}`, m.countedQty)
    }
    const receiptsAfterOrders = stream.flatMap((m) => (m.type === 'purchase_receipt' && m.ref !== undefined ? [m] : []))
    const poRefs = new Set(stream.flatMap((m) => (m.type === 'purchase_order' ? [m.ref] : [])))
    for (const r of receiptsAfterOrders) expect(poRefs.has(r.ref)).toBe(true)
  })

  test('shelves found short at the live switch are below safety stock and get replenished within days', { timeout: 60_000 }, () => {
    // a slow feed: replenishment takes days (suppliers' lead times, overnight transfers)
    const slow = retailScenario(7, { rate: 0.5 })
    const sim = createSimulator({ scenario: slow, seed: 7, startAt: start, rate: 0.5 })
    sim.step(start + 60_000)
    const counts = sim.shortShelves(start + 60_000, 0.05)
    expect(counts.length).toBeGreaterThan(0)
    for (const m of counts) {
      if (m.type !== 'stocktake') throw new Error('expected stocktakes')
      expect(m.countedQty).toBeLessThan(slow.skus.find((s) => s.code === m.sku)!.safetyStock)
    }
    const later = sim.step(start + 6 * 86_400_000)
    const replenished = new Set(later.flatMap((m) => (m.type === 'purchase_receipt' ? [`${m.sku}|${m.warehouse}`] : m.type === 'transfer' ? [`${m.sku}|${m.toWarehouse}`] : [])))
    const short = counts.flatMap((m) => (m.type === 'stocktake' ? [`${m.sku}|${m.warehouse}`] : []))
    expect(short.filter((k) => replenished.has(k)).length / short.length).toBeGreaterThan(0.8)
  })
})

/** Replays a stream as the cockpit's stock ledger; returns the pairs that went below zero. */
function negativeStock(stream: Movement[]): string[] {
  const ledger = new Map<string, number>()
  const bad: string[] = []
  const add = (k: string, q: number) => {
    const v = (ledger.get(k) ?? 0) + q
    ledger.set(k, v)
    if (v < 0) bad.push(k)
  }
  const applied = new Map<string, Movement>()
  for (const m of stream) {
    applied.set(m.id, m)
    if (m.type === 'purchase_receipt' || m.type === 'sales_return') add(`${m.sku}|${m.warehouse}`, m.qty)
    if (m.type === 'sales_shipment' || m.type === 'purchase_return') add(`${m.sku}|${m.warehouse}`, -m.qty)
    if (m.type === 'transfer') {
      add(`${m.sku}|${m.warehouse}`, -m.qty)
      add(`${m.sku}|${m.toWarehouse}`, m.qty)
    }
    if (m.type === 'stocktake') ledger.set(`${m.sku}|${m.warehouse}`, m.countedQty)
  }
  return bad
}

describe.each(SCENARIO_NAMES)('%s scenario', (name) => {
  // two working days (Monday and Tuesday): stock is replenished over days, so every kind of
  // movement needs that long to show up
  const rate = 0.5
  const hours = 48
  const start = Date.parse('2026-11-16T00:00:00+08:00')
  const slow = { timeout: 60_000 }
  const scenario = buildScenario(name, 11, { rate })
  const simulate = (stepMs: number, seed = 11) => {
    const sim = createSimulator({ scenario, seed, startAt: start, rate })
    const out: Movement[] = []
    const end = start + hours * 3600_000
    for (let t = start + stepMs; t < end; t += stepMs) out.push(...sim.step(t))
    out.push(...sim.step(end))
    return out
  }
  const stream = simulate(10 * 60_000)

  test('deterministic: the same seed gives the same stream, however it is stepped; another seed another', slow, () => {
    const again = simulate(7 * 60_000 + 13_000)
    expect(again.length).toBe(stream.length)
    expect(again).toEqual(stream)
    const other = createSimulator({ scenario, seed: 12, startAt: start, rate }).step(start + 3600_000)
    expect(other).not.toEqual(stream.slice(0, other.length))
  })

  test('every movement is valid for the cockpit, ids unique, master data complete', slow, () => {
    const now = start + (hours + 1) * 3600_000
    const bad = stream.map((m, i) => validateMovement(m, i, { baseCurrency: 'CNY', now })).filter((r) => !r.ok)
    expect(bad).toEqual([])
    expect(new Set(stream.map((m) => m.id)).size).toBe(stream.length)
    const skus = new Set(scenario.skus.map((s) => s.code))
    const warehouses = new Set(scenario.warehouses.map((w) => w.code))
    const partners = new Set([...scenario.suppliers, ...scenario.customers].map((p) => p.code))
    for (const m of stream) {
      if ('sku' in m) expect(skus.has(m.sku)).toBe(true)
      if ('warehouse' in m) expect(warehouses.has(m.warehouse)).toBe(true)
      if ('toWarehouse' in m) expect(warehouses.has(m.toWarehouse)).toBe(true)
      if ('partner' in m && m.partner !== undefined) expect(partners.has(m.partner)).toBe(true)
    }
  })

  test('names every category, region and channel it uses, in Chinese and in English, as valid master data', slow, () => {
    const named = (records: { code: string; name: string; nameEn?: string }[]) => {
      for (const r of records) expect(r.nameEn, `${r.code} has an English name`).toMatch(/^[\x20-\x7e]+$/)
      return new Set(records.map((r) => r.code))
    }
    const channelRecords = [...scenario.channels.map(({ code, name, nameEn }) => ({ code, name, nameEn })), ...(scenario.otherChannels ?? [])]
    const categories = named(scenario.categories)
    const regions = named(scenario.regions)
    const channels = named(channelRecords)
    const used = { category: new Set<string>(), region: new Set<string>(), channel: new Set<string>() }
    for (const sku of scenario.skus) if (sku.category) used.category.add(sku.category)
    for (const w of scenario.warehouses) if (w.region) used.region.add(w.region)
    for (const m of stream) {
      if ('category' in m && m.category) used.category.add(m.category)
      if ('region' in m && m.region) used.region.add(m.region)
      if ('channel' in m && m.channel) used.channel.add(m.channel)
    }
    expect([...used.category].filter((c) => !categories.has(c))).toEqual([])
    expect([...used.region].filter((c) => !regions.has(c))).toEqual([])
    expect([...used.channel].filter((c) => !channels.has(c))).toEqual([])
    expect(validateMasterRecords('categories', scenario.categories)).toEqual([])
    expect(validateMasterRecords('regions', scenario.regions)).toEqual([])
    expect(validateMasterRecords('channels', channelRecords)).toEqual([])
    expect(
      validateMasterRecords(
        'warehouses',
        scenario.warehouses.map(({ code, name, nameEn, region }) => ({ code, name, nameEn, region })),
      ),
    ).toEqual([])
  })

  test('uses every movement type; orders carry a promised date', slow, () => {
    const types = new Set(stream.map((m) => m.type))
    expect([...MOVEMENT_TYPES].filter((t) => !types.has(t))).toEqual([])
    for (const m of stream) if (m.type === 'sales_order' || m.type === 'purchase_order') expect(m.dueAt).toBeDefined()
  })

  test('the pace follows the rate; orders follow the hours of the day', () => {
    const sim = createSimulator({ scenario, seed: 11, startAt: start, rate })
    const expected = (t0: number, t1: number) => {
      let x = 0
      for (let t = t0; t < t1; t += 60_000) x += sim.paceAt(t + 30_000) * 60
      return x
    }
    const dated = (t0: number, t1: number, type?: string) =>
      stream.filter((m) => (!type || m.type === type) && Date.parse(m.occurredAt) >= t0 && Date.parse(m.occurredAt) < t1).length
    // the second day: all movements against the rate × how busy each hour is
    const day = [start + 86_400_000, start + 2 * 86_400_000] as const
    expect(dated(...day)).toBeGreaterThan(expected(...day) * 0.85)
    expect(dated(...day)).toBeLessThan(expected(...day) * 1.15)
    // orders come when customers order (shipments, payments and receipts follow later)
    for (let h = 24; h < hours; h += 6) {
      const t0 = start + h * 3600_000
      const t1 = t0 + 6 * 3600_000
      const orders = expected(t0, t1) / scenario.movementsPerSale
      expect(dated(t0, t1, 'sales_order'), `hours ${h}–${h + 6}`).toBeGreaterThan(orders * 0.8 - 20)
      expect(dated(t0, t1, 'sales_order'), `hours ${h}–${h + 6}`).toBeLessThan(orders * 1.2 + 20)
    }
  })

  test('consistent: time order, shipments after their order and never more than ordered, cancels after what they reverse', slow, () => {
    const times = stream.map((m) => Date.parse(m.occurredAt))
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]!)
    const open = new Map<string, number>()
    const seen = new Map<string, Movement>()
    const cancelled = new Set<string>()
    let partial = 0
    for (const m of stream) {
      if (m.type === 'sales_order') open.set(`${m.ref}|${m.sku}`, m.qty)
      if (m.type === 'sales_shipment') {
        const k = `${m.ref}|${m.sku}`
        const left = open.get(k)
        expect(left, `shipment ${m.id} has an order`).toBeDefined()
        expect(left! - m.qty).toBeGreaterThanOrEqual(0)
        if (left! - m.qty > 0) partial++
        open.set(k, left! - m.qty)
      }
      if (m.type === 'cancel') {
        const target = seen.get(m.cancels)
        expect(target, `cancel ${m.id} reverses an earlier movement`).toBeDefined()
        expect(target!.type).not.toBe('cancel')
        expect(cancelled.has(m.cancels)).toBe(false)
        cancelled.add(m.cancels)
        // a cancelled order ships nothing
        if (target!.type === 'sales_order') open.set(`${target!.ref}|${target!.sku}`, 0)
      }
      seen.set(m.id, m)
    }
    if (name !== 'ecommerce') expect(partial).toBeGreaterThan(0) // partial shipments of large orders
    // payments follow: suppliers are paid for receipts, customers pay for orders
    const firstPaymentOut = stream.find((m) => m.type === 'payment_out')
    const firstReceipt = stream.find((m) => m.type === 'purchase_receipt' && m.ref !== undefined)
    expect(Date.parse(firstPaymentOut!.occurredAt)).toBeGreaterThanOrEqual(Date.parse(firstReceipt!.occurredAt))
  })

  test('replayed as a stock ledger, no stock ever goes negative; receipts follow their orders', slow, () => {
    expect(negativeStock(stream)).toEqual([])
    const poRefs = new Set(stream.flatMap((m) => (m.type === 'purchase_order' ? [m.ref] : [])))
    for (const m of stream) if (m.type === 'purchase_receipt' && m.ref !== undefined) expect(poRefs.has(m.ref)).toBe(true)
  })

  test('a feed never posts a cancel in the batch of the movement it reverses', slow, () => {
    for (const batch of chunks(stream, 5000)) {
      const ids = new Set(batch.map((m) => m.id))
      for (const m of batch) if (m.type === 'cancel') expect(ids.has(m.cancels)).toBe(false)
      expect(batch.length).toBeLessThanOrEqual(5000)
    }
  })
})
