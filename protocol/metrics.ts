/**
 * The metric catalogue (protocol v1): every metric a query or a widget may name,
 * with its unit, whether it is a flow over a period or a level "now", and its titles.
 * How each metric is computed from Redis counters is the server's business
 * (server/query/formulas.ts); docs/metrics.md explains the formulas.
 */

/** Dimensions a movement names itself (master data fills category and region when it does not). */
export const MOVEMENT_DIMENSIONS = ['sku', 'category', 'warehouse', 'partner', 'region', 'channel'] as const
export type MovementDimension = (typeof MOVEMENT_DIMENSIONS)[number]

/**
 * Dimensions a query may group or filter by. `route` is a transfer's way between two
 * warehouses, member `FROM→TO` (see routeMember); only `transfer.qty` is kept by route.
 */
export const DIMENSIONS = [...MOVEMENT_DIMENSIONS, 'route'] as const
export type Dimension = (typeof DIMENSIONS)[number]

/** Separator of the source and destination warehouse codes in a `route` member. */
export const ROUTE_SEPARATOR = '→'

/** Member of the `route` dimension: source and destination warehouse codes joined by `→`. */
export function routeMember(from: string, to: string): string {
  return `${from}${ROUTE_SEPARATOR}${to}`
}

/**
 * Source and destination of a `route` member; undefined when it is not one, or when a
 * warehouse code itself contains `→` and the split would be ambiguous.
 */
export function parseRoute(member: string): { from: string; to: string } | undefined {
  const parts = member.split(ROUTE_SEPARATOR)
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined
  return { from: parts[0], to: parts[1] }
}

export const INTERVALS = ['minute', 'hour', 'day', 'month'] as const
export type Interval = (typeof INTERVALS)[number]

export const UNITS = ['money', 'qty', 'count', 'ratio', 'days', 'times'] as const
export type Unit = (typeof UNITS)[number]

/**
 * `flow`: summed over a period (supports interval and groupBy).
 * `ratio`: a ratio over a period (null when the denominator is 0).
 * `closing`: a level at the end of the period, or of each interval bucket (day or month).
 * `level`: a state "now" (groupBy allowed, no period).
 * `list`: rows "now" (stock alerts, the latest movements).
 */
export type MetricKind = 'flow' | 'ratio' | 'closing' | 'level' | 'list'

/** Metrics that need a period (from/to or window); the others describe "now". */
export const PERIOD_KINDS: readonly MetricKind[] = ['flow', 'ratio', 'closing']

export interface MetricInfo {
  readonly kind: MetricKind
  readonly unit: Unit
  readonly title: { readonly 'zh-CN': string; readonly en: string }
}

export const METRICS = {
  'sales.orderAmount': { kind: 'flow', unit: 'money', title: { 'zh-CN': '销售订单额', en: 'Sales order amount' } },
  'sales.orders': { kind: 'flow', unit: 'count', title: { 'zh-CN': '销售订单行数', en: 'Sales order lines' } },
  'sales.revenue': { kind: 'flow', unit: 'money', title: { 'zh-CN': '销售收入', en: 'Sales revenue' } },
  'sales.qty': { kind: 'flow', unit: 'qty', title: { 'zh-CN': '销售数量', en: 'Units sold' } },
  'sales.cogs': { kind: 'flow', unit: 'money', title: { 'zh-CN': '销售成本', en: 'Cost of goods sold' } },
  'sales.grossProfit': { kind: 'flow', unit: 'money', title: { 'zh-CN': '毛利', en: 'Gross profit' } },
  'sales.grossMargin': { kind: 'ratio', unit: 'ratio', title: { 'zh-CN': '毛利率', en: 'Gross margin' } },
  'sales.returns': { kind: 'flow', unit: 'money', title: { 'zh-CN': '销售退货额', en: 'Sales returns' } },
  'sales.returnQty': { kind: 'flow', unit: 'qty', title: { 'zh-CN': '销售退货数量', en: 'Units returned by customers' } },
  'sales.orderQty': { kind: 'flow', unit: 'qty', title: { 'zh-CN': '销售订单数量', en: 'Units ordered' } },
  'purchase.orderAmount': { kind: 'flow', unit: 'money', title: { 'zh-CN': '采购订单额', en: 'Purchase order amount' } },
  'purchase.orderQty': { kind: 'flow', unit: 'qty', title: { 'zh-CN': '采购订单数量', en: 'Units ordered from suppliers' } },
  'purchase.receiptAmount': { kind: 'flow', unit: 'money', title: { 'zh-CN': '采购入库额', en: 'Purchase receipts' } },
  'purchase.receiptQty': { kind: 'flow', unit: 'qty', title: { 'zh-CN': '采购入库数量', en: 'Units received' } },
  'purchase.returnAmount': { kind: 'flow', unit: 'money', title: { 'zh-CN': '采购退货额', en: 'Purchase returns' } },
  'purchase.returnQty': { kind: 'flow', unit: 'qty', title: { 'zh-CN': '采购退货数量', en: 'Units returned to suppliers' } },
  'purchase.returnRate': { kind: 'ratio', unit: 'ratio', title: { 'zh-CN': '供应商退货率', en: 'Supplier return rate' } },
  'purchase.backlogQty': { kind: 'level', unit: 'qty', title: { 'zh-CN': '采购未到货数量', en: 'Purchase backlog (units)' } },
  'sales.backlogQty': { kind: 'level', unit: 'qty', title: { 'zh-CN': '销售未发货数量', en: 'Sales backlog (units)' } },
  'stock.qty': { kind: 'level', unit: 'qty', title: { 'zh-CN': '库存数量', en: 'Stock on hand' } },
  'stock.value': { kind: 'level', unit: 'money', title: { 'zh-CN': '库存金额', en: 'Stock value' } },
  'stock.belowSafety': { kind: 'list', unit: 'count', title: { 'zh-CN': '低于安全库存', en: 'Below safety stock' } },
  'stock.reorder': { kind: 'list', unit: 'count', title: { 'zh-CN': '需补货', en: 'Reorder alerts' } },
  'movements.recent': { kind: 'list', unit: 'count', title: { 'zh-CN': '最新业务', en: 'Latest movements' } },
  'stock.stockoutRate': { kind: 'level', unit: 'ratio', title: { 'zh-CN': '缺货率', en: 'Stock-out rate' } },
  'stock.closingQty': { kind: 'closing', unit: 'qty', title: { 'zh-CN': '期末库存数量', en: 'Closing stock qty' } },
  'stock.closingValue': { kind: 'closing', unit: 'money', title: { 'zh-CN': '期末库存金额', en: 'Closing stock value' } },
  'stock.turnover': { kind: 'ratio', unit: 'times', title: { 'zh-CN': '库存周转率', en: 'Inventory turnover' } },
  'stock.daysOnHand': { kind: 'ratio', unit: 'days', title: { 'zh-CN': '库存周转天数', en: 'Days on hand' } },
  'stock.accuracy': { kind: 'ratio', unit: 'ratio', title: { 'zh-CN': '盘点准确率', en: 'Stocktake line accuracy' } },
  'stock.valueAccuracy': { kind: 'ratio', unit: 'ratio', title: { 'zh-CN': '盘点金额准确率', en: 'Stocktake value accuracy' } },
  'stock.countedLines': { kind: 'flow', unit: 'count', title: { 'zh-CN': '盘点行数', en: 'Stocktake lines counted' } },
  'stock.gainQty': { kind: 'flow', unit: 'qty', title: { 'zh-CN': '盘盈数量', en: 'Stocktake gains (units)' } },
  'stock.lossQty': { kind: 'flow', unit: 'qty', title: { 'zh-CN': '盘亏数量', en: 'Stocktake losses (units)' } },
  'stock.gainValue': { kind: 'flow', unit: 'money', title: { 'zh-CN': '盘盈金额', en: 'Stocktake gains' } },
  'stock.lossValue': { kind: 'flow', unit: 'money', title: { 'zh-CN': '盘亏金额', en: 'Stocktake losses' } },
  'stock.revaluation': { kind: 'flow', unit: 'money', title: { 'zh-CN': '存货重估', en: 'Stock revaluation' } },
  'transfer.qty': { kind: 'flow', unit: 'qty', title: { 'zh-CN': '调拨数量', en: 'Units transferred' } },
  'cash.in': { kind: 'flow', unit: 'money', title: { 'zh-CN': '收款', en: 'Cash in' } },
  'cash.out': { kind: 'flow', unit: 'money', title: { 'zh-CN': '付款', en: 'Cash out' } },
  'cash.net': { kind: 'flow', unit: 'money', title: { 'zh-CN': '净现金流', en: 'Net cash flow' } },
  'fulfilment.onTimeRate': { kind: 'ratio', unit: 'ratio', title: { 'zh-CN': '订单发货及时率', en: 'On-time shipment rate' } },
  'fulfilment.shipmentsDue': { kind: 'flow', unit: 'count', title: { 'zh-CN': '有承诺日期的发货行', en: 'Shipments with a promised date' } },
  'supplier.onTimeRate': { kind: 'ratio', unit: 'ratio', title: { 'zh-CN': '供应商准时交货率', en: 'Supplier on-time rate' } },
  'receivables.balance': { kind: 'level', unit: 'money', title: { 'zh-CN': '应收账款余额', en: 'Receivables' } },
  'receivables.ageing': { kind: 'list', unit: 'money', title: { 'zh-CN': '应收账龄', en: 'Receivables ageing' } },
  'receivables.dso': { kind: 'ratio', unit: 'days', title: { 'zh-CN': '应收账款周转天数', en: 'Days sales outstanding' } },
  'payables.balance': { kind: 'level', unit: 'money', title: { 'zh-CN': '应付账款余额', en: 'Payables' } },
  'payables.ageing': { kind: 'list', unit: 'money', title: { 'zh-CN': '应付账龄', en: 'Payables ageing' } },
  'payables.dpo': { kind: 'ratio', unit: 'days', title: { 'zh-CN': '应付账款周转天数', en: 'Days payables outstanding' } },
  'sales.returnRate': { kind: 'ratio', unit: 'ratio', title: { 'zh-CN': '销售退货率', en: 'Sales return rate' } },
  'purchase.avgPrice': { kind: 'ratio', unit: 'money', title: { 'zh-CN': '采购均价', en: 'Average purchase price' } },
  'supplier.leadTimeDays': { kind: 'ratio', unit: 'days', title: { 'zh-CN': '采购提前期', en: 'Supplier lead time' } },
  'fulfilment.otif': { kind: 'ratio', unit: 'ratio', title: { 'zh-CN': '订单准时足额交付率', en: 'Sales OTIF' } },
  'supplier.otif': { kind: 'ratio', unit: 'ratio', title: { 'zh-CN': '供应商准时足额交货率', en: 'Supplier OTIF' } },
  'sales.openOrderValue': { kind: 'level', unit: 'money', title: { 'zh-CN': '销售未发货金额', en: 'Open sales order value' } },
  'purchase.openOrderValue': { kind: 'level', unit: 'money', title: { 'zh-CN': '采购未到货金额', en: 'Open purchase order value' } },
  'sales.overdueLines': { kind: 'level', unit: 'count', title: { 'zh-CN': '销售逾期未发货行数', en: 'Overdue sales order lines' } },
  'sales.overdueValue': { kind: 'level', unit: 'money', title: { 'zh-CN': '销售逾期未发货金额', en: 'Overdue sales order value' } },
  'purchase.overdueLines': { kind: 'level', unit: 'count', title: { 'zh-CN': '采购逾期未到货行数', en: 'Overdue purchase order lines' } },
  'purchase.overdueValue': { kind: 'level', unit: 'money', title: { 'zh-CN': '采购逾期未到货金额', en: 'Overdue purchase order value' } },
  'stock.ageing': { kind: 'level', unit: 'money', title: { 'zh-CN': '库龄分布', en: 'Stock ageing' } },
  'stock.slowMoving': { kind: 'list', unit: 'count', title: { 'zh-CN': '呆滞库存', en: 'Slow-moving stock' } },
} as const satisfies Record<string, MetricInfo>

export type MetricName = keyof typeof METRICS
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[]

export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(METRICS, name)
}
