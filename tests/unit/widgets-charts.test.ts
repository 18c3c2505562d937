// @vitest-environment happy-dom
/** Chart widgets, mounted with representative results: what they hand to ECharts, and their DOM. */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { nextTick } from 'vue'
import { charts, hours, mountWidget, result } from './widget-kit.ts'
import TrendLine from '../../widgets/trend-line/TrendLine.vue'
import RankingBar from '../../widgets/ranking-bar/RankingBar.vue'
import ShareDonut from '../../widgets/share-donut/ShareDonut.vue'
import Gauge from '../../widgets/gauge/Gauge.vue'
import CashFlow from '../../widgets/cash-flow/CashFlow.vue'
import MarginByCategory from '../../widgets/margin-by-category/MarginByCategory.vue'
import StockTurnover from '../../widgets/stock-turnover/StockTurnover.vue'
import TransferFlow from '../../widgets/transfer-flow/TransferFlow.vue'
import StockAgeing from '../../widgets/stock-ageing/StockAgeing.vue'
import { trendLine } from '../../widgets/trend-line/manifest.ts'
import { rankingBar } from '../../widgets/ranking-bar/manifest.ts'
import { shareDonut } from '../../widgets/share-donut/manifest.ts'
import { gauge } from '../../widgets/gauge/manifest.ts'
import { cashFlow } from '../../widgets/cash-flow/manifest.ts'
import { marginByCategory } from '../../widgets/margin-by-category/manifest.ts'
import { stockTurnover } from '../../widgets/stock-turnover/manifest.ts'
import { ROUTE_DIMENSION, transferFlow } from '../../widgets/transfer-flow/manifest.ts'
import { stockAgeing } from '../../widgets/stock-ageing/manifest.ts'
import type { WidgetManifest } from '../../widgets/define-widget.ts'

vi.mock('../../widgets/common/charts/echarts.ts', async () => (await import('./widget-kit.ts')).echartsStandIn)

beforeEach(() => {
  charts.length = 0
})
afterEach(() => {
  document.body.innerHTML = ''
})
const m = (x: unknown) => x as WidgetManifest

describe('trend-line', () => {
  const data = {
    s0: result({ metric: 'sales.revenue', unit: 'money', total: 350_000, series: hours([100_000, 120_000, 130_000]) }),
    s1: result({ metric: 'sales.grossMargin', unit: 'ratio', total: 0.25, series: hours([0.2, 0.3, null]) }),
  }

  test('one line per metric over the whole day, a second axis for a second unit', () => {
    mountWidget(TrendLine, m(trendLine), data, { options: { metrics: ['sales.revenue', 'sales.grossMargin'] } })
    const o = charts[0]!.option
    expect(o.xAxis.data).toHaveLength(24)
    expect(o.xAxis.data[13]).toBe('13:00')
    const byId = (id: string) => o.series.find((s: { id: string }) => s.id === id)
    expect(o.legend.data).toEqual(['销售收入', '毛利率'])
    expect(byId('s1').data.slice(0, 4)).toEqual([0.2, 0.3, null, null])
    expect(byId('s1').yAxisIndex).toBe(1)
    expect(o.yAxis).toHaveLength(2)
    expect(o.yAxis[0].axisLabel.formatter(120_000)).toBe('¥12万')
    expect(o.yAxis[1].axisLabel.formatter(0.25)).toBe('25%')
  })

  test('the bucket still filling is drawn dashed, so a flow does not fall off a cliff', () => {
    mountWidget(TrendLine, m(trendLine), data, { options: { metrics: ['sales.revenue', 'sales.grossMargin'] } })
    const o = charts[0]!.option
    const byId = (id: string) => o.series.find((s: { id: string }) => s.id === id)
    expect(byId('s0').data.slice(0, 4)).toEqual([100_000, 120_000, null, null])
    expect(byId('s0-running').data.slice(0, 4)).toEqual([null, 120_000, 130_000, null])
    expect(byId('s0-running').lineStyle.type).toBe('dashed')
    // a ratio of a partial bucket is not partial: no dashed part
    expect(byId('s1-running')).toBeUndefined()
    const tip = o.tooltip.formatter([
      { seriesName: '销售收入', value: null, marker: '', axisValueLabel: '02:00' },
      { seriesName: '销售收入', value: 130_000, marker: '', axisValueLabel: '02:00' },
      { seriesName: '毛利率', value: null, marker: '', axisValueLabel: '02:00' },
    ])
    expect(tip).toBe('02:00<br/>销售收入 <b>¥13.00万</b><br/>毛利率 <b>—</b>')
  })

  test('a point no line reaches is marked: the first hour of the day, a ratio between empty buckets', () => {
    const sparse = {
      s0: result({ metric: 'sales.revenue', unit: 'money', total: 4_000, series: hours([4_000]) }),
      s1: result({ metric: 'sales.grossMargin', unit: 'ratio', total: 0.25, series: hours([0.2, null, 0.3, 0.31]) }),
    }
    mountWidget(TrendLine, m(trendLine), sparse, { options: { metrics: ['sales.revenue', 'sales.grossMargin'] } })
    const o = charts[0]!.option
    const byId = (id: string) => o.series.find((s: { id: string }) => s.id === id)
    const shown = (id: string) => byId(id).data.map((_: unknown, dataIndex: number) => byId(id).showSymbol && byId(id).symbol(null, { dataIndex }) !== 'none')
    // 00:00 still filling and alone: no dashed lead-in from a previous hour, so a dot
    expect(byId('s0').data.slice(0, 2)).toEqual([4_000, null])
    expect(shown('s0').slice(0, 2)).toEqual([true, false])
    expect(byId('s0-running')).toBeUndefined()
    expect(shown('s1').slice(0, 4)).toEqual([true, false, false, false])
    // 01:00 filling: the dashed lead-in reaches 00:00, so no dot there
    mountWidget(
      TrendLine,
      m(trendLine),
      { s0: result({ metric: 'sales.revenue', unit: 'money', total: 9_000, series: hours([4_000, 5_000]) }) },
      { options: { metrics: ['sales.revenue'] } },
    )
    expect(charts[1]!.option.series.map((s: { id: string; showSymbol: boolean }) => [s.id, s.showSymbol])).toEqual([
      ['s0', false],
      ['s0-running', false],
    ])
    // lines alone where every point has a neighbour
    mountWidget(TrendLine, m(trendLine), data, { options: { metrics: ['sales.revenue', 'sales.grossMargin'] } })
    expect(charts[2]!.option.series.every((s: { showSymbol: boolean }) => s.showSymbol === false)).toBe(true)
  })

  test('English names and K/M axis labels', () => {
    mountWidget(TrendLine, m(trendLine), data, { locale: 'en', options: { metrics: ['sales.revenue', 'sales.grossMargin'] } })
    const o = charts[0]!.option
    expect(o.series[0].name).toBe('Sales revenue')
    expect(o.legend.data).toEqual(['Sales revenue', 'Gross margin'])
    expect(o.yAxis[0].axisLabel.formatter(120_000)).toBe('¥120K')
  })

  test('a rolling window by minute shows the buckets returned, or says there is no data yet', async () => {
    const w = mountWidget(
      TrendLine,
      m(trendLine),
      { s0: result({ metric: 'sales.revenue', unit: 'money', series: [] }) },
      { options: { metrics: ['sales.revenue'], window: 'PT1H', interval: 'minute' } },
    )
    expect(w.find('[data-testid=no-data]').text()).toBe('暂无数据')
    await w.setProps({ data: { s0: result({ metric: 'sales.revenue', unit: 'money', series: [{ start: '2026-11-25T13:05:00+08:00', value: 5 }] }) } })
    await nextTick()
    // the chart applies updates once per animation frame
    await new Promise((resolve) => requestAnimationFrame(resolve))
    expect(charts[0]!.option.xAxis.data).toEqual(['13:05'])
    expect(w.find('[data-testid=no-data]').exists()).toBe(false)
  })

  test('the light theme recolours text and lines', () => {
    mountWidget(TrendLine, m(trendLine), data, { theme: 'dark' })
    mountWidget(TrendLine, m(trendLine), data, { theme: 'light' })
    const [dark, light] = charts.map((c) => c.option)
    expect(light.xAxis.axisLabel.color).not.toBe(dark.xAxis.axisLabel.color)
    expect(light.legend.textStyle.color).toBe('#1f3354')
    expect(light.tooltip.backgroundColor).toMatch(/255,255,255/)
  })

  test('the chart is disposed with the widget', () => {
    const w = mountWidget(TrendLine, m(trendLine), data)
    w.unmount()
    expect(charts[0]!.disposed).toBe(true)
  })
})

describe('ranking-bar', () => {
  const data = {
    ranking: result({
      metric: 'sales.revenue',
      unit: 'money',
      groupBy: 'category',
      total: 60_000,
      groups: [
        { key: 'drinks', label: '饮料', total: 35_000 },
        { key: 'snacks', total: 20_000 },
        { key: '-', total: 5_000 },
      ],
    }),
  }

  test('largest on top, names from master data, values formatted', () => {
    mountWidget(RankingBar, m(rankingBar), data, { options: { groupBy: 'category' } })
    const o = charts[0]!.option
    expect(o.yAxis.data).toEqual(['未指定', 'snacks', '饮料'])
    expect(o.series[0].label.formatter({ value: 35_000 })).toBe('¥3.50万')
    expect(charts[0]!.renderer).toBe('svg')
  })

  test('fewer members than asked for keep the size of a full ranking, at the top', () => {
    // 3 members of a top 10 in a 404 px box: each bar has a tenth (40 px), the three fill the top 120 px
    mountWidget(RankingBar, m(rankingBar), data, { height: 404, options: { groupBy: 'category', top: 10 } })
    expect(charts[0]!.option.grid).toMatchObject({ top: 2, height: 120 })
    mountWidget(RankingBar, m(rankingBar), data, { height: 404, options: { groupBy: 'category', top: 3 } })
    expect(charts[1]!.option.grid).toMatchObject({ top: 2, height: 400 })
  })

  test('tapping a bar drills into that member of the ranked dimension', () => {
    const w = mountWidget(RankingBar, m(rankingBar), data, { options: { groupBy: 'category' } })
    charts[0]!.handlers.get('click')!({ data: { key: 'drinks', label: '饮料' } })
    expect(w.emitted('drill')).toEqual([[{ dimension: 'category', key: 'drinks', label: '饮料' }]])
  })

  test('names in the locale: English names in en, master-data names in zh-CN, codes where there are none', () => {
    const named = {
      ranking: result({
        metric: 'sales.revenue',
        unit: 'money',
        groupBy: 'category',
        total: 60_000,
        groups: [
          { key: 'baby', label: '母婴', labelEn: 'Baby & kids', total: 35_000 },
          { key: 'drinks', label: '饮料', total: 20_000 },
          { key: 'misc', total: 4_000 },
          { key: '-', total: 1_000 },
        ],
      }),
    }
    mountWidget(RankingBar, m(rankingBar), named, { options: { groupBy: 'category' } })
    mountWidget(RankingBar, m(rankingBar), named, { options: { groupBy: 'category' }, locale: 'en' })
    const [zh, en] = charts.map((c) => c.option.yAxis.data)
    expect(zh).toEqual(['未指定', 'misc', '饮料', '母婴'])
    expect(en).toEqual(['Unspecified', 'misc', '饮料', 'Baby & kids'])
  })

  test('a drill carries both names of the member', () => {
    const w = mountWidget(RankingBar, m(rankingBar), data, { options: { groupBy: 'category' }, locale: 'en' })
    const bars = charts[0]!.option.series[0].data
    charts[0]!.handlers.get('click')!({ data: { ...bars.at(-1), labelEn: 'Drinks' } })
    expect(w.emitted('drill')).toEqual([[{ dimension: 'category', key: 'drinks', label: '饮料', labelEn: 'Drinks' }]])
  })

  test('a short box shows only the bars that fit, largest first', () => {
    mountWidget(RankingBar, m(rankingBar), data, { options: { groupBy: 'category' }, height: 30 })
    expect(charts[0]!.option.yAxis.data).toEqual(['snacks', '饮料'])
  })

  test('an empty ranking says so', () => {
    const w = mountWidget(RankingBar, m(rankingBar), { ranking: result({ metric: 'sales.revenue', unit: 'money', groups: [] }) }, { locale: 'en' })
    expect(w.find('[data-testid=no-data]').text()).toBe('No data yet')
  })
})

describe('share-donut', () => {
  const data = {
    shares: result({
      metric: 'sales.revenue',
      unit: 'money',
      groupBy: 'channel',
      total: 1_000_000,
      groups: [
        { key: 'pos', total: 600_000 },
        { key: 'online', label: '线上', total: 300_000 },
      ],
    }),
  }

  test('slices for the top members, the rest of the total as "other", the total in the middle', () => {
    const w = mountWidget(ShareDonut, m(shareDonut), data)
    const slices = charts[0]!.option.series[0].data
    expect(slices.map((s: { name: string; value: number }) => [s.name, s.value])).toEqual([
      ['pos', 600_000],
      ['线上', 300_000],
      ['其他', 100_000],
    ])
    expect(w.find('[data-testid=donut-total]').text()).toBe('¥100.0万')
    expect(charts[0]!.option.legend.formatter('pos')).toBe('pos  60.0%')
  })

  test('the legend goes beside the ring when it fits there, else below it', () => {
    const long = {
      shares: result({
        metric: 'sales.revenue',
        unit: 'money',
        groupBy: 'channel',
        total: 100,
        groups: [
          { key: 'pos', label: '门店收银渠道', total: 60 },
          { key: 'web', label: '线上商城', total: 40 },
        ],
      }),
    }
    mountWidget(ShareDonut, m(shareDonut), long, { width: 900, height: 400 })
    mountWidget(ShareDonut, m(shareDonut), long, { width: 300, height: 260 })
    expect(charts[0]!.option.legend.orient).toBe('vertical')
    expect(charts[1]!.option.legend.orient).toBe('horizontal')
  })

  test('tapping a slice drills into it; "other" is not a member', () => {
    const w = mountWidget(ShareDonut, m(shareDonut), data)
    const click = charts[0]!.handlers.get('click')!
    const slices = charts[0]!.option.series[0].data
    click({ data: slices[1] })
    click({ data: slices[2] })
    expect(w.emitted('drill')).toEqual([[{ dimension: 'channel', key: 'online', label: '线上' }]])
  })

  test('slices and legend named in English in en, in Chinese in zh-CN; a drill carries both names', () => {
    const named = {
      shares: result({
        metric: 'sales.revenue',
        unit: 'money',
        groupBy: 'channel',
        total: 900_000,
        groups: [
          { key: 'pos', label: '门店收银', labelEn: 'In-store POS', total: 600_000 },
          { key: 'online', label: '线上商城', total: 300_000 },
        ],
      }),
    }
    mountWidget(ShareDonut, m(shareDonut), named)
    const w = mountWidget(ShareDonut, m(shareDonut), named, { locale: 'en' })
    const [zh, en] = charts.map((c) => c.option.series[0].data.map((s: { name: string }) => s.name))
    expect(zh).toEqual(['门店收银', '线上商城'])
    expect(en).toEqual(['In-store POS', '线上商城'])
    expect(charts[1]!.option.legend.formatter('In-store POS')).toBe('In-store POS  66.7%')
    charts[1]!.handlers.get('click')!({ data: charts[1]!.option.series[0].data[0] })
    expect(w.emitted('drill')).toEqual([[{ dimension: 'channel', key: 'pos', label: '门店收银', labelEn: 'In-store POS' }]])
  })

  test('a small box drops the legend and keeps the ring inside', () => {
    mountWidget(ShareDonut, m(shareDonut), data, { width: 200, height: 120 })
    const o = charts[0]!.option
    expect(o.legend.show).toBe(false)
    expect(o.series[0].radius[1]).toBeLessThanOrEqual(60)
  })
})

describe('gauge', () => {
  const data = { value: result({ metric: 'fulfilment.onTimeRate', unit: 'ratio', total: 0.953, previous: { from: '', to: '', total: 0.95 } }) }

  test('the rate, its band and its change in percentage points', () => {
    const w = mountWidget(Gauge, m(gauge), data)
    expect(w.find('[data-testid=gauge-value]').text()).toBe('95.3%')
    expect(w.find('.gauge').attributes('data-band')).toBe('good')
    expect(w.find('[data-testid=gauge-change]').text()).toBe('▲ 0.3个百分点')
    const s = charts[0]!.option.series[0]
    expect(s.data[0].value).toBeCloseTo(0.953)
    expect(s.detail.formatter()).toBe('95.3%')
    // red below warn, amber to good, green above
    expect(s.axisLine.lineStyle.color.map((c: [number, string]) => c[0])).toEqual([0.85, 0.95, 1])
  })

  test('lower-is-better figures turn the bands round; values beyond the dial stay on it', () => {
    const w = mountWidget(
      Gauge,
      m(gauge),
      { value: result({ metric: 'stock.daysOnHand', unit: 'days', total: 75 }) },
      {
        locale: 'en',
        options: { metric: 'stock.daysOnHand', min: 0, max: 60, warn: 40, good: 20, higherIsBetter: false, compare: false },
      },
    )
    expect(w.find('[data-testid=gauge-value]').text()).toBe('75 days')
    expect(w.find('.gauge').attributes('data-band')).toBe('bad')
    expect(charts[0]!.option.series[0].data[0].value).toBe(60)
  })
})

describe('cash-flow', () => {
  const data = {
    in: result({ metric: 'cash.in', unit: 'money', total: 50_000, series: hours([30_000, 20_000]) }),
    out: result({ metric: 'cash.out', unit: 'money', total: 80_000, series: hours([10_000, 70_000]) }),
    net: result({ metric: 'cash.net', unit: 'money', total: -30_000, series: hours([20_000, -50_000]) }),
  }

  test('totals of the period, money in up, money out down, the net as a line', () => {
    const w = mountWidget(CashFlow, m(cashFlow), data)
    expect(w.find('[data-testid=cash-in]').text()).toContain('¥5.00万')
    expect(w.find('[data-testid=cash-out]').text()).toContain('¥8.00万')
    expect(w.find('[data-testid=cash-net]').text()).toContain('-¥3.00万')
    const [inS, outS, netS] = charts[0]!.option.series
    expect(inS.data.slice(0, 3)).toEqual([30_000, 20_000, null])
    expect(outS.data.slice(0, 2)).toEqual([-10_000, -70_000])
    expect(netS.type).toBe('line')
    expect(netS.data.slice(0, 2)).toEqual([20_000, -50_000])
    expect(outS.tooltip.valueFormatter(-70_000)).toBe('¥7.00万')
  })

  test('English labels; the totals row gives way in a short box', () => {
    const w = mountWidget(CashFlow, m(cashFlow), data, { locale: 'en', height: 140 })
    expect(w.find('[data-testid=cash-in]').exists()).toBe(false)
    expect(charts[0]!.option.series.map((s: { name: string }) => s.name)).toEqual(['In', 'Out', 'Net'])
  })
})

describe('margin-by-category', () => {
  const data = {
    margin: result({
      metric: 'sales.grossMargin',
      unit: 'ratio',
      groupBy: 'category',
      total: 0.25,
      groups: [
        { key: 'baby', total: 0.31 },
        { key: 'drinks', label: '饮料', total: 0.22 },
        { key: 'fresh', total: null },
      ],
    }),
    revenue: result({ metric: 'sales.revenue', unit: 'money', groupBy: 'category', total: 1, groups: [{ key: 'drinks', total: 12_000 }] }),
  }

  test('columns highest first, coloured against the overall margin shown as a level', () => {
    const w = mountWidget(MarginByCategory, m(marginByCategory), data)
    const o = charts[0]!.option
    expect(o.xAxis.data).toEqual(['baby', '饮料'])
    const [above, below] = o.series[0].data
    expect(above.itemStyle.color).not.toBe(below.itemStyle.color)
    expect(o.series[1].data).toEqual([0.25, 0.25])
    expect(w.find('[data-testid=margin-overall]').text()).toBe('整体 25.0%')
    expect(o.tooltip.formatter([{ dataIndex: 1 }])).toContain('¥1.20万')
  })

  test('tapping a column drills into the category', () => {
    const w = mountWidget(MarginByCategory, m(marginByCategory), data, { locale: 'en' })
    charts[0]!.handlers.get('click')!({ data: charts[0]!.option.series[0].data[1] })
    expect(w.emitted('drill')).toEqual([[{ dimension: 'category', key: 'drinks', label: '饮料' }]])
  })
})

describe('margin-by-category, named', () => {
  test('columns and tooltip name the categories in the locale', () => {
    const data = {
      margin: result({
        metric: 'sales.grossMargin',
        unit: 'ratio',
        groupBy: 'category',
        total: 0.25,
        groups: [
          { key: 'baby', label: '母婴', labelEn: 'Baby & kids', total: 0.31 },
          { key: 'drinks', label: '饮料', total: 0.22 },
        ],
      }),
    }
    mountWidget(MarginByCategory, m(marginByCategory), data)
    const w = mountWidget(MarginByCategory, m(marginByCategory), data, { locale: 'en' })
    expect(charts[0]!.option.xAxis.data).toEqual(['母婴', '饮料'])
    expect(charts[1]!.option.xAxis.data).toEqual(['Baby & kids', '饮料'])
    // the axis draws text (as is), the tooltip is HTML (escaped: it shows “Baby & kids”)
    expect(charts[1]!.option.tooltip.formatter([{ dataIndex: 0 }])).toMatch(/^Baby &amp; kids<br\/>/)
    charts[1]!.handlers.get('click')!({ data: charts[1]!.option.series[0].data[0] })
    expect(w.emitted('drill')).toEqual([[{ dimension: 'category', key: 'baby', label: '母婴', labelEn: 'Baby & kids' }]])
  })
})

describe('stock-turnover', () => {
  const data = {
    turnover: result({ metric: 'stock.turnover', unit: 'times', total: 4.25 }),
    days: result({ metric: 'stock.daysOnHand', unit: 'days', total: 12.5 }),
    trend: result({
      metric: 'stock.daysOnHand',
      unit: 'days',
      total: 12.5,
      series: [
        { start: '2026-11-24T00:00:00+08:00', value: 13 },
        { start: '2026-11-25T00:00:00+08:00', value: 12 },
      ],
    }),
  }

  test('two figures and the daily trend', () => {
    const w = mountWidget(StockTurnover, m(stockTurnover), data, { locale: 'en' })
    expect(w.find('[data-testid=turnover-turnover] [data-value]').attributes('data-value')).toBe('4.3×')
    expect(w.find('[data-testid=turnover-days] [data-value]').attributes('data-value')).toBe('12.5 days')
    expect(w.find('[data-testid=turnover-days]').text()).toContain('Days on hand')
    const o = charts[0]!.option
    expect(o.xAxis.data).toEqual(['24 Nov', '25 Nov'])
    expect(o.series[0].data).toEqual([13, 12])
  })
})

describe('transfer-flow', () => {
  test('routes FROM→TO become a sankey from sources to destinations', () => {
    const data = {
      routes: result({
        metric: 'transfer.qty',
        unit: 'qty',
        total: 160,
        groups: [
          { key: 'DC-SH→ST-SH01', label: '上海中心仓→南京路店', total: 120 },
          { key: 'ST-SH01→DC-SH', total: 40 },
        ],
      }),
    }
    const w = mountWidget(TransferFlow, m(transferFlow), data)
    const s = charts[0]!.option.series[0]
    expect(s.links).toEqual([
      { source: 'out:DC-SH', target: 'in:ST-SH01', value: 120 },
      { source: 'out:ST-SH01', target: 'in:DC-SH', value: 40 },
    ])
    expect(s.data.map((n: { name: string; depth: number }) => [n.name, n.depth])).toEqual([
      ['out:DC-SH', 0],
      ['in:ST-SH01', 1],
      ['out:ST-SH01', 0],
      ['in:DC-SH', 1],
    ])
    expect(w.find('[data-testid=no-data]').exists()).toBe(false)
    charts[0]!.handlers.get('click')!({ dataType: 'node', data: s.data[0] })
    expect(w.emitted('drill')).toEqual([[{ dimension: 'warehouse', key: 'DC-SH', label: '上海中心仓' }]])
  })

  test('warehouses named in English in en, in Chinese in zh-CN; a drill carries both names', () => {
    const data = {
      routes: result({
        metric: 'transfer.qty',
        unit: 'qty',
        total: 120,
        groups: [{ key: 'DC-SH→ST-SH01', label: '上海中心仓 → 南京路店', labelEn: 'Shanghai DC → 南京路店', total: 120 }],
      }),
    }
    mountWidget(TransferFlow, m(transferFlow), data)
    const w = mountWidget(TransferFlow, m(transferFlow), data, { locale: 'en' })
    const names = (i: number) => charts[i]!.option.series[0].data.map((n: { label2: string }) => n.label2)
    expect(names(0)).toEqual(['上海中心仓', '南京路店'])
    expect(names(1)).toEqual(['Shanghai DC', '南京路店'])
    charts[1]!.handlers.get('click')!({ dataType: 'node', data: charts[1]!.option.series[0].data[0] })
    charts[1]!.handlers.get('click')!({ dataType: 'node', data: charts[1]!.option.series[0].data[1] })
    expect(w.emitted('drill')).toEqual([
      [{ dimension: 'warehouse', key: 'DC-SH', label: '上海中心仓', labelEn: 'Shanghai DC' }],
      // the English label repeats the name of a warehouse without an English one: not an English name
      [{ dimension: 'warehouse', key: 'ST-SH01', label: '南京路店' }],
    ])
  })

  test('without the route dimension it says routes are not available, and does not draw', () => {
    if (ROUTE_DIMENSION) return
    const w = mountWidget(TransferFlow, m(transferFlow), {}, { locale: 'en' })
    expect(w.find('[data-testid=no-data]').text()).toContain('No transfer routes')
    expect(w.find('[data-testid=no-data]').text()).toContain('does not report transfer routes yet')
  })

  test('a period without transfers says so', () => {
    const w = mountWidget(TransferFlow, m(transferFlow), { routes: result({ metric: 'transfer.qty', unit: 'qty', groups: [] }) })
    expect(w.find('[data-testid=no-data]').text()).toBe('本期暂无调拨')
  })
})

describe('stock-ageing', () => {
  const bucket = (key: '0-30' | '31-60' | '61-90' | '91-180' | '181+', qty: number, value: number) => ({ key, qty, value })
  const figures = (buckets: ReturnType<typeof bucket>[]) => ({
    qty: buckets.reduce((s, b) => s + b.qty, 0),
    value: buckets.reduce((s, b) => s + b.value, 0),
    buckets,
    averageAge: 45.68,
    oldestAge: 100,
  })
  const w1 = figures([bucket('0-30', 7, 68.53), bucket('31-60', 30, 352.89), bucket('61-90', 0, 0), bucket('91-180', 3, 35.29), bucket('181+', 0, 0)])
  const w2 = figures([bucket('0-30', 0, 0), bucket('31-60', 0, 0), bucket('61-90', 0, 0), bucket('91-180', 4, 43.43), bucket('181+', 0, 0)])
  const data = {
    ageing: result({
      metric: 'stock.ageing',
      unit: 'money',
      groupBy: 'warehouse',
      total: 500.14,
      ageing: {
        date: '2026-12-06',
        ...figures([]),
        groups: [
          { key: 'W1', label: '一号仓', labelEn: 'Warehouse 1', ...w1 },
          { key: 'W2', ...w2 },
        ],
      },
    }),
  }

  test('one stacked bar per member, largest on top, a series per bucket from young to old', () => {
    mountWidget(StockAgeing, m(stockAgeing), data)
    const o = charts[0]!.option
    expect(o.yAxis.data).toEqual(['W2', '一号仓'])
    expect(o.series.map((s: { name: string; stack: string }) => [s.name, s.stack])).toEqual([
      ['0–30 天', 'age'],
      ['31–60 天', 'age'],
      ['61–90 天', 'age'],
      ['91–180 天', 'age'],
      ['180 天以上', 'age'],
    ])
    expect(o.series.map((s: { data: { value: number }[] }) => s.data.map((d) => d.value))).toEqual([
      [0, 68.53],
      [0, 352.89],
      [0, 0],
      [43.43, 35.29],
      [0, 0],
    ])
    // the oldest stock in the alarming colour
    expect(o.series[4].itemStyle.color).toBe('#ff6b6b')
    expect(charts[0]!.renderer).toBe('svg')
  })

  test('in qty, and in English; the tooltip lists the buckets, the total and the average age', () => {
    mountWidget(StockAgeing, m(stockAgeing), data, { options: { measure: 'qty' }, locale: 'en' })
    const o = charts[0]!.option
    expect(o.yAxis.data).toEqual(['W2', 'Warehouse 1'])
    expect(o.series.map((s: { name: string }) => s.name)).toEqual(['0–30 days', '31–60 days', '61–90 days', '91–180 days', 'Over 180 days'])
    expect(o.series[1].data[1].value).toBe(30)
    const tip = o.tooltip.formatter(o.series.map((s: { name: string; data: { value: number }[] }) => ({ dataIndex: 1, seriesName: s.name, value: s.data[1]!.value })))
    expect(tip).toBe(
      'Warehouse 1<br/>0–30 days <b>7</b><br/>31–60 days <b>30</b><br/>61–90 days <b>0</b><br/>91–180 days <b>3</b><br/>Over 180 days <b>0</b><br/>Total <b>40</b><br/>Average age 45.68 days',
    )
  })

  test('tapping a bar drills into its warehouse or category', () => {
    const w = mountWidget(StockAgeing, m(stockAgeing), data)
    charts[0]!.handlers.get('click')!({ data: charts[0]!.option.series[0].data[1] })
    expect(w.emitted('drill')).toEqual([[{ dimension: 'warehouse', key: 'W1', label: '一号仓', labelEn: 'Warehouse 1' }]])
  })

  test('a short box drops the legend and keeps the bars that fit; nothing on hand says so', () => {
    mountWidget(StockAgeing, m(stockAgeing), data, { height: 20 })
    expect(charts[0]!.option.legend.show).toBe(false)
    expect(charts[0]!.option.yAxis.data).toEqual(['一号仓'])
    const empty = mountWidget(
      StockAgeing,
      m(stockAgeing),
      { ageing: result({ metric: 'stock.ageing', unit: 'money', total: 0, ageing: { date: '2026-12-06', ...figures([]), groups: [] } }) },
      { locale: 'en' },
    )
    expect(empty.find('[data-testid=no-data]').text()).toBe('No data yet')
  })
})
