/** Every widget's manifest by id: what the server needs to validate screens (no components). */
import { cashFlow } from './cash-flow/manifest.ts'
import { gauge } from './gauge/manifest.ts'
import { kpiCard } from './kpi-card/manifest.ts'
import { marginByCategory } from './margin-by-category/manifest.ts'
import { movementTicker } from './movement-ticker/manifest.ts'
import { purchasePipeline } from './purchase-pipeline/manifest.ts'
import { rankingBar } from './ranking-bar/manifest.ts'
import { shareDonut } from './share-donut/manifest.ts'
import { stockAlerts } from './stock-alerts/manifest.ts'
import { stockHeatmap } from './stock-heatmap/manifest.ts'
import { stockTurnover } from './stock-turnover/manifest.ts'
import { supplierScorecard } from './supplier-scorecard/manifest.ts'
import { titleClock } from './title-clock/manifest.ts'
import { transferFlow } from './transfer-flow/manifest.ts'
import { trendLine } from './trend-line/manifest.ts'

export const MANIFESTS = {
  'kpi-card': kpiCard,
  'trend-line': trendLine,
  'ranking-bar': rankingBar,
  'stock-alerts': stockAlerts,
  'share-donut': shareDonut,
  gauge: gauge,
  'stock-heatmap': stockHeatmap,
  'cash-flow': cashFlow,
  'purchase-pipeline': purchasePipeline,
  'supplier-scorecard': supplierScorecard,
  'transfer-flow': transferFlow,
  'margin-by-category': marginByCategory,
  'stock-turnover': stockTurnover,
  'movement-ticker': movementTicker,
  'title-clock': titleClock,
} as const

export type WidgetId = keyof typeof MANIFESTS

export function isWidgetId(id: string): id is WidgetId {
  return Object.hasOwn(MANIFESTS, id)
}
