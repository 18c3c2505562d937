// @vitest-environment happy-dom
/** DOM widgets, mounted with representative results: the text and rows they render, what a tap emits. */
import { afterEach, describe, expect, test, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { nextTick } from 'vue'
import { hours, mountWidget, result } from './widget-kit.ts'
import KpiCard from '../../widgets/kpi-card/KpiCard.vue'
import StockAlerts from '../../widgets/stock-alerts/StockAlerts.vue'
import ReorderList from '../../widgets/reorder-list/ReorderList.vue'
import StockHeatmap from '../../widgets/stock-heatmap/StockHeatmap.vue'
import PurchasePipeline from '../../widgets/purchase-pipeline/PurchasePipeline.vue'
import SupplierScorecard from '../../widgets/supplier-scorecard/SupplierScorecard.vue'
import MovementTicker from '../../widgets/movement-ticker/MovementTicker.vue'
import TitleClock from '../../widgets/title-clock/TitleClock.vue'
import SlowMoving from '../../widgets/slow-moving/SlowMoving.vue'
import RollingNumber from '../../widgets/common/RollingNumber.vue'
import { kpiCard } from '../../widgets/kpi-card/manifest.ts'
import { stockAlerts } from '../../widgets/stock-alerts/manifest.ts'
import { reorderList } from '../../widgets/reorder-list/manifest.ts'
import { stockHeatmap } from '../../widgets/stock-heatmap/manifest.ts'
import { purchasePipeline } from '../../widgets/purchase-pipeline/manifest.ts'
import { supplierScorecard } from '../../widgets/supplier-scorecard/manifest.ts'
import { movementTicker } from '../../widgets/movement-ticker/manifest.ts'
import { titleClock } from '../../widgets/title-clock/manifest.ts'
import { slowMoving } from '../../widgets/slow-moving/manifest.ts'
import { migrateOptions } from '../../widgets/define-widget.ts'
import type { WidgetManifest } from '../../widgets/define-widget.ts'

vi.mock('../../widgets/common/charts/echarts.ts', async () => (await import('./widget-kit.ts')).echartsStandIn)

afterEach(() => {
  document.body.innerHTML = ''
  vi.useRealTimers()
})
const m = (x: unknown) => x as WidgetManifest
const figure = (w: ReturnType<typeof mount>) => w.find('[data-testid=kpi-value] [data-value]').attributes('data-value')

describe('kpi-card', () => {
  const revenue = { value: result({ metric: 'sales.revenue', unit: 'money', total: 12_345_678, previous: { from: '', to: '', total: 11_223_344 } }) }

  test('the figure in 万/亿, its change and the previous figure', () => {
    const w = mountWidget(KpiCard, m(kpiCard), revenue)
    expect(figure(w)).toBe('¥1,234.6万')
    expect(w.find('[data-testid=kpi-change]').text()).toBe('▲ 10%')
    expect(w.find('.compare .label').text()).toBe('较昨日同期 ¥1,122.3万')
  })

  test('in English: K/M and English chrome', () => {
    const w = mountWidget(KpiCard, m(kpiCard), revenue, { locale: 'en' })
    expect(figure(w)).toBe('¥12.35M')
    expect(w.find('.compare .label').text()).toBe('vs same time yesterday ¥11.22M')
  })

  test('ratios change in percentage points; a fall is coloured apart from a rise', () => {
    const up = mountWidget(
      KpiCard,
      m(kpiCard),
      { value: result({ metric: 'sales.grossMargin', unit: 'ratio', total: 0.27, previous: { from: '', to: '', total: 0.25 } }) },
      { options: { metric: 'sales.grossMargin' } },
    )
    expect(up.find('[data-testid=kpi-change]').text()).toBe('▲ 2.0个百分点')
    const down = mountWidget(
      KpiCard,
      m(kpiCard),
      { value: result({ metric: 'sales.grossMargin', unit: 'ratio', total: 0.23, previous: { from: '', to: '', total: 0.25 } }) },
      { options: { metric: 'sales.grossMargin' } },
    )
    expect(down.find('[data-testid=kpi-change]').text()).toBe('▼ 2.0个百分点')
    expect(up.find('[data-testid=kpi-change]').attributes('style')).not.toBe(down.find('[data-testid=kpi-change]').attributes('style'))
  })

  test('a change too small to show is 持平 in the neutral colour, whichever side of zero it is', () => {
    const up = mountWidget(KpiCard, m(kpiCard), { value: result({ metric: 'sales.revenue', unit: 'money', total: 1_000_200, previous: { from: '', to: '', total: 1_000_000 } }) })
    const down = mountWidget(KpiCard, m(kpiCard), { value: result({ metric: 'sales.revenue', unit: 'money', total: 999_800, previous: { from: '', to: '', total: 1_000_000 } }) })
    expect(up.find('[data-testid=kpi-change]').text()).toBe('持平')
    expect(down.find('[data-testid=kpi-change]').text()).toBe('持平')
    expect(up.find('[data-testid=kpi-change]').attributes('style')).toBe(down.find('[data-testid=kpi-change]').attributes('style'))
    const rise = mountWidget(KpiCard, m(kpiCard), { value: result({ metric: 'sales.revenue', unit: 'money', total: 1_100_000, previous: { from: '', to: '', total: 1_000_000 } }) })
    expect(rise.find('[data-testid=kpi-change]').attributes('style')).not.toBe(up.find('[data-testid=kpi-change]').attributes('style'))
  })

  test('a stock level has no previous period: it says it is live', () => {
    const w = mountWidget(KpiCard, m(kpiCard), { value: result({ metric: 'stock.value', unit: 'money', total: 108_000_000 }) }, { options: { metric: 'stock.value' } })
    expect(figure(w)).toBe('¥1.08亿')
    expect(w.find('[data-testid=kpi-change]').exists()).toBe(false)
    expect(w.find('.compare').text()).toBe('实时数')
  })

  test('the figure shrinks to fit a narrow card and the sparkline appears when asked', () => {
    const data = { ...revenue, trend: result({ metric: 'sales.revenue', unit: 'money', series: hours([1, 5, 3]) }) }
    const wide = mountWidget(KpiCard, m(kpiCard), data, { width: 400, height: 160, options: { sparkline: true } })
    const narrow = mountWidget(KpiCard, m(kpiCard), data, { width: 120, height: 160, options: { sparkline: true } })
    const size = (w: ReturnType<typeof mount>) =>
      parseFloat(
        w
          .find('[data-testid=kpi-value]')
          .attributes('style')!
          .replace(/.*font-size:\s*/, ''),
      )
    expect(size(narrow)).toBeLessThan(size(wide))
    expect(size(narrow) * 0.6 * '¥1,234.6万'.length).toBeLessThanOrEqual(120)
    expect(wide.find('svg.spark path').exists()).toBe(true)
  })

  test('no data yet shows a dash', () => {
    expect(figure(mountWidget(KpiCard, m(kpiCard), {}))).toBe('—')
  })
})

describe('rolling digits', () => {
  test('a change rolls at once after a quiet spell; faster changes wait until the roll has settled', async () => {
    vi.useFakeTimers()
    vi.setSystemTime(10_000)
    const w = mount(RollingNumber, { props: { text: '—', duration: 600, hold: 1200 } })
    // the first figure after "no data" starts no roll: the next change is not held back
    await w.setProps({ text: '¥1.00万' })
    expect(w.attributes('data-value')).toBe('¥1.00万')
    // glyphs are drawn by CSS: the element's text is the figure alone
    expect(w.text()).toBe('¥1.00万')
    await w.setProps({ text: '¥1.01万' })
    expect(w.attributes('data-value')).toBe('¥1.01万')
    // one digit column per digit, moved to its value
    expect(w.findAll('.column').at(-1)!.attributes('style')).toContain('translateY(-10%)')
    await w.setProps({ text: '¥1.02万' })
    await w.setProps({ text: '¥1.03万' })
    expect(w.attributes('data-value')).toBe('¥1.01万')
    vi.advanceTimersByTime(1800)
    await nextTick()
    expect(w.attributes('data-value')).toBe('¥1.03万')
    w.unmount()
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('stock-alerts', () => {
  const data = {
    alerts: result({
      metric: 'stock.belowSafety',
      unit: 'count',
      total: 12,
      rows: [
        { sku: 'SKU-1', skuName: '矿泉水', warehouse: 'ST-1', warehouseName: '南京路店', qty: 0, safetyStock: 20, coverage: 0 },
        { sku: 'SKU-2', warehouse: 'ST-2', qty: 15, safetyStock: 20, coverage: 0.75 },
      ],
    }),
  }

  test('the count, rows worst first with their level, and a tap drills into the warehouse', async () => {
    const w = mountWidget(StockAlerts, m(stockAlerts), data)
    expect(w.find('[data-testid=alert-count]').text()).toBe('12')
    const rows = w.findAll('[data-testid=alert-row]')
    expect(rows.map((r) => r.classes().find((c) => ['out', 'low', 'warn'].includes(c)))).toEqual(['out', 'warn'])
    expect(rows[0]!.text()).toContain('矿泉水')
    expect(rows[0]!.text()).toContain('0 / 20')
    await rows[0]!.trigger('click')
    expect(w.emitted('drill')).toEqual([[{ dimension: 'warehouse', key: 'ST-1', label: '南京路店' }]])
  })

  test('names in the locale: English names of SKU, warehouse and category in en, Chinese in zh-CN', async () => {
    const named = {
      alerts: result({
        metric: 'stock.belowSafety',
        unit: 'count',
        total: 1,
        rows: [
          {
            sku: 'SKU-9',
            skuName: '纸尿裤 L',
            skuNameEn: 'Diapers L',
            warehouse: 'DC-SH',
            warehouseName: '上海中心仓',
            warehouseNameEn: 'Shanghai DC',
            category: 'baby',
            categoryName: '母婴',
            categoryNameEn: 'Baby & kids',
            qty: 3,
            safetyStock: 20,
            coverage: 0.15,
          },
          { sku: 'SKU-8', skuName: '奶粉', warehouse: 'DC-SH', warehouseName: '上海中心仓', category: 'milk', qty: 4, safetyStock: 20, coverage: 0.2 },
        ],
      }),
    }
    const zh = mountWidget(StockAlerts, m(stockAlerts), named)
    const en = mountWidget(StockAlerts, m(stockAlerts), named, { locale: 'en' })
    const cells = (w: typeof zh, i: number) =>
      w
        .findAll('[data-testid=alert-row]')
        [i]!.findAll('span')
        .slice(0, 2)
        .map((s) => s.text())
    expect(cells(zh, 0)).toEqual(['纸尿裤 L · 母婴', '上海中心仓'])
    expect(cells(en, 0)).toEqual(['Diapers L · Baby & kids', 'Shanghai DC'])
    // no English names: the Chinese ones; an unnamed category is not shown, only in the tooltip
    expect(cells(en, 1)).toEqual(['奶粉', '上海中心仓'])
    expect(en.findAll('[data-testid=alert-row]')[1]!.find('.sku').attributes('title')).toBe('SKU-8 · milk')
    await en.findAll('[data-testid=alert-row]')[0]!.trigger('click')
    expect(en.emitted('drill')).toEqual([[{ dimension: 'warehouse', key: 'DC-SH', label: '上海中心仓', labelEn: 'Shanghai DC' }]])
    // narrow: the warehouse under the SKU, in the locale
    const narrow = mountWidget(StockAlerts, m(stockAlerts), named, { locale: 'en', width: 300 })
    expect(narrow.find('[data-testid=alert-row] .sku').text()).toBe('Diapers L · Shanghai DC')
  })

  test('English chrome, and an all-clear message when nothing is low', () => {
    const w = mountWidget(StockAlerts, m(stockAlerts), { alerts: result({ metric: 'stock.belowSafety', unit: 'count', total: 0, rows: [] }) }, { locale: 'en' })
    expect(w.text()).toContain('SKU × warehouse pairs below safety stock')
    expect(w.text()).toContain('All stock above safety levels')
  })
})

describe('reorder-list', () => {
  const data = {
    reorder: result({
      metric: 'stock.reorder',
      unit: 'count',
      total: 7,
      reorder: [
        {
          sku: 'SKU-1',
          skuName: '矿泉水',
          warehouse: 'ST-1',
          warehouseName: '南京路店',
          onHand: 0,
          openPurchase: 0,
          openSales: 3,
          projected: -3,
          reorderPoint: 10,
          suggestedQty: 13,
        },
        { sku: 'SKU-2', warehouse: 'ST-2', onHand: 2, openPurchase: 0, openSales: 0, projected: 2, reorderPoint: 10, suggestedQty: 8 },
        {
          sku: 'SKU-3',
          skuName: '纸尿裤 L',
          skuNameEn: 'Diapers L',
          warehouse: 'DC-SH',
          warehouseName: '上海中心仓',
          warehouseNameEn: 'Shanghai DC',
          category: 'baby',
          categoryName: '母婴',
          categoryNameEn: 'Baby & kids',
          onHand: 1500,
          openPurchase: 200,
          openSales: 100,
          projected: 1600,
          reorderPoint: 2000,
          reorderQty: 5000,
          suggestedQty: 5000,
        },
      ],
    }),
  }
  const rowsOf = (w: ReturnType<typeof mount>) => w.findAll('[data-testid=reorder-row]')

  test('the count, rows in the order given with their level, projected / reorder point and the qty to order', async () => {
    const w = mountWidget(ReorderList, m(reorderList), data)
    expect(w.find('[data-testid=reorder-count]').text()).toBe('7')
    const rows = rowsOf(w)
    expect(rows.map((r) => r.classes().find((c) => ['out', 'low', 'warn'].includes(c)))).toEqual(['out', 'low', 'warn'])
    expect(rows.map((r) => r.find('.sku').text())).toEqual(['矿泉水', 'SKU-2', '纸尿裤 L · 母婴'])
    expect(rows[0]!.findAll('.num')[0]!.text()).toBe('-3 / 10')
    expect(rows.map((r) => r.find('[data-testid=reorder-qty]').text())).toEqual(['13', '8', '5,000'])
    // how the projected qty is made up, on hover
    expect(rows[2]!.attributes('title')).toBe('在库 1,500 + 在途 200 − 待发 100 = 预计 1,600')
    // an empty bar below 0, 80 % of the reorder point for 1,600 / 2,000
    expect(rows[0]!.find('.bar i').attributes('style')).toContain('width: 0%')
    expect(rows[2]!.find('.bar i').attributes('style')).toContain('width: 80%')
    await rows[0]!.trigger('click')
    expect(w.emitted('drill')).toEqual([[{ dimension: 'warehouse', key: 'ST-1', label: '南京路店' }]])
  })

  test('in English: names, chrome and workings; narrow boxes put the warehouse under the SKU', () => {
    const en = mountWidget(ReorderList, m(reorderList), data, { locale: 'en' })
    expect(en.text()).toContain('SKU × warehouse pairs to reorder')
    expect(en.find('.head').text()).toContain('Projected / reorder point')
    const row = rowsOf(en)[2]!
    expect(
      row
        .findAll('span')
        .slice(0, 2)
        .map((s) => s.text()),
    ).toEqual(['Diapers L · Baby & kids', 'Shanghai DC'])
    expect(row.attributes('title')).toBe('On hand 1.50K + on order 200 − to ship 100 = projected 1.60K')
    const narrow = mountWidget(ReorderList, m(reorderList), data, { locale: 'en', width: 300 })
    expect(rowsOf(narrow)[2]!.find('.sku').text()).toBe('Diapers L · Shanghai DC')
    expect(rowsOf(narrow)[2]!.find('.wh').exists()).toBe(false)
  })

  test('waiting for data, then an all-clear message when nothing needs reordering', () => {
    expect(mountWidget(ReorderList, m(reorderList), {}).text()).toContain('等待数据')
    const w = mountWidget(ReorderList, m(reorderList), { reorder: result({ metric: 'stock.reorder', unit: 'count', total: 0, reorder: [] }) }, { locale: 'en' })
    expect(w.text()).toContain('Projected stock above every reorder point')
    expect(rowsOf(w)).toHaveLength(0)
  })
})

describe('stock-heatmap', () => {
  const options = { rows: 'sku', members: ['A', 'B'], metric: 'stock.qty', scale: 'row' }
  const data = {
    names: result({
      metric: 'stock.qty',
      unit: 'qty',
      groups: [
        { key: 'A', label: '矿泉水', total: 130 },
        { key: 'B', total: 12 },
      ],
    }),
    r0: result({
      metric: 'stock.qty',
      unit: 'qty',
      groups: [
        { key: 'W1', label: '上海仓', total: 100 },
        { key: 'W2', total: 30 },
      ],
    }),
    r1: result({
      metric: 'stock.qty',
      unit: 'qty',
      groups: [
        { key: 'W2', total: 20 },
        { key: 'W1', total: -8 },
      ],
    }),
  }

  test('SKU rows × warehouse columns joined on the warehouse code; negative stock stands out', () => {
    const w = mountWidget(StockHeatmap, m(stockHeatmap), data, { options })
    expect(w.findAll('.head .col').map((c) => c.text())).toEqual(['上海仓', 'W2'])
    const rows = w.findAll('[data-testid=heat-row]')
    expect(rows.map((r) => r.find('.name').text())).toEqual(['矿泉水', 'B'])
    expect(rows[1]!.findAll('[data-testid=heat-cell]').map((c) => c.text())).toEqual(['-8', '20'])
    expect(rows[1]!.findAll('[data-testid=heat-cell]')[0]!.attributes('style')).toContain('#ff6b6b')
  })

  test('a tap on a cell drills into its warehouse, on a name into the SKU', async () => {
    const w = mountWidget(StockHeatmap, m(stockHeatmap), data, { options })
    await w.findAll('[data-testid=heat-cell]')[1]!.trigger('click')
    await w.findAll('.name')[0]!.trigger('click')
    expect(w.emitted('drill')).toEqual([[{ dimension: 'warehouse', key: 'W2' }], [{ dimension: 'sku', key: 'A', label: '矿泉水' }]])
  })

  test('a small box leaves rows out and keeps the colours of cells too narrow for their figures', () => {
    const w = mountWidget(StockHeatmap, m(stockHeatmap), data, { options, width: 110, height: 60 })
    const rows = w.findAll('[data-testid=heat-row]')
    expect(rows).toHaveLength(1)
    expect(rows[0]!.findAll('[data-testid=heat-cell]').map((c) => c.text())).toEqual(['', ''])
    expect(rows[0]!.find('[data-testid=heat-cell]').attributes('title')).toBe('矿泉水 · 上海仓: 100')
  })

  test('rows and columns named in English in en, in Chinese in zh-CN; drills carry both names', async () => {
    const named = {
      names: result({
        metric: 'stock.qty',
        unit: 'qty',
        groups: [
          { key: 'A', label: '矿泉水', labelEn: 'Mineral water', total: 130 },
          { key: 'B', label: '绿茶', total: 12 },
        ],
      }),
      r0: result({
        metric: 'stock.qty',
        unit: 'qty',
        groups: [
          { key: 'W1', label: '上海仓', labelEn: 'Shanghai', total: 100 },
          { key: 'W2', total: 30 },
        ],
      }),
      r1: result({ metric: 'stock.qty', unit: 'qty', groups: [{ key: 'W2', total: 20 }] }),
    }
    const zh = mountWidget(StockHeatmap, m(stockHeatmap), named, { options })
    const en = mountWidget(StockHeatmap, m(stockHeatmap), named, { options, locale: 'en' })
    expect(zh.findAll('.head .col').map((c) => c.text())).toEqual(['上海仓', 'W2'])
    expect(en.findAll('.head .col').map((c) => c.text())).toEqual(['Shanghai', 'W2'])
    expect(zh.findAll('.name').map((c) => c.text())).toEqual(['矿泉水', '绿茶'])
    expect(en.findAll('.name').map((c) => c.text())).toEqual(['Mineral water', '绿茶'])
    expect(en.find('[data-testid=heat-cell]').attributes('title')).toBe('Mineral water · Shanghai: 100')
    await en.findAll('[data-testid=heat-cell]')[0]!.trigger('click')
    await en.findAll('.name')[0]!.trigger('click')
    expect(en.emitted('drill')).toEqual([
      [{ dimension: 'warehouse', key: 'W1', label: '上海仓', labelEn: 'Shanghai' }],
      [{ dimension: 'sku', key: 'A', label: '矿泉水', labelEn: 'Mineral water' }],
    ])
  })

  test('columns follow the warehouses of the options, in their order', () => {
    const w = mountWidget(StockHeatmap, m(stockHeatmap), data, { options: { ...options, warehouses: ['W2', 'W3'] } })
    expect(w.findAll('.head .col').map((c) => c.text())).toEqual(['W2', 'W3'])
  })

  test('category rows are named and drill into the category', async () => {
    const categories = {
      names: result({ metric: 'stock.qty', unit: 'qty', groups: [{ key: 'drinks', label: '饮料', total: 130 }] }),
      r0: result({
        metric: 'stock.qty',
        unit: 'qty',
        groups: [
          { key: 'W1', total: 100 },
          { key: 'W2', total: 30 },
        ],
      }),
    }
    const w = mountWidget(StockHeatmap, m(stockHeatmap), categories, { options: { ...options, rows: 'category', members: ['drinks'] } })
    expect(w.findAll('.name').map((c) => c.text())).toEqual(['饮料'])
    expect(w.findAll('[data-testid=heat-cell]').map((c) => c.text())).toEqual(['100', '30'])
    await w.find('.name').trigger('click')
    expect(w.emitted('drill')).toEqual([[{ dimension: 'category', key: 'drinks', label: '饮料' }]])
  })
})

describe('purchase-pipeline', () => {
  test('ordered → received → paid, each against what was ordered', () => {
    const w = mountWidget(PurchasePipeline, m(purchasePipeline), {
      ordered: result({ metric: 'purchase.orderAmount', unit: 'money', total: 200_000 }),
      received: result({ metric: 'purchase.receiptAmount', unit: 'money', total: 180_000 }),
      paid: result({ metric: 'cash.out', unit: 'money', total: 50_000 }),
    })
    expect(w.find('[data-testid=step-ordered]').text()).toContain('采购下单')
    expect(w.find('[data-testid=step-ordered]').text()).toContain('¥20.00万')
    expect(w.find('[data-testid=step-received]').text()).toContain('90.0%')
    expect(w.find('[data-testid=step-paid]').text()).toContain('25.0%')
    expect(w.find('[data-testid=step-paid] .bar').attributes('style')).toContain('width: 25%')
  })

  test('English, and dashes before data arrives', () => {
    const w = mountWidget(PurchasePipeline, m(purchasePipeline), {}, { locale: 'en' })
    expect(w.find('[data-testid=step-received]').text()).toContain('Received')
    expect(w.find('[data-testid=step-received]').text()).toContain('—')
  })
})

describe('supplier-scorecard', () => {
  const data = {
    receipts: result({
      metric: 'purchase.receiptAmount',
      unit: 'money',
      groups: [
        { key: 'S1', label: '中粮', total: 200_000 },
        { key: 'S2', total: 50_000 },
        { key: '-', total: 1 },
      ],
    }),
    onTime: result({
      metric: 'supplier.onTimeRate',
      unit: 'ratio',
      groups: [
        { key: 'S2', total: 0.5 },
        { key: 'S1', total: 0.96 },
        { key: 'S9', total: 1 },
      ],
    }),
    returns: result({ metric: 'purchase.returnRate', unit: 'ratio', groups: [{ key: 'S1', total: 0.05 }] }),
  }

  test('rows from the receipts ranking, rates joined on the partner code and flagged against the targets', async () => {
    const w = mountWidget(SupplierScorecard, m(supplierScorecard), data)
    const rows = w.findAll('[data-testid=supplier-row]')
    expect(rows).toHaveLength(2)
    expect(rows[0]!.findAll('span').map((s) => s.text().trim())).toEqual(['中粮', '¥20.00万', '96.0%', '5.0%'])
    expect(rows[0]!.findAll('span')[2]!.classes()).toContain('good')
    expect(rows[0]!.findAll('span')[3]!.classes()).toContain('bad')
    expect(rows[1]!.findAll('span').map((s) => s.text().trim())).toEqual(['S2', '¥5.00万', '50.0%', '—'])
    await rows[1]!.trigger('click')
    expect(w.emitted('drill')).toEqual([[{ dimension: 'partner', key: 'S2' }]])
  })

  test('suppliers named in English in en when master data has it', async () => {
    const named = {
      ...data,
      receipts: result({
        metric: 'purchase.receiptAmount',
        unit: 'money',
        groups: [
          { key: 'S1', label: '中粮', labelEn: 'COFCO', total: 200_000 },
          { key: 'S2', label: '伊利', total: 50_000 },
        ],
      }),
    }
    const en = mountWidget(SupplierScorecard, m(supplierScorecard), named, { locale: 'en' })
    const zh = mountWidget(SupplierScorecard, m(supplierScorecard), named)
    const names = (w: typeof en) => w.findAll('[data-testid=supplier-row]').map((r) => r.find('span').text().trim())
    expect(names(en)).toEqual(['COFCO', '伊利'])
    expect(names(zh)).toEqual(['中粮', '伊利'])
    await en.find('[data-testid=supplier-row]').trigger('click')
    expect(en.emitted('drill')).toEqual([[{ dimension: 'partner', key: 'S1', label: '中粮', labelEn: 'COFCO' }]])
  })

  test('English headers; rows that do not fit are left out rather than clipped', () => {
    const w = mountWidget(SupplierScorecard, m(supplierScorecard), data, { locale: 'en', height: 80 })
    expect(w.find('.head').text()).toContain('On time')
    expect(w.findAll('[data-testid=supplier-row]')).toHaveLength(1)
  })
})

describe('movement-ticker', () => {
  const at = (time: string, day = '2026-11-25') => `${day}T${time}+08:00`
  const data = {
    recent: result({
      metric: 'movements.recent',
      unit: 'count',
      total: 5,
      asOf: at('13:12:00'),
      movements: [
        { id: 'c1', type: 'cancel', occurredAt: at('13:11:40'), cancels: 'so-9', sku: 'SKU-1', skuName: '矿泉水', warehouse: 'W1', warehouseName: '上海仓', qty: 2, amount: 7 },
        {
          id: 'so-9',
          type: 'sales_shipment',
          occurredAt: at('13:11:30'),
          sku: 'SKU-1',
          skuName: '矿泉水',
          warehouse: 'W1',
          warehouseName: '上海仓',
          qty: 2,
          amount: 7,
          cancelled: true,
        },
        {
          id: 't-1',
          type: 'transfer',
          occurredAt: at('13:11:00'),
          sku: 'SKU-2',
          warehouse: 'W1',
          warehouseName: '上海仓',
          warehouseNameEn: 'Shanghai DC',
          toWarehouse: 'W2',
          toWarehouseName: '杭州店',
          qty: 12,
        },
        { id: 'st-1', type: 'stocktake', occurredAt: at('13:10:00'), sku: 'SKU-3', warehouse: 'W2', qty: 40, difference: -3 },
        { id: 'pay-1', type: 'payment_in', occurredAt: at('23:10:00', '2026-11-24'), partner: 'C1', partnerName: '华联超市', amount: 125_000 },
      ],
    }),
  }
  const texts = (w: ReturnType<typeof mount>) => w.findAll('[data-testid=ticker-row]').map((r) => r.findAll('span').map((s) => s.text()))

  test('the latest movements, newest first: time, type, what and where, quantity and amount', () => {
    const w = mountWidget(MovementTicker, m(movementTicker), data)
    expect(texts(w)).toEqual([
      ['13:11:40', '冲销', '矿泉水 · 上海仓', '×2', '¥7'],
      ['13:11:30', '销售出库', '矿泉水 · 上海仓', '×2', '¥7', '已冲销'],
      ['13:11:00', '调拨', 'SKU-2 · 上海仓 → 杭州店', '', '×12'],
      ['13:10:00', '盘点', 'SKU-3 · W2', '', '盘亏 -3'],
      ['11-24 23:10', '收款', '华联超市', '', '¥12.50万'],
    ])
    expect(w.findAll('[data-testid=ticker-row]')[1]!.classes()).toContain('cancelled')
  })

  test('in English; only the rows that fit; an empty list says so', () => {
    const en = mountWidget(MovementTicker, m(movementTicker), data, { locale: 'en', height: 110 })
    expect(texts(en)).toHaveLength(3)
    expect(texts(en)[1]).toEqual(['13:11:30', 'Shipment', '矿泉水 · 上海仓', '×2', '¥7', 'reversed'])
    expect(texts(en)[2]).toEqual(['13:11:00', 'Transfer', 'SKU-2 · Shanghai DC → 杭州店', '', '×12'])
    const quiet = mountWidget(MovementTicker, m(movementTicker), { recent: result({ metric: 'movements.recent', unit: 'count', total: 0, movements: [] }) }, { locale: 'en' })
    expect(quiet.find('[data-testid=no-data]').text()).toBe('No movements yet')
  })

  test('a busy feed refreshes the list at most every 2 s, replacing it in one step; a few new rows slide in', async () => {
    vi.useFakeTimers()
    const row = (i: number) => ({ id: `m${i}`, type: 'sales_order' as const, occurredAt: at('13:11:00'), sku: `S${i}`, qty: 1, amount: 5 })
    const list = (from: number, n: number) => ({
      recent: result({ metric: 'movements.recent', unit: 'count', total: n, asOf: at('13:12:00'), movements: Array.from({ length: n }, (_, k) => row(from + n - k)) }),
    })
    const w = mountWidget(MovementTicker, m(movementTicker), list(0, 10))
    const ids = () => w.findAll('[data-testid=ticker-row] .what').map((x) => x.text().split(' ')[0])
    expect(ids()[0]).toBe('S10')
    await w.setProps({ data: list(2, 10) })
    expect(ids()[0]).toBe('S12') // the first change after a quiet spell shows at once; two new rows slide in
    expect(w.find('.list').classes()).not.toContain('no-animation')
    await w.setProps({ data: list(40, 10) })
    expect(ids()[0]).toBe('S12') // held
    vi.advanceTimersByTime(2000)
    await nextTick()
    expect(ids()[0]).toBe('S50')
    expect(w.find('.list').classes()).toContain('no-animation')
  })

  test('options of version 1 (flows followed per minute) become the movement types behind those flows', () => {
    const migrated = migrateOptions(m(movementTicker), { metrics: ['sales.revenue', 'cash.in'], minutes: 30, limit: 20 }, 1)
    expect(migrated).toEqual({ limit: 20, types: ['sales_shipment', 'sales_return', 'payment_in'] })
    expect(movementTicker.queries(migrated as never)).toEqual({ recent: { metric: 'movements.recent', top: 20, types: ['sales_shipment', 'sales_return', 'payment_in'] } })
  })
})

describe('title-clock', () => {
  test('ticks in the business time zone and stops with the widget', async () => {
    vi.useFakeTimers()
    vi.setSystemTime(Date.parse('2026-11-25T05:45:51Z'))
    const w = mountWidget(TitleClock, m(titleClock), {}, { options: { heading: '华东区域', timeZone: 'Asia/Shanghai' }, locale: 'en' })
    expect(w.find('h1').text()).toBe('华东区域')
    expect(w.find('[data-testid=clock-time]').text()).toBe('13:45:51')
    expect(w.find('[data-testid=clock-date]').text()).toBe('Wednesday, 25 November 2026')
    vi.advanceTimersByTime(2100)
    await nextTick()
    expect(w.find('[data-testid=clock-time]').text()).toBe('13:45:53')
    w.unmount()
    expect(vi.getTimerCount()).toBe(0)
  })

  test('minutes only when asked; an unknown zone falls back to the default', () => {
    vi.useFakeTimers()
    vi.setSystemTime(Date.parse('2026-11-25T05:45:51Z'))
    const w = mountWidget(TitleClock, m(titleClock), {}, { options: { timeZone: 'Mars/Olympus', showSeconds: false, showDate: false } })
    expect(w.find('[data-testid=clock-time]').text()).toBe('13:45')
    expect(w.find('[data-testid=clock-date]').exists()).toBe(false)
  })
})

describe('slow-moving', () => {
  const data = {
    slow: result({
      metric: 'stock.slowMoving',
      unit: 'count',
      total: 7,
      days: 60,
      slowMoving: [
        {
          sku: 'A',
          skuName: '甲',
          skuNameEn: 'Alpha',
          warehouse: 'W1',
          warehouseName: '一号仓',
          category: 'food',
          categoryName: '食品',
          qty: 35,
          value: 411.71,
          lastOutbound: '2026-09-27',
          idleDays: 70,
          oldestAge: 100,
        },
        { sku: 'A', warehouse: 'W2', qty: 4, value: 43.43, lastOutbound: null, idleDays: 130, oldestAge: 130 },
      ],
    }),
  }

  test('the count with its N, rows largest value first with value, qty and idle days; a tap drills into the warehouse', async () => {
    const w = mountWidget(SlowMoving, m(slowMoving), data, { options: { days: 60 } })
    expect(w.find('[data-testid=slow-count]').text()).toBe('7')
    expect(w.text()).toContain('个 SKU × 仓库超过 60 天无出库')
    const rows = w.findAll('[data-testid=slow-row]')
    expect(rows.map((r) => r.findAll('span').map((s) => s.text()))).toEqual([
      ['甲 · 食品', '一号仓', '¥411.7135', '70 天'],
      ['A', 'W2', '¥43.434', '130 天从未出库'],
    ])
    // idle for twice N or more: the alarming colour
    expect(rows.map((r) => r.classes().find((c) => ['idle', 'old'].includes(c)))).toEqual(['idle', 'old'])
    expect(rows[0]!.find('.sku').attributes('title')).toBe('A · 食品 · 35 · 末次出库 2026-09-27')
    await rows[1]!.trigger('click')
    expect(w.emitted('drill')).toEqual([[{ dimension: 'warehouse', key: 'W2' }]])
  })

  test('English names and chrome; nothing idle says so', () => {
    const en = mountWidget(SlowMoving, m(slowMoving), data, { locale: 'en', options: { days: 60 } })
    expect(en.text()).toContain('SKU × warehouse pairs without outbound for 60 days')
    expect(en.findAll('[data-testid=slow-row]')[1]!.text()).toContain('Never shipped')
    expect(en.find('[data-testid=slow-row] .sku').text()).toBe('Alpha · 食品')
    const none = mountWidget(SlowMoving, m(slowMoving), { slow: result({ metric: 'stock.slowMoving', unit: 'count', total: 0, days: 90, slowMoving: [] }) }, { locale: 'en' })
    expect(none.text()).toContain('No slow-moving stock')
  })
})
