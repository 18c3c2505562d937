import { describe, expect, test } from 'vitest'
import { lineAmount, moneyOut, toScaled } from '../../server/domain/money.ts'

describe('exact money', () => {
  test('decimal inputs scale to exact integers, extra decimals are refused', () => {
    expect(toScaled(19.99, 1e6)).toBe(19_990_000)
    expect(toScaled(0.1 + 0.2, 1e4)).toBe(3000)
    expect(toScaled(2.5, 1e3)).toBe(2500)
    expect(toScaled(0.0005, 1e3)).toBeUndefined()
    expect(toScaled(123456789.123, 1e3)).toBe(123456789123)
  })

  test('line amounts round half away from zero at 1e-4', () => {
    // 3 × 0.33333 = 0.99999 → 9999.9 units → 10000
    expect(lineAmount(3000, 333_330)).toBe(10_000)
    expect(lineAmount(1000, 50)).toBe(1) // 0.00005 → 0.5 unit → 1
    expect(lineAmount(5000, 10_010_000)).toBe(500_500) // 5 × 10.01 = 50.05
  })

  test('large products stay exact (BigInt path)', () => {
    // 1e6 units × 1e6 per unit = 1e12 currency
    expect(lineAmount(1e9, 1e12)).toBe(1e16)
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

  test('display rounds to the cent', () => {
    expect(moneyOut(123_456)).toBe(12.35)
    expect(moneyOut(-123_450)).toBe(-12.35)
  })
})
