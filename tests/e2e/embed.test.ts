/**
 * The intranet embed in Chromium against the real server: an <iframe> on a host page shows the
 * one widget of a valid, scoped token, sized to the frame without scrollbars, on a transparent
 * background; an expired token and a token whose widget reaches outside its scope are refused by
 * the server and the page says so with the server's error code; a missing or malformed token is
 * explained without asking the server.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Frame, Page } from 'playwright-core'
import { launchChromium, screenshot } from '../helpers/chromium.ts'
import type { Browser } from '../helpers/chromium.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { signToken } from '../../server/auth/tokens.ts'

const SECRET = `embed-e2e-${randomUUID()}-${randomUUID()}`
let server: TestServer
let browser: Browser

const cst = (ms: number) => `${new Date(ms + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`

async function send(path: string, body: unknown, key: string, method = 'POST') {
  const res = await fetch(server.url + path, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  expect(res.status, await res.clone().text()).toBe(200)
  return res.json() as Promise<Record<string, unknown>>
}

/** written as version 1 options (one `warehouse`): the embed migrates them like any stored options */
const ALERTS_W1 = { widget: 'stock-alerts', optionsVersion: 1, options: { limit: 20, scrollSeconds: 300, warehouse: 'W1', title: '上海仓库存预警' } }

beforeAll(async () => {
  server = await startTestServer({ COCKPIT_TOKEN_SECRET: SECRET })
  await send(
    '/api/v1/master/skus',
    [
      { code: 'A1', name: '矿泉水 550ml', category: 'drinks', safetyStock: 100 },
      { code: 'B2', name: '洗衣液 2kg', category: 'household', safetyStock: 500 },
    ],
    server.adminKey,
    'PUT',
  )
  await send(
    '/api/v1/master/warehouses',
    [
      { code: 'W1', name: '上海中心仓', region: '华东' },
      { code: 'W2', name: '北京仓', region: '华北' },
    ],
    server.adminKey,
    'PUT',
  )
  // the start of today's business day (+08:00): inside the kpi's "today" window at any hour
  const t = Math.floor((Date.now() + 8 * 3600_000) / 86_400_000) * 86_400_000 - 8 * 3600_000
  await send(
    '/api/v1/movements',
    [
      { id: randomUUID(), type: 'purchase_receipt', occurredAt: cst(t), sku: 'A1', warehouse: 'W1', qty: 50, unitCost: 2 },
      { id: randomUUID(), type: 'purchase_receipt', occurredAt: cst(t), sku: 'B2', warehouse: 'W1', qty: 300, unitCost: 20 },
      { id: randomUUID(), type: 'purchase_receipt', occurredAt: cst(t), sku: 'B2', warehouse: 'W2', qty: 10, unitCost: 20 },
    ],
    server.ingestKey,
  )
  browser = await launchChromium({ width: 1000, height: 700 })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

/** A host page with the embed in a 480×300 iframe on a patterned background. */
async function host(page: Page, query: string): Promise<Frame> {
  await page.goto(`${server.url}/healthz`)
  await page.setContent(`<!doctype html><html><body style="margin:0;background:repeating-linear-gradient(45deg,#fff 0 10px,#f0c0c0 10px 20px)">
    <iframe id="embed" src="${server.url}/embed?${query}" width="480" height="300" style="border:0;display:block;margin:40px" allowtransparency="true"></iframe></body></html>`)
  const frame = await (await page.locator('#embed').elementHandle())!.contentFrame()
  return frame!
}

const state = (frame: Frame) => frame.locator('[data-testid="embed"]').getAttribute('data-state')

describe('the embed', () => {
  test('a valid scoped token: its one widget, scope filter added, fills the frame without scrollbars', async () => {
    const minted = await send('/api/v1/tokens', { kind: 'embed', scope: { warehouse: ['W1'] }, widget: ALERTS_W1, expiresIn: 3600, label: 'e2e' }, server.adminKey)
    const page = await browser.context.newPage()
    const subscribed: string[] = []
    page.on('websocket', (ws) => ws.on('framesent', (f) => typeof f.payload === 'string' && f.payload.includes('"subscribe"') && subscribed.push(f.payload)))
    const frame = await host(page, `token=${minted.token}&theme=transparent`)
    await expect.poll(() => state(frame), { timeout: 10_000 }).toBe('ok')
    await expect.poll(() => frame.locator('[data-testid="alert-row"]').count(), { timeout: 10_000 }).toBeGreaterThan(0)
    const rows = await frame.locator('[data-testid="alert-row"]').allTextContents()
    expect(rows.join(' ')).toContain('洗衣液')
    expect(rows.join(' ')).not.toContain('北京仓')
    expect(subscribed.some((p) => p.includes('"warehouse"') && p.includes('W1'))).toBe(true)
    // sized to the frame, nothing to scroll
    const m = await frame.evaluate(() => {
      const w = document.querySelector('[data-instance="embed"]')!.getBoundingClientRect()
      return {
        w: w.width,
        h: w.height,
        sw: document.documentElement.scrollWidth,
        sh: document.documentElement.scrollHeight,
        bg: getComputedStyle(document.body).backgroundColor,
        // no colour scheme of its own: Chrome paints no opaque backdrop behind the frame
        scheme: [getComputedStyle(document.documentElement).colorScheme, document.querySelector('meta[name="color-scheme"]')?.getAttribute('content')],
      }
    })
    expect(m).toEqual({ w: 480, h: 300, sw: 480, sh: 300, bg: 'rgba(0, 0, 0, 0)', scheme: ['normal', 'normal'] })
    await screenshot(page, 'embed-transparent')

    // the frame resizes: the widget follows
    await page.locator('#embed').evaluate((f) => ((f as HTMLIFrameElement).width = '360'))
    await expect.poll(() => frame.evaluate(() => document.querySelector('[data-instance="embed"]')!.getBoundingClientRect().width)).toBe(360)
    await page.close()
  })

  test('dark and light themes paint their own background', async () => {
    const minted = await send(
      '/api/v1/tokens',
      { kind: 'embed', widget: { widget: 'kpi-card', options: { metric: 'purchase.receiptAmount', window: 'today', compare: false } }, expiresIn: 3600 },
      server.adminKey,
    )
    const page = await browser.context.newPage()
    for (const theme of ['dark', 'light'] as const) {
      const frame = await host(page, `token=${minted.token}&theme=${theme}`)
      await expect.poll(() => state(frame), { timeout: 10_000 }).toBe('ok')
      await expect
        .poll(
          () =>
            frame.evaluate(() => {
              const el = document.querySelector('[data-testid="kpi-value"]')
              return el ? (el.querySelector('[data-value]')?.getAttribute('data-value') ?? el.textContent?.trim() ?? null) : null
            }),
          { timeout: 10_000 },
        )
        .toBe('¥6,300')
      const bg = await frame.evaluate(() => getComputedStyle(document.body).backgroundColor)
      expect(bg).toBe(theme === 'dark' ? 'rgb(7, 18, 43)' : 'rgb(245, 247, 251)')
      await screenshot(page, `embed-${theme}`)
    }
    await page.close()
  })

  test('an expired token is refused by the server: the page names it and shows the code', async () => {
    const { token } = await signToken(SECRET, { kind: 'embed', scope: { warehouse: ['W1'] }, widget: ALERTS_W1 }, 60, Date.now() - 3600_000)
    const page = await browser.context.newPage()
    const frame = await host(page, `token=${token}`)
    await expect.poll(() => state(frame), { timeout: 10_000 }).toBe('refused')
    expect(await frame.locator('[data-testid="embed-error"] strong').textContent()).toBe('访问令牌已过期')
    expect(await frame.locator('[data-testid="embed-error-code"]').textContent()).toBe('COCKPIT_ERR_UNAUTHORIZED')
    expect(await frame.locator('[data-testid="embed-error"]').textContent()).toContain('expired')
    expect(await frame.locator('[data-widget]').count()).toBe(0)
    await screenshot(page, 'embed-expired')
    await page.close()
  })

  test('a token whose widget reaches outside its scope is refused by the server with COCKPIT_ERR_FORBIDDEN', async () => {
    // minted outside POST /api/v1/tokens (which refuses it) with the server's secret: the server
    // must still refuse to show warehouse W2 to a token scoped to W1
    const { token } = await signToken(SECRET, { kind: 'embed', scope: { warehouse: ['W1'] }, widget: { ...ALERTS_W1, options: { ...ALERTS_W1.options, warehouse: 'W2' } } }, 3600)
    const page = await browser.context.newPage()
    const frame = await host(page, `token=${token}`)
    await expect.poll(() => state(frame), { timeout: 10_000 }).toBe('refused')
    expect(await frame.locator('[data-testid="embed-error-code"]').textContent()).toBe('COCKPIT_ERR_FORBIDDEN')
    expect(await frame.locator('[data-testid="embed-error"] strong').textContent()).toBe('超出授权范围')
    expect(await frame.locator('[data-testid="embed-error"]').textContent()).toContain('W2')
    expect(await frame.locator('[data-widget]').count()).toBe(0)
    await screenshot(page, 'embed-out-of-scope')
    await page.close()
  })

  test('missing, malformed and forged tokens are explained', async () => {
    const page = await browser.context.newPage()
    let frame = await host(page, 'theme=light')
    await expect.poll(() => frame.locator('[data-testid="embed-error"] strong').textContent(), { timeout: 10_000 }).toBe('缺少访问令牌')
    frame = await host(page, 'token=not-a-jwt&lang=en')
    await expect.poll(() => frame.locator('[data-testid="embed-error"] strong').textContent(), { timeout: 10_000 }).toBe('Malformed access token')
    const { token } = await signToken(`another-secret-${randomUUID()}-${randomUUID()}`, { kind: 'embed', widget: ALERTS_W1 }, 3600)
    frame = await host(page, `token=${token}&lang=zh-CN`)
    await expect.poll(() => state(frame), { timeout: 10_000 }).toBe('refused')
    expect(await frame.locator('[data-testid="embed-error"] strong').textContent()).toBe('访问令牌无效')
    expect(await frame.locator('[data-testid="embed-error-code"]').textContent()).toBe('COCKPIT_ERR_UNAUTHORIZED')
    await page.close()
  })
})
