/**
 * Folds a batch of valid movements into the distinct counter deltas it causes, so that Redis
 * sees one HINCRBY per distinct (bucket × counter × dimension × member) instead of one per
 * movement and counter (docs/architecture.md "Write-path performance": ~26 counters per movement would cap ingest near 36k/s).
 * Deltas that depend on state in Redis (costs at moving average, stocktake differences,
 * transfer values, how much of an order a shipment closes) cannot be known here: they become
 * operations the Lua script evaluates in arrival order, with the counter cells they feed.
 *
 * The effects of each movement type (docs/metrics.md) are written once, in `Effects.emit()`, with a
 * sign: +1 applies a movement, −1 reverses it for a `cancel` — then every figure the script
 * computed comes from the original's effect record, so the reversal is exact.
 */
import type { MetricName, MovementDimension } from '../../protocol/metrics.ts'
import { routeMember } from '../../protocol/metrics.ts'
import type { MovementType } from '../../protocol/movement.ts'
import { LINE_DIVISOR, lineMoney, roundMoney, roundMoneyBig } from '../domain/money.ts'
import type { MoneyRules } from '../domain/money.ts'
import type { BusinessCalendar } from '../domain/time.ts'
import { addDays, businessDate, businessDay } from '../domain/time.ts'
import type { CounterDim, Keys, Resolution } from '../redis/keys.ts'
import { ALL_FIELD, RESOLUTIONS } from '../redis/keys.ts'
import type { NormalizedMovement } from '../ingest/validate.ts'
import { COUNTERS, CREDIT, DIM_RESOLUTIONS, LEVELS, LINE_CHANGE_CODE, LINE_CODES, LINE_DIMS, LINE_RESOLUTIONS, UNSPECIFIED, pairField } from './counters.ts'
import type { CounterCode, CreditSide, LevelCode, LineSide } from './counters.ts'
import { metricsOfCounters } from './formulas.ts'
import type { ApplyBatchPayload, CancelMark, CreditTouch, Figure, LayerChange, LineHash, LineUpkeep, ReverseOp, ScriptOp, StockOp } from '../redis/apply-batch.ts'
import { zoneOffsetSeconds } from './ageing.ts'
import { encodeCancel, encodeEffect } from './effect-record.ts'
import { OrderLines, lineOutput } from './order-lines.ts'
import type { Exact, LineEntry, LineSnapshot } from './order-lines.ts'

/** Where master data fills dimensions a movement does not carry. */
export interface DimensionSource {
  categoryOf(sku: string): string | undefined
  regionOf(warehouse: string): string | undefined
  /** a partner's payment terms in days (master data `paymentTermsDays`); absent: due on the day */
  termsOf?(partner: string): number | undefined
  /** true for a unit of the company itself (master data kind `internal`): its deliveries are no trade credit */
  isInternal?(partner: string): boolean
}

export interface FoldOptions {
  keys: Keys
  calendar: BusinessCalendar
  /** seconds each resolution is kept after its bucket closes; 0 = forever */
  retention: Record<Resolution, number>
  effectTtl: number
  /**
   * movements that occurred before this instant (epoch ms) are final: they keep an id marker instead of an effect record
   * (docs/architecture.md "Effect records and final movements") @default none
   */
  finalBefore?: number
  /** seconds a final movement's effect record is kept (its cancel or return in the same import finds it) @default FINAL_GRACE_S */
  finalGrace?: number
  dims: DimensionSource
  now: number
  /** counter keys this process already gave a TTL (see rememberExpiring) */
  expiring: ReadonlySet<string>
  /** how line money is rounded (config.money) */
  money: MoneyRules
}

/**
 * What the cockpit keeps per applied movement (docs/architecture.md "The write path": the effect record): enough to make its
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
  /** the ERP's own line amount and line cost (1e-4), when it sent them */
  la?: number
  lc?: number
  /** a stocktake's book qty (1e-3), when the ERP sent it */
  bq?: number
  /** the movement a return returns, and that movement's [line value, qty] it was costed at */
  ro?: string
  rc?: [line: Figure, qty: number]
  /** members of every dimension as applied (master data may change later) */
  d: Record<MovementDimension, string>
  /** transfer destination warehouse and its region */
  to?: [warehouse: string, region: string]
  /** 1: the transfer fed `transfer.qty` by route (records written before routes existed did not) */
  rt?: 1
  ref?: string
  /** an invoice (shipment, receipt): the open item it adds, [document, due date YYYY-MM-DD] (docs/metrics.md "Receivables and payables") */
  oi?: [doc: string, due: string]
  /** a settlement (payment, return): the document it is against, `` for none */
  os?: string
  /**
   * outputs of the script's operations for this movement, in order (a figure past 2^53 is a
   * decimal string); a stock output's 8th element is a list, its LayerChange
   */
  x?: Figure[][]
  /** id of the cancel that reversed it */
  c?: string
}

/** A cancel and the effect record it reverses, as read from Redis; or (`inBatch`) a movement earlier in its own batch. */
export type CancelTarget =
  | {
      id: string
      inBatch?: undefined
      /** the stored effect record text: the script checks it is unchanged before marking it */
      raw: string
      effect: EffectRecord
    }
  | { id: string; inBatch: true; effect?: undefined }

/**
 * Types a cancel may reverse in the batch that applies them: every effect of theirs is worked out by the fold
 * (fixed deltas, order-line entries, backlog operations whose sign flips), none from a script output of the
 * movement, so the reversal is the same deltas with the opposite sign whether or not the movement is in Redis yet.
 * A stock movement's reversal needs the cost the script computed for it: its cancel still waits for a later batch.
 */
export const REVERSIBLE_IN_BATCH: ReadonlySet<MovementType> = new Set<MovementType>(['sales_order', 'purchase_order', 'payment_in', 'payment_out'])

/** The cost a return takes from the movement it returns (`returnOf`): that movement's line value and qty. */
export interface ReturnCost {
  /** the returned movement's line value (a shipment's cost, a receipt's amount), money units, as signed as it was */
  line: Figure
  /** its qty, 1e-3 */
  qty: number
}

export interface FoldedBatch {
  /** JSON payload of the apply-batch script (ARGV[1]), an ApplyBatchPayload */
  payload: string
  /** movement id, effect record, id, record, … (ARGV[3…]): payload index i ↔ ids[i] */
  records: string[]
  /** ids applied by this payload, in order */
  ids: string[]
  /** metrics whose figures this batch changes */
  metrics: MetricName[]
  /** occurredAt range touched, epoch ms */
  from: number
  to: number
  /** counter keys this payload gives a TTL: remember them once the payload is applied */
  expiring: string[]
}

/** member per dimension; a `route` left undefined is skipped (a transfer recorded before routes existed) */
type Members = Record<Exclude<CounterDim, 'route'>, string> & { route: string | undefined }

const EXPIRING_LIMIT = 200_000
/** How many of the latest movements the apply script keeps in the `recent` list (`movements.recent`). */
export const RECENT_MOVEMENTS_KEPT = 500
/** Pseudo counter code every batch touches: the metrics that read the `recent` list. */
export const RECENT_CODE = 'mv'
/** How long a line fulfilled in full but late stays in its side's late set: two months cover any month bucket not yet ended. */
export const LATE_LINES_KEPT_MS = 62 * 86_400_000

/** Most lines with nothing open that one batch forgets per side (those whose movements can no longer be cancelled): more than a batch of history closes, so an import does not leave them behind. */
export const CLOSED_LINES_PRUNED = 1000

/** Key head of a counter hash of one resolution: `keys.counter(res, b, c, d)` is `head + b + ':' + c + ':' + d`. */
export function counterKeyHead(keys: Keys, res: Resolution): string {
  return keys.counter(res, '\u0000', 'c', 'all').split('\u0000')[0]!
}

interface KeyRef {
  dim: CounterDim
  key: number
}

interface BucketRef {
  res: Resolution
  bucket: string
  expireAt: number
}

/**
 * Builds the payload. Hot path (~70 cells per movement): keys are resolved once per
 * (counter, minute) and fields live in one Map per key, so a cell costs one Map lookup and no
 * string building. State-dependent amounts feed target lists that are deduplicated, so the
 * script adds an amount once per list and spreads each list's sum over its cells once.
 */
class Folder {
  private readonly K: string[] = []
  private readonly keyIndex = new Map<string, number>()
  /** per key index: field → target index */
  private readonly fields: Map<string, number>[] = [new Map()]
  private readonly T: (number | string)[] = []
  /** fixed delta per target; NaN: the target's sum left the safe range and is kept in `big` */
  private readonly fixed: number[] = [0]
  private readonly big = new Map<number, bigint>()
  private readonly expire: number[] = []
  /** flat keyIndex, ranking key, …: the counter hashes the script mirrors into a sorted set (SKU years) */
  private readonly R: (number | string)[] = []
  private readonly ranked = new Set<number>()
  private readonly L: number[][] = []
  private readonly listIndex = new Map<string, number>()
  private readonly P: string[] = []
  private readonly pairIndex = new Map<string, number>()
  private readonly B: string[][] = []
  private readonly backlogIndex = new Map<string, { bh: number; fields: Map<string, number> }>()
  /** per side, `partner|document` → when the cancel window of its latest change began (epoch ms) */
  private readonly creditTouched = new Map<CreditSide, Map<string, number>>()
  /**
   * when the cancel window of the movement being folded begins, as credit compaction counts it: now, or for a final
   * movement (its effect record kept only the grace) as long before now as makes the window end after the grace
   */
  touchAt = 0
  /** the order lines the batch touches, replayed on the records read before folding */
  private readonly lines: OrderLines
  /** per minute: the day and month buckets of an instant and their expiry (lineBuckets) */
  private readonly lineBucketCache = new Map<number, [string, string, number, number]>()
  readonly newlyExpiring: string[] = []
  readonly ops: ScriptOp[] = []
  readonly counters = new Set<string>()
  /**
   * per list of buckets: per counter code, its keys. Minutes whose retained buckets are the same share one list
   * (history's minutes and hours are past retention: every minute of a day shares the day's), so a batch spread over
   * years builds each key once per day bucket, not once per movement.
   */
  private readonly refCache = new Map<BucketRef[], Map<string, KeyRef[]>>()
  /** the bucket lists by their buckets (`res bucket|…`) */
  private readonly bucketLists = new Map<string, BucketRef[]>()
  private readonly levelCache = new Map<string, KeyRef[]>()
  private readonly bucketCache = new Map<number, BucketRef[]>()
  private readonly dayCache = new Map<number, number>()

  constructor(
    private readonly o: FoldOptions,
    lines: LineSnapshot | undefined,
  ) {
    const kept = (res: Resolution) => LINE_DIMS.filter((dim) => DIM_RESOLUTIONS[dim].includes(res))
    const cellKeys = { kd: counterKeyHead(o.keys, 'day'), km: counterKeyHead(o.keys, 'month'), dd: kept('day'), dm: kept('month') }
    const codes = {
      s: { due: LINE_CODES.s.due, ok: LINE_CODES.s.ok, leadTime: false },
      p: { due: LINE_CODES.p.due, ok: LINE_CODES.p.ok, leadTime: true },
    }
    this.lines = new OrderLines(o.money, cellKeys, codes, lines)
  }

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
  private buckets(minute: number): BucketRef[] {
    let list = this.bucketCache.get(minute)
    if (list === undefined) {
      const { calendar, retention, now } = this.o
      const at = minute * 60_000
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
      let sig = ''
      for (const b of list) sig += `${b.res} ${b.bucket}|`
      const same = this.bucketLists.get(sig)
      if (same === undefined) this.bucketLists.set(sig, list)
      else list = same
      this.bucketCache.set(minute, list)
    }
    return list
  }

  private refs(code: CounterCode, at: number): KeyRef[] {
    const list = this.buckets(Math.floor(at / 60_000))
    let byCode = this.refCache.get(list)
    if (byCode === undefined) {
      byCode = new Map()
      this.refCache.set(list, byCode)
    }
    let refs = byCode.get(code)
    if (refs === undefined) {
      const def = COUNTERS[code]
      refs = []
      for (const b of list) {
        if (!(def.res as readonly Resolution[]).includes(b.res)) continue
        for (const dim of def.dims) {
          if (!DIM_RESOLUTIONS[dim].includes(b.res)) continue
          const key = this.key(this.o.keys.counter(b.res, b.bucket, code, dim), b.expireAt)
          refs.push({ dim, key })
          if (b.res === 'year' && dim === 'sku' && !this.ranked.has(key)) {
            this.ranked.add(key)
            this.R.push(key, this.o.keys.ranking(b.res, b.bucket, code, dim))
          }
        }
      }
      byCode.set(code, refs)
      this.counters.add(code)
    }
    return refs
  }

  private levelRefs(code: LevelCode): KeyRef[] {
    let refs = this.levelCache.get(code)
    if (refs === undefined) {
      refs = LEVELS[code].dims.map((dim) => ({ dim, key: this.key(this.o.keys.level(code, dim), 0) }))
      this.levelCache.set(code, refs)
      this.counters.add(code)
    }
    return refs
  }

  /** the business day (days since 1970-01-01 in the business zone) an instant falls on: the date of a FIFO layer */
  day(at: number): number {
    const minute = Math.floor(at / 60_000)
    let d = this.dayCache.get(minute)
    if (d === undefined) {
      d = businessDay(this.o.calendar, at)
      this.dayCache.set(minute, d)
    }
    return d
  }

  /** cells of one flow counter for one movement, appended to `into` */
  flowTargets(code: CounterCode, at: number, members: Members, into: number[] = []): number[] {
    for (const r of this.refs(code, at)) {
      const member = members[r.dim]
      if (member !== undefined) into.push(this.target(r.key, member))
    }
    return into
  }

  /** the sku|warehouse cell of a running level kept by pair in its own right (backlogs), as a target list */
  pairLevelTargets(code: LevelCode, members: Members): number[] {
    let k = this.levelCache.get(`${code} pair`)
    if (k === undefined) {
      k = [{ dim: 'pair', key: this.key(this.o.keys.level(code, 'pair'), 0) }]
      this.levelCache.set(`${code} pair`, k)
    }
    return [this.target(k[0]!.key, members.pair)]
  }

  /** cells of one running level for one movement, appended to `into` */
  levelTargets(code: LevelCode, members: Members, into: number[] = []): number[] {
    for (const r of this.levelRefs(code)) into.push(this.target(r.key, members[r.dim]!))
    return into
  }

  /** a document of a side invoiced or settled by the batch (`doc` '': a settlement against none, never compacted) */
  creditTouch(side: CreditSide, partner: string, doc: string): void {
    if (doc === '') return
    let docs = this.creditTouched.get(side)
    if (docs === undefined) this.creditTouched.set(side, (docs = new Map()))
    const member = `${partner}|${doc}`
    docs.set(member, Math.max(docs.get(member) ?? -Infinity, this.touchAt))
  }

  /** the target of one field of a key kept forever (open items, settlements) */
  cell(key: string, field: string): number {
    return this.target(this.key(key, 0), field)
  }

  /** index of a target list in the payload (equal lists share one index) */
  list(targets: number[]): number {
    const id = targets.join(',')
    let l = this.listIndex.get(id)
    if (l === undefined) {
      l = this.L.push(targets)
      this.listIndex.set(id, l)
    }
    return l
  }

  pair(p: string): number {
    let j = this.pairIndex.get(p)
    if (j === undefined) {
      j = this.P.push(p)
      this.pairIndex.set(p, j)
    }
    return j
  }

  backlogCell(hash: string, field: string): { bh: number; bf: number } {
    let h = this.backlogIndex.get(hash)
    if (h === undefined) {
      h = { bh: this.B.push([hash]), fields: new Map() }
      this.backlogIndex.set(hash, h)
    }
    let bf = h.fields.get(field)
    if (bf === undefined) {
      bf = this.B[h.bh - 1]!.push(field) - 1
      h.fields.set(field, bf)
    }
    return { bh: h.bh, bf }
  }

  /**
   * An entry added to (`sign` 1) or removed from (−1) the order line `field` of a side; returns
   * the change of the line's open value (./order-lines.ts).
   */
  orderLine(side: LineSide, field: string, isOrder: boolean, sign: 1 | -1, entry: LineEntry): Exact {
    const codes = LINE_CODES[side]
    // the line counters are written in the line's buckets: listed so rooms reading them recompute
    this.counters.add(codes.due).add(codes.ok).add(LINE_CHANGE_CODE[side])
    if (side === 'p') this.counters.add('lt.s').add('lt.n')
    return this.lines.change(side, field, isOrder, sign, entry)
  }

  /** day and month bucket of an instant and their keys' expiry (unix s, 0: kept forever); '' when already past retention */
  lineBuckets(at: number): [day: string, month: string, dayExpiry: number, monthExpiry: number] {
    const minute = Math.floor(at / 60_000)
    const cached = this.lineBucketCache.get(minute)
    if (cached !== undefined) return cached
    const { calendar, retention, now } = this.o
    const ids = calendar.buckets(at)
    const out: [string, string, number, number] = ['', '', 0, 0]
    this.lineBucketCache.set(minute, out)
    LINE_RESOLUTIONS.forEach((res, j) => {
      const keep = retention[res]
      const expireAt = keep === 0 ? 0 : Math.ceil(calendar.nextStart(res, at) / 1000) + keep
      if (keep !== 0 && expireAt * 1000 <= now) return
      out[j] = ids[res]
      out[j + 2] = expireAt
    })
    return out
  }

  /** adds a delta to one target: exact at any size (a sum leaving the safe range goes on in BigInt) */
  private addTo(t: number, delta: number | bigint): void {
    if (typeof delta === 'number') {
      const sum = this.fixed[t]! + delta
      if (Number.isSafeInteger(sum)) {
        this.fixed[t] = sum
        return
      }
    }
    const before = this.big.get(t) ?? BigInt(this.fixed[t]!)
    this.big.set(t, before + BigInt(delta))
    this.fixed[t] = NaN
  }

  add(targets: readonly number[], delta: Figure | bigint): void {
    const d = typeof delta === 'string' ? figure(delta) : delta
    if (d === 0 || d === 0n) return
    for (const t of targets) this.addTo(t, d)
  }

  flow(code: CounterCode, at: number, members: Members, delta: number): void {
    if (delta === 0) return
    for (const r of this.refs(code, at)) {
      const member = members[r.dim]
      if (member !== undefined) this.addTo(this.target(r.key, member), delta)
    }
  }

  level(code: LevelCode, members: Members, delta: number): void {
    if (delta === 0) return
    for (const r of this.levelRefs(code)) this.addTo(this.target(r.key, members[r.dim]!), delta)
  }

  /**
   * The order lines' part of the payload: their counter changes join the fixed deltas (range-checked
   * and written with the other cells), the rest is per side what the script checks and writes.
   */
  private lineHashes(): LineHash[] {
    const keys = this.o.keys
    const writes = this.lines.finish(
      (latest) => lineForgetAt(this.o, latest),
      (key, expireAt, field, delta) => this.addTo(this.target(this.key(key, expireAt), field), delta),
    )
    return [...writes].map(([side, w]) => ({ h: keys.line(side), od: keys.lineOpen(side), ls: keys.lineLate(side), cl: keys.lineClosed(side), ...w }))
  }

  private lineUpkeep(): LineUpkeep {
    return { now: this.o.now, keep: LATE_LINES_KEPT_MS, prune: CLOSED_LINES_PRUNED }
  }

  /** the documents touched, per side and time (a batch of history and live movements has two times a side) */
  private creditTouches(): CreditTouch[] {
    const out: CreditTouch[] = []
    for (const [side, docs] of this.creditTouched) {
      const byTime = new Map<number, string[]>()
      for (const [member, t] of docs) {
        const list = byTime.get(t)
        if (list === undefined) byTime.set(t, [member])
        else list.push(member)
      }
      for (const [t, m] of byTime) out.push({ k: this.o.keys.creditChanged(side), t, m })
    }
    return out
  }

  payload(cancels: CancelMark[], final: number[]): string {
    const N = this.lineHashes()
    const fixed: (number | string)[] = []
    for (let t = 1; t < this.fixed.length; t++) {
      const v = this.fixed[t]!
      if (Number.isNaN(v)) {
        const b = this.big.get(t)!
        if (b !== 0n) fixed.push(t, b.toString())
      } else if (v !== 0) fixed.push(t, v)
    }
    const payload: ApplyBatchPayload = {
      ttl: this.o.effectTtl,
      ms: 10 ** (4 - this.o.money.decimals),
      rm: this.o.money.rounding === 'half-even' ? 1 : 0,
      K: this.K,
      T: this.T,
      fixed,
      L: this.L,
      P: this.P,
      B: this.B,
      ops: this.ops,
      exp: this.expire,
      R: this.R,
      cx: cancels,
      rc: RECENT_MOVEMENTS_KEPT,
      N,
      LC: this.lineUpkeep(),
      tz: zoneOffsetSeconds(this.o.calendar, this.o.now),
      CR: this.creditTouches(),
      F: final,
      mk: this.o.keys.marker(''),
      day: Math.floor(this.o.now / 86_400_000),
      fg: finalGraceOf(this.o),
    }
    return JSON.stringify(payload)
  }
}

/** `route`: the member a transfer's route counter gets (undefined: skip it) */
function members(d: Record<MovementDimension, string>, route: string | undefined, warehouse?: string, region?: string): Members {
  const wh = warehouse ?? d.warehouse
  return {
    sku: d.sku,
    category: d.category,
    warehouse: wh,
    partner: d.partner,
    region: region ?? d.region,
    channel: d.channel,
    route,
    all: ALL_FIELD,
    pair: pairField(d.sku, wh),
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

/** Seconds a final movement's effect record is kept by default (COCKPIT_FINAL_GRACE_S). */
export const FINAL_GRACE_S = 600

/** Seconds a final movement's effect record is kept: the grace, at most the effect TTL. */
function finalGraceOf(o: Pick<FoldOptions, 'effectTtl' | 'finalGrace'>): number {
  return Math.min(o.finalGrace ?? FINAL_GRACE_S, o.effectTtl)
}

/**
 * When a line with nothing open may be forgotten (epoch ms): once none of its movements can be cancelled. An
 * effect record lives at most COCKPIT_EFFECT_TTL_S after its movement arrived, and a movement that was not final
 * when it arrived arrived at most COCKPIT_FINAL_AFTER_S after it occurred; a final one keeps its record the grace
 * only. So a line whose newest entry occurred `latest` is safe to forget at latest + final-after + ttl, never before
 * the grace of the movements just applied, never later than ttl from now (docs/architecture.md "Effect records and
 * final movements").
 */
export function lineForgetAt(o: Pick<FoldOptions, 'now' | 'effectTtl' | 'finalBefore' | 'finalGrace'>, latest: number): number {
  const ttl = o.effectTtl * 1000
  const window = o.now + ttl
  if (o.finalBefore === undefined) return window
  const grace = o.now + finalGraceOf(o) * 1000
  return Math.max(grace, Math.min(window, latest + (o.now - o.finalBefore) + ttl))
}

/** A figure of an effect record or a payload: a number while it is safe, else a bigint. */
export function figure(x: Figure | bigint): number | bigint {
  if (typeof x === 'number') return x
  const b = BigInt(x)
  return b <= MAX_SAFE && b >= -MAX_SAFE ? Number(b) : b
}

/** −x of a figure, as a figure (a decimal string past the safe range) */
function negate(x: Figure): Figure {
  return typeof x === 'number' ? -x : x.startsWith('-') ? x.slice(1) : `-${x}`
}

/** The last instant of a business date (YYYY-MM-DD): on time means at or before it. */
export function endOfBusinessDate(calendar: BusinessCalendar, date: string): number {
  const start = calendar.fromLocal({ year: Number(date.slice(0, 4)), month: Number(date.slice(5, 7)), day: Number(date.slice(8, 10)), hour: 0, minute: 0 })
  return calendar.nextStart('day', start) - 1
}

/** The effect record of a movement about to be applied (x is added by the script). */
export function effectOf(n: NormalizedMovement, dims: DimensionSource, calendar: BusinessCalendar, returned?: ReturnCost): EffectRecord {
  const m = n.m as Partial<Record<MovementDimension | 'toWarehouse' | 'ref' | 'dueDate' | 'returnOf', string>>
  const sku = m.sku ?? UNSPECIFIED
  const warehouse = m.warehouse ?? UNSPECIFIED
  const d: Record<MovementDimension, string> = {
    sku,
    category: m.category ?? dims.categoryOf(sku) ?? UNSPECIFIED,
    warehouse,
    partner: m.partner ?? UNSPECIFIED,
    region: m.region ?? dims.regionOf(warehouse) ?? UNSPECIFIED,
    channel: m.channel ?? UNSPECIFIED,
  }
  const e: EffectRecord = { t: n.type, at: n.at, n: [n.qty, n.price ?? null, n.cost ?? null, n.amount ?? null], d }
  if (n.due !== undefined) e.due = n.due
  else if (m.dueDate !== undefined) e.due = endOfBusinessDate(calendar, m.dueDate)
  if (n.lineAmount !== undefined) e.la = n.lineAmount
  if (n.lineCost !== undefined) e.lc = n.lineCost
  if (n.bookQty !== undefined) e.bq = n.bookQty
  if (m.returnOf !== undefined) e.ro = m.returnOf
  if (returned !== undefined) e.rc = [returned.line, returned.qty]
  if (m.ref !== undefined) e.ref = m.ref
  // trade credit needs a partner outside the company (docs/metrics.md "Receivables and payables")
  const credit = m.partner !== undefined && !dims.isInternal?.(m.partner)
  if (credit && (n.type === 'sales_shipment' || n.type === 'purchase_receipt')) {
    e.oi = [m.ref ?? n.m.id, addDays(businessDate(calendar, n.at), dims.termsOf?.(d.partner) ?? 0)]
  } else if (credit && (n.type === 'payment_in' || n.type === 'payment_out' || n.type === 'sales_return' || n.type === 'purchase_return')) {
    e.os = m.ref ?? ''
  }
  if (m.toWarehouse !== undefined) {
    e.to = [m.toWarehouse, dims.regionOf(m.toWarehouse) ?? UNSPECIFIED]
    e.rt = 1
  }
  return e
}

/** How a stock line is valued: at a known line value and rate, or at the pair's rate. */
interface Valued {
  /** line value, money units; absent: at the pair's rate */
  l?: Figure
  /** rate as rn / rd money units per 1e-3 (absent: l / qty) */
  rn?: Figure
  rd?: Figure
  /** a return of an earlier movement of the batch: its index (the script costs it) */
  ri?: number
}
const AT_RATE: Valued = {}

/** a + b of two figures, as a figure */
function plus(a: Figure, b: Figure): Figure {
  const s = BigInt(a) + BigInt(b)
  return s <= MAX_SAFE && s >= -MAX_SAFE ? Number(s) : s.toString()
}

/**
 * A stock output of an effect record (StockOutput). Records written before the valuation
 * invariants kept [cost, dq, dv] per stock line: they reverse without the state they started from.
 */
function stockOutput(x: readonly Figure[] | undefined): { line: Figure; dq: Figure; restore?: Figure[]; layers?: LayerChange } {
  const [line = 0, dq = 0, dv = 0, , q0, v0, a0] = x ?? []
  const o: { line: Figure; dq: Figure; restore?: Figure[]; layers?: LayerChange } = { line, dq }
  if (q0 !== undefined && v0 !== undefined && a0 !== undefined) o.restore = [q0, v0, a0, plus(q0, dq), plus(v0, dv)]
  // the 8th output is the layer change (records from before stock ageing have none)
  const layers = layerChangeOf(x)
  if (layers) o.layers = layers
  return o
}

/**
 * The rate of a line the script costed itself (an inbound at the pair's rate, a return costed at
 * a movement of its batch), as its output records it after the LayerChange: its reversal goes at
 * that rate, not at the rounded line value / qty. Records without it: undefined.
 */
function costedRate(x: readonly Figure[] | undefined): Valued | undefined {
  const rn = x?.[8]
  const rd = x?.[9]
  return rn === undefined || rd === undefined ? undefined : { rn, rd }
}

/** The LayerChange an output carries as its 8th element (a list inside the list of figures), if any. */
function layerChangeOf(x: readonly Figure[] | undefined): LayerChange | undefined {
  const layers = (x as readonly unknown[] | undefined)?.[7]
  return Array.isArray(layers) ? (layers as LayerChange) : undefined
}

/**
 * Emits the effects of one movement. sign +1: apply (state-dependent parts become script ops
 * whose outputs land in the effect record); sign −1 with `known` = those outputs: reverse.
 * Written without closures: it runs once per movement on the hot path.
 */
class Effects {
  private mem!: Members
  private at = 0
  private t = 0
  /** business day of the movement (FIFO layers) */
  private d = 0
  private sign: 1 | -1 = 1
  private i = 0
  private known: Figure[][] | undefined
  private opIndex = 0

  constructor(
    private readonly f: Folder,
    private readonly keys: Keys,
    private readonly money: MoneyRules,
  ) {}

  private x(): Figure[] | undefined {
    return this.known?.[this.opIndex++]
  }

  private flow(code: CounterCode, delta: number): void {
    this.f.flow(code, this.at, this.mem, this.sign * delta)
  }

  private valueTargets(m: Members): number[] {
    return this.f.flowTargets('sv', this.at, m, this.f.levelTargets('v', m))
  }

  private qtyTargets(m: Members): number[] {
    return this.f.flowTargets('sq', this.at, m, this.f.levelTargets('q', m))
  }

  /** money of qty × price, or the ERP's own line amount, taken as it is */
  private line(qty: number, price: number, own: number | undefined): number {
    return own ?? lineMoney(qty, price, this.money)
  }

  /** a line valued at its unit cost (the rate is exactly the unit cost), or at the ERP's own line value */
  private costed(qty: number, unitCost: number | null, own: number | undefined): Valued {
    if (own !== undefined) return { l: own }
    if (unitCost === null) return AT_RATE
    return { l: lineMoney(qty, unitCost, this.money), rn: unitCost, rd: LINE_DIVISOR }
  }

  /** a return at the cost of the movement it returns: qty × that line's value / its qty, at its rate */
  private returned(qty: number, r: [line: Figure, qty: number]): Valued {
    const [line, q] = r
    const l = figure(roundMoneyBig(BigInt(qty) * BigInt(line), BigInt(q), this.money))
    return { l: typeof l === 'bigint' ? l.toString() : l, rn: line, rd: q }
  }

  /**
   * the script's reversal of one stock output of the original (see stockOutput); `outbound`:
   * the original recorded an outbound day (slow-moving), which the reversal takes back
   */
  private reverse(pair: number, x: readonly Figure[] | undefined, inbound: boolean, rate: Valued | undefined, vT: number[], rT: number[], outbound = false): void {
    const f = this.f
    const o = stockOutput(x)
    if (figure(o.dq) === 0 && figure(o.line) === 0 && o.restore === undefined && o.layers === undefined) return
    // the original's line value change: +line in, −line out
    const op: ReverseOp = {
      k: 'rev',
      p: pair,
      dq: negate(o.dq),
      l: inbound ? negate(o.line) : o.line,
      ...(rate?.rn !== undefined && { rn: rate.rn, rd: rate.rd }),
      ...(o.restore && { s: o.restore }),
      v: f.list(vT),
      r: f.list(rT),
      d: this.d,
      ...(o.layers && { y: o.layers }),
      ...(outbound && { o: 1 as const }),
    }
    f.ops.push(op)
  }

  /** an inbound or outbound stock line: a script op when applying, its reversal when cancelling */
  private stock(k: 'in' | 'out', qty: number, valued: Valued, cT?: number[], cs: 1 | -1 = 1): void {
    const f = this.f
    const mem = this.mem
    f.add(this.qtyTargets(mem), this.sign * (k === 'in' ? qty : -qty))
    const vT = this.valueTargets(mem)
    const rT = f.flowTargets('rv', this.at, mem)
    const pair = f.pair(mem.pair)
    if (this.sign === 1) {
      // valued's fields are in StockOp's order: l?, rn?, rd?, ri?
      const op: StockOp = { i: this.i, k, p: pair, q: qty, ...valued, t: this.t, d: this.d, v: f.list(vT), r: f.list(rT) }
      if (cT) {
        op.c = f.list(cT)
        if (cs !== 1) op.cs = cs
      }
      f.ops.push(op)
      return
    }
    const x = this.x()
    if (cT) f.add(cT, cs === 1 ? negate(x?.[0] ?? 0) : (x?.[0] ?? 0))
    // a line costed by the script reverses at the rate it recorded; an outbound at the rate
    // records none: its cost / qty, the rate the script takes when none is given
    const rate = valued.l !== undefined ? valued : costedRate(x)
    this.reverse(pair, x, k === 'in', rate, vT, rT, k === 'out')
  }

  /**
   * ordered − fulfilled qty against `ref` (+qty for an order, −qty for a receipt/shipment); the
   * backlog is what stays open. The level change depends on the other movements of the ref, so a
   * cancel is the same operation with the opposite sign, evaluated by the script. The line is also
   * counted under its sku|warehouse pair (projected stock, `stock.reorder`) unless it was opened
   * before the cockpit kept lines by pair (docs/metrics.md "Order backlogs").
   */
  private backlog(e: EffectRecord, kind: 'bs' | 'bp', q: number): void {
    if (e.ref === undefined) return
    this.x() // keeps the outputs of later operations aligned
    const f = this.f
    const line = `${e.ref}|${e.d.sku}`
    const cell = f.backlogCell(this.keys.backlog(kind), line)
    const byPair = f.backlogCell(this.keys.pairBacklog(kind), line)
    f.ops.push({
      i: this.i,
      k: 'bk',
      ...cell,
      q: this.sign * q,
      T: f.list(f.levelTargets(kind, this.mem)),
      ph: byPair.bh,
      pf: byPair.bf,
      pT: f.list(f.pairLevelTargets(kind, this.mem)),
    })
  }

  /**
   * Cells of a trade-credit change (docs/metrics.md "Receivables and payables"): invoiced or
   * settled by day and ever, by all and partner, and the partner's open item (`oi`) or
   * settlement against a document (`os`). Every part is a sum, so figures do not depend on the
   * order movements arrive in; how settlements meet open items is worked out when read.
   */
  private creditTargets(side: CreditSide, e: EffectRecord): number[] {
    const c = CREDIT[side]
    const f = this.f
    const partner = this.mem.partner
    if (e.oi !== undefined) {
      const into = f.flowTargets(c.invoiced, this.at, this.mem, f.levelTargets(c.invoicedLevel, this.mem))
      into.push(f.cell(this.keys.openItems(side, partner), `${e.oi[1]}|${e.oi[0]}`))
      f.creditTouch(side, partner, e.oi[0])
      return into
    }
    const into = f.flowTargets(c.settled, this.at, this.mem, f.levelTargets(c.settledLevel, this.mem))
    into.push(f.cell(this.keys.settlements(side, partner), e.os ?? ''))
    f.creditTouch(side, partner, e.os ?? '')
    return into
  }

  /** a fixed trade-credit change; records written before receivables were kept have neither `oi` nor `os` and change nothing */
  private credit(side: CreditSide, e: EffectRecord, amount: number): void {
    if (e.oi === undefined && e.os === undefined) return
    this.f.add(this.creditTargets(side, e), this.sign * amount)
  }

  /**
   * An order or fulfilment entry of the order line `ref|sku` (docs/metrics.md "Order lines"): the
   * line keeps its entries and its open value, promised date, OTIF and lead times are derived from
   * them (./order-lines.ts), so a cancel removes the entry (sign −1). The change of the open value
   * feeds the open-value levels and is kept in the effect record (an `lnx` op keeps its place among
   * the movement's outputs).
   */
  private orderLine(e: EffectRecord, side: LineSide, order: boolean, amount: number): void {
    if (e.ref === undefined) return
    this.x() // keeps the outputs of later operations aligned
    const f = this.f
    const [qty] = e.n
    const d = e.d
    let entry: LineEntry
    if (order) {
      const due = e.due === undefined ? ['', '', 0, 0] : f.lineBuckets(e.due)
      entry = [e.at, qty, String(amount), e.due ?? -1, ...due, d.category, d.warehouse, d.partner]
    } else if (side === 'p') {
      entry = [e.at, qty, ...f.lineBuckets(e.at), d.category, d.warehouse, d.partner]
    } else {
      entry = [e.at, qty]
    }
    const delta = f.orderLine(side, `${e.ref}|${d.sku}`, order, this.sign, entry)
    f.add(f.levelTargets(LINE_CODES[side].value, this.mem), delta)
    f.ops.push({ i: this.i, k: 'lnx', x: lineOutput(delta) })
  }

  /** how a return without its own cost is valued: at the movement it returns, else at the pair's rate */
  private returnValue(qty: number, e: EffectRecord, batchIndex: number | undefined): Valued {
    if (e.rc) return this.returned(qty, e.rc)
    if (batchIndex !== undefined && this.sign === 1) return { ri: batchIndex }
    return AT_RATE
  }

  emit(e: EffectRecord, i: number, sign: 1 | -1, known?: Figure[][], returnedIndex?: number): void {
    const f = this.f
    const route = e.to === undefined ? UNSPECIFIED : e.rt === 1 ? routeMember(e.d.warehouse, e.to[0]) : undefined
    const mem = (this.mem = members(e.d, route))
    const at = (this.at = e.at)
    this.t = Math.floor(at / 1000)
    this.d = f.day(at)
    this.sign = sign
    this.i = i
    this.known = known
    this.opIndex = 0
    const [qty, price, cost, amount] = e.n
    const onTime = e.due !== undefined && at <= e.due ? 1 : 0
    switch (e.t) {
      case 'purchase_order': {
        const amount = this.line(qty, cost!, e.la)
        this.flow('po.amt', amount)
        this.flow('po.q', qty)
        this.backlog(e, 'bp', qty)
        this.orderLine(e, 'p', true, amount)
        break
      }
      case 'purchase_receipt': {
        const valued = this.costed(qty, cost, e.la)
        // a receipt always has its line: unitCost is required, the line within LIMITS.lineAmount
        const amount = this.line(qty, cost!, e.la)
        this.flow('pr.amt', amount)
        this.flow('pr.q', qty)
        this.credit('ap', e, amount)
        if (e.due !== undefined) {
          this.flow('rc.due', 1)
          this.flow('rc.ot', onTime)
        }
        this.stock('in', qty, valued)
        this.backlog(e, 'bp', -qty)
        this.orderLine(e, 'p', false, 0)
        break
      }
      case 'purchase_return': {
        this.flow('pt.q', qty)
        const valued = cost !== null || e.la !== undefined ? this.costed(qty, cost, e.la) : this.returnValue(qty, e, returnedIndex)
        // the amount returned (its line, or the value it left stock at) is also what it settles of the payables
        const cT = f.flowTargets('pt.amt', at, mem)
        if (e.os !== undefined) cT.push(...this.creditTargets('ap', e))
        this.stock('out', qty, valued, cT)
        break
      }
      case 'sales_order': {
        const amount = this.line(qty, price!, e.la)
        this.flow('so.amt', amount)
        this.flow('so.n', 1)
        this.flow('so.q', qty)
        this.backlog(e, 'bs', qty)
        this.orderLine(e, 's', true, amount)
        break
      }
      case 'sales_shipment': {
        const revenue = this.line(qty, price!, e.la)
        this.flow('s.rev', revenue)
        this.credit('ar', e, revenue)
        this.flow('s.q', qty)
        if (e.due !== undefined) {
          this.flow('sh.due', 1)
          this.flow('sh.ot', onTime)
        }
        this.stock('out', qty, this.costed(qty, cost, e.lc), f.flowTargets('s.cogs', at, mem))
        this.backlog(e, 'bs', -qty)
        this.orderLine(e, 's', false, 0)
        break
      }
      case 'sales_return': {
        const refund = this.line(qty, price!, e.la)
        this.credit('ar', e, refund)
        this.flow('s.rev', -refund)
        this.flow('s.ret', refund)
        this.flow('s.q', -qty)
        this.flow('sr.q', qty)
        const valued = cost !== null || e.lc !== undefined ? this.costed(qty, cost, e.lc) : this.returnValue(qty, e, returnedIndex)
        this.stock('in', qty, valued, f.flowTargets('s.cogs', at, mem), -1)
        break
      }
      case 'transfer': {
        const dest = members(e.d, UNSPECIFIED, e.to![0], e.to![1])
        this.flow('tr.q', qty)
        f.add(this.qtyTargets(mem), -sign * qty)
        f.add(this.qtyTargets(dest), sign * qty)
        const vT = this.valueTargets(mem)
        const vT2 = this.valueTargets(dest)
        const rT = f.flowTargets('rv', at, mem)
        const rT2 = f.flowTargets('rv', at, dest)
        const src = f.pair(mem.pair)
        const dst = f.pair(dest.pair)
        if (sign === 1) {
          f.ops.push({ i, k: 'xfer', p: src, p2: dst, q: qty, t: this.t, d: this.d, v: f.list(vT), v2: f.list(vT2), r2: f.list(rT2) })
        } else {
          const first = this.x()
          if (first !== undefined && first.length === 5) {
            // a transfer recorded before the valuation invariants: [cost, −q, −cost, q, dv2]
            const [c = 0, dq = 0, dv = 0, dq2 = 0, dv2 = 0] = first
            this.reverse(src, [c, dq, dv], false, undefined, vT, rT, true)
            this.reverse(dst, [c, dq2, dv2], true, undefined, vT2, rT2)
          } else {
            this.reverse(src, first, false, undefined, vT, rT, true)
            this.reverse(dst, this.x(), true, undefined, vT2, rT2)
          }
        }
        break
      }
      case 'stocktake': {
        this.flow('st.n', 1)
        const qT = this.qtyTargets(mem)
        const vT = this.valueTargets(mem)
        const okT = f.flowTargets('st.ok', at, mem)
        const adT = f.flowTargets('st.adv', at, mem)
        const bvT = f.flowTargets('st.bv', at, mem)
        const qpT = f.flowTargets('adj.qp', at, mem)
        const qnT = f.flowTargets('adj.qn', at, mem)
        const vpT = f.flowTargets('adj.vp', at, mem)
        const vnT = f.flowTargets('adj.vn', at, mem)
        if (sign === 1) {
          f.ops.push({
            i,
            k: 'set',
            p: f.pair(mem.pair),
            q: qty,
            ...(e.bq !== undefined && { b: e.bq }),
            t: this.t,
            d: this.d,
            qT: f.list(qT),
            v: f.list(vT),
            okT: f.list(okT),
            adT: f.list(adT),
            bvT: f.list(bvT),
            qpT: f.list(qpT),
            qnT: f.list(qnT),
            vpT: f.list(vpT),
            vnT: f.list(vnT),
          })
        } else {
          const x = this.x() ?? []
          const [dv = 0, dq = 0, ok = 0, book = 0, q0, v0, a0] = x
          const dqN = figure(dq)
          const dvN = figure(dv)
          f.add(qT, negate(dq))
          f.add(okT, negate(ok))
          f.add(adT, dvN < 0 ? dv : negate(dv))
          f.add(bvT, negate(book))
          f.add(dqN > 0 ? qpT : qnT, dqN > 0 ? negate(dq) : dq)
          f.add(dvN > 0 ? vpT : vnT, dvN > 0 ? negate(dv) : dv)
          // the count's value change was its line: reversed as a line of that value
          const asLine: Figure[] = q0 === undefined ? [dvN < 0 ? negate(dv) : dv, dq, dv] : [dvN < 0 ? negate(dv) : dv, dq, dv, 0, q0, v0!, a0!]
          // the count's layer change rides along as the 8th output (absent in records from before stock ageing)
          const layers = layerChangeOf(x)
          if (q0 !== undefined && layers) (asLine as unknown[]).push(layers)
          this.reverse(f.pair(mem.pair), asLine, dvN >= 0, undefined, vT, f.flowTargets('rv', at, mem))
        }
        break
      }
      case 'payment_in': {
        const paid = roundMoney(amount!, this.money)
        this.flow('ci', paid)
        this.credit('ar', e, paid)
        break
      }
      case 'payment_out': {
        const paid = roundMoney(amount!, this.money)
        this.flow('co', paid)
        this.credit('ap', e, paid)
        break
      }
      case 'cancel':
        break
    }
  }
}

/**
 * Folds movements (deduplicated within the batch) into one apply-batch payload.
 * `cancels` maps a cancel's id to the effect record it reverses (read beforehand); `returns`
 * maps a return's id to the cost of the movement it returns (`returnOf`, read beforehand);
 * `lines` holds the records of the order lines the batch touches, as read (./order-lines.ts
 * linesTouched; absent: Redis holds none of them — the script refuses the batch if it does).
 */
export function foldBatch(
  movements: readonly NormalizedMovement[],
  o: FoldOptions,
  cancels: ReadonlyMap<string, CancelTarget> = new Map(),
  returns: ReadonlyMap<string, ReturnCost> = new Map(),
  lines?: LineSnapshot,
): FoldedBatch {
  const f = new Folder(o, lines)
  const fx = new Effects(f, o.keys, o.money)
  const ids: string[] = []
  const records: string[] = []
  const marks: CancelMark[] = []
  /** indexes of the final movements */
  const final: number[] = []
  const finalBefore = o.finalBefore ?? -Infinity
  /** index of each movement of the batch so far, by id: a return of one of them is costed by the script */
  const indexOf = new Map<string, number>()
  /** effect record of each movement of the batch so far, by id: a cancel of one of them reverses it here */
  const effects = new Map<string, EffectRecord>()
  f.counters.add(RECENT_CODE)
  let from = Infinity
  let to = -Infinity
  for (const n of movements) {
    const id = n.m.id
    const i = ids.push(id)
    let at = n.at
    const isFinal = n.at < finalBefore
    if (isFinal) final.push(i)
    // credit compaction counts a document's window from this time: a final movement's ends with its grace
    f.touchAt = isFinal && n.type !== 'cancel' ? o.now - (o.effectTtl - finalGraceOf(o)) * 1000 : o.now
    if (n.type === 'cancel') {
      const target = cancels.get(id)
      if (!target) throw new Error(`cancel ${id} was folded without its target`)
      if (target.inBatch) {
        const e = effects.get(target.id)
        if (e === undefined || !REVERSIBLE_IN_BATCH.has(e.t) || e.c !== undefined) throw new Error(`cancel ${id} cannot reverse ${target.id} in its batch`)
        fx.emit(e, i, -1)
        // its record is written by this script already cancelled (the script appends its outputs after `c`)
        e.c = id
        records[2 * indexOf.get(target.id)! - 1] = encodeEffect(e)
        at = e.at
      } else {
        fx.emit(target.effect, i, -1, target.effect.x)
        marks.push({ t: target.id, e: target.raw, c: id })
        at = target.effect.at
      }
      records.push(id, encodeCancel(n.at, target.id))
    } else {
      const e = effectOf(n, o.dims, o.calendar, returns.get(id))
      fx.emit(e, i, 1, undefined, e.ro === undefined ? undefined : indexOf.get(e.ro))
      indexOf.set(id, i)
      effects.set(id, e)
      records.push(id, encodeEffect(e))
    }
    if (at < from) from = at
    if (at > to) to = at
  }
  return {
    payload: f.payload(marks, final),
    records,
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
