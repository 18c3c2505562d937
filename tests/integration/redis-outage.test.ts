/**
 * Redis unreachable: ingest answers 503 with Retry-After and applies nothing; the server starts
 * anyway and becomes ready when Redis appears; after a restart (scripts flushed, data kept) a
 * retried batch that had been applied is reported as duplicates, figures unchanged.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startPrivateRedis } from '../helpers/private-redis.ts'
import type { PrivateRedis } from '../helpers/private-redis.ts'
import { spawnServerProcess, startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

let redis: PrivateRedis
let server: TestServer

const batch = () => [{ id: randomUUID(), type: 'payment_in', occurredAt: new Date().toISOString(), amount: 10 }]

async function ingest(url: string, key: string, body: unknown) {
  const res = await fetch(`${url}/api/v1/movements`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> }
}

async function cashIn(url: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metric: 'cash.in', window: 'today' }) })
  return ((await res.json()) as { total: number }).total
}

async function until(check: () => Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('condition not met in time')
}

beforeAll(async () => {
  redis = await startPrivateRedis()
  server = await startTestServer({ REDIS_URL: redis.url })
})

afterAll(async () => {
  await server?.app.close()
  await redis?.destroy()
})

describe('Redis outages', () => {
  test('ingest answers 503 with Retry-After while Redis is down, and recovers by itself', async () => {
    const applied = batch()
    expect((await ingest(server.url, server.ingestKey, applied)).status).toBe(200)
    const before = await cashIn(server.url)
    await redis.stop()
    await until(async () => (await fetch(`${server.url}/readyz`)).status === 503)
    const down = await ingest(server.url, server.ingestKey, batch())
    expect(down.status).toBe(503)
    expect(down.retryAfter).toBe('1')
    expect(down.body.error).toBe('COCKPIT_ERR_REDIS_UNAVAILABLE')
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    // a restarted Redis keeps its data (AOF) but not the scripts
    await redis.start()
    await until(async () => (await fetch(`${server.url}/readyz`)).status === 200)
    expect(await cashIn(server.url)).toBe(before)
    // the batch applied before the outage, retried (say its answer was lost): duplicates only
    expect((await ingest(server.url, server.ingestKey, applied)).body).toEqual({ accepted: 0, duplicates: 1 })
    expect((await ingest(server.url, server.ingestKey, batch())).body).toEqual({ accepted: 1, duplicates: 0 })
    expect(await cashIn(server.url)).toBe(before + 10)
  })

  test('a server started while Redis is unreachable starts anyway and becomes ready when Redis appears', async () => {
    const later = await startPrivateRedis()
    await later.stop()
    const proc = await spawnServerProcess(
      { REDIS_URL: later.url, COCKPIT_INGEST_KEYS: 'ik', COCKPIT_ADMIN_KEY: 'ak', COCKPIT_KEY_PREFIX: `test:late:${randomUUID().slice(0, 8)}:` },
      '/healthz',
    )
    try {
      expect((await fetch(`${proc.url}/readyz`)).status).toBe(503)
      expect((await ingest(proc.url, 'ik', batch())).status).toBe(503)
      await later.start()
      await until(async () => (await fetch(`${proc.url}/readyz`)).status === 200)
      expect((await ingest(proc.url, 'ik', batch())).status).toBe(200)
      expect(await proc.stop('SIGTERM')).toBe(0)
    } finally {
      await proc.stop('SIGKILL')
      await later.destroy()
    }
  })
})
