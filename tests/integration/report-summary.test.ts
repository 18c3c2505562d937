/**
 * The one-line KPI summary that goes with a scheduled report (server/reports/summary.ts through
 * `fastify.snapshots.summarize`): each KPI card and gauge of a stored screen, in reading order,
 * with the figure and its change as the screen formats them, in either language; other widgets
 * are not named, and a screen without headline figures gives ''.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { ScreenDefinition } from '../../protocol/screen.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

let server: TestServer

const cst = (ms: number) => `${new Date(ms + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`
const HOUR = 3600_000

function screen(widgets: ScreenDefinition['widgets']): ScreenDefinition {
  return { id: 'sum', title: 'Summary', design: { width: 1920, height: 1080 }, theme: 'dark', grid: { columns: 12, rows: 12 }, widgets }
}

async function put(def: ScreenDefinition): Promise<void> {
  const current = await server.app.screens.get(def.id)
  const res = await server.app.inject({
    method: 'PUT',
    url: `/api/v1/screens/${def.id}`,
    headers: { authorization: `Bearer ${server.adminKey}` },
    payload: { ...def, version: current?.version ?? 0 },
  })
  expect(res.statusCode, res.body).toBe(200)
}

beforeAll(async () => {
  server = await startTestServer({ COCKPIT_SCREEN_DIR: '/nonexistent' })
  const now = Date.now()
  // the last 7 days: revenue 105 + 4,200 = 4,305 at cost 2 and 20; the 7 days before: 140
  const movements = [
    { id: randomUUID(), type: 'purchase_receipt', occurredAt: cst(now - 20 * 24 * HOUR), sku: 'A1', warehouse: 'W1', qty: 1000, unitCost: 2 },
    { id: randomUUID(), type: 'purchase_receipt', occurredAt: cst(now - 20 * 24 * HOUR), sku: 'B2', warehouse: 'W1', qty: 600, unitCost: 20 },
    { id: randomUUID(), type: 'sales_shipment', occurredAt: cst(now - 8 * 24 * HOUR), sku: 'A1', warehouse: 'W1', qty: 40, unitPrice: 3.5 },
    { id: randomUUID(), type: 'sales_shipment', occurredAt: cst(now - HOUR), sku: 'A1', warehouse: 'W1', qty: 30, unitPrice: 3.5 },
    { id: randomUUID(), type: 'sales_shipment', occurredAt: cst(now - HOUR), sku: 'B2', warehouse: 'W1', qty: 120, unitPrice: 35 },
  ]
  const res = await server.app.inject({ method: 'POST', url: '/api/v1/movements', headers: { authorization: `Bearer ${server.ingestKey}` }, payload: movements })
  expect(res.statusCode, res.body).toBe(200)
})

afterAll(async () => {
  await server?.close()
})

describe('summarize', () => {
  test('KPI cards and gauges in reading order, figures and changes as the screen shows them', async () => {
    await put(
      screen([
        // listed out of order: the summary reads the layout (y, then x)
        { id: 'margin', widget: 'gauge', options: { metric: 'sales.grossMargin', window: 'P7D', compare: false }, x: 3, y: 0, w: 3, h: 2 },
        { id: 'trend', widget: 'trend-line', options: { metrics: ['sales.revenue'], window: 'P7D', interval: 'day' }, x: 0, y: 2, w: 6, h: 4 },
        {
          id: 'revenue',
          widget: 'kpi-card',
          options: { metric: 'sales.revenue', window: 'P7D', compare: true },
          titles: { 'zh-CN': '七日收入', en: 'Revenue, 7 days' },
          x: 0,
          y: 0,
          w: 3,
          h: 2,
        },
        { id: 'units', widget: 'kpi-card', options: { metric: 'sales.qty', window: 'P7D', compare: false, title: '销量' }, x: 6, y: 0, w: 3, h: 2 },
      ]),
    )
    // margin: (4,305 − 30×2 − 120×20) / 4,305 = 1,845 / 4,305 = 42.9 %; revenue 4,305 vs 140: ▲ 2,975 % → "▲ 2,975%"
    expect(await server.app.snapshots.summarize('sum')).toBe('七日收入 ¥4,305（▲ 2,975%） · 毛利率 42.9% · 销量 150')
    expect(await server.app.snapshots.summarize('sum', 'en')).toBe('Revenue, 7 days ¥4.31K (▲ 2,975%) · Gross margin 42.9% · 销量 150')
  })

  test('a screen without KPI cards or gauges gives an empty line; unknown screens and languages are refused', async () => {
    await put(screen([{ id: 'trend', widget: 'trend-line', options: { metrics: ['sales.revenue'], window: 'P7D', interval: 'day' }, x: 0, y: 0, w: 6, h: 4 }]))
    expect(await server.app.snapshots.summarize('sum')).toBe('')
    await expect(server.app.snapshots.summarize('nope')).rejects.toMatchObject({ code: 'COCKPIT_ERR_SCREEN_NOT_FOUND' })
    await expect(server.app.snapshots.summarize('sum', 'fr')).rejects.toMatchObject({ code: 'COCKPIT_ERR_INVALID_SNAPSHOT' })
  })
})
