/** Widget id → manifest and component loader. Adding a widget: its folder and one line here. */
import type { Component } from 'vue'
import { MANIFESTS } from './manifests.ts'
import type { WidgetId } from './manifests.ts'

export const COMPONENTS: Record<WidgetId, () => Promise<{ default: Component }>> = {
  'kpi-card': () => import('./kpi-card/KpiCard.vue'),
  'trend-line': () => import('./trend-line/TrendLine.vue'),
  'ranking-bar': () => import('./ranking-bar/RankingBar.vue'),
  'stock-alerts': () => import('./stock-alerts/StockAlerts.vue'),
  'share-donut': () => import('./share-donut/ShareDonut.vue'),
  gauge: () => import('./gauge/Gauge.vue'),
  'stock-heatmap': () => import('./stock-heatmap/StockHeatmap.vue'),
  'cash-flow': () => import('./cash-flow/CashFlow.vue'),
  'purchase-pipeline': () => import('./purchase-pipeline/PurchasePipeline.vue'),
  'supplier-scorecard': () => import('./supplier-scorecard/SupplierScorecard.vue'),
  'transfer-flow': () => import('./transfer-flow/TransferFlow.vue'),
  'margin-by-category': () => import('./margin-by-category/MarginByCategory.vue'),
  'stock-turnover': () => import('./stock-turnover/StockTurnover.vue'),
  'movement-ticker': () => import('./movement-ticker/MovementTicker.vue'),
  'title-clock': () => import('./title-clock/TitleClock.vue'),
}

export { MANIFESTS }
export type { WidgetId }
