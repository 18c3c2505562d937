/**
 * A reference model of stock ageing (docs/metrics.md "Stock ageing"), written from the documented
 * rules and sharing no code with the server: per sku × warehouse, FIFO receipt layers by business
 * day, the deficit of negative stock and the outbound days, driven by the same movements the
 * server gets, in arrival order. The rules (ERPNext stock_ageing.py FIFOSlots where it has one):
 *  1. inbound (receipt, sales return, a count's gain, a transfer's arrival) fills the deficit
 *     first; the rest is a layer of its business day (one layer per day: same-day qty merges);
 *  2. outbound (shipment, purchase return, a count's loss, a transfer's departure) consumes the
 *     oldest layers; what they do not hold becomes deficit;
 *  3. a transfer's destination receives the layers the source consumed, with their days, then what
 *     the source did not hold, dated the transfer's day;
 *  4. shipments, purchase returns and transfers out (not a count's loss) record an outbound day;
 *     the 8 latest days are kept, past that the two oldest merge into the later one;
 *  5. more than 40 layers: the two adjacent layers closest in date merge at their qty-weighted
 *     mean day, rounded down (ties: the oldest such pair);
 *  6. a cancel undoes what its movement did: an outbound's layers go back to their own days (its
 *     deficit part back at its day, first); an inbound's are taken from their own days first, the
 *     rest oldest first, then the deficit it filled is taken again; its outbound day is dropped
 *     (from the oldest kept day at or after it).
 * Business days: Asia/Shanghai, UTC+8 without daylight saving.
 */

export const MAX_LAYERS = 40
export const MAX_OUT_DAYS = 8
const DAY_MS = 86_400_000
const SHANGHAI_MS = 8 * 3_600_000

/** The business day (days since 1970-01-01, Asia/Shanghai) of an RFC 3339 instant. */
export function shanghaiDay(occurredAt: string): number {
  return Math.floor((Date.parse(occurredAt) + SHANGHAI_MS) / DAY_MS)
}

export interface ModelLayers {
  deficit: bigint
  /** [day, qty 1e-3], oldest first */
  layers: [number, bigint][]
  /** [day, count], oldest first */
  outDays: [number, number][]
}

/** What one movement did to one pair. */
interface PairChange {
  pair: string
  day: number
  inbound: boolean
  /** inbound: deficit filled; outbound: deficit opened */
  k: bigint
  /** inbound: layers added; outbound: layers consumed */
  list: [number, bigint][]
  counts: boolean
}

/** A movement as the model reads it (decimal figures, as sent). */
export interface AgeingMovement {
  id: string
  type: string
  occurredAt?: string
  sku?: string
  warehouse?: string
  toWarehouse?: string
  qty?: number
  countedQty?: number
  bookQty?: number
  cancels?: string
}

const milli = (x: number) => BigInt(Math.round(x * 1000))
const min = (a: bigint, b: bigint) => (a < b ? a : b)

export class AgeingModel {
  private readonly pairs = new Map<string, ModelLayers>()
  private readonly effects = new Map<string, PairChange[]>()
  private readonly seen = new Set<string>()

  /** A pair's state (empty when it never moved). */
  state(sku: string, warehouse: string): ModelLayers {
    const p = this.pairs.get(`${sku}|${warehouse}`)
    return p ? { deficit: p.deficit, layers: p.layers.map(([d, q]) => [d, q]), outDays: p.outDays.map(([d, n]) => [d, n]) } : { deficit: 0n, layers: [], outDays: [] }
  }

  /** qty on hand: Σ layers − deficit */
  qty(sku: string, warehouse: string): bigint {
    const p = this.state(sku, warehouse)
    return p.layers.reduce((s, [, q]) => s + q, 0n) - p.deficit
  }

  /** Applies movements in arrival order; ids seen before are skipped (duplicates). */
  apply(movements: readonly AgeingMovement[]): void {
    for (const m of movements) {
      if (this.seen.has(m.id)) continue
      this.seen.add(m.id)
      this.one(m)
    }
  }

  private pair(key: string): ModelLayers {
    let p = this.pairs.get(key)
    if (!p) {
      p = { deficit: 0n, layers: [], outDays: [] }
      this.pairs.set(key, p)
    }
    return p
  }

  private one(m: AgeingMovement): void {
    if (m.type === 'cancel') {
      const changes = this.effects.get(m.cancels!) ?? []
      for (const c of changes) this.undo(c)
      this.effects.delete(m.cancels!)
      return
    }
    if (m.sku === undefined || m.warehouse === undefined || m.occurredAt === undefined) return
    const day = shanghaiDay(m.occurredAt)
    const key = `${m.sku}|${m.warehouse}`
    const changes: PairChange[] = []
    switch (m.type) {
      case 'purchase_receipt':
      case 'sales_return':
        changes.push(this.inbound(key, day, [[day, milli(m.qty!)]]))
        break
      case 'purchase_return':
      case 'sales_shipment':
        changes.push(this.outbound(key, day, milli(m.qty!), true))
        break
      case 'transfer': {
        const out = this.outbound(key, day, milli(m.qty!), true)
        const arriving: [number, bigint][] = [...out.list]
        if (out.k > 0n) arriving.push([day, out.k])
        changes.push(out, this.inbound(`${m.sku}|${m.toWarehouse!}`, day, arriving))
        break
      }
      case 'stocktake': {
        const book = m.bookQty === undefined ? this.qty(m.sku, m.warehouse) : milli(m.bookQty)
        const dq = milli(m.countedQty!) - book
        if (dq > 0n) changes.push(this.inbound(key, day, [[day, dq]]))
        else if (dq < 0n) changes.push(this.outbound(key, day, -dq, false))
        break
      }
    }
    this.effects.set(m.id, changes)
  }

  private inbound(key: string, day: number, parts: [number, bigint][]): PairChange {
    const p = this.pair(key)
    const change: PairChange = { pair: key, day, inbound: true, k: 0n, list: [], counts: false }
    for (const [d, q] of parts) {
      const filled = put(p, d, q)
      change.k += filled
      if (q > filled) change.list.push([d, q - filled])
    }
    return change
  }

  private outbound(key: string, day: number, qty: bigint, counts: boolean): PairChange {
    const p = this.pair(key)
    const { taken, opened } = take(p, qty)
    if (counts) addOutDay(p, day)
    return { pair: key, day, inbound: false, k: opened, list: taken, counts }
  }

  private undo(c: PairChange): void {
    const p = this.pair(c.pair)
    if (c.inbound) {
      for (const [d, q] of [...c.list].reverse()) takeOwn(p, d, q)
      if (c.k > 0n) take(p, c.k)
    } else {
      if (c.k > 0n) put(p, c.day, c.k)
      for (const [d, q] of c.list) put(p, d, q)
      if (c.counts) dropOutDay(p, c.day)
    }
  }
}

/** rule 1: returns the deficit filled */
function put(p: ModelLayers, day: number, qty: bigint): bigint {
  const filled = min(p.deficit, qty)
  p.deficit -= filled
  const rest = qty - filled
  if (rest > 0n) {
    const same = p.layers.find(([d]) => d === day)
    if (same) same[1] += rest
    else {
      p.layers.push([day, rest])
      p.layers.sort((a, b) => a[0] - b[0])
      while (p.layers.length > MAX_LAYERS) mergeClosest(p.layers)
    }
  }
  return filled
}

/** rule 5 */
function mergeClosest(layers: [number, bigint][]): void {
  let best = 0
  for (let j = 1; j < layers.length - 1; j++) if (layers[j + 1]![0] - layers[j]![0] < layers[best + 1]![0] - layers[best]![0]) best = j
  const [d1, q1] = layers[best]!
  const [d2, q2] = layers[best + 1]!
  layers.splice(best, 2, [d1 + Math.floor(((d2 - d1) * Number(q2)) / (Number(q1) + Number(q2))), q1 + q2])
}

/** rule 2: consumed layers, oldest first, and the deficit opened */
function take(p: ModelLayers, qty: bigint): { taken: [number, bigint][]; opened: bigint } {
  const taken: [number, bigint][] = []
  let left = qty
  while (left > 0n && p.layers.length > 0) {
    const first = p.layers[0]!
    const part = min(first[1], left)
    first[1] -= part
    if (first[1] === 0n) p.layers.shift()
    taken.push([first[0], part])
    left -= part
  }
  p.deficit += left
  return { taken, opened: left }
}

/** rule 6: an inbound's qty leaves its own day first */
function takeOwn(p: ModelLayers, day: number, qty: bigint): void {
  const j = p.layers.findIndex(([d]) => d === day)
  let left = qty
  if (j >= 0) {
    const part = min(p.layers[j]![1], left)
    p.layers[j]![1] -= part
    if (p.layers[j]![1] === 0n) p.layers.splice(j, 1)
    left -= part
  }
  if (left > 0n) take(p, left)
}

/** rule 4 */
function addOutDay(p: ModelLayers, day: number): void {
  const same = p.outDays.find(([d]) => d === day)
  if (same) {
    same[1]++
    return
  }
  p.outDays.push([day, 1])
  p.outDays.sort((a, b) => a[0] - b[0])
  if (p.outDays.length > MAX_OUT_DAYS) {
    const [, n] = p.outDays.shift()!
    p.outDays[0]![1] += n
  }
}

function dropOutDay(p: ModelLayers, day: number): void {
  const j = p.outDays.findIndex(([d]) => d >= day)
  if (j < 0) return
  p.outDays[j]![1]--
  if (p.outDays[j]![1] <= 0) p.outDays.splice(j, 1)
}

/** Age buckets (days, inclusive upper bounds; the last is everything older). */
export const MODEL_BUCKETS = [30, 60, 90, 180] as const

/** qty per bucket (youngest first) of a pair's layers, aged to `today` (a business day). */
export function bucketQty(p: ModelLayers, today: number): bigint[] {
  const out = [0n, 0n, 0n, 0n, 0n]
  for (const [day, q] of p.layers) {
    const age = Math.max(0, today - day)
    const j = MODEL_BUCKETS.findIndex((limit) => age <= limit)
    out[j < 0 ? 4 : j]! += q
  }
  return out
}

/** Splits `cents` over buckets in proportion to qty: floors, then one cent each to the largest remainders (ties: older bucket). */
export function splitCents(cents: bigint, qty: readonly bigint[]): bigint[] {
  const total = qty.reduce((a, b) => a + b, 0n)
  if (total <= 0n) return qty.map(() => 0n)
  const sign = cents < 0n ? -1n : 1n
  const abs = cents * sign
  const parts = qty.map((q) => (abs * q) / total)
  let left = abs - parts.reduce((a, b) => a + b, 0n)
  const order = qty.map((q, j) => ({ j, r: (abs * q) % total })).sort((a, b) => (a.r === b.r ? b.j - a.j : a.r > b.r ? -1 : 1))
  for (const { j } of order) {
    if (left === 0n) break
    parts[j]! += 1n
    left--
  }
  return parts.map((x) => x * sign)
}
