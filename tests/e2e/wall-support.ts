/** Shared by the wall's browser tests: master data and movements, test screens, page probes. */
import { randomUUID } from 'node:crypto'
import { expect } from 'vitest'
import type { Page } from 'playwright-core'
import type { ScreenDefinition, StoredScreen } from '../../protocol/screen.ts'

export const cst = (ms: number) => `${new Date(ms + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`

export async function call(base: string, path: string, body: unknown, key: string, method = 'POST'): Promise<Response> {
  const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  expect(res.status, await res.clone().text()).toBeLessThan(300)
  return res
}

export function shipment(sku: string, qty: number, unitPrice: number, at = Date.now(), warehouse = 'W1') {
  return { id: randomUUID(), type: 'sales_shipment', occurredAt: cst(at), sku, warehouse, qty, unitPrice, partner: 'C1', channel: 'pos' }
}

/** Two SKUs and two warehouses; today's revenue 4,305 (W1 2,205 + W2 2,100 … see below). */
export async function seed(base: string, adminKey: string, ingestKey: string): Promise<void> {
  await call(
    base,
    '/api/v1/master/skus',
    [
      { code: 'A1', name: '矿泉水 550ml', category: 'drinks', safetyStock: 10 },
      { code: 'B2', name: '洗衣液 2kg', category: 'household', safetyStock: 500 },
    ],
    adminKey,
    'PUT',
  )
  await call(
    base,
    '/api/v1/master/warehouses',
    [
      { code: 'W1', name: '上海中心仓', region: '华东' },
      { code: 'W2', name: '北京仓', region: '华北' },
    ],
    adminKey,
    'PUT',
  )
  const now = Date.now()
  const yesterday = now - 24 * 3600_000
  await call(
    base,
    '/api/v1/movements',
    [
      { id: randomUUID(), type: 'purchase_receipt', occurredAt: cst(yesterday - 3600_000), sku: 'A1', warehouse: 'W1', qty: 1000, unitCost: 2 },
      { id: randomUUID(), type: 'purchase_receipt', occurredAt: cst(yesterday - 3600_000), sku: 'B2', warehouse: 'W1', qty: 600, unitCost: 20 },
      { id: randomUUID(), type: 'purchase_receipt', occurredAt: cst(yesterday - 3600_000), sku: 'B2', warehouse: 'W2', qty: 600, unitCost: 20 },
      shipment('A1', 40, 3.5, yesterday),
      shipment('A1', 30, 3.5, now - 60_000), // W1: 105
      shipment('B2', 120, 35, now - 60_000, 'W2'), // W2: 4,200
      { id: randomUUID(), type: 'purchase_receipt', occurredAt: cst(now - 60_000), sku: 'A1', warehouse: 'W1', qty: 10, unitCost: 2 },
      { id: randomUUID(), type: 'payment_in', occurredAt: cst(now - 60_000), amount: 500 },
    ],
    ingestKey,
  )
}

/** A small screen for tests: a revenue KPI and a revenue trend chart. */
export function testScreen(id: string, patch: Partial<ScreenDefinition> = {}): ScreenDefinition {
  return {
    id,
    title: `测试屏 ${id}`,
    design: { width: 1920, height: 1080 },
    theme: 'dark',
    fit: 'fit',
    grid: { columns: 4, rows: 4 },
    widgets: [
      { id: 'revenue', widget: 'kpi-card', options: { metric: 'sales.revenue', window: 'today', compare: false, title: `收入 ${id}` }, x: 0, y: 0, w: 2, h: 2 },
      { id: 'trend', widget: 'trend-line', options: { metrics: ['sales.revenue'], window: 'today', interval: 'hour', area: true }, x: 2, y: 0, w: 2, h: 2 },
      { id: 'bottom', widget: 'ranking-bar', options: { metric: 'sales.revenue', groupBy: 'sku', top: 5, window: 'today' }, x: 0, y: 2, w: 4, h: 2 },
    ],
    ...patch,
  }
}

/** Stores a screen through the API (creates it, or replaces the stored version); returns its new version. */
export async function storeScreen(base: string, adminKey: string, screen: ScreenDefinition): Promise<number> {
  const current = await fetch(`${base}/api/v1/screens/${screen.id}`)
  const version = current.ok ? ((await current.json()) as StoredScreen).version : 0
  const res = await call(base, `/api/v1/screens/${screen.id}`, { ...screen, version }, adminKey, 'PUT')
  return ((await res.json()) as StoredScreen).version
}

export async function kpiText(page: Page, instance = 'revenue', scope = '[data-active="true"]'): Promise<string> {
  // the figure rolls digit by digit; its settled text is the `data-value` of the rolling number
  const el = page.locator(`${scope} [data-instance="${instance}"] [data-testid="kpi-value"] [data-value]`).first()
  return (await el.count()) ? ((await el.getAttribute('data-value')) ?? '') : ''
}

/** Backing size of every chart canvas against its CSS size, on the active screen. */
export async function canvasSizes(page: Page): Promise<{ width: number; height: number; cssWidth: number; cssHeight: number }[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="screen"][data-active="true"] [data-widget] canvas')].map((c) => {
      const canvas = c as HTMLCanvasElement
      return { width: canvas.width, height: canvas.height, cssWidth: parseFloat(canvas.style.width), cssHeight: parseFloat(canvas.style.height) }
    }),
  )
}

export async function scrollSize(page: Page): Promise<number[]> {
  return page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight])
}
