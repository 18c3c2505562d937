/**
 * Redis connections as a Fastify service.
 * - `redis`: commands. The offline queue is off so that, while Redis is unreachable,
 *   every command fails at once and ingest answers 503 instead of holding requests.
 * - `redisSub`: a subscriber connection for change notices.
 * - `redisState`: whether Redis is reachable now; emits `change` when that flips.
 * The server starts while Redis is down and becomes ready when it appears.
 */
import { EventEmitter } from 'node:events'
import fp from 'fastify-plugin'
import { Redis } from 'ioredis'
import type { CockpitConfig } from '../config.ts'
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
  }
}

/** Connection options shared by every connection the server opens. */
export function redisOptions(name: string) {
  return {
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // reconnect forever, backing off to 1 s: a wall runs for weeks
    retryStrategy: (times: number) => Math.min(50 * times, 1000),
    // a command stuck on a half-open socket must not hold an ingest request forever
    commandTimeout: 10_000,
  } as const
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
    const redis = new Redis(config.redisUrl, redisOptions('cockpit'))
    const redisSub = new Redis(config.redisUrl, redisOptions('cockpit-sub'))
    const state = new Reachability()
    for (const client of [redis, redisSub]) {
      // ioredis logs unhandled 'error' events itself; we log once per state change instead
      client.on('error', () => {})
    }
    redis.on('ready', () => {
      fastify.log.info('redis reachable')
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

    fastify.addHook('onClose', async () => {
      await Promise.allSettled([redis.quit(), redisSub.quit()])
      redis.disconnect()
      redisSub.disconnect()
    })
  },
  { name: 'redis' },
)
