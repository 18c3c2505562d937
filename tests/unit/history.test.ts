import { describe, expect, test } from 'vitest'
import { MASTER_KINDS } from '../../protocol/master.ts'
import type { Movement } from '../../protocol/movement.ts'
import { SLICE_MOVEMENTS, createSuperstore, historyMovements, historyPeriod } from '../../mock-feeds/history.ts'
import { validateMovement } from '../../server/ingest/validate.ts'
import { validateMasterRecords } from '../../server/plugins/master-data.ts'

const slow = { timeout: 60_000 }
const store = createSuperstore(42)
const history = [...historyMovements({ movements: SLICE_MOVEMENTS }, store)]
const { from, to } = historyPeriod()

type Line = Extract<Movement, { sku: string; qty: number }>
const isLine = (m: Movement): m is Line => 'sku' in m && 'qty' in m

describe('Superstore-shaped history', () => {
  test('the business: 3 categories in 17 sub-categories, ~1,860 SKUs, 800 customers, 4 regions, 3 segments, 6 warehouses', () => {
    const { master } = store
    expect(master.categories).toHaveLength(17)
    expect(new Set(master.categories.map((c) => store.topCategoryOf(c.code)))).toEqual(new Set(['FUR', 'OFF', 'TEC']))
    expect(master.skus.length).toBeGreaterThanOrEqual(1800)
    expect(master.skus.length).toBeLessThanOrEqual(1900)
    expect(master.partners.filter((p) => p.kind === 'customer')).toHaveLength(800)
    expect(master.regions.map((r) => r.code).sort()).toEqual(['华东', '华北', '华南', '西南'].sort())
    expect(master.channels.map((c) => c.code)).toEqual(['consumer', 'corporate', 'home-office'])
    expect(master.warehouses).toHaveLength(6)
    for (const kind of MASTER_KINDS) expect(validateMasterRecords(kind, master[kind])).toEqual([])
    // every SKU's category and every warehouse's region is named, so group-by shows names
    const categories = new Set(master.categories.map((c) => c.code))
    expect(master.skus.filter((s) => !categories.has(s.category!))).toEqual([])
    const regions = new Set(master.regions.map((r) => r.code))
    expect(master.warehouses.filter((w) => !regions.has(w.region!))).toEqual([])
  })

  test('exactly the movements asked for, the same for the same seed, others for another', slow, () => {
    expect(history).toHaveLength(SLICE_MOVEMENTS)
    expect([...historyMovements({ movements: 1000 })]).toHaveLength(1000)
    expect([...historyMovements({ movements: SLICE_MOVEMENTS })].slice(0, 3000)).toEqual(history.slice(0, 3000))
    expect([...historyMovements({ movements: 3000, seed: 7 })].slice(0, 100)).not.toEqual([...historyMovements({ movements: 3000, seed: 42 })].slice(0, 100))
  })

  test('sizes that are multiples of the slice nest: `after` gives exactly what the larger one adds', slow, () => {
    const larger = [...historyMovements({ movements: 2 * SLICE_MOVEMENTS })]
    const added = [...historyMovements({ movements: 2 * SLICE_MOVEMENTS, after: SLICE_MOVEMENTS })]
    expect(added).toHaveLength(SLICE_MOVEMENTS)
    const ids = (ms: Movement[]) => ms.map((m) => m.id).sort()
    expect(ids(larger)).toEqual(ids([...history, ...added]))
    expect(() => [...historyMovements({ movements: 60_000, after: 1000 })]).toThrow(/multiple/)
  })

  test('every movement is valid for the cockpit, ids unique, in time order inside the four years', slow, () => {
    const now = to + 86_400_000
    const bad = history.map((m, i) => validateMovement(m, i, { baseCurrency: 'CNY', now })).filter((r) => !r.ok)
    expect(bad).toEqual([])
    expect(new Set(history.map((m) => m.id)).size).toBe(history.length)
    const times = history.map((m) => Date.parse(m.occurredAt))
    expect(times.every((t, i) => t >= from && t < to && (i === 0 || t >= times[i - 1]!))).toBe(true)
    // four years covered: every month has shipments
    const months = new Set(history.filter((m) => m.type === 'sales_shipment').map((m) => m.occurredAt.slice(0, 7)))
    expect(months.size).toBe(48)
  })

  test('codes are those of the master data', () => {
    const skus = new Set(store.master.skus.map((s) => s.code))
    const warehouses = new Set(store.master.warehouses.map((w) => w.code))
    const partners = new Set(store.master.partners.map((p) => p.code))
    const channels = new Set(store.master.channels.map((c) => c.code))
    for (const m of history) {
      if (isLine(m)) {
        expect(skus.has(m.sku)).toBe(true)
        expect(warehouses.has(m.warehouse)).toBe(true)
      }
      if ('partner' in m && m.partner !== undefined) expect(partners.has(m.partner)).toBe(true)
      if ('channel' in m && m.channel !== undefined) expect(channels.has(m.channel)).toBe(true)
    }
  })

  test('stock never goes negative; cancels and returns follow what they reverse', () => {
    const stock = new Map<string, number>()
    const seen = new Map<string, Movement>()
    const returned = new Map<string, number>()
    for (const m of history) {
      if (m.type === 'cancel') {
        const target = seen.get(m.cancels)
        expect(target?.type === 'sales_order' || target?.type === 'payment_in').toBe(true)
      }
      if ((m.type === 'sales_return' || m.type === 'purchase_return') && m.returnOf) {
        const target = seen.get(m.returnOf) as Line | undefined
        expect(target).toBeDefined()
        const total = (returned.get(m.returnOf) ?? 0) + m.qty
        returned.set(m.returnOf, total)
        expect(total).toBeLessThanOrEqual(target!.qty)
      }
      if (isLine(m)) {
        const sign = { purchase_receipt: 1, sales_return: 1, sales_shipment: -1, purchase_return: -1 }[m.type as string] ?? 0
        const key = `${m.sku}|${m.warehouse}`
        const next = (stock.get(key) ?? 0) + sign * m.qty
        stock.set(key, next)
        expect(next).toBeGreaterThanOrEqual(0)
      }
      seen.set(m.id, m)
    }
  })

  test("Superstore's shape: mix of types, lines of ~2 per order, busy autumn, growth year on year", () => {
    const count = (type: string) => history.filter((m) => m.type === type).length
    const orders = count('sales_order')
    expect(orders).toBeGreaterThan(4000)
    expect(count('sales_shipment')).toBeGreaterThan(orders * 0.9)
    expect(count('purchase_receipt')).toBeGreaterThan(0)
    expect(count('payment_in')).toBeGreaterThan(0)
    expect(count('payment_out')).toBeGreaterThan(0)
    expect(count('sales_return') / count('sales_shipment')).toBeGreaterThan(0.03)
    expect(count('cancel')).toBeGreaterThan(0)
    const refs = new Set(history.filter((m) => m.type === 'sales_order').map((m) => (m as Line & { ref: string }).ref))
    expect(orders / refs.size).toBeGreaterThan(1.6)
    expect(orders / refs.size).toBeLessThan(2.4)
    const revenue = (pred: (month: string) => boolean) =>
      history.filter((m): m is Line & { unitPrice: number } => m.type === 'sales_shipment' && pred(m.occurredAt)).reduce((t, m) => t + m.qty * m.unitPrice, 0)
    expect(revenue((t) => /-(09|11|12)-/.test(t.slice(4, 8))) / 3).toBeGreaterThan((revenue((t) => /-(01|02)-/.test(t.slice(4, 8))) / 2) * 1.5)
    expect(revenue((t) => t.startsWith('2025'))).toBeGreaterThan(revenue((t) => t.startsWith('2022')) * 1.3)
    // each segment buys
    const segments = new Set(history.filter((m) => m.type === 'sales_order').map((m) => (m as Line & { channel: string }).channel))
    expect(segments).toEqual(new Set(['consumer', 'corporate', 'home-office']))
  })
})
