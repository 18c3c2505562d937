import { describe, expect, test } from 'vitest'
import { DEFAULT_MONEY, divRoundBig, lineMoney, moneyOut, roundMoney, toScaled } from '../../server/domain/money.ts'

const HALF_EVEN = { decimals: 2, rounding: 'half-even' } as const

describe('exact money', () => {
  test('decimal inputs scale to exact integers, extra decimals are refused', () => {
    expect(toScaled(19.99, 1e6)).toBe(19_990_000)
    expect(toScaled(0.1 + 0.2, 1e4)).toBe(3000)
    expect(toScaled(2.5, 1e3)).toBe(2500)
    expect(toScaled(0.0005, 1e3)).toBeUndefined()
    expect(toScaled(123456789.123, 1e3)).toBe(123456789123)
  })

  test('a line rounds once to the cent, half away from zero by default', () => {
    // 3 × 0.333 = 0.999 → 1.00, as an ERP's line: 1,000 such lines are 1,000.00, not 999.00
    expect(lineMoney(3000, 333_000, DEFAULT_MONEY)).toBe(10_000)
    expect(lineMoney(1000, 125_000, DEFAULT_MONEY)).toBe(1300) // 0.125 → 0.13
    expect(lineMoney(1000, 5000, DEFAULT_MONEY)).toBe(100) // 0.005 → 0.01
    expect(lineMoney(5000, 10_010_000, DEFAULT_MONEY)).toBe(500_500) // 5 × 10.01 = 50.05
  })

  test("banker's rounding and other minor units when configured", () => {
    expect(lineMoney(1000, 125_000, HALF_EVEN)).toBe(1200) // 0.125 → 0.12
    expect(lineMoney(1000, 135_000, HALF_EVEN)).toBe(1400) // 0.135 → 0.14
    expect(lineMoney(1000, 1_500_000, { decimals: 0, rounding: 'half-away' })).toBe(20_000) // ¥1.5 → ¥2
    expect(lineMoney(1000, 1_234_567, { decimals: 4, rounding: 'half-away' })).toBe(12_346)
    expect(roundMoney(-12_350, DEFAULT_MONEY)).toBe(-12_400)
    expect(divRoundBig(-5n, 2n, 'half-even')).toBe(-2n)
  })

  test('the largest line is exact: 9,015,959.01 reads 9,015,959.01', () => {
    expect(moneyOut(lineMoney(1000, 9_015_959_010_000, DEFAULT_MONEY))).toBe(9_015_959.01)
    // 1e9 × 100 = 1e11, the largest line the API accepts
    expect(lineMoney(1e12, 100e6, DEFAULT_MONEY)).toBe(1e15)
  })

  test('10^6 additions of 0.01 are exactly 10,000.00', () => {
    let units = 0
    const cent = toScaled(0.01, 1e4)!
    for (let i = 0; i < 1_000_000; i++) units += cent
    expect(moneyOut(units)).toBe(10_000)
    let float = 0
    for (let i = 0; i < 1_000_000; i++) float += 0.01
    expect(float).not.toBe(10_000) // what we avoid
  })

  test('figures leave as decimals of the currency at the cent, exact past the safe integer range', () => {
    expect(moneyOut(123_400)).toBe(12.34)
    // an ERP's own 4-decimal line shows at the cent, half away from zero
    expect(moneyOut(-123_450)).toBe(-12.35)
    // past 2^53 the integer part stays exact; the fraction is as close as a double gets
    expect(moneyOut('92233720368547758')).toBe(9_223_372_036_854.78)
  })
})
