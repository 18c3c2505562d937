/**
 * Browser protections in Chromium against the real server (issue #13): the wall, tablet, embed
 * and editor run under the served Content-Security-Policy (no inline script, no eval) with live
 * data and report no violation; a page of another site cannot frame the editor or the wall, but
 * may frame `/embed` when its origin is in COCKPIT_EMBED_ORIGINS (and then the widget renders),
 * while an origin not listed is refused; the editor signs in with the admin key typed in its
 * dialog, and afterwards neither localStorage nor a script-readable cookie holds anything of it.
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Frame, Page } from 'playwright-core'
import { launchChromium, screenshot } from '../helpers/chromium.ts'
import type { Browser } from '../helpers/chromium.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { signToken } from '../../server/auth/tokens.ts'
import { call, kpiText, seed, shipment, storeScreen, testScreen } from './wall-support.ts'

const SECRET = `csp-e2e-${randomUUID()}-${randomUUID()}`
let server: TestServer
let browser: Browser
/** pages of other sites: `localhost` (a different site from 127.0.0.1), one allowed to frame /embed and one not */
let allowedSite: { server: Server; origin: string }
let otherSite: { server: Server; origin: string }

/** A tiny intranet page: `/frame?src=<url>` shows that URL in a 480×320 iframe. */
async function intranetPage(host: string): Promise<{ server: Server; origin: string }> {
  const s = createServer((req, res) => {
    const src = new URL(req.url ?? '/', 'http://x').searchParams.get('src') ?? ''
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(`<!doctype html><html><body><h1>intranet</h1><iframe id="f" src="${src.replace(/"/g, '&quot;')}" width="480" height="320"></iframe></body></html>`)
  })
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  return { server: s, origin: `http://${host}:${(s.address() as AddressInfo).port}` }
}

beforeAll(async () => {
  allowedSite = await intranetPage('localhost')
  otherSite = await intranetPage('127.0.0.1')
  server = await startTestServer({ COCKPIT_TOKEN_SECRET: SECRET, COCKPIT_EMBED_ORIGINS: allowedSite.origin })
  await seed(server.url, server.adminKey, server.ingestKey)
  await storeScreen(server.url, server.adminKey, testScreen('csp-live'))
  browser = await launchChromium({ width: 1600, height: 900 })
  // every CSP violation a page reports, from its first script on
  await browser.context.addInitScript(() => {
    const w = window as unknown as { __csp: string[] }
    w.__csp = []
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`))
  })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
  allowedSite?.server.close()
  otherSite?.server.close()
})

interface Watched {
  page: Page
  /** console lines about the Content Security Policy */
  console: string[]
  errors: string[]
}

async function open(url: string): Promise<Watched> {
  const page = await browser.context.newPage()
  const watched: Watched = { page, console: [], errors: [] }
  page.on('console', (m) => /Content Security Policy|Refused to/i.test(m.text()) && watched.console.push(m.text()))
  page.on('pageerror', (e) => watched.errors.push(e.message))
  await page.goto(url)
  return watched
}

const violations = (page: Page | Frame) => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)

/** Moves the mouse across every chart so ECharts draws its tooltips (inline-styled HTML). */
async function hoverCharts(page: Page): Promise<void> {
  for (const chart of await page.locator('[data-widget] [_echarts_instance_]').all()) {
    const box = await chart.boundingBox()
    if (!box) continue
    for (let i = 1; i < 5; i++) {
      await page.mouse.move(box.x + (box.width * i) / 5, box.y + box.height / 2)
      await page.waitForTimeout(80)
    }
  }
}

describe('the Content-Security-Policy in Chromium', () => {
  test('the wall renders live data over its websocket with the CSP on, and nothing is refused', async () => {
    const sockets: string[] = []
    const page = await browser.context.newPage()
    const consoleCsp: string[] = []
    page.on('console', (m) => /Content Security Policy|Refused to/i.test(m.text()) && consoleCsp.push(m.text()))
    page.on('websocket', (ws) => sockets.push(ws.url()))
    const response = await page.goto(`${server.url}/wall/csp-live`)
    expect(response!.headers()['content-security-policy']).toContain("script-src 'self'")
    await expect.poll(() => kpiText(page), { timeout: 10_000 }).toBe('¥4,305')
    // a new shipment arrives over the socket: connect-src 'self' lets the same host's ws: through
    await call(server.url, '/api/v1/movements', [shipment('A1', 10, 3.5)], server.ingestKey)
    await expect.poll(() => kpiText(page), { timeout: 5000 }).toBe('¥4,340')
    expect(sockets.some((u) => u.startsWith(server.url.replace('http', 'ws')))).toBe(true)
    await expect.poll(() => page.locator('[data-widget] canvas').count(), { timeout: 10_000 }).toBeGreaterThan(0)
    await hoverCharts(page)
    await screenshot(page, 'csp-wall')
    expect(await violations(page)).toEqual([])
    expect(consoleCsp).toEqual([])
    await page.close()
  })

  test('the tablet and the embed page: no violation either', async () => {
    const tablet = await open(`${server.url}/tablet/csp-live`)
    await expect.poll(() => kpiText(tablet.page, 'revenue', 'body'), { timeout: 10_000 }).toMatch(/^¥/)
    await hoverCharts(tablet.page)
    expect(await violations(tablet.page)).toEqual([])
    expect(tablet.console).toEqual([])
    await tablet.page.close()

    const token = (await signToken(SECRET, { kind: 'embed', widget: { widget: 'trend-line', options: { metrics: ['sales.revenue'], window: 'today', interval: 'hour' } } }, 600))
      .token
    const embed = await open(`${server.url}/embed?token=${token}`)
    await expect.poll(() => embed.page.locator('[data-testid="embed"]').getAttribute('data-state'), { timeout: 10_000 }).toBe('ok')
    await expect.poll(() => embed.page.locator('[data-widget] canvas').count(), { timeout: 10_000 }).toBeGreaterThan(0)
    expect(await violations(embed.page)).toEqual([])
    expect(embed.console).toEqual([])
    await embed.page.close()
  })

  test("the editor: only TypeBox's eval probe is refused (it then validates without eval) and forms still check input", async () => {
    const editor = await open(`${server.url}/editor/csp-live`)
    await expect.poll(() => editor.page.locator('[data-item="revenue"]').count(), { timeout: 10_000 }).toBe(1)
    await editor.page.locator('[data-item="revenue"] .hit').click({ position: { x: 20, y: 20 } })
    await editor.page.locator('[data-field="window"] input').fill('last week')
    await expect.poll(() => editor.page.locator('[data-field="window"] [data-testid="field-error"]').count()).toBe(1)
    // TypeBox tries `new Function` once to decide whether it may compile validators; CSP says no
    const refused = await violations(editor.page)
    expect(refused.filter((v) => !v.startsWith('script-src eval '))).toEqual([])
    expect(editor.errors).toEqual([])
    await editor.page.close()
  })
})

/** the page's iframe, once it navigated */
async function childFrame(page: Page): Promise<Frame> {
  await expect.poll(() => page.frames().length, { timeout: 10_000 }).toBe(2)
  return page.frames()[1]!
}

describe('framing', () => {
  test('a page of another site cannot frame the editor or the wall', async () => {
    for (const path of ['/editor/csp-live', '/wall/csp-live']) {
      const host = await open(`${allowedSite.origin}/frame?src=${encodeURIComponent(server.url + path)}`)
      const frame = await childFrame(host.page)
      await host.page.waitForTimeout(1500)
      // Chromium replaces a refused frame's document with its own error page
      expect(await frame.locator('#app').count(), path).toBe(0)
      expect(host.console.join('\n'), path).toMatch(/frame-ancestors 'none'/)
      await screenshot(host.page, `csp-framed-${path.split('/')[1]}`)
      await host.page.close()
    }
  })

  test('a page of a configured origin frames /embed and the widget renders; an origin not configured is refused', async () => {
    const minted = await call(
      server.url,
      '/api/v1/tokens',
      { kind: 'embed', widget: { widget: 'kpi-card', options: { metric: 'sales.revenue', window: 'today', compare: false, title: 'embedded' } }, expiresIn: 600 },
      server.adminKey,
    )
    const { token } = (await minted.json()) as { token: string }
    const src = encodeURIComponent(`${server.url}/embed?token=${token}&theme=light`)

    const allowed = await open(`${allowedSite.origin}/frame?src=${src}`)
    const frame = await childFrame(allowed.page)
    await expect.poll(() => frame.locator('[data-testid="embed"]').getAttribute('data-state'), { timeout: 10_000 }).toBe('ok')
    await expect.poll(() => frame.locator('[data-testid="kpi-value"] [data-value]').first().getAttribute('data-value'), { timeout: 10_000 }).toMatch(/^¥/)
    expect(await violations(frame)).toEqual([])
    expect(allowed.console).toEqual([])
    await screenshot(allowed.page, 'csp-embed-allowed')
    await allowed.page.close()

    const refused = await open(`${otherSite.origin}/frame?src=${src}`)
    const other = await childFrame(refused.page)
    await refused.page.waitForTimeout(1500)
    expect(await other.locator('[data-testid="embed"]').count()).toBe(0)
    expect(refused.console.join('\n')).toMatch(/frame-ancestors/)
    await refused.page.close()
  })
})

describe('the admin key never sits in the browser', () => {
  test('signing in through the editor leaves no key in localStorage and no session readable by scripts', async () => {
    const { page, errors } = await open(`${server.url}/editor/csp-signin`)
    await expect.poll(() => page.locator('[data-testid="editor-canvas"]').count(), { timeout: 10_000 }).toBe(1)
    // an older version left the key here: the editor purges it on load
    await page.evaluate((key) => localStorage.setItem('cockpit.adminKey', key), server.adminKey)
    await page.reload()
    await expect.poll(() => page.locator('[data-testid="editor-canvas"]').count(), { timeout: 10_000 }).toBe(1)
    expect(await page.evaluate(() => localStorage.getItem('cockpit.adminKey'))).toBeNull()

    await page.locator('[data-testid="palette"] [data-widget="kpi-card"]').click()
    await page.locator('[data-testid="save"]').click()
    const dialog = page.locator('[data-testid="admin-key-dialog"]')
    // a wrong key first: refused, the dialog stays
    await dialog.locator('input[type="password"]').fill('not-the-key')
    await dialog.locator('button[type="submit"]').click()
    await expect.poll(() => page.locator('[data-testid="sign-in-error"]').textContent()).toContain('管理密钥不正确')
    await dialog.locator('input[type="password"]').fill(server.adminKey)
    await dialog.locator('button[type="submit"]').click()
    await expect.poll(() => page.locator('[data-testid="editor-notice"]').textContent(), { timeout: 5000 }).toContain('版本 1')

    const stored = await page.evaluate(() => {
      const all: string[] = []
      for (const store of [localStorage, sessionStorage]) for (let i = 0; i < store.length; i++) all.push(`${store.key(i)}=${store.getItem(store.key(i)!)}`)
      return { storage: all.join('\n'), cookie: document.cookie }
    })
    expect(stored.storage).not.toContain(server.adminKey)
    expect(stored.cookie).not.toContain('cockpit_session')
    const session = (await browser.context.cookies(server.url)).find((c) => c.name === 'cockpit_session')
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' })
    expect(session!.value).not.toContain(server.adminKey)

    // a reload goes on signed in, without the key
    await page.reload()
    await expect.poll(() => page.locator('[data-item="kpi-card-1"]').count(), { timeout: 10_000 }).toBe(1)
    await page.locator('[data-testid="palette"] [data-widget="ranking-bar"]').click()
    await page.locator('[data-testid="save"]').click()
    await expect.poll(() => page.locator('[data-testid="editor-notice"]').textContent(), { timeout: 5000 }).toContain('版本 2')
    expect(await dialog.count()).toBe(0)

    // signing out ends it: the next save asks again
    await page.locator('[data-testid="sign-out"]').click()
    await expect.poll(() => page.locator('[data-testid="sign-out"]').count()).toBe(0)
    await page.locator('[data-testid="palette"] [data-widget="stock-alerts"]').click()
    await page.locator('[data-testid="save"]').click()
    await expect.poll(() => dialog.count()).toBe(1)
    expect(errors).toEqual([])
    await page.close()
  })
})
