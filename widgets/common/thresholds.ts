/**
 * Conditional colours (阈值变色): an option listing thresholds → colours, as Grafana's
 * threshold steps do: from each `value` on, the figure takes that step's `color`; below the
 * lowest step it keeps its own colour. KPI cards and gauges take it (docs/widgets.md).
 */
import Type from 'typebox'
import type { Static } from 'typebox'

/** `#rrggbb`: a colour the editor's form and every renderer read the same way. */
export const HEX_COLOR_PATTERN = '^#[0-9a-fA-F]{6}$'

export const ThresholdSteps = Type.Array(
  Type.Object(
    {
      value: Type.Number({ minimum: -1e15, maximum: 1e15, description: "from this value on (in the metric's unit; ratios: 0.9 = 90 %)" }),
      color: Type.String({ pattern: HEX_COLOR_PATTERN, description: 'colour, #rrggbb' }),
    },
    { additionalProperties: false },
  ),
  { maxItems: 8, description: '阈值变色: from each value on, the figure takes its colour, e.g. [{"value":0,"color":"#ff5a5a"},{"value":0.9,"color":"#2fd27a"}]' },
)
export type ThresholdSteps = Static<typeof ThresholdSteps>

/** The colour of `value`: the step with the largest `value` at or under it, or undefined (no step applies, or no value). */
export function thresholdColor(value: number | null | undefined, steps: ThresholdSteps | undefined): string | undefined {
  if (value === null || value === undefined || !steps || steps.length === 0) return undefined
  let best: ThresholdSteps[number] | undefined
  for (const s of steps) if (value >= s.value && (best === undefined || s.value >= best.value)) best = s
  return best?.color
}
