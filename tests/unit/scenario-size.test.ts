/**
 * Each simulated business, run at the rate it is sized for, has the figures of a business of its
 * size (mock-feeds/README.md, "How big each business is"): a day's revenue, per store for the
 * retail chain, and the value of an order line. Seeded, so the figures are the same every run.
 */
import { describe, expect, test } from 'vitest'
import type { Movement } from '../../protocol/movement.ts'
import { SCENARIO_NAMES, SCENARIO_RATES, buildScenario } from '../../mock-feeds/scenario-registry.ts'
import type { ScenarioName } from '../../mock-feeds/scenario-registry.ts'
import { createSimulator } from '../../mock-feeds/simulator.ts'

const DAY = 86_400_000
/** a Tuesday, after a Monday that settles the opening balance's replenishment */
const monday = Date.parse('2026-11-16T00:00:00+08:00')

/** the documented ranges, in CNY: a weekday's revenue, and order amount per order line */
const SIZES: Record<ScenarioName, { daily: [number, number]; perLine: [number, number]; perStore?: [number, number] }> = {
  retail: { daily: [1_500_000, 3_500_000], perLine: [30, 100], perStore: [80_000, 300_000] },
  ecommerce: { daily: [1_000_000, 3_500_000], perLine: [150, 450] },
  manufacturing: { daily: [2_000_000, 7_000_000], perLine: [4_000, 15_000] },
}

/** a simulated Tuesday at the business's typical rate */
function tuesday(name: ScenarioName): Movement[] {
  const rate = SCENARIO_RATES[name].typical
  const sim = createSimulator({ scenario: buildScenario(name, 11, { rate }), seed: 11, startAt: monday, rate })
  sim.step(monday + DAY)
  return sim.step(monday + 2 * DAY)
}

describe.each(SCENARIO_NAMES)('%s at its typical rate', (name) => {
  test('a day has the revenue and order lines of a business its size', { timeout: 60_000 }, () => {
    const day = tuesday(name)
    let revenue = 0
    let ordered = 0
    let lines = 0
    const byWarehouse = new Map<string, number>()
    for (const m of day) {
      if (m.type === 'sales_shipment') {
        revenue += m.qty * m.unitPrice
        byWarehouse.set(m.warehouse, (byWarehouse.get(m.warehouse) ?? 0) + m.qty * m.unitPrice)
      }
      if (m.type === 'sales_return') revenue -= m.qty * m.unitPrice
      if (m.type === 'sales_order') {
        ordered += m.qty * m.unitPrice
        lines++
      }
    }
    const size = SIZES[name]
    expect(revenue).toBeGreaterThanOrEqual(size.daily[0])
    expect(revenue).toBeLessThanOrEqual(size.daily[1])
    expect(ordered / lines).toBeGreaterThanOrEqual(size.perLine[0])
    expect(ordered / lines).toBeLessThanOrEqual(size.perLine[1])
    if (size.perStore) {
      const scenario = buildScenario(name, 11)
      for (const w of scenario.warehouses.filter((x) => x.kind === 'store')) {
        const store = byWarehouse.get(w.code) ?? 0
        expect(store, w.code).toBeGreaterThanOrEqual(size.perStore[0])
        expect(store, w.code).toBeLessThanOrEqual(size.perStore[1])
      }
    }
  })
})
