/**
 * Readiness: a load balancer sends traffic to a server once `/readyz` answers 200, and a wall
 * then lists the screens at once. On a fresh cockpit that list holds the template screens,
 * never `[]`: /readyz waits for the template seed, not only for Redis and the scripts.
 */
import { randomUUID } from 'node:crypto'
import { afterEach, expect, test } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import type { ScreenSummary } from '../../protocol/screen.ts'
import { TEMPLATES } from '../../widgets/templates/index.ts'
import { buildApp } from '../../server/app.ts'
import { loadConfig } from '../../server/config.ts'
import { deletePrefix } from '../helpers/redis-prefix.ts'
import { startPrivateRedis } from '../helpers/private-redis.ts'
import type { PrivateRedis } from '../helpers/private-redis.ts'

let app: FastifyInstance | undefined
let prefix = ''
let privateRedis: PrivateRedis | undefined

afterEach(async () => {
  if (app) {
    await deletePrefix(app.redis, prefix).catch(() => 0)
    await app.close()
  }
  await privateRedis?.destroy()
  app = undefined
  privateRedis = undefined
})

/** buildApp on a free port, under a fresh key prefix. Not startTestServer: it waits for the scripts, which could hide a readiness answered too early. */
async function startFresh(env: Record<string, string> = {}): Promise<string> {
  prefix = `test:readiness:${randomUUID().slice(0, 8)}:`
  app = await buildApp({
    config: loadConfig({ COCKPIT_KEY_PREFIX: prefix, COCKPIT_INGEST_KEYS: 'ik', COCKPIT_ADMIN_KEY: 'ak', COCKPIT_SCREEN_DIR: '/nonexistent', ...env }),
    logger: false,
  })
  return app.listen({ port: 0, host: '127.0.0.1' })
}

/** Asks /readyz with no pause between the probes, as a client polling hard would, until 200 or `ms`; the last status. */
async function pollReady(url: string, ms: number): Promise<number> {
  const until = Date.now() + ms
  let status: number
  while ((status = (await fetch(`${url}/readyz`)).status) !== 200 && Date.now() < until);
  return status
}

async function screenIds(url: string): Promise<string[]> {
  const res = await fetch(`${url}/api/v1/screens`)
  expect(res.status).toBe(200)
  return ((await res.json()) as ScreenSummary[]).map((s) => s.id)
}

test('a fresh cockpit lists its template screens as soon as /readyz answers 200', async () => {
  const url = await startFresh()
  expect(await pollReady(url, 10_000)).toBe(200)
  expect(await screenIds(url)).toEqual(TEMPLATES.map((t) => t.id))
})

test('a cockpit whose Redis refuses the template seed is not ready until the seed is stored', async () => {
  privateRedis = await startPrivateRedis()
  const admin = new Redis(privateRedis.url)
  try {
    // a full Redis (maxmemory, noeviction): reads and SCRIPT LOAD still work, the seed's writes are refused
    await admin.config('SET', 'maxmemory', '1')
    const url = await startFresh({ REDIS_URL: privateRedis.url })
    expect(await pollReady(url, 1500)).toBe(503)
    expect(await screenIds(url)).toEqual([])

    // room again; the seed runs on the next connection
    await admin.config('SET', 'maxmemory', '0')
    await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes')
    expect(await pollReady(url, 10_000)).toBe(200)
    expect(await screenIds(url)).toEqual(TEMPLATES.map((t) => t.id))
  } finally {
    admin.disconnect()
  }
})
