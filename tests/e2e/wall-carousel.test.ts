/**
 * The wall's carousel against the real server: screens rotate with their dwell, the next one is
 * mounted hidden with its data before its turn, the leaving one is disposed; `show` for the
 * wall's name puts a screen up at once and the playlist continues from it; kiosk mode has no
 * controls and no cursor.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Page } from 'playwright-core'
import { launchChromium, screenshot } from '../helpers/chromium.ts'
import type { Browser } from '../helpers/chromium.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { call, kpiText, seed, storeScreen, testScreen } from './wall-support.ts'

let server: TestServer
let browser: Browser

const screens = [
  testScreen('car-a', { dwellSeconds: 5 }),
  // b's queries differ from a's (a rolling 24 h window), so its subscriptions are its own
  testScreen('car-b', {
    dwellSeconds: 5,
    widgets: [{ id: 'revenue', widget: 'kpi-card', options: { metric: 'sales.revenue', window: 'PT24H', compare: false, title: '24 小时收入' }, x: 0, y: 0, w: 2, h: 2 }],
  }),
  testScreen('car-c', { dwellSeconds: 5, title: '临时插播' }),
]

beforeAll(async () => {
  server = await startTestServer()
  await seed(server.url, server.adminKey, server.ingestKey)
  for (const screen of screens) await storeScreen(server.url, server.adminKey, screen)
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

const shown = (page: Page) => page.locator('[data-testid="wall"]').getAttribute('data-shown')
const activeScreen = (page: Page) => page.locator('[data-testid="screen"][data-active="true"]').getAttribute('data-screen')
const mounted = (page: Page) => page.locator('[data-testid="screen"]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-screen')}:${e.getAttribute('data-active')}`))

/** Socket.IO rooms of the server other than each socket's own: one per distinct subscribed query. */
function subscriptionRooms(): number {
  const rooms = server.app.io.of('/').adapter.rooms
  let n = 0
  for (const [room, members] of rooms) if (!members.has(room)) n++
  return n
}

describe('the wall carousel', () => {
  test('rotates with each screen’s dwell, preloads the next one with data, disposes the one leaving', async () => {
    const page = await browser.context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${server.url}/wall?playlist=car-a,car-b`)
    await expect.poll(() => activeScreen(page), { timeout: 10_000 }).toBe('car-a')
    const t0 = Date.now()
    expect(await mounted(page)).toEqual(['car-a:true'])

    // a few seconds before its turn, b is mounted hidden and already has its figure
    await expect.poll(() => mounted(page), { timeout: 6000, interval: 100 }).toEqual(['car-a:true', 'car-b:false'])
    await expect.poll(() => kpiText(page, 'revenue', '[data-screen="car-b"]'), { timeout: 3000 }).toMatch(/^¥/)
    expect(await activeScreen(page)).toBe('car-a')
    expect(await page.locator('[data-screen="car-b"]').evaluate((el) => getComputedStyle(el).visibility)).toBe('hidden')

    // b comes up after a's 5 s dwell; a is unmounted with its charts
    await expect.poll(() => activeScreen(page), { timeout: 8000, interval: 100 }).toBe('car-b')
    const switched = Date.now() - t0
    expect(switched).toBeGreaterThan(4000)
    expect(switched).toBeLessThan(7000)
    expect(await mounted(page)).toEqual(['car-b:true'])
    expect(await kpiText(page)).toMatch(/^¥/)
    await screenshot(page, 'wall-carousel-b')

    // and back to a: a rotation does not accumulate screens, charts or subscriptions
    await expect.poll(() => activeScreen(page), { timeout: 8000, interval: 100 }).toBe('car-a')
    await expect.poll(() => activeScreen(page), { timeout: 8000, interval: 100 }).toBe('car-b')
    expect(await page.locator('[data-testid="screen"]').count()).toBe(1)
    expect(await page.locator('canvas').count()).toBe(0) // b has no chart; a's were disposed
    // a's subscriptions were let go with it: only b's one query is subscribed until a preloads again
    await expect.poll(() => subscriptionRooms(), { timeout: 2000, interval: 50 }).toBe(1)
    expect(errors).toEqual([])
    await page.close()
  })

  test('a `show` for its wall name puts a screen up now; the playlist then continues', async () => {
    const page = await browser.context.newPage()
    await page.goto(`${server.url}/wall?playlist=car-a,car-b&wall=room-1&kiosk=1`)
    await expect.poll(() => activeScreen(page), { timeout: 10_000 }).toBe('car-a')
    await expect.poll(() => kpiText(page), { timeout: 10_000 }).toMatch(/^¥/)

    // another wall's command is not for this one
    const other = await call(server.url, '/api/v1/walls/room-2/show', { screen: 'car-c' }, server.adminKey)
    expect(await other.json()).toEqual({ delivered: 0 })
    await new Promise((r) => setTimeout(r, 500))
    expect(await shown(page)).toBe('car-a')

    const t0 = Date.now()
    const res = await call(server.url, '/api/v1/walls/room-1/show', { screen: 'car-c' }, server.adminKey)
    expect(await res.json()).toEqual({ delivered: 1 }) // the wall joined its name
    await expect.poll(() => activeScreen(page), { timeout: 3000, interval: 50 }).toBe('car-c')
    expect(Date.now() - t0).toBeLessThan(1500)
    expect(await page.locator('[data-testid="screen-title"]').textContent()).toBe('临时插播')
    // c is not in the playlist: it takes one turn, then the screen after the one it replaced
    await expect.poll(() => activeScreen(page), { timeout: 8000, interval: 100 }).toBe('car-b')
    expect(Date.now() - t0).toBeGreaterThan(4000)

    // kiosk: no controls, no cursor
    expect(await page.locator('[data-testid="wall-controls"]').count()).toBe(0)
    await page.mouse.move(500, 500)
    expect(await page.locator('[data-testid="screen"][data-active="true"] .canvas').evaluate((el) => getComputedStyle(el).cursor)).toBe('none')
    await page.close()
  })

  test('a `screenChanged` for the screen on the wall reloads it in place', async () => {
    const page = await browser.context.newPage()
    const edited = testScreen('edit-me', { title: '编辑前' })
    await storeScreen(server.url, server.adminKey, edited)
    await page.goto(`${server.url}/wall/edit-me`)
    await expect.poll(() => page.locator('[data-testid="screen-title"]').textContent(), { timeout: 10_000 }).toBe('编辑前')
    await expect.poll(() => kpiText(page), { timeout: 10_000 }).toMatch(/^¥/)
    // an administrator saves an edit: the server announces screenChanged, the wall reloads it
    await storeScreen(server.url, server.adminKey, { ...edited, title: '编辑后', widgets: edited.widgets.filter((w) => w.id !== 'bottom') })
    await expect.poll(() => page.locator('[data-testid="screen-title"]').textContent(), { timeout: 5000 }).toBe('编辑后')
    expect(await page.locator('[data-instance="bottom"]').count()).toBe(0)
    expect(await kpiText(page)).toMatch(/^¥/) // figures stay up: the same screen was not remounted
    await page.close()
  })

  test('an unknown screen in the playlist is skipped; an unknown single screen says so', async () => {
    const page = await browser.context.newPage()
    await page.goto(`${server.url}/wall/nope-screen`)
    await expect.poll(() => page.locator('[data-testid="wall-error"]').textContent(), { timeout: 10_000 }).toContain('nope-screen')
    await page.goto(`${server.url}/wall?playlist=car-a,missing,car-b`)
    await expect.poll(() => activeScreen(page), { timeout: 10_000 }).toBe('car-a')
    await expect.poll(() => activeScreen(page), { timeout: 8000, interval: 100 }).toBe('car-b')
    await page.close()
  })
})
