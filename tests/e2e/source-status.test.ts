/**
 * Seeing sources work in Chromium against the real server and a real ERPNext-shaped MariaDB
 * database (tests/helpers/erpnext-db.ts), nothing mocked:
 * - `/sources` shows the source running with the rows it read and applied, at 1920×1080 and on a
 *   tablet; the administrator signs in with the admin key, pauses it and resumes it, and a row the
 *   mapping could not take is listed with its reason;
 * - a wall with the source-status widget and a figure: a second source whose database URL points
 *   to a closed port shows failing in the widget, and once it has failed for
 *   COCKPIT_SOURCE_STALE_MS (2 s here) the figure is marked stale, naming the source.
 * Screenshots go to tests/artifacts (the docs' widget picture is widget-source-status.png).
 */
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { ScreenDefinition } from '../../protocol/screen.ts'
import { ARTIFACTS, launchChromium, screenshot } from '../helpers/chromium.ts'
import type { Browser } from '../helpers/chromium.ts'
import { ErpnextWriter, createErpnextDb, shanghaiDate } from '../helpers/erpnext-db.ts'
import type { ErpDb } from '../helpers/erpnext-db.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { storeScreen } from './wall-support.ts'

const tag = randomUUID().slice(0, 8).toUpperCase()
const ENV = `TEST_E2E_ERPNEXT_URL_${tag}`
const DOWN_ENV = `TEST_E2E_DOWN_URL_${tag}`
const STORES = 'Stores - TC'
/** longer than any cockpit code: the mapping's movement is refused with its reason */
const LONG_ITEM = `ITEM-${'X'.repeat(70)}`

let db: ErpDb
let server: TestServer
let browser: Browser

const SCREEN: ScreenDefinition = {
  id: 'ops-sources',
  title: '数据接入监控',
  design: { width: 1920, height: 1080 },
  theme: 'dark',
  grid: { columns: 12, rows: 12 },
  widgets: [
    { id: 'sources', widget: 'source-status', options: { everySeconds: 5, limit: 12 }, x: 0, y: 0, w: 5, h: 6 },
    { id: 'revenue', widget: 'kpi-card', options: { metric: 'sales.revenue', window: 'P7D', compare: false, sparkline: false }, x: 5, y: 0, w: 4, h: 3 },
  ],
}

const admin = () => ({ authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' })
async function put(id: string, body: unknown): Promise<void> {
  const res = await fetch(`${server.url}/api/v1/sources/${id}`, { method: 'PUT', headers: admin(), body: JSON.stringify(body) })
  expect(res.status, await res.text()).toBe(200)
}

beforeAll(async () => {
  db = await createErpnextDb()
  const erp = new ErpnextWriter(db)
  await erp.master([{ code: 'ITEM-A', group: 'Raw Material' }], [STORES], ['CUST-1'], ['SUP-1'])
  await erp.receipt('MAT-PRE-0001', 'SUP-1', shanghaiDate(-3), '09:15:00', [{ item: 'ITEM-A', wh: STORES, qty: 100, rate: 10 }])
  await erp.delivery('MAT-DN-0001', 'CUST-1', shanghaiDate(-2), '10:00:00', [{ item: 'ITEM-A', wh: STORES, qty: 30, rate: 25 }])
  await erp.receipt('MAT-PRE-0009', 'SUP-1', shanghaiDate(-1), '17:00:00', [{ item: LONG_ITEM, wh: STORES, qty: 1, rate: 1 }])
  process.env[ENV] = db.url
  process.env[DOWN_ENV] = `mysql://cockpit:Pw-${tag}@127.0.0.1:1/erp`
  server = await startTestServer({ COCKPIT_SOURCES: 'on', COCKPIT_SOURCE_STALE_MS: '2000' })
  await put('erpnext-main', {
    id: 'erpnext-main',
    title: 'ERPNext 总部',
    kind: 'erpnext',
    connectionEnv: ENV,
    schedule: { pollIntervalMs: 200, settleMs: 0 },
    backfill: { since: shanghaiDate(-10) },
  })
  await storeScreen(server.url, server.adminKey, SCREEN)
  browser = await launchChromium()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await db?.drop()
  delete process.env[ENV]
  delete process.env[DOWN_ENV]
}, 60_000)

describe('seeing sources work', () => {
  test('/sources shows the source running with its rows; the administrator pauses and resumes it', async () => {
    const page = await browser.context.newPage()
    await page.setViewportSize({ width: 1920, height: 1080 })
    await page.goto(`${server.url}/sources`)
    const card = page.locator('[data-testid="source-card"][data-source="erpnext-main"]')
    await expect.poll(() => card.getAttribute('data-state'), { timeout: 15_000 }).toBe('running')
    // receipt, delivery (and their ledger entries), master data: read and applied; the long item refused
    await expect.poll(async () => Number(await card.locator('[data-testid="source-applied"]').getAttribute('data-value')), { timeout: 10_000 }).toBeGreaterThanOrEqual(2)
    expect(Number(await card.locator('[data-testid="source-read"]').getAttribute('data-value'))).toBeGreaterThanOrEqual(3)
    expect(Number(await card.locator('[data-testid="source-rejected"]').getAttribute('data-value'))).toBe(1)
    await expect.poll(() => card.locator('[data-testid="source-reject"]').count()).toBe(1)
    expect(await card.locator('[data-testid="source-reject"]').textContent()).toMatch(/sku must not have more than 64 characters/i)
    expect(await card.locator('[data-testid="source-lag"]').textContent()).toMatch(/^\d+(\.\d)? s$/)
    expect(await card.locator('[data-testid="source-backfill"]').textContent()).toContain(shanghaiDate(-10))
    expect(await card.locator('[data-testid="source-state"]').textContent()).toBe('运行中')
    // no buttons before signing in
    expect(await card.locator('[data-testid="source-actions"]').count()).toBe(0)

    await page.locator('[data-testid="sources-sign-in"] input[name="key"]').fill(server.adminKey)
    await page.locator('[data-testid="sources-sign-in"] button[type="submit"]').click()
    await card.locator('[data-testid="source-pause"]').click()
    await expect.poll(() => card.getAttribute('data-state'), { timeout: 10_000 }).toBe('paused')
    await expect.poll(() => page.locator('[data-testid="sources-notice"]').textContent()).toContain('erpnext-main')
    const stored = (await (await fetch(`${server.url}/api/v1/sources/erpnext-main`, { headers: admin() })).json()) as { source: { paused?: boolean } }
    expect(stored.source.paused).toBe(true)
    await page.waitForTimeout(300)
    await screenshot(page, 'sources-page-paused-1920')

    await card.locator('[data-testid="source-resume"]').click()
    await expect.poll(() => card.getAttribute('data-state'), { timeout: 15_000 }).toBe('running')
    await page.waitForTimeout(300)
    await screenshot(page, 'sources-page-1920')

    // a tablet, in English
    await page.setViewportSize({ width: 820, height: 1180 })
    await page.locator('button.lang').click()
    await expect.poll(() => card.locator('[data-testid="source-state"]').textContent()).toBe('Running')
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    expect(overflow).toBeLessThanOrEqual(0)
    await page.waitForTimeout(300)
    await screenshot(page, 'sources-page-tablet-820')
    await page.close()
  })

  test('a wall: the widget shows a failing source, and after the threshold the figure is marked stale naming it', async () => {
    const page = await browser.context.newPage()
    await page.setViewportSize({ width: 1920, height: 1080 })
    // in Chinese (the sources page was left in English)
    await page.goto(`${server.url}/wall/${SCREEN.id}?lang=zh-CN`)
    const revenue = page.locator('[data-instance="revenue"]')
    const rows = page.locator('[data-instance="sources"] [data-testid="source-row"]')
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(1)
    await expect.poll(() => revenue.locator('.fresh').textContent(), { timeout: 10_000 }).toMatch(/更新 \d\d:\d\d:\d\d/)
    expect(await revenue.getAttribute('data-stale')).toBe('false')

    await put('erp-down', { id: 'erp-down', title: '金蝶分厂', kind: 'erpnext', connectionEnv: DOWN_ENV, schedule: { pollIntervalMs: 200 } })
    // the widget polls every 5 s: the failing source comes first
    await expect.poll(() => rows.first().getAttribute('data-state'), { timeout: 15_000 }).toBe('failing')
    expect(await rows.first().textContent()).toContain('金蝶分厂')
    expect(await rows.first().locator('.error').textContent()).toContain('ECONNREFUSED')
    await expect.poll(() => revenue.getAttribute('data-stale-sources'), { timeout: 10_000 }).toBe('erp-down')
    expect(await revenue.getAttribute('data-stale')).toBe('true')
    expect(await revenue.locator('.fresh').textContent()).toBe('数据源故障：金蝶分厂')
    expect(await revenue.locator('.fresh').getAttribute('title')).toMatch(/^数据源 金蝶分厂 自 \d\d:\d\d:\d\d 起读取失败/)
    // the source-status widget shows the failure itself: it is not dimmed for it
    expect(await page.locator('[data-instance="sources"]').getAttribute('data-stale')).toBe('false')
    await page.waitForTimeout(800)
    await screenshot(page, 'source-stale-wall-1920')
    // the docs picture (docs/images/widget-source-status.png is this file)
    await page.locator('[data-instance="sources"]').screenshot({ path: join(ARTIFACTS, 'widget-source-status.png') })

    // the sources page says the same, with the error and since when
    const sources = await browser.context.newPage()
    await sources.setViewportSize({ width: 1920, height: 1080 })
    await sources.goto(`${server.url}/sources?lang=zh-CN`)
    const down = sources.locator('[data-testid="source-card"][data-source="erp-down"]')
    await expect.poll(() => down.getAttribute('data-state'), { timeout: 10_000 }).toBe('failing')
    expect(await sources.locator('[data-testid="source-card"]').first().getAttribute('data-source')).toBe('erp-down')
    expect(await down.locator('[data-testid="source-last-error"]').textContent()).toContain('ECONNREFUSED')
    expect(await down.locator('.failing-since').textContent()).toMatch(/自 \d\d:\d\d:\d\d · 连续失败 \d+ 次/)
    await sources.waitForTimeout(300)
    await screenshot(sources, 'sources-page-failing-1920')
    await sources.close()

    // the executive tablet says the same
    const tablet = await browser.context.newPage()
    await tablet.setViewportSize({ width: 820, height: 1180 })
    await tablet.goto(`${server.url}/tablet/${SCREEN.id}?lang=zh-CN`)
    const tabletRevenue = tablet.locator('[data-instance="revenue"]')
    await expect.poll(() => tabletRevenue.getAttribute('data-stale-sources'), { timeout: 10_000 }).toBe('erp-down')
    expect(await tabletRevenue.locator('.fresh').textContent()).toBe('数据源故障：金蝶分厂')
    await tablet.waitForTimeout(500)
    await screenshot(tablet, 'source-stale-tablet-820')
    await tablet.close()

    // a wall opened now learns it from the event of its connection (the list does not change again)
    await page.reload()
    await expect.poll(() => revenue.getAttribute('data-stale-sources'), { timeout: 8000 }).toBe('erp-down')
    expect(await revenue.locator('.fresh').textContent()).toBe('数据源故障：金蝶分厂')

    // paused, nothing fails any more: the figure is live again
    const res = await fetch(`${server.url}/api/v1/sources/erp-down/pause`, { method: 'POST', headers: { authorization: `Bearer ${server.adminKey}` } })
    expect(res.status).toBe(200)
    await expect.poll(() => revenue.getAttribute('data-stale'), { timeout: 10_000 }).toBe('false')
    expect(await revenue.getAttribute('data-stale-sources')).toBeNull()
    await page.close()
  })
})
