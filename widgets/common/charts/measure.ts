/**
 * Text width as the sum of its characters' advances, each (font, character) measured once on a
 * canvas. A wall runs for weeks showing ever new figures; measuring each whole string makes the
 * browser cache the shaping of every one of them, while the characters of figures and labels are
 * a small, fixed set. Kerning between characters is ignored: for digits, currency signs, CJK and
 * the short Latin words of chart labels it changes widths by well under a pixel.
 */

export const DEFAULT_FONT = '12px sans-serif'
/** characters remembered over all fonts before the memory starts over */
const MAX_ENTRIES = 20_000

export type TextMeasure = (text: string, font?: string) => number

type MeasuringContext = Pick<CanvasRenderingContext2D, 'font' | 'measureText'>

export function createTextMeasure(context: () => MeasuringContext | null): TextMeasure {
  let ctx: MeasuringContext | null | undefined
  let currentFont = ''
  let entries = 0
  const fonts = new Map<string, Map<string, number>>()

  function charWidth(widths: Map<string, number>, font: string, ch: string): number {
    let w = widths.get(ch)
    if (w === undefined) {
      if (ctx === undefined) ctx = context()
      if (!ctx) return 0
      if (currentFont !== font) ctx.font = currentFont = font
      w = ctx.measureText(ch).width
      widths.set(ch, w)
      entries++
    }
    return w
  }

  return (text, font = DEFAULT_FONT) => {
    if (entries > MAX_ENTRIES) {
      fonts.clear()
      entries = 0
    }
    let widths = fonts.get(font)
    if (!widths) fonts.set(font, (widths = new Map()))
    let width = 0
    for (const ch of text) width += charWidth(widths, font, ch)
    return width
  }
}
