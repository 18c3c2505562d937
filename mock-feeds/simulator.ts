/**
 * A seeded simulator of a business's ERP (a scenario: retail chain, manufacturer, e-commerce
 * shop): a consistent stream of movements, as a connector would send them. Orders come before
 * their (possibly partial) shipments; stock is replenished by purchase orders and receipts,
 * transfers from a distribution centre, or production runs before it runs out; payments follow
 * sales and receipts; some orders are cancelled, some goods returned by customers or sent back to
 * suppliers, shelves are counted. Its own stock book never goes negative.
 *
 * Time follows the business's day (business time, UTC+8): customers order along each channel's
 * demand profile (store hours, evening peaks, quiet weekends), goods arrive in receiving hours,
 * lines run in shifts, payments go out in office hours. Stock is kept at weeks of demand, as the
 * scenario's stock policy says, and the book starts from an opening balance dated just before the
 * start (with the purchase orders and transfers then under way), so figures such as days on hand
 * are those of a business that has been running for a while.
 *
 * `step(until)` returns the movements that happened up to `until` (simulated epoch ms), in time
 * order. The stream depends only on the seed, the start, the rate and the profile — not on how it
 * is stepped.
 */
import type { Movement } from '../protocol/movement.ts'
import { FLAT_PROFILE, busiestDayOf, demandCurve, inWindow, localDayStart, nextOpen, weeklyPeak } from './profile.ts'
import type { WorkWindow } from './profile.ts'
import { createRandom } from './random.ts'
import type { Scenario, SimChannel, SimSku, SimWarehouse } from './scenario.ts'
import { TimedQueue } from './timed-queue.ts'

export interface SimulatorOptions {
  scenario: Scenario
  seed?: number
  /** simulated start, epoch ms @default Date.now() */
  startAt?: number
  /**
   * movements per second of simulated time, averaged over a week: busy hours run above it, nights
   * below (with `profile: 'flat'`, at every hour) @default 200
   */
  rate?: number
  /**
   * `daily`: sales follow each channel's demand profile over the day and week; `flat`: the same
   * rate at every hour (load tests, which need their rate whatever the time of day) @default 'daily'
   */
  profile?: 'daily' | 'flat'
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
  /** movements per second expected at an instant: the rate × how busy the business is then */
  paceAt(t: number): number
  /**
   * Stocktakes at `at` that find a share of store shelves short (below safety stock): the wall
   * gets stock alerts to show, which replenishment then clears.
   */
  shortShelves(at: number, share: number): Movement[]
}

/** The fields every movement of one sales line repeats. */
interface SaleLine {
  sku: string
  warehouse: string
  unitPrice: number
  partner: string
  channel: string
  ref: string
}

interface Pending {
  at: number
  seq: number
  emit: () => Movement | undefined
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const round2 = (x: number) => Math.round(x * 100) / 100

/** RFC 3339 in China Standard Time, as the simulated ERP writes it. */
export function formatCst(ms: number): string {
  return `${new Date(ms + 8 * HOUR).toISOString().slice(0, 19)}+08:00`
}

export function createSimulator(opts: SimulatorOptions): Simulator {
  const { scenario } = opts
  const seed = opts.seed ?? 42
  const r = createRandom(seed)
  const idPrefix = opts.idPrefix ?? `sim-${seed}`
  let rate = opts.rate ?? 200
  let unitsPerLine = opts.unitsPerLine ?? 1
  let now = opts.startAt ?? Date.now()
  const start = now
  let seq = 0
  let n = 0
  const heap = new TimedQueue<Pending>()
  // per sku|warehouse: onHand is physical stock (what the cockpit sees), reserved is promised to
  // orders, transfers and production not yet moved, onOrder is on open purchase orders,
  // production orders or transfers in
  const book = new Map<string, { onHand: number; reserved: number; onOrder: number }>()
  const warehouseByCode = new Map(scenario.warehouses.map((w) => [w.code, w]))
  const stores = scenario.warehouses.filter((w) => w.kind === 'store')
  const dcs = scenario.warehouses.filter((w) => w.kind === 'dc')
  const counted = scenario.warehouses.filter((w) => w.kind === 'dc' || w.kind === 'store')
  const stockedSkus = new Map(counted.map((w) => [w.code, scenario.skus.filter((s) => scenario.stocks(s, w))]))
  const members = scenario.customers.filter((c) => c.code !== 'WALK-IN')
  const termsOf = new Map([...scenario.suppliers, ...scenario.customers].map((p) => [p.code, p.paymentTermsDays ?? 0]))
  /**
   * When a partner on terms pays, or is paid: around its terms after `from` (as often a little early
   * as late), in office hours; without terms, within hours.
   */
  const settleAt = (partner: string, from: number, hoursWithoutTerms: number): number => {
    const days = termsOf.get(partner) ?? 0
    return during(scenario.office, from + (days > 0 ? days * DAY * r.between(0.7, 1.3) : r.exponential(hoursWithoutTerms * HOUR)))
  }
  const production = scenario.production
  const transferShare = scenario.transferShare ?? 0.15
  const purchaseReturnRate = scenario.purchaseReturnRate ?? 0.03
  const channelWarehouses = new Map(scenario.channels.map((c) => [c.code, c.warehouses.map((code) => warehouseByCode.get(code)!)]))

  // when customers order: each channel's weight × its demand profile (weekly mean 1), so the
  // weights stay the week's channel mix and the rate the week's average; sales are drawn at the
  // busiest moment's pace and kept with probability intensity / peak (thinning), which depends
  // only on the instant, never on how the simulator is stepped
  const flat = opts.profile === 'flat'
  const weights = scenario.channels.reduce((t, c) => t + c.weight, 0)
  const curves = scenario.channels.map((c) => {
    const profile = flat ? FLAT_PROFILE : scenario.demandProfiles[c.code]
    if (!profile) throw new Error(`scenario ${scenario.name}: channel ${c.code} has no demand profile`)
    return { channel: c, share: c.weight / weights, curve: demandCurve(profile) }
  })
  /** how busy the business is at an instant, relative to its weekly average */
  const intensity = (t: number) => curves.reduce((x, c) => x + c.share * c.curve.at(t), 0)
  const peak = flat ? 1 : weeklyPeak(intensity) * 1.000001
  /** demand of the busiest day of the week relative to the average day (stock is kept for busy days) */
  const busiestDay = flat ? 1 : busiestDayOf(intensity)

  // cumulative popularity for O(log n) weighted picks of the SKUs that sell
  const sellable = scenario.skus.filter((s) => s.popularity > 0)
  const cumulative: number[] = []
  let total = 0
  for (const s of sellable) cumulative.push((total += s.popularity))
  const pickSku = (): SimSku => {
    const x = r.next() * total
    let lo = 0
    let hi = cumulative.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cumulative[mid]! > x) hi = mid
      else lo = mid + 1
    }
    return sellable[lo]!
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
  let orders = 0
  /** a purchase or production order number, unique in the stream */
  const orderRef = (kind: 'PO' | 'MO') => `${kind}-${idPrefix}-${++orders}`

  /**
   * when something aimed at `t` happens inside a work window: at t, or in the first half of the
   * window's next opening (deliveries that came in overnight are worked through in the morning,
   * not all at the opening minute); the flat profile keeps no hours: every hour is like any other
   */
  const during = (w: WorkWindow, t: number) => (flat || inWindow(w, t) ? t : nextOpen(w, t) + r.between(0, Math.min(6 * HOUR, ((w.to - w.from) * HOUR) / 2)))
  /** a promised date: the end of the day the window is next open at or after `t` */
  const promised = (w: WorkWindow, t: number) => localDayStart(nextOpen(w, t)) + DAY - 1000
  const mean = ([lo, hi]: [number, number]) => (lo + hi) / 2

  /** the distribution centre a store is supplied from: its region's, else the first that keeps the SKU */
  const dcFor = (s: SimSku, store: SimWarehouse) => dcs.find((d) => d.region === store.region && scenario.stocks(s, d)) ?? dcs.find((d) => scenario.stocks(s, d))
  const makes = (s: SimSku, w: SimWarehouse) => production !== undefined && w.code === production.plant && s.popularity > 0
  /** units per day that leave a warehouse: its own sales (or issues), and for a dc its transfers to stores */
  const dailyDemand = (s: SimSku, w: SimWarehouse): number => {
    let d = scenario.demandPerMinute(s, w) * 1440
    if (w.kind === 'dc') for (const store of stores) if (scenario.stocks(s, store) && dcFor(s, store) === w) d += transferShare * dailyDemand(s, store)
    return d
  }
  /**
   * days from ordering to receiving, on average: production, else a transfer from the dc when
   * every store replenishment is one, else the supplier (a store that may be delivered either way
   * plans for the longer)
   */
  const leadDays = (s: SimSku, w: SimWarehouse) => {
    if (makes(s, w)) return mean(production!.leadHours) / 24
    if (w.kind === 'store' && dcFor(s, w) && (production || transferShare >= 1)) return mean(scenario.transferHours) / 24
    return Math.max(mean(scenario.supplierLeadHours), w.kind === 'store' && dcFor(s, w) ? mean(scenario.transferHours) : 0) / 24
  }
  // per sku|warehouse, in units: safety stock (days of demand at the busiest day's pace, never
  // below the SKU's master-data safety stock), reorder level (safety + demand over the lead time at
  // that pace), order-up-to level (reorder + one order cycle of average demand)
  const levels = new Map<string, { safety: number; reorder: number; max: number; daily: number }>()
  const level = (s: SimSku, w: SimWarehouse) => {
    let l = levels.get(key(s.code, w.code))
    if (!l) {
      const daily = dailyDemand(s, w)
      const policy = scenario.stockPolicy(w)
      const safety = Math.max(s.safetyStock, Math.round(daily * busiestDay * policy.safetyDays))
      const reorder = safety + Math.ceil(daily * busiestDay * leadDays(s, w))
      const max = reorder + Math.max(1, Math.round(daily * policy.cycleDays))
      levels.set(key(s.code, w.code), (l = { safety, reorder, max, daily }))
    }
    return l
  }

  /** Orders more when stock + on order − `need` (a production run's demand) falls below the reorder level. */
  function replenish(s: SimSku, w: SimWarehouse, t: number, need = 0): void {
    if (w.kind === 'virtual' || w.kind === 'wip') return
    const st = stock(s.code, w.code)
    const k = key(s.code, w.code)
    const { reorder, max } = level(s, w)
    const projected = st.onHand - st.reserved + st.onOrder - need
    if (open.has(k) || projected >= reorder) return
    const qty = max - projected
    if (makes(s, w)) return produce(s, w, qty, t)
    if (w.kind === 'store') {
      const dc = dcFor(s, w)
      if (dc) {
        const dcStock = stock(s.code, dc.code)
        // sent from the dc when it can spare it and keep half its safety stock (it reorders for itself)
        if (r.chance(transferShare) && dcStock.onHand - dcStock.reserved - qty >= level(s, dc).safety / 2) return transfer(s, dc, w, qty, t)
        // finished goods are made, not bought: wait for the plant
        if (production) return replenish(s, dc, t, qty)
      }
    }
    purchase(s, w, qty, t)
  }

  /** When a transfer sent at t arrives: after its time on the road, in receiving hours. */
  const transferArrival = (t: number) => during(scenario.receiving, t + r.between(...scenario.transferHours) * HOUR)

  /** A transfer from a distribution centre (or the plant) to a store, booked when it arrives. */
  function transfer(s: SimSku, from: SimWarehouse, to: SimWarehouse, qty: number, t: number, arrive = transferArrival(t)): void {
    const st = stock(s.code, to.code)
    const k = key(s.code, to.code)
    const fromStock = stock(s.code, from.code)
    open.add(k)
    st.onOrder += qty
    fromStock.reserved += qty
    at(arrive, () => {
      fromStock.reserved -= qty
      fromStock.onHand -= qty
      st.onHand += qty
      st.onOrder -= qty
      open.delete(k)
      replenish(s, from, arrive)
      return { id: id(), type: 'transfer', occurredAt: formatCst(arrive), sku: s.code, warehouse: from.code, toWarehouse: to.code, qty }
    })
  }

  /**
   * A supplier's delivery of an order placed at t: promised for a day (dueAt is its end), delivered
   * in receiving hours on or before it (85 %), or late.
   */
  function purchasePlan(t: number): { due: number; arrive: number } {
    const lead = r.between(...scenario.supplierLeadHours) * HOUR
    const due = promised(scenario.receiving, t + lead)
    const onTime = r.chance(0.85)
    const arrive = onTime ? Math.min(due, during(scenario.receiving, t + lead * r.between(0.5, 1))) : during(scenario.receiving, due + r.between(1, 36) * HOUR)
    return { due, arrive }
  }

  /**
   * Purchase order, receipt (on time or late; in one lot or, as the scenario says, several a day
   * or so apart), payment to the supplier for each lot, sometimes a return of part of a lot.
   */
  function purchase(s: SimSku, w: SimWarehouse, qty: number, t: number, plan = purchasePlan(t)): void {
    const st = stock(s.code, w.code)
    const k = key(s.code, w.code)
    open.add(k)
    st.onOrder += qty
    const ref = orderRef('PO')
    const { due } = plan
    at(t, () => ({
      id: id(),
      type: 'purchase_order',
      occurredAt: formatCst(t),
      sku: s.code,
      warehouse: w.code,
      qty,
      unitCost: s.cost,
      partner: s.supplier,
      ref,
      dueAt: formatCst(due),
    }))
    const [lo, hi] = scenario.deliveries ?? [1, 1]
    const lots = split(qty, Math.min(qty, r.int(lo, hi)))
    let arrive = plan.arrive
    lots.forEach((lot, i) => {
      if (i > 0) arrive = during(scenario.receiving, arrive + r.between(12, 36) * HOUR)
      const when = arrive
      const last = i === lots.length - 1
      // later lots come on the dates the delivery schedule gives them
      const lotDue = i === 0 ? due : Math.max(due, promised(scenario.receiving, when))
      at(when, () => {
        st.onHand += lot
        st.onOrder -= lot
        if (last) open.delete(k)
        const paid = settleAt(s.supplier, when, 12)
        const amount = round2(lot * s.cost)
        at(paid, () => ({ id: id(), type: 'payment_out', occurredAt: formatCst(paid), amount, partner: s.supplier, ref }))
        if (r.chance(purchaseReturnRate)) {
          // quality inspection finds part of the lot defective: it goes back to the supplier
          const back = when + r.between(10, 120) * MINUTE
          const defective = Math.max(1, Math.round(lot * r.between(0.02, 0.1)))
          at(back, () => {
            if (st.onHand - st.reserved < defective) return undefined // already sold: the ERP settles it otherwise
            st.onHand -= defective
            replenish(s, w, back)
            return { id: id(), type: 'purchase_return', occurredAt: formatCst(back), sku: s.code, warehouse: w.code, qty: defective, unitCost: s.cost, partner: s.supplier, ref }
          })
        }
        return {
          id: id(),
          type: 'purchase_receipt',
          occurredAt: formatCst(when),
          sku: s.code,
          warehouse: w.code,
          qty: lot,
          unitCost: s.cost,
          partner: s.supplier,
          ref,
          dueAt: formatCst(lotDue),
        }
      })
    })
  }

  /**
   * A production run: a production order to the workshop, materials issued from the raw-material
   * warehouse to the line when the next shift starts, finished goods received at standard cost
   * when done (in a shift), and the materials the run consumed backflushed from the line-side
   * stock (reported as its count).
   */
  function produce(s: SimSku, plant: SimWarehouse, qty: number, t: number): void {
    const p = production!
    const rm = warehouseByCode.get(p.materials)!
    const wip = warehouseByCode.get(p.wip)!
    const bom = p.bom(s).map((b) => ({ sku: b.sku, need: Math.ceil(b.per * qty) }))
    const short = bom.filter((b) => {
      const m = stock(b.sku.code, rm.code)
      return m.onHand - m.reserved < b.need
    })
    if (short.length > 0) {
      // not enough material: buy it; the run is released on a later attempt
      for (const b of short) replenish(b.sku, rm, t, b.need)
      return
    }
    const st = stock(s.code, plant.code)
    const k = key(s.code, plant.code)
    open.add(k)
    st.onOrder += qty
    for (const b of bom) stock(b.sku.code, rm.code).reserved += b.need
    const ref = orderRef('MO')
    const lead = r.between(...p.leadHours) * HOUR
    const due = promised(p.shifts, t + lead)
    const common = { sku: s.code, warehouse: plant.code, qty, unitCost: s.cost, partner: p.workshop, channel: 'production', ref, dueAt: formatCst(due) }
    at(t, () => ({ id: id(), type: 'purchase_order', occurredAt: formatCst(t), ...common }))
    const issue = during(p.shifts, t + r.between(5, 60) * MINUTE)
    for (const b of bom) {
      at(issue, () => {
        const m = stock(b.sku.code, rm.code)
        m.reserved -= b.need
        m.onHand -= b.need
        stock(b.sku.code, wip.code).onHand += b.need
        replenish(b.sku, rm, issue)
        return { id: id(), type: 'transfer', occurredAt: formatCst(issue), sku: b.sku.code, warehouse: rm.code, toWarehouse: wip.code, qty: b.need }
      })
    }
    const finish = r.chance(0.8) ? Math.min(due, during(p.shifts, t + lead * r.between(0.6, 1))) : during(p.shifts, due + r.between(1, 24) * HOUR)
    const done = Math.max(finish, issue + 30 * MINUTE)
    at(done, () => {
      st.onHand += qty
      st.onOrder -= qty
      open.delete(k)
      for (const b of bom) {
        at(done, () => {
          const line = stock(b.sku.code, wip.code)
          line.onHand -= b.need
          return { id: id(), type: 'stocktake', occurredAt: formatCst(done), sku: b.sku.code, warehouse: wip.code, countedQty: line.onHand }
        })
      }
      return { id: id(), type: 'purchase_receipt', occurredAt: formatCst(done), ...common }
    })
  }

  // The opening balance, as a cockpit is backfilled when it goes live: every SKU each warehouse
  // keeps, received one second before the start (so the first day's purchases are only that
  // day's), at a level drawn from the replenishment cycle the business is in — some pairs just
  // topped up, some near their reorder level with the purchase order or transfer on its way
  // (placed before the start, arriving after it) — so receipts and days on hand are steady from
  // the first hour. An opening balance names no supplier: it was bought and paid for before the
  // cockpit, so it is no payable and no delivery of a supplier (an ERP's 期初库存).
  const openingAt = start - 1000
  const opening: { s: SimSku; w: SimWarehouse; qty: number }[] = []
  for (const w of counted) {
    for (const s of stockedSkus.get(w.code)!) {
      const { safety, reorder, max, daily } = level(s, w)
      const st = stock(s.code, w.code)
      if (!(daily > 0)) {
        st.onHand = max
      } else {
        const cycle = (max - reorder) / daily // days one replenishment lasts
        const since = r.between(0, cycle) // days since the last one was ordered
        const placed = start - since * DAY
        const onHand = Math.round(max - daily * since)
        const dc = w.kind === 'store' ? dcFor(s, w) : undefined
        const qty = max - reorder
        let underway: (() => void) | undefined
        if (dc && (production !== undefined || r.chance(transferShare))) {
          const arrive = transferArrival(placed)
          if (arrive > start) underway = () => transfer(s, dc, w, qty, placed, arrive)
        } else if (!makes(s, w)) {
          const plan = purchasePlan(placed)
          if (plan.arrive > start) underway = () => purchase(s, w, qty, placed, plan)
        }
        // with that replenishment still on its way, the shelf holds what was left when it was ordered
        st.onHand = underway ? Math.max(Math.round(safety / 2), onHand - qty) : onHand
        underway?.()
      }
      opening.push({ s, w, qty: st.onHand })
    }
  }
  // line-side stock (manufacturing): a standing buffer of each material, as large as its safety stock
  if (production) {
    const wip = warehouseByCode.get(production.wip)!
    const materials = new Map(sellable.flatMap((s) => production.bom(s).map((b) => [b.sku.code, b.sku] as const)))
    for (const m of materials.values()) if (m.safetyStock > 0) opening.push({ s: m, w: wip, qty: (stock(m.code, wip.code).onHand = m.safetyStock) })
  }
  for (const { s, w, qty } of opening) {
    if (qty > 0)
      at(openingAt, () => ({
        id: id(),
        type: 'purchase_receipt',
        occurredAt: formatCst(openingAt),
        sku: s.code,
        warehouse: w.code,
        qty,
        unitCost: s.cost,
        category: s.category,
      }))
  }

  /** Splits qty into k positive integer parts (k ≤ qty). */
  function split(qty: number, k: number): number[] {
    const parts: number[] = []
    let left = qty
    for (let i = k; i > 1; i--) {
      const q = Math.max(1, Math.min(left - (i - 1), Math.round((left / i) * r.between(0.6, 1.4))))
      parts.push(q)
      left -= q
    }
    parts.push(left)
    return parts
  }

  function sale(t: number): Movement[] {
    const channel = flat ? r.weighted(scenario.channels, (c) => c.weight) : r.weighted(curves, (c) => c.share * c.curve.at(t)).channel
    const w = r.weighted(channelWarehouses.get(channel.code)!, (x) => x.traffic)
    const s = pickSku()
    if (w.kind !== 'virtual' && !scenario.stocks(s, w)) return []
    const qty = r.int(channel.qty[0], channel.qty[1]) * unitsPerLine
    const customer = r.chance(channel.walkInShare ?? 0) ? 'WALK-IN' : r.pick(members).code
    const unitPrice = round2(s.price * r.between(0.88, 1))
    const ref = `SO-${idPrefix}-${n + 1}`
    const due = t + channel.promiseMinutes * MINUTE
    const base: SaleLine = { sku: s.code, warehouse: w.code, unitPrice, partner: customer, channel: channel.code, ref }
    const order: Movement = { id: id(), type: 'sales_order', occurredAt: formatCst(t), ...base, qty, dueAt: formatCst(due) }
    const amount = round2(qty * unitPrice)
    const paid = r.chance(channel.paidShare ?? 1)
    const prepaidAt = t + r.between(1, 5) * MINUTE
    if (w.kind === 'virtual') {
      dropShip(s, w, channel, base, qty, t, due)
    } else {
      const st = stock(s.code, w.code)
      if (st.onHand - st.reserved < qty) {
        replenish(s, w, t)
        return [] // out of stock: a lost sale, not a negative book
      }
      st.reserved += qty
      if (r.chance(channel.cancelRate ?? 0)) {
        // the customer cancels before anything ships: the order (and a prepayment) are reversed
        const cancelAt = (channel.payment === 'prepaid' ? prepaidAt : t) + r.between(2, 15) * MINUTE
        let paymentId: string | undefined
        if (paid && channel.payment === 'prepaid') {
          at(prepaidAt, () => {
            paymentId = id()
            return { id: paymentId, type: 'payment_in', occurredAt: formatCst(prepaidAt), amount, partner: customer, channel: channel.code, ref }
          })
        }
        at(cancelAt, () => {
          st.reserved -= qty
          return { id: id(), type: 'cancel', occurredAt: formatCst(cancelAt), cancels: order.id }
        })
        at(cancelAt, () => (paymentId ? { id: id(), type: 'cancel', occurredAt: formatCst(cancelAt), cancels: paymentId } : undefined))
        return [order]
      }
      const [lo, hi] = channel.split ?? [1, 1]
      const parts = split(qty, Math.min(qty, r.int(lo, hi)))
      const withCost = r.chance(0.2)
      let shipAt = t
      for (const part of parts) {
        shipAt = channel.immediate ? t + r.between(0, 30_000) : shipAt + r.exponential((channel.promiseMinutes * 0.6 * MINUTE) / parts.length)
        const when = shipAt
        at(when, () => {
          st.reserved -= part
          st.onHand -= part
          if (r.chance(channel.returnRate ?? 0.015)) {
            const back = when + r.exponential(2 * HOUR)
            const returned = Math.min(part, unitsPerLine)
            at(back, () => {
              st.onHand += returned
              return {
                id: id(),
                type: 'sales_return',
                occurredAt: formatCst(back),
                sku: s.code,
                warehouse: w.code,
                qty: returned,
                unitPrice,
                partner: customer,
                channel: channel.code,
              }
            })
          }
          return {
            id: id(),
            type: 'sales_shipment',
            occurredAt: formatCst(when),
            ...base,
            qty: part,
            dueAt: formatCst(Math.max(due, t + 60_000)),
            ...(withCost ? { unitCost: s.cost } : {}),
          }
        })
      }
      if (paid) {
        const payAt = channel.payment === 'shipment' ? shipAt : channel.payment === 'prepaid' ? prepaidAt : settleAt(customer, shipAt, 6)
        at(payAt, () => ({ id: id(), type: 'payment_in', occurredAt: formatCst(payAt), amount, partner: customer, channel: channel.code, ref }))
      }
      replenish(s, w, t)
      return [order]
    }
    if (paid) {
      const payAt = channel.payment === 'credit' ? settleAt(customer, t, 6) : prepaidAt
      at(payAt, () => ({ id: id(), type: 'payment_in', occurredAt: formatCst(payAt), amount, partner: customer, channel: channel.code, ref }))
    }
    return [order]
  }

  /** Supplier direct: the supplier ships to the customer; the ERP books receipt and shipment together. */
  function dropShip(s: SimSku, w: SimWarehouse, channel: SimChannel, base: SaleLine, qty: number, t: number, due: number): void {
    const shipAt = t + r.exponential(channel.promiseMinutes * 0.7 * MINUTE)
    const ref = `DS-${base.ref}`
    // the ERP raises a purchase order to the supplier with the customer's promised date (ERPNext's
    // drop-ship "delivered by supplier" order): the order line the receipt fulfils, for backlog and supplier OTIF
    at(t, () => ({
      id: id(),
      type: 'purchase_order',
      occurredAt: formatCst(t),
      sku: s.code,
      warehouse: w.code,
      qty,
      unitCost: s.cost,
      partner: s.supplier,
      channel: 'dropship',
      ref,
      dueAt: formatCst(Math.max(due, t + 60_000)),
    }))
    at(shipAt, () => ({
      id: id(),
      type: 'purchase_receipt',
      occurredAt: formatCst(shipAt),
      sku: s.code,
      warehouse: w.code,
      qty,
      unitCost: s.cost,
      partner: s.supplier,
      channel: 'dropship',
      ref,
    }))
    at(shipAt, () => {
      if (r.chance(channel.returnRate ?? 0.015)) {
        // a return goes back to the supplier: received from the customer, returned to the supplier
        const back = shipAt + r.exponential(4 * HOUR)
        const returned = Math.min(qty, unitsPerLine)
        at(back, () => ({
          id: id(),
          type: 'sales_return',
          occurredAt: formatCst(back),
          sku: s.code,
          warehouse: w.code,
          qty: returned,
          unitPrice: base.unitPrice,
          partner: base.partner,
          channel: channel.code,
        }))
        at(back, () => ({
          id: id(),
          type: 'purchase_return',
          occurredAt: formatCst(back),
          sku: s.code,
          warehouse: w.code,
          qty: returned,
          unitCost: s.cost,
          partner: s.supplier,
          ref,
        }))
      }
      return { id: id(), type: 'sales_shipment', occurredAt: formatCst(shipAt), ...base, qty, dueAt: formatCst(Math.max(due, t + 60_000)), unitCost: s.cost }
    })
    const settle = during(scenario.office, shipAt + r.exponential(4 * HOUR))
    at(settle, () => ({ id: id(), type: 'payment_out', occurredAt: formatCst(settle), amount: round2(qty * s.cost), partner: s.supplier, ref }))
  }

  function stocktake(t: number): Movement {
    const w = r.pick(counted)
    const s = r.pick(stockedSkus.get(w.code)!)
    const st = stock(s.code, w.code)
    const diff = r.chance(0.7) ? 0 : r.int(-2, 1)
    // goods promised to open orders are still on the shelf: the count never goes below them
    st.onHand = Math.max(st.reserved, st.onHand + diff)
    return { id: id(), type: 'stocktake', occurredAt: formatCst(t), sku: s.code, warehouse: w.code, countedQty: st.onHand }
  }

  // sales and shelf counts are drawn at the busiest moment's pace and kept with probability
  // intensity / peak: they follow the business's day
  const keep = (t: number) => flat || r.next() * peak < intensity(t)
  let nextSale = now
  let nextCount = now + r.exponential((2 * MINUTE) / peak)

  return {
    get now() {
      return now
    },
    setRate(x, units = 1) {
      rate = x
      unitsPerLine = units
    },
    onHand: (sku, wh) => stock(sku, wh).onHand,
    paceAt: (t) => rate * (flat ? 1 : intensity(t)),
    shortShelves(t, share) {
      const out: Movement[] = []
      for (const w of stores) {
        for (const s of stockedSkus.get(w.code)!) {
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
      const meanGap = 1000 / Math.max(rate / scenario.movementsPerSale, 1e-6)
      for (;;) {
        const pending = heap.peek()
        const t = Math.min(nextSale, nextCount, pending?.at ?? Infinity)
        if (t >= until) break
        if (pending && pending.at === t) {
          heap.pop()
          const m = pending.emit()
          if (m) out.push(m)
        } else if (t === nextSale) {
          if (keep(t)) out.push(...sale(t))
          nextSale = t + r.exponential(meanGap / peak)
        } else {
          if (keep(t)) out.push(stocktake(t))
          nextCount = t + r.exponential((2 * MINUTE) / peak)
        }
      }
      now = Math.max(now, until)
      return out
    },
  }
}
