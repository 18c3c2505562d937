/**
 * How a chart shows the member a linked filter picked on the dimension it groups by (docs/views.md
 * "Linked widgets"): that member at full strength, the others dimmed, so the chart keeps every
 * group (a second click on the picked one clears the filter).
 */
import type { WidgetDrill, WidgetProps } from '../define-widget.ts'

/** Opacity of members not picked while another one is. */
export const UNPICKED_OPACITY = 0.3

/** The item style a member takes: `{}` with nothing picked on `dimension`, else its opacity. */
export function pickedStyle(selected: WidgetProps<unknown>['selected'], dimension: WidgetDrill['dimension'] | 'route', key: string): { opacity?: number } {
  const picked = dimension === 'route' ? undefined : selected?.[dimension]
  if (picked === undefined) return {}
  return { opacity: picked === key ? 1 : UNPICKED_OPACITY }
}
