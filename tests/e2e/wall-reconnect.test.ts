/**
 * The wall survives a server restart: while the server is down the badge says since when the
 * data is stale and the widgets dim; when a server is back on the same port the wall reconnects,
 * re-subscribes by itself and shows new movements again.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../server/app.ts'
import { loadConfig } from '../../server/config.ts'
import { launchChromium, screenshot } from '../helpers/chromium.ts'
import type { Browser } from '../helpers/chromium.ts'
import { deletePrefix } from '../helpers/redis-prefix.ts'
import { SCREEN_DIR } from '../helpers/server.ts'
import { freePort } from '../helpers/private-redis.ts'
import { call, kpiText, seed, shipment } from './wall-support.ts'

const prefix = `test:${randomUUID().slice(0, 8)}:`
const ingestKey = `ik_${randomUUID()}`
const adminKey = `ak_${randomUUID()}`
let port = 0
let app: FastifyInstance | undefined
let browser: Browser

async function startServer(): Promise<FastifyInstance> {
  const a = await buildApp({
    config: loadConfig({ COCKPIT_KEY_PREFIX: prefix, COCKPIT_INGEST_KEYS: ingestKey, COCKPIT_ADMIN_KEY: adminKey, COCKPIT_SCREEN_DIR: SCREEN_DIR }),
    logger: false,
  })
  await a.listen({ port, host: '127.0.0.1' })
  for (let i = 0; i < 100 && !a.aggregator.ready; i++) await new Promise((r) => setTimeout(r, 20))
  return a
}

const url = () => `http://127.0.0.1:${port}`

beforeAll(async () => {
  port = await freePort()
  app = await startServer()
  await seed(url(), adminKey, ingestKey)
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  if (app) {
    await deletePrefix(app.redis, prefix).catch(() => 0)
    await app.close()
  }
})

describe('the wall across a server restart', () => {
  test('shows “data stale since” while the server is down, then reconnects and resyncs by itself', async () => {
    const page = await browser.context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${url()}/wall/retail`)
    await expect.poll(() => kpiText(page), { timeout: 10_000 }).toBe('¥4,305')
    const badge = page.locator('[data-testid="connection-badge"]')
    await expect.poll(() => badge.textContent()).toContain('LIVE')

    const stoppedAt = Date.now()
    await app!.close()
    app = undefined
    await expect.poll(() => badge.textContent(), { timeout: 5000 }).toMatch(/数据停更于 \d\d:\d\d:\d\d/)
    // the time shown is when the connection dropped, in the business zone (Asia/Shanghai)
    const shown = (await badge.textContent())!.match(/(\d\d):(\d\d):(\d\d)/)!
    const expected = new Date(stoppedAt + 8 * 3600_000).toISOString().slice(11, 19)
    expect(Math.abs(toSeconds(shown[0]) - toSeconds(expected))).toBeLessThanOrEqual(2)
    // every widget with data dims (one without queries, like a clock, has nothing to be stale)
    const withData = await page.locator('[data-widget][data-updated-at]').count()
    expect(withData).toBeGreaterThanOrEqual(10)
    await expect.poll(() => page.locator('[data-widget][data-stale="true"]').count()).toBe(withData)
    expect(await kpiText(page)).toBe('¥4,305') // the last figures stay up, dimmed
    await screenshot(page, 'wall-stale')
    await new Promise((r) => setTimeout(r, 1500))

    app = await startServer()
    await expect.poll(() => badge.textContent(), { timeout: 15_000, interval: 200 }).toContain('LIVE')
    await expect.poll(() => page.locator('[data-widget][data-stale="true"]').count(), { timeout: 5000 }).toBe(0)
    // subscriptions were made again on the new server: a new shipment shows up
    await call(url(), '/api/v1/movements', [shipment('A1', 2, 100)], ingestKey)
    await expect.poll(() => kpiText(page), { timeout: 5000, interval: 100 }).toBe('¥4,505')
    expect(errors).toEqual([])
    await page.close()
  })
})

function toSeconds(hms: string): number {
  const [h, m, s] = hms.split(':').map(Number)
  return h! * 3600 + m! * 60 + s!
}
