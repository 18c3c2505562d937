/** Widget id → manifest and component loader. Adding a widget: its folder and one line here. */
import type { Component } from 'vue'
import { MANIFESTS } from './manifests.ts'
import type { WidgetId } from './manifests.ts'

export const COMPONENTS: Record<WidgetId, () => Promise<{ default: Component }>> = {
  'kpi-card': () => import('./kpi-card/KpiCard.vue'),
  'trend-line': () => import('./trend-line/TrendLine.vue'),
  'ranking-bar': () => import('./ranking-bar/RankingBar.vue'),
  'stock-alerts': () => import('./stock-alerts/StockAlerts.vue'),
}

export { MANIFESTS }
export type { WidgetId }
