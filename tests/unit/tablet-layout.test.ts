import { describe, expect, test } from 'vitest'
import { MAX_HEIGHT, MIN_CHART_HEIGHT, MIN_FIGURE_HEIGHT, readingOrder, reflow, tabletColumns } from '../../screen/tablet/reflow.ts'
import { customPeriod, nextDay, periodFromQuery, startOfDay, todayIn, zoneOffset } from '../../screen/tablet/period.ts'
import { TEMPLATES } from '../../widgets/templates/index.ts'

const inst = (id: string, widget: string, x: number, y: number, w: number, h: number) => ({ id, widget, options: {}, x, y, w, h })
/** A wall screen: four KPIs on top, a wide chart and a tall ranking, two panels below. */
const SCREEN = {
  grid: { columns: 12, rows: 12 },
  widgets: [
    inst('top-skus', 'ranking-bar', 8, 2, 4, 10),
    inst('revenue', 'kpi-card', 0, 0, 3, 2),
    inst('profit', 'kpi-card', 3, 0, 3, 2),
    inst('receipts', 'kpi-card', 6, 0, 3, 2),
    inst('cash', 'kpi-card', 9, 0, 3, 2),
    inst('sales-vs-purchases', 'trend-line', 0, 2, 8, 5),
    inst('cash-flow', 'trend-line', 0, 7, 4, 5),
    inst('alerts', 'stock-alerts', 4, 7, 4, 5),
  ],
}

describe('tablet reflow', () => {
  test('columns by viewport width: phone 1, portrait tablet 2, landscape 3', () => {
    expect(tabletColumns(390)).toBe(1)
    expect(tabletColumns(768)).toBe(2)
    expect(tabletColumns(1024)).toBe(3)
    expect(tabletColumns(2560)).toBe(3)
    expect(tabletColumns(0)).toBe(1)
  })

  test('reading order is the wall order: by row, then column, stable', () => {
    const w = (id: string, x: number, y: number) => ({ id, widget: 'kpi-card', options: {}, x, y, w: 1, h: 1 })
    expect(readingOrder([w('c', 0, 2), w('b', 5, 0), w('a', 0, 0), w('a2', 0, 0)]).map((i) => i.id)).toEqual(['a', 'a2', 'b', 'c'])
  })

  test('every template: spans never exceed the columns, heights within bounds', () => {
    for (const screen of [SCREEN, ...TEMPLATES]) {
      for (const width of [390, 768, 1024]) {
        const { columns, cells } = reflow(screen, width)
        expect(cells).toHaveLength(screen.widgets.length)
        for (const c of cells) {
          expect(c.span).toBeGreaterThanOrEqual(1)
          expect(c.span).toBeLessThanOrEqual(columns)
          expect(c.height).toBeGreaterThanOrEqual(MIN_FIGURE_HEIGHT)
          expect(c.height).toBeLessThanOrEqual(MAX_HEIGHT)
        }
      }
    }
  })

  test('a wall screen in landscape: wide charts span more, figures stay one column, wall order', () => {
    for (const width of [390, 768, 1024]) {
      const { columns, cells } = reflow(SCREEN, width)
      expect(cells).toHaveLength(SCREEN.widgets.length)
      for (const c of cells) {
        expect(c.span).toBeGreaterThanOrEqual(1)
        expect(c.span).toBeLessThanOrEqual(columns)
        expect(c.height).toBeGreaterThanOrEqual(MIN_FIGURE_HEIGHT)
        expect(c.height).toBeLessThanOrEqual(MAX_HEIGHT)
      }
    }
    const landscape = reflow(SCREEN, 1024)
    const span = (id: string) => landscape.cells.find((c) => c.instance.id === id)!
    expect(span('revenue').span).toBe(1) // 3 of 12 columns
    expect(span('sales-vs-purchases').span).toBe(2) // 8 of 12
    expect(span('sales-vs-purchases').height).toBeGreaterThanOrEqual(MIN_CHART_HEIGHT)
    expect(span('revenue').height).toBe(MIN_FIGURE_HEIGHT)
    expect(landscape.cells.map((c) => c.instance.id).slice(0, 6)).toEqual(['revenue', 'profit', 'receipts', 'cash', 'sales-vs-purchases', 'top-skus'])
    expect(span('top-skus').height).toBe(MAX_HEIGHT)
  })
})

describe('tablet period', () => {
  test('RFC 3339 offsets of the business zone, including DST', () => {
    expect(zoneOffset(new Date('2026-11-25T00:00:00Z'), 'Asia/Shanghai')).toBe('+08:00')
    expect(zoneOffset(new Date('2026-07-01T12:00:00Z'), 'Europe/Berlin')).toBe('+02:00')
    expect(zoneOffset(new Date('2026-01-01T12:00:00Z'), 'UTC')).toBe('+00:00')
    expect(startOfDay('2026-03-29', 'Europe/Berlin')).toBe('2026-03-29T00:00:00+01:00')
    expect(startOfDay('2026-03-30', 'Europe/Berlin')).toBe('2026-03-30T00:00:00+02:00')
  })

  test('custom range: whole days, `to` inclusive; refuses reversed or invalid dates', () => {
    expect(customPeriod('2026-11-01', '2026-11-20', 'Asia/Shanghai')).toEqual({ from: '2026-11-01T00:00:00+08:00', to: '2026-11-21T00:00:00+08:00' })
    expect(customPeriod('2026-11-20', '2026-11-01', 'Asia/Shanghai')).toBeUndefined()
    expect(customPeriod('2026-13-01', '2026-13-02', 'Asia/Shanghai')).toBeUndefined()
    expect(customPeriod('yesterday', '2026-11-02', 'Asia/Shanghai')).toBeUndefined()
    expect(nextDay('2028-02-28')).toBe('2028-02-29')
    expect(nextDay('2026-12-31')).toBe('2027-01-01')
  })

  test('from the URL: presets, custom, and today for anything else', () => {
    expect(periodFromQuery({ period: 'P7D' }, 'Asia/Shanghai')).toEqual({ preset: 'P7D', period: { window: 'P7D' } })
    expect(periodFromQuery({ period: 'P999D' }, 'Asia/Shanghai').period).toEqual({ window: 'today' })
    expect(periodFromQuery({}, 'Asia/Shanghai').preset).toBe('today')
    expect(periodFromQuery({ from: '2026-11-01', to: '2026-11-02' }, 'Asia/Shanghai')).toMatchObject({
      preset: 'custom',
      period: { from: '2026-11-01T00:00:00+08:00', to: '2026-11-03T00:00:00+08:00' },
    })
    expect(todayIn('Asia/Shanghai', new Date('2026-11-24T17:00:00Z'))).toBe('2026-11-25')
  })
})

describe('which widgets follow the period', () => {
  test('flows and ratios do; stock levels and alerts ("now") do not', async () => {
    const { followsPeriod } = await import('../../screen/tablet/period.ts')
    expect(followsPeriod(inst('k', 'kpi-card', 0, 0, 1, 1))).toBe(true)
    expect(followsPeriod({ ...inst('k', 'kpi-card', 0, 0, 1, 1), options: { metric: 'stock.value', window: 'today', compare: false } })).toBe(false)
    expect(followsPeriod(inst('a', 'stock-alerts', 0, 0, 1, 1))).toBe(false)
    expect(followsPeriod(inst('t', 'trend-line', 0, 0, 1, 1))).toBe(true)
    expect(followsPeriod(inst('x', 'no-such-widget', 0, 0, 1, 1))).toBe(false)
  })
})

describe('drill-down plans', () => {
  test('a category: figures and its SKUs; a warehouse: its alerts; every panel has valid options', async () => {
    const { drillPlan, drillFromQuery } = await import('../../screen/tablet/drill.ts')
    const { optionErrors } = await import('../../screen/editor/validate.ts')
    const { MANIFESTS } = await import('../../widgets/manifests.ts')
    const category = drillPlan({ dimension: 'category', key: 'drinks', label: '饮料' }, 'zh-CN')
    expect(category.title).toBe('品类 · 饮料')
    expect(category.filter).toEqual({ category: 'drinks' })
    expect(category.panels.map((p) => p.instance.widget)).toEqual(['kpi-card', 'kpi-card', 'kpi-card', 'ranking-bar'])
    expect(category.panels[3]!.instance.options).toMatchObject({ metric: 'sales.revenue', groupBy: 'sku' })
    const warehouse = drillPlan({ dimension: 'warehouse', key: 'W1' }, 'en')
    expect(warehouse.filter).toEqual({ warehouse: 'W1' })
    expect(warehouse.panels.map((p) => p.instance.widget)).toEqual(['stock-alerts', 'reorder-list'])
    for (const plan of [category, warehouse, drillPlan({ dimension: 'channel', key: 'pos' }, 'en')]) {
      for (const p of plan.panels) {
        const m = MANIFESTS[p.instance.widget as keyof typeof MANIFESTS]
        expect(optionErrors(m.options, { ...(m.defaults as object), ...p.instance.options }, 'en')).toEqual({})
      }
    }
    expect(drillFromQuery({ drill: 'category', key: 'drinks', label: '饮料' })).toEqual({ dimension: 'category', key: 'drinks', label: '饮料' })
    expect(drillFromQuery({ drill: 'galaxy', key: 'x' })).toBeUndefined()
    expect(drillFromQuery({ drill: 'warehouse' })).toBeUndefined()
  })

  test("the title names the member in the tablet's language, and the URL keeps both names", async () => {
    const { drillPlan, drillFromQuery, drillQuery } = await import('../../screen/tablet/drill.ts')
    const baby = { dimension: 'category', key: 'baby', label: '母婴', labelEn: 'Baby & kids' } as const
    expect(drillPlan(baby, 'zh-CN').title).toBe('品类 · 母婴')
    expect(drillPlan(baby, 'en').title).toBe('Category · Baby & kids')
    expect(drillPlan(baby, 'en').panels[3]!.instance.options).toMatchObject({ title: 'SKUs of Baby & kids by revenue' })
    // no English name: the master-data name, then the code
    expect(drillPlan({ dimension: 'channel', key: 'pos', label: '门店收银' }, 'en').title).toBe('Channel · 门店收银')
    expect(drillPlan({ dimension: 'channel', key: 'pos', labelEn: 'In-store POS' }, 'zh-CN').title).toBe('渠道 · pos')
    expect(drillPlan({ dimension: 'warehouse', key: 'W1', label: '上海中心仓', labelEn: 'Shanghai DC' }, 'en').panels[0]!.instance.options).toMatchObject({
      title: 'Stock alerts · Shanghai DC',
    })
    expect(drillPlan({ dimension: 'warehouse', key: 'W1', label: '上海中心仓', labelEn: 'Shanghai DC' }, 'zh-CN').panels[1]!.instance.options).toMatchObject({
      title: '上海中心仓 补货提醒',
    })
    expect(drillQuery(baby)).toEqual({ drill: 'category', key: 'baby', label: '母婴', labelEn: 'Baby & kids' })
    expect(drillFromQuery(drillQuery(baby))).toEqual(baby)
    expect(drillFromQuery({ drill: 'category', key: 'baby', labelEn: '' })).toEqual({ dimension: 'category', key: 'baby' })
  })
})
