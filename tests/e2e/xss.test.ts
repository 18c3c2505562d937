/**
 * Nothing stored runs in a browser (issue #13): master-data names, codes stored before ingest
 * refused `<>`, the screen's title and widget titles, a drill's label from a link, all HTML
 * payloads, on a screen holding every widget type. The wall, the tablet (and a drill) and the
 * embed are opened in Chromium against the real server, every chart is hovered over a grid of
 * points so its tooltips render, and then: no payload ran (`window.__xss`), no element came
 * out of data (`img[src=x]`, `svg[onload]`, inline `<script>`, any `on…` attribute), and the
 * tooltips show the payloads as text. The element checks keep the test meaningful once a
 * Content-Security-Policy would stop inline handlers from running anyway.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Locator, Page } from 'playwright-core'
import type { ScreenDefinition, WidgetInstance } from '../../protocol/screen.ts'
import { COMPONENTS } from '../../widgets/registry.ts'
import { validateMovement } from '../../server/ingest/validate.ts'
import type { NormalizedMovement } from '../../server/ingest/validate.ts'
import { launchChromium, screenshot } from '../helpers/chromium.ts'
import type { Browser } from '../helpers/chromium.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { call, cst, storeScreen } from './wall-support.ts'

const SECRET = `xss-e2e-${randomUUID()}-${randomUUID()}`
/** charts with a tooltip formatter of their own (the others' tooltips are built and escaped by ECharts), hovered at least */
const CHARTS = ['trend-line', 'ranking-bar', 'share-donut', 'margin-by-category', 'transfer-flow', 'stock-ageing']
/** each bumps window.__xss if it ever runs */
const IMG = '<img src=x onerror="window.__xss=(window.__xss||0)+1">'
const SCRIPT = '<script>window.__xss=(window.__xss||0)+1</script>'
const SVG = '"><svg onload="window.__xss=(window.__xss||0)+1">'
/** widget titles are at most 40 characters */
const SHORT = '<img src=x onerror=__xss=1>'
/** the code of a SKU and a channel stored before ingest refused `<>`, without a name: the code is what shows */
const CODE = '<img src=x alt=stored-code onerror=__xss=1>'

let server: TestServer
let browser: Browser

const SCREEN_ID = 'xss'
const t = (title: string) => `${title} ${SHORT}`.slice(0, 40)
const at = (id: string, widget: string, options: Record<string, unknown>, x: number, y: number, w: number, h: number, optionsVersion?: number): WidgetInstance => ({
  id,
  widget,
  options: { ...options, title: t(id) },
  x,
  y,
  w,
  h,
  ...(optionsVersion ? { optionsVersion } : {}),
})

/** one of every widget type, in five bands */
const SCREEN: ScreenDefinition = {
  id: SCREEN_ID,
  title: `XSS ${IMG}`,
  // five bands of 270 px each: the widgets keep the size they have on a 1080 px wall of four bands
  design: { width: 1920, height: 1350 },
  theme: 'dark',
  fit: 'fit',
  grid: { columns: 12, rows: 15 },
  widgets: [
    at('clock', 'title-clock', { heading: SVG, timeZone: 'Asia/Shanghai', showDate: true, showSeconds: true }, 0, 0, 3, 3),
    at('revenue', 'kpi-card', { metric: 'sales.revenue', window: 'today', compare: true, sparkline: true }, 3, 0, 3, 3),
    at('gauge', 'gauge', { metric: 'sales.grossMargin', window: 'today', min: 0, max: 1, warn: 0.2, good: 0.3, higherIsBetter: true, compare: true }, 6, 0, 3, 3),
    at('pipeline', 'purchase-pipeline', { window: 'today' }, 9, 0, 3, 3),
    at('trend', 'trend-line', { metrics: ['sales.revenue', 'sales.grossMargin'], window: 'today', interval: 'hour', area: true }, 0, 3, 3, 3),
    at('skus', 'ranking-bar', { metric: 'sales.revenue', groupBy: 'sku', top: 8, window: 'today' }, 3, 3, 3, 3),
    at('channels', 'share-donut', { metric: 'sales.revenue', groupBy: 'channel', top: 6, window: 'today' }, 6, 3, 3, 3),
    at('margins', 'margin-by-category', { groupBy: 'category', window: 'today', top: 8 }, 9, 3, 3, 3),
    at('transfers', 'transfer-flow', { window: 'today', top: 15 }, 0, 6, 3, 3),
    at('cash', 'cash-flow', { window: 'today', interval: 'hour' }, 3, 6, 3, 3),
    at('turnover', 'stock-turnover', { window: 'P30D', trend: 'stock.daysOnHand' }, 6, 6, 3, 3),
    at('heatmap', 'stock-heatmap', { metric: 'stock.qty', rows: 'sku', members: ['A1', 'B2', 'C3'], scale: 'row' }, 9, 6, 3, 3, 2),
    at('alerts', 'stock-alerts', { limit: 20, scrollSeconds: 300 }, 0, 9, 3, 3, 2),
    at('reorder', 'reorder-list', { limit: 20, scrollSeconds: 300 }, 3, 9, 3, 3),
    at('suppliers', 'supplier-scorecard', { window: 'P30D', top: 8, onTimeTarget: 0.9, returnLimit: 0.03 }, 6, 9, 3, 3),
    at('ticker', 'movement-ticker', { limit: 30 }, 9, 9, 3, 3, 2),
    at('ageing', 'stock-ageing', { groupBy: 'warehouse', measure: 'value', top: 8 }, 0, 12, 3, 3),
    at('slow', 'slow-moving', { days: 90, limit: 20, scrollSeconds: 300 }, 3, 12, 3, 3),
    at('credit', 'credit-ageing', { side: 'receivables', view: 'partners', top: 8 }, 6, 12, 3, 3),
    at('sources', 'source-status', { everySeconds: 5, limit: 12 }, 9, 12, 3, 3),
  ],
}

/**
 * Movements whose codes hold HTML, as a cockpit may have stored them before ingest refused `<>`:
 * validated with stand-in codes, then applied with the hostile ones through the aggregator.
 */
async function applyWithStoredCodes(movements: { m: Record<string, unknown>; codes: Record<string, string> }[]): Promise<void> {
  const normalized = movements.map(({ m, codes }, index): NormalizedMovement => {
    const outcome = validateMovement(m, index, { baseCurrency: 'CNY' })
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.rejected))
    return { ...outcome.movement, m: { ...outcome.movement.m, ...codes } as NormalizedMovement['m'] }
  })
  await server.app.aggregator.apply(normalized)
}

beforeAll(async () => {
  server = await startTestServer({ COCKPIT_TOKEN_SECRET: SECRET })
  const { url, adminKey, ingestKey } = server
  const put = (kind: string, records: unknown[]) => call(url, `/api/v1/master/${kind}`, records, adminKey, 'PUT')
  await put('skus', [
    { code: 'A1', name: IMG, nameEn: SVG, category: 'drinks', safetyStock: 100, reorderPoint: 400 },
    { code: 'B2', name: SCRIPT, nameEn: IMG, category: 'household', safetyStock: 500, reorderPoint: 600, reorderQty: 1000 },
    { code: 'C3', name: SVG, category: 'household', safetyStock: 5 },
  ])
  await put('warehouses', [
    { code: 'W1', name: SVG, nameEn: SCRIPT, region: 'east' },
    { code: 'W2', name: IMG, region: 'north' },
  ])
  await put('categories', [
    { code: 'drinks', name: IMG, nameEn: SCRIPT },
    { code: 'household', name: SVG },
  ])
  await put('regions', [{ code: 'east', name: SCRIPT }])
  await put('channels', [
    { code: 'pos', name: SCRIPT, nameEn: IMG },
    { code: 'web', name: IMG },
  ])
  await put('partners', [
    { code: 'P1', name: IMG, kind: 'supplier' },
    { code: 'C1', name: SVG, kind: 'customer' },
  ])
  const now = Date.now()
  // the screen shows today (Asia/Shanghai): in the first hour of a day, minutes ago are clamped into it, in order
  const dayStart = Math.floor((now + 8 * 3_600_000) / 86_400_000) * 86_400_000 - 8 * 3_600_000
  const ago = (min: number) => cst(min >= 1440 ? now - min * 60_000 : Math.max(now - min * 60_000, dayStart + (240 - min) * 1000))
  const id = () => randomUUID()
  await call(
    url,
    '/api/v1/movements',
    [
      { id: id(), type: 'purchase_order', occurredAt: ago(50), sku: 'A1', warehouse: 'W1', qty: 300, unitCost: 2, partner: 'P1' },
      { id: id(), type: 'purchase_receipt', occurredAt: ago(40), sku: 'A1', warehouse: 'W1', qty: 50, unitCost: 2, partner: 'P1' },
      { id: id(), type: 'purchase_receipt', occurredAt: ago(40), sku: 'B2', warehouse: 'W1', qty: 300, unitCost: 20, partner: 'P1' },
      { id: id(), type: 'purchase_receipt', occurredAt: ago(40), sku: 'B2', warehouse: 'W2', qty: 200, unitCost: 20, partner: 'P1' },
      { id: id(), type: 'purchase_receipt', occurredAt: ago(40), sku: 'C3', warehouse: 'W2', qty: 20, unitCost: 5 },
      { id: id(), type: 'sales_shipment', occurredAt: ago(20), sku: 'A1', warehouse: 'W1', qty: 10, unitPrice: 3.5, partner: 'C1', channel: 'pos' },
      { id: id(), type: 'sales_shipment', occurredAt: ago(20), sku: 'B2', warehouse: 'W2', qty: 20, unitPrice: 35, partner: 'C1', channel: 'web' },
      { id: id(), type: 'sales_shipment', occurredAt: ago(15), sku: 'C3', warehouse: 'W2', qty: 2, unitPrice: 9, channel: 'pos' },
      { id: id(), type: 'transfer', occurredAt: ago(10), sku: 'B2', warehouse: 'W1', toWarehouse: 'W2', qty: 30 },
      { id: id(), type: 'transfer', occurredAt: ago(10), sku: 'C3', warehouse: 'W2', toWarehouse: 'W1', qty: 5 },
      { id: id(), type: 'payment_in', occurredAt: ago(5), amount: 500, partner: 'C1' },
      { id: id(), type: 'payment_out', occurredAt: ago(5), amount: 200, partner: 'P1' },
      // stock received 120 days ago and never shipped: old in the ageing, slow-moving (above its safety stock: no alert)
      { id: id(), type: 'purchase_receipt', occurredAt: ago(120 * 1440), sku: 'C3', warehouse: 'W1', qty: 7, unitCost: 3, partner: 'P1' },
      // a fourth channel, a cent: the donut draws four slices in its box of this screen, legend or none, the others as they were
      { id: id(), type: 'sales_shipment', occurredAt: ago(12), sku: 'C3', warehouse: 'W2', qty: 1, unitPrice: 0.01, channel: 'app' },
    ],
    ingestKey,
  )
  await applyWithStoredCodes([
    { m: { id: id(), type: 'purchase_receipt', occurredAt: ago(30), sku: 'X', warehouse: 'W1', qty: 100, unitCost: 1, partner: 'X' }, codes: { sku: CODE, partner: SVG } },
    {
      m: { id: id(), type: 'sales_shipment', occurredAt: ago(8), sku: 'X', warehouse: 'W1', qty: 40, unitPrice: 4, channel: 'X', category: 'X' },
      codes: { sku: CODE, channel: CODE, category: SCRIPT },
    },
    { m: { id: id(), type: 'transfer', occurredAt: ago(6), sku: 'X', warehouse: 'W1', toWarehouse: 'X', qty: 10 }, codes: { sku: CODE, toWarehouse: SCRIPT } },
  ])
  await storeScreen(url, adminKey, SCREEN)
  browser = await launchChromium()
  // the ERP sources' state (served by the sources service), with an id and an error message holding HTML
  await browser.context.route('**/api/v1/sources', (route) =>
    route.fulfill({
      contentType: 'application/json',
      // the endpoint's shape (protocol/sources.ts): [{source, status}]
      body: JSON.stringify([
        {
          source: { id: IMG, kind: SCRIPT, version: 1, updatedAt: new Date().toISOString() },
          status: {
            state: 'failing',
            holder: null,
            counters: { read: 10, applied: 9, duplicate: 0, skipped: 0, rejected: 1, master: 0 },
            lagMs: 60_000,
            newestAt: null,
            caughtUpAt: null,
            lastError: { message: `${SCRIPT} ${SVG}`, at: new Date().toISOString() },
            failingSince: new Date().toISOString(),
            failures: 3,
            backfill: { since: null, startedAt: null, rows: 0, reachedAt: null, doneAt: null },
          },
        },
      ]),
    }),
  )
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

interface Injection {
  xss: unknown
  /**
   * elements and attributes no widget makes, which only data could have put there, seen at any
   * moment since the page loaded (a tooltip's content is replaced on the next hover), and inline
   * script the Content-Security-Policy refused
   */
  found: string[]
}

interface Watched {
  __xss?: unknown
  __tooltips: Set<string>
  __injected: string[]
}

/**
 * Before any page script: records every element or attribute added to the document that only
 * injected markup would make, every script the CSP refused, and the text of every ECharts tooltip
 * shown (its innerHTML is set, then it shows). Runs as a DevTools init script, so the page's CSP
 * does not apply to it.
 */
async function watch(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as Watched
    w.__tooltips = new Set()
    w.__injected = []
    const check = (el: Element) => {
      const tag = el.tagName.toLowerCase()
      if (tag === 'img' || tag === 'iframe' || tag === 'object' || tag === 'embed') w.__injected.push(tag)
      if (tag === 'script' && !(el as HTMLScriptElement).src) w.__injected.push('inline script')
      for (const a of el.getAttributeNames()) if (a.toLowerCase().startsWith('on')) w.__injected.push(`${tag}[${a}]`)
    }
    new MutationObserver((records) => {
      for (const r of records) {
        if (r.type === 'attributes' && r.attributeName?.toLowerCase().startsWith('on')) w.__injected.push(`${(r.target as Element).tagName.toLowerCase()}[${r.attributeName}]`)
        for (const node of r.addedNodes) {
          if (!(node instanceof Element)) continue
          check(node)
          node.querySelectorAll('*').forEach(check)
        }
        const el = r.target as HTMLElement
        if (r.type === 'childList' && el.parentElement?.hasAttribute('_echarts_instance_') && el.style?.zIndex === '9999999' && el.textContent) w.__tooltips.add(el.textContent)
      }
    }).observe(document, { subtree: true, childList: true, attributes: true })
    document.addEventListener('securitypolicyviolation', (e) => {
      if (e.effectiveDirective.startsWith('script-src')) w.__injected.push(`csp ${e.effectiveDirective}`)
    })
  })
}

/** what ran and what was injected since the page loaded */
function injection(page: Page): Promise<Injection> {
  return page.evaluate(() => {
    const w = window as unknown as Watched
    return { xss: w.__xss, found: [...new Set(w.__injected)] }
  })
}

const tooltips = (page: Page) => page.evaluate(() => [...(window as unknown as Watched).__tooltips])

/**
 * moves the mouse over a grid of points across every chart, so every bar, slice, node and point
 * shows its tooltip. Widgets are visited one by one, each scrolled into view first: the tablet
 * mounts only the widgets near the viewport, so a chart far down the page exists once it is near.
 */
async function hoverEveryChart(page: Page, columns = 14, rows = 8, scope = 'body'): Promise<string[]> {
  const hovered: string[] = []
  const hover = async (chart: Locator, widget: string | null) => {
    const box = await chart.boundingBox()
    if (!box || box.width < 10 || box.height < 10) return
    hovered.push(widget ?? '?')
    for (let c = 0; c < columns; c++) for (let r = 0; r < rows; r++) await page.mouse.move(box.x + (box.width * (c + 0.5)) / columns, box.y + (box.height * (r + 0.5)) / rows)
  }
  // widgets by id, the scope itself included: the tablet's cells (`data-cell`) exist before their widget does
  const ids = await page.locator(scope).evaluateAll((roots) => {
    const found = new Set<string>()
    for (const root of roots) {
      for (const el of [root, ...root.querySelectorAll('[data-cell], [data-instance]')]) {
        const id = el.getAttribute('data-cell') ?? el.getAttribute('data-instance')
        if (id) found.add(id)
      }
    }
    return [...found]
  })
  if (ids.length === 0) {
    // a page of one widget without a host (the embed): its charts as they are
    const charts = page.locator(`${scope} [_echarts_instance_]`)
    for (let i = 0; i < (await charts.count()); i++)
      await hover(charts.nth(i), await charts.nth(i).evaluate((el) => el.closest('[data-widget]')?.getAttribute('data-widget') ?? null))
  }
  for (const id of ids) {
    const cell = page.locator(`[data-cell="${id}"]`)
    const host = page.locator(`[data-instance="${id}"]`).first()
    // not Playwright's scrollIntoViewIfNeeded: it waits for the box to stand still, and a scrolling list never does
    await ((await cell.count()) ? cell.first() : host).evaluate((el) => el.scrollIntoView({ block: 'center' }))
    if (!(await host.count()) || !(await host.isVisible())) continue
    const chart = host.locator('[_echarts_instance_]')
    // a widget mounted by the scroll draws its chart in a moment; a DOM widget has none
    if (!(await chart.count())) await page.waitForTimeout(300)
    if (await chart.count()) await hover(chart.first(), await host.getAttribute('data-widget'))
  }
  // an <img src=x> would have failed to load by now
  await page.waitForTimeout(600)
  return hovered
}

async function open(path: string, viewport = { width: 1920, height: 1080 }): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.setViewportSize(viewport)
  await watch(page)
  await page.goto(`${server.url}${path}`)
  return { page, errors }
}

/** these SVG-drawn charts drew their data (bars, slices) */
async function chartsDrawn(page: Page, widgets: string[]): Promise<void> {
  for (const w of widgets)
    await expect.poll(() => page.locator(`[data-widget="${w}"] [_echarts_instance_] path`).count(), { timeout: 10_000, message: `${w} drew its data` }).toBeGreaterThan(3)
}

describe('nothing stored runs in a browser', () => {
  test('the screen holds every widget type', () => {
    expect(new Set(SCREEN.widgets.map((w) => w.widget))).toEqual(new Set(Object.keys(COMPONENTS)))
  })

  test('the wall: names, codes and titles are shown as text, every tooltip included', async () => {
    // the screen's own size: every widget as big as on a 1080 px wall of four bands
    const { page, errors } = await open(`/wall/${SCREEN_ID}`, { width: 1920, height: 1350 })
    await expect.poll(() => page.locator('[data-testid="screen-title"]').first().textContent(), { timeout: 10_000 }).toContain(IMG)
    await chartsDrawn(page, ['ranking-bar', 'share-donut', 'margin-by-category'])
    // the ageing: a bar per warehouse, the old stock of W2 in a bucket of its own
    await expect.poll(() => page.locator('[data-widget="stock-ageing"] [_echarts_instance_] path').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(3)
    await expect.poll(() => page.locator('[data-widget="transfer-flow"] canvas').count(), { timeout: 10_000 }).toBe(1)
    await expect.poll(() => page.locator('[data-widget="slow-moving"] [data-testid="slow-row"]').count(), { timeout: 10_000 }).toBeGreaterThan(0)
    // the slow-moving row names its SKU and warehouse by their HTML names, as text
    expect(await page.locator('[data-widget="slow-moving"] [data-testid="slow-row"]').first().textContent()).toContain(SVG)
    await expect.poll(() => page.locator('[data-widget="stock-alerts"] [data-testid="alert-row"]').count(), { timeout: 10_000 }).toBeGreaterThan(0)
    // A1 and B2 at both warehouses are at or below their reorder points, named with payloads
    await expect.poll(() => page.locator('[data-widget="reorder-list"] [data-testid="reorder-row"]').count(), { timeout: 10_000 }).toBe(3)
    for (const text of [IMG, SCRIPT, SVG]) expect((await page.locator('[data-widget="reorder-list"]').textContent()) ?? '').toContain(text)
    await expect.poll(() => page.locator('[data-widget="movement-ticker"] [data-testid="ticker-row"]').count(), { timeout: 10_000 }).toBeGreaterThan(0)
    // the ERP sources: an id and an error message holding HTML, as text
    await expect.poll(() => page.locator('[data-widget="source-status"] [data-testid="source-row"]').textContent(), { timeout: 10_000 }).toContain(IMG)
    for (const text of [SCRIPT, SVG]) expect((await page.locator('[data-widget="source-status"]').textContent()) ?? '').toContain(text)
    await page.waitForTimeout(800) // first draws animate in

    const body = (await page.locator('body').textContent()) ?? ''
    // titles, the heading, alert rows, supplier rows, ticker rows: literal text
    for (const text of [SHORT, SVG, IMG, SCRIPT]) expect(body).toContain(text)

    expect(await hoverEveryChart(page)).toEqual(expect.arrayContaining(CHARTS))
    expect(await injection(page)).toEqual({ xss: undefined, found: [] })
    const shown = await tooltips(page)
    // names and stored codes in tooltips, as text: SKU, channel, category and warehouse names, codes standing in for names
    for (const text of [IMG, SCRIPT, SVG, CODE])
      expect(
        shown.some((s) => s.includes(text)),
        `a tooltip showing ${text}`,
      ).toBe(true)
    expect(errors).toEqual([])

    // a tooltip left open over the ranking, for the record
    const bars = await page.locator('[data-widget="ranking-bar"] [_echarts_instance_]').boundingBox()
    await page.mouse.move(bars!.x + bars!.width * 0.5, bars!.y + 12)
    await screenshot(page, 'xss-wall')
    await page.close()
  })

  test('the tablet and its drills: a tapped member and a link carrying HTML in its label', async () => {
    const { page, errors } = await open(`/tablet/${SCREEN_ID}`, { width: 1024, height: 768 })
    await chartsDrawn(page, ['ranking-bar', 'share-donut'])
    expect(await hoverEveryChart(page, 10, 6)).toEqual(expect.arrayContaining(CHARTS))
    expect(await injection(page)).toEqual({ xss: undefined, found: [] })
    expect((await tooltips(page)).some((s) => s.includes(IMG))).toBe(true)

    // a warehouse tapped in the stock alerts: its chip names it as text; the chip's drill is titled with its HTML name, as text
    const row = page.locator('[data-widget="stock-alerts"] [data-testid="alert-row"]').first()
    await row.scrollIntoViewIfNeeded()
    await row.click()
    await expect.poll(() => page.locator('[data-testid="link-chip"] .text').textContent(), { timeout: 5000 }).toMatch(/<svg|<img/)
    expect(await injection(page)).toEqual({ xss: undefined, found: [] })
    await page.locator('[data-testid="link-details"]').click()
    await expect.poll(() => page.locator('[data-drill="warehouse"]').count(), { timeout: 5000 }).toBe(1)
    const title = (await page.locator('.drill-title').textContent()) ?? ''
    expect([IMG, SVG].some((name) => title.includes(name))).toBe(true)
    // beside its alerts, its reorder list: hostile names again, as text
    await expect.poll(() => page.locator('[data-instance="drill-reorder"] [data-testid="reorder-row"]').count(), { timeout: 10_000 }).toBeGreaterThan(0)
    await page.waitForTimeout(600)
    expect(await injection(page)).toEqual({ xss: undefined, found: [] })
    await screenshot(page, 'xss-tablet-drill-warehouse')

    // a drill link whose label is HTML (anyone can send such a link)
    await page.goto(`${server.url}/tablet/${SCREEN_ID}?drill=category&key=drinks&label=${encodeURIComponent(IMG)}&labelEn=${encodeURIComponent(SCRIPT)}`)
    await expect.poll(() => page.locator('.drill-title').textContent(), { timeout: 5000 }).toContain(IMG)
    // the SVG renderer draws a name as a text node: the characters, as they are (truncated to the label's width)
    const drawn = () => page.locator('[data-instance="drill-skus"] svg text').allTextContents()
    await expect.poll(async () => (await drawn()).some((x) => x.startsWith('<img src=x onerror=')), { timeout: 10_000 }).toBe(true)
    // one bar in a box made for 20: a fine grid over it
    expect(await hoverEveryChart(page, 6, 60, '[data-instance="drill-skus"]')).toEqual(['ranking-bar'])
    expect(await injection(page)).toEqual({ xss: undefined, found: [] })
    expect((await tooltips(page)).some((s) => s.includes(IMG))).toBe(true)
    await screenshot(page, 'xss-tablet-drill-category')
    expect(errors).toEqual([])
    await page.close()
  })

  test('the embed: a chart widget with an HTML title and HTML names', async () => {
    const minted = (await (
      await call(
        server.url,
        '/api/v1/tokens',
        {
          kind: 'embed',
          widget: { widget: 'share-donut', options: { metric: 'sales.revenue', groupBy: 'sku', top: 6, window: 'today', title: SHORT } },
          expiresIn: 600,
          label: 'xss-e2e',
        },
        server.adminKey,
      )
    ).json()) as { token: string }
    const { page, errors } = await open(`/embed?token=${minted.token}`, { width: 640, height: 420 })
    await expect.poll(() => page.locator('[data-testid="embed"]').getAttribute('data-state'), { timeout: 10_000 }).toBe('ok')
    await chartsDrawn(page, ['share-donut'])
    await page.waitForTimeout(600)
    expect(await page.locator('.widget-title h2').textContent()).toBe(SHORT)
    expect(await hoverEveryChart(page, 20, 14)).toEqual(['share-donut'])
    expect(await injection(page)).toEqual({ xss: undefined, found: [] })
    const shown = await tooltips(page)
    for (const text of [IMG, SCRIPT])
      expect(
        shown.some((s) => s.includes(text)),
        `a tooltip showing ${text}`,
      ).toBe(true)
    await screenshot(page, 'xss-embed')
    expect(errors).toEqual([])
    await page.close()
  })
})
