import Type from 'typebox'
import { DIMENSIONS } from '../../protocol/metrics.ts'
import type { Dimension } from '../../protocol/metrics.ts'
import { WINDOW_PATTERN } from '../../protocol/query.ts'
import type { Query } from '../../protocol/query.ts'
import { defineWidget } from '../define-widget.ts'

/**
 * The `route` dimension of transfers (groups keyed `FROM→TO`). Until the server's catalogue has
 * it, the widget asks nothing and says that routes are not available, instead of sending a
 * query the server would refuse.
 */
export const ROUTE_DIMENSION: Dimension | undefined = DIMENSIONS.find((d): d is Dimension => (d as string) === 'route')

/** Separator of the two warehouse codes in a route key. */
export const ROUTE_SEPARATOR = '→'

/** Stock moved between warehouses over a period, as a sankey from source to destination warehouses. */
export const transferFlow = defineWidget({
  id: 'transfer-flow',
  version: 1,
  title: { 'zh-CN': '调拨流向', en: 'Transfer flow' },
  icon: '⇄',
  group: 'stock',
  size: { w: 4, h: 5, minW: 1, minH: 1 },
  options: Type.Object({
    window: Type.String({ pattern: WINDOW_PATTERN, description: 'period' }),
    /** the largest routes drawn */
    top: Type.Integer({ minimum: 3, maximum: 40, description: 'the largest routes drawn' }),
    title: Type.Optional(Type.String({ maxLength: 40 })),
  }),
  defaults: { window: 'today', top: 15 },
  labels: {},
  migrations: {},
  queries: (o): Record<string, Query> => (ROUTE_DIMENSION ? { routes: { metric: 'transfer.qty', window: o.window, groupBy: ROUTE_DIMENSION, top: o.top } } : {}),
})

export interface RouteLink {
  from: string
  to: string
  /** the warehouses' names (zh-CN), else their codes */
  fromLabel: string
  toLabel: string
  /** their English names, when the route's English label gives them */
  fromLabelEn?: string
  toLabelEn?: string
  value: number
}

/** `From name→To name` → the two names, when the label splits into two */
function splitRouteLabel(label: string | undefined): [string, string] | undefined {
  const parts = label?.split(ROUTE_SEPARATOR).map((p) => p.trim())
  return parts?.length === 2 && parts[0] && parts[1] ? [parts[0], parts[1]] : undefined
}

/**
 * Route groups → links. A key is `FROM→TO`; a label (and an English `labelEn`), when master data
 * gives one, is `From name→To name`. Keys that are not a route of two different warehouses, and
 * empty or negative totals, are left out (a sankey cannot draw them).
 */
export function routeLinks(groups: readonly { key: string; label?: string; labelEn?: string; total: number | null }[]): RouteLink[] {
  const out: RouteLink[] = []
  for (const g of groups) {
    const parts = g.key.split(ROUTE_SEPARATOR)
    if (parts.length !== 2 || !parts[0] || !parts[1] || parts[0] === parts[1]) continue
    if (g.total === null || !(g.total > 0)) continue
    const named = splitRouteLabel(g.label)
    const link: RouteLink = { from: parts[0], to: parts[1], fromLabel: named?.[0] ?? parts[0], toLabel: named?.[1] ?? parts[1], value: g.total }
    // an end without an English name repeats its name (or code) in labelEn: that is no English name
    const en = splitRouteLabel(g.labelEn)
    if (en && en[0] !== link.fromLabel) link.fromLabelEn = en[0]
    if (en && en[1] !== link.toLabel) link.toLabelEn = en[1]
    out.push(link)
  }
  return out
}
