/**
 * Conditional colours (阈值变色): an option listing thresholds → colours, as Grafana's
 * threshold steps do: from each value on, the figure takes that step's colour; below the lowest
 * step it keeps its own colour. KPI cards and gauges take it (docs/widgets.md). A step is one
 * string `value:#rrggbb` (`0.9:#2fd27a`), so the editor's form edits the list as lines of text.
 */
import Type from 'typebox'
import type { Static } from 'typebox'

/** `value:#rrggbb`: a number in the metric's unit (ratios: 0.9 = 90 %), a colon, a colour. */
export const THRESHOLD_STEP_PATTERN = '^-?[0-9]{1,15}(\\.[0-9]{1,6})?:#[0-9a-fA-F]{6}$'

export const ThresholdSteps = Type.Array(Type.String({ pattern: THRESHOLD_STEP_PATTERN, maxLength: 32 }), {
  maxItems: 8,
  description: '阈值变色: "value:#rrggbb" steps; from each value on the figure takes its colour, e.g. ["0:#ff5a5a", "0.9:#2fd27a"]',
})
export type ThresholdSteps = Static<typeof ThresholdSteps>

/** A step's value and colour, or undefined when it is not `value:#rrggbb`. */
export function parseStep(step: string): { value: number; color: string } | undefined {
  if (!new RegExp(THRESHOLD_STEP_PATTERN).test(step)) return undefined
  const at = step.indexOf(':')
  return { value: Number(step.slice(0, at)), color: step.slice(at + 1) }
}

/** The colour of `value`: the step with the largest value at or under it, or undefined (no step applies, or no value). */
export function thresholdColor(value: number | null | undefined, steps: ThresholdSteps | undefined): string | undefined {
  if (value === null || value === undefined || !steps || steps.length === 0) return undefined
  let best: { value: number; color: string } | undefined
  for (const raw of steps) {
    const s = parseStep(raw)
    if (s && value >= s.value && (best === undefined || s.value >= best.value)) best = s
  }
  return best?.color
}
