/**
 * The contract between the encoder (server/aggregate/fold.ts, server/plugins/aggregate.ts) and
 * server/redis/scripts/apply-batch.lua: its KEYS, its ARGV, every record the JSON payload holds
 * and what the script answers. The script's header lists the same fields in the same order;
 * tests/unit/apply-batch-contract.test.ts fails when the two drift apart.
 *
 * Units, all integers: qty 1e-3, unit price and cost 1e-6, value and money 1e-4 ("money units");
 * the value of qty q at unit cost c is q · c / 1e5, rounded to the currency's minor unit. Indexes into the payload's lists are 1-based
 * (they are Lua indexes).
 */
import type { Keys } from './keys.ts'
import { fieldList } from './script-fields.ts'

/** The script's KEYS, in order: the stock state of every sku|warehouse pair and the ticker list. */
export const APPLY_BATCH_KEYS = ['stockQty', 'stockValue', 'avgCost', 'lastMoved', 'liveMoves', 'recent', 'layers'] as const
export type ApplyBatchKeyName = (typeof APPLY_BATCH_KEYS)[number]

const KEY_OF: Record<ApplyBatchKeyName, (keys: Keys) => string> = {
  stockQty: (keys) => keys.level('q', 'pair'),
  stockValue: (keys) => keys.level('v', 'pair'),
  avgCost: (keys) => keys.avgCost,
  lastMoved: (keys) => keys.lastMoved,
  liveMoves: (keys) => keys.liveMoves,
  recent: (keys) => keys.recent,
  layers: (keys) => keys.layers,
}

/** The KEYS of one call, in the order of APPLY_BATCH_KEYS. */
export function applyBatchKeys(keys: Keys): string[] {
  return APPLY_BATCH_KEYS.map((name) => KEY_OF[name](keys))
}

/** A figure that may leave the safe integer range: a number while it is safe, else its decimal text. */
export type Figure = number | string

/**
 * ARGV[1]: the JSON payload. Counter cells are addressed indirectly: `K` names each hash once,
 * `T` names each cell (key, field) once, and everything else points at cells by their index in
 * `T` (a "target"), so a batch spells each key and field once however many movements feed it.
 */
export interface ApplyBatchPayload {
  /** seconds each effect record (`e:{id}`) is kept: the idempotency window */
  ttl: number
  /** the currency's minor unit in money units (100: cents): every stock value is rounded to it */
  ms: number
  /** rounding of ties: 0 away from zero, 1 to even (COCKPIT_MONEY_ROUNDING) */
  rm: 0 | 1
  /** the distinct counter hash keys the batch writes (flow counters and running levels) */
  K: string[]
  /** counter cells, flat: keyIndex (into K), field, keyIndex, field, …; target t is T[2t−1], T[2t] */
  T: (number | string)[]
  /** deltas that do not depend on Redis state, flat: targetIndex, delta, …; a delta is a number while safe (|d| < 2^53), else a decimal integer string */
  fixed: (number | string)[]
  /** target lists (arrays of indexes into T) fed by state-dependent amounts; equal lists are shared */
  L: number[][]
  /** the sku|warehouse pairs the operations touch: their stock state is read and written in one go */
  P: string[]
  /** backlog cells: [hashKey, field, field, …] per backlog hash (`bk:{bs|bp}` and `bkp:{bs|bp}`, field `ref|sku`) */
  B: string[][]
  /** state-dependent operations, in arrival order */
  ops: ScriptOp[]
  /** flat keyIndex (into K), unix seconds, …: EXPIREAT for counter keys this process has not yet given a TTL */
  exp: number[]
  /**
   * flat keyIndex (into K), sorted set key, …: counter hashes mirrored member by member into a sorted set
   * (`rk:`, SKU years): every value the batch writes to the hash is written as that member's score, and the
   * sorted set gets the hash's EXPIREAT
   */
  R: (number | string)[]
  /** the effect records this batch's cancels mark as cancelled */
  cx: CancelMark[]
  /** how many of the latest movements the `recent` list keeps (LTRIM) */
  rc: number
  /** per side of the order lines the batch touches: the records as read (compare-and-set), what to write */
  N: LineHash[]
  /** upkeep of the order lines' sorted sets: late lines leaving, closed lines forgotten */
  LC: LineUpkeep
  /** the business time zone's offset from UTC now, seconds: dates the layer of stock held before layers were kept */
  tz: number
  /** documents the batch invoiced or settled, per side: each member gets the batch's time in its sorted set */
  CR: CreditTouch[]
  /** 1-based indexes of the final movements: they keep an id marker instead of an effect record */
  F: number[]
  /** id marker key prefix (`dd:`): the script appends the id's shard (keys.ts markerShard) */
  mk: string
  /** the batch's arrival day, epoch days: the value of the markers it writes */
  day: number
  /** seconds a final movement's effect record is kept before only its marker remains */
  fg: number
}

/** The documents of one side a batch invoiced or settled (docs/metrics.md "Receivables and payables"). */
export interface CreditTouch {
  /** sorted set `partner|document` → when last changed (`cr:{ar|ap}`) */
  k: string
  /** when the cancel window of the members' latest change began, epoch ms: the batch's time, or for final movements as long before it as makes the window end after their grace (ZADD GT) */
  t: number
  /** members `partner|document` */
  m: string[]
}

/** What the fold (server/aggregate/order-lines.ts) leaves the script for one side's lines: the compare-and-set, the records and the sorted sets. */
export interface LineWrites {
  /** the `ref|sku` fields the batch touches */
  f: string[]
  /** their records as the fold read them, in the order of `f` (false: none) */
  r: (string | false)[]
  /** flat field, record, …: records to write (HSET) */
  set: string[]
  /** fields whose record goes (HDEL): every entry cancelled */
  del: string[]
  /** flat score, field, …: ZADD to `od` */
  ao: string[]
  /** flat score, field, …: ZADD to `ls` */
  al: string[]
  /** flat score, field, …: ZADD to `cl` (when it may be forgotten) */
  ac: string[]
  /** fields to ZREM from `od` */
  ro: string[]
  /** fields to ZREM from `ls` */
  rl: string[]
  /** fields to ZREM from `cl` */
  rc: string[]
}

/**
 * One side's order lines (docs/metrics.md "Order lines"), worked out by the fold
 * (server/aggregate/order-lines.ts) from the records it read: the script checks each record is
 * still the one read — else it answers `conflict` and writes nothing — then writes the records and
 * the sorted sets. Scores are epoch ms as decimal strings.
 */
export interface LineHash extends LineWrites {
  /** hash `ref|sku` → line record (`ln:{s|p}`) */
  h: string
  /** sorted set of lines still open with a promised date, scored by it (epoch ms) */
  od: string
  /** sorted set of lines fulfilled in full after their promised date, scored by it */
  ls: string
  /** sorted set of lines with nothing open, scored by when they may be forgotten (epoch ms) */
  cl: string
}

/** Upkeep of the order lines' sorted sets, done by the script on every batch that touches a side. */
export interface LineUpkeep {
  /** now, epoch ms: late lines promised more than `keep` ms before it leave the late set; closed lines scored before it are forgotten */
  now: number
  /** how long (ms) a late line stays in the late set */
  keep: number
  /** most forgotten lines one batch deletes per side */
  prune: number
}

/** A cancel and the effect record it reverses. */
export interface CancelMark {
  /** id of the movement being cancelled (its effect record is `e:{t}`) */
  t: string
  /** that effect record's text as read before folding: the script answers `conflict` if it changed */
  e: string
  /** id of the cancel, written into the record as `"c"` */
  c: string
}

/**
 * What a stock operation leaves in its movement's effect record (`x`): the line's value (its
 * cost for an outbound line), the qty and value changes of the pair, the revaluation (value
 * change − line value change), and the pair's state before it, so that a cancel arriving
 * before anything else moved the pair restores that state exactly. A line the script costed
 * itself (an inbound at the pair's rate, a return costed by `ri`) also records its rate rn / rd:
 * a cancel that cannot restore the pair reverses the line at that rate (docs/metrics.md "Valuation").
 */
export type StockOutput =
  | [line: Figure, dq: Figure, dv: Figure, rv: Figure, qBefore: Figure, vBefore: Figure, aBefore: Figure, layers: LayerChange]
  | [line: Figure, dq: Figure, dv: Figure, rv: Figure, qBefore: Figure, vBefore: Figure, aBefore: Figure, layers: LayerChange, rn: Figure, rd: Figure]

/**
 * What a stock line did to the pair's FIFO layers (docs/metrics.md "Stock ageing"), flat:
 * `[k, day, qty, day, qty, …]` (days: business days since 1970-01-01, qty 1e-3). Inbound: k is
 * the deficit it filled, the pairs the layers it added; outbound: k is the deficit it opened,
 * the pairs the layers it consumed, oldest first. Records written before layers have none.
 */
export type LayerChange = Figure[]

/**
 * An inbound (`in`) or outbound (`out`) stock movement of qty `q` for pair `p`. Outputs one
 * StockOutput.
 */
export interface StockOp {
  /** 1-based movement index (ARGV[1+2i] is its id) whose effect record gets the outputs */
  i: number
  k: 'in' | 'out'
  /** pair, index into P */
  p: number
  /** qty, 1e-3, > 0 */
  q: number
  /** the line's value in money units (it may be negative: a return of a shipment costed below zero); absent: at the pair's rate */
  l?: Figure
  /** the line's rate is rn / rd money units per 1e-3 (a unit cost u: u / 1e5); absent: l / q */
  rn?: Figure
  rd?: Figure
  /** a return costed at an earlier movement of this batch: its 1-based index (its first line value ÷ its qty); `l` is absent */
  ri?: number
  /** occurredAt, unix seconds (last movement time of the pair) */
  t: number
  /** business day of occurredAt (days since 1970-01-01 in the business zone): an inbound line's layer date, an outbound line's outbound day */
  d: number
  /** target list (index into L) of the pair's stock value cells */
  v: number
  /** target list of the pair's revaluation cells */
  r: number
  /** target list (index into L) that the line value feeds: COGS or a purchase return's amount */
  c?: number
  /** sign the line value enters `c` with: −1 for a sales return; absent: +1 */
  cs?: -1
}

/**
 * A transfer of qty `q` from pair `p` to pair `p2`: leaves at the source's rate, enters at
 * exactly that value. Outputs two StockOutputs, the source's then the destination's.
 */
export interface TransferOp {
  /** 1-based movement index whose effect record gets the outputs */
  i: number
  k: 'xfer'
  /** source pair, index into P */
  p: number
  /** destination pair, index into P */
  p2: number
  /** qty, 1e-3, > 0 */
  q: number
  /** occurredAt, unix seconds */
  t: number
  /** business day of occurredAt: the source's outbound day; the destination gets the source's consumed layers with their days */
  d: number
  /** target list of the source's stock value cells */
  v: number
  /** target list of the destination's stock value cells */
  v2: number
  /** target list of the destination's revaluation cells */
  r2: number
}

/**
 * A stocktake of pair `p`: the adjustment is counted − book qty. Outputs: [dv, dq, ok, book
 * value, q before, v before, a before] (value and qty difference, 1 when the count was exact,
 * book value before the count).
 */
export interface StocktakeOp {
  /** 1-based movement index whose effect record gets the outputs */
  i: number
  k: 'set'
  /** pair, index into P */
  p: number
  /** counted qty, 1e-3, ≥ 0 */
  q: number
  /** the ERP's book qty at count time, 1e-3; absent: the pair's qty when the count is applied */
  b?: number
  /** occurredAt, unix seconds */
  t: number
  /** business day of occurredAt: a gain's layer date */
  d: number
  /** target list the qty difference feeds (stock qty level and flow) */
  qT: number
  /** target list the value difference feeds (stock value level and flow) */
  v: number
  /** target list fed 1 when the count was exact (`st.ok`) */
  okT: number
  /** target list fed |value difference| (`st.adv`) */
  adT: number
  /** target list fed the book value before the count, never below 0 (`st.bv`) */
  bvT: number
  /** target list fed the qty gained (`adj.qp`) */
  qpT: number
  /** target list fed the qty lost (`adj.qn`) */
  qnT: number
  /** target list fed the value gained (`adj.vp`) */
  vpT: number
  /** target list fed the value lost (`adj.vn`) */
  vnT: number
}

/**
 * ordered − fulfilled qty of one `ref|sku` backlog cell moves by `q`; the backlog level moves by
 * what that changes in max(0, open). Outputs: [delta] (the change of the backlog level).
 */
export interface BacklogOp {
  /** 1-based movement index whose effect record gets the outputs */
  i: number
  k: 'bk'
  /** backlog hash, index into B */
  bh: number
  /** field of that hash, 1-based among its fields (B[bh][bf + 1]) */
  bf: number
  /** signed qty, 1e-3: + an order, − a receipt or shipment (a cancel sends the opposite sign) */
  q: number
  /** target list of the backlog level cells (`c:now:{bs|bp}:{dim}`) */
  T: number
  /** the same line's cell among the lines counted by pair (`bkp:{bs|bp}`): index into B, and its field */
  ph: number
  pf: number
  /** target list of the pair's backlog level cell (`c:now:{bs|bp}:pair`), fed unless the line predates it */
  pT: number
}

/**
 * The output of an order-line change, worked out by the fold (server/aggregate/order-lines.ts):
 * kept in its place among the movement's outputs. Its figures (the open value's change, the line's
 * counters) travel as fixed deltas.
 */
export interface LineOutputOp {
  /** 1-based movement index whose effect record gets the output */
  i: number
  k: 'lnx'
  /** the output as JSON text: `[change of open value]` (a figure past 2^53 as a decimal string) */
  x: string
}

/**
 * One StockOutput of a cancelled movement taken back out of its pair, under the same valuation
 * rules as any movement (the counters that did not depend on state are reversed as fixed
 * deltas). No outputs.
 */
export interface ReverseOp {
  k: 'rev'
  /** pair, index into P */
  p: number
  /** qty to add to the pair, 1e-3 (the original's dq, negated) */
  dq: Figure
  /** the reversal's own value change in money units (the original's line value change, negated) */
  l: Figure
  /** its rate, as in StockOp; absent: l / dq */
  rn?: Figure
  rd?: Figure
  /** the original's [q before, v before, a before, q after, v after]: restored exactly while the pair is still at "after" */
  s?: Figure[]
  /** target list of the pair's stock value cells */
  v: number
  /** target list of the pair's revaluation cells */
  r: number
  /** business day of the original movement */
  d: number
  /** the original's LayerChange, undone; absent (records from before layers): the qty is put back at `d` or taken oldest first */
  y?: LayerChange
  /** 1: the original recorded an outbound day (`d`, slow-moving), taken back */
  o?: 1
}

/** One state-dependent operation of the payload's `ops`, told apart by `k`. */
export type ScriptOp = StockOp | TransferOp | StocktakeOp | BacklogOp | ReverseOp | LineOutputOp

/**
 * What the script answers; it writes nothing unless it answers `ok`.
 * - `['ok', applied]`: every movement of the batch applied
 * - `['dup', i, …]`: 1-based indexes of movements whose effect record exists (applied before)
 * - `['conflict', id]`: the effect record of a movement being cancelled changed since it was read
 * - `['conflict', key, field]`: the record of an order line (hash `key`, field `ref|sku`) changed since it was read
 * - `['range', key, field]`: that counter cell (or the pair's stock state) would leave int64
 */
export type ApplyBatchReply =
  ['ok', applied: number] | ['dup', ...indexes: number[]] | ['conflict', id: string] | ['conflict', lineKey: string, field: string] | ['range', key: string, field: string]

/** The kinds of reply, in the order the script's header lists them. */
export const APPLY_BATCH_REPLIES = ['ok', 'dup', 'conflict', 'range'] as const satisfies readonly ApplyBatchReply[0][]
// every kind of ApplyBatchReply is listed: this line stops compiling when one is added
const everyReplyListed: [Exclude<ApplyBatchReply[0], (typeof APPLY_BATCH_REPLIES)[number]>] extends [never] ? true : never = true
void everyReplyListed

/**
 * Every record of the contract, its fields in the order the encoder writes them: the script's
 * header lists each under the same name, in the same order.
 */
export const APPLY_BATCH_FIELDS = {
  ApplyBatchPayload: fieldList<ApplyBatchPayload>()([
    'ttl',
    'ms',
    'rm',
    'K',
    'T',
    'fixed',
    'L',
    'P',
    'B',
    'ops',
    'exp',
    'R',
    'cx',
    'rc',
    'N',
    'LC',
    'tz',
    'CR',
    'F',
    'mk',
    'day',
    'fg',
  ]),
  CreditTouch: fieldList<CreditTouch>()(['k', 't', 'm']),
  LineHash: fieldList<LineHash>()(['h', 'od', 'ls', 'cl', 'f', 'r', 'set', 'del', 'ao', 'al', 'ac', 'ro', 'rl', 'rc']),
  LineUpkeep: fieldList<LineUpkeep>()(['now', 'keep', 'prune']),
  CancelMark: fieldList<CancelMark>()(['t', 'e', 'c']),
  StockOp: fieldList<StockOp>()(['i', 'k', 'p', 'q', 'l?', 'rn?', 'rd?', 'ri?', 't', 'd', 'v', 'r', 'c?', 'cs?']),
  TransferOp: fieldList<TransferOp>()(['i', 'k', 'p', 'p2', 'q', 't', 'd', 'v', 'v2', 'r2']),
  StocktakeOp: fieldList<StocktakeOp>()(['i', 'k', 'p', 'q', 'b?', 't', 'd', 'qT', 'v', 'okT', 'adT', 'bvT', 'qpT', 'qnT', 'vpT', 'vnT']),
  BacklogOp: fieldList<BacklogOp>()(['i', 'k', 'bh', 'bf', 'q', 'T', 'ph', 'pf', 'pT']),
  ReverseOp: fieldList<ReverseOp>()(['k', 'p', 'dq', 'l', 'rn?', 'rd?', 's?', 'v', 'r', 'd', 'y?', 'o?']),
  LineOutputOp: fieldList<LineOutputOp>()(['i', 'k', 'x']),
} as const

/** The record type of each operation kind `k`. */
export const OP_RECORD: Record<ScriptOp['k'], keyof typeof APPLY_BATCH_FIELDS> = {
  in: 'StockOp',
  out: 'StockOp',
  xfer: 'TransferOp',
  set: 'StocktakeOp',
  bk: 'BacklogOp',
  rev: 'ReverseOp',
  lnx: 'LineOutputOp',
}
