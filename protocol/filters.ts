/**
 * Which filters a query can take (protocol v1): the dimensions each metric can be filtered by and
 * how several of them combine, as the query engine answers them (server/query/shared.ts `filterPlan`
 * for figures kept in counters, level.ts, pair-rows.ts, ageing.ts, order-lines.ts, credit.ts,
 * recent.ts for the rest). A screen uses it to tell, before asking, whether a widget's query can
 * follow a linked filter (docs/views.md "Linked widgets"); tests/integration/filter-rules.test.ts
 * checks it against the server for every metric, dimension, grouping and interval.
 */
import { MOVEMENT_DIMENSIONS } from './metrics.ts'
import type { Dimension, Interval, MetricName, MovementDimension } from './metrics.ts'
import type { Query } from './query.ts'

export interface FilterRule {
  /** the dimensions the metric can be filtered by */
  readonly dims: readonly MovementDimension[]
  /**
   * `one`: figures kept per dimension in counters — one filtered dimension per query, and with
   * `groupBy` only the grouped one. `any`: figures summed from sku × warehouse pairs or rows —
   * any of `dims` together, grouped by any of them.
   */
  readonly combine: 'one' | 'any'
  /** with `combine: 'one'`: grouped by SKU it may be filtered by category (a category's SKUs) */
  readonly skusOfCategory?: boolean
  /** dimensions it can be filtered by only when grouped by the same one (the filter picks groups) */
  readonly groupedOnly?: readonly MovementDimension[]
}

const ALL: readonly MovementDimension[] = MOVEMENT_DIMENSIONS
const NO_PARTNER: readonly MovementDimension[] = ['sku', 'category', 'warehouse', 'region', 'channel']
const NO_SKU: readonly MovementDimension[] = ['category', 'warehouse', 'partner', 'region', 'channel']
const STOCK: readonly MovementDimension[] = ['sku', 'category', 'warehouse', 'region']
const LINES: readonly MovementDimension[] = ['sku', 'category', 'warehouse', 'partner']
const PARTNER: readonly MovementDimension[] = ['partner']

const counters = (dims: readonly MovementDimension[]): FilterRule => ({ dims, combine: 'one', skusOfCategory: dims.includes('sku') })
/** stock over a period (closing stock, turnover, days on hand): by SKU it cannot be narrowed to a category */
const stockPeriod: FilterRule = { dims: STOCK, combine: 'one' }
const pairs = (dims: readonly MovementDimension[]): FilterRule => ({ dims, combine: 'any' })

export const FILTER_RULES = {
  'sales.orderAmount': counters(ALL),
  'sales.orders': counters(NO_SKU),
  'sales.revenue': counters(ALL),
  'sales.qty': counters(NO_PARTNER),
  'sales.cogs': counters(ALL),
  'sales.grossProfit': counters(ALL),
  'sales.grossMargin': counters(ALL),
  'sales.returns': counters(ALL),
  'sales.returnQty': counters(NO_PARTNER),
  'sales.orderQty': counters(NO_PARTNER),
  'purchase.orderAmount': counters(ALL),
  'purchase.orderQty': counters(ALL),
  'purchase.receiptAmount': counters(ALL),
  'purchase.receiptQty': counters(ALL),
  'purchase.returnAmount': counters(ALL),
  'purchase.returnQty': counters(ALL),
  'purchase.returnRate': counters(ALL),
  // backlogs by two dimensions need every open line kept by pair (server/query/level.ts): one at a time is always answered
  'purchase.backlogQty': { dims: LINES, combine: 'one' },
  'sales.backlogQty': { dims: LINES, combine: 'one' },
  'stock.qty': pairs(STOCK),
  'stock.value': pairs(STOCK),
  'stock.belowSafety': pairs(STOCK),
  'stock.reorder': pairs(STOCK),
  'movements.recent': pairs(ALL),
  'stock.stockoutRate': pairs(STOCK),
  'stock.closingQty': stockPeriod,
  'stock.closingValue': stockPeriod,
  'stock.turnover': stockPeriod,
  'stock.daysOnHand': stockPeriod,
  'stock.accuracy': counters(STOCK),
  'stock.valueAccuracy': counters(STOCK),
  'stock.countedLines': counters(STOCK),
  'stock.gainQty': counters(STOCK),
  'stock.lossQty': counters(STOCK),
  'stock.gainValue': counters(STOCK),
  'stock.lossValue': counters(STOCK),
  'stock.revaluation': counters(STOCK),
  'transfer.qty': counters(STOCK),
  'cash.in': counters(['partner', 'region', 'channel']),
  'cash.out': counters(['partner', 'region', 'channel']),
  'cash.net': counters(['partner', 'region', 'channel']),
  'fulfilment.onTimeRate': counters(NO_SKU),
  'fulfilment.shipmentsDue': counters(NO_SKU),
  'supplier.onTimeRate': counters(NO_SKU),
  'receivables.balance': counters(PARTNER),
  'receivables.ageing': counters(PARTNER),
  'receivables.dso': counters(PARTNER),
  'payables.balance': counters(PARTNER),
  'payables.ageing': counters(PARTNER),
  'payables.dpo': counters(PARTNER),
  'sales.returnRate': counters(NO_PARTNER),
  'purchase.avgPrice': counters(ALL),
  'supplier.leadTimeDays': counters(LINES),
  'fulfilment.otif': counters(LINES),
  'supplier.otif': counters(LINES),
  // kept by partner too, but summed by pair: a partner filter only picks partner groups
  'sales.openOrderValue': { ...pairs(['sku', 'category', 'warehouse']), groupedOnly: ['partner'] },
  'purchase.openOrderValue': { ...pairs(['sku', 'category', 'warehouse']), groupedOnly: ['partner'] },
  'sales.overdueLines': pairs(LINES),
  'sales.overdueValue': pairs(LINES),
  'purchase.overdueLines': pairs(LINES),
  'purchase.overdueValue': pairs(LINES),
  'stock.ageing': pairs(STOCK),
  'stock.slowMoving': pairs(STOCK),
} as const satisfies Record<MetricName, FilterRule>

/**
 * The finest interval a series filtered by a dimension is kept at: SKU counters keep hours, not
 * minutes; partner counters days (server/aggregate/counters.ts `DIM_RESOLUTIONS`).
 */
export const FINEST_INTERVAL: Partial<Record<Dimension, Interval>> = { sku: 'hour', partner: 'day' }
const INTERVAL_ORDER: readonly Interval[] = ['minute', 'hour', 'day', 'month']

/**
 * Whether the server answers `query` with its filter, judged from the query alone: every filtered
 * dimension is one the metric is kept by, they combine as the metric allows (FilterRule), and a
 * series' interval is not finer than the filtered dimensions keep. Says nothing of other reasons
 * to refuse (cost, a period a "now" metric does not take).
 */
export function acceptsFilter(query: Query): boolean {
  const rule: FilterRule = FILTER_RULES[query.metric]
  const dims = Object.entries(query.filter ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([d]) => d as Dimension)
  if (dims.length === 0) return true
  if (dims.length === 1 && dims[0] === query.groupBy && rule.groupedOnly?.includes(dims[0] as MovementDimension)) return true
  if (!dims.every((d) => (rule.dims as readonly string[]).includes(d))) return false
  if (query.interval) {
    const at = INTERVAL_ORDER.indexOf(query.interval)
    if (dims.some((d) => FINEST_INTERVAL[d] !== undefined && at < INTERVAL_ORDER.indexOf(FINEST_INTERVAL[d]))) return false
  }
  if (rule.combine === 'any') return query.groupBy === undefined || (rule.dims as readonly string[]).includes(query.groupBy)
  if (dims.length > 1) return false
  const [dim] = dims
  if (query.groupBy === undefined || query.groupBy === dim) return true
  return query.groupBy === 'sku' && dim === 'category' && rule.skusOfCategory === true
}
