/** Layout estimates for text a widget places before the chart measures it. */

/** Width of `text` in ems: CJK and full-width characters one em, others about 0.62 (a conservative sans-serif average). */
export function textEms(text: string): number {
  let w = 0
  for (const ch of text) w += /[\u2e80-\u9fff\uff00-\uffef]/.test(ch) ? 1 : 0.62
  return w
}

/** Width of `text` in px at a font size. */
export function textWidth(text: string, font: number): number {
  return textEms(text) * font
}
