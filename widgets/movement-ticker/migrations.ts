/**
 * Stored options of older versions → the current shape.
 * v1 → v2: the ticker followed per-minute totals of flow metrics (`metrics`, `minutes`); it now
 * lists the movements themselves, so the followed flows become the movement types that feed them.
 */
import type { MovementType } from '../../protocol/movement.ts'

const TYPES_OF_FLOW: Readonly<Record<string, readonly MovementType[]>> = {
  'sales.orderAmount': ['sales_order'],
  'sales.orders': ['sales_order'],
  'sales.orderQty': ['sales_order'],
  'sales.revenue': ['sales_shipment', 'sales_return'],
  'sales.qty': ['sales_shipment', 'sales_return'],
  'sales.cogs': ['sales_shipment', 'sales_return'],
  'sales.grossProfit': ['sales_shipment', 'sales_return'],
  'sales.returns': ['sales_return'],
  'sales.returnQty': ['sales_return'],
  'purchase.orderAmount': ['purchase_order'],
  'purchase.orderQty': ['purchase_order'],
  'purchase.receiptAmount': ['purchase_receipt'],
  'purchase.receiptQty': ['purchase_receipt'],
  'purchase.returnAmount': ['purchase_return'],
  'purchase.returnQty': ['purchase_return'],
  'transfer.qty': ['transfer'],
  'cash.in': ['payment_in'],
  'cash.out': ['payment_out'],
  'cash.net': ['payment_in', 'payment_out'],
  'stock.countedLines': ['stocktake'],
  'stock.gainQty': ['stocktake'],
  'stock.lossQty': ['stocktake'],
  'stock.gainValue': ['stocktake'],
  'stock.lossValue': ['stocktake'],
  'fulfilment.shipmentsDue': ['sales_shipment'],
}

export const movementTickerMigrations: Readonly<Record<number, (old: Record<string, unknown>) => Record<string, unknown>>> = {
  1: (old) => {
    const { metrics, minutes: _minutes, ...rest } = old
    const types = new Set<MovementType>()
    for (const m of Array.isArray(metrics) ? metrics : []) for (const t of TYPES_OF_FLOW[String(m)] ?? []) types.add(t)
    return types.size > 0 ? { ...rest, types: [...types] } : rest
  },
}
