/**
 * Every widget, registered by one line each in MANIFESTS below: the only list of widgets. The server
 * validates screens with these manifests; the screen finds each widget's component in its folder
 * (widgets/registry.ts) and the editor reads its palette entry, size and labels from the manifest.
 */
import type { WidgetManifest } from './define-widget.ts'
import { cashFlow } from './cash-flow/manifest.ts'
import { creditAgeing } from './credit-ageing/manifest.ts'
import { gauge } from './gauge/manifest.ts'
import { kpiCard } from './kpi-card/manifest.ts'
import { marginByCategory } from './margin-by-category/manifest.ts'
import { movementTicker } from './movement-ticker/manifest.ts'
import { purchasePipeline } from './purchase-pipeline/manifest.ts'
import { rankingBar } from './ranking-bar/manifest.ts'
import { reorderList } from './reorder-list/manifest.ts'
import { shareDonut } from './share-donut/manifest.ts'
import { stockAlerts } from './stock-alerts/manifest.ts'
import { stockHeatmap } from './stock-heatmap/manifest.ts'
import { stockTurnover } from './stock-turnover/manifest.ts'
import { supplierScorecard } from './supplier-scorecard/manifest.ts'
import { titleClock } from './title-clock/manifest.ts'
import { transferFlow } from './transfer-flow/manifest.ts'
import { trendLine } from './trend-line/manifest.ts'
import { stockAgeing } from './stock-ageing/manifest.ts'
import { slowMoving } from './slow-moving/manifest.ts'
import { sourceStatus } from './source-status/manifest.ts'

export const MANIFESTS = {
  'kpi-card': kpiCard,
  'trend-line': trendLine,
  'ranking-bar': rankingBar,
  'stock-alerts': stockAlerts,
  'reorder-list': reorderList,
  'share-donut': shareDonut,
  gauge: gauge,
  'stock-heatmap': stockHeatmap,
  'cash-flow': cashFlow,
  'credit-ageing': creditAgeing,
  'purchase-pipeline': purchasePipeline,
  'supplier-scorecard': supplierScorecard,
  'transfer-flow': transferFlow,
  'margin-by-category': marginByCategory,
  'stock-turnover': stockTurnover,
  'movement-ticker': movementTicker,
  'title-clock': titleClock,
  'stock-ageing': stockAgeing,
  'slow-moving': slowMoving,
  'source-status': sourceStatus,
} as const satisfies { readonly [id: string]: WidgetManifest }

export type WidgetId = keyof typeof MANIFESTS

export function isWidgetId(id: string): id is WidgetId {
  return Object.hasOwn(MANIFESTS, id)
}

/**
 * A widget's manifest with its options seen as unknown: what code handling every widget alike
 * (validation, migration, queries of stored options) works with.
 */
export function manifestOf(id: WidgetId): WidgetManifest {
  return MANIFESTS[id]
}

/** Every widget id, in registration order (the palette's order within a group). */
export const WIDGET_IDS = Object.keys(MANIFESTS) as WidgetId[]
