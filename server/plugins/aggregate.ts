/**
 * The aggregator as a Fastify service: the applier (server/aggregate/applier.ts) on the
 * server's Redis connection, its script reloaded whenever Redis comes back, one change notice
 * published per applied group, and the periodic credit compaction (server/aggregate/credit-compaction.ts).
 */
import fp from 'fastify-plugin'
import { createCalendar } from '../domain/time.ts'
import type { BusinessCalendar } from '../domain/time.ts'
import { createApplier } from '../aggregate/applier.ts'
import { scheduleCreditCompaction } from '../aggregate/credit-compaction.ts'
import type { ApplyResult } from '../aggregate/applier.ts'
import { markYearBuckets } from '../aggregate/years.ts'
import type { NormalizedMovement } from '../ingest/validate.ts'

export type { ApplyResult } from '../aggregate/applier.ts'

export interface Aggregator {
  readonly calendar: BusinessCalendar
  /** true once the scripts are loaded on the current connection */
  readonly ready: boolean
  /** applies one batch atomically; movements whose id was applied before count as duplicates */
  apply(movements: readonly NormalizedMovement[]): Promise<ApplyResult>
  /** refuses (RejectedMovementsError) cancels that cannot apply, before any chunk of a body is applied */
  check(movements: readonly NormalizedMovement[]): Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    aggregator: Aggregator
  }
}

export const aggregatePlugin = fp(
  async (fastify) => {
    const { config, keys, masterData, changes, redis } = fastify
    const calendar = createCalendar(config.timeZone)
    const applier = createApplier({
      redis,
      keys,
      calendar,
      retention: config.retention,
      effectTtl: config.effectTtl,
      finalAfter: config.finalAfter,
      finalGrace: config.finalGrace,
      money: config.money,
      dims: masterData,
      // COCKPIT_REDIS_WAIT_REPLICAS: acknowledged only once enough replicas have it (else 503; a retry is idempotent)
      ...(fastify.replicas.wanted > 0 && { confirm: () => fastify.replicas.confirm() }),
      onApplied(folded) {
        // the batch is applied: a lost notice only delays screens until their next refresh
        changes
          .publish({ metrics: folded.metrics, from: calendar.format(folded.from), to: calendar.format(folded.to) })
          .catch((err: unknown) => fastify.log.warn({ err }, 'change notice not published'))
      },
    })
    let ready = false
    // each connection (re)gained starts one attempt; an attempt of an older connection stops
    let connection = 0
    let retry: NodeJS.Timeout | undefined

    const loadScripts = async (attempt = connection) => {
      try {
        await applier.loadScript()
        // before the first batch: a cockpit without figures yet has year buckets from the start
        await markYearBuckets(redis, keys, calendar, Date.now())
        if (attempt === connection) ready = true
      } catch (err) {
        // e.g. a replica just promoted by a fail-over, still answering LOADING or READONLY: try
        // again while the connection lasts, not only at the next reconnect
        fastify.log.warn({ err }, 'script load failed; retried in 1 s')
        if (attempt === connection && fastify.redisState.up) {
          retry = setTimeout(() => void loadScripts(attempt), 1000)
          retry.unref()
        }
      }
    }
    fastify.redisState.on('change', (up) => {
      ready = false
      connection++
      clearTimeout(retry)
      // a restarted Redis has neither our scripts nor, possibly, the keys we gave a TTL
      applier.reset()
      if (up) void loadScripts()
    })
    fastify.addHook('onClose', async () => clearTimeout(retry))
    if (fastify.redisState.up) await loadScripts()

    const aggregator: Aggregator = {
      calendar,
      get ready() {
        return ready
      },
      check: (movements) => applier.check(movements),
      apply: (movements) => applier.apply(movements),
    }
    fastify.decorate('aggregator', aggregator)

    // open items and settlements of documents settled in full, past the cancel window, compacted
    // every 10 minutes by one process (docs/metrics.md "Receivables and payables")
    const compaction = scheduleCreditCompaction({
      redis,
      keys,
      effectTtl: config.effectTtl,
      intervalMs: 600_000,
      firstMs: 60_000,
      onRun: (r) => {
        if (r.compacted > 0 || r.listed > 0) fastify.log.info(r, 'credit compaction')
      },
      onError: (err) => fastify.log.warn({ err }, 'credit compaction failed; retried in 10 minutes'),
    })
    fastify.addHook('onClose', async () => compaction.stop())
  },
  { name: 'aggregate', dependencies: ['redis', 'changes', 'master-data'] },
)
