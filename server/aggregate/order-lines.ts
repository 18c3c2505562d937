/**
 * Order lines in the fold (docs/metrics.md "Order lines"). A line (`ref|sku` of a side) is a
 * record of its live order and fulfilment entries; every figure of it is a function of those
 * entries. The applier reads the records a batch touches before folding (one HMGET per side);
 * this module replays the batch's entries on them in arrival order and works out what the apply
 * script used to: the change of each line's open value per operation, the due counters and lead
 * times to move, the records to write and the sorted sets to update. The script then only checks
 * that every record is still the one read (compare-and-set: else it answers `conflict` and the
 * applier reads again) and writes.
 *
 * Entries, as the fold builds them (fold.ts `orderLine`): an order [t ms, qty,
 * amount, due ms (−1: none), due day bucket, due month bucket, day key expiry, month key expiry
 * (unix s, 0: none), category, warehouse, partner]; a receipt [t, qty, day bucket, month bucket,
 * day expiry, month expiry, category, warehouse, partner]; a shipment [t, qty]. A bucket '' is not
 * written (past retention).
 */
import type { MoneyRules } from '../domain/money.ts'
import { moneyStep, roundMoneyBig } from '../domain/money.ts'
import type { LineSide } from './counters.ts'
import { ALL_FIELD } from '../redis/keys.ts'
import type { LineWrites } from '../redis/apply-batch.ts'

/** One entry of a line record (see the module comment). */
export type LineEntry = (number | string)[]

/** An exact integer: a number while it is safe, else a bigint. */
export type Exact = number | bigint

/** The records of the lines a batch touches, as read: per side, `ref|sku` → record text (null: none). */
export type LineSnapshot = Record<LineSide, ReadonlyMap<string, string | null>>

/** How the order-line counter keys are built: `kd + dayBucket + ':' + code + ':' + dim` (`km` for a month bucket), field the member. */
export interface LineCellKeys {
  /** key head of a day bucket's counter hash */
  kd: string
  /** key head of a month bucket's counter hash */
  km: string
  /** dimensions kept by day */
  dd: readonly string[]
  /** dimensions kept by month */
  dm: readonly string[]
}

/** Counter codes one side's lines feed. */
export interface LineCodes {
  /** lines with a promised date */
  due: string
  /** lines fulfilled in full on or before it */
  ok: string
  /** receipts feed supplier lead time (`lt.s`, `lt.n`) */
  leadTime: boolean
}

/** A counter cell change: key, its EXPIREAT (unix s, 0: none), field, delta. */
export type LineCellSink = (key: string, expireAt: number, field: string, delta: number) => void

interface Entries {
  o: LineEntry[]
  f: LineEntry[]
}

interface Line {
  sku: string
  /** the record as read (null: none) */
  raw: string | null
  was: Entries
  now: Entries
  /** open value of `now`, once computed */
  value: Exact | undefined
  /** fulfilment entries added and removed by the batch (their lead times) */
  added: LineEntry[] | undefined
  removed: LineEntry[] | undefined
}

/** A line's figures. */
export interface LineFigures {
  /** open value, money units */
  value: Exact
  /** the head order: the earliest (then the smallest encoding) */
  head: LineEntry | undefined
  /** its 1-based index among the orders (0: none) */
  headAt: number
  /** promised instant of the head, epoch ms (undefined: none) */
  due: number | undefined
  /** fulfilled in full on or before it */
  hit: boolean
  /** where the line is listed: open with a promised date, or in full but late */
  zone: 'od' | 'ls' | undefined
  /** something is still open */
  open: boolean
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)
/** an entry's buckets: day (0) then month (1) */
const RESOLUTION_INDEXES = [0, 1] as const

function norm(b: bigint): Exact {
  return b <= MAX_SAFE && b >= -MAX_SAFE ? Number(b) : b
}

export function addExact(a: Exact, b: Exact): Exact {
  if (typeof a === 'number' && typeof b === 'number') {
    const s = a + b
    if (Number.isSafeInteger(s)) return s
  }
  return norm(BigInt(a) + BigInt(b))
}

function subExact(a: Exact, b: Exact): Exact {
  return addExact(a, typeof b === 'number' ? -b : -b)
}

function sign(x: Exact): number {
  return x > 0 ? 1 : x < 0 ? -1 : 0
}

/** a figure of a record: a number, or a decimal string of any length */
function parseExact(x: number | string | undefined): Exact {
  if (x === undefined) return 0
  if (typeof x === 'number') return x
  if (x.length <= 15) return Number(x)
  return norm(BigInt(x))
}

/**
 * x · y / d rounded once to the minor unit (the script's R): exact, in doubles while the product
 * is a safe integer, else in BigInt.
 */
export function roundedShare(x: Exact, y: Exact, d: Exact, money: MoneyRules): Exact {
  const step = moneyStep(money)
  if (typeof x === 'number' && typeof y === 'number' && typeof d === 'number') {
    const p = x * y
    const den = d * step
    if (Number.isSafeInteger(p) && Number.isSafeInteger(den) && den !== 0) {
      const negative = p < 0 !== den < 0
      const a = Math.abs(p)
      const b = Math.abs(den)
      // % and the division of a multiple are exact on safe integers
      const r = a % b
      let q = (a - r) / b
      const twice = 2 * r
      if (twice > b || (twice === b && (money.rounding === 'half-away' || q % 2 === 1))) q += 1
      const out = q * step
      return negative && out !== 0 ? -out : out
    }
  }
  return norm(roundMoneyBig(BigInt(x) * BigInt(y), BigInt(d), money))
}

/** a JSON string as lua-cjson writes it (`/` and DEL escaped): the encoding a head order's tie is broken by */
function cjsonString(s: string): string {
  let out = '"'
  for (let j = 0; j < s.length; j++) {
    const c = s.charCodeAt(j)
    if (c === 0x22) out += '\\"'
    else if (c === 0x5c) out += '\\\\'
    else if (c === 0x2f) out += '\\/'
    else if (c === 0x08) out += '\\b'
    else if (c === 0x09) out += '\\t'
    else if (c === 0x0a) out += '\\n'
    else if (c === 0x0c) out += '\\f'
    else if (c === 0x0d) out += '\\r'
    else if (c < 0x20 || c === 0x7f) out += `\\u${c.toString(16).padStart(4, '0')}`
    else out += s[j]
  }
  return `${out}"`
}

/** an entry's encoding (numbers as integers, past 2^53 as strings): what orders two head candidates of the same instant */
export function encodeEntry(e: LineEntry): string {
  const parts: string[] = []
  for (const x of e) {
    if (typeof x === 'string') parts.push(cjsonString(x))
    else if (Number.isSafeInteger(x) || !Number.isFinite(x)) parts.push(x === 0 ? '0' : String(x))
    else parts.push(`"${BigInt(x)}"`)
  }
  return `[${parts.join(',')}]`
}

/** byte order of the UTF-8 encodings (Lua's string comparison in the C locale) */
function byteLess(a: string, b: string): boolean {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0
}

/** The head order of a line and its 1-based index: the earliest, then the smallest encoding, whatever the arrival order. */
export function headOf(orders: readonly LineEntry[]): [LineEntry | undefined, number] {
  if (orders.length <= 1) return [orders[0], orders.length]
  let best = orders[0]!
  let at = 1
  let bestKey: string | undefined
  for (let j = 1; j < orders.length; j++) {
    const e = orders[j]!
    const t = e[0] as number
    const bt = best[0] as number
    if (t < bt) {
      best = e
      at = j + 1
      bestKey = undefined
    } else if (t === bt) {
      bestKey ??= encodeEntry(best)
      const key = encodeEntry(e)
      if (byteLess(key, bestKey)) {
        best = e
        at = j + 1
        bestKey = key
      }
    }
  }
  return [best, at]
}

/** Fields that tell two head orders apart for the due counters: time, qty, amount, date, due day, warehouse, partner. */
const HEAD_FIELDS = [0, 1, 2, 3, 4, 9, 10] as const

/** whether two heads feed the due counters alike (fields compared as text, as the script's `table.concat` key did) */
function sameHead(a: LineEntry | undefined, b: LineEntry | undefined): boolean {
  if (a === b) return true
  if (a === undefined || b === undefined) return false
  for (const k of HEAD_FIELDS) if (a[k] !== b[k] && String(a[k]) !== String(b[k])) return false
  return true
}

/** The entry without its buckets (they depend on when it was folded): what a cancel finds its original by. */
function identity(e: LineEntry, isOrder: boolean): LineEntry {
  if (isOrder) return [e[0]!, e[1]!, e[2]!, e[3]!, e[8]!, e[9]!, e[10]!]
  if (e.length > 2) return [e[0]!, e[1]!, e[6]!, e[7]!, e[8]!]
  return [e[0]!, e[1]!]
}

/** whether two entries are the same but for their buckets */
export function sameEntry(a: LineEntry, b: LineEntry, isOrder: boolean): boolean {
  const x = identity(a, isOrder)
  const y = identity(b, isOrder)
  if (x.length !== y.length) return false
  for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return false
  return true
}

/** open value: max(0, ordered − fulfilled) × ordered amount / ordered qty, rounded once */
function openValue(r: Entries, money: MoneyRules): { value: Exact; ordered: Exact; open: Exact } {
  let ordered: Exact = 0
  let amount: Exact = 0
  let fulfilled: Exact = 0
  for (const e of r.o) {
    ordered = addExact(ordered, e[1] as number)
    amount = addExact(amount, parseExact(e[2]))
  }
  for (const e of r.f) fulfilled = addExact(fulfilled, e[1] as number)
  let open = subExact(ordered, fulfilled)
  if (sign(open) < 0) open = 0
  const value = sign(open) > 0 && sign(ordered) > 0 ? roundedShare(open, amount, ordered, money) : 0
  return { value, ordered, open }
}

/** Every figure of a line from its entries. */
export function lineFigures(r: Entries, money: MoneyRules): LineFigures {
  const { value, ordered, open } = openValue(r, money)
  const [head, headAt] = headOf(r.o)
  const promised = head === undefined ? undefined : (head[3] as number)
  const due = promised !== undefined && promised >= 0 ? promised : undefined
  let hit = false
  if (due !== undefined && sign(ordered) > 0) {
    let onTime: Exact = 0
    for (const e of r.f) if ((e[0] as number) <= due) onTime = addExact(onTime, e[1] as number)
    hit = sign(subExact(onTime, ordered)) >= 0
  }
  let zone: LineFigures['zone']
  if (due !== undefined) {
    if (sign(open) > 0) zone = 'od'
    else if (!hit) zone = 'ls'
  }
  return { value, head, headAt, due, hit, zone, open: sign(open) > 0 }
}

function parseRecord(raw: string | null): Entries {
  if (raw === null) return { o: [], f: [] }
  const r = JSON.parse(raw) as { o?: unknown; f?: unknown }
  return { o: Array.isArray(r.o) ? (r.o as LineEntry[]) : [], f: Array.isArray(r.f) ? (r.f as LineEntry[]) : [] }
}

/** a record as stored: the head's index, the orders and the fulfilments (an empty list left out) */
function encodeRecord(headAt: number, r: Entries): string {
  const out: { h: number; o?: LineEntry[]; f?: LineEntry[] } = { h: headAt }
  if (r.o.length > 0) out.o = r.o
  if (r.f.length > 0) out.f = r.f
  return JSON.stringify(out)
}

/** The lines of one batch, replayed in arrival order on the records read before folding. */
export class OrderLines {
  private readonly sides = new Map<LineSide, Map<string, Line>>()
  /** counter cells: key → [expireAt, field → delta] */
  private readonly cells = new Map<string, [number, Map<string, number>]>()
  /** per resolution (day, month): bucket → code → keys by dimension */
  private readonly keyCache: [Map<string, Map<string, string[]>>, Map<string, Map<string, string[]>>] = [new Map(), new Map()]

  /**
   * `snapshot`: the records read (a line missing from it is an error); absent: Redis is known to
   * hold none of them (the script's compare-and-set refuses the batch if it does).
   */
  constructor(
    private readonly money: MoneyRules,
    private readonly keys: LineCellKeys,
    private readonly codes: Record<LineSide, LineCodes>,
    private readonly snapshot?: LineSnapshot,
  ) {}

  private line(side: LineSide, field: string): Line {
    let lines = this.sides.get(side)
    if (lines === undefined) {
      lines = new Map()
      this.sides.set(side, lines)
    }
    let line = lines.get(field)
    if (line === undefined) {
      let raw: string | null = null
      if (this.snapshot !== undefined) {
        const read = this.snapshot[side].get(field)
        if (read === undefined) throw new Error(`order line ${side} ${field} was folded without its record`)
        raw = read
      }
      const was = parseRecord(raw)
      line = { sku: field.slice(field.lastIndexOf('|') + 1), raw, was, now: { o: [...was.o], f: [...was.f] }, value: undefined, added: undefined, removed: undefined }
      lines.set(field, line)
    }
    return line
  }

  /**
   * Adds (`sign` 1) or removes (−1, a cancel: the entry equal to its original's but for the
   * buckets) one entry of the line `field` of `side`; returns the change of its open value.
   */
  change(side: LineSide, field: string, isOrder: boolean, sign: 1 | -1, entry: LineEntry): Exact {
    const line = this.line(side, field)
    const now = line.now
    const list = isOrder ? now.o : now.f
    const before = line.value ?? openValue(now, this.money).value
    let moved: LineEntry[] | undefined
    if (!isOrder) moved = sign === 1 ? (line.added ??= []) : (line.removed ??= [])
    if (sign === 1) {
      list.push(entry)
      moved?.push(entry)
    } else {
      const j = list.findIndex((e) => sameEntry(e, entry, isOrder))
      if (j >= 0) {
        moved?.push(list[j]!)
        list.splice(j, 1)
      }
    }
    line.value = openValue(now, this.money).value
    return subExact(line.value, before)
  }

  /** sides touched, in the order first touched */
  touched(): LineSide[] {
    return [...this.sides.keys()]
  }

  private cellAdd(key: string, expireAt: number, field: string, amount: number): void {
    let c = this.cells.get(key)
    if (c === undefined) {
      c = [0, new Map()]
      this.cells.set(key, c)
    }
    if (expireAt > 0) c[0] = expireAt
    c[1].set(field, (c[1].get(field) ?? 0) + amount)
  }

  /** the keys of one code in one bucket (res 0 day, 1 month), by dimension, built once per batch */
  private keysOf(res: 0 | 1, bucket: string, code: string): string[] {
    const byBucket = this.keyCache[res]
    let byCode = byBucket.get(bucket)
    if (byCode === undefined) {
      byCode = new Map()
      byBucket.set(bucket, byCode)
    }
    let keys = byCode.get(code)
    if (keys === undefined) {
      const head = res === 0 ? this.keys.kd : this.keys.km
      keys = (res === 0 ? this.keys.dd : this.keys.dm).map((dim) => `${head}${bucket}:${code}:${dim}`)
      byCode.set(code, keys)
    }
    return keys
  }

  /** `amount` into `code` at the day and month buckets an entry carries from index j, by every dimension kept at each */
  private bucketsAdd(e: LineEntry, j: number, sku: string, code: string, amount: number): void {
    for (const res of RESOLUTION_INDEXES) {
      const bucket = e[j + res] as string
      if (bucket === '') continue
      const keys = this.keysOf(res, bucket, code)
      const dims = res === 0 ? this.keys.dd : this.keys.dm
      const exp = e[j + 2 + res] as number
      for (let d = 0; d < dims.length; d++) {
        const dim = dims[d]
        // members: the entry's category, warehouse and partner follow its buckets and expiries
        const member = dim === 'all' ? ALL_FIELD : dim === 'sku' ? sku : dim === 'category' ? e[j + 4] : dim === 'warehouse' ? e[j + 5] : dim === 'partner' ? e[j + 6] : undefined
        if (member === undefined) throw new Error(`order lines are not kept by ${dim}`)
        this.cellAdd(keys[d]!, exp, member as string, amount)
      }
    }
  }

  /** one line due, and one on time in full, at the head order's promised date */
  private dueCounters(codes: LineCodes, sku: string, fig: LineFigures, sign: number): void {
    if (fig.due === undefined) return
    this.bucketsAdd(fig.head!, 4, sku, codes.due, sign)
    if (fig.hit) this.bucketsAdd(fig.head!, 4, sku, codes.ok, sign)
  }

  /** lead time of receipts (seconds since the head order) at each receipt's date */
  private leadTimes(sku: string, head: LineEntry | undefined, entries: readonly LineEntry[], sign: number): void {
    if (head === undefined) return
    const ordered = Math.floor((head[0] as number) / 1000)
    for (const e of entries) {
      this.bucketsAdd(e, 2, sku, 'lt.s', sign * (Math.floor((e[0] as number) / 1000) - ordered))
      this.bucketsAdd(e, 2, sku, 'lt.n', sign)
    }
  }

  /**
   * What the batch leaves per side: counters taken out as they were and put back as they are
   * (into `cell`, only those that change), records and sorted sets. A line with nothing open may
   * be forgotten at `forgetAt(latest)` (epoch ms), `latest` the time its newest entry occurred.
   */
  finish(forgetAt: (latest: number) => number, cell: LineCellSink): Map<LineSide, LineWrites> {
    const out = new Map<LineSide, LineWrites>()
    for (const [side, lines] of this.sides) {
      const codes = this.codes[side]
      const w: LineWrites = { f: [], r: [], set: [], del: [], ao: [], al: [], ac: [], ro: [], rl: [], rc: [] }
      for (const [field, line] of lines) {
        w.f.push(field)
        w.r.push(line.raw ?? false)
        const was = lineFigures(line.was, this.money)
        const is = lineFigures(line.now, this.money)
        // only what changed: the due counters when the head, its date or the hit changed; lead
        // times of the receipts added and removed, or of all of them when the head changed
        const kept = sameHead(was.head, is.head)
        if (!(kept && was.hit === is.hit)) {
          this.dueCounters(codes, line.sku, was, -1)
          this.dueCounters(codes, line.sku, is, 1)
        }
        if (codes.leadTime) {
          if (kept) {
            this.leadTimes(line.sku, is.head, line.added ?? [], 1)
            this.leadTimes(line.sku, is.head, line.removed ?? [], -1)
          } else {
            this.leadTimes(line.sku, was.head, line.was.f, -1)
            this.leadTimes(line.sku, is.head, line.now.f, 1)
          }
        }
        if (was.zone !== undefined && (was.zone !== is.zone || was.due !== is.due)) (was.zone === 'od' ? w.ro : w.rl).push(field)
        if (is.zone !== undefined) (is.zone === 'od' ? w.ao : w.al).push(String(is.due), field)
        if (line.now.o.length === 0 && line.now.f.length === 0) {
          if (line.raw !== null) {
            w.del.push(field)
            w.rc.push(field)
          }
        } else {
          // nothing open: forgotten once none of its movements can be cancelled any more
          if (is.open) w.rc.push(field)
          else w.ac.push(String(forgetAt(newestEntry(line.now))), field)
          const text = encodeRecord(is.headAt, line.now)
          if (text !== line.raw) w.set.push(field, text)
        }
      }
      out.set(side, w)
    }
    for (const [key, [exp, fields]] of this.cells) {
      for (const [field, delta] of fields) if (delta !== 0) cell(key, exp, field, delta)
    }
    return out
  }
}

/** When the newest entry of a line occurred, epoch ms. */
function newestEntry(r: { o: readonly LineEntry[]; f: readonly LineEntry[] }): number {
  let t = -Infinity
  for (const e of r.o) if ((e[0] as number) > t) t = e[0] as number
  for (const e of r.f) if ((e[0] as number) > t) t = e[0] as number
  return t
}

/** The change of an open value as an effect record output: `[delta]`, a figure past 2^53 as a decimal string. */
export function lineOutput(delta: Exact): string {
  if (typeof delta === 'bigint') return `["${delta}"]`
  return `[${delta === 0 ? '0' : String(delta)}]`
}

/** The side of the order lines a movement type feeds (with a `ref`). */
export const LINE_SIDE_OF: Partial<Record<string, LineSide>> = { sales_order: 's', sales_shipment: 's', purchase_order: 'p', purchase_receipt: 'p' }

/** A movement as far as its order line is concerned: its type, `ref` and SKU. */
export interface LineRef {
  type: string
  ref: string | undefined
  sku: string
}

/** The `ref|sku` fields per side that movements (and cancels, through their originals) touch: what to read before folding. */
export function linesTouched(refs: Iterable<LineRef>): Record<LineSide, string[]> {
  const out: Record<LineSide, Set<string>> = { s: new Set(), p: new Set() }
  for (const r of refs) {
    const side = LINE_SIDE_OF[r.type]
    if (side !== undefined && r.ref !== undefined) out[side].add(`${r.ref}|${r.sku}`)
  }
  return { s: [...out.s], p: [...out.p] }
}
