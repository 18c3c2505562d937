import { describe, expect, test } from 'vitest'
import { fittedFontSize } from '../../screen/composables/titleFit.ts'

describe('widget title fitting', () => {
  test('a title that fits keeps the frame font', () => {
    expect(fittedFontSize(21, 120, 132, 14)).toBe(21)
    expect(fittedFontSize(21, 132, 132, 14)).toBe(21)
  })
  test('a title too wide gets the largest half-pixel font that fits, letter spacing kept', () => {
    // 6 CJK characters at 21 px with 1 px spacing: 132 px, 110 px available
    const size = fittedFontSize(21, 132, 110, 14, 6)
    expect(size).toBe(17)
    expect(6 * size + 6).toBeLessThanOrEqual(110)
  })
  test('never below the minimum: what still does not fit is ellipsised', () => {
    expect(fittedFontSize(21, 400, 100, 14)).toBe(14)
  })
})
