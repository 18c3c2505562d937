/**
 * The simulated businesses keep a business's hours and a business's stock: demand follows each
 * channel's day and week (business time, UTC+8), goods arrive in receiving hours, the line runs
 * in shifts, and stock holds weeks of demand with only a few pairs below safety stock, and some to reorder.
 */
import { describe, expect, test } from 'vitest'
import type { Movement } from '../../protocol/movement.ts'
import { demandCurve, inWindow, localHour, localWeekday, nextOpen } from '../../mock-feeds/profile.ts'
import type { WorkWindow } from '../../mock-feeds/profile.ts'
import { SCENARIO_NAMES, buildScenario } from '../../mock-feeds/scenario-registry.ts'
import type { ScenarioName } from '../../mock-feeds/scenario-registry.ts'
import { createSimulator } from '../../mock-feeds/simulator.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const monday = Date.parse('2026-11-16T00:00:00+08:00')
const at = (iso: string) => Date.parse(iso)
const slow = { timeout: 60_000 }

function simulate(name: ScenarioName, days: number, opts: { rate?: number; profile?: 'daily' | 'flat'; from?: number } = {}) {
  const rate = opts.rate ?? 1
  const startAt = opts.from ?? monday
  const scenario = buildScenario(name, 11, { rate })
  const sim = createSimulator({ scenario, seed: 11, startAt, rate, profile: opts.profile ?? 'daily' })
  const byDay: Movement[][] = []
  for (let d = 0; d < days; d++) byDay.push(sim.step(startAt + (d + 1) * DAY))
  return { scenario, byDay, stream: byDay.flat() }
}

/** what a list of movements sums to per local hour of the day */
function perHour(stream: Movement[], value: (m: Movement) => number): number[] {
  const out = Array.from({ length: 24 }, () => 0)
  for (const m of stream) out[Math.floor(localHour(Date.parse(m.occurredAt)))]! += value(m)
  return out
}
const revenue = (m: Movement) => (m.type === 'sales_shipment' ? m.qty * m.unitPrice : 0)
const orders = (m: Movement) => (m.type === 'sales_order' ? 1 : 0)

describe('business time', () => {
  test('local hour and weekday are those of Asia/Shanghai', () => {
    expect(localHour(at('2026-11-16T03:30:00+08:00'))).toBe(3.5)
    expect(localHour(at('2026-11-15T19:00:00Z'))).toBe(3) // 03:00 on Monday in Shanghai
    expect(localWeekday(at('2026-11-16T00:00:00+08:00'))).toBe(0) // Monday
    expect(localWeekday(at('2026-11-15T23:59:59+08:00'))).toBe(6) // Sunday
  })

  test('a demand profile averages 1 over the week and keeps the shape of its hours and days', () => {
    for (const name of SCENARIO_NAMES) {
      const scenario = buildScenario(name, 1)
      for (const c of scenario.channels) {
        const profile = scenario.demandProfiles[c.code]
        expect(profile, `${name}: ${c.code} has a demand profile`).toBeDefined()
        const curve = demandCurve(profile!)
        let sum = 0
        for (let t = monday; t < monday + 7 * DAY; t += 60_000) sum += curve.at(t + 30_000)
        expect(sum / (7 * 24 * 60)).toBeCloseTo(1, 3)
        // at hh:30 the curve is the hour's value × the day's, to scale
        const h = profile!.hours
        const wd = profile!.weekdays ?? [1, 1, 1, 1, 1, 1, 1]
        const noon = curve.at(at('2026-11-18T12:30:00+08:00'))
        const evening = curve.at(at('2026-11-22T20:30:00+08:00'))
        expect(noon * h[20]! * wd[6]!).toBeCloseTo(evening * h[12]! * wd[2]!, 9)
      }
    }
  })

  test('work windows open at their hours on their days', () => {
    const receiving: WorkWindow = { from: 8, to: 18, days: [0, 1, 2, 3, 4, 5] }
    expect(inWindow(receiving, at('2026-11-16T09:00:00+08:00'))).toBe(true)
    expect(inWindow(receiving, at('2026-11-16T18:00:00+08:00'))).toBe(false)
    expect(inWindow(receiving, at('2026-11-22T10:00:00+08:00'))).toBe(false) // Sunday
    expect(nextOpen(receiving, at('2026-11-16T09:15:00+08:00'))).toBe(at('2026-11-16T09:15:00+08:00'))
    expect(nextOpen(receiving, at('2026-11-16T19:00:00+08:00'))).toBe(at('2026-11-17T08:00:00+08:00'))
    expect(nextOpen(receiving, at('2026-11-21T18:30:00+08:00'))).toBe(at('2026-11-23T08:00:00+08:00')) // Saturday evening → Monday
    expect(nextOpen({ from: 8, to: 24 }, at('2026-11-16T23:59:00+08:00'))).toBe(at('2026-11-16T23:59:00+08:00'))
  })
})

describe('the simulated day', () => {
  test('a retail chain sells much less at 03:00 than at 12:00, peaks after work, and its stores sell nothing at night', slow, () => {
    const tuesday = simulate('retail', 1, { from: monday + DAY }).stream.filter((m) => Date.parse(m.occurredAt) >= monday + DAY)
    const byHour = perHour(tuesday, revenue)
    expect(byHour[3]!).toBeLessThan(byHour[12]! / 20)
    expect(byHour[18]!).toBeGreaterThan(byHour[9]! * 1.5)
    // stores open 07:30–22:30
    const storeSalesAtNight = tuesday.filter(
      (m) => m.type === 'sales_order' && m.channel === 'pos' && (localHour(Date.parse(m.occurredAt)) < 7.5 || localHour(Date.parse(m.occurredAt)) >= 22.5),
    )
    expect(storeSalesAtNight).toEqual([])
    // online orders still come in at night
    expect(tuesday.filter((m) => m.type === 'sales_order' && localHour(Date.parse(m.occurredAt)) < 5).length).toBeGreaterThan(0)
  })

  test('an e-commerce shop peaks in the evening and keeps taking orders at night', slow, () => {
    const day = simulate('ecommerce', 1, { from: monday + DAY }).stream
    const byHour = perHour(day, orders)
    expect(byHour[20]! + byHour[21]!).toBeGreaterThan((byHour[8]! + byHour[9]!) * 1.5)
    expect(byHour[2]! + byHour[3]!).toBeGreaterThan(0)
    expect(byHour[2]! + byHour[3]!).toBeLessThan((byHour[20]! + byHour[21]!) / 4)
  })

  test('a manufacturer takes orders on weekdays, runs its line in shifts and receives goods in receiving hours', slow, () => {
    const { scenario, byDay } = simulate('manufacturing', 7)
    const wednesday = byDay[2]!.filter((m) => m.type === 'sales_order').length
    const sunday = byDay[6]!.filter((m) => m.type === 'sales_order').length
    expect(wednesday).toBeGreaterThan(sunday * 5)
    const stream = byDay.flat().filter((m) => Date.parse(m.occurredAt) >= monday)
    const production = stream.filter((m) => m.type === 'purchase_receipt' && m.channel === 'production')
    const supplied = stream.filter((m) => m.type === 'purchase_receipt' && m.channel === undefined && m.ref !== undefined)
    expect(production.length).toBeGreaterThan(5)
    expect(supplied.length).toBeGreaterThan(5)
    for (const m of production) expect(inWindow(scenario.production!.shifts, Date.parse(m.occurredAt)), m.occurredAt).toBe(true)
    for (const m of supplied) expect(inWindow(scenario.receiving, Date.parse(m.occurredAt)), m.occurredAt).toBe(true)
  })

  test('with the flat profile every hour sells alike (load tests)', slow, () => {
    const byHour = perHour(
      simulate('retail', 1, { profile: 'flat', rate: 4 }).stream.filter((m) => Date.parse(m.occurredAt) >= monday),
      orders,
    )
    expect(byHour[3]! / byHour[12]!).toBeGreaterThan(0.85)
    expect(byHour[3]! / byHour[12]!).toBeLessThan(1.15)
  })
})

/**
 * Stock cover over a simulated week with seed 11: closing stock value at the end of each day
 * against the week's average daily cost of goods sold (for raw materials: issued to production),
 * recomputed here from the movements alone, valued at each SKU's cost.
 */
const COVER: Record<ScenarioName, { what: string; days: [number, number] }> = {
  retail: { what: 'all stock against COGS', days: [14, 28] },
  ecommerce: { what: 'all stock against COGS', days: [7, 21] },
  manufacturing: { what: 'raw materials against issues to production', days: [7, 14] },
}

describe.each(SCENARIO_NAMES)('%s stock over a simulated week', (name) => {
  test(`cover stays within ${COVER[name].days.join('–')} days (${COVER[name].what}); only a few pairs below safety stock, some to reorder`, slow, () => {
    const { scenario, byDay } = simulate(name, 7, { rate: 0.5 })
    const cost = new Map(scenario.skus.map((s) => [s.code, s.cost]))
    const safety = new Map(scenario.skus.map((s) => [s.code, s.safetyStock]))
    const point = new Map(scenario.skus.map((s) => [s.code, s.reorderPoint]))
    // open order lines (`ref|sku`) with their pair, as stock.reorder counts them: + purchase, − sales
    const lines = new Map<string, { pair: string; open: number }>()
    const order = (key: string, pair: string, q: number) => {
      const l = lines.get(key) ?? { pair, open: 0 }
      l.open += q
      lines.set(key, l)
    }
    const virtual = new Set(scenario.warehouses.filter((w) => w.kind === 'virtual').map((w) => w.code))
    const materials = scenario.production?.materials
    const qty = new Map<string, number>()
    const add = (sku: string, wh: string, q: number) => qty.set(`${sku}|${wh}`, (qty.get(`${sku}|${wh}`) ?? 0) + q)
    const closing: number[] = []
    const below: number[] = []
    const toReorder: number[] = []
    let pairs = 0
    let used = 0 // cost of goods sold, or of materials issued
    for (const day of byDay) {
      for (const m of day) {
        if (m.type === 'purchase_receipt' || m.type === 'sales_return') add(m.sku, m.warehouse, m.qty)
        if (m.type === 'sales_shipment' || m.type === 'purchase_return') add(m.sku, m.warehouse, -m.qty)
        if (m.type === 'transfer') {
          add(m.sku, m.warehouse, -m.qty)
          add(m.sku, m.toWarehouse, m.qty)
        }
        if (m.type === 'stocktake') qty.set(`${m.sku}|${m.warehouse}`, m.countedQty)
        if (m.type === 'purchase_order' && m.ref !== undefined) order(`p|${m.ref}|${m.sku}`, `${m.sku}|${m.warehouse}`, m.qty)
        if (m.type === 'purchase_receipt' && m.ref !== undefined) order(`p|${m.ref}|${m.sku}`, `${m.sku}|${m.warehouse}`, -m.qty)
        if (m.type === 'sales_order' && m.ref !== undefined) order(`s|${m.ref}|${m.sku}`, `${m.sku}|${m.warehouse}`, m.qty)
        if (m.type === 'sales_shipment' && m.ref !== undefined) order(`s|${m.ref}|${m.sku}`, `${m.sku}|${m.warehouse}`, -m.qty)
        if (materials) {
          if (m.type === 'transfer' && m.warehouse === materials) used += m.qty * cost.get(m.sku)!
        } else if (m.type === 'sales_shipment') used += m.qty * cost.get(m.sku)!
        else if (m.type === 'sales_return') used -= m.qty * cost.get(m.sku)!
      }
      let value = 0
      let short = 0
      pairs = 0
      for (const [k, q] of qty) {
        const [sku, wh] = k.split('|') as [string, string]
        if (virtual.has(wh)) continue // holds no stock: each sale is received and shipped at once
        if (!materials || wh === materials) value += q * cost.get(sku)!
        pairs++
        if (q < safety.get(sku)!) short++
      }
      const projected = new Map(qty)
      for (const [key, l] of lines) {
        if (l.open <= 0) continue
        projected.set(l.pair, (projected.get(l.pair) ?? 0) + (key.startsWith('p|') ? l.open : -l.open))
      }
      let due = 0
      for (const [k, p] of projected) {
        const [sku, wh] = k.split('|') as [string, string]
        if (!virtual.has(wh) && point.get(sku)! > 0 && p <= point.get(sku)!) due++
      }
      closing.push(value)
      below.push(short)
      toReorder.push(due)
    }
    const perDay = used / byDay.length
    const cover = closing.map((v) => v / perDay)
    for (const c of cover) {
      expect(c, `cover by day ${cover.map((x) => x.toFixed(1)).join(' ')}`).toBeGreaterThanOrEqual(COVER[name].days[0])
      expect(c, `cover by day ${cover.map((x) => x.toFixed(1)).join(' ')}`).toBeLessThanOrEqual(COVER[name].days[1])
    }
    for (const b of below) expect(b, `below safety by day ${below.join(' ')} of ${pairs}`).toBeLessThan(pairs * 0.08)
    // the demo's reorder list has rows every day, and not most pairs: projected stock at or below
    // the master-data reorder point (on order from suppliers counted, transfers on their way not)
    for (const n of toReorder) {
      expect(n, `to reorder by day ${toReorder.join(' ')} of ${pairs}`).toBeGreaterThan(pairs * 0.02)
      expect(n, `to reorder by day ${toReorder.join(' ')} of ${pairs}`).toBeLessThan(pairs * 0.45)
    }
  })
})
