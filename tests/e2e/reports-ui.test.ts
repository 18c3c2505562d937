/**
 * The report actions in Chromium against the real server (docs/reports.md): a widget's ⤓ menu on
 * the tablet downloads its data as .xlsx and CSV, opened back here with the figures the widget
 * shows; in the editor, Save draft keeps an edit off the walls until Publish, and the History
 * panel lists the versions, previews one and rolls back to it.
 */
import { readFileSync } from 'node:fs'
import ExcelJS from 'exceljs'
import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Page } from 'playwright-core'
import type { StoredScreen } from '../../protocol/screen.ts'
import { launchChromium, screenshot } from '../helpers/chromium.ts'
import type { Browser } from '../helpers/chromium.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { seed, storeScreen, testScreen } from './wall-support.ts'

let server: TestServer
let browser: Browser

async function stored(id: string): Promise<StoredScreen> {
  return (await (await fetch(`${server.url}/api/v1/screens/${id}`)).json()) as StoredScreen
}

async function draftStatus(id: string): Promise<number> {
  return (await fetch(`${server.url}/api/v1/screens/${id}/draft`, { headers: { authorization: `Bearer ${server.adminKey}` } })).status
}

beforeAll(async () => {
  server = await startTestServer()
  await seed(server.url, server.adminKey, server.ingestKey)
  await storeScreen(server.url, server.adminKey, testScreen('rep'))
  browser = await launchChromium({ width: 1600, height: 1000 })
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

/** Opens a widget's export menu and downloads one format; the downloaded file's path and name. */
async function exportFrom(page: Page, instance: string, format: 'csv' | 'xlsx'): Promise<{ path: string; name: string }> {
  const menu = page.locator(`[data-instance="${instance}"] [data-testid="widget-export"]`)
  await expect.poll(() => menu.count(), { timeout: 10_000 }).toBe(1)
  await menu.locator('button.toggle').click()
  const [download] = await Promise.all([page.waitForEvent('download'), menu.locator(`button[data-format="${format}"]`).first().click()])
  return { path: (await download.path())!, name: download.suggestedFilename() }
}

describe('exports from the tablet', () => {
  test("a ranking's ⤓ menu downloads .xlsx and CSV with the figures it shows", async () => {
    const page = await browser.context.newPage()
    await page.setViewportSize({ width: 1024, height: 1366 })
    await page.goto(`${server.url}/tablet/rep`)
    // the ranking shows today's revenue by SKU: 洗衣液 2kg ¥4,200, 矿泉水 550ml ¥105
    await expect.poll(() => page.locator('[data-instance="bottom"]').textContent(), { timeout: 10_000 }).toContain('¥4,200')

    await page.locator('[data-instance="bottom"] [data-testid="widget-export"] button.toggle').click()
    await screenshot(page, 'tablet-export-menu')
    await page.locator('[data-instance="bottom"] [data-testid="widget-export"] button.toggle').click()
    const xlsx = await exportFrom(page, 'bottom', 'xlsx')
    expect(xlsx.name).toMatch(/^sales\.revenue-\d{4}-\d\d-\d\d\.xlsx$/)
    const wb = new ExcelJS.Workbook()
    await wb.xlsx.readFile(xlsx.path)
    const sheet = wb.worksheets[0]!
    expect(sheet.getRow(1).values).toEqual([undefined, '商品', '名称', '销售收入'])
    expect(sheet.getRow(2).values).toEqual([undefined, 'B2', '洗衣液 2kg', 4200])
    expect(sheet.getRow(3).values).toEqual([undefined, 'A1', '矿泉水 550ml', 105])
    expect(sheet.getCell('C2').numFmt).toBe('#,##0.00')

    const csv = await exportFrom(page, 'bottom', 'csv')
    const rows = parse(readFileSync(csv.path, 'utf8'), { bom: true }) as string[][]
    expect(rows).toEqual([
      ['商品', '名称', '销售收入'],
      ['B2', '洗衣液 2kg', '4200.00'],
      ['A1', '矿泉水 550ml', '105.00'],
    ])
    await page.close()
  })
})

describe('drafts and history in the editor', () => {
  async function signIn(page: Page): Promise<void> {
    const dialog = page.locator('[data-testid="admin-key-dialog"]')
    await expect.poll(() => dialog.count(), { timeout: 5000 }).toBe(1)
    await dialog.locator('input[type="password"]').fill(server.adminKey)
    await dialog.locator('button[type="submit"]').click()
    await expect.poll(() => dialog.count(), { timeout: 5000 }).toBe(0)
  }

  test('save draft keeps the wall on the published version until publish; history previews and rolls back', async () => {
    // two published versions: v1 "测试屏 hist", v2 "Second title"
    await storeScreen(server.url, server.adminKey, testScreen('hist'))
    await storeScreen(server.url, server.adminKey, testScreen('hist', { title: 'Second title' }))
    const page = await browser.context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${server.url}/editor/hist`)
    await expect.poll(() => page.locator('[data-testid="editor-version"]').textContent(), { timeout: 10_000 }).toContain('2')

    // an edit kept as a draft: the published screen does not move
    await page.locator('[data-testid="save-draft"]').click()
    await signIn(page)
    await page.locator('[data-testid="save-draft"]').click()
    await expect.poll(() => page.locator('[data-testid="editor-notice"]').textContent()).toContain('草稿已保存')
    expect(await draftStatus('hist')).toBe(200)
    expect((await stored('hist')).version).toBe(2)

    // published: version 3, the draft gone
    await page.locator('[data-testid="publish"]').click()
    await expect.poll(() => page.locator('[data-testid="editor-notice"]').textContent()).toContain('已发布为版本 3')
    expect((await stored('hist')).version).toBe(3)
    expect(await draftStatus('hist')).toBe(404)

    // history: v3 (current), v2, v1; preview v1, roll back to it → v4 with v1's title
    await page.locator('[data-testid="history"]').click()
    const panel = page.locator('[data-testid="history-panel"]')
    await expect.poll(() => panel.locator('li').count(), { timeout: 5000 }).toBe(3)
    expect(await panel.locator('li').evaluateAll((items) => items.map((li) => li.getAttribute('data-version')))).toEqual(['3', '2', '1'])
    await panel.locator('li[data-version="1"] [data-testid="history-preview"]').click()
    await expect.poll(() => panel.locator('[data-testid="history-preview-canvas"]').getAttribute('data-version')).toBe('1')
    await expect.poll(() => panel.locator('[data-testid="history-preview-canvas"] [data-instance]').count()).toBe(3)
    await screenshot(page, 'editor-history')
    await panel.locator('li[data-version="1"] [data-testid="history-rollback"]').click()
    await expect.poll(() => page.locator('[data-testid="editor-notice"]').textContent()).toContain('版本 1 另存为版本 4')
    const now = await stored('hist')
    expect(now).toMatchObject({ version: 4, title: '测试屏 hist' })
    await expect.poll(() => page.locator('[data-testid="editor-title"]').textContent()).toBe('测试屏 hist')
    await expect.poll(() => panel.locator('li').count()).toBe(4)
    expect(errors).toEqual([])
    await page.close()
  })
})
