import { describe, expect, test } from 'vitest'
import { advance, dwellMs, parsePlaylist, preloadAt, showScreen, startCarousel, upcoming } from '../../screen/composables/carousel.ts'
import { deriveQueries, freshnessBudget, windowLength } from '../../screen/composables/widgetQueries.ts'
import { effectivePixelRatio } from '../../widgets/common/pixelRatio.ts'
import { gridBoxes } from '../../screen/composables/gridLayout.ts'
import { message } from '../../widgets/common/messages.ts'
import type { Query } from '../../protocol/query.ts'

describe('carousel', () => {
  test('parses a playlist and rotates through it in order, round and round', () => {
    expect(parsePlaylist(' a, b,,c ')).toEqual(['a', 'b', 'c'])
    expect(parsePlaylist(undefined)).toEqual([])
    let s = startCarousel(['a', 'b', 'c'])
    const seen = [s.current]
    for (let i = 0; i < 4; i++) seen.push((s = advance(s)).current)
    expect(seen).toEqual(['a', 'b', 'c', 'a', 'b'])
  })

  test('one screen, or none listed, does not rotate', () => {
    expect(upcoming(startCarousel([], 'retail'))).toBeUndefined()
    expect(upcoming(startCarousel(['a']))).toBeUndefined()
    expect(advance(startCarousel(['a']))).toEqual(startCarousel(['a']))
  })

  test('a show puts the screen up; the playlist continues from it, or after the one it replaced', () => {
    const s = advance(startCarousel(['a', 'b', 'c'])) // b up
    const inList = showScreen(s, 'a')
    expect(inList.current).toBe('a')
    expect(upcoming(inList)).toBe('b')
    const outside = showScreen(s, 'x')
    expect(outside.current).toBe('x')
    expect(upcoming(outside)).toBe('c')
    expect(advance(outside).current).toBe('c')
  })

  test('a first screen outside the playlist takes one turn, then the playlist from its start', () => {
    const s = startCarousel(['a', 'b'], 'x')
    expect(s.current).toBe('x')
    expect(upcoming(s)).toBe('a')
    expect(upcoming(startCarousel(['a', 'b'], 'b'))).toBe('a')
  })

  test('dwell defaults to 30 s; the next screen preloads 5 s ahead, or halfway through a short dwell', () => {
    expect(dwellMs(undefined)).toBe(30_000)
    expect(dwellMs(12)).toBe(12_000)
    expect(preloadAt(30_000)).toBe(25_000)
    expect(preloadAt(6000)).toBe(3000)
  })
})

describe('queries a widget host subscribes to', () => {
  const own: Record<string, Query> = {
    value: { metric: 'sales.revenue', window: 'today', compare: 'previous' },
    byWh: { metric: 'stock.value', groupBy: 'warehouse', filter: { category: 'drinks', warehouse: ['W1', 'W2'] } },
  }

  test('without period or filter they are the widget’s own', () => {
    expect(deriveQueries(own)).toEqual(own)
  })

  test('a period replaces window/from/to in every query', () => {
    const fixed = deriveQueries(own, { from: '2026-11-01T00:00:00+08:00', to: '2026-11-08T00:00:00+08:00' })
    expect(fixed.value).toEqual({ metric: 'sales.revenue', from: '2026-11-01T00:00:00+08:00', to: '2026-11-08T00:00:00+08:00', compare: 'previous' })
    expect(fixed.byWh!.from).toBe('2026-11-01T00:00:00+08:00')
    const rolling = deriveQueries({ q: { metric: 'sales.revenue', from: '2026-01-01T00:00:00+08:00', to: '2026-02-01T00:00:00+08:00' } }, { window: 'P7D' })
    expect(rolling.q).toEqual({ metric: 'sales.revenue', window: 'P7D' })
  })

  test('a filter is merged into every query and wins for the dimensions it locks', () => {
    const scoped = deriveQueries(own, undefined, { warehouse: 'W2' })
    expect(scoped.value!.filter).toEqual({ warehouse: 'W2' })
    expect(scoped.byWh!.filter).toEqual({ category: 'drinks', warehouse: 'W2' })
    expect(own.byWh!.filter).toEqual({ category: 'drinks', warehouse: ['W1', 'W2'] }) // not mutated
  })

  test('freshness budget follows the window', () => {
    expect(windowLength('PT15M')).toBe(15 * 60_000)
    expect(windowLength('P1DT2H')).toBe(26 * 3600_000)
    expect(windowLength('today')).toBeUndefined()
    expect(freshnessBudget({ metric: 'sales.revenue', window: 'PT15M' })).toBe(90_000)
    expect(freshnessBudget({ metric: 'sales.revenue', window: 'PT5M' })).toBe(60_000)
    expect(freshnessBudget({ metric: 'sales.revenue', window: 'P30D' })).toBe(600_000)
    expect(freshnessBudget({ metric: 'sales.revenue', window: 'today' })).toBe(300_000)
    expect(freshnessBudget({ metric: 'stock.qty' })).toBe(300_000)
    expect(freshnessBudget({ metric: 'sales.revenue', window: 'yesterday' })).toBe(1_800_000)
  })
})

describe('chart pixel ratio on a scaled canvas', () => {
  test('device pixels × scale, the finer axis deciding, rounded and bounded', () => {
    expect(effectivePixelRatio(1, 2, 2)).toBe(2) // 1080 p design on a 4K TV
    expect(effectivePixelRatio(2, 1, 1)).toBe(2)
    expect(effectivePixelRatio(1, 0.5, 0.5)).toBe(0.5) // 4K design on a 1080 p display
    expect(effectivePixelRatio(1, 1024 / 1920, 768 / 1080)).toBe(0.71) // fill
    expect(effectivePixelRatio(3, 4, 4)).toBe(8)
    expect(effectivePixelRatio(0, 1, 1)).toBe(1)
  })
})

describe('grid layout', () => {
  test('cells fill the canvas below the title bar, proportions kept at 4K', () => {
    const screen = { design: { width: 1920, height: 1080 }, grid: { columns: 12, rows: 12 }, widgets: [{ id: 'a', widget: 'kpi-card', options: {}, x: 0, y: 0, w: 12, h: 12 }] }
    const [full] = gridBoxes(screen)
    expect(full).toMatchObject({ left: 24, top: 96, width: 1920 - 48, height: 1080 - 96 - 24 })
    const [big] = gridBoxes({ ...screen, design: { width: 3840, height: 2160 } })
    expect(big).toMatchObject({ left: 48, top: 192, width: 3840 - 96, height: 2160 - 192 - 48 })
  })
})

describe('chrome messages', () => {
  test('both languages, placeholders filled', () => {
    expect(message('zh-CN', 'staleSince', { time: '09:30:00' })).toBe('数据停更于 09:30:00')
    expect(message('en', 'staleSince', { time: '09:30:00' })).toBe('Data stale since 09:30:00')
    expect(message('en', 'updated', {})).toBe('Updated {time}')
  })
})
