/**
 * Linked widgets (联动) in Chromium against the real server, on the retail wall template: a click
 * on a category's bar filters the SKU ranking, the trend and the KPIs to that category (figures
 * compared to the sums of the movements sent), shows a chip and puts the filter in the URL; the
 * widgets that cannot take it say so; reload keeps it; a second click on the same bar and the
 * chip's × clear it. On a touch tablet a tap does the same and the chip opens the drill-down; a
 * screen with linking off ignores clicks; a click in the editor's preview links its canvas.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { chromium } from 'playwright-core'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Query, QueryResult } from '../../protocol/query.ts'
import { retailTemplate } from '../../widgets/templates/retail.ts'
import { CHROMIUM, launchChromium, screenshot } from '../helpers/chromium.ts'
import type { Browser } from '../helpers/chromium.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { call, cst, kpiText, storeScreen } from './wall-support.ts'

let server: TestServer
let browser: Browser

/** today's sales and receipts by category: the figures a filtered wall must show */
const DRINKS = { revenue: 30 * 3.5 + 10 * 8, receipts: 10 * 2, skus: { 矿泉水: '¥105', 橙汁: '¥80' } }
const SNACKS = { revenue: 50 * 6 + 5 * 12, receipts: 20 * 3 }

beforeAll(async () => {
  server = await startTestServer()
  const base = server.url
  await call(
    base,
    '/api/v1/master/skus',
    [
      { code: 'D1', name: '矿泉水 550ml', category: 'drinks', safetyStock: 10 },
      { code: 'D2', name: '橙汁 1L', category: 'drinks', safetyStock: 10 },
      { code: 'S1', name: '薯片 70g', category: 'snacks', safetyStock: 10 },
      // below its safety stock: the alert list names the warehouse
      { code: 'S2', name: '坚果礼盒', category: 'snacks', safetyStock: 600 },
    ],
    server.adminKey,
    'PUT',
  )
  await call(
    base,
    '/api/v1/master/categories',
    [
      { code: 'drinks', name: '饮料', nameEn: 'Drinks' },
      { code: 'snacks', name: '零食', nameEn: 'Snacks' },
    ],
    server.adminKey,
    'PUT',
  )
  await call(base, '/api/v1/master/warehouses', [{ code: 'W1', name: '上海中心仓', region: '华东' }], server.adminKey, 'PUT')
  const now = Date.now()
  const earlier = now - 3 * 86_400_000
  const at = cst(now - 60_000)
  const line = (type: string, sku: string, qty: number, price: Record<string, number>, extra: Record<string, unknown> = {}) => ({
    id: randomUUID(),
    type,
    occurredAt: at,
    sku,
    warehouse: 'W1',
    qty,
    ...price,
    ...extra,
  })
  await call(
    base,
    '/api/v1/movements',
    [
      // opening stock, days ago
      ...['D1', 'D2', 'S1', 'S2'].map((sku) => ({ id: randomUUID(), type: 'purchase_receipt', occurredAt: cst(earlier), sku, warehouse: 'W1', qty: 500, unitCost: 2 })),
      // today: drinks 185 of sales and 20 of receipts; snacks 360 and 60
      line('sales_shipment', 'D1', 30, { unitPrice: 3.5 }, { channel: 'pos' }),
      line('sales_shipment', 'D2', 10, { unitPrice: 8 }, { channel: 'online' }),
      line('sales_shipment', 'S1', 50, { unitPrice: 6 }, { channel: 'pos' }),
      line('sales_shipment', 'S2', 5, { unitPrice: 12 }, { channel: 'online' }),
      line('purchase_receipt', 'D1', 10, { unitCost: 2 }),
      line('purchase_receipt', 'S1', 20, { unitCost: 3 }),
    ],
    server.ingestKey,
  )
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

/** Subscriptions the page holds and their latest results, read off its Socket.IO frames. */
function recordResults(page: Page): { latest(match: (q: Query) => boolean): QueryResult | undefined } {
  const asked = new Map<string, Query>()
  const bySubscription = new Map<string, { query: Query; result: QueryResult }>()
  page.on('websocket', (ws) => {
    ws.on('framesent', (frame) => {
      const m = /^42(\d+)(\[.*)$/s.exec(String(frame.payload))
      if (!m) return
      const [event, query] = JSON.parse(m[2]!) as [string, Query]
      if (event === 'subscribe') asked.set(m[1]!, query)
    })
    ws.on('framereceived', (frame) => {
      const text = String(frame.payload)
      const ack = /^43(\d+)(\[.*)$/s.exec(text)
      if (ack) {
        const [body] = JSON.parse(ack[2]!) as [{ ok: boolean; subscription: string; result: QueryResult }]
        const query = asked.get(ack[1]!)
        if (query && body.ok) bySubscription.set(body.subscription, { query, result: body.result })
        return
      }
      const update = /^42(\[.*)$/s.exec(text)
      if (!update) return
      const [event, message] = JSON.parse(update[1]!) as [string, { subscription: string; result: QueryResult }]
      const known = bySubscription.get(message?.subscription)
      if (event === 'update' && known) known.result = message.result
    })
  })
  return {
    latest(match) {
      let found: QueryResult | undefined
      for (const { query, result } of bySubscription.values()) if (match(query)) found = result
      return found
    },
  }
}

const sum = (r: QueryResult | undefined) => (r?.series ?? []).reduce((s, p) => s + (p.value ?? 0), 0)
const isTrend = (metric: string, category?: string) => (q: Query) =>
  q.metric === metric && q.interval === 'hour' && q.window === 'today' && JSON.stringify(q.filter ?? null) === JSON.stringify(category ? { category } : null)

const rankingTexts = (page: Page) => page.locator('[data-instance="top-skus"] svg text').allTextContents()
const chips = (page: Page) => page.locator('[data-testid="link-chip"] .text').allTextContents()

/** clicks the column of a category in the margin-by-category chart (just above its axis label) */
async function clickCategory(page: Page, name: string, how: 'click' | 'tap' = 'click'): Promise<void> {
  const label = page.locator('[data-instance="category-margin"] svg text', { hasText: name }).first()
  await expect.poll(() => label.count(), { timeout: 10_000 }).toBe(1)
  await page.waitForTimeout(700) // the columns' entry animation
  const box = (await label.boundingBox())!
  const x = box.x + box.width / 2
  const y = box.y - 14
  if (how === 'tap') await page.touchscreen.tap(x, y)
  else await page.mouse.click(x, y)
}

describe('linked widgets on the retail wall', () => {
  test('a category click filters the ranking, the trend and the KPIs; chip, URL, reload, clear', async () => {
    const page = await browser.context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    const results = recordResults(page)
    await page.setViewportSize({ width: 1920, height: 1080 })
    await page.goto(`${server.url}/wall/retail`)
    const whole = DRINKS.revenue + SNACKS.revenue
    await expect.poll(() => kpiText(page), { timeout: 10_000 }).toBe(`¥${whole}`)
    await expect.poll(() => rankingTexts(page), { timeout: 10_000 }).toContain('薯片 70g')

    await clickCategory(page, '饮料')
    await expect.poll(() => new URL(page.url()).searchParams.get('f.category'), { timeout: 5000 }).toBe('drinks')
    await expect.poll(() => chips(page)).toEqual(['品类: 饮料'])
    // the KPI and the SKU ranking show only the category's figures
    await expect.poll(() => kpiText(page), { timeout: 10_000 }).toBe(`¥${DRINKS.revenue}`)
    await expect.poll(() => rankingTexts(page), { timeout: 10_000 }).toEqual(expect.arrayContaining(['矿泉水 550ml', '橙汁 1L', DRINKS.skus.矿泉水, DRINKS.skus.橙汁]))
    expect((await rankingTexts(page)).some((t) => t.includes('薯片') || t.includes('坚果'))).toBe(false)
    // the trend's two series are the category's: sales and receipts summed over today's hours
    await expect.poll(() => sum(results.latest(isTrend('sales.revenue', 'drinks'))), { timeout: 10_000 }).toBe(DRINKS.revenue)
    await expect.poll(() => sum(results.latest(isTrend('purchase.receiptAmount', 'drinks'))), { timeout: 10_000 }).toBe(DRINKS.receipts)
    // (unfiltered, the same trend sums both categories)
    expect(sum(results.latest(isTrend('sales.revenue')))).toBe(whole)
    expect(await page.locator('[data-instance="sales-vs-purchases"]').getAttribute('data-link-states')).toBe('{"category":"filtered"}')
    // the category chart keeps both categories, the picked one selected; the channel donut and cash cannot follow
    expect(await page.locator('[data-instance="category-margin"]').getAttribute('data-link-states')).toBe('{"category":"selected"}')
    for (const id of ['channels', 'cash', 'transfers']) {
      await expect.poll(() => page.locator(`[data-instance="${id}"] [data-testid="link-unfiltered"]`).count()).toBe(1)
    }
    expect(await page.locator('[data-instance="top-skus"] [data-testid="link-unfiltered"]').count()).toBe(0)
    await screenshot(page, 'linked-wall-1080')

    // a reload keeps the filter, and the chip names the category again (from the results)
    await page.reload()
    await expect.poll(() => kpiText(page), { timeout: 10_000 }).toBe(`¥${DRINKS.revenue}`)
    await expect.poll(() => chips(page), { timeout: 10_000 }).toEqual(['品类: 饮料'])

    // the same column again clears it
    await clickCategory(page, '饮料')
    await expect.poll(() => new URL(page.url()).searchParams.has('f.category'), { timeout: 5000 }).toBe(false)
    await expect.poll(() => kpiText(page), { timeout: 10_000 }).toBe(`¥${whole}`)
    expect(await chips(page)).toEqual([])

    // another category, then the chip's ×
    await clickCategory(page, '零食')
    await expect.poll(() => kpiText(page), { timeout: 10_000 }).toBe(`¥${SNACKS.revenue}`)
    await expect.poll(() => sum(results.latest(isTrend('sales.revenue', 'snacks'))), { timeout: 10_000 }).toBe(SNACKS.revenue)
    await page.locator('[data-testid="link-clear"]').click()
    await expect.poll(() => new URL(page.url()).searchParams.has('f.category'), { timeout: 5000 }).toBe(false)
    await expect.poll(() => kpiText(page), { timeout: 10_000 }).toBe(`¥${whole}`)
    await expect.poll(() => rankingTexts(page), { timeout: 10_000 }).toContain('薯片 70g')
    await expect.poll(() => page.locator('[data-testid="link-unfiltered"]').count()).toBe(0)
    expect(errors).toEqual([])
    await page.close()
  })

  test('filters on two dimensions combine from a shared URL: the stock lists take both, the KPIs the first', async () => {
    const page = await browser.context.newPage()
    await page.setViewportSize({ width: 1920, height: 1080 })
    await page.goto(`${server.url}/wall/retail?f.category=snacks&f.warehouse=W1&lang=en`)
    await expect.poll(() => chips(page), { timeout: 10_000 }).toEqual(['Category: Snacks', 'Warehouse: 上海中心仓'])
    expect(await page.locator('[data-testid="link-clear-all"]').count()).toBe(1)
    await expect.poll(() => kpiText(page), { timeout: 10_000 }).toBe(`¥${SNACKS.revenue}`)
    expect(await page.locator('[data-instance="alerts"]').getAttribute('data-link-states')).toBe('{"category":"filtered","warehouse":"filtered"}')
    expect(await page.locator('[data-instance="revenue"]').getAttribute('data-link-states')).toBe('{"category":"filtered","warehouse":"unfiltered"}')
    expect(await page.locator('[data-instance="revenue"] [data-testid="link-unfiltered"]').getAttribute('title')).toBe(
      'This widget cannot be filtered by Warehouse: it shows every one',
    )
    await page.locator('[data-testid="link-clear-all"]').click()
    await expect.poll(() => chips(page)).toEqual([])
    expect(new URL(page.url()).searchParams.get('lang')).toBe('en')
    await page.close()
  })

  test('a screen with linking off ignores clicks; a filter in its URL still applies', async () => {
    await storeScreen(server.url, server.adminKey, { ...retailTemplate, id: 'retail-nolink', linking: false })
    const page = await browser.context.newPage()
    await page.setViewportSize({ width: 1920, height: 1080 })
    // (the language is remembered from the test before: back to Chinese)
    await page.goto(`${server.url}/wall/retail-nolink?lang=zh-CN`)
    await expect.poll(() => kpiText(page), { timeout: 10_000 }).toBe(`¥${DRINKS.revenue + SNACKS.revenue}`)
    await clickCategory(page, '饮料')
    await page.waitForTimeout(500)
    expect(new URL(page.url()).searchParams.has('f.category')).toBe(false)
    expect(await chips(page)).toEqual([])
    await page.goto(`${server.url}/wall/retail-nolink?lang=zh-CN&f.category=drinks`)
    await expect.poll(() => kpiText(page), { timeout: 10_000 }).toBe(`¥${DRINKS.revenue}`)
    await page.close()
  })
})

describe('linked widgets in the editor', () => {
  test('a click in the preview of the selected widget filters the canvas; the chip clears it', async () => {
    const page = await browser.context.newPage()
    await page.setViewportSize({ width: 1600, height: 1000 })
    await page.goto(`${server.url}/editor/retail?lang=zh-CN`)
    const canvasKpi = () => page.locator('[data-item="revenue"] [data-testid="kpi-value"] [data-value]').first().getAttribute('data-value')
    await expect.poll(canvasKpi, { timeout: 10_000 }).toBe(`¥${DRINKS.revenue + SNACKS.revenue}`)
    await page.locator('[data-item="category-margin"] .hit').click()
    const preview = page.locator('[data-testid="preview"]')
    await expect.poll(() => preview.count(), { timeout: 5000 }).toBe(1)
    const label = preview.locator('svg text', { hasText: '饮料' }).first()
    await expect.poll(() => label.count(), { timeout: 10_000 }).toBe(1)
    await page.waitForTimeout(700)
    const box = (await label.boundingBox())!
    await page.mouse.click(box.x + box.width / 2, box.y - 6)
    await expect.poll(() => new URL(page.url()).searchParams.get('f.category'), { timeout: 5000 }).toBe('drinks')
    await expect.poll(() => chips(page)).toEqual(['品类: 饮料'])
    await expect.poll(canvasKpi, { timeout: 10_000 }).toBe(`¥${DRINKS.revenue}`)
    await screenshot(page, 'linked-editor')
    await page.locator('[data-testid="link-clear"]').click()
    await expect.poll(canvasKpi, { timeout: 10_000 }).toBe(`¥${DRINKS.revenue + SNACKS.revenue}`)
    await page.close()
  })
})

describe('linked widgets on a touch tablet', () => {
  let touch: BrowserContext
  let profile: string
  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), 'cockpit-touch-'))
    touch = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1180, height: 820 },
      hasTouch: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    })
  })
  afterAll(async () => {
    await touch?.close()
    if (profile) rmSync(profile, { recursive: true, force: true })
  })

  test('a tap links the tablet; the chip opens the drill-down and back returns to the linked view', async () => {
    const page = await touch.newPage()
    await page.goto(`${server.url}/tablet/retail`)
    const kpi = () => page.locator('[data-instance="revenue"] [data-testid="kpi-value"] [data-value]').first().getAttribute('data-value')
    await expect.poll(kpi, { timeout: 10_000 }).toBe(`¥${DRINKS.revenue + SNACKS.revenue}`)
    await page.locator('[data-cell="category-margin"]').scrollIntoViewIfNeeded()
    await clickCategory(page, '饮料', 'tap')
    await expect.poll(() => new URL(page.url()).searchParams.get('f.category'), { timeout: 5000 }).toBe('drinks')
    await expect.poll(() => chips(page)).toEqual(['品类: 饮料'])
    await page.locator('.content').evaluate((el) => el.scrollTo({ top: 0 }))
    await expect.poll(kpi, { timeout: 10_000 }).toBe(`¥${DRINKS.revenue}`)
    await page.waitForTimeout(800) // the charts' update animation
    await screenshot(page, 'linked-tablet-1180')

    await page.locator('[data-testid="link-details"]').tap()
    await expect.poll(() => page.locator('[data-drill="category"]').getAttribute('data-key'), { timeout: 5000 }).toBe('drinks')
    await page.locator('[data-testid="drill-back"]').tap()
    await expect.poll(() => page.locator('[data-drill]').count()).toBe(0)
    expect(new URL(page.url()).searchParams.get('f.category')).toBe('drinks')
    await expect.poll(kpi, { timeout: 10_000 }).toBe(`¥${DRINKS.revenue}`)
    await page.close()
  })
})
