import { describe, expect, test } from 'vitest'
import { change, clockTime, compact, formatChange, formatValue } from '../../screen/format.ts'

describe('wall number formatting', () => {
  test('Chinese magnitudes: 万 and 亿', () => {
    expect(formatValue(1234.5, 'money', 'CNY', 'zh-CN')).toBe('¥1,234.50')
    expect(formatValue(12_345_678, 'money', 'CNY', 'zh-CN')).toBe('¥1,234.6万')
    expect(formatValue(697_000_000, 'money', 'CNY', 'zh-CN')).toBe('¥6.97亿')
    expect(formatValue(-52_000, 'money', 'CNY', 'zh-CN')).toBe('-¥5.20万')
  })

  test('English magnitudes: K, M, B', () => {
    expect(formatValue(12_345, 'money', 'USD', 'en')).toBe('$12.35K')
    expect(formatValue(3_400_000, 'qty', 'USD', 'en')).toBe('3.40M')
    expect(compact(2.5e9, 'en')).toEqual({ figure: '2.50', suffix: 'B' })
  })

  test('ratios, days, missing values', () => {
    expect(formatValue(0.4519, 'ratio', 'CNY', 'zh-CN')).toBe('45.2%')
    expect(formatValue(8.5, 'days', 'CNY', 'zh-CN')).toBe('8.5 天')
    expect(formatValue(null, 'ratio', 'CNY', 'zh-CN')).toBe('—')
  })

  test('change against the previous period', () => {
    expect(change(110, 100)).toBeCloseTo(0.1)
    expect(change(5, 0)).toBeUndefined()
    expect(formatChange(0.0312, 'zh-CN')).toBe('▲ 3.1%')
    expect(formatChange(-0.5, 'zh-CN')).toBe('▼ 50%')
    expect(formatChange(undefined, 'zh-CN')).toBe('—')
  })

  test('the clock shows the business time zone, not the browser one', () => {
    expect(clockTime(Date.parse('2026-11-25T05:45:51Z'), 'Asia/Shanghai')).toBe('13:45:51')
    expect(clockTime(Date.parse('2026-11-25T05:45:51Z'), 'Europe/Berlin')).toBe('06:45:51')
  })
})
