/**
 * A seeded simulator of a retail chain's ERP: a consistent stream of movements, as a connector
 * would send them. Orders come before their shipments; stock is replenished by purchase orders
 * and receipts (or transfers from the regional DC) before it runs out; payments follow sales and
 * receipts; a few returns and stocktakes. Its own stock book never goes negative.
 *
 * `step(until)` returns the movements that happened up to `until` (simulated epoch ms), in time
 * order. The stream depends only on the seed, the start and the rate — not on how it is stepped.
 */
import type { Movement } from '../protocol/movement.ts'
import { createRandom } from './random.ts'
import { MOVEMENTS_PER_SALE } from './scenarios/retail.ts'
import type { Scenario, SimSku, SimWarehouse } from './scenarios/retail.ts'

export interface SimulatorOptions {
  scenario: Scenario
  seed?: number
  /** simulated start, epoch ms @default Date.now() */
  startAt?: number
  /** movements per second of simulated time, on average @default 200 */
  rate?: number
  /** id prefix @default `sim-<seed>` */
  idPrefix?: string
  /** quantity multiplier of sales lines (see Simulator.setRate) @default 1 */
  unitsPerLine?: number
}

export interface Simulator {
  /** movements that happened after the previous step and before `until`, in time order */
  step(until: number): Movement[]
  /** current simulated time */
  readonly now: number
  /**
   * change the rate from now on. `unitsPerLine` scales each sales line's quantity: history at
   * 1 % of the live rate with lines 100× larger moves the same goods and money as live, so
   * stock levels, purchases and today-vs-yesterday stay comparable @default 1
   */
  setRate(rate: number, unitsPerLine?: number): void
  /** units on hand per sku|warehouse, as the simulated ERP's book says */
  onHand(sku: string, warehouse: string): number
  /**
   * Stocktakes at `at` that find a share of store shelves short (below safety stock): the wall
   * gets stock alerts to show, which replenishment then clears.
   */
  shortShelves(at: number, share: number): Movement[]
}

interface Pending {
  at: number
  seq: number
  emit: () => Movement | undefined
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const round2 = (x: number) => Math.round(x * 100) / 100

/** RFC 3339 in China Standard Time, as the simulated ERP writes it. */
export function formatCst(ms: number): string {
  return `${new Date(ms + 8 * HOUR).toISOString().slice(0, 19)}+08:00`
}

class Heap {
  private items: Pending[] = []
  get size() {
    return this.items.length
  }
  peek(): Pending | undefined {
    return this.items[0]
  }
  push(p: Pending): void {
    const a = this.items
    a.push(p)
    let i = a.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(a[i]!, a[parent]!)) break
      ;[a[i], a[parent]] = [a[parent]!, a[i]!]
      i = parent
    }
  }
  pop(): Pending | undefined {
    const a = this.items
    const top = a[0]
    const last = a.pop()
    if (a.length > 0 && last) {
      a[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && before(a[l]!, a[m]!)) m = l
        if (r < a.length && before(a[r]!, a[m]!)) m = r
        if (m === i) break
        ;[a[i], a[m]] = [a[m]!, a[i]!]
        i = m
      }
    }
    return top
  }
}
const before = (x: Pending, y: Pending) => x.at < y.at || (x.at === y.at && x.seq < y.seq)

export function createSimulator(opts: SimulatorOptions): Simulator {
  const { scenario } = opts
  const seed = opts.seed ?? 42
  const r = createRandom(seed)
  const idPrefix = opts.idPrefix ?? `sim-${seed}`
  let rate = opts.rate ?? 200
  let unitsPerLine = opts.unitsPerLine ?? 1
  let now = opts.startAt ?? Date.now()
  let seq = 0
  let n = 0
  const heap = new Heap()
  // per sku|warehouse: onHand is physical stock (what the cockpit sees), reserved is promised to
  // orders and transfers not yet moved, onOrder is on open purchase orders or transfers in
  const book = new Map<string, { onHand: number; reserved: number; onOrder: number }>()
  const stores = scenario.warehouses.filter((w) => w.kind === 'store')
  const dcs = scenario.warehouses.filter((w) => w.kind === 'dc')
  const members = scenario.customers.filter((c) => c.code !== 'WALK-IN')

  // cumulative popularity for O(log n) weighted picks of SKUs
  const cumulative: number[] = []
  let total = 0
  for (const s of scenario.skus) cumulative.push((total += s.popularity))
  const pickSku = (): SimSku => {
    const x = r.next() * total
    let lo = 0
    let hi = cumulative.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cumulative[mid]! > x) hi = mid
      else lo = mid + 1
    }
    return scenario.skus[lo]!
  }

  const key = (sku: string, wh: string) => `${sku}|${wh}`
  const stock = (sku: string, wh: string) => {
    let s = book.get(key(sku, wh))
    if (!s) book.set(key(sku, wh), (s = { onHand: 0, reserved: 0, onOrder: 0 }))
    return s
  }
  const id = () => `${idPrefix}-${++n}`
  const at = (t: number, emit: () => Movement | undefined) => heap.push({ at: t, seq: seq++, emit })
  const open = new Set<string>()
  // per sku|warehouse: reorder when stock + on order falls below 80 minutes of its demand (longer
  // than a supplier's lead time, so only late deliveries dip below safety stock), top up to two
  // more hours of it
  const levels = new Map<string, { reorder: number; max: number }>()
  const level = (s: SimSku, w: SimWarehouse) => {
    let l = levels.get(key(s.code, w.code))
    if (!l) {
      const d = scenario.demandPerMinute(s, w)
      const reorder = Math.max(s.reorderPoint, Math.round(d * 80))
      levels.set(key(s.code, w.code), (l = { reorder, max: reorder + Math.max(10, Math.round(d * 120)) }))
    }
    return l
  }

  // opening stock: every SKU everywhere, at the start
  for (const w of scenario.warehouses) {
    for (const s of scenario.skus) {
      const qty = level(s, w).max
      stock(s.code, w.code).onHand = qty
      at(now, () => ({ id: id(), type: 'purchase_receipt', occurredAt: formatCst(now), sku: s.code, warehouse: w.code, qty, unitCost: s.cost, partner: s.supplier, category: s.category }))
    }
  }

  function replenish(s: SimSku, w: SimWarehouse, t: number): void {
    const st = stock(s.code, w.code)
    const k = key(s.code, w.code)
    const { reorder, max } = level(s, w)
    const projected = st.onHand - st.reserved + st.onOrder
    if (open.has(k) || projected >= reorder) return
    const qty = max - projected
    open.add(k)
    st.onOrder += qty
    const dc = dcs.find((d) => d.region === w.region) ?? dcs[0]!
    const dcStock = stock(s.code, dc.code)
    if (w.kind === 'store' && r.chance(0.15) && dcStock.onHand - dcStock.reserved - qty > level(s, dc).reorder) {
      // a transfer from the regional distribution centre
      dcStock.reserved += qty
      const arrive = t + r.between(10, 40) * MINUTE
      at(arrive, () => {
        dcStock.reserved -= qty
        dcStock.onHand -= qty
        st.onHand += qty
        st.onOrder -= qty
        open.delete(k)
        replenish(s, dc, arrive)
        return { id: id(), type: 'transfer', occurredAt: formatCst(arrive), sku: s.code, warehouse: dc.code, toWarehouse: w.code, qty }
      })
      return
    }
    const ref = `PO-${idPrefix}-${n + 1}`
    const lead = r.between(20, 60) * MINUTE
    const due = t + lead
    at(t, () => ({ id: id(), type: 'purchase_order', occurredAt: formatCst(t), sku: s.code, warehouse: w.code, qty, unitCost: s.cost, partner: s.supplier, ref, dueAt: formatCst(due) }))
    const arrive = t + lead * (r.chance(0.85) ? r.between(0.3, 1) : r.between(1.05, 1.6))
    at(arrive, () => {
      st.onHand += qty
      st.onOrder -= qty
      open.delete(k)
      const amount = round2(qty * s.cost)
      const paid = arrive + r.exponential(2 * HOUR)
      at(paid, () => ({ id: id(), type: 'payment_out', occurredAt: formatCst(paid), amount, partner: s.supplier, ref }))
      return { id: id(), type: 'purchase_receipt', occurredAt: formatCst(arrive), sku: s.code, warehouse: w.code, qty, unitCost: s.cost, partner: s.supplier, ref, dueAt: formatCst(due) }
    })
  }

  function sale(t: number): Movement[] {
    const channel = r.weighted(scenario.channels, (c) => c.weight)
    const w = channel.code === 'pos' ? r.weighted(stores, (x) => x.traffic) : r.pick(dcs)
    const s = pickSku()
    const st = stock(s.code, w.code)
    const qty = (channel.code === 'wholesale' ? r.int(5, 30) : r.int(1, channel.code === 'pos' ? 3 : 4)) * unitsPerLine
    if (st.onHand - st.reserved < qty) {
      replenish(s, w, t)
      return [] // out of stock: a lost sale, not a negative book
    }
    st.reserved += qty
    const customer = channel.code === 'pos' && r.chance(0.4) ? 'WALK-IN' : r.pick(members).code
    const unitPrice = round2(s.price * r.between(0.88, 1))
    const ref = `SO-${idPrefix}-${n + 1}`
    const due = t + channel.promiseMinutes * MINUTE
    const base = { sku: s.code, warehouse: w.code, qty, unitPrice, partner: customer, channel: channel.code, ref }
    const order: Movement = { id: id(), type: 'sales_order', occurredAt: formatCst(t), ...base, dueAt: formatCst(due) }
    const shipAt = channel.code === 'pos' ? t + r.between(0, 30_000) : t + r.exponential(channel.promiseMinutes * 0.6 * MINUTE)
    const withCost = r.chance(0.2)
    at(shipAt, () => {
      st.reserved -= qty
      st.onHand -= qty
      const shipment: Movement = { id: id(), type: 'sales_shipment', occurredAt: formatCst(shipAt), ...base, dueAt: formatCst(Math.max(due, t + 60_000)), ...(withCost ? { unitCost: s.cost } : {}) }
      if (r.chance(0.015)) {
        const back = shipAt + r.exponential(2 * HOUR)
        const returned = unitsPerLine
        at(back, () => {
          st.onHand += returned
          return { id: id(), type: 'sales_return', occurredAt: formatCst(back), sku: s.code, warehouse: w.code, qty: returned, unitPrice, partner: customer, channel: channel.code }
        })
      }
      return shipment
    })
    const amount = round2(qty * unitPrice)
    const payAt = channel.code === 'pos' ? shipAt : channel.code === 'online' ? t + r.between(1, 5) * MINUTE : t + r.exponential(6 * HOUR)
    if (channel.code !== 'pos' || r.chance(0.6)) {
      at(payAt, () => ({ id: id(), type: 'payment_in', occurredAt: formatCst(payAt), amount, partner: customer, channel: channel.code, ref }))
    }
    replenish(s, w, t)
    return [order]
  }

  function stocktake(t: number): Movement {
    const w = r.pick(scenario.warehouses)
    const s = pickSku()
    const st = stock(s.code, w.code)
    const diff = r.chance(0.7) ? 0 : r.int(-2, 1)
    // goods promised to open orders are still on the shelf: the count never goes below them
    st.onHand = Math.max(st.reserved, st.onHand + diff)
    return { id: id(), type: 'stocktake', occurredAt: formatCst(t), sku: s.code, warehouse: w.code, countedQty: st.onHand }
  }

  let nextSale = now
  let nextCount = now + r.exponential(2 * MINUTE)

  return {
    get now() {
      return now
    },
    setRate(x, units = 1) {
      rate = x
      unitsPerLine = units
    },
    onHand: (sku, wh) => stock(sku, wh).onHand,
    shortShelves(t, share) {
      const out: Movement[] = []
      for (const w of stores) {
        for (const s of scenario.skus) {
          if (!r.chance(share)) continue
          const st = stock(s.code, w.code)
          st.onHand = Math.min(st.onHand, Math.max(st.reserved, Math.round(s.safetyStock * r.between(0.2, 0.9))))
          out.push({ id: id(), type: 'stocktake', occurredAt: formatCst(t), sku: s.code, warehouse: w.code, countedQty: st.onHand })
          replenish(s, w, t)
        }
      }
      return out
    },
    step(until) {
      const out: Movement[] = []
      const meanGap = 1000 / Math.max(rate / MOVEMENTS_PER_SALE, 1e-6)
      for (;;) {
        const pending = heap.peek()
        const t = Math.min(nextSale, nextCount, pending?.at ?? Infinity)
        if (t >= until) break
        if (pending && pending.at === t) {
          heap.pop()
          const m = pending.emit()
          if (m) out.push(m)
        } else if (t === nextSale) {
          out.push(...sale(t))
          nextSale = t + r.exponential(meanGap)
        } else {
          out.push(stocktake(t))
          nextCount = t + r.exponential(2 * MINUTE)
        }
      }
      now = Math.max(now, until)
      return out
    },
  }
}
