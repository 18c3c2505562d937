import { describe, expect, test } from 'vitest'
import { bucketLabel, change, clockMinute, clockTime, compact, formatAxis, formatChange, formatDelta, formatPoints, formatValue, longDate } from '../../widgets/common/format.ts'

describe('wall number formatting', () => {
  test('Chinese magnitudes: 万 and 亿', () => {
    expect(formatValue(1234.5, 'money', 'CNY', 'zh-CN')).toBe('¥1,234.50')
    expect(formatValue(12_345_678, 'money', 'CNY', 'zh-CN')).toBe('¥1,234.6万')
    expect(formatValue(697_000_000, 'money', 'CNY', 'zh-CN')).toBe('¥6.97亿')
    expect(formatValue(-52_000, 'money', 'CNY', 'zh-CN')).toBe('-¥5.20万')
    expect(formatValue(12_000, 'qty', 'CNY', 'zh-CN')).toBe('1.20万')
  })

  test('English magnitudes: K, M, B', () => {
    expect(formatValue(12_345, 'money', 'USD', 'en')).toBe('$12.35K')
    expect(formatValue(3_400_000, 'qty', 'USD', 'en')).toBe('3.40M')
    expect(compact(2.5e9, 'en')).toEqual({ figure: '2.50', suffix: 'B' })
    expect(formatValue(-7_250_000, 'money', 'EUR', 'en')).toBe('-€7.25M')
  })

  test('a figure that rounds up moves to the next magnitude', () => {
    expect(formatValue(99_999_999, 'money', 'CNY', 'zh-CN')).toBe('¥1.00亿')
    expect(formatValue(9_999.996, 'money', 'CNY', 'zh-CN')).toBe('¥1.00万')
    expect(formatValue(999_999, 'qty', 'CNY', 'en')).toBe('1.00M')
    expect(formatValue(-999_999, 'qty', 'CNY', 'en')).toBe('-1.00M')
  })

  test('currency comes from the result; unknown codes are written out', () => {
    expect(formatValue(10, 'money', 'HKD', 'zh-CN')).toBe('HK$10')
    expect(formatValue(10, 'money', 'CHF', 'en')).toBe('CHF 10')
  })

  test('small figures: money keeps cents, quantities drop trailing zeros, counts are whole', () => {
    expect(formatValue(3.5, 'money', 'CNY', 'en')).toBe('¥3.50')
    expect(formatValue(3.5, 'qty', 'CNY', 'en')).toBe('3.5')
    expect(formatValue(42, 'count', 'CNY', 'zh-CN')).toBe('42')
    expect(formatValue(123_456, 'count', 'CNY', 'en')).toBe('123.5K')
    expect(formatValue(0, 'money', 'CNY', 'zh-CN')).toBe('¥0')
    expect(formatValue(-0.001, 'qty', 'CNY', 'zh-CN')).toBe('0')
  })

  test('ratios, days, times, missing values', () => {
    expect(formatValue(0.4519, 'ratio', 'CNY', 'zh-CN')).toBe('45.2%')
    expect(formatValue(-0.05, 'ratio', 'CNY', 'en')).toBe('-5.0%')
    expect(formatValue(1, 'ratio', 'CNY', 'en')).toBe('100.0%')
    expect(formatValue(8.5, 'days', 'CNY', 'zh-CN')).toBe('8.5 天')
    expect(formatValue(8.5, 'days', 'CNY', 'en')).toBe('8.5 days')
    expect(formatValue(1, 'days', 'CNY', 'en')).toBe('1 day')
    expect(formatValue(4.25, 'times', 'CNY', 'zh-CN')).toBe('4.3 次')
    expect(formatValue(4.25, 'times', 'CNY', 'en')).toBe('4.3×')
    expect(formatValue(null, 'ratio', 'CNY', 'zh-CN')).toBe('—')
    expect(formatValue(undefined, 'money', 'CNY', 'en')).toBe('—')
    expect(formatValue(Number.NaN, 'money', 'CNY', 'en')).toBe('—')
    expect(formatValue(Infinity, 'qty', 'CNY', 'en')).toBe('—')
  })

  test('axis labels are short: one decimal at most, no trailing zeros', () => {
    expect(formatAxis(120_000, 'money', 'CNY', 'zh-CN')).toBe('¥12万')
    expect(formatAxis(125_000, 'money', 'CNY', 'zh-CN')).toBe('¥12.5万')
    expect(formatAxis(-30_000, 'money', 'CNY', 'zh-CN')).toBe('-¥3万')
    expect(formatAxis(2_000_000, 'qty', 'CNY', 'en')).toBe('2M')
    expect(formatAxis(999_999, 'qty', 'CNY', 'en')).toBe('1M')
    expect(formatAxis(0.85, 'ratio', 'CNY', 'en')).toBe('85%')
    expect(formatAxis(0.125, 'ratio', 'CNY', 'en')).toBe('12.5%')
    expect(formatAxis(15, 'days', 'CNY', 'zh-CN')).toBe('15天')
    expect(formatAxis(3, 'times', 'CNY', 'en')).toBe('3×')
    expect(formatAxis(0, 'money', 'USD', 'en')).toBe('$0')
  })

  test('deltas carry their sign; ratio deltas are percentage points', () => {
    expect(formatDelta(12_000, 'money', 'CNY', 'zh-CN')).toBe('+¥1.20万')
    expect(formatDelta(-350, 'qty', 'CNY', 'en')).toBe('-350')
    expect(formatDelta(0.021, 'ratio', 'CNY', 'en')).toBe('▲ 2.1pp')
    expect(formatDelta(null, 'money', 'CNY', 'en')).toBe('—')
  })

  test('change against the previous period', () => {
    expect(change(110, 100)).toBeCloseTo(0.1)
    expect(change(-50, -100)).toBeCloseTo(0.5)
    expect(change(5, 0)).toBeUndefined()
    expect(change(null, 3)).toBeUndefined()
    expect(formatChange(0.0312, 'zh-CN')).toBe('▲ 3.1%')
    expect(formatChange(-0.5, 'zh-CN')).toBe('▼ 50%')
    expect(formatChange(2.345, 'en')).toBe('▲ 235%')
    expect(formatChange(0.0001, 'en')).toBe('flat')
    expect(formatChange(0.0001, 'zh-CN')).toBe('持平')
    expect(formatChange(undefined, 'zh-CN')).toBe('—')
    expect(formatPoints(-0.021, 'zh-CN')).toBe('▼ 2.1个百分点')
    expect(formatPoints(0.0001, 'en')).toBe('flat')
  })

  test('the clock shows the business time zone, not the browser one', () => {
    expect(clockTime(Date.parse('2026-11-25T05:45:51Z'), 'Asia/Shanghai')).toBe('13:45:51')
    expect(clockTime(Date.parse('2026-11-25T05:45:51Z'), 'Europe/Berlin')).toBe('06:45:51')
    expect(clockMinute(Date.parse('2026-11-25T16:05:51Z'), 'Asia/Shanghai')).toBe('00:05')
    expect(longDate(Date.parse('2026-11-25T16:05:51Z'), 'Asia/Shanghai', 'zh-CN')).toBe('2026年11月26日星期四')
    expect(longDate(Date.parse('2026-11-25T16:05:51Z'), 'Asia/Shanghai', 'en')).toBe('Thursday, 26 November 2026')
  })

  test('bucket labels read the wall clock of the business zone', () => {
    expect(bucketLabel('2026-11-25T13:00:00+08:00', 'hour', 'en')).toBe('13:00')
    expect(bucketLabel('2026-11-25T13:05:00+08:00', 'minute', 'zh-CN')).toBe('13:05')
    expect(bucketLabel('2026-11-05T00:00:00+08:00', 'day', 'zh-CN')).toBe('11/5')
    expect(bucketLabel('2026-11-05T00:00:00+08:00', 'day', 'en')).toBe('5 Nov')
    expect(bucketLabel('2026-11-01T00:00:00+08:00', 'month', 'zh-CN')).toBe('2026年11月')
    expect(bucketLabel('2026-11-01T00:00:00+08:00', 'month', 'en')).toBe('Nov 2026')
  })
})
