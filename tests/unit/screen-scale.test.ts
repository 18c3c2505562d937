import { describe, expect, test } from 'vitest'
import { computeScale } from '../../screen/composables/scale.ts'

const design = { width: 1920, height: 1080 }

describe('fitting the design canvas to a screen', () => {
  test('16:9 screens scale uniformly without bars', () => {
    expect(computeScale({ width: 3840, height: 2160 }, design)).toEqual({ scaleX: 2, scaleY: 2, left: 0, top: 0 })
    expect(computeScale({ width: 1920, height: 1080 }, design)).toEqual({ scaleX: 1, scaleY: 1, left: 0, top: 0 })
  })

  test('a 4:3 screen letterboxes top and bottom: nothing is cut', () => {
    const t = computeScale({ width: 1024, height: 768 }, design, 'fit')
    expect(t.scaleX).toBeCloseTo(1024 / 1920)
    expect(t.scaleY).toBe(t.scaleX)
    expect(t.left).toBe(0)
    expect(t.top).toBeCloseTo((768 - 1080 * t.scaleY) / 2)
    expect(1080 * t.scaleY + 2 * t.top).toBeCloseTo(768)
  })

  test('an ultra-wide screen letterboxes left and right', () => {
    const t = computeScale({ width: 5760, height: 1080 }, design, 'fit')
    expect(t).toEqual({ scaleX: 1, scaleY: 1, left: (5760 - 1920) / 2, top: 0 })
  })

  test('fill stretches, fit-width follows the width', () => {
    expect(computeScale({ width: 1024, height: 768 }, design, 'fill')).toMatchObject({ scaleX: 1024 / 1920, scaleY: 768 / 1080 })
    expect(computeScale({ width: 960, height: 2000 }, design, 'fitWidth')).toEqual({ scaleX: 0.5, scaleY: 0.5, left: 0, top: 0 })
  })
})
