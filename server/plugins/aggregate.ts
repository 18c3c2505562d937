/**
 * The aggregator: applies a validated batch to Redis atomically and idempotently (one Lua
 * script per batch, deduplicated by movement id), then announces what changed.
 */
import { readFileSync } from 'node:fs'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { createCalendar } from '../domain/time.ts'
import type { BusinessCalendar } from '../domain/time.ts'
import { foldBatch, rememberExpiring } from '../aggregate/fold.ts'
import type { NormalizedMovement } from '../ingest/validate.ts'
import { CockpitError } from '../errors.ts'

const APPLY_BATCH_LUA = readFileSync(new URL('../redis/scripts/apply-batch.lua', import.meta.url), 'utf8')

/** Attempts before giving up when concurrent batches keep applying the same ids first. */
const MAX_ATTEMPTS = 5

export interface ApplyResult {
  accepted: number
  duplicates: number
}

export interface Aggregator {
  readonly calendar: BusinessCalendar
  /** true once the scripts are loaded on the current connection */
  readonly ready: boolean
  /** applies one batch atomically; movements whose id was applied before count as duplicates */
  apply(movements: readonly NormalizedMovement[]): Promise<ApplyResult>
}

declare module 'fastify' {
  interface FastifyInstance {
    aggregator: Aggregator
  }
}

type ApplyBatchReply = [string, ...(string | number)[]]
interface ScriptedRedis extends Redis {
  applyBatch(q: string, v: string, a: string, payload: string, effectPrefix: string): Promise<ApplyBatchReply>
}

export const aggregatePlugin = fp(
  async (fastify) => {
    const { config, keys, masterData, changes } = fastify
    const redis = fastify.redis as ScriptedRedis
    // defineCommand runs EVALSHA and falls back to EVAL after a Redis restart flushed the script
    redis.defineCommand('applyBatch', { numberOfKeys: 3, lua: APPLY_BATCH_LUA })
    const calendar = createCalendar(config.timeZone)
    const expiring = new Set<string>()
    const levelQ = keys.level('q', 'pair')
    const levelV = keys.level('v', 'pair')
    const effectPrefix = keys.effect('')
    let ready = false

    const loadScripts = async () => {
      try {
        await redis.script('LOAD', APPLY_BATCH_LUA)
        ready = true
      } catch (err) {
        fastify.log.warn({ err }, 'script load failed; retried on reconnect')
      }
    }
    fastify.redisState.on('change', (up) => {
      ready = false
      // a restarted Redis has neither our scripts nor, possibly, the keys we gave a TTL
      expiring.clear()
      if (up) void loadScripts()
    })
    if (fastify.redisState.up) await loadScripts()

    const aggregator: Aggregator = {
      calendar,
      get ready() {
        return ready
      },
      async apply(movements) {
        const seen = new Set<string>()
        let candidates: NormalizedMovement[] = []
        for (const n of movements) {
          if (seen.has(n.m.id)) continue
          seen.add(n.m.id)
          candidates.push(n)
        }
        let duplicates = movements.length - candidates.length
        for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
          if (candidates.length === 0) return { accepted: 0, duplicates }
          const folded = foldBatch(candidates, {
            keys,
            calendar,
            retention: config.retention,
            effectTtl: config.effectTtl,
            dims: masterData,
            now: Date.now(),
            expiring,
          })
          const reply = await redis.applyBatch(levelQ, levelV, keys.avgCost, folded.payload, effectPrefix)
          if (reply[0] === 'ok') {
            rememberExpiring(expiring, folded.expiring)
            // the batch is applied: a lost notice only delays screens until their next refresh
            changes
              .publish({ metrics: folded.metrics, from: calendar.format(folded.from), to: calendar.format(folded.to) })
              .catch((err: unknown) => fastify.log.warn({ err }, 'change notice not published'))
            return { accepted: candidates.length, duplicates }
          }
          const dup = new Set(reply.slice(1).map(Number))
          duplicates += dup.size
          candidates = candidates.filter((_, i) => !dup.has(i + 1))
        }
        throw new CockpitError('COCKPIT_ERR_CONFLICT', 'the same movement ids are being applied concurrently; retry the batch')
      },
    }
    fastify.decorate('aggregator', aggregator)
  },
  { name: 'aggregate', dependencies: ['redis', 'changes', 'master-data'] },
)
