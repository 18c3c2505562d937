/**
 * Widget titles fit their title bar: a narrow frame (a KPI card two columns wide) shrinks its
 * title's font instead of cutting the title to "今日下单…" or "Gross marg…".
 */

/** Title font of a widget frame, in CSS px (design pixels). */
export const TITLE_FONT = 21
/** Smallest title font before the title is ellipsised after all. */
export const TITLE_MIN_FONT = 14

/**
 * Font size at which a title `needed` px wide at `base` px fits in `available` px: text widths
 * scale with the font size except `fixed` px (letter spacing); rounded down to half a pixel,
 * never above `base` nor below `min`.
 */
export function fittedFontSize(base: number, needed: number, available: number, min: number, fixed = 0): number {
  if (!(needed > available)) return base
  const scale = (available - fixed) / Math.max(needed - fixed, 1)
  return Math.max(min, Math.min(base, Math.floor(base * scale * 2) / 2))
}
