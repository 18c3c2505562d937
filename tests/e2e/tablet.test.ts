/**
 * The executive tablet in Chromium against the real server: a stored screen reflowed at
 * 768×1024 portrait and 1024×768 landscape without horizontal scrolling, the period switcher
 * changing what every widget asks for (and the figures), and drill-down from a category to its
 * SKUs and from a warehouse to its stock alerts (a tap links the screen to the member, its chip
 * opens the drill-down), with the back button and the browser's back.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Page } from 'playwright-core'
import { launchChromium, screenshot } from '../helpers/chromium.ts'
import type { Browser } from '../helpers/chromium.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

let server: TestServer
let browser: Browser

const ZONE_MS = 8 * 3600_000
const cst = (ms: number) => `${new Date(ms + ZONE_MS).toISOString().slice(0, 19)}+08:00`
const dayOf = (ms: number) => new Date(ms + ZONE_MS).toISOString().slice(0, 10)
const now = () => Date.now()
/** noon of yesterday in the business zone: safely inside yesterday whatever the hour */
const yesterdayNoon = () => Date.parse(`${dayOf(now() - 86_400_000)}T12:00:00+08:00`)

async function send(path: string, body: unknown, key: string, method = 'POST') {
  const res = await fetch(server.url + path, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  expect(res.status, await res.clone().text()).toBe(200)
  return res.json()
}

const SCREEN = {
  id: 'tablet-e2e',
  title: '平板测试大屏',
  design: { width: 1920, height: 1080 },
  theme: 'dark',
  fit: 'fit',
  grid: { columns: 12, rows: 12 },
  widgets: [
    { id: 'revenue', widget: 'kpi-card', options: { metric: 'sales.revenue', window: 'today', compare: false, title: '销售收入' }, x: 0, y: 0, w: 3, h: 2 },
    { id: 'qty', widget: 'kpi-card', options: { metric: 'sales.qty', window: 'today', compare: false, title: '销售数量' }, x: 3, y: 0, w: 3, h: 2 },
    { id: 'categories', widget: 'ranking-bar', options: { metric: 'sales.revenue', groupBy: 'category', top: 5, window: 'today', title: '品类销售额' }, x: 0, y: 2, w: 8, h: 5 },
    { id: 'alerts', widget: 'stock-alerts', options: { limit: 20, scrollSeconds: 300, title: '库存预警' }, x: 8, y: 2, w: 4, h: 5 },
    { id: 'trend', widget: 'trend-line', options: { metrics: ['sales.revenue'], window: 'today', interval: 'hour', area: true, title: '销售趋势' }, x: 0, y: 7, w: 12, h: 5 },
  ],
  version: 0,
}

beforeAll(async () => {
  server = await startTestServer()
  await send(
    '/api/v1/master/skus',
    [
      { code: 'A1', name: '矿泉水 550ml', category: 'drinks', safetyStock: 10 },
      { code: 'A2', name: '橙汁 1L', category: 'drinks', safetyStock: 10 },
      { code: 'B2', name: '洗衣液 2kg', category: 'household', safetyStock: 500 },
    ],
    server.adminKey,
    'PUT',
  )
  await send('/api/v1/master/warehouses', [{ code: 'W1', name: '上海中心仓', region: '华东' }], server.adminKey, 'PUT')
  await send(
    '/api/v1/master/categories',
    [
      { code: 'drinks', name: '饮料', nameEn: 'Drinks' },
      { code: 'household', name: '日化', nameEn: 'Household' },
    ],
    server.adminKey,
    'PUT',
  )
  const long = now() - 5 * 86_400_000
  await send(
    '/api/v1/movements',
    [
      { id: randomUUID(), type: 'purchase_receipt', occurredAt: cst(long), sku: 'A1', warehouse: 'W1', qty: 1000, unitCost: 2 },
      { id: randomUUID(), type: 'purchase_receipt', occurredAt: cst(long), sku: 'A2', warehouse: 'W1', qty: 100, unitCost: 5 },
      { id: randomUUID(), type: 'purchase_receipt', occurredAt: cst(long), sku: 'B2', warehouse: 'W1', qty: 600, unitCost: 20 },
      { id: randomUUID(), type: 'sales_shipment', occurredAt: cst(yesterdayNoon()), sku: 'A1', warehouse: 'W1', qty: 40, unitPrice: 3.5 },
      { id: randomUUID(), type: 'sales_shipment', occurredAt: cst(now() - 60_000), sku: 'A1', warehouse: 'W1', qty: 30, unitPrice: 3.5 },
      { id: randomUUID(), type: 'sales_shipment', occurredAt: cst(now() - 60_000), sku: 'A2', warehouse: 'W1', qty: 10, unitPrice: 8 },
      { id: randomUUID(), type: 'sales_shipment', occurredAt: cst(now() - 60_000), sku: 'B2', warehouse: 'W1', qty: 120, unitPrice: 35 },
    ],
    server.ingestKey,
  )
  await send(`/api/v1/screens/${SCREEN.id}`, SCREEN, server.adminKey, 'PUT')
  browser = await launchChromium({ width: 768, height: 1024 })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

/** Every `subscribe` the page sends over Socket.IO, as query objects. */
function recordSubscriptions(page: Page): unknown[] {
  const sent: unknown[] = []
  page.on('websocket', (ws) =>
    ws.on('framesent', (frame) => {
      const text = typeof frame.payload === 'string' ? frame.payload : frame.payload.toString()
      const m = /^42\d*(\[.*)$/s.exec(text)
      if (!m) return
      const [event, query] = JSON.parse(m[1]!) as [string, unknown]
      if (event === 'subscribe') sent.push(query)
    }),
  )
  return sent
}

/** A KPI card's figure (the rolling digits carry the plain text in data-value). */
const kpi = (page: Page, id: string) =>
  page.evaluate((sel) => {
    const el = document.querySelector(sel)
    return el ? (el.querySelector('[data-value]')?.getAttribute('data-value') ?? el.textContent?.trim() ?? null) : null
  }, `[data-instance="${id}"] [data-testid="kpi-value"]`)

async function noHorizontalScroll(page: Page, width: number) {
  const m = await page.evaluate(() => {
    const root = document.querySelector('[data-scroll-root]') as HTMLElement
    const cells = [...document.querySelectorAll('[data-cell]')].map((c) => c.getBoundingClientRect())
    return {
      doc: document.documentElement.scrollWidth,
      root: [root.scrollWidth, root.clientWidth],
      right: Math.max(...cells.map((r) => r.right)),
      left: Math.min(...cells.map((r) => r.left)),
    }
  })
  expect(m.doc).toBe(width)
  expect(m.root[0]).toBeLessThanOrEqual(m.root[1]!)
  expect(m.right).toBeLessThanOrEqual(width)
  expect(m.left).toBeGreaterThanOrEqual(0)
}

describe('the tablet', () => {
  test('portrait 768×1024: two columns, wall reading order, no horizontal scroll, live figures', async () => {
    const page = await browser.context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${server.url}/tablet/${SCREEN.id}`)
    await expect.poll(() => kpi(page, 'revenue'), { timeout: 10_000 }).toBe('¥4,385')
    const columns = Number(await page.locator('[data-columns]').first().getAttribute('data-columns'))
    expect(columns).toBeGreaterThanOrEqual(1)
    expect(columns).toBeLessThanOrEqual(2)
    await noHorizontalScroll(page, 768)
    // reading order of the wall: the two KPIs first, side by side, then the ranking under them
    const box = async (id: string) => (await page.locator(`[data-cell="${id}"]`).boundingBox())!
    const [rev, qty, cat] = [await box('revenue'), await box('qty'), await box('categories')]
    expect(rev.y).toBe(qty.y)
    expect(qty.x).toBeGreaterThan(rev.x)
    expect(cat.y).toBeGreaterThan(rev.y + rev.height - 1)
    // big enough to read and to tap
    expect(rev.height).toBeGreaterThanOrEqual(140)
    expect(cat.height).toBeGreaterThanOrEqual(280)
    for (const b of [rev, qty, cat]) expect(b.width).toBeGreaterThanOrEqual(300)
    expect(await page.locator('[data-period="today"]').getAttribute('aria-pressed')).toBe('true')
    await screenshot(page, 'tablet-768x1024')
    expect(errors).toEqual([])
    await page.close()
  })

  test('landscape 1024×768: three columns side by side, no horizontal scroll', async () => {
    const page = await browser.context.newPage()
    await page.setViewportSize({ width: 1024, height: 768 })
    await page.goto(`${server.url}/tablet/${SCREEN.id}`)
    await expect.poll(() => kpi(page, 'revenue'), { timeout: 10_000 }).toBe('¥4,385')
    const columns = Number(await page.locator('[data-columns]').first().getAttribute('data-columns'))
    expect(columns).toBeGreaterThanOrEqual(2)
    expect(columns).toBeLessThanOrEqual(3)
    await noHorizontalScroll(page, 1024)
    const cat = (await page.locator('[data-cell="categories"]').boundingBox())!
    const alerts = (await page.locator('[data-cell="alerts"]').boundingBox())!
    // the wide ranking takes two of three columns, the alerts sit beside it
    expect(cat.width).toBeGreaterThan(alerts.width * 1.5)
    expect(alerts.y).toBe(cat.y)
    await screenshot(page, 'tablet-1024x768')
    await page.close()
  })

  test('the period switch changes every query and the figures; a custom range asks for whole days', async () => {
    const page = await browser.context.newPage()
    await page.setViewportSize({ width: 1024, height: 768 })
    const sent = recordSubscriptions(page)
    await page.goto(`${server.url}/tablet/${SCREEN.id}`)
    await expect.poll(() => kpi(page, 'revenue'), { timeout: 10_000 }).toBe('¥4,385')

    await page.locator('[data-period="P7D"]').click()
    await expect.poll(() => new URL(page.url()).searchParams.get('period')).toBe('P7D')
    // today's 4,385 plus yesterday's 140
    await expect.poll(() => kpi(page, 'revenue'), { timeout: 10_000 }).toBe('¥4,525')
    await expect.poll(() => kpi(page, 'qty'), { timeout: 10_000 }).toBe('200')
    const weekly = sent.filter((q) => (q as { window?: string }).window === 'P7D') as { metric: string; groupBy?: string }[]
    expect(weekly.map((q) => q.metric)).toEqual(expect.arrayContaining(['sales.revenue', 'sales.qty']))
    expect(weekly.some((q) => q.groupBy === 'category')).toBe(true)
    expect(await page.locator('[data-period="P7D"]').getAttribute('aria-pressed')).toBe('true')

    // custom: yesterday only
    const yesterday = dayOf(yesterdayNoon())
    await page.locator('[data-period="custom"]').click()
    await page.locator('[data-testid="custom-period"] input[name="from"]').fill(yesterday)
    await page.locator('[data-testid="custom-period"] input[name="to"]').fill(yesterday)
    await page.locator('[data-testid="custom-period"] button[type="submit"]').click()
    await expect.poll(() => kpi(page, 'revenue'), { timeout: 10_000 }).toBe('¥140')
    const ranged = sent.find((q) => (q as { from?: string }).from === `${yesterday}T00:00:00+08:00`) as { to?: string; window?: string } | undefined
    expect(ranged?.to).toBe(`${dayOf(Date.parse(`${yesterday}T12:00:00+08:00`) + 86_400_000)}T00:00:00+08:00`)
    expect(ranged?.window).toBeUndefined()
    expect(new URL(page.url()).searchParams.get('from')).toBe(yesterday)

    // reload keeps the period (it lives in the URL)
    await page.reload()
    await expect.poll(() => kpi(page, 'revenue'), { timeout: 10_000 }).toBe('¥140')
    await screenshot(page, 'tablet-custom-period')
    await page.close()
  })

  test('drill-down: a category to its SKUs, a warehouse to its alerts and reorder list, back by button and by browser', async () => {
    const page = await browser.context.newPage()
    await page.setViewportSize({ width: 1024, height: 768 })
    const sent = recordSubscriptions(page)
    await page.goto(`${server.url}/tablet/${SCREEN.id}?period=P7D`)
    await expect.poll(() => kpi(page, 'revenue'), { timeout: 10_000 }).toBe('¥4,525')
    const chart = page.locator('[data-instance="categories"] .widget-body')
    await expect.poll(async () => (await chart.boundingBox())?.height ?? 0).toBeGreaterThan(100)
    // wait until the bars are drawn, then tap the top one: the largest category, household
    await expect.poll(async () => page.locator('[data-instance="categories"] svg path').count(), { timeout: 10_000 }).toBeGreaterThan(2)
    await page.waitForTimeout(800) // the bars' entry animation
    const box = (await chart.boundingBox())!
    // a top 5 gives each bar a fifth of the box, from the top, however many categories there are
    await page.mouse.click(box.x + box.width * 0.55, box.y + 2 + (box.height - 4) / 10)
    // the tap links the screen to the category (a chip); the chip's details open its drill-down
    await expect.poll(() => page.locator('[data-testid="link-chip"]').getAttribute('data-key'), { timeout: 5000 }).toBe('household')
    await page.locator('[data-testid="link-details"]').click()

    await expect.poll(() => page.locator('[data-drill="category"]').getAttribute('data-key'), { timeout: 5000 }).toBe('household')
    expect(new URL(page.url()).searchParams.get('drill')).toBe('category')
    // named from master data, in the tablet's language; the URL keeps both names
    expect(await page.locator('.drill-title').textContent()).toBe('品类 · 日化')
    expect(new URL(page.url()).searchParams.get('labelEn')).toBe('Household')
    // the drill keeps the period and asks for the category's SKUs
    await expect
      .poll(() => sent.some((q) => JSON.stringify(q).includes('"groupBy":"sku"') && JSON.stringify(q).includes('household') && (q as { window?: string }).window === 'P7D'), {
        timeout: 5000,
      })
      .toBe(true)
    await expect.poll(() => kpi(page, 'drill-revenue'), { timeout: 10_000 }).toBe('¥4,200')
    await expect.poll(() => page.locator('[data-instance="drill-skus"] svg text').allTextContents(), { timeout: 10_000 }).toContain('洗衣液 2kg')
    await screenshot(page, 'tablet-drill-category')

    // back button → the overview, still linked to the category; its chip clears it
    await page.locator('[data-testid="drill-back"]').click()
    await expect.poll(() => page.locator('[data-drill]').count()).toBe(0)
    await expect.poll(() => kpi(page, 'revenue'), { timeout: 10_000 }).toBe('¥4,200')
    await page.locator('[data-testid="link-clear"]').click()
    await expect.poll(() => kpi(page, 'revenue'), { timeout: 10_000 }).toBe('¥4,525')
    expect(new URL(page.url()).searchParams.get('period')).toBe('P7D')

    // a warehouse from the alert list → its chip → its alerts; the browser's back returns
    const row = page.locator('[data-instance="alerts"] [data-testid="alert-row"]').first()
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1)
    await row.click()
    await expect.poll(() => page.locator('[data-testid="link-chip"]').getAttribute('data-key'), { timeout: 5000 }).toBe('W1')
    await page.locator('[data-testid="link-details"]').click()
    await expect.poll(() => page.locator('[data-drill="warehouse"]').getAttribute('data-key'), { timeout: 5000 }).toBe('W1')
    await expect.poll(() => page.locator('[data-instance="drill-alerts"] [data-testid="alert-row"]').count(), { timeout: 10_000 }).toBeGreaterThan(0)
    expect(sent.some((q) => (q as { metric?: string }).metric === 'stock.belowSafety' && JSON.stringify(q).includes('"W1"'))).toBe(true)
    // and what to reorder there, beside them
    await expect.poll(() => page.locator('[data-instance="drill-reorder"]').count(), { timeout: 5000 }).toBe(1)
    await expect.poll(() => sent.some((q) => (q as { metric?: string }).metric === 'stock.reorder' && JSON.stringify(q).includes('"W1"')), { timeout: 5000 }).toBe(true)
    await screenshot(page, 'tablet-drill-warehouse')
    await page.goBack()
    await expect.poll(() => page.locator('[data-drill]').count()).toBe(0)
    // the overview linked to the warehouse: all of this screen's sales were there
    expect(new URL(page.url()).searchParams.get('f.warehouse')).toBe('W1')
    await expect.poll(() => kpi(page, 'revenue'), { timeout: 10_000 }).toBe('¥4,525')
    await page.close()
  })

  test('in English, categories and the drill title show their English names; in Chinese their Chinese names', async () => {
    const page = await browser.context.newPage()
    await page.setViewportSize({ width: 1024, height: 768 })
    const bars = page.locator('[data-instance="categories"] svg text')
    await page.goto(`${server.url}/tablet/${SCREEN.id}?lang=en`)
    await expect.poll(() => bars.allTextContents(), { timeout: 10_000 }).toEqual(expect.arrayContaining(['Household', 'Drinks']))
    expect(await bars.allTextContents()).not.toContain('household')
    await page.goto(`${server.url}/tablet/${SCREEN.id}?lang=en&drill=category&key=household&label=${encodeURIComponent('日化')}&labelEn=Household`)
    await expect.poll(() => page.locator('.drill-title').textContent(), { timeout: 5000 }).toBe('Category · Household')
    await page.goto(`${server.url}/tablet/${SCREEN.id}?lang=zh-CN`)
    await expect.poll(() => bars.allTextContents(), { timeout: 10_000 }).toEqual(expect.arrayContaining(['日化', '饮料']))
    await page.close()
  })
})
