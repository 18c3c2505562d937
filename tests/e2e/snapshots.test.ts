/**
 * Screen snapshots (docs/reports.md "Snapshots") rendered by the server's own headless Chromium
 * from the built screen: PNG at 1080p and 4K (size from the PNG header, pixels decoded and
 * checked not to be a blank page, the 4K one against the 1080p one), one widget at its own size,
 * PDF, the language, bad parameters, closed reading, and the bounds: 501 without Chromium, 503
 * with Retry-After when the queue is full, 504 past the time-out, the browser reused then closed
 * when idle.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { mkdirSync, writeFileSync } from 'node:fs'
import { ARTIFACTS, CHROMIUM } from '../helpers/chromium.ts'
import { decodePng, pixelStats, pngSize } from '../helpers/png.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { seed, storeScreen, testScreen } from './wall-support.ts'

let server: TestServer
const extra: TestServer[] = []

/** another cockpit under a prefix inside this file's: one cleanup removes its keys too */
async function otherServer(env: Record<string, string>): Promise<TestServer> {
  const s = await startTestServer({ COCKPIT_KEY_PREFIX: `${server.prefix}x${extra.length}:`, COCKPIT_CHROMIUM_PATH: CHROMIUM, ...env })
  extra.push(s)
  await storeScreen(s.url, s.adminKey, testScreen('snap'))
  return s
}

async function get(path: string, token: string | null = null, on = server): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(on.url + path, token ? { headers: { authorization: `Bearer ${token}` } } : {})
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) }
}

beforeAll(async () => {
  server = await startTestServer({ COCKPIT_CHROMIUM_PATH: CHROMIUM })
  await seed(server.url, server.adminKey, server.ingestKey)
  await storeScreen(server.url, server.adminKey, testScreen('snap'))
  mkdirSync(ARTIFACTS, { recursive: true })
})

afterAll(async () => {
  for (const s of extra) await s.close()
  await server?.close()
})

describe('PNG', () => {
  let reference: { nonBackground: number; colours: number }

  test('1080p by default: a 1920×1080 PNG of the screen with its data drawn', async () => {
    const res = await get('/api/v1/screens/snap/snapshot.png')
    expect(res.status, res.body.toString()).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/png')
    expect(res.headers.get('content-disposition')).toMatch(/^inline; filename="snap-\d{8}-\d{4}\.png"$/)
    expect(pngSize(res.body)).toEqual({ width: 1920, height: 1080 })
    writeFileSync(`${ARTIFACTS}snapshot-1080p.png`, res.body)
    reference = pixelStats(decodePng(res.body))
    // a drawn wall: panels, figures and charts over the background, many colours (a blank or error page has a handful)
    expect(reference.nonBackground).toBeGreaterThan(0.2)
    expect(reference.colours).toBeGreaterThan(200)
  })

  test('4K: 3840×2160, the same wall scaled (its share of drawn pixels close to the 1080p one)', async () => {
    const res = await get('/api/v1/screens/snap/snapshot.png?width=3840&height=2160')
    expect(res.status, res.body.toString()).toBe(200)
    expect(pngSize(res.body)).toEqual({ width: 3840, height: 2160 })
    const stats = pixelStats(decodePng(res.body), 8)
    expect(stats.colours).toBeGreaterThan(200)
    expect(Math.abs(stats.nonBackground - reference.nonBackground)).toBeLessThan(0.1)
  })

  test('one widget at its own size; the language changes the picture', async () => {
    const zh = await get('/api/v1/screens/snap/snapshot.png?widget=revenue&width=640&height=360')
    expect(zh.status, zh.body.toString()).toBe(200)
    expect(pngSize(zh.body)).toEqual({ width: 640, height: 360 })
    const stats = pixelStats(decodePng(zh.body), 1)
    expect(stats.nonBackground).toBeGreaterThan(0.05)
    expect(stats.colours).toBeGreaterThan(50)
    // the KPI's own title (the instance sets none in English): 销售收入 vs "Revenue…" — other pixels
    const en = await get('/api/v1/screens/snap/snapshot.png?widget=trend&width=640&height=360&lang=en')
    const zhTrend = await get('/api/v1/screens/snap/snapshot.png?widget=trend&width=640&height=360&lang=zh')
    expect(en.status).toBe(200)
    expect(pngSize(en.body)).toEqual({ width: 640, height: 360 })
    expect(decodePng(en.body).data.equals(decodePng(zhTrend.body).data)).toBe(false)
  })
})

describe('PDF', () => {
  test('a one-page PDF of the screen', async () => {
    const res = await get('/api/v1/screens/snap/snapshot.pdf')
    expect(res.status, res.body.toString()).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/pdf')
    expect(res.body.subarray(0, 5).toString('latin1')).toBe('%PDF-')
    expect(res.body.toString('latin1').match(/\/Type\s*\/Page[^s]/g)).toHaveLength(1)
    expect(res.body.length).toBeGreaterThan(10_000)
  })
})

describe('refusals', () => {
  test('bad parameters are a 400 naming the field; unknown screens and widgets are named', async () => {
    for (const [query, path] of [
      ['width=99999', 'width'],
      ['width=100', 'width'],
      ['height=abc', 'height'],
      ['width=3840&height=3840', 'width'],
      ['lang=fr', 'lang'],
      ['widget=nope', 'widget'],
    ] as const) {
      const res = await get(`/api/v1/screens/snap/snapshot.png?${query}`)
      expect(res.status, query).toBe(400)
      expect(JSON.parse(res.body.toString()), query).toMatchObject({ error: 'COCKPIT_ERR_INVALID_SNAPSHOT', errors: [{ path }] })
    }
    expect((await get('/api/v1/screens/nope/snapshot.png')).status).toBe(404)
  })

  test('without Chromium: 501 naming the Debian package, and the server goes on', async () => {
    const s = await otherServer({ COCKPIT_CHROMIUM_PATH: '/nonexistent/chromium' })
    const res = await get('/api/v1/screens/snap/snapshot.png', null, s)
    expect(res.status).toBe(501)
    const body = JSON.parse(res.body.toString()) as { error: string; message: string }
    expect(body.error).toBe('COCKPIT_ERR_CHROMIUM_MISSING')
    expect(body.message).toMatch(/Debian package "chromium"/)
    expect(body.message).toMatch(/COCKPIT_CHROMIUM_PATH/)
    expect((await get('/api/v1/screens/snap', null, s)).status).toBe(200)
  })

  test('queue full: 503 with Retry-After while another render runs; the running one completes', async () => {
    const s = await otherServer({ COCKPIT_SNAPSHOT_QUEUE: '0', COCKPIT_SNAPSHOT_TIMEOUT_MS: '20000' })
    const [first, second] = await Promise.all([
      get('/api/v1/screens/snap/snapshot.png?widget=revenue&width=400&height=300', null, s),
      get('/api/v1/screens/snap/snapshot.png', null, s),
    ])
    expect(first.status).toBe(200)
    expect(second.status).toBe(503)
    expect(JSON.parse(second.body.toString())).toMatchObject({ error: 'COCKPIT_ERR_RENDER_BUSY' })
    expect(second.headers.get('retry-after')).toBe('20')
  })

  test('a render past the time-out is stopped with 504 and leaves the queue', async () => {
    const s = await otherServer({ COCKPIT_SNAPSHOT_TIMEOUT_MS: '1000' })
    const res = await get('/api/v1/screens/snap/snapshot.png', null, s)
    expect(res.status).toBe(504)
    expect(JSON.parse(res.body.toString())).toMatchObject({ error: 'COCKPIT_ERR_RENDER_TIMEOUT' })
    expect(s.app.snapshots.renderer.pending).toBe(0)
  })

  test('the browser is reused across renders and closed when idle', async () => {
    const s = await otherServer({ COCKPIT_SNAPSHOT_IDLE_MS: '1500' })
    expect(s.app.snapshots.renderer.browserOpen).toBe(false)
    expect((await get('/api/v1/screens/snap/snapshot.png?widget=revenue&width=400&height=300', null, s)).status).toBe(200)
    expect(s.app.snapshots.renderer.browserOpen).toBe(true)
    const started = Date.now()
    expect((await get('/api/v1/screens/snap/snapshot.png?widget=revenue&width=400&height=300', null, s)).status).toBe(200)
    // a warm browser renders without a launch
    expect(Date.now() - started).toBeLessThan(8000)
    await expect.poll(() => s.app.snapshots.renderer.browserOpen, { timeout: 5000, interval: 200 }).toBe(false)
  })
})

describe('shutdown', () => {
  test('closing the server during a render ends it at once and closes the browser', async () => {
    const s = await otherServer({ COCKPIT_SNAPSHOT_TIMEOUT_MS: '60000' })
    const rendering = get('/api/v1/screens/snap/snapshot.png', null, s).catch(() => undefined)
    await expect.poll(() => s.app.snapshots.renderer.browserOpen, { timeout: 10_000, interval: 50 }).toBe(true)
    const started = Date.now()
    await s.app.close()
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(s.app.snapshots.renderer.browserOpen).toBe(false)
    await rendering
    // and it renders nothing more
    const request = { screen: 'snap', width: 400, height: 300, locale: 'zh-CN', format: 'png', widgets: 3 } as const
    await expect(s.app.snapshots.renderer.render(request)).rejects.toMatchObject({ code: 'COCKPIT_ERR_RENDER_BUSY' })
    expect(s.app.snapshots.renderer.browserOpen).toBe(false)
  })
})

describe('closed reading', () => {
  // without the caller's token handed on, the page could not load the screen, no widget would load and the render would time out
  test('needs a reading credential; the page then reads with it', async () => {
    const s = await otherServer({ COCKPIT_VIEWER_TOKEN: 'vt-snapshots-0123456789' })
    expect((await get('/api/v1/screens/snap/snapshot.png', null, s)).status).toBe(401)
    const res = await get('/api/v1/screens/snap/snapshot.png?widget=revenue&width=640&height=360', 'vt-snapshots-0123456789', s)
    expect(res.status, res.body.toString()).toBe(200)
    expect(pixelStats(decodePng(res.body), 1).colours).toBeGreaterThan(50)
  })
})
