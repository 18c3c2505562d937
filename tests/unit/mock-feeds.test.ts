import { describe, expect, test } from 'vitest'
import type { Movement } from '../../protocol/movement.ts'
import { createSimulator } from '../../mock-feeds/simulator.ts'
import { retailScenario } from '../../mock-feeds/scenarios/retail.ts'
import { validateMovement } from '../../server/ingest/validate.ts'

const start = Date.parse('2026-11-20T08:00:00+08:00')
const scenario = retailScenario(7, { rate: 100 })

function run(stepMs: number, minutes: number, seed = 7): Movement[] {
  const sim = createSimulator({ scenario, seed, startAt: start, rate: 100 })
  const out: Movement[] = []
  for (let t = start + stepMs; t <= start + minutes * 60_000; t += stepMs) out.push(...sim.step(t))
  return out
}

describe('retail simulator', () => {
  const stream = run(1000, 30)

  test('the same seed gives the same stream, however it is stepped', () => {
    expect(run(7000, 30).slice(0, 5000)).toEqual(stream.slice(0, 5000))
    expect(run(1000, 30, 8)).not.toEqual(stream)
  })

  test('every movement is valid for the cockpit', () => {
    const now = start + 31 * 60_000
    const bad = stream.map((m, i) => validateMovement(m, i, { baseCurrency: 'CNY', now })).filter((r) => !r.ok)
    expect(bad).toEqual([])
    expect(new Set(stream.map((m) => m.id)).size).toBe(stream.length)
  })

  test('the rate is respected', () => {
    const live = stream.length - scenario.skus.length * scenario.warehouses.length // minus opening stock
    expect(live / (30 * 60)).toBeGreaterThan(80)
    expect(live / (30 * 60)).toBeLessThan(120)
  })

  test('movements come in time order, each shipment after its order', () => {
    const times = stream.map((m) => Date.parse(m.occurredAt))
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]!)
    const orders = new Map<string, Movement>()
    for (const m of stream) {
      if (m.type === 'sales_order') orders.set(`${m.ref}|${m.sku}`, m)
      if (m.type === 'sales_shipment') {
        const order = orders.get(`${m.ref}|${m.sku}`)
        expect(order).toBeDefined()
        expect(order && 'qty' in order && order.qty).toBe(m.qty)
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

  test('shelves found short at the live switch are below safety stock and get replenished', () => {
    const sim = createSimulator({ scenario, seed: 7, startAt: start, rate: 100 })
    sim.step(start + 60_000)
    const counts = sim.shortShelves(start + 60_000, 0.05)
    expect(counts.length).toBeGreaterThan(0)
    for (const m of counts) {
      if (m.type !== 'stocktake') throw new Error('expected stocktakes')
      expect(m.countedQty).toBeLessThan(scenario.skus.find((s) => s.code === m.sku)!.safetyStock)
    }
    const later = sim.step(start + 3 * 3600_000)
    const replenished = new Set(later.flatMap((m) => (m.type === 'purchase_receipt' ? [`${m.sku}|${m.warehouse}`] : m.type === 'transfer' ? [`${m.sku}|${m.toWarehouse}`] : [])))
    const short = counts.flatMap((m) => (m.type === 'stocktake' ? [`${m.sku}|${m.warehouse}`] : []))
    expect(short.filter((k) => replenished.has(k)).length / short.length).toBeGreaterThan(0.8)
  })
})
