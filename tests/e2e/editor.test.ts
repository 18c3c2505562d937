/**
 * The layout editor in Chromium against the real server: add a widget from the palette, edit
 * its options through the generated form (errors next to the field), move and resize it on the
 * grid, save after signing in with the admin key (typed once in the editor's prompt; a session
 * cookie, not the key, stays in the browser), reload and find it where it was; a stale save shows
 * the 409 conflict with reload and overwrite; a screen goes out and comes back as a JSON file.
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Page } from 'playwright-core'
import { launchChromium, screenshot } from '../helpers/chromium.ts'
import type { Browser } from '../helpers/chromium.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

let server: TestServer
let browser: Browser

/** The wall geometry on a 1920×1080, 12×12 screen (screen/editor/geometry.ts). */
const CELL = { w: (1920 - 48 - 11 * 16) / 12 + 16, h: (1080 - 96 - 24 - 11 * 16) / 12 + 16 }

async function api(path: string, init: { method?: string; body?: unknown; key?: string } = {}) {
  const res = await fetch(server.url + path, {
    method: init.method ?? 'GET',
    headers: { ...(init.key ? { authorization: `Bearer ${init.key}` } : {}), ...(init.body ? { 'content-type': 'application/json' } : {}) },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  })
  return { status: res.status, body: (await res.json().catch(() => undefined)) as Record<string, any> }
}

beforeAll(async () => {
  server = await startTestServer()
  browser = await launchChromium({ width: 1600, height: 1000 })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

async function scale(page: Page): Promise<number> {
  const box = (await page.locator('[data-testid="editor-canvas"]').boundingBox())!
  return box.width / 1920
}

/** Drags with the mouse in small steps, as a hand would (interact.js needs movement to start). */
async function drag(page: Page, from: { x: number; y: number }, dx: number, dy: number) {
  await page.mouse.move(from.x, from.y)
  await page.mouse.down()
  await page.mouse.move(from.x + 5, from.y + 5, { steps: 3 })
  await page.mouse.move(from.x + dx, from.y + dy, { steps: 12 })
  await page.waitForTimeout(100)
  await page.mouse.up()
}

/** Types the admin key into the editor's sign-in prompt, as an administrator would. */
async function signIn(page: Page): Promise<void> {
  const dialog = page.locator('[data-testid="admin-key-dialog"]')
  await expect.poll(() => dialog.count(), { timeout: 5000 }).toBe(1)
  await dialog.locator('input[type="password"]').fill(server.adminKey)
  await dialog.locator('button[type="submit"]').click()
}

async function geometry(page: Page): Promise<string> {
  return (await page.locator('[data-testid="selected-geometry"]').textContent()) ?? ''
}

describe('the layout editor', () => {
  test('add, configure, move, resize, save with the admin key, reload: still there', async () => {
    const page = await browser.context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${server.url}/editor/e2e-board`)
    await expect.poll(() => page.locator('[data-testid="editor-canvas"]').count(), { timeout: 10_000 }).toBe(1)
    await expect.poll(() => page.locator('[data-testid="editor-version"]').textContent()).toContain('未保存')

    // the palette is titled in the current language and adds at the first free cell
    expect(await page.locator('[data-testid="palette"] [data-widget="kpi-card"]').textContent()).toContain('指标卡')
    await page.locator('[data-testid="palette"] [data-widget="kpi-card"]').click()
    const item = page.locator('[data-item="kpi-card-1"]')
    await expect.poll(() => item.count()).toBe(1)
    expect(await geometry(page)).toContain('x 0, y 0, 3×2')

    // the options form: enum → select, boolean → switch, pattern-checked text
    await page.locator('[data-field="metric"] select').selectOption('sales.qty')
    await page.locator('[data-field="title"] input').fill('件数')
    await page.locator('[data-field="window"] input').fill('last week')
    await expect.poll(() => page.locator('[data-field="window"] [data-testid="field-error"]').textContent()).toBe('格式不正确')
    await page.locator('[data-testid="save"]').click()
    await expect.poll(() => page.locator('[data-testid="editor-notice"]').textContent()).toContain('修正后才能保存')
    expect(await page.locator('[data-testid="admin-key-dialog"]').count()).toBe(0)
    await page.locator('[data-field="window"] input').fill('P7D')
    await expect.poll(() => page.locator('[data-field="window"] [data-testid="field-error"]').count()).toBe(0)
    await page.locator('[data-field="compare"] input').setChecked(false)
    // the live preview shows the widget with its new title
    await expect.poll(() => page.locator('[data-testid="preview"] [data-instance="kpi-card-1"]').textContent(), { timeout: 10_000 }).toContain('件数')

    // move by 4 columns and 3 rows, then widen by 1 column and 1 row
    const s = await scale(page)
    let box = (await item.boundingBox())!
    await drag(page, { x: box.x + box.width / 2, y: box.y + box.height / 2 }, 4 * CELL.w * s, 3 * CELL.h * s)
    await expect.poll(() => geometry(page)).toContain('x 4, y 3, 3×2')
    box = (await item.boundingBox())!
    await drag(page, { x: box.x + box.width - 3, y: box.y + box.height - 3 }, CELL.w * s, CELL.h * s)
    await expect.poll(() => geometry(page)).toContain('x 4, y 3, 4×3')
    await screenshot(page, 'editor-edited')

    // save: the admin key is asked once, exchanged for a session
    await page.locator('[data-testid="save"]').click()
    await signIn(page)
    await expect.poll(() => page.locator('[data-testid="editor-notice"]').textContent(), { timeout: 5000 }).toContain('版本 1')
    const stored = await api('/api/v1/screens/e2e-board')
    expect(stored.status).toBe(200)
    expect(stored.body.version).toBe(1)
    expect(stored.body.widgets).toEqual([
      expect.objectContaining({
        id: 'kpi-card-1',
        widget: 'kpi-card',
        x: 4,
        y: 3,
        w: 4,
        h: 3,
        options: expect.objectContaining({ metric: 'sales.qty', window: 'P7D', compare: false, title: '件数' }),
      }),
    ])

    await page.reload()
    await expect.poll(() => page.locator('[data-item="kpi-card-1"]').count(), { timeout: 10_000 }).toBe(1)
    await expect.poll(() => page.locator('[data-testid="editor-version"]').textContent()).toContain('版本 1')
    await page.locator('[data-item="kpi-card-1"] .hit').click({ position: { x: 20, y: 20 } })
    expect(await geometry(page)).toContain('x 4, y 3, 4×3')
    expect(await page.locator('[data-field="metric"] select').inputValue()).toBe('sales.qty')
    // the session goes on after the reload: no second prompt
    await page.locator('[data-field="title"] input').fill('销售件数')
    await page.locator('[data-testid="save"]').click()
    await expect.poll(() => page.locator('[data-testid="editor-notice"]').textContent(), { timeout: 5000 }).toContain('版本 2')
    expect(await page.locator('[data-testid="admin-key-dialog"]').count()).toBe(0)
    expect(errors).toEqual([])
    await page.close()
  })

  test('a stale save shows the conflict: reload theirs, or overwrite with mine', async () => {
    const base = { id: 'e2e-conflict', title: '冲突测试', design: { width: 1920, height: 1080 }, theme: 'dark', fit: 'fit', grid: { columns: 12, rows: 12 }, widgets: [] }
    expect((await api('/api/v1/screens/e2e-conflict', { method: 'PUT', key: server.adminKey, body: { ...base, version: 0 } })).status).toBe(200)
    // not signed in (whatever an earlier test did): the first save asks for the key
    await browser.context.clearCookies()
    const page = await browser.context.newPage()
    await page.goto(`${server.url}/editor/e2e-conflict`)
    await expect.poll(() => page.locator('[data-testid="editor-version"]').textContent(), { timeout: 10_000 }).toContain('版本 1')

    // someone else saves version 2 meanwhile
    expect((await api('/api/v1/screens/e2e-conflict', { method: 'PUT', key: server.adminKey, body: { ...base, title: '别人的版本', version: 1 } })).status).toBe(200)
    await page.locator('[data-testid="palette"] [data-widget="ranking-bar"]').click()
    await page.locator('[data-testid="save"]').click()
    await signIn(page)
    const dialog = page.locator('[data-testid="conflict-dialog"]')
    await expect.poll(() => dialog.count(), { timeout: 5000 }).toBe(1)
    expect(await page.locator('[data-testid="conflict-message"]').textContent()).toMatch(/版本 2.*基于版本 1/s)
    await screenshot(page, 'editor-conflict')

    // reload theirs: their title, my unsaved widget gone
    await page.locator('[data-testid="conflict-reload"]').click()
    await expect.poll(() => page.locator('[data-testid="editor-title"]').textContent()).toBe('别人的版本')
    expect(await page.locator('[data-item]').count()).toBe(0)
    await expect.poll(() => page.locator('[data-testid="editor-version"]').textContent()).toContain('版本 2')

    // again, and this time overwrite
    expect((await api('/api/v1/screens/e2e-conflict', { method: 'PUT', key: server.adminKey, body: { ...base, title: '第三个版本', version: 2 } })).status).toBe(200)
    await page.locator('[data-testid="palette"] [data-widget="stock-alerts"]').click()
    await page.locator('[data-testid="save"]').click()
    await expect.poll(() => dialog.count(), { timeout: 5000 }).toBe(1)
    expect(await page.locator('[data-testid="conflict-message"]').textContent()).toContain('版本 3')
    await page.locator('[data-testid="conflict-overwrite"]').click()
    await expect.poll(() => page.locator('[data-testid="editor-notice"]').textContent(), { timeout: 5000 }).toContain('版本 4')
    const stored = await api('/api/v1/screens/e2e-conflict')
    expect(stored.body.version).toBe(4)
    expect(stored.body.title).toBe('别人的版本')
    expect(stored.body.widgets.map((w: { widget: string }) => w.widget)).toEqual(['stock-alerts'])
    await page.close()
  })

  test('starts from a template, exports JSON and imports it back; bad files are explained', async () => {
    const page = await browser.context.newPage()
    await page.goto(`${server.url}/editor/e2e-files?lang=en`)
    await expect.poll(() => page.locator('[data-testid="editor-canvas"]').count(), { timeout: 10_000 }).toBe(1)
    // the palette in the chosen language
    expect(await page.locator('[data-testid="palette"] [data-widget="kpi-card"]').textContent()).toContain('KPI card')
    await expect.poll(() => page.locator('[data-testid="template-picker"] option').count(), { timeout: 10_000 }).toBeGreaterThan(1)
    await page.locator('[data-testid="template-picker"]').selectOption('retail')
    await expect.poll(() => page.locator('[data-item]').count()).toBeGreaterThan(3)
    const count = await page.locator('[data-item]').count()

    const download = page.waitForEvent('download')
    await page.locator('[data-testid="export"]').click()
    const file = await (await download).path()
    const exported = JSON.parse(readFileSync(file, 'utf8'))
    expect(exported.id).toBe('e2e-files')
    expect(exported.widgets).toHaveLength(count)
    expect(exported.version).toBeUndefined()

    // import an edited copy: one widget fewer, another title
    const dir = mkdtempSync(join(tmpdir(), 'cockpit-editor-'))
    const edited = join(dir, 'edited.json')
    writeFileSync(edited, JSON.stringify({ ...exported, title: '导入的大屏', widgets: exported.widgets.slice(1) }))
    await page.locator('[data-testid="import-file"]').setInputFiles(edited)
    await expect.poll(() => page.locator('[data-testid="editor-title"]').textContent()).toBe('导入的大屏')
    expect(await page.locator('[data-item]').count()).toBe(count - 1)

    const bad = join(dir, 'bad.json')
    writeFileSync(bad, JSON.stringify({ ...exported, widgets: [{ ...exported.widgets[0], options: { ...exported.widgets[0].options, metric: 'no.such' } }] }))
    await page.locator('[data-testid="import-file"]').setInputFiles(bad)
    await expect.poll(() => page.locator('[data-testid="import-problems"]').textContent()).toContain('metric')
    await screenshot(page, 'editor-import-problems')
    await page.close()
  })
})
