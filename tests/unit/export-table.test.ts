/**
 * Every result shape of protocol/query.ts becomes one table (server/reports/export-table.ts) with
 * headers in the asked language, names in that language, and each column's unit; CSV writes it
 * (server/reports/export-files.ts) with a BOM, money to the currency's decimals, ratios as
 * percentages and formula-looking text made inert. The shapes the integration test cannot make
 * cheaply (ageing, reorder, movements, slow-moving, credit ageing) are built here by hand.
 */
import { describe, expect, test } from 'vitest'
import type { QueryResult } from '../../protocol/query.ts'
import { bucketLabel, exportLocale, resultTable } from '../../server/reports/export-table.ts'
import { toCsv } from '../../server/reports/export-files.ts'

const base = { currency: 'CNY', asOf: '2026-12-06T08:00:00+08:00', total: null } as const

describe('resultTable', () => {
  test('a KPI with the previous period: the change is relative to it', () => {
    const t = resultTable(
      {
        ...base,
        metric: 'sales.revenue',
        unit: 'money',
        total: 150,
        from: '2026-12-01T00:00:00+08:00',
        to: '2026-12-02T00:00:00+08:00',
        previous: { from: 'a', to: 'b', total: 120 },
      },
      'en',
    )
    expect(t.columns.map((c) => [c.header, c.format])).toEqual([
      ['Metric', 'text'],
      ['Value', 'money'],
      ['From', 'time'],
      ['To', 'time'],
      ['Previous period', 'money'],
      ['Change', 'ratio'],
    ])
    expect(t.rows).toEqual([['Sales revenue', 150, '2026-12-01T00:00:00+08:00', '2026-12-02T00:00:00+08:00', 120, 0.25]])
    expect(t.about).toContainEqual(['Currency', 'CNY'])
  })

  test('reorder rows, with a missing reorder qty left empty', () => {
    const t = resultTable(
      {
        ...base,
        metric: 'stock.reorder',
        unit: 'qty',
        reorder: [
          { sku: 'A1', skuName: '矿泉水', skuNameEn: 'Water', warehouse: 'W1', onHand: 5, openPurchase: 10, openSales: 2, projected: 13, reorderPoint: 20, suggestedQty: 7 },
        ],
      },
      'zh-CN',
    )
    expect(t.columns.map((c) => c.header)).toEqual(['商品', '商品名称', '仓库', '仓库名称', '在库', '采购在途', '销售待发', '预计可用', '再订货点', '再订货量', '建议采购量'])
    expect(t.rows).toEqual([['A1', '矿泉水', 'W1', '', 5, 10, 2, 13, 20, null, 7]])
    expect(
      resultTable(
        {
          ...base,
          metric: 'stock.reorder',
          unit: 'qty',
          reorder: [
            { sku: 'A1', skuName: '矿泉水', skuNameEn: 'Water', warehouse: 'W1', onHand: 5, openPurchase: 0, openSales: 0, projected: 5, reorderPoint: 20, suggestedQty: 15 },
          ],
        },
        'en',
      ).rows[0]![1],
    ).toBe('Water')
  })

  test('the latest movements name their type in the language', () => {
    const r: QueryResult = {
      ...base,
      metric: 'movements.recent',
      unit: 'count',
      movements: [{ id: 'm1', type: 'sales_shipment', occurredAt: '2026-12-06T07:59:00+08:00', sku: 'A1', warehouse: 'W1', warehouseName: '上海仓', qty: 3, amount: 10.5 }],
    }
    expect(resultTable(r, 'zh-CN').rows).toEqual([['m1', '销售出库', '2026-12-06T07:59:00+08:00', 'A1', '', '上海仓', '', '', 3, 10.5]])
    expect(resultTable(r, 'en').rows[0]![1]).toBe('Shipment')
  })

  test('receivables ageing by partner, and as totals', () => {
    const rows = {
      ...base,
      metric: 'receivables.ageing',
      unit: 'money',
      creditAgeing: { buckets: [], credit: 5, rows: [{ partner: 'C1', partnerName: '客户一', balance: 100, buckets: [10, 20, 30, 0, 40, 0], credit: 0, oldestDue: '2026-10-01' }] },
    } as QueryResult
    const t = resultTable(rows, 'zh-CN')
    expect(t.columns.map((c) => c.header)).toEqual([
      '往来单位',
      '往来单位名称',
      '余额',
      '未到期',
      '0-30 天',
      '31-60 天',
      '61-90 天',
      '91-180 天',
      '181+ 天',
      '未核销预收/预付',
      '最早到期日',
    ])
    expect(t.rows).toEqual([['C1', '客户一', 100, 10, 20, 30, 0, 40, 0, 0, '2026-10-01']])
    const totals = resultTable(
      { ...rows, creditAgeing: { credit: 5, buckets: ['notDue', '0-30', '31-60', '61-90', '91-180', '181+'].map((key, i) => ({ key, amount: i })) } } as QueryResult,
      'en',
    )
    expect(totals.rows).toEqual([['All', 0, 1, 2, 3, 4, 5, 5]])
  })

  test('stock ageing: a row per group, then the total', () => {
    const figures = { qty: 10, value: 100, buckets: [{ key: '0-30' as const, qty: 10, value: 100 }], averageAge: 3.5, oldestAge: 12 }
    const t = resultTable(
      { ...base, metric: 'stock.ageing', unit: 'money', ageing: { ...figures, date: '2026-12-06', groups: [{ key: 'W1', label: '上海仓', ...figures }] } },
      'zh-CN',
    )
    expect(t.columns.map((c) => c.header)).toEqual(['编码', '名称', '数量', '库存金额', '0-30 天 数量', '0-30 天 金额', '平均库龄（天）', '最长库龄（天）'])
    expect(t.rows).toEqual([
      ['W1', '上海仓', 10, 100, 10, 100, 3.5, 12],
      ['', '合计', 10, 100, 10, 100, 3.5, 12],
    ])
  })

  test('slow-moving stock', () => {
    const t = resultTable(
      {
        ...base,
        metric: 'stock.slowMoving',
        unit: 'money',
        days: 90,
        slowMoving: [{ sku: 'A1', warehouse: 'W1', qty: 4, value: 8, lastOutbound: null, idleDays: 120, oldestAge: 130 }],
      },
      'en',
    )
    expect(t.rows).toEqual([['A1', '', 'W1', '', 4, 8, '', 120, 130]])
    expect(t.columns.at(-2)).toEqual({ header: 'Idle days', format: 'days' })
  })

  test('groups with a series: one column per bucket, missing buckets empty', () => {
    const t = resultTable(
      {
        ...base,
        metric: 'sales.qty',
        unit: 'qty',
        interval: 'month',
        groupBy: 'category',
        total: 9,
        groups: [
          {
            key: 'drinks',
            label: '饮料',
            total: 7,
            series: [
              { start: '2026-01-01T00:00:00+08:00', value: 3 },
              { start: '2026-02-01T00:00:00+08:00', value: 4 },
            ],
          },
          { key: 'food', total: 2, series: [{ start: '2026-02-01T00:00:00+08:00', value: 2 }] },
        ],
      },
      'zh-CN',
    )
    expect(t.columns.map((c) => c.header)).toEqual(['品类', '名称', '销售数量', '2026-01', '2026-02'])
    expect(t.rows).toEqual([
      ['drinks', '饮料', 7, 3, 4],
      ['food', '', 2, null, 2],
    ])
  })
})

describe('labels and languages', () => {
  test('bucket labels by interval', () => {
    expect(bucketLabel('2026-03-02T10:00:00+08:00', 'hour')).toBe('2026-03-02 10:00')
    expect(bucketLabel('2026-03-02T00:00:00+08:00', 'day')).toBe('2026-03-02')
    expect(bucketLabel('2026-03-01T00:00:00+08:00', 'month')).toBe('2026-03')
  })

  test('lang: zh, zh-CN and none are Chinese, en English, anything else refused', () => {
    expect([exportLocale(undefined), exportLocale('zh'), exportLocale('zh-CN'), exportLocale('en'), exportLocale('fr')]).toEqual(['zh-CN', 'zh-CN', 'zh-CN', 'en', undefined])
  })
})

describe('toCsv', () => {
  test('BOM, CRLF, quoting, money decimals, percentages, empty cells, inert formulas', () => {
    const csv = toCsv(
      {
        title: 't',
        about: [],
        columns: [
          { header: 'name, "quoted"', format: 'text' },
          { header: 'money', format: 'money' },
          { header: 'ratio', format: 'ratio' },
          { header: 'qty', format: 'qty' },
        ],
        rows: [
          ['=1+1', 1.5, 0.1234, 2.0005],
          ['-x', null, null, 3],
          ['line\nbreak', 0, 1, 0.1],
        ],
      },
      2,
    )
    expect(csv).toBe('\uFEFF"name, ""quoted""",money,ratio,qty\r\n\'=1+1,1.50,12.34%,2.001\r\n\'-x,,,3\r\n"line\nbreak",0.00,100.00%,0.1\r\n')
    // a currency without minor units
    expect(toCsv({ title: 't', about: [], columns: [{ header: 'm', format: 'money' }], rows: [[1234.4]] }, 0)).toBe('\uFEFFm\r\n1234\r\n')
  })
})
