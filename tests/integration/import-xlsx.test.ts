/**
 * Spreadsheets: an ERP export written with exceljs (Chinese headers, jshERP document types)
 * imported by `npm run import` and by POST /api/v1/import, figures read back through
 * POST /api/v1/query; the preview (CLI and endpoint) shows the mapping, the first rows and the
 * rejects and applies nothing; a file with a bad row is refused whole by the endpoint.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ExcelJS from 'exceljs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { previewImport, runImport } from '../../server/cli/import.ts'
import { startTestServer } from '../helpers/server.ts'
import { zip } from '../helpers/zip.ts'
import type { TestServer } from '../helpers/server.ts'

const root = new URL('../../', import.meta.url).pathname
const dir = mkdtempSync(join(tmpdir(), 'cockpit-xlsx-'))
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
let server: TestServer

beforeAll(async () => {
  server = await startTestServer()
})
afterAll(async () => {
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

const HEADERS = ['单据编号', '行号', '单据日期', '单据类型', '商品编码', '商品名称', '仓库', '调入仓库', '数量', '单价', '金额', '往来单位', '币种', '备注']

interface Export {
  rows: (string | number | Date | null)[][]
  /** expected figures, in cents */
  receipts: number
  revenue: number
  cashIn: number
  cashOut: number
  transferQty: number
}

/** An export of March 2025: receipts, shipments (some lines of one document), a transfer, payments. */
function erpExport(tag: string, month = 2): Export {
  const e: Export = { rows: [], receipts: 0, revenue: 0, cashIn: 0, cashOut: 0, transferQty: 0 }
  const at = (day: number, h = 9) => new Date(Date.UTC(2025, month, day, h, 30))
  for (let d = 1; d <= 20; d++) {
    const qty = 10 + d
    const cost = 2 + (d % 3) * 0.25
    e.rows.push([`CGRK-${tag}-${d}`, 1, at(d), '采购入库', 'SKU-A', '螺丝 M3', '上海仓', null, qty, cost, null, 'SUP-1', '人民币', '到货'])
    e.receipts += Math.round(qty * cost * 100)
    // a shipment of two lines, the second with the ERP's own line amount
    e.rows.push([
      `XSCK-${tag}-${d}`,
      1,
      `2025-${String(month + 1).padStart(2, '0')}-${String(d).padStart(2, '0')} 15:00`,
      '销售出库',
      'SKU-A',
      '螺丝 M3',
      '上海仓',
      null,
      3,
      5.5,
      null,
      'C-1',
      null,
      null,
    ])
    e.rows.push([`XSCK-${tag}-${d}`, 2, at(d, 15), '销售出库', 'SKU-A', '螺丝 M3', '上海仓', null, 2, 5.5, 11, 'C-1', null, null])
    e.revenue += Math.round((3 * 5.5 + 11) * 100)
    if (d % 5 === 0) {
      e.rows.push([`DB-${tag}-${d}`, 1, at(d, 11), '调拨', 'SKU-A', '螺丝 M3', '上海仓', '北京仓', 4, null, null, null, null, null])
      e.transferQty += 4
      e.rows.push([`SK-${tag}-${d}`, null, at(d, 16), '收款', null, null, null, null, null, null, '1,000.00', 'C-1', null, null])
      e.cashIn += 100000
      e.rows.push([`FK-${tag}-${d}`, null, at(d, 17), '付款单', null, null, null, null, null, null, 250.5, 'SUP-1', null, null])
      e.cashOut += 25050
    }
  }
  return e
}

async function writeXlsx(file: string, rows: (string | number | Date | null)[][]): Promise<ArrayBuffer> {
  const wb = new ExcelJS.Workbook()
  const ws = wb.addWorksheet('出入库明细')
  ws.addRow(HEADERS)
  for (const r of rows) ws.addRow(r)
  // dates shown as dates, as an ERP export formats them
  ws.getColumn(3).numFmt = 'yyyy-mm-dd hh:mm'
  await wb.xlsx.writeFile(file)
  const b = readFileSync(file)
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer
}

async function total(metric: string, month = 2): Promise<number> {
  const from = `2025-${String(month + 1).padStart(2, '0')}-01T00:00:00+08:00`
  const to = `2025-${String(month + 2).padStart(2, '0')}-01T00:00:00+08:00`
  const res = await fetch(`${server.url}/api/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metric, from, to }) })
  expect(res.status).toBe(200)
  return Math.round(((await res.json()) as { total: number }).total * 100)
}

/** the CLI as a child process; not spawnSync: the server under test runs in this process */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/import.ts', ...args], { cwd: root, env: { ...process.env, NODE_OPTIONS: '' } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

const admin = () => ({ authorization: `Bearer ${server.adminKey}` })

describe('npm run import with an .xlsx export', () => {
  test('the figures are the export’s; re-importing counts nothing twice', async () => {
    const e = erpExport('cli')
    const file = join(dir, 'march.xlsx')
    await writeXlsx(file, e.rows)
    const r = await runImport({ file, url: server.url, key: server.ingestKey })
    expect(r).toMatchObject({ complete: true, lines: e.rows.length, accepted: e.rows.length, rejected: 0 })
    expect(await total('purchase.receiptAmount')).toBe(e.receipts)
    expect(await total('sales.revenue')).toBe(e.revenue)
    expect(await total('cash.in')).toBe(e.cashIn)
    expect(await total('cash.out')).toBe(e.cashOut)
    expect(await total('transfer.qty')).toBe(e.transferQty * 100)
    const again = await runImport({ file, url: server.url, key: server.ingestKey, restart: true })
    expect(again).toMatchObject({ accepted: 0, duplicates: e.rows.length })
    expect(await total('sales.revenue')).toBe(e.revenue)
  })

  test('stopped after some rows and run again: resumed at the next row, nothing counted twice', async () => {
    const e = erpExport('resume', 9)
    const file = join(dir, 'october.xlsx')
    await writeXlsx(file, e.rows)
    const first = await runImport({ file, url: server.url, key: server.ingestKey, limit: 17, batchSize: 5 })
    expect(first).toMatchObject({ complete: false, lines: 17 })
    const rest = await runImport({ file, url: server.url, key: server.ingestKey, batchSize: 5 })
    expect(rest).toMatchObject({ complete: true, resumed: true, startLine: 19, duplicates: 0 })
    // the counts go on from the checkpoint's
    expect(rest.accepted).toBe(e.rows.length)
    expect(await total('sales.revenue', 9)).toBe(e.revenue)
    expect(await total('cash.in', 9)).toBe(e.cashIn)
  })

  test('--preview shows the mapping, the first rows and the rejects, and applies nothing', async () => {
    const e = erpExport('pv', 4)
    const rows = [...e.rows.slice(0, 3), ['BAD-1', 1, '2025-05-40', '赠品', 'SKU-A', '', '上海仓', null, -1, null, null, null, null, null]]
    const file = join(dir, 'preview.xlsx')
    await writeXlsx(file, rows)
    const p = await previewImport({ file })
    expect(p.mapping?.columns.find((c) => c.header === '单价')?.target).toBe('price')
    expect(p.rows.map((r) => r.movement.id)).toEqual([`CGRK-pv-1-1`, `XSCK-pv-1-1`, `XSCK-pv-1-2`])
    expect(p.rows[0]!.movement).toMatchObject({ type: 'purchase_receipt', occurredAt: '2025-05-01T09:30:00+08:00', unitCost: 2.25 })
    expect(p.rejected).toEqual([
      { index: 3, row: 5, id: null, errors: expect.arrayContaining([expect.objectContaining({ path: '/单据类型' }), expect.objectContaining({ path: '/单据日期' })]) },
    ])
    const cli = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/import.ts', file, '--preview'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    })
    expect(cli.status).toBe(0)
    expect(cli.stdout).toContain('单据类型 → type')
    expect(cli.stdout).toContain('row 2: {"id":"CGRK-pv-1-1","type":"purchase_receipt"')
    expect(cli.stdout).toMatch(/rejected: 1 of 4 rows\n {2}row 5: \/单据类型 "赠品" is not a known document type/)
    expect(await total('purchase.receiptAmount', 4)).toBe(0)
  })

  test('a mapping file maps custom headers and type names', async () => {
    const file = join(dir, 'custom.csv')
    writeFileSync(file, '出库单号,业务,日期,货号,库房,件数,售价\nQT-1,其他出库,2025-06-02 10:00,SKU-B,W1,3,7\n')
    const mapping = join(dir, 'mapping.json')
    writeFileSync(mapping, JSON.stringify({ columns: { 出库单号: 'document', 业务: 'type', 货号: 'sku', 库房: 'warehouse', 件数: 'qty' }, types: { 其他出库: 'sales_shipment' } }))
    const run = await cli([file, '--mapping', mapping, '--key', server.ingestKey, '--url', server.url, '--quiet'])
    expect(run.stderr).toBe('')
    expect(run.stdout).toMatch(/accepted {3}1/)
    expect(await total('sales.revenue', 5)).toBe(2100)
    const bad = join(dir, 'bad-mapping.json')
    writeFileSync(bad, JSON.stringify({ columns: { 货号: 'skuu' } }))
    const refused = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/import.ts', file, '--mapping', bad, '--preview'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    })
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/mapping.columns\["货号"\]: "skuu" is not a movement field/)
  })
})

describe('POST /api/v1/import/preview and /api/v1/import', () => {
  test('the preview names the mapping, the first 20 rows and the rejects; nothing applied', async () => {
    const e = erpExport('ep', 6)
    const body = await writeXlsx(join(dir, 'ep.xlsx'), [...e.rows, ['X-1', 1, 'yesterday', '销售出库', 'SKU-A', '', '上海仓', null, 1, 1, null, null, null, null]])
    const res = await fetch(`${server.url}/api/v1/import/preview?filename=ep.xlsx`, { method: 'POST', headers: { ...admin(), 'content-type': 'application/octet-stream' }, body })
    expect(res.status).toBe(200)
    const p = (await res.json()) as {
      format: string
      mapping: { mode: string; columns: { header: string; target: string | null }[] }
      rows: { row: number }[]
      rejected: { row: number; errors: { path: string }[] }[]
      total: number
      valid: number
      rejectedCount: number
    }
    expect(p.format).toBe('xlsx')
    expect(p.mapping.mode).toBe('mapped')
    expect(p.mapping.columns.find((c) => c.header === '商品名称')?.target).toBeNull()
    expect(p.rows).toHaveLength(20)
    expect(p.rows[0]!.row).toBe(2)
    expect(p).toMatchObject({ total: e.rows.length + 1, valid: e.rows.length, rejectedCount: 1 })
    expect(p.rejected[0]).toMatchObject({ row: e.rows.length + 2, errors: [{ path: '/单据日期' }] })
    expect(await total('sales.revenue', 6)).toBe(0)

    // the whole file is refused for its one bad row
    const refused = await fetch(`${server.url}/api/v1/import`, { method: 'POST', headers: { ...admin(), 'content-type': XLSX }, body })
    expect(refused.status).toBe(400)
    expect(await refused.json()).toMatchObject({ error: 'invalid_movements', rejectedCount: 1, rejected: [{ row: e.rows.length + 2 }] })
    expect(await total('sales.revenue', 6)).toBe(0)

    // without it the file is applied
    const good = await writeXlsx(join(dir, 'ep-good.xlsx'), e.rows)
    const applied = await fetch(`${server.url}/api/v1/import`, { method: 'POST', headers: { ...admin(), 'content-type': XLSX }, body: good })
    expect(applied.status).toBe(200)
    expect(await applied.json()).toEqual({ accepted: e.rows.length, duplicates: 0, rows: e.rows.length })
    expect(await total('sales.revenue', 6)).toBe(e.revenue)
    expect(await total('cash.in', 6)).toBe(e.cashIn)
  })

  test('a sheet past the rows of an Excel sheet is refused before its rows are read', async () => {
    const wb = new ExcelJS.Workbook()
    const ws = wb.addWorksheet('出入库明细')
    ws.addRow(HEADERS)
    ws.getRow(1_048_577).values = ['SK-far-1', 1, '2025-08-03', '收款', null, null, null, null, null, null, 1, 'C-9', null, null]
    const body = await wb.xlsx.writeBuffer()
    for (const path of ['/import/preview', '/import']) {
      const res = await fetch(`${server.url}/api/v1${path}?format=xlsx`, { method: 'POST', headers: { ...admin(), 'content-type': XLSX }, body })
      expect(res.status).toBe(413)
      expect(((await res.json()) as { message: string }).message).toMatch(/more than 1048576 rows, blank ones included/)
    }
  })

  test('a small upload that would inflate to a huge shared-strings table is refused before it is read', async () => {
    // 300 MiB of shared strings deflate to ~300 KB: the reader would hold them all in memory
    const text = Buffer.alloc(300 * 1024 ** 2, 0x78)
    const body = zip([
      { name: '[Content_Types].xml', data: '<Types/>' },
      { name: 'xl/workbook.xml', data: '<workbook><sheets><sheet name="出入库明细" sheetId="1" r:id="rId1"/></sheets></workbook>' },
      { name: 'xl/sharedStrings.xml', data: Buffer.concat([Buffer.from('<sst><si><t>'), text, Buffer.from('</t></si></sst>')]) },
    ])
    expect(body.length).toBeLessThan(1024 ** 2)
    for (const path of ['/import/preview', '/import']) {
      const res = await fetch(`${server.url}/api/v1${path}?format=xlsx`, { method: 'POST', headers: { ...admin(), 'content-type': XLSX }, body: new Uint8Array(body) })
      expect(res.status).toBe(413)
      expect(await res.json()).toMatchObject({ error: 'COCKPIT_ERR_BATCH_TOO_LARGE', message: "the file's shared-strings table inflates to more than 256 MiB; split the file" })
    }
  })

  test('CSV and NDJSON bodies, admin only, a clear 400 for an unknown format or a bad mapping', async () => {
    const csv = '单据编号,日期,单据类型,金额,客户\nSK-csv-1,2025-08-03,收款,88.8,C-9\n'
    const res = await fetch(`${server.url}/api/v1/import?format=csv`, { method: 'POST', headers: { ...admin(), 'content-type': 'text/csv' }, body: csv })
    expect(await res.json()).toEqual({ accepted: 1, duplicates: 0, rows: 1 })
    expect(await total('cash.in', 7)).toBe(8880)
    const nd = `${JSON.stringify({ id: 'nd-1', type: 'payment_in', occurredAt: '2025-08-04T10:00:00+08:00', amount: 1 })}\n`
    const r2 = await fetch(`${server.url}/api/v1/import/preview`, { method: 'POST', headers: { ...admin(), 'content-type': 'application/x-ndjson' }, body: nd })
    expect(await r2.json()).toMatchObject({ format: 'ndjson', mapping: null, valid: 1, rows: [{ row: 1, movement: { id: 'nd-1' } }] })

    expect(
      (
        await fetch(`${server.url}/api/v1/import/preview?format=csv`, {
          method: 'POST',
          headers: { authorization: `Bearer ${server.ingestKey}`, 'content-type': 'text/csv' },
          body: csv,
        })
      ).status,
    ).toBe(401)
    expect((await fetch(`${server.url}/api/v1/import/preview?format=csv`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv })).status).toBe(401)
    const noFormat = await fetch(`${server.url}/api/v1/import/preview`, { method: 'POST', headers: { ...admin(), 'content-type': 'application/octet-stream' }, body: csv })
    expect(noFormat.status).toBe(400)
    expect(((await noFormat.json()) as { message: string }).message).toMatch(/^format: /)
    const badMapping = await fetch(`${server.url}/api/v1/import/preview?format=csv&mapping=${encodeURIComponent('{"columns":{"客户":"buyer"}}')}`, {
      method: 'POST',
      headers: { ...admin(), 'content-type': 'text/csv' },
      body: csv,
    })
    expect(badMapping.status).toBe(400)
    expect(((await badMapping.json()) as { message: string }).message).toMatch(/mapping.columns\["客户"\]: "buyer"/)
    const notXlsx = await fetch(`${server.url}/api/v1/import/preview?format=xlsx`, {
      method: 'POST',
      headers: { ...admin(), 'content-type': 'application/octet-stream' },
      body: 'not a zip',
    })
    expect(notXlsx.status).toBe(400)
    expect(((await notXlsx.json()) as { error: string }).error).toBe('COCKPIT_ERR_INVALID_IMPORT')
  })
})
