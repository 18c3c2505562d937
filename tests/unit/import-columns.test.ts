/** Spreadsheet headers → movement fields (server/ingest/columns.ts): Chinese ERP exports, English names, a mapping file. */
import { describe, expect, test } from 'vitest'
import { checkMappingFile, detectMapping, MappingError, readDateTime, readNumber, rowToMovement } from '../../server/ingest/columns.ts'
import type { Cell } from '../../server/ingest/columns.ts'
import { createCalendar } from '../../server/domain/time.ts'

const calendar = createCalendar('Asia/Shanghai')
const targets = (headers: string[], file?: Parameters<typeof detectMapping>[1]) => detectMapping(headers, file).columns.map((c) => c.target)
const row = (headers: string[], cells: Cell[], file?: Parameters<typeof detectMapping>[1], n = 2) => rowToMovement(cells, detectMapping(headers, file), { calendar, row: n })

describe('detectMapping', () => {
  test('a jshERP / 用友 style export: Chinese headers mapped, names ignored', () => {
    const headers = ['单据编号', '单据日期', '单据类型', '商品编码', '商品名称', '仓库', '数量', '单价', '金额', '往来单位', '币种', '行号']
    const m = detectMapping(headers)
    expect(m.mode).toBe('mapped')
    expect(m.columns.map((c) => c.target)).toEqual(['document', 'occurredAt', 'type', 'sku', null, 'warehouse', 'qty', 'price', 'money', 'partner', 'currency', 'line'])
    expect(m.warnings).toEqual([])
  })

  test('variants: 日期, 物料编码, 客户/供应商, 调出/调入仓库, spaces and brackets', () => {
    expect(targets(['日期', '物料编码', '客户', '供应商', '调出仓库', '调入仓库', '数量（基本）', ' 单据 类型 '])).toEqual([
      'occurredAt',
      'sku',
      'partner',
      'partner',
      'warehouse',
      'toWarehouse',
      null,
      'type',
    ])
  })

  test('English export headers are mapped too; exact field names alone keep the original CSV format', () => {
    expect(targets(['Document No', 'Date', 'Type', 'Item Code', 'Warehouse', 'Quantity', 'Price', 'Total', 'Customer'])).toEqual([
      'document',
      'occurredAt',
      'type',
      'sku',
      'warehouse',
      'qty',
      'price',
      'money',
      'partner',
    ])
    const fields = detectMapping(['id', 'type', 'occurredAt', 'sku', 'warehouse', 'qty', 'unitPrice', 'bogus'])
    expect(fields.mode).toBe('fields')
    expect(fields.columns.map((c) => c.target)).toEqual(['id', 'type', 'occurredAt', 'sku', 'warehouse', 'qty', 'unitPrice', null])
  })

  test('warnings: no id nor document, no type, no date, unknown headers, ids from row numbers', () => {
    expect(detectMapping(['商品编码', '数量', '神秘列']).warnings).toEqual([
      'column "神秘列" is not recognised: ignored (a mapping file can map it)',
      'no id column nor 单据编号 (document number): every row will be refused',
      'no 单据类型 (type) column: every row will be refused',
      'no 日期 (date) column: every row will be refused',
    ])
    expect(detectMapping(['单据编号', '日期', '类型']).warnings).toEqual([expect.stringMatching(/no 行号 .*row order/)])
  })

  test('a mapping file maps custom headers, ignores columns and names document types', () => {
    const file = checkMappingFile({ columns: { 出库单号: 'document', 货号: 'sku', 单据类型: null, 业务: 'type' }, types: { 其他出库: 'sales_shipment' } })
    expect(targets(['出库单号', '货号', '单据类型', '业务'], file)).toEqual(['document', 'sku', null, 'type'])
    const r = row(['出库单号', '日期', '业务', '货号', '仓库', '数量', '单价'], ['QTCK-1', '2025-03-04 09:30', '其他出库', 'S1', 'W1', 2, 9.5], file)
    expect(r).toEqual({
      ok: true,
      value: { id: 'QTCK-1-row2', type: 'sales_shipment', occurredAt: '2025-03-04T09:30:00+08:00', sku: 'S1', warehouse: 'W1', qty: 2, unitPrice: 9.5 },
    })
  })

  test('a bad mapping file names its entry', () => {
    expect(() => checkMappingFile({ columns: { 货号: 'skuu' } })).toThrow(MappingError)
    expect(() => checkMappingFile({ columns: { 货号: 'skuu' } })).toThrow(/mapping.columns\["货号"\]: "skuu" is not a movement field/)
    expect(() => checkMappingFile({ types: { 其他: 'gift' } })).toThrow(/mapping.types\["其他"\]: "gift" is not a movement type/)
    expect(() => checkMappingFile({ cols: {} })).toThrow(/unknown key "cols"/)
    expect(() => checkMappingFile([])).toThrow(/JSON object/)
  })
})

describe('rowToMovement', () => {
  const H = ['单据编号', '行号', '单据日期', '单据类型', '商品编码', '仓库', '调入仓库', '数量', '单价', '金额', '往来单位', '币种']
  test('单价 and 金额 land by type: cost on purchases, price on sales, amount on payments', () => {
    expect(row(H, ['CGRK-1', 1, new Date(Date.UTC(2025, 2, 3, 14, 20)), '采购入库', 'S1', 'W1', null, 100, 1.5, '150.00', 'SUP-1', '人民币'])).toEqual({
      ok: true,
      value: {
        id: 'CGRK-1-1',
        type: 'purchase_receipt',
        occurredAt: '2025-03-03T14:20:00+08:00',
        sku: 'S1',
        warehouse: 'W1',
        qty: 100,
        unitCost: 1.5,
        lineAmount: 150,
        partner: 'SUP-1',
        currency: 'CNY',
      },
    })
    expect(row(H, ['XSCK-1', 2, '2025/3/4 10:00:05', '销售出库', 'S1', 'W1', '', '1,200', '¥3.00', '', 'C-1', ''])).toEqual({
      ok: true,
      value: { id: 'XSCK-1-2', type: 'sales_shipment', occurredAt: '2025-03-04T10:00:05+08:00', sku: 'S1', warehouse: 'W1', qty: 1200, unitPrice: 3, partner: 'C-1' },
    })
    expect(row(H, ['SK-1', '', '2025年3月5日', '收款', '', '', '', '', '', 30, 'C-1', 'USD'])).toEqual({
      ok: true,
      value: { id: 'SK-1-row2', type: 'payment_in', occurredAt: '2025-03-05T00:00:00+08:00', amount: 30, partner: 'C-1', currency: 'USD' },
    })
  })

  test('transfers, stocktakes (数量 is the counted qty), orders (ref = the document), returns', () => {
    expect(row(H, ['DB-1', 1, '2025-03-06', '调拨', 'S1', 'W1', 'W2', 5, 9, 45, '', ''])).toEqual({
      ok: true,
      value: { id: 'DB-1-1', type: 'transfer', occurredAt: '2025-03-06T00:00:00+08:00', sku: 'S1', warehouse: 'W1', toWarehouse: 'W2', qty: 5 },
    })
    const take = row(H, ['PD-1', 1, '2025-03-07', '盘点', 'S1', 'W1', '', 98, '', '', '', ''])
    expect(take).toEqual({ ok: true, value: { id: 'PD-1-1', type: 'stocktake', occurredAt: '2025-03-07T00:00:00+08:00', sku: 'S1', warehouse: 'W1', countedQty: 98 } })
    expect(row(H, ['XSDD-9', 1, '2025-03-01', '销售订单', 'S1', 'W1', '', 4, 10, '', 'C-1', ''])).toMatchObject({ value: { type: 'sales_order', ref: 'XSDD-9', unitPrice: 10 } })
    expect(row(H, ['CGTH-1', 1, '2025-03-08', '采购退货', 'S1', 'W1', '', 1, 1.5, '', 'SUP-1', ''])).toMatchObject({ value: { type: 'purchase_return', unitCost: 1.5 } })
    expect(row(H, ['XSTH-1', 1, '2025-03-08', '销售退货', 'S1', 'W1', '', 1, 3, '', 'C-1', ''])).toMatchObject({ value: { type: 'sales_return', unitPrice: 3 } })
  })

  test('a jshERP export: 票据号, 出入库时间, 关联订单号; 基础数量 (base unit) wins over 数量 whatever the column order', () => {
    const headers = ['票据号', '出入库时间', '类型', '数量', '基础数量', '单价', '含税单价', '关联订单号', '仓库', '商品编码']
    expect(row(headers, ['XSCK00000000634', '2021-06-02 00:22:54', '销售', 2, 24, 22, 24.86, 'XSDD00000000633', '仓库1', 'M-588'])).toEqual({
      ok: true,
      value: {
        id: 'XSCK00000000634-row2',
        type: 'sales_shipment',
        occurredAt: '2021-06-02T00:22:54+08:00',
        qty: 24,
        ref: 'XSDD00000000633',
        warehouse: '仓库1',
        sku: 'M-588',
        unitPrice: 22,
      },
    })
    // without a base quantity, 数量 is taken
    expect(row(headers, ['CGRK00000000631', '2021-06-02 00:22:05', '采购', 10, '', 11, '', '', '仓库1', 'M-588'])).toMatchObject({
      value: { type: 'purchase_receipt', qty: 10, unitCost: 11 },
    })
  })

  test('a row that cannot be a movement names each bad column', () => {
    const r = row(H, ['X-1', 1, '2025-02-30', '赠品', 'S1', 'W1', '', 'many', '', '', '', ''])
    expect(r.ok).toBe(false)
    expect(!r.ok && r.errors).toEqual([
      { path: '/单据类型', message: expect.stringMatching(/^"赠品" is not a known document type/) },
      { path: '/单据日期', message: '2025-02-30 00:00:00 is not a real date and time' },
      { path: '/数量', message: '"many" is not a number' },
    ])
    expect(row(['日期', '单据类型'], ['2025-03-01', '收款'])).toEqual({ ok: false, errors: [{ path: '/id', message: 'is required (an id column, or 单据编号 with 行号)' }] })
  })

  test('fields mode keeps the original CSV rules: numbers parsed in numeric fields, other cells as text', () => {
    const r = row(['id', 'type', 'occurredAt', 'qty', 'unitPrice', 'sku'], ['a', 'sales_shipment', '2025-03-03T10:00:00+08:00', '2', 'x1', '007'])
    expect(r).toEqual({ ok: true, value: { id: 'a', type: 'sales_shipment', occurredAt: '2025-03-03T10:00:00+08:00', qty: 2, unitPrice: 'x1', sku: '007' } })
  })
})

describe('cells', () => {
  test('dates in the business time zone; RFC 3339 kept; bad ones explained', () => {
    expect(readDateTime('2025-03-03T01:02:03Z', calendar)).toEqual({ value: '2025-03-03T01:02:03Z', dateOnly: false })
    expect(readDateTime('2025-3-3 8:05', calendar)).toEqual({ value: '2025-03-03T08:05:00+08:00', dateOnly: false })
    expect(readDateTime('2025-03-03', calendar)).toEqual({ value: '2025-03-03', dateOnly: true })
    expect(readDateTime('03/03/2025', calendar)).toEqual({ error: expect.stringMatching(/is not a date/) })
    expect(readDateTime('2025-03-03 24:00', calendar)).toEqual({ error: expect.stringMatching(/not a real date/) })
  })

  test('numbers with thousands separators and currency signs; anything else is none', () => {
    expect(readNumber('1,234.50')).toBe(1234.5)
    expect(readNumber('￥12')).toBe(12)
    expect(readNumber(7)).toBe(7)
    expect(readNumber('1,23')).toBeUndefined()
    expect(readNumber('12abc')).toBeUndefined()
    expect(readNumber(new Date())).toBeUndefined()
  })
})
