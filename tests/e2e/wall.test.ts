/**
 * The wall in Chromium against the real server and the built screen: the four kinds of widget
 * show data, and an ingested shipment changes the revenue KPI within 2 s.
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

const cst = (ms: number) => `${new Date(ms + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`
const now = () => Date.now()

async function post(path: string, body: unknown, key: string, method = 'POST') {
  const res = await fetch(server.url + path, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  expect(res.status, await res.clone().text()).toBe(200)
}

function shipment(sku: string, qty: number, unitPrice: number, at = now()) {
  return { id: randomUUID(), type: 'sales_shipment', occurredAt: cst(at), sku, warehouse: 'W1', qty, unitPrice, partner: 'C1', channel: 'pos' }
}

beforeAll(async () => {
  server = await startTestServer()
  await post(
    '/api/v1/master/skus',
    [
      { code: 'A1', name: '矿泉水 550ml', category: 'drinks', safetyStock: 10 },
      { code: 'B2', name: '洗衣液 2kg', category: 'household', safetyStock: 500 },
    ],
    server.adminKey,
    'PUT',
  )
  await post('/api/v1/master/warehouses', [{ code: 'W1', name: '上海中心仓', region: '华东' }], server.adminKey, 'PUT')
  const yesterday = now() - 24 * 3600_000
  await post(
    '/api/v1/movements',
    [
      { id: randomUUID(), type: 'purchase_receipt', occurredAt: cst(yesterday - 3600_000), sku: 'A1', warehouse: 'W1', qty: 1000, unitCost: 2 },
      { id: randomUUID(), type: 'purchase_receipt', occurredAt: cst(yesterday - 3600_000), sku: 'B2', warehouse: 'W1', qty: 600, unitCost: 20 },
      shipment('A1', 40, 3.5, yesterday),
      shipment('A1', 30, 3.5, now() - 60_000),
      shipment('B2', 120, 35, now() - 60_000),
      { id: randomUUID(), type: 'purchase_receipt', occurredAt: cst(now() - 60_000), sku: 'A1', warehouse: 'W1', qty: 10, unitCost: 2 },
      { id: randomUUID(), type: 'payment_in', occurredAt: cst(now() - 60_000), amount: 500 },
    ],
    server.ingestKey,
  )
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

async function kpiText(page: Page): Promise<string> {
  return (await page.locator('[data-instance="revenue"] [data-testid="kpi-value"]').textContent()) ?? ''
}

describe('the wall', () => {
  test('shows live figures in every widget and reflects a new shipment within 2 s', async () => {
    const page = await browser.context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${server.url}/wall`)
    await expect.poll(() => kpiText(page), { timeout: 10_000 }).toBe('¥4,305')
    await expect.poll(async () => page.locator('[data-widget="stock-alerts"] li').count(), { timeout: 10_000 }).toBeGreaterThan(0)
    expect(await page.locator('[data-widget="stock-alerts"] li').first().textContent()).toContain('洗衣液 2kg')
    for (const widget of ['kpi-card', 'trend-line', 'ranking-bar', 'stock-alerts']) {
      await expect.poll(() => page.locator(`[data-widget="${widget}"] .fresh`).first().textContent()).toMatch(/更新 \d\d:\d\d:\d\d/)
    }
    // charts drew something: canvas charts are not blank, SVG charts (the ranking) hold their bars
    const painted = await page.evaluate(() =>
      [...document.querySelectorAll('[data-widget="trend-line"] canvas')].map((c) => {
        const canvas = c as HTMLCanvasElement
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data
        let lit = 0
        for (let i = 3; i < data.length; i += 4 * 16) if (data[i]! > 0) lit++
        return lit
      }),
    )
    expect(painted.length).toBeGreaterThanOrEqual(1)
    for (const lit of painted) expect(lit).toBeGreaterThan(100)
    expect(await page.locator('[data-widget="ranking-bar"] svg path').count()).toBeGreaterThan(3)
    expect(await page.locator('[data-testid="connection-badge"]').textContent()).toContain('LIVE')
    await screenshot(page, 'wall-1080')

    const before = await kpiText(page)
    const t0 = Date.now()
    await post('/api/v1/movements', [shipment('A1', 2, 100)], server.ingestKey)
    await expect.poll(() => kpiText(page), { timeout: 2000, interval: 50 }).not.toBe(before)
    const elapsed = Date.now() - t0
    expect(await kpiText(page)).toBe('¥4,505')
    expect(elapsed).toBeLessThan(2000)
    expect(errors).toEqual([])
    await page.close()
  })

  test('fits a 4:3 tablet window with letterbox and no scrollbars', async () => {
    const page = await browser.context.newPage()
    await page.setViewportSize({ width: 1024, height: 768 })
    await page.goto(`${server.url}/wall`)
    await expect.poll(() => kpiText(page), { timeout: 10_000 }).toMatch(/^¥/)
    const box = await page.locator('.canvas').boundingBox()
    expect(box!.width).toBeCloseTo(1024, 0)
    expect(box!.y).toBeGreaterThan(0) // letterbox bars above and below
    expect(box!.y * 2 + box!.height).toBeCloseTo(768, 0)
    const scroll = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight])
    expect(scroll).toEqual([1024, 768])
    await screenshot(page, 'wall-1024x768')
    await page.close()
  })
})
