/** Chart text widths from characters measured once (widgets/common/charts/measure.ts). */
import { describe, expect, test } from 'vitest'
import { createTextMeasure } from '../../widgets/common/charts/measure.ts'

function fakeContext() {
  const measured: string[] = []
  const ctx = {
    font: '',
    measureText(text: string) {
      measured.push(`${ctx.font}|${text}`)
      // a proportional font: CJK 2 units, digits 1, others 1.5; twice as wide in the bold font
      const unit = ctx.font.startsWith('bold') ? 2 : 1
      return { width: [...text].reduce((w, ch) => w + unit * (/[\u4e00-\u9fff]/.test(ch) ? 2 : /\d/.test(ch) ? 1 : 1.5), 0) } as TextMetrics
    },
  }
  return { ctx, measured }
}

describe('text measure', () => {
  test('a string is as wide as its characters; each character of a font is measured once', () => {
    const { ctx, measured } = fakeContext()
    const measure = createTextMeasure(() => ctx)
    expect(measure('¥12.35万')).toBe(1.5 + 1 + 1 + 1.5 + 1 + 1 + 2)
    expect(measure('¥21.53万')).toBe(9)
    expect(measure('¥12.35万', 'bold 16px serif')).toBe(18)
    // the second figure and the bold one needed no new character of the plain font
    expect(measured.filter((m) => m.startsWith('12px'))).toEqual([
      '12px sans-serif|¥',
      '12px sans-serif|1',
      '12px sans-serif|2',
      '12px sans-serif|.',
      '12px sans-serif|3',
      '12px sans-serif|5',
      '12px sans-serif|万',
    ])
    const before = measured.length
    for (let i = 0; i < 1000; i++) measure(`¥${(i / 7).toFixed(2)}万`)
    expect(measured.length - before).toBeLessThanOrEqual(10)
  })

  test('characters outside the basic plane count once; no canvas measures nothing', () => {
    const { ctx } = fakeContext()
    expect(createTextMeasure(() => ctx)('𠀋a')).toBe(3)
    expect(createTextMeasure(() => null)('anything')).toBe(0)
  })
})
