/**
 * What a tap on a member opens on the tablet: a category → its SKUs ranked by revenue in the
 * period; a warehouse → its stock alerts and what to reorder; any other member → its headline figures. Each view is a
 * few widget instances plus the filter that locks them to the member, rendered by WidgetHost.
 */
import { MOVEMENT_DIMENSIONS } from '../../protocol/metrics.ts'
import type { Query } from '../../protocol/query.ts'
import type { WidgetInstance } from '../../protocol/screen.ts'
import type { Locale, WidgetDrill } from '../../widgets/define-widget.ts'
import { DIMENSION_TITLES } from '../../widgets/common/i18n.ts'
import { message } from '../../widgets/common/messages.ts'

export interface DrillPanel {
  instance: WidgetInstance
  /** columns spanned of the tablet grid (capped by the columns there are) */
  span: number
  height: number
}

export interface DrillPlan {
  title: string
  filter: NonNullable<Query['filter']>
  panels: DrillPanel[]
}

/** the dimensions a member can be drilled into (all but transfer routes) */
const DRILL_DIMENSIONS: readonly WidgetDrill['dimension'][] = MOVEMENT_DIMENSIONS

const kpi = (id: string, metric: string, title: string): DrillPanel => ({
  instance: { id, widget: 'kpi-card', options: { metric, window: 'today', compare: true, title }, x: 0, y: 0, w: 1, h: 1 },
  span: 1,
  height: 150,
})

export function drillPlan(drill: WidgetDrill, locale: Locale): DrillPlan {
  // the member's name in the tablet's language (English when the drill carries one), else its code
  const name = (locale === 'en' ? drill.labelEn || drill.label : drill.label) || drill.key
  const title = `${DIMENSION_TITLES[drill.dimension][locale]} · ${name}`
  const filter = { [drill.dimension]: drill.key } as NonNullable<Query['filter']>
  const figures = [
    kpi('drill-revenue', 'sales.revenue', message(locale, 'drill.revenue')),
    kpi('drill-profit', 'sales.grossProfit', message(locale, 'drill.grossProfit')),
    kpi('drill-qty', 'sales.qty', message(locale, 'drill.qty')),
  ]
  if (drill.dimension === 'warehouse') {
    return {
      title,
      filter,
      panels: [
        {
          // the warehouse comes with the plan's filter
          instance: {
            id: 'drill-alerts',
            widget: 'stock-alerts',
            options: { limit: 100, scrollSeconds: 60, title: message(locale, 'drill.stockAlerts', { name }) },
            x: 0,
            y: 0,
            w: 1,
            h: 1,
          },
          span: 3,
          height: 560,
        },
        {
          // what to order for it before it runs short (projected stock at or below the reorder point)
          instance: {
            id: 'drill-reorder',
            widget: 'reorder-list',
            options: { limit: 100, scrollSeconds: 60, title: message(locale, 'drill.reorder', { name }) },
            x: 0,
            y: 0,
            w: 1,
            h: 1,
          },
          span: 3,
          height: 560,
        },
      ],
    }
  }
  if (drill.dimension === 'category') {
    return {
      title,
      filter,
      panels: [
        ...figures,
        {
          instance: {
            id: 'drill-skus',
            widget: 'ranking-bar',
            options: { metric: 'sales.revenue', groupBy: 'sku', top: 20, window: 'today', title: message(locale, 'drill.skusByRevenue', { name }) },
            x: 0,
            y: 0,
            w: 1,
            h: 1,
          },
          span: 3,
          height: 620,
        },
      ],
    }
  }
  return { title, filter, panels: figures }
}

/** Reads a drill from the route query (`?drill=category&key=baby&label=母婴&labelEn=Baby+%26+kids`). */
export function drillFromQuery(query: Record<string, unknown>): WidgetDrill | undefined {
  const dimension = query.drill
  const key = query.key
  if (typeof dimension !== 'string' || typeof key !== 'string' || !key || !(DRILL_DIMENSIONS as readonly string[]).includes(dimension)) return undefined
  const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined)
  const label = text(query.label)
  const labelEn = text(query.labelEn)
  return { dimension: dimension as WidgetDrill['dimension'], key, ...(label ? { label } : {}), ...(labelEn ? { labelEn } : {}) }
}

/** The route query of a drill: the inverse of drillFromQuery. */
export function drillQuery(drill: WidgetDrill): Record<string, string> {
  return { drill: drill.dimension, key: drill.key, ...(drill.label ? { label: drill.label } : {}), ...(drill.labelEn ? { labelEn: drill.labelEn } : {}) }
}
