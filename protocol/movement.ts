/**
 * Inventory movements: the unit of ingest (protocol v1, docs/api.md "Movement", docs/metrics.md).
 * One TypeBox schema per movement type; the server validates each movement against
 * the schema of its `type`, so a bad item gets errors that name its own fields.
 */
import Type from 'typebox'
import type { Static, TSchema } from 'typebox'
import { CODE_PATTERN, ID_PATTERN, MAX_CODE_LENGTH, MAX_ID_LENGTH } from './codes.ts'

export const MOVEMENT_TYPES = [
  'purchase_order',
  'purchase_receipt',
  'purchase_return',
  'sales_order',
  'sales_shipment',
  'sales_return',
  'transfer',
  'stocktake',
  'payment_in',
  'payment_out',
  'cancel',
] as const
export type MovementType = (typeof MOVEMENT_TYPES)[number]

/** Largest batch accepted as a JSON array; larger loads go as NDJSON. */
export const MAX_JSON_BATCH = 5000
/** Largest NDJSON body, in movements (non-blank lines); one more is a 413 at once. */
export const MAX_NDJSON_BATCH = 200_000
/** Longest NDJSON line, in bytes (without its line break); a longer line is a rejection of its own. */
export const MAX_NDJSON_LINE_BYTES = 64 * 1024
/** Rejections a 400 lists at most (the first by index); `rejectedCount` counts them all. */
export const MAX_LISTED_REJECTIONS = 100

/**
 * Upper bounds that keep every figure inside exact integer arithmetic (docs/api.md "Limits"):
 * a line's money (qty × price, `lineAmount`, `lineCost`, a payment's `amount`) is at most
 * `lineAmount`, so one line is a safe integer of money units and a counter cell
 * (±922,337,203,685,477 of the currency) holds more than 9,000 such lines; a batch that would
 * still take a cell out of that range is refused whole.
 */
export const LIMITS = {
  qty: 1e9,
  price: 1e9,
  /** largest money of one line (qty × price, `lineAmount`, `lineCost`, a payment's `amount`), in the currency */
  lineAmount: 1e11,
  /** decimals kept for quantities (stock unit) */
  qtyDecimals: 3,
  /** decimals kept for unit prices and costs */
  priceDecimals: 6,
  /** decimals kept for money amounts (payments) */
  amountDecimals: 4,
} as const

/** RFC 3339 date-time with an explicit offset (`Z` or `±hh:mm`). */
export const RFC3339_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|z|[+-]\\d{2}:\\d{2})$'

/** a code: printable, no control characters, `<`, `>` or `|`, no blanks at either end (protocol/codes.ts) */
const Code = (description: string) => Type.String({ minLength: 1, maxLength: MAX_CODE_LENGTH, pattern: CODE_PATTERN, description })
/** a movement id, `ref` or `cancels`: printable, no control characters (TAB included), no `<` or `>` */
const Id = (description: string) => Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH, pattern: ID_PATTERN, description })
const Timestamp = (description: string) => Type.String({ pattern: RFC3339_PATTERN, description })
/** a business date, YYYY-MM-DD */
export const DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$'
const Qty = Type.Number({ exclusiveMinimum: 0, maximum: LIMITS.qty, description: 'quantity in the stock unit, > 0' })
const Price = (description: string) => Type.Number({ minimum: 0, maximum: LIMITS.price, description })
const LineMoney = (description: string) => Type.Optional(Type.Number({ minimum: 0, maximum: LIMITS.lineAmount, description }))
/** the ERP's own line amount: taken as it is instead of qty × price */
const lineAmount = { lineAmount: LineMoney("the ERP's own line amount (qty × price as the ERP rounded it); taken as it is") }
const lineCost = { lineCost: LineMoney("the ERP's own cost of the line's goods; taken as it is instead of qty × unitCost") }
const returnOf = { returnOf: Type.Optional(Id("id of the movement returned: costed at that movement's unit cost when unitCost is absent")) }

const common = {
  id: Id('unique movement id: the idempotency key'),
  occurredAt: Timestamp('when it happened (RFC 3339 with offset); buckets are cut by this, not by arrival'),
  currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217; default the base currency' })),
  partner: Type.Optional(Code('supplier or customer id')),
  category: Type.Optional(Code('SKU category (master data fills it when absent)')),
  region: Type.Optional(Code('region (master data of the warehouse fills it when absent)')),
  channel: Type.Optional(Code('sales or purchase channel')),
  ref: Type.Optional(Id('order id a receipt or shipment fulfils')),
  dueAt: Type.Optional(Timestamp('promised instant (RFC 3339 with offset)')),
  dueDate: Type.Optional(Type.String({ pattern: DATE_PATTERN, description: 'promised business date (YYYY-MM-DD in COCKPIT_TZ): on time when it happens on or before that date' })),
}
const line = {
  sku: Code('SKU code'),
  warehouse: Code('warehouse code'),
  qty: Qty,
}

function movement<T extends MovementType, P extends Record<string, TSchema>>(type: T, props: P) {
  return Type.Object({ type: Type.Literal(type), ...common, ...props }, { additionalProperties: false })
}

export const PurchaseOrder = movement('purchase_order', { ...line, unitCost: Price('agreed unit cost'), ...lineAmount })
export const PurchaseReceipt = movement('purchase_receipt', { ...line, unitCost: Price('unit cost of the received goods'), ...lineAmount })
export const PurchaseReturn = movement('purchase_return', {
  ...line,
  unitCost: Type.Optional(Price('unit cost credited; default the cost of `returnOf`, else the moving average')),
  ...lineAmount,
  ...returnOf,
})
export const SalesOrder = movement('sales_order', { ...line, unitPrice: Price('unit selling price'), ...lineAmount })
export const SalesShipment = movement('sales_shipment', {
  ...line,
  unitPrice: Price('unit selling price'),
  unitCost: Type.Optional(Price("the ERP's own unit cost for COGS; default the moving average")),
  ...lineAmount,
  ...lineCost,
})
export const SalesReturn = movement('sales_return', {
  ...line,
  unitPrice: Price('unit selling price refunded'),
  unitCost: Type.Optional(Price('unit cost taken back into stock; default the cost of `returnOf`, else the moving average')),
  ...lineAmount,
  ...lineCost,
  ...returnOf,
})
export const Transfer = movement('transfer', { ...line, toWarehouse: Code('destination warehouse') })
export const Stocktake = movement('stocktake', {
  sku: line.sku,
  warehouse: line.warehouse,
  countedQty: Type.Number({ minimum: 0, maximum: LIMITS.qty, description: 'quantity counted' }),
  bookQty: Type.Optional(Type.Number({ minimum: -LIMITS.qty, maximum: LIMITS.qty, description: "the ERP's book qty at count time: the adjustment is countedQty − bookQty" })),
})
const payment = { amount: Type.Number({ exclusiveMinimum: 0, maximum: LIMITS.lineAmount, description: 'amount paid' }) }
export const PaymentIn = movement('payment_in', payment)
export const PaymentOut = movement('payment_out', payment)
export const Cancel = Type.Object(
  {
    type: Type.Literal('cancel'),
    id: common.id,
    occurredAt: common.occurredAt,
    cancels: Id('id of the movement this one reverses'),
  },
  { additionalProperties: false },
)

/** Schema of each movement type, by `type`. */
export const MOVEMENT_SCHEMAS = {
  purchase_order: PurchaseOrder,
  purchase_receipt: PurchaseReceipt,
  purchase_return: PurchaseReturn,
  sales_order: SalesOrder,
  sales_shipment: SalesShipment,
  sales_return: SalesReturn,
  transfer: Transfer,
  stocktake: Stocktake,
  payment_in: PaymentIn,
  payment_out: PaymentOut,
  cancel: Cancel,
} as const satisfies Record<MovementType, TSchema>

export const Movement = Type.Union([PurchaseOrder, PurchaseReceipt, PurchaseReturn, SalesOrder, SalesShipment, SalesReturn, Transfer, Stocktake, PaymentIn, PaymentOut, Cancel])
export type Movement = Static<typeof Movement>
export type MovementOf<T extends MovementType> = Static<(typeof MOVEMENT_SCHEMAS)[T]>

/** One field error of a rejected movement. */
export const FieldError = Type.Object({
  path: Type.String({ description: 'JSON pointer into the movement, e.g. /qty' }),
  message: Type.String(),
})
export type FieldError = Static<typeof FieldError>

export const RejectedMovement = Type.Object({
  index: Type.Integer({ description: 'position in the batch (0-based; NDJSON: line number − 1)' }),
  id: Type.Union([Type.String(), Type.Null()]),
  errors: Type.Array(FieldError),
})
export type RejectedMovement = Static<typeof RejectedMovement>

export const IngestAccepted = Type.Object({
  accepted: Type.Integer({ description: 'movements applied by this request' }),
  duplicates: Type.Integer({ description: 'movements whose id was already applied: acknowledged, not applied again' }),
})
export type IngestAccepted = Static<typeof IngestAccepted>

export const IngestRejected = Type.Object({
  error: Type.Literal('invalid_movements'),
  message: Type.String(),
  rejected: Type.Array(RejectedMovement, { maxItems: MAX_LISTED_REJECTIONS, description: `the first ${MAX_LISTED_REJECTIONS} rejected movements, by index` }),
  rejectedCount: Type.Integer({ description: 'how many movements were rejected in all (rejected lists at most the first 100)' }),
})
export type IngestRejected = Static<typeof IngestRejected>
