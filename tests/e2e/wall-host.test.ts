/**
 * WidgetHost, the piece the wall, tablet, embed and editor share, mounted alone in Chromium (a
 * Vite-served test page) against the real server: `period` replaces the widget's own period,
 * `filter` is merged into its queries (and a changed prop re-subscribes, letting go of the old
 * subscription), `showFrame` hides the frame, `locale` reaches the chrome and the widget.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Page } from 'playwright-core'
import { createServer } from 'vite'
import type { ViteDevServer } from 'vite'
import vue from '@vitejs/plugin-vue'
import { launchChromium, screenshot } from '../helpers/chromium.ts'
import type { Browser } from '../helpers/chromium.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import type { WidgetInstance } from '../../protocol/screen.ts'
import { seed } from './wall-support.ts'

const root = new URL('../../', import.meta.url).pathname
let server: TestServer
let vite: ViteDevServer
let browser: Browser
let base = ''

beforeAll(async () => {
  server = await startTestServer()
  await seed(server.url, server.adminKey, server.ingestKey)
  vite = await createServer({
    configFile: false,
    root: `${root}tests/e2e/wall-host`,
    plugins: [vue()],
    cacheDir: `${root}node_modules/.vite-wall-host`,
    logLevel: 'warn',
    server: {
      host: '127.0.0.1',
      port: 0,
      fs: { allow: [root] },
      proxy: { '/api': server.url, '/socket.io': { target: server.url.replace('http', 'ws'), ws: true } },
    },
  })
  await vite.listen()
  base = vite.resolvedUrls!.local[0]!
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await vite?.close()
  await server?.close()
})

const revenue: WidgetInstance = {
  id: 'revenue',
  widget: 'kpi-card',
  options: { metric: 'sales.revenue', window: 'today', compare: false, title: '销售收入' },
  x: 0,
  y: 0,
  w: 1,
  h: 1,
}

/** opens the test page with these props; records every query the page subscribes to */
async function host(props: Record<string, unknown>): Promise<{ page: Page; sent: string[] }> {
  const page = await browser.context.newPage()
  const sent: string[] = []
  page.on('websocket', (ws) => ws.on('framesent', (f) => sent.push(String(f.payload))))
  await page.goto(`${base}#${encodeURIComponent(JSON.stringify({ width: 480, height: 220, ...props }))}`)
  return { page, sent }
}

const value = (page: Page) => page.locator('[data-testid="kpi-value"] [data-value]').getAttribute('data-value')
const subscribed = (sent: string[]) => sent.filter((f) => f.includes('"subscribe"')).map((f) => JSON.parse(f.slice(f.indexOf('['))) as [string, Record<string, unknown>])

describe('WidgetHost', () => {
  test('shows the widget with its own queries inside a frame', async () => {
    const { page, sent } = await host({ instance: revenue })
    await expect.poll(() => value(page), { timeout: 30_000 }).toBe('¥4,305')
    expect(subscribed(sent).map(([, q]) => q)).toEqual([{ metric: 'sales.revenue', window: 'today' }])
    expect(await page.locator('.widget-title h2').textContent()).toBe('销售收入')
    await expect.poll(() => page.locator('.fresh').textContent()).toMatch(/^更新 \d\d:\d\d:\d\d$/)
    await page.close()
  })

  test('a period replaces the widget’s own; changing it re-subscribes and lets the old one go', async () => {
    const { page, sent } = await host({ instance: revenue, period: { window: 'yesterday' } })
    await expect.poll(() => value(page), { timeout: 30_000 }).toBe('¥140') // 40 × 3.5 yesterday
    expect(subscribed(sent).map(([, q]) => q)).toEqual([{ metric: 'sales.revenue', window: 'yesterday' }])
    await page.evaluate(() => window.hostProps({ period: { window: 'today' } }))
    await expect.poll(() => value(page), { timeout: 5000 }).toBe('¥4,305')
    expect(subscribed(sent).map(([, q]) => q)).toContainEqual({ metric: 'sales.revenue', window: 'today' })
    await expect.poll(() => sent.filter((f) => f.includes('"unsubscribe"')).length).toBe(1)
    await page.close()
  })

  test('a filter is merged into every query: only that warehouse’s figures', async () => {
    const { page, sent } = await host({ instance: revenue, filter: { warehouse: 'W2' } })
    await expect.poll(() => value(page), { timeout: 30_000 }).toBe('¥4,200')
    expect(subscribed(sent).map(([, q]) => q)).toEqual([{ metric: 'sales.revenue', window: 'today', filter: { warehouse: 'W2' } }])
    const ranking: WidgetInstance = {
      id: 'top',
      widget: 'ranking-bar',
      options: { metric: 'sales.revenue', groupBy: 'sku', top: 5, window: 'today', title: 'TOP' },
      x: 0,
      y: 0,
      w: 1,
      h: 1,
    }
    await page.evaluate((instance) => window.hostProps({ instance, filter: { warehouse: 'W1' } }), ranking)
    await expect
      .poll(() => subscribed(sent).at(-1)?.[1], { timeout: 5000 })
      .toEqual({ metric: 'sales.revenue', window: 'today', groupBy: 'sku', top: 5, filter: { warehouse: 'W1' } })
    await page.close()
  })

  test('showFrame false: no title or frame, the widget takes the whole box; English chrome', async () => {
    const { page } = await host({ instance: revenue, showFrame: false, locale: 'en', width: 300, height: 120 })
    await expect.poll(() => value(page), { timeout: 30_000 }).toBe('¥4.31K') // the widget formats in English too
    expect(await page.locator('.widget-title').count()).toBe(0)
    const box = (await page.locator('[data-widget="kpi-card"]').boundingBox())!
    expect(box.width).toBe(300)
    expect(box.height).toBe(120)
    const body = (await page.locator('.widget-body').boundingBox())!
    expect(body.width).toBe(300)
    expect(body.height).toBe(120)
    await screenshot(page, 'widget-host-frameless')
    await page.evaluate(() => window.hostProps({ showFrame: true }))
    await expect.poll(() => page.locator('.fresh').textContent()).toMatch(/^Updated \d\d:\d\d:\d\d$/)
    await page.close()
  })

  test('a burst of updates within one frame costs one setOption with the latest figures', async () => {
    const trend: WidgetInstance = {
      id: 'trend',
      widget: 'trend-line',
      options: { metrics: ['sales.revenue'], window: 'today', interval: 'hour', area: false },
      x: 0,
      y: 0,
      w: 1,
      h: 1,
    }
    const { page } = await host({ instance: trend, width: 800, height: 400 })
    await expect.poll(() => page.locator('[data-widget="trend-line"] canvas').count(), { timeout: 30_000 }).toBeGreaterThan(0)
    await expect.poll(() => page.locator('.fresh').textContent(), { timeout: 10_000 }).toMatch(/更新/)
    const calls = await page.evaluate(async () => {
      const { socket, pinia, chartOf } = window.cockpit
      const el = document.querySelector('[data-widget="trend-line"] .widget-body > div') as HTMLElement
      const chartEl = el.querySelector('[_echarts_instance_]') ?? el
      const chart = chartOf(chartEl as HTMLElement)!
      let setOptions = 0
      const original = chart.setOption.bind(chart)
      chart.setOption = ((...args: Parameters<typeof original>) => (setOptions++, original(...args))) as typeof chart.setOption
      const [, state] = Object.entries(pinia.state.value).find(([k]) => k.startsWith('subscription:'))! as [
        string,
        { id: string; version: number; result: { series: { start: string; value: number }[] } },
      ]
      const listeners = socket.listeners('update')
      // five pushes, each its own task as socket messages are, all inside one frame: each a new
      // version with a bigger figure
      const channel = new MessageChannel()
      const nextTask = () => new Promise<void>((r) => ((channel.port1.onmessage = () => r()), channel.port2.postMessage(0)))
      await new Promise((r) => requestAnimationFrame(r))
      // frames that begin while the pushes arrive (none on a quiet machine; a loaded one may slip one in)
      let frames = 0
      let counting = true
      const count = () => {
        if (!counting) return
        frames++
        requestAnimationFrame(count)
      }
      requestAnimationFrame(count)
      for (let i = 1; i <= 5; i++) {
        await nextTask()
        const result = { ...state.result, series: state.result.series.map((p, j, all) => (j === all.length - 1 ? { ...p, value: 1_000_000 * i } : p)) }
        for (const l of listeners) (l as (m: unknown) => void)({ subscription: state.id, version: state.version + 1, result })
      }
      counting = false
      const framesDuringPushes = frames
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))
      // the trend draws the bucket still filling as its own (dashed) series: look at every series
      const option = chart.getOption() as { series: { data: (number | null | (number | string | null)[])[] }[] }
      const values = option.series.flatMap((s) => s.data.map((v) => Number((Array.isArray(v) ? v.at(-1) : v) ?? 0)))
      return { setOptions, framesDuringPushes, last: Math.max(...values) }
    })
    // one setOption per frame, never one per push
    expect(calls.last).toBe(5_000_000)
    expect(calls.setOptions).toBeLessThanOrEqual(calls.framesDuringPushes + 1)
    if (calls.framesDuringPushes === 0) expect(calls.setOptions).toBe(1)
    await page.close()
  })

  test('a tap on a member is re-emitted as `drill`', async () => {
    const ranking: WidgetInstance = {
      id: 'top',
      widget: 'ranking-bar',
      options: { metric: 'sales.revenue', groupBy: 'sku', top: 5, window: 'today', title: 'TOP' },
      x: 0,
      y: 0,
      w: 1,
      h: 1,
    }
    const { page } = await host({ instance: ranking, width: 600, height: 300 })
    await expect.poll(() => page.locator('[data-widget="ranking-bar"] svg path').count(), { timeout: 30_000 }).toBeGreaterThan(1)
    await page.waitForTimeout(1000) // bars grow in
    // the largest bar (B2, ¥4,200) is drawn on top: click inside it, at the middle of its length
    const point = await page.evaluate(() => {
      const host = document.querySelector('[data-widget="ranking-bar"]')!
      const el = host.querySelector('[_echarts_instance_]') as HTMLElement
      const chart = window.cockpit.chartOf(el)!
      const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, [2100, 1]) as number[]
      const box = el.getBoundingClientRect()
      return { x: box.left + x!, y: box.top + y! }
    })
    // a loaded machine may still be growing the bar: the click lands on nothing until it is there
    // (bars do not overlap, so the point can only ever hit B2), so click until a drill comes
    await expect
      .poll(
        async () => {
          await page.mouse.click(point.x, point.y)
          return page.evaluate(() => window.drills.length)
        },
        { timeout: 15_000, interval: 500 },
      )
      .toBeGreaterThan(0)
    const drills = await page.evaluate(() => window.drills)
    expect(new Set(drills.map((d) => JSON.stringify(d)))).toEqual(new Set([JSON.stringify({ dimension: 'sku', key: 'B2', label: '洗衣液 2kg' })]))
    await page.close()
  })

  test('a result the server stops confirming dims the widget; a confirmation brings it back', async () => {
    // a 5-minute window: its results may go 60 s unconfirmed, and are re-confirmed after 30 s
    const recent: WidgetInstance = { ...revenue, options: { ...revenue.options, window: 'PT5M' } }
    const { page, sent } = await host({ instance: recent })
    await expect.poll(() => page.locator('[data-widget]').getAttribute('data-updated-at'), { timeout: 30_000 }).toMatch(/^\d+$/)
    expect(await page.locator('[data-widget]').getAttribute('data-stale')).toBe('false')
    // the server goes silent (the connection stays up) and the figure has gone 61 s unconfirmed
    const sockets = [...server.app.io.of('/').sockets.values()]
    const handlers = sockets.map((s) => s.listeners('subscribe'))
    for (const s of sockets) s.removeAllListeners('subscribe')
    // silent for updates too: a rolling window's figures are pushed again at the next minute
    const rooms = sockets.map((s) => [...s.rooms].filter((r) => r !== s.id))
    sockets.forEach((s, i) => rooms[i]!.forEach((r) => void s.leave(r)))
    // an answer already on its way (a re-confirmation sent just before) lands before the clock is turned back
    await page.waitForTimeout(1500)
    await page.evaluate(() => {
      for (const [key, state] of Object.entries(window.cockpit.pinia.state.value))
        if (key.startsWith('subscription:')) (state as { updatedAt: number }).updatedAt = Date.now() - 61_000
    })
    await expect.poll(() => page.locator('[data-widget]').getAttribute('data-stale'), { timeout: 7000 }).toBe('true')
    expect(await page.evaluate(() => window.cockpit.socket.connected)).toBe(true)
    const asked = subscribed(sent).length
    // the server answers again: the next re-confirmation (after the unanswered one timed out) un-dims it. Its
    // subscribe joins the room again; joining it here as well would let the room's next minute push un-dim the
    // widget first, before any re-confirmation was asked (a race with the minute boundary)
    sockets.forEach((s, i) => handlers[i]!.forEach((h) => s.on('subscribe', h as never)))
    await expect.poll(() => page.locator('[data-widget]').getAttribute('data-stale'), { timeout: 20_000 }).toBe('false')
    expect(subscribed(sent).length).toBeGreaterThan(asked)
    expect(subscribed(sent).at(-1)![1]).toEqual({ metric: 'sales.revenue', window: 'PT5M' })
    await page.close()
  })

  test('an unknown widget type says so instead of breaking the screen', async () => {
    const { page } = await host({ instance: { ...revenue, widget: 'no-such-widget' } })
    await expect.poll(() => page.locator('.widget-error').textContent(), { timeout: 30_000 }).toContain('no-such-widget')
    await page.close()
  })
})
