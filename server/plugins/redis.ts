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
   * resolves once `wanted` replicas have every write the primary had when it was called — the
   * batch just applied, or the earlier one a batch of duplicates repeats, whichever process wrote it;
   * throws 503 COCKPIT_ERR_NOT_REPLICATED when fewer confirmed within the timeout
   */
  confirm(): Promise<void>
  close(): Promise<void>
}

/**
 * WAIT counts replicas that have the *calling connection's* last write, and blocks that connection
 * meanwhile. So it runs on a connection of its own (the command connection keeps serving), which
 * first publishes on a channel nobody hears: Redis replicates a PUBLISH, so that connection's last
 * write is then the primary's newest — after every batch applied so far, by any process.
 */
export function createReplicaWait(o: { wanted: number; timeoutMs: number; connect: () => Redis; mark: string }): ReplicaWait {
  // opened with the others, so it is connected by the time the server is ready
  const connection = o.wanted > 0 ? o.connect() : undefined
  return {
    wanted: o.wanted,
    async confirm() {
      if (connection === undefined) return
      const replies = (await connection.pipeline().publish(o.mark, '').wait(o.wanted, o.timeoutMs).exec()) ?? []
      const failed = replies.find(([err]) => err)?.[0]
      if (failed || replies.length !== 2) throw failed ?? new Error('Connection is closed')
      const acknowledged = replies[1]![1]
      if ((acknowledged as number) < o.wanted) {
        throw new CockpitError(
          'COCKPIT_ERR_NOT_REPLICATED',
          `the batch is applied on the Redis primary, but only ${String(acknowledged)} of the ${o.wanted} replicas required (COCKPIT_REDIS_WAIT_REPLICAS) confirmed it within ${o.timeoutMs} ms, so a fail-over could lose it: retry the batch (a retry never applies it twice)`,
        )
      }
    },
    async close() {
      await connection?.quit().catch(() => undefined)
      connection?.disconnect()
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
    const keys = createKeys(config.keyPrefix)
    const state = new Reachability()
    // ioredis logs unhandled 'error' events itself; we log once per state change instead
    const attach = (client: Redis) => client.on('error', () => {})
    for (const client of [redis, redisSub]) attach(client)
    redis.on('ready', () => {
      fastify.log.info({ redis: describeTopology(config.redis) }, 'redis reachable')
      state.set(true)
    })
    redis.on('close', () => {
      if (state.up) fastify.log.warn('redis unreachable: ingest answers 503 until it returns')
      state.set(false)
    })

    fastify.decorate('config', config)
    fastify.decorate('keys', keys)
    fastify.decorate('redis', redis)
    fastify.decorate('redisSub', redisSub)
    fastify.decorate('redisState', state as RedisState)
    const replicas = createReplicaWait({
      wanted: config.redisWait.replicas,
      timeoutMs: config.redisWait.timeoutMs,
      // WAIT may block its connection up to the timeout: its commands must not time out first
      connect: () => attach(connectRedis(config.redis, { ...redisOptions('cockpit-wait'), commandTimeout: config.redisWait.timeoutMs + 5000 })),
      mark: keys.replicationMark,
    })
    fastify.decorate('replicas', replicas)

    fastify.addHook('onClose', async () => {
      await Promise.allSettled([redis.quit(), redisSub.quit(), replicas.close()])
      redis.disconnect()
      redisSub.disconnect()
    })
  },
  { name: 'redis' },
)
