/**
 * The source-status widget on a wall in Chromium: the host polls `GET /api/v1/sources` every 5 s
 * (answered here from the endpoint's specified shape, since the endpoint belongs to the sources
 * service), rows follow a changed answer, and a failed read keeps the rows with the reason.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { ScreenDefinition } from '../../protocol/screen.ts'
import { join } from 'node:path'
import { ARTIFACTS, launchChromium, screenshot } from '../helpers/chromium.ts'
import type { Browser } from '../helpers/chromium.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { storeScreen } from './wall-support.ts'

let server: TestServer
let browser: Browser

const SCREEN: ScreenDefinition = {
  id: 'ops-sources',
  title: '数据接入监控',
  design: { width: 1920, height: 1080 },
  theme: 'dark',
  grid: { columns: 12, rows: 12 },
  widgets: [{ id: 'sources', widget: 'source-status', options: { everySeconds: 5, limit: 12 }, x: 0, y: 0, w: 4, h: 5 }],
}

const source = (id: string, kind: string, state: string, lagMs: number | null, read: number, rejected = 0, lastError: { message: string; at: string } | null = null) => ({
  id,
  kind,
  state,
  lagMs,
  rows: { read, applied: read - rejected, duplicate: 0, skipped: 0, rejected },
  lastError,
  backfill: { since: null, rows: state === 'backfilling' ? read : 0, doneAt: null },
})

beforeAll(async () => {
  server = await startTestServer()
  await storeScreen(server.url, server.adminKey, SCREEN)
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe('source-status', () => {
  test('polls the sources every 5 s and shows each one’s state, lag and rows', async () => {
    const page = await browser.context.newPage()
    await page.setViewportSize({ width: 1920, height: 1080 })
    let reads = 0
    let body: unknown = {
      sources: [
        source('erpnext-main', 'erpnext', 'running', 1200, 120_450, 12),
        source('odoo-east', 'odoo', 'failing', 540_000, 5000, 0, { message: 'connect ECONNREFUSED 10.0.0.5:5432', at: new Date().toISOString() }),
        source('jsh-stores', 'jsherp', 'backfilling', 3 * 86_400_000, 200_000),
        source('old-pos', 'jsherp', 'paused', null, 0),
      ],
    }
    let status = 200
    await page.route('**/api/v1/sources', (route) => {
      reads++
      return route.fulfill({
        status,
        contentType: 'application/json',
        body: JSON.stringify(status === 200 ? body : { error: 'COCKPIT_ERR_UNAVAILABLE', message: 'Redis is unreachable' }),
      })
    })
    await page.goto(`${server.url}/wall/${SCREEN.id}`)
    const rows = page.locator('[data-testid="source-row"]')
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(4)
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-state')))).toEqual(['failing', 'backfilling', 'paused', 'running'])
    await expect.poll(() => page.locator('[data-instance="sources"] .fresh').textContent()).toMatch(/更新 \d\d:\d\d:\d\d/)
    const widget = page.locator('[data-instance="sources"]')
    await page.waitForTimeout(300)
    await screenshot(page, 'source-status-wall')
    // the docs picture (docs/images/widget-source-status.png is this file)
    await widget.screenshot({ path: join(ARTIFACTS, 'widget-source-status.png') })

    // a changed answer shows at the next read, 5 s later
    const first = reads
    body = { sources: [source('erpnext-main', 'erpnext', 'running', 800, 130_000)] }
    await expect.poll(() => rows.count(), { timeout: 8000 }).toBe(1)
    expect(reads).toBe(first + 1)
    // a failed read keeps the rows and says why
    status = 503
    await expect.poll(() => page.locator('[data-testid="source-error"]').textContent(), { timeout: 8000 }).toContain('COCKPIT_ERR_UNAVAILABLE')
    expect(await rows.count()).toBe(1)
    await page.close()
  })
})
