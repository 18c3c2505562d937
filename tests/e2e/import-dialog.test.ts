/**
 * The editor's import dialog in Chromium against the real server: sign in, pick an .xlsx ERP
 * export with Chinese headers, see the mapped columns, the first rows and a rejected row; import
 * the corrected file and find its figures through the query API.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ExcelJS from 'exceljs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { launchChromium, screenshot } from '../helpers/chromium.ts'
import type { Browser } from '../helpers/chromium.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

let server: TestServer
let browser: Browser
const dir = mkdtempSync(join(tmpdir(), 'cockpit-import-e2e-'))

beforeAll(async () => {
  server = await startTestServer()
  browser = await launchChromium({ width: 1600, height: 1000 })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** an export of September 2025: 12 receipts and shipments, a payment; `bad` adds a row with an unknown type */
async function exportFile(name: string, bad: boolean): Promise<string> {
  const wb = new ExcelJS.Workbook()
  const ws = wb.addWorksheet('单据明细')
  ws.addRow(['单据编号', '行号', '单据日期', '单据类型', '商品编码', '商品名称', '仓库', '数量', '单价', '金额', '往来单位'])
  for (let d = 1; d <= 12; d++) {
    ws.addRow([`CGRK-${d}`, 1, new Date(Date.UTC(2025, 8, d, 9)), '采购入库', 'SKU-E', '垫片', '杭州仓', 50, 1.2, null, 'SUP-9'])
    ws.addRow([`XSCK-${d}`, 1, new Date(Date.UTC(2025, 8, d, 15)), '销售出库', 'SKU-E', '垫片', '杭州仓', 10, 4, null, 'C-9'])
  }
  ws.addRow(['SK-1', null, new Date(Date.UTC(2025, 8, 20, 10)), '收款', null, null, null, null, null, 480, 'C-9'])
  if (bad) ws.addRow(['ZP-1', 1, new Date(Date.UTC(2025, 8, 21, 10)), '赠品出库', 'SKU-E', '垫片', '杭州仓', 1, 0, null, null])
  ws.getColumn(3).numFmt = 'yyyy-mm-dd hh:mm'
  const file = join(dir, name)
  await wb.xlsx.writeFile(file)
  return file
}

async function revenue(): Promise<number> {
  const res = await fetch(`${server.url}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ metric: 'sales.revenue', from: '2025-09-01T00:00:00+08:00', to: '2025-10-01T00:00:00+08:00' }),
  })
  return ((await res.json()) as { total: number }).total
}

describe('the import dialog', () => {
  test('preview an .xlsx export (columns, first rows, rejects), then import it', async () => {
    const page = await browser.context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${server.url}/editor/import-board`)
    await expect.poll(() => page.locator('[data-testid="editor-canvas"]').count(), { timeout: 10_000 }).toBe(1)

    // importing needs the admin role: the key is asked first
    await page.locator('[data-testid="import-data"]').click()
    const keyDialog = page.locator('[data-testid="admin-key-dialog"]')
    await expect.poll(() => keyDialog.count(), { timeout: 5000 }).toBe(1)
    await keyDialog.locator('input[type="password"]').fill(server.adminKey)
    await keyDialog.locator('button[type="submit"]').click()
    const dialog = page.locator('[data-testid="import-data-dialog"]')
    await expect.poll(() => dialog.count(), { timeout: 5000 }).toBe(1)

    // a file with a row of an unknown document type: previewed, the row rejected, nothing to apply
    await dialog.locator('[data-testid="import-data-file"]').setInputFiles(await exportFile('with-bad-row.xlsx', true))
    await expect.poll(() => dialog.locator('[data-testid="import-data-counts"]').textContent(), { timeout: 10_000 }).toBe('共 26 行：有效 25 行，拒绝 1 行')
    expect(await dialog.locator('[data-testid="import-data-mapping"]').textContent()).toContain('单价 → price')
    expect(await dialog.locator('[data-testid="import-data-rows"] tbody tr').count()).toBe(20)
    expect(await dialog.locator('[data-testid="import-data-rows"] tbody tr').first().textContent()).toContain('CGRK-1-1')
    expect(await dialog.locator('[data-testid="import-data-rejects"] tbody tr').textContent()).toContain('"赠品出库" is not a known document type')
    expect(await dialog.locator('[data-testid="import-data-apply"]').isDisabled()).toBe(true)
    await screenshot(page, 'import-dialog-preview')
    expect(await revenue()).toBe(0)

    // the corrected file: previewed clean and imported
    await dialog.locator('[data-testid="import-data-file"]').setInputFiles(await exportFile('clean.xlsx', false))
    await expect.poll(() => dialog.locator('[data-testid="import-data-counts"]').textContent(), { timeout: 10_000 }).toBe('共 25 行：有效 25 行，拒绝 0 行')
    await dialog.locator('[data-testid="import-data-apply"]').click()
    await expect.poll(() => dialog.locator('[data-testid="import-data-result"]').textContent(), { timeout: 10_000 }).toContain('新增 25')
    await screenshot(page, 'import-dialog-applied')
    expect(await revenue()).toBe(12 * 10 * 4)
    expect(errors).toEqual([])
    await page.close()
  })
})
