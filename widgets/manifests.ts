/** Every widget's manifest by id: what the server needs to validate screens (no components). */
import { kpiCard } from './kpi-card/manifest.ts'
import { rankingBar } from './ranking-bar/manifest.ts'
import { stockAlerts } from './stock-alerts/manifest.ts'
import { trendLine } from './trend-line/manifest.ts'

export const MANIFESTS = {
  'kpi-card': kpiCard,
  'trend-line': trendLine,
  'ranking-bar': rankingBar,
  'stock-alerts': stockAlerts,
} as const

export type WidgetId = keyof typeof MANIFESTS

export function isWidgetId(id: string): id is WidgetId {
  return Object.hasOwn(MANIFESTS, id)
}
