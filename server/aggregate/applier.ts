/**
 * The applier: applies validated batches to Redis atomically and idempotently (one Lua script per
 * group of batches, deduplicated by movement id) and reports what changed. It is the write path
 * without Fastify (server/plugins/aggregate.ts serves it; the write-path bench drives it directly):
 * cancels and returns are resolved against the effect records they name, the group is folded
 * (./fold.ts) and applied by apply-batch.lua, and concurrent requests are grouped (group commit).
 */
import { readFileSync } from 'node:fs'
import type { Redis } from 'ioredis'
import type { BusinessCalendar } from '../domain/time.ts'
import type { MoneyRules } from '../domain/money.ts'
import type { Resolution } from '../domain/time.ts'
import { MAX_JSON_BATCH } from '../../protocol/movement.ts'
import type { RejectedMovement } from '../../protocol/movement.ts'
import { CockpitError, RejectedMovementsError } from '../errors.ts'
import { APPLY_BATCH_KEYS, applyBatchKeys } from '../redis/apply-batch.ts'
import type { ApplyBatchReply } from '../redis/apply-batch.ts'
import type { Keys } from '../redis/keys.ts'
import type { NormalizedMovement } from '../ingest/validate.ts'
import { UNSPECIFIED } from './counters.ts'
import { FINAL_GRACE_S, REVERSIBLE_IN_BATCH, foldBatch, rememberExpiring } from './fold.ts'
import type { CancelTarget, DimensionSource, FoldedBatch, ReturnCost } from './fold.ts'
import { decodeEffect } from './effect-record.ts'
import { linesTouched } from './order-lines.ts'
import type { LineRef, LineSnapshot } from './order-lines.ts'

const APPLY_BATCH_LUA = readFileSync(new URL('../redis/scripts/apply-batch.lua', import.meta.url), 'utf8')

/** Attempts before giving up when concurrent batches keep applying the same ids first. */
const MAX_ATTEMPTS = 5
/**
 * Attempts before giving up when other processes keep changing the order lines a batch touches
 * between its read and its script: each such conflict means another batch was applied, so the
 * write path as a whole progresses; a short random pause spreads the contenders apart.
 */
const MAX_LINE_ATTEMPTS = 40
/** Most movements one script call applies when concurrent requests are grouped. */
const MAX_GROUP = MAX_JSON_BATCH

export interface ApplyResult {
  accepted: number
  duplicates: number
}

export interface ApplierOptions {
  redis: Redis
  keys: Keys
  calendar: BusinessCalendar
  retention: Record<Resolution, number>
  effectTtl: number
  /** seconds after which an arriving movement is final (config.finalAfter); 0 or absent: never */
  finalAfter?: number
  /** seconds a final movement's effect record is still kept (config.finalGrace) @default FINAL_GRACE_S */
  finalGrace?: number
  money: MoneyRules
  /** members of the dimensions a movement does not name (category, region): master data */
  dims: DimensionSource
  /** called once a group is applied, with what it changed (the change notice is published from it) */
  onApplied?: (folded: FoldedBatch) => void
  /** the fold (default ./fold.ts foldBatch): the write-path bench passes a timed one */
  fold?: typeof foldBatch
  /** the apply-batch script's text (default the file): the write-path bench passes a profiling build */
  script?: string
  /**
   * awaited before a group is answered, once it is applied (or found applied before: a retry):
   * COCKPIT_REDIS_WAIT_REPLICAS waits for replicas there, and throws when too few have it
   */
  confirm?: () => Promise<void>
}

export interface Applier {
  /** applies one batch atomically; movements whose id was applied before count as duplicates */
  apply(movements: readonly NormalizedMovement[]): Promise<ApplyResult>
  /** refuses (RejectedMovementsError) cancels that cannot apply, before any chunk of a body is applied */
  check(movements: readonly NormalizedMovement[]): Promise<void>
  /** loads the script on the current connection (after a reconnect Redis may have lost it) */
  loadScript(): Promise<void>
  /** forgets which keys were given a TTL: a restarted Redis may have lost them */
  reset(): void
}

interface ScriptedRedis extends Redis {
  /** KEYS (applyBatchKeys), then ARGV: payload, effect key prefix, movement id, effect record, id, record, … */
  applyBatch(...keysThenArgs: string[]): Promise<ApplyBatchReply>
}

export function createApplier(o: ApplierOptions): Applier {
  const { keys, calendar } = o
  const redis = o.redis as ScriptedRedis
  const lua = o.script ?? APPLY_BATCH_LUA
  const fold = o.fold ?? foldBatch
  // defineCommand runs EVALSHA and falls back to EVAL after a Redis restart flushed the script
  if (typeof redis.applyBatch !== 'function') redis.defineCommand('applyBatch', { numberOfKeys: APPLY_BATCH_KEYS.length, lua })
  const expiring = new Set<string>()
  const scriptKeys = applyBatchKeys(keys)
  const effectPrefix = keys.effect('')

  /**
   * Reads the effect records that the batch's cancels reverse and checks each may be
   * cancelled. Cancels already applied (a retried batch) are reported in `done`.
   */
  async function resolveCancels(batch: readonly NormalizedMovement[]) {
    const targets = new Map<string, CancelTarget>()
    const done = new Set<string>()
    const rejected: RejectedMovement[] = []
    const cancels = batch.filter((n) => n.type === 'cancel')
    if (cancels.length === 0) return { targets, done, rejected }
    const targetIds = cancels.map((n) => (n.m as { cancels: string }).cancels)
    const raws = await redis.mget(...cancels.map((n) => keys.effect(n.m.id)), ...targetIds.map((id) => keys.effect(id)))
    // a cancel or a target without an effect record may be a final movement (an id marker instead)
    const unknown = [...cancels.map((n, k) => (raws[k] === null ? n.m.id : undefined)), ...targetIds.map((id, k) => (raws[cancels.length + k] === null ? id : undefined))]
    const marked = await markedIds(unknown.filter((id): id is string => id !== undefined))
    /** position and type of each movement of the batch: a cancel may reverse an earlier one of some types in it */
    const inBatch = new Map(batch.map((n, k) => [n.m.id, { k, type: n.type }]))
    const claimed = new Map<string, string>()
    cancels.forEach((n, k) => {
      const target = targetIds[k]!
      const refuse = (message: string) => rejected.push({ index: n.index, id: n.m.id, errors: [{ path: '/cancels', message }] })
      if (raws[k] !== null || marked.has(n.m.id)) return void done.add(n.m.id)
      const raw = raws[cancels.length + k] ?? null
      if (raw === null) {
        const sibling = inBatch.get(target)
        if (sibling !== undefined) {
          if (sibling.k > inBatch.get(n.m.id)!.k) return void refuse('cancels a movement later in the same batch: send the cancel after it')
          if (!REVERSIBLE_IN_BATCH.has(sibling.type)) {
            return void refuse(`cancels a ${sibling.type} of the same batch: its reversal needs the cost it was applied at, send the cancel in a later batch`)
          }
          const first = claimed.get(target)
          if (first !== undefined) return void refuse(`"${target}" is already cancelled by "${first}" in this batch`)
          claimed.set(target, n.m.id)
          return void targets.set(n.m.id, { id: target, inBatch: true })
        }
        if (marked.has(target)) {
          return void refuse(
            `"${target}" is final: it had occurred before the cancel window when it arrived (COCKPIT_FINAL_AFTER_S), and its effect record is kept only ${o.finalGrace ?? FINAL_GRACE_S} s (COCKPIT_FINAL_GRACE_S): it can no longer be cancelled`,
          )
        }
        return void refuse(`unknown movement id "${target}", or its effect record expired (kept ${o.effectTtl} s)`)
      }
      const effect = decodeEffect(raw)
      if (effect === undefined) return void refuse(`the effect record of "${target}" cannot be read: it was not written by the cockpit`)
      if (effect.t === 'cancel') return void refuse('a cancel cannot be cancelled')
      if (effect.c !== undefined) return void refuse(`"${target}" was already cancelled by "${effect.c}"`)
      const first = claimed.get(target)
      if (first !== undefined) return void refuse(`"${target}" is already cancelled by "${first}" in this batch`)
      claimed.set(target, n.m.id)
      targets.set(n.m.id, { id: target, raw, effect })
    })
    return { targets, done, rejected }
  }

  /** Which of `ids` were applied as final movements (they left an id marker, not an effect record). */
  async function markedIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set()
    const pipe = redis.pipeline()
    for (const id of ids) pipe.hexists(keys.marker(id), id)
    const replies = (await pipe.exec()) ?? []
    return new Set(ids.filter((_, j) => replies[j]?.[1] === 1))
  }

  /**
   * Reads the movements the batch's returns name in `returnOf` and the cost each return takes
   * from it: a shipment's cost for a sales return, a receipt's amount for a purchase return.
   * A return that also sends its own cost does not need it; one whose `returnOf` is no longer
   * known (its effect record expired) is costed at the moving average (docs/metrics.md).
   */
  async function resolveReturns(batch: readonly NormalizedMovement[]) {
    const returns = new Map<string, ReturnCost>()
    const rejected: RejectedMovement[] = []
    const asking = batch.filter((n) => {
      const m = n.m as { returnOf?: string; unitCost?: number; lineCost?: number; lineAmount?: number }
      if (m.returnOf === undefined || m.unitCost !== undefined) return false
      return n.type === 'sales_return' ? m.lineCost === undefined : m.lineAmount === undefined
    })
    if (asking.length === 0) return { returns, rejected }
    const raws = await redis.mget(...asking.map((n) => keys.effect((n.m as { returnOf: string }).returnOf)))
    // a movement earlier in the same batch is not in Redis yet: the script costs the return at it
    const position = new Map(batch.map((n, i) => [n.m.id, i]))
    asking.forEach((n, k) => {
      const m = n.m as { returnOf: string; sku: string }
      const raw = raws[k]
      const stored = raw ? decodeEffect(raw) : undefined
      const at = position.get(m.returnOf)
      const earlier = at !== undefined && at < position.get(n.m.id)! ? batch[at] : undefined
      const type = stored?.t ?? earlier?.type
      // unknown, or its effect record expired: costed at the pair's rate
      if (type === undefined) return
      const effect = stored?.t === 'cancel' ? undefined : stored
      const sku = effect ? effect.d.sku : (earlier?.m as { sku?: string } | undefined)?.sku
      const wanted = n.type === 'sales_return' ? 'sales_shipment' : 'purchase_receipt'
      const refuse = (message: string) => rejected.push({ index: n.index, id: n.m.id, errors: [{ path: '/returnOf', message }] })
      if (type !== wanted) return void refuse(`"${m.returnOf}" is a ${type}: a ${n.type} returns a ${wanted}`)
      if (sku !== m.sku) return void refuse(`"${m.returnOf}" moved SKU "${sku}", not "${m.sku}"`)
      const out = effect?.x?.[0]
      if (out !== undefined) returns.set(n.m.id, { line: out[0]!, qty: effect!.n[0] })
    })
    return { returns, rejected }
  }

  /**
   * Reads the records of the order lines the batch touches (docs/metrics.md "Order lines"), one
   * HMGET per side in one round trip: the fold works the lines out from them and the script
   * checks they are still the same (compare-and-set) before it writes.
   */
  async function readLines(batch: readonly NormalizedMovement[], targets: ReadonlyMap<string, CancelTarget>): Promise<LineSnapshot> {
    const refs: LineRef[] = []
    for (const n of batch) {
      if (n.type === 'cancel') {
        const e = targets.get(n.m.id)?.effect
        if (e !== undefined) refs.push({ type: e.t, ref: e.ref, sku: e.d.sku })
      } else {
        const m = n.m as { ref?: string; sku?: string }
        refs.push({ type: n.type, ref: m.ref, sku: m.sku ?? UNSPECIFIED })
      }
    }
    const touched = linesTouched(refs)
    const read = async (side: 's' | 'p') => {
      const fields = touched[side]
      const values = fields.length === 0 ? [] : await redis.hmget(keys.line(side), ...fields)
      return new Map(fields.map((f, j) => [f, values[j] ?? null]))
    }
    const [s, p] = await Promise.all([read('s'), read('p')])
    return { s, p }
  }

  /**
   * Applies the batches of several requests with one script call (group commit): all of
   * them or none, so each request's batch stays atomic. Each request gets its own counts.
   * Only a group of one may hold cancels or returns naming `returnOf` (their refusals are per request).
   */
  async function applyGroup(group: readonly (readonly NormalizedMovement[])[]): Promise<ApplyResult[]> {
    const results = group.map((): ApplyResult => ({ accepted: 0, duplicates: 0 }))
    const seen = new Set<string>()
    let candidates: NormalizedMovement[] = []
    let owners: number[] = []
    group.forEach((movements, owner) => {
      for (const n of movements) {
        // an id twice (in one request or in two at once) is applied once: the first wins
        if (seen.has(n.m.id)) {
          results[owner]!.duplicates++
          continue
        }
        seen.add(n.m.id)
        candidates.push(n)
        owners.push(owner)
      }
    })
    const keep = (drop: (n: NormalizedMovement, i: number) => boolean) => {
      const next: NormalizedMovement[] = []
      const nextOwners: number[] = []
      candidates.forEach((n, i) => {
        if (drop(n, i)) results[owners[i]!]!.duplicates++
        else {
          next.push(n)
          nextOwners.push(owners[i]!)
        }
      })
      candidates = next
      owners = nextOwners
    }
    let lineConflicts = 0
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const { targets, done, rejected } = await resolveCancels(candidates)
      if (rejected.length > 0) throw new RejectedMovementsError(rejected)
      if (done.size > 0) keep((n) => done.has(n.m.id))
      if (candidates.length === 0) {
        // only duplicates: what they repeat may still be waiting for its replicas
        await o.confirm?.()
        return results
      }
      const { returns, rejected: badReturns } = await resolveReturns(candidates)
      if (badReturns.length > 0) throw new RejectedMovementsError(badReturns)
      const now = Date.now()
      const finalBefore = o.finalAfter ? now - o.finalAfter * 1000 : undefined
      const options = { keys, calendar, retention: o.retention, effectTtl: o.effectTtl, finalBefore, finalGrace: o.finalGrace, dims: o.dims, now, expiring, money: o.money }
      const lines = await readLines(candidates, targets)
      const folded = fold(candidates, options, targets, returns, lines)
      const reply = await redis.applyBatch(...scriptKeys, folded.payload, effectPrefix, ...folded.records)
      if (reply[0] === 'range') {
        throw new CockpitError(
          'COCKPIT_ERR_COUNTER_RANGE',
          `the batch would take counter ${reply[1]} ${reply[2]} outside the range Redis keeps (±922,337,203,685,477.5807); nothing was applied`,
        )
      }
      if (reply[0] === 'ok') {
        rememberExpiring(expiring, folded.expiring)
        for (const owner of owners) results[owner]!.accepted++
        o.onApplied?.(folded)
        await o.confirm?.()
        return results
      }
      if (reply[0] === 'dup') {
        const dup = new Set(reply.slice(1).map(Number))
        keep((_, i) => dup.has(i + 1))
      }
      if (reply[0] === 'conflict' && reply.length === 3 && ++lineConflicts < MAX_LINE_ATTEMPTS) {
        // an order line changed between the read and the script: read again, not counted as an attempt
        attempt--
        if (lineConflicts > 1) await new Promise((r) => setTimeout(r, Math.random() * Math.min(20, 2 ** lineConflicts)))
      }
      // 'conflict': a movement being cancelled (or an order line) changed meanwhile; read again
    }
    throw new CockpitError('COCKPIT_ERR_CONFLICT', 'the same movements are being applied or cancelled concurrently; retry the batch')
  }

  /*
   * Group commit. Redis runs scripts one at a time, so while one apply is in flight the
   * batches that arrive wait anyway; they are then applied together. A larger group shares
   * counter cells (the same SKU × day cell is one HINCRBY for all of them): on the retail
   * simulation 4 × 500 movements touch 2.7 cells per movement instead of 5.8. A request
   * arriving when nothing is in flight is applied at once: no timer, no added latency.
   */
  interface Pending {
    movements: readonly NormalizedMovement[]
    resolve(r: ApplyResult): void
    reject(err: unknown): void
  }
  const queue: Pending[] = []
  let draining = false
  /** a request that may be refused once the state is read (a cancel, a return naming what it returns) goes alone */
  const refusable = (p: Pending) => p.movements.some((n) => n.type === 'cancel' || (n.m as { returnOf?: string }).returnOf !== undefined)

  /** the next group: requests in arrival order up to MAX_GROUP movements; refusable ones go alone */
  function nextGroup(): Pending[] {
    const first = queue.shift()!
    const group = [first]
    if (refusable(first)) return group
    let size = first.movements.length
    while (queue.length > 0) {
      const p = queue[0]!
      if (refusable(p) || size + p.movements.length > MAX_GROUP) break
      group.push(queue.shift()!)
      size += p.movements.length
    }
    return group
  }

  async function drain(): Promise<void> {
    if (draining) return
    draining = true
    try {
      while (queue.length > 0) {
        const group = nextGroup()
        try {
          const results = await applyGroup(group.map((p) => p.movements))
          group.forEach((p, k) => p.resolve(results[k]!))
        } catch (err) {
          for (const p of group) p.reject(err)
        }
      }
    } finally {
      draining = false
    }
  }

  return {
    async check(movements) {
      const { rejected } = await resolveCancels(movements)
      if (rejected.length > 0) throw new RejectedMovementsError(rejected)
    },
    apply(movements) {
      return new Promise<ApplyResult>((resolve, reject) => {
        queue.push({ movements, resolve, reject })
        void drain()
      })
    },
    async loadScript() {
      await redis.script('LOAD', lua)
    },
    reset() {
      expiring.clear()
    },
  }
}
