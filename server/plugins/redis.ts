/**
 * Redis connections as a Fastify service.
 * - `redis`: commands. The offline queue is off so that, while Redis is unreachable,
 *   every command fails at once and ingest answers 503 instead of holding requests.
 * - `redisSub`: a subscriber connection for change notices.
 * - `redisState`: whether Redis is reachable now; emits `change` when that flips.
 * - `replicas`: the optional WAIT after an applied batch (COCKPIT_REDIS_WAIT_REPLICAS).
 * Every connection is opened by `connectRedis` (server/redis/connect.ts) from the configured
 * topology — one server, Sentinels or a Cluster — so all of them follow a fail-over.
 * The server starts while Redis is down and becomes ready when it appears.
 */
import { EventEmitter } from 'node:events'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import type { CockpitConfig } from '../config.ts'
import { CockpitError } from '../errors.ts'
import { connectRedis, describeTopology } from '../redis/connect.ts'
import type { ConnectOptions } from '../redis/connect.ts'
import { createKeys, type Keys } from '../redis/keys.ts'

export interface RedisState extends EventEmitter<{ change: [up: boolean] }> {
  readonly up: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    config: CockpitConfig
    keys: Keys
    redis: Redis
    redisSub: Redis
    redisState: RedisState
    replicas: ReplicaWait
  }
}

/** Options of the server's own connections (commands, subscriber): no queueing while Redis is away. */
export function redisOptions(name: string): ConnectOptions {
  // a command stuck on a half-open socket must not hold an ingest request forever
  return { connectionName: name, queueWhileDown: false, commandTimeout: 10_000 }
}

/**
 * WAIT after an applied batch: a batch is acknowledged only once `wanted` replicas have it, so a
 * fail-over to one of them cannot lose it (docs/operations.md "Redis high availability").
 */
export interface ReplicaWait {
  /** replicas that must acknowledge; 0 = no WAIT */
  readonly wanted: number
  /**
   * WAIT on `connection` (the one that ran the write: WAIT covers that connection's writes);
   * throws 503 COCKPIT_ERR_NOT_REPLICATED when fewer replicas acknowledged within the timeout
   */
  confirm(connection: Redis): Promise<void>
}

export function createReplicaWait(wanted: number, timeoutMs: number): ReplicaWait {
  return {
    wanted,
    async confirm(connection) {
      if (wanted === 0) return
      const acknowledged = await connection.wait(wanted, timeoutMs)
      if (acknowledged < wanted) {
        throw new CockpitError(
          'COCKPIT_ERR_NOT_REPLICATED',
          `the batch is applied on the Redis primary, but only ${acknowledged} of the ${wanted} replicas required (COCKPIT_REDIS_WAIT_REPLICAS) confirmed it within ${timeoutMs} ms, so a fail-over could lose it: retry the batch (a retry never applies it twice)`,
        )
      }
    },
  }
}

class Reachability extends EventEmitter<{ change: [up: boolean] }> implements RedisState {
  up = false
  set(up: boolean): void {
    if (up === this.up) return
    this.up = up
    this.emit('change', up)
  }
}

export const redisPlugin = fp(
  async (fastify, opts: { config: CockpitConfig }) => {
    const { config } = opts
    const redis = connectRedis(config.redis, redisOptions('cockpit'))
    const redisSub = connectRedis(config.redis, redisOptions('cockpit-sub'))
    const state = new Reachability()
    for (const client of [redis, redisSub]) {
      // ioredis logs unhandled 'error' events itself; we log once per state change instead
      client.on('error', () => {})
    }
    redis.on('ready', () => {
      fastify.log.info({ redis: describeTopology(config.redis) }, 'redis reachable')
      state.set(true)
    })
    redis.on('close', () => {
      if (state.up) fastify.log.warn('redis unreachable: ingest answers 503 until it returns')
      state.set(false)
    })

    fastify.decorate('config', config)
    fastify.decorate('keys', createKeys(config.keyPrefix))
    fastify.decorate('redis', redis)
    fastify.decorate('redisSub', redisSub)
    fastify.decorate('redisState', state as RedisState)
    fastify.decorate('replicas', createReplicaWait(config.redisWait.replicas, config.redisWait.timeoutMs))

    fastify.addHook('onClose', async () => {
      await Promise.allSettled([redis.quit(), redisSub.quit()])
      redis.disconnect()
      redisSub.disconnect()
    })
  },
  { name: 'redis' },
)
