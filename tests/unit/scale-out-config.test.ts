/** The scale-out settings: workers, Sentinels, Cluster (hash-tagged prefix), WAIT; and the workers' restart back-off. */
import { describe, expect, test } from 'vitest'
import { loadConfig } from '../../server/config.ts'
import { hashTagOf } from '../../server/redis/connect.ts'
import { MAX_RESTART_DELAY_MS, restartDelay } from '../../server/cli/workers.ts'

describe('Redis topology', () => {
  test('REDIS_URL alone: one server', () => {
    expect(loadConfig({}).redis).toEqual({ kind: 'standalone', url: 'redis://127.0.0.1:6379' })
  })

  test('Sentinels: list, name, credentials and database from REDIS_URL', () => {
    const c = loadConfig({ REDIS_SENTINELS: '10.0.0.1:26379, [::1]:26380', REDIS_SENTINEL_NAME: 'cockpit', REDIS_URL: 'redis://app:s%40cret@ignored:1/3' })
    expect(c.redis).toEqual({
      kind: 'sentinel',
      name: 'cockpit',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      auth: { username: 'app', password: 's@cret', db: 3 },
    })
  })

  test('Sentinels need a name, a port each, and exclude a Cluster', () => {
    expect(() => loadConfig({ REDIS_SENTINELS: 'a:1' })).toThrow(/REDIS_SENTINEL_NAME/)
    expect(() => loadConfig({ REDIS_SENTINEL_NAME: 'x' })).toThrow(/without REDIS_SENTINELS/)
    expect(() => loadConfig({ REDIS_SENTINELS: 'a', REDIS_SENTINEL_NAME: 'x' })).toThrow(/REDIS_SENTINELS: "a" is not host:port/)
    expect(() => loadConfig({ REDIS_SENTINELS: 'a:70000', REDIS_SENTINEL_NAME: 'x' })).toThrow(/not host:port/)
    expect(() => loadConfig({ REDIS_SENTINELS: ' , ', REDIS_SENTINEL_NAME: 'x' })).toThrow(/lists no host:port/)
    expect(() => loadConfig({ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_NAME: 'x', REDIS_CLUSTER: 'b:2', COCKPIT_KEY_PREFIX: '{t}:' })).toThrow(/exclude each other/)
  })

  test('a Cluster demands a hash tag in the prefix and database 0', () => {
    expect(() => loadConfig({ REDIS_CLUSTER: 'a:7000' })).toThrow(/hash tag in COCKPIT_KEY_PREFIX .*"cockpit:"/)
    expect(() => loadConfig({ REDIS_CLUSTER: 'a:7000', COCKPIT_KEY_PREFIX: 'cockpit:{}:' })).toThrow(/hash tag/)
    expect(() => loadConfig({ REDIS_CLUSTER: 'a:7000', COCKPIT_KEY_PREFIX: 'c:{a}:', REDIS_URL: 'redis://x:1/2' })).toThrow(/only database 0/)
    const c = loadConfig({ REDIS_CLUSTER: 'a:7000,b:7001', COCKPIT_KEY_PREFIX: 'cockpit:{acme}:' })
    expect(c.redis).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
      ],
      auth: { db: 0 },
    })
  })

  test('hash tags as Redis Cluster reads them: the first {…} with something inside', () => {
    expect(hashTagOf('cockpit:{acme}:')).toBe('acme')
    expect(hashTagOf('{a}{b}')).toBe('a')
    expect(hashTagOf('x{}{b}')).toBeUndefined()
    expect(hashTagOf('x{abc')).toBeUndefined()
    expect(hashTagOf('cockpit:')).toBeUndefined()
  })
})

describe('WAIT after each batch', () => {
  test('off by default; replicas and timeout checked', () => {
    expect(loadConfig({}).redisWait).toEqual({ replicas: 0, timeoutMs: 1000 })
    expect(loadConfig({ COCKPIT_REDIS_WAIT_REPLICAS: '1', COCKPIT_REDIS_WAIT_TIMEOUT_MS: '250' }).redisWait).toEqual({ replicas: 1, timeoutMs: 250 })
    expect(() => loadConfig({ COCKPIT_REDIS_WAIT_REPLICAS: '-1' })).toThrow(/COCKPIT_REDIS_WAIT_REPLICAS/)
    expect(() => loadConfig({ COCKPIT_REDIS_WAIT_TIMEOUT_MS: '60000' })).toThrow(/at most 5000/)
    expect(() => loadConfig({ COCKPIT_REDIS_WAIT_TIMEOUT_MS: '0' })).toThrow(/≥ 1/)
  })

  test('refused with a Cluster', () => {
    expect(() => loadConfig({ REDIS_CLUSTER: 'a:1', COCKPIT_KEY_PREFIX: '{a}:', COCKPIT_REDIS_WAIT_REPLICAS: '1' })).toThrow(/not supported with REDIS_CLUSTER/)
  })
})

describe('workers', () => {
  test('COCKPIT_WORKERS: 1 by default, 1..64', () => {
    expect(loadConfig({}).workers).toBe(1)
    expect(loadConfig({ COCKPIT_WORKERS: '4' }).workers).toBe(4)
    expect(() => loadConfig({ COCKPIT_WORKERS: '0' })).toThrow(/COCKPIT_WORKERS/)
    expect(() => loadConfig({ COCKPIT_WORKERS: '65' })).toThrow(/at most 64/)
    expect(() => loadConfig({ COCKPIT_WORKERS: 'two' })).toThrow(/integer/)
  })

  test('restart back-off doubles from 100 ms and stops at 10 s', () => {
    expect([0, 1, 2, 3].map(restartDelay)).toEqual([100, 200, 400, 800])
    expect(restartDelay(7)).toBe(MAX_RESTART_DELAY_MS)
    expect(restartDelay(1000)).toBe(MAX_RESTART_DELAY_MS)
  })
})
