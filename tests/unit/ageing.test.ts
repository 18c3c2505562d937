/** The business-day arithmetic, layer codec, buckets and value split behind stock ageing (server/aggregate/ageing.ts). */
import { describe, expect, test } from 'vitest'
import { AGE_BUCKETS, allocateValue, bucketOf, parseLayers } from '../../server/aggregate/ageing.ts'
import { businessDay, dayDate } from '../../server/domain/time.ts'
import { createCalendar } from '../../server/domain/time.ts'

describe('business days', () => {
  const cal = createCalendar('Asia/Shanghai')
  test('the local date in the business zone: 23:59:59+08:00 and 16:00:00Z are on different days', () => {
    const late = businessDay(cal, Date.parse('2026-03-02T23:59:59+08:00'))
    expect(dayDate(late)).toBe('2026-03-02')
    expect(businessDay(cal, Date.parse('2026-03-02T16:00:00Z'))).toBe(late + 1)
    expect(businessDay(cal, Date.parse('1970-01-01T00:00:00+08:00'))).toBe(0)
  })
  test('a zone with daylight saving still counts whole days', () => {
    const ny = createCalendar('America/New_York')
    expect(businessDay(ny, Date.parse('2026-03-09T00:30:00-04:00')) - businessDay(ny, Date.parse('2026-03-07T23:30:00-05:00'))).toBe(2)
  })
})

describe('age buckets (ERPNext get_range_age: the first range with age ≤ range)', () => {
  test.each([
    [0, '0-30'],
    [30, '0-30'],
    [31, '31-60'],
    [60, '31-60'],
    [90, '61-90'],
    [91, '91-180'],
    [180, '91-180'],
    [181, '181+'],
    [5000, '181+'],
    [-3, '0-30'],
  ])('%i days → %s', (age, bucket) => expect(AGE_BUCKETS[bucketOf(age)]).toBe(bucket))
})

describe('splitting a value over buckets', () => {
  test('floors, then the steps left to the largest remainders: the parts add up exactly', () => {
    expect(allocateValue(41_171n, [2n, 30n, 0n, 3n, 0n], 1n)).toEqual([2_353n, 35_289n, 0n, 3_529n, 0n])
  })
  test('ties go to the older bucket; a negative value splits as its magnitude does', () => {
    expect(allocateValue(1n, [1n, 1n], 1n)).toEqual([0n, 1n])
    expect(allocateValue(-10n, [1n, 2n], 1n)).toEqual([-3n, -7n])
  })
  test('in money steps (cents of 100 money units); nothing on hand gets nothing', () => {
    expect(allocateValue(1_000n, [1n, 1n, 1n], 100n)).toEqual([300n, 300n, 400n])
    expect(allocateValue(500n, [0n, 0n], 100n)).toEqual([0n, 0n])
  })
})

describe('the stored layer text', () => {
  test('deficit | layers oldest first | outbound days', () => {
    expect(parseLayers('0|20500:5000,20510:1000|20505:2')).toEqual({
      deficit: 0n,
      layers: [
        [20_500, 5000n],
        [20_510, 1000n],
      ],
      outDays: [[20_505, 2]],
    })
    expect(parseLayers('7000||')).toEqual({ deficit: 7000n, layers: [], outDays: [] })
    expect(parseLayers('0|1:123456789012345678901234|').layers[0]![1]).toBe(123456789012345678901234n)
  })
})
