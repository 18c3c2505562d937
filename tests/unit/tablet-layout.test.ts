import { describe, expect, test } from 'vitest'
import { MAX_HEIGHT, MIN_CHART_HEIGHT, MIN_FIGURE_HEIGHT, readingOrder, reflow, tabletColumns } from '../../screen/tablet/reflow.ts'
import { customPeriod, nextDay, periodFromQuery, startOfDay, todayIn, zoneOffset } from '../../screen/tablet/period.ts'
import { retailTemplate } from '../../widgets/templates/retail.ts'

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

  test('the retail screen: spans never exceed the columns, wide charts span more, heights within bounds', () => {
    for (const width of [390, 768, 1024]) {
      const { columns, cells } = reflow(retailTemplate, width)
      expect(cells).toHaveLength(retailTemplate.widgets.length)
      for (const c of cells) {
        expect(c.span).toBeGreaterThanOrEqual(1)
        expect(c.span).toBeLessThanOrEqual(columns)
        expect(c.height).toBeGreaterThanOrEqual(MIN_FIGURE_HEIGHT)
        expect(c.height).toBeLessThanOrEqual(MAX_HEIGHT)
      }
    }
    const landscape = reflow(retailTemplate, 1024)
    const span = (id: string) => landscape.cells.find((c) => c.instance.id === id)!
    expect(span('revenue').span).toBe(1) // 3 of 12 columns
    expect(span('sales-vs-purchases').span).toBe(2) // 8 of 12
    expect(span('sales-vs-purchases').height).toBeGreaterThanOrEqual(MIN_CHART_HEIGHT)
    expect(span('revenue').height).toBe(MIN_FIGURE_HEIGHT)
    expect(landscape.cells.map((c) => c.instance.id).slice(0, 5)).toEqual(['revenue', 'profit', 'receipts', 'cash', 'sales-vs-purchases'])
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
    expect(periodFromQuery({ from: '2026-11-01', to: '2026-11-02' }, 'Asia/Shanghai')).toMatchObject({ preset: 'custom', period: { from: '2026-11-01T00:00:00+08:00', to: '2026-11-03T00:00:00+08:00' } })
    expect(todayIn('Asia/Shanghai', new Date('2026-11-24T17:00:00Z'))).toBe('2026-11-25')
  })
})
