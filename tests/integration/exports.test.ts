/**
 * Exports (docs/reports.md "Exports"): `POST /api/v1/query?format=csv|xlsx` against the real
 * Redis, each file read back — the CSV with csv-parse, the .xlsx with exceljs — and checked for
 * the figures the JSON answer gives, Chinese or English headers, the BOM, the number formats, and
 * data that would run as a spreadsheet formula written as text.
 */
import { randomUUID } from 'node:crypto'
import { parse } from 'csv-parse/sync'
import ExcelJS from 'exceljs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { QueryResult } from '../../protocol/query.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

let server: TestServer

const MARCH = { from: '2026-03-01T00:00:00+08:00', to: '2026-04-01T00:00:00+08:00' }
const ranking = { metric: 'sales.revenue', ...MARCH, groupBy: 'sku', top: 10 }

async function post(path: string, body: unknown, key: string) {
  const res = await server.app.inject({ method: 'POST', url: path, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) })
  return res
}

async function query(body: unknown, params = ''): Promise<{ status: number; headers: Record<string, unknown>; raw: Buffer; json: () => any }> {
  const res = await post(`/api/v1/query${params}`, body, server.adminKey)
  return { status: res.statusCode, headers: res.headers, raw: res.rawPayload, json: () => res.json() }
}

function csvRows(raw: Buffer): string[][] {
  return parse(raw.toString('utf8'), { bom: true }) as string[][]
}

async function workbook(raw: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook()
  await wb.xlsx.load(raw as unknown as ArrayBuffer)
  return wb
}

/** the values of a sheet's rows (exceljs rows are 1-based with an empty slot 0) */
function sheetRows(sheet: ExcelJS.Worksheet): unknown[][] {
  const rows: unknown[][] = []
  sheet.eachRow((row) => rows.push((row.values as unknown[]).slice(1)))
  return rows
}

beforeAll(async () => {
  server = await startTestServer({ COCKPIT_SCREEN_DIR: '/nonexistent' })
  const master = async (kind: string, records: unknown[]) =>
    expect((await server.app.inject({ method: 'PUT', url: `/api/v1/master/${kind}`, headers: { authorization: `Bearer ${server.adminKey}` }, payload: records })).statusCode).toBe(
      200,
    )
  await master('skus', [
    { code: 'A1', name: '矿泉水 550ml', nameEn: 'Water 550ml', category: 'drinks', safetyStock: 10 },
    { code: 'B2', name: '洗衣液 2kg', nameEn: 'Detergent 2kg', category: 'household', safetyStock: 500 },
    { code: 'C3', name: '=HYPERLINK("http://x")', category: 'drinks' },
  ])
  await master('warehouses', [{ code: 'W1', name: '上海中心仓', nameEn: 'Shanghai DC' }])
  const at = (day: number, hour: number) => `2026-03-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00+08:00`
  const movements = [
    { id: randomUUID(), type: 'purchase_receipt', occurredAt: at(1, 9), sku: 'A1', warehouse: 'W1', qty: 100, unitCost: 2 },
    { id: randomUUID(), type: 'purchase_receipt', occurredAt: at(1, 9), sku: 'B2', warehouse: 'W1', qty: 300, unitCost: 20 },
    { id: randomUUID(), type: 'purchase_receipt', occurredAt: at(1, 9), sku: 'C3', warehouse: 'W1', qty: 10, unitCost: 1 },
    { id: randomUUID(), type: 'sales_shipment', occurredAt: at(2, 10), sku: 'A1', warehouse: 'W1', qty: 30, unitPrice: 3.5 },
    { id: randomUUID(), type: 'sales_shipment', occurredAt: at(3, 11), sku: 'A1', warehouse: 'W1', qty: 3, unitPrice: 3.33 },
    { id: randomUUID(), type: 'sales_shipment', occurredAt: at(3, 15), sku: 'B2', warehouse: 'W1', qty: 120, unitPrice: 35.1 },
    { id: randomUUID(), type: 'sales_shipment', occurredAt: at(4, 15), sku: 'C3', warehouse: 'W1', qty: 1, unitPrice: 12 },
  ]
  expect((await post('/api/v1/movements', movements, server.ingestKey)).statusCode).toBe(200)
})

afterAll(async () => {
  await server?.close()
})

describe('CSV', () => {
  test('a ranking: BOM, Chinese headers, the figures of the JSON answer, money with 2 decimals', async () => {
    const json = (await query(ranking)).json() as QueryResult
    expect(json.groups!.map((g) => [g.key, g.total])).toEqual([
      ['B2', 4212],
      ['A1', 114.99],
      ['C3', 12],
    ])
    const res = await query(ranking, '?format=csv')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="sales\.revenue-\d{4}-\d\d-\d\d\.csv"$/)
    expect([...res.raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const rows = csvRows(res.raw)
    expect(rows[0]).toEqual(['商品', '名称', '销售收入'])
    expect(rows.slice(1)).toEqual([
      ['B2', '洗衣液 2kg', '4212.00'],
      ['A1', '矿泉水 550ml', '114.99'],
      // a name that a spreadsheet would run as a formula stays text
      ['C3', `'=HYPERLINK("http://x")`, '12.00'],
    ])
  })

  test('English headers and names with lang=en; a daily series with its total', async () => {
    const rows = csvRows((await query(ranking, '?format=csv&lang=en')).raw)
    expect(rows[0]).toEqual(['SKU', 'Name', 'Sales revenue'])
    expect(rows[1]).toEqual(['B2', 'Detergent 2kg', '4212.00'])
    const series = csvRows((await query({ metric: 'sales.qty', from: MARCH.from, to: '2026-03-05T00:00:00+08:00', interval: 'day' }, '?format=csv&lang=en')).raw)
    expect(series).toEqual([
      ['Time', 'Units sold'],
      ['2026-03-01', '0'],
      ['2026-03-02', '30'],
      ['2026-03-03', '123'],
      ['2026-03-04', '1'],
      ['Total', '154'],
    ])
  })

  test('a KPI with the previous period; a ratio in percent', async () => {
    const rows = csvRows((await query({ metric: 'sales.grossMargin', ...MARCH, compare: 'previous' }, '?format=csv')).raw)
    expect(rows[0]).toEqual(['指标', '数值', '开始', '结束', '上期', '变化'])
    const json = (await query({ metric: 'sales.grossMargin', ...MARCH })).json() as QueryResult
    expect(rows[1]!.slice(0, 2)).toEqual(['毛利率', `${(json.total! * 100).toFixed(2)}%`])
    expect(rows[1]![4]).toBe('') // no sales in February: no previous margin
  })

  test('stock alerts list their rows', async () => {
    const rows = csvRows((await query({ metric: 'stock.belowSafety' }, '?format=csv')).raw)
    expect(rows[0]).toEqual(['商品', '商品名称', '仓库', '仓库名称', '品类', '数量', '安全库存', '覆盖率'])
    expect(rows.slice(1)).toEqual([['B2', '洗衣液 2kg', 'W1', '上海中心仓', 'household', '180', '500', '36.00%']])
  })
})

describe('xlsx', () => {
  test('a ranking with a daily breakdown opens with exceljs: headers, figures, number formats', async () => {
    const res = await query({ ...ranking, interval: 'day', to: '2026-03-05T00:00:00+08:00' }, '?format=xlsx')
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    const wb = await workbook(res.raw)
    const sheet = wb.worksheets[0]!
    expect(sheet.name).toBe('销售收入')
    const rows = sheetRows(sheet)
    expect(rows[0]).toEqual(['商品', '名称', '销售收入', '2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04'])
    expect(rows[1]).toEqual(['B2', '洗衣液 2kg', 4212, 0, 0, 4212, 0])
    expect(rows[2]).toEqual(['A1', '矿泉水 550ml', 114.99, 0, 105, 9.99, 0])
    expect(sheet.getCell('C2').numFmt).toBe('#,##0.00')
    expect(sheet.getCell('D3').numFmt).toBe('#,##0.00')
    expect(sheet.getRow(1).font?.bold).toBe(true)
    // the formula-looking name is a plain string cell, not a formula
    expect(sheet.getCell('B4').value).toBe('=HYPERLINK("http://x")')
    expect(sheet.getCell('B4').type).toBe(ExcelJS.ValueType.String)
    const about = sheetRows(wb.worksheets[1]!)
    expect(wb.worksheets[1]!.name).toBe('说明')
    expect(about).toContainEqual(['指标', '销售收入'])
    expect(about).toContainEqual(['币种', 'CNY'])
  })

  test('percent and quantity formats; English sheet', async () => {
    const wb = await workbook((await query({ metric: 'stock.belowSafety' }, '?format=xlsx&lang=en')).raw)
    const sheet = wb.worksheets[0]!
    expect(sheetRows(sheet)[0]).toEqual(['SKU', 'Item name', 'Warehouse', 'Warehouse name', 'Category', 'Qty', 'Safety stock', 'Coverage'])
    expect(sheet.getCell('F2').value).toBe(180)
    expect(sheet.getCell('F2').numFmt).toBe('#,##0')
    expect(sheet.getCell('H2').value).toBe(0.36)
    expect(sheet.getCell('H2').numFmt).toBe('0.0%')
    expect(wb.worksheets[1]!.name).toBe('About')
  })
})

describe('refusals', () => {
  test('an unknown format or language is a 400 naming it, before any work', async () => {
    const bad = await query(ranking, '?format=pdf')
    expect(bad.status).toBe(400)
    expect(bad.json()).toMatchObject({ error: 'COCKPIT_ERR_INVALID_QUERY', errors: [{ path: 'format' }] })
    const lang = await query(ranking, '?format=csv&lang=fr')
    expect(lang.status).toBe(400)
    expect(lang.json()).toMatchObject({ errors: [{ path: 'lang' }] })
  })

  test('a bad query is the same 400 as without a format; json stays the default', async () => {
    const bad = await query({ metric: 'sales.nope' }, '?format=xlsx')
    expect(bad.status).toBe(400)
    expect(bad.json().error).toBe('COCKPIT_ERR_INVALID_QUERY')
    expect((await query(ranking, '?format=json')).json().groups).toHaveLength(3)
  })
})
