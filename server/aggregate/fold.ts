/**
 * Folds a batch of valid movements into the distinct counter deltas it causes, so that Redis
 * sees one HINCRBY per distinct (bucket × counter × dimension × member) instead of one per
 * movement and counter (design §5: ~26 counters per movement would cap ingest near 36k/s).
 * Deltas that depend on state in Redis (costs at moving average, stocktake differences,
 * transfer values, how much of an order a shipment closes) cannot be known here: they become
 * operations the Lua script evaluates in arrival order, with the counter cells they feed.
 *
 * The effects of each movement type (domain.md) are written once, in `effects()`, with a
 * sign: +1 applies a movement, −1 reverses it for a `cancel` — then every figure the script
 * computed comes from the original's effect record, so the reversal is exact.
 */
import type { Dimension, MetricName } from '../../protocol/metrics.ts'
import { DIMENSIONS } from '../../protocol/metrics.ts'
import type { MovementType } from '../../protocol/movement.ts'
import { lineAmount } from '../domain/money.ts'
import type { BusinessCalendar } from '../domain/time.ts'
import type { CounterDim, Keys, Resolution } from '../redis/keys.ts'
import { ALL_FIELD, RESOLUTIONS } from '../redis/keys.ts'
import type { NormalizedMovement } from '../ingest/validate.ts'
import { COUNTERS, DIM_RESOLUTIONS, LEVELS, UNSPECIFIED, pairField } from './counters.ts'
import type { CounterCode, LevelCode } from './counters.ts'
import { metricsOfCounters } from '../query/formulas.ts'

/** Where master data fills dimensions a movement does not carry. */
export interface DimensionSource {
  categoryOf(sku: string): string | undefined
  regionOf(warehouse: string): string | undefined
}

export interface FoldOptions {
  keys: Keys
  calendar: BusinessCalendar
  /** seconds each resolution is kept after its bucket closes; 0 = forever */
  retention: Record<Resolution, number>
  effectTtl: number
  dims: DimensionSource
  now: number
  /** counter keys this process already gave a TTL (see rememberExpiring) */
  expiring: ReadonlySet<string>
}

/**
 * What the cockpit keeps per applied movement (domain.md "effect record"): enough to make its
 * id idempotent and to reverse it exactly.
 */
export interface EffectRecord {
  /** type */
  t: MovementType
  /** occurredAt, epoch ms (buckets) */
  at: number
  /** dueAt, epoch ms */
  due?: number
  /** qty (1e-3), unit price and cost (1e-6), amount (1e-4), as applied */
  n: [qty: number, price: number | null, cost: number | null, amount: number | null]
  /** members of every dimension as applied (master data may change later) */
  d: Record<Dimension, string>
  /** transfer destination warehouse and its region */
  to?: [warehouse: string, region: string]
  ref?: string
  /** outputs of the script's operations for this movement, in order */
  x?: number[][]
  /** id of the cancel that reversed it */
  c?: string
}

/** A cancel and the effect record it reverses, as read from Redis. */
export interface CancelTarget {
  id: string
  /** the stored effect record text: the script checks it is unchanged before marking it */
  raw: string
  effect: EffectRecord
}

export interface FoldedBatch {
  /** JSON payload of the apply-batch script */
  payload: string
  /** ids applied by this payload, in order (payload index i ↔ ids[i]) */
  ids: string[]
  /** metrics whose figures this batch changes */
  metrics: MetricName[]
  /** occurredAt range touched, epoch ms */
  from: number
  to: number
  /** counter keys this payload gives a TTL: remember them once the payload is applied */
  expiring: string[]
}

type Members = Record<CounterDim, string>

/** Script operation; `i` is the 1-based movement index whose effect record gets the outputs. */
type Op =
  | { i: number; k: 'in' | 'out'; p: string; q: number; c?: number; t: number; vT: number[]; cT?: number[]; cs?: number }
  | { i: number; k: 'xfer'; p: string; p2: string; q: number; t: number; vT: number[]; vT2: number[] }
  | {
      i: number
      k: 'set'
      p: string
      q: number
      t: number
      qT: number[]
      vT: number[]
      okT: number[]
      adT: number[]
      bvT: number[]
      qpT: number[]
      qnT: number[]
      vpT: number[]
      vnT: number[]
    }
  | { i: number; k: 'bk'; h: string; f: string; q: number; T: number[] }
  | { k: 'rev'; p: string; dq: number; dv: number }

const EXPIRING_LIMIT = 200_000

interface KeyRef {
  dim: CounterDim
  key: number
}

/**
 * Builds the payload. Hot path (~100 cells per movement): keys are resolved once per
 * (counter, minute) and fields live in one Map per key, so a cell costs two Map lookups
 * and no string building.
 */
class Folder {
  private readonly K: string[] = []
  private readonly keyIndex = new Map<string, number>()
  /** per key index: field → target index */
  private readonly fields: Map<string, number>[] = [new Map()]
  private readonly T: (number | string)[] = []
  private readonly fixed: number[] = [0]
  private readonly expire: number[] = []
  readonly newlyExpiring: string[] = []
  readonly ops: Op[] = []
  readonly counters = new Set<string>()
  private readonly refCache = new Map<string, KeyRef[]>()
  private readonly bucketCache = new Map<number, { res: Resolution; bucket: string; expireAt: number }[]>()

  constructor(private readonly o: FoldOptions) {}

  private key(key: string, expireAt: number): number {
    let k = this.keyIndex.get(key)
    if (k === undefined) {
      k = this.K.push(key)
      this.keyIndex.set(key, k)
      this.fields.push(new Map())
      if (expireAt > 0 && !this.o.expiring.has(key)) {
        this.newlyExpiring.push(key)
        this.expire.push(k, expireAt)
      }
    }
    return k
  }

  private target(key: number, field: string): number {
    const map = this.fields[key]!
    let t = map.get(field)
    if (t === undefined) {
      t = this.T.push(key, field) / 2
      map.set(field, t)
      this.fixed.push(0)
    }
    return t
  }

  /** buckets an instant falls in, skipping resolutions already past their retention */
  private buckets(at: number): { res: Resolution; bucket: string; expireAt: number }[] {
    const minute = Math.floor(at / 60_000)
    let list = this.bucketCache.get(minute)
    if (list === undefined) {
      const { calendar, retention, now } = this.o
      const ids = calendar.buckets(at)
      list = []
      for (const res of RESOLUTIONS) {
        const keep = retention[res]
        if (keep === 0) {
          list.push({ res, bucket: ids[res], expireAt: 0 })
          continue
        }
        const expireAt = Math.ceil(calendar.nextStart(res, at) / 1000) + keep
        if (expireAt * 1000 > now) list.push({ res, bucket: ids[res], expireAt })
      }
      this.bucketCache.set(minute, list)
    }
    return list
  }

  private refs(code: CounterCode, at: number): KeyRef[] {
    const id = `${code}|${Math.floor(at / 60_000)}`
    let refs = this.refCache.get(id)
    if (refs === undefined) {
      const def = COUNTERS[code]
      refs = []
      for (const b of this.buckets(at)) {
        if (!(def.res as readonly Resolution[]).includes(b.res)) continue
        for (const dim of def.dims) {
          if (DIM_RESOLUTIONS[dim].includes(b.res)) refs.push({ dim, key: this.key(this.o.keys.counter(b.res, b.bucket, code, dim), b.expireAt) })
        }
      }
      this.refCache.set(id, refs)
      this.counters.add(code)
    }
    return refs
  }

  /** cells of one flow counter for one movement */
  flowTargets(code: CounterCode, at: number, members: Members): number[] {
    return this.refs(code, at).map((r) => this.target(r.key, members[r.dim]))
  }

  /** cells of one running level for one movement */
  levelTargets(code: LevelCode, members: Members): number[] {
    let refs = this.refCache.get(code)
    if (refs === undefined) {
      refs = LEVELS[code].dims.map((dim) => ({ dim, key: this.key(this.o.keys.level(code, dim), 0) }))
      this.refCache.set(code, refs)
      this.counters.add(code)
    }
    return refs.map((r) => this.target(r.key, members[r.dim]))
  }

  add(targets: readonly number[], delta: number): void {
    if (delta === 0) return
    for (const t of targets) this.fixed[t]! += delta
  }

  flow(code: CounterCode, at: number, members: Members, delta: number): void {
    if (delta === 0) return
    for (const r of this.refs(code, at)) this.fixed[this.target(r.key, members[r.dim])]! += delta
  }

  payload(ids: string[], effects: string[], cancels: { t: string; e: string; c: string }[]): string {
    const fixed: (number | string)[] = []
    for (let t = 1; t < this.fixed.length; t++) if (this.fixed[t] !== 0) fixed.push(t, String(this.fixed[t]))
    return JSON.stringify({
      ids,
      fx: effects,
      ttl: this.o.effectTtl,
      K: this.K,
      T: this.T,
      fixed,
      ops: this.ops,
      exp: this.expire,
      cx: cancels,
    })
  }
}

function members(d: Record<Dimension, string>, warehouse?: string, region?: string): Members {
  const wh = warehouse ?? d.warehouse
  return { ...d, warehouse: wh, region: region ?? d.region, all: ALL_FIELD, pair: pairField(d.sku, wh) }
}

/** The effect record of a movement about to be applied (x is added by the script). */
export function effectOf(n: NormalizedMovement, dims: DimensionSource): EffectRecord {
  const m = n.m as Partial<Record<Dimension | 'toWarehouse' | 'ref', string>>
  const d = {} as Record<Dimension, string>
  for (const dim of DIMENSIONS) d[dim] = m[dim] ?? UNSPECIFIED
  if (m.category === undefined) d.category = dims.categoryOf(d.sku) ?? UNSPECIFIED
  if (m.region === undefined) d.region = dims.regionOf(d.warehouse) ?? UNSPECIFIED
  const e: EffectRecord = { t: n.type, at: n.at, n: [n.qty, n.price ?? null, n.cost ?? null, n.amount ?? null], d }
  if (n.due !== undefined) e.due = n.due
  if (m.ref !== undefined) e.ref = m.ref
  if (m.toWarehouse !== undefined) e.to = [m.toWarehouse, dims.regionOf(m.toWarehouse) ?? UNSPECIFIED]
  return e
}

/**
 * Emits the effects of one movement. sign +1: apply (state-dependent parts become script ops
 * whose outputs land in the effect record); sign −1 with `known` = those outputs: reverse.
 */
function effects(f: Folder, e: EffectRecord, i: number, sign: 1 | -1, keys: Keys, known?: number[][]): void {
  const mem = members(e.d)
  const at = e.at
  const [qty, price, cost, amount] = e.n
  let opIndex = 0
  const x = () => known?.[opIndex++] ?? []
  const flow = (code: CounterCode, delta: number, m = mem) => f.flow(code, at, m, sign * delta)
  const level = (code: LevelCode, delta: number, m = mem) => f.add(f.levelTargets(code, m), sign * delta)
  const valueTargets = (m = mem) => [...f.levelTargets('v', m), ...f.flowTargets('sv', at, m)]
  const qtyTargets = (m = mem) => [...f.levelTargets('q', m), ...f.flowTargets('sq', at, m)]
  const t = Math.floor(at / 1000)

  /** an inbound or outbound stock movement at a given or average cost */
  const stock = (k: 'in' | 'out', c: number | null, cT?: number[], cs = 1) => {
    f.add(qtyTargets(), sign * (k === 'in' ? qty : -qty))
    const vT = valueTargets()
    if (sign === 1) {
      f.ops.push({ i, k, p: mem.pair, q: qty, c: c ?? -1, t, vT, ...(cT ? { cT, cs } : {}) })
      return
    }
    const [opCost = 0, dq = 0, dv = 0] = x()
    f.add(vT, -dv)
    if (cT) f.add(cT, -cs * opCost)
    f.ops.push({ k: 'rev', p: mem.pair, dq: -dq, dv: -dv })
  }

  /**
   * ordered − fulfilled qty against `ref` (+qty for an order, −qty for a receipt/shipment); the
   * backlog is what stays open. The level change depends on the other movements of the ref, so a
   * cancel is the same operation with the opposite sign, evaluated by the script.
   */
  const backlog = (kind: 'bs' | 'bp', q: number) => {
    if (e.ref === undefined) return
    x() // keeps the outputs of later operations aligned
    f.ops.push({ i, k: 'bk', h: keys.backlog(kind), f: `${e.ref}|${e.d.sku}`, q: sign * q, T: f.levelTargets(kind, mem) })
  }

  const onTime = e.due !== undefined && at <= e.due ? 1 : 0
  switch (e.t) {
    case 'purchase_order':
      flow('po.amt', lineAmount(qty, cost!))
      flow('po.q', qty)
      backlog('bp', qty)
      break
    case 'purchase_receipt':
      flow('pr.amt', lineAmount(qty, cost!))
      flow('pr.q', qty)
      if (e.due !== undefined) {
        flow('rc.due', 1)
        flow('rc.ot', onTime)
      }
      stock('in', cost)
      backlog('bp', -qty)
      break
    case 'purchase_return':
      flow('pt.q', qty)
      stock('out', cost, f.flowTargets('pt.amt', at, mem))
      break
    case 'sales_order':
      flow('so.amt', lineAmount(qty, price!))
      flow('so.n', 1)
      flow('so.q', qty)
      backlog('bs', qty)
      break
    case 'sales_shipment':
      flow('s.rev', lineAmount(qty, price!))
      flow('s.q', qty)
      if (e.due !== undefined) {
        flow('sh.due', 1)
        flow('sh.ot', onTime)
      }
      stock('out', cost, f.flowTargets('s.cogs', at, mem))
      backlog('bs', -qty)
      break
    case 'sales_return': {
      const refund = lineAmount(qty, price!)
      flow('s.rev', -refund)
      flow('s.ret', refund)
      flow('s.q', -qty)
      flow('sr.q', qty)
      stock('in', cost, f.flowTargets('s.cogs', at, mem), -1)
      break
    }
    case 'transfer': {
      const dest = members(e.d, e.to![0], e.to![1])
      flow('tr.q', qty)
      f.add(qtyTargets(), -sign * qty)
      f.add(qtyTargets(dest), sign * qty)
      const vT = valueTargets()
      const vT2 = valueTargets(dest)
      if (sign === 1) {
        f.ops.push({ i, k: 'xfer', p: mem.pair, p2: dest.pair, q: qty, t, vT, vT2 })
      } else {
        const [, dq = 0, dv = 0, dq2 = 0, dv2 = 0] = x()
        f.add(vT, -dv)
        f.add(vT2, -dv2)
        f.ops.push({ k: 'rev', p: mem.pair, dq: -dq, dv: -dv }, { k: 'rev', p: dest.pair, dq: -dq2, dv: -dv2 })
      }
      break
    }
    case 'stocktake': {
      flow('st.n', 1)
      const cells = {
        qT: qtyTargets(),
        vT: valueTargets(),
        okT: f.flowTargets('st.ok', at, mem),
        adT: f.flowTargets('st.adv', at, mem),
        bvT: f.flowTargets('st.bv', at, mem),
        qpT: f.flowTargets('adj.qp', at, mem),
        qnT: f.flowTargets('adj.qn', at, mem),
        vpT: f.flowTargets('adj.vp', at, mem),
        vnT: f.flowTargets('adj.vn', at, mem),
      }
      if (sign === 1) {
        f.ops.push({ i, k: 'set', p: mem.pair, q: qty, t, ...cells })
      } else {
        const [dv = 0, dq = 0, ok = 0, book = 0] = x()
        f.add(cells.qT, -dq)
        f.add(cells.vT, -dv)
        f.add(cells.okT, -ok)
        f.add(cells.adT, -Math.abs(dv))
        f.add(cells.bvT, -book)
        f.add(dq > 0 ? cells.qpT : cells.qnT, -Math.abs(dq))
        f.add(dv > 0 ? cells.vpT : cells.vnT, -Math.abs(dv))
        f.ops.push({ k: 'rev', p: mem.pair, dq: -dq, dv: -dv })
      }
      break
    }
    case 'payment_in':
      flow('ci', amount!)
      break
    case 'payment_out':
      flow('co', amount!)
      break
    case 'cancel':
      break
  }
}

/**
 * Folds movements (deduplicated within the batch) into one apply-batch payload.
 * `cancels` maps a cancel's id to the effect record it reverses (read beforehand).
 */
export function foldBatch(movements: readonly NormalizedMovement[], o: FoldOptions, cancels: ReadonlyMap<string, CancelTarget> = new Map()): FoldedBatch {
  const f = new Folder(o)
  const ids: string[] = []
  const records: string[] = []
  const marks: { t: string; e: string; c: string }[] = []
  let from = Infinity
  let to = -Infinity
  for (const n of movements) {
    ids.push(n.m.id)
    const i = ids.length
    let at = n.at
    if (n.type === 'cancel') {
      const target = cancels.get(n.m.id)
      if (!target) throw new Error(`cancel ${n.m.id} was folded without its target`)
      effects(f, target.effect, i, -1, o.keys, target.effect.x)
      marks.push({ t: target.id, e: target.raw, c: n.m.id })
      at = target.effect.at
      records.push(JSON.stringify({ t: 'cancel', at: n.at, cancels: target.id }))
    } else {
      const e = effectOf(n, o.dims)
      effects(f, e, i, 1, o.keys)
      records.push(JSON.stringify(e))
    }
    if (at < from) from = at
    if (at > to) to = at
  }
  return {
    payload: f.payload(ids, records, marks),
    ids,
    metrics: metricsOfCounters(f.counters),
    from: Number.isFinite(from) ? from : o.now,
    to: Number.isFinite(to) ? to : o.now,
    expiring: f.newlyExpiring,
  }
}

/** Records keys whose TTL an applied payload set, so later batches skip their EXPIREAT. */
export function rememberExpiring(set: Set<string>, keys: readonly string[]): void {
  if (set.size + keys.length > EXPIRING_LIMIT) set.clear()
  for (const k of keys) set.add(k)
}
