/**
 * Credit compaction (docs/metrics.md "Receivables and payables"): keeps the open items and
 * settlements of receivables and payables bounded by what is open, not by history. A document
 * settled in full by its own settlements (its items add up exactly to what was settled against
 * it) plays no part in how a partner's other settlements are allocated, so removing its items and
 * its settlement changes no figure. It is removed only once it has been unchanged for longer than
 * effect records live (+ a day for clocks): by then no movement that touched it can be cancelled.
 *
 * Runs in one process at a time (a lease), every `intervalMs`; each run looks at the documents the
 * apply script listed in `cr:{ar|ap}` with their last change, in slices of `slice` per script call.
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { Cluster, Redis } from 'ioredis'
import type { CreditSide } from './counters.ts'
import type { Keys } from '../redis/keys.ts'

const COMPACT_CREDIT_LUA = readFileSync(new URL('../redis/scripts/compact-credit.lua', import.meta.url), 'utf8')
const SIDES: readonly CreditSide[] = ['ar', 'ap']
const DAY_MS = 86_400_000
/** documents looked at per script call: a call stays a few milliseconds */
const SLICE = 1000
const LEASE = 'credit-compaction'

export interface CompactionResult {
  /** documents looked at */
  looked: number
  /** documents removed (settled in full, unchanged past the cancel window) */
  compacted: number
  /** documents stored before `cr:` was kept, listed by this run */
  listed: number
}

interface CompactingRedis extends Redis {
  compactCredit(zset: string, oiPrefix: string, osPrefix: string, cutoff: string, limit: string): Promise<[number, number]>
}

function scripted(redis: Redis): CompactingRedis {
  const r = redis as CompactingRedis
  if (typeof r.compactCredit !== 'function') r.defineCommand('compactCredit', { numberOfKeys: 1, lua: COMPACT_CREDIT_LUA })
  return r
}

/**
 * Lists, once per cockpit, the documents stored before their changes were kept in `cr:`, each as
 * changed now (so each waits a whole cancel window before it may be compacted).
 */
async function listStored(redis: Redis, keys: Keys, now: number): Promise<number> {
  if ((await redis.exists(keys.creditListed)) === 1) return 0
  let listed = 0
  for (const [kind, fieldDoc] of [
    ['oi', (f: string) => f.slice(11)],
    ['os', (f: string) => f],
  ] as const) {
    for (const side of SIDES) {
      const head = kind === 'oi' ? keys.openItems(side, '') : keys.settlements(side, '')
      // a Cluster client sends SCAN to any one node: scan every primary (the cockpit's keys are all on one)
      const nodes = 'nodes' in redis && typeof redis.nodes === 'function' ? (redis as unknown as Cluster).nodes('master') : [redis]
      for (const node of nodes) {
        let cursor = '0'
        do {
          const [next, found] = await node.scan(cursor, 'MATCH', `${head}*`, 'COUNT', 500)
          cursor = next
          for (const key of found) {
            const partner = key.slice(head.length)
            const docs = (await redis.hkeys(key)).map(fieldDoc).filter((d) => d !== '')
            if (docs.length === 0) continue
            const args: (string | number)[] = []
            for (const d of new Set(docs)) args.push(now, `${partner}|${d}`)
            listed += await redis.zadd(keys.creditChanged(side), 'NX', ...args)
          }
        } while (cursor !== '0')
      }
    }
  }
  await redis.set(keys.creditListed, String(now))
  return listed
}

/** One compaction run over both sides, as of `now`, with effect records kept `effectTtl` seconds. */
export async function compactCredit(redis: Redis, keys: Keys, effectTtl: number, now = Date.now()): Promise<CompactionResult> {
  const r = scripted(redis)
  const listed = await listStored(redis, keys, now)
  const cutoff = String(now - effectTtl * 1000 - DAY_MS)
  let looked = 0
  let compacted = 0
  for (const side of SIDES) {
    for (;;) {
      const [n, c] = await r.compactCredit(keys.creditChanged(side), keys.openItems(side, ''), keys.settlements(side, ''), cutoff, String(SLICE))
      looked += n
      compacted += c
      if (n < SLICE) break
    }
  }
  return { looked, compacted, listed }
}

export interface CompactionSchedule {
  stop(): void
}

/**
 * Runs compactCredit every `intervalMs` (first after `firstMs`) in whichever process holds the
 * lease; failures (Redis away) are reported to `onError` and retried at the next interval.
 */
export function scheduleCreditCompaction(o: {
  redis: Redis
  keys: Keys
  effectTtl: number
  intervalMs: number
  firstMs: number
  onRun?: (r: CompactionResult) => void
  onError?: (err: unknown) => void
}): CompactionSchedule {
  const holder = randomUUID()
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  const run = async () => {
    try {
      const got = await o.redis.set(o.keys.lease(LEASE), holder, 'PX', Math.max(1000, o.intervalMs - 1000), 'NX')
      if (got !== 'OK') return
      o.onRun?.(await compactCredit(o.redis, o.keys, o.effectTtl))
    } catch (err) {
      o.onError?.(err)
    }
  }
  const next = (ms: number) => {
    if (stopped) return
    timer = setTimeout(() => void run().finally(() => next(o.intervalMs)), ms)
    timer.unref()
  }
  next(o.firstMs)
  return {
    stop() {
      stopped = true
      if (timer) clearTimeout(timer)
    },
  }
}
