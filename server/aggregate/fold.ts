/**
 * Folds a batch of valid movements into the distinct counter deltas it causes, so that Redis
 * sees one HINCRBY per distinct (bucket × counter × dimension × member) instead of one per
 * movement and counter (design §5: ~26 counters per movement would cap ingest near 36k/s).
 * Deltas that depend on stock state (costs at moving average, stocktake differences, transfer
 * values) cannot be known here: they become stock operations that the Lua script evaluates in
 * arrival order, with the counter targets they feed.
 */
import type { Dimension, MetricName } from '../../protocol/metrics.ts'
import { DIMENSIONS } from '../../protocol/metrics.ts'
import { lineAmount } from '../domain/money.ts'
import type { BusinessCalendar } from '../domain/time.ts'
import type { CounterDim, Keys, Resolution } from '../redis/keys.ts'
import { ALL_FIELD, RESOLUTIONS } from '../redis/keys.ts'
import type { NormalizedMovement } from '../ingest/validate.ts'
import { COUNTERS, DIM_RESOLUTIONS, STOCK_LEVEL_DIMS, UNSPECIFIED, pairField } from './counters.ts'
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
  /** counter keys this process already gave a TTL (shared across batches; see rememberExpiring) */
  expiring: ReadonlySet<string>
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

interface StockOp {
  i: number
  k: 'in' | 'out' | 'set' | 'xfer'
  p: string
  q: number
  c?: number
  p2?: string
  vT: number[]
  vT2?: number[]
  qT?: number[]
  cT?: number[]
  cs?: number
}

const EXPIRING_LIMIT = 200_000

interface KeyRef {
  dim: CounterDim
  key: number
}

/**
 * Builds the payload. Hot path (~100 targets per movement): keys are resolved once per
 * (counter, minute) and fields live in one Map per key, so a target costs two Map lookups
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
  readonly ops: StockOp[] = []
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

  /** targets of one flow counter for one movement */
  flowTargets(code: CounterCode, at: number, members: Members): number[] {
    return this.refs(code, at).map((r) => this.target(r.key, members[r.dim]))
  }

  /** targets of one level for one movement (all stock dims but the pair, which the script owns) */
  levelTargets(code: LevelCode, members: Members): number[] {
    let refs = this.refCache.get(code)
    if (refs === undefined) {
      refs = STOCK_LEVEL_DIMS.map((dim) => ({ dim, key: this.key(this.o.keys.level(code, dim), 0) }))
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

  payload(ids: string[], effects: string[]): string {
    const fixed: (number | string)[] = []
    for (let t = 1; t < this.fixed.length; t++) if (this.fixed[t] !== 0) fixed.push(t, String(this.fixed[t]))
    return JSON.stringify({ ids, fx: effects, ttl: this.o.effectTtl, K: this.K, T: this.T, fixed, ops: this.ops, exp: this.expire })
  }
}

function membersOf(n: NormalizedMovement, dims: DimensionSource, warehouse?: string): Members {
  const m = n.m as Partial<Record<Dimension | 'toWarehouse', string>>
  const sku = m.sku ?? UNSPECIFIED
  const wh = warehouse ?? m.warehouse ?? UNSPECIFIED
  const out = { all: ALL_FIELD, pair: pairField(sku, wh) } as Members
  for (const d of DIMENSIONS) out[d] = m[d] ?? UNSPECIFIED
  out.warehouse = wh
  out.category = m.category ?? dims.categoryOf(sku) ?? UNSPECIFIED
  out.region = (warehouse === undefined ? m.region : undefined) ?? dims.regionOf(wh) ?? UNSPECIFIED
  return out
}

/** Effect record kept per applied movement: what makes `id` idempotent and a cancel exact. */
function effectRecord(n: NormalizedMovement): string {
  return JSON.stringify({ m: n.m, at: n.at })
}

/** Folds movements (already deduplicated within the batch) into one apply-batch payload. */
export function foldBatch(movements: readonly NormalizedMovement[], o: FoldOptions): FoldedBatch {
  const f = new Folder(o)
  const ids: string[] = []
  const effects: string[] = []
  let from = Infinity
  let to = -Infinity
  for (const n of movements) {
    ids.push(n.m.id)
    effects.push(effectRecord(n))
    const i = ids.length
    if (n.at < from) from = n.at
    if (n.at > to) to = n.at
    if (n.type === 'cancel') continue // reversal lands with the domain issue; the record is kept
    const mem = membersOf(n, o.dims)
    const at = n.at
    const onTime = n.due !== undefined && at <= n.due ? 1 : 0
    const stockValueTargets = () => [...f.levelTargets('v', mem), ...f.flowTargets('sv', at, mem)]
    const stockQty = (sign: number, members = mem) => {
      f.add(f.levelTargets('q', members), sign * n.qty)
      f.flow('sq', at, members, sign * n.qty)
    }
    switch (n.type) {
      case 'purchase_order':
        f.flow('po.amt', at, mem, lineAmount(n.qty, n.cost!))
        f.flow('po.q', at, mem, n.qty)
        break
      case 'purchase_receipt':
        f.flow('pr.amt', at, mem, lineAmount(n.qty, n.cost!))
        f.flow('pr.q', at, mem, n.qty)
        if (n.due !== undefined) {
          f.flow('rc.due', at, mem, 1)
          f.flow('rc.ot', at, mem, onTime)
        }
        stockQty(1)
        f.ops.push({ i, k: 'in', p: mem.pair, q: n.qty, c: n.cost!, vT: stockValueTargets() })
        break
      case 'purchase_return':
        f.flow('pt.q', at, mem, n.qty)
        stockQty(-1)
        f.ops.push({ i, k: 'out', p: mem.pair, q: n.qty, c: n.cost ?? -1, vT: stockValueTargets(), cT: f.flowTargets('pt.amt', at, mem), cs: 1 })
        break
      case 'sales_order':
        f.flow('so.amt', at, mem, lineAmount(n.qty, n.price!))
        f.flow('so.n', at, mem, 1)
        f.flow('so.q', at, mem, n.qty)
        break
      case 'sales_shipment':
        f.flow('s.rev', at, mem, lineAmount(n.qty, n.price!))
        f.flow('s.q', at, mem, n.qty)
        if (n.due !== undefined) {
          f.flow('sh.due', at, mem, 1)
          f.flow('sh.ot', at, mem, onTime)
        }
        stockQty(-1)
        f.ops.push({ i, k: 'out', p: mem.pair, q: n.qty, c: n.cost ?? -1, vT: stockValueTargets(), cT: f.flowTargets('s.cogs', at, mem), cs: 1 })
        break
      case 'sales_return': {
        const amount = lineAmount(n.qty, n.price!)
        f.flow('s.rev', at, mem, -amount)
        f.flow('s.ret', at, mem, amount)
        f.flow('s.q', at, mem, -n.qty)
        f.flow('sr.q', at, mem, n.qty)
        stockQty(1)
        f.ops.push({ i, k: 'in', p: mem.pair, q: n.qty, c: n.cost ?? -1, vT: stockValueTargets(), cT: f.flowTargets('s.cogs', at, mem), cs: -1 })
        break
      }
      case 'transfer': {
        const dest = membersOf(n, o.dims, (n.m as { toWarehouse: string }).toWarehouse)
        f.flow('tr.q', at, mem, n.qty)
        stockQty(-1)
        stockQty(1, dest)
        f.ops.push({
          i,
          k: 'xfer',
          p: mem.pair,
          p2: dest.pair,
          q: n.qty,
          vT: stockValueTargets(),
          vT2: [...f.levelTargets('v', dest), ...f.flowTargets('sv', at, dest)],
        })
        break
      }
      case 'stocktake':
        f.ops.push({ i, k: 'set', p: mem.pair, q: n.qty, vT: stockValueTargets(), qT: [...f.levelTargets('q', mem), ...f.flowTargets('sq', at, mem)] })
        break
      case 'payment_in':
        f.flow('ci', at, mem, n.amount!)
        break
      case 'payment_out':
        f.flow('co', at, mem, n.amount!)
        break
    }
  }
  return {
    payload: f.payload(ids, effects),
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

