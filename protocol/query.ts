/**
 * The one query shape (docs/api.md "POST /api/v1/query"): a widget's data need, the body of
 * `POST /api/v1/query` and the payload of a Socket.IO `subscribe` are the same object.
 */
import Type from 'typebox'
import type { Static } from 'typebox'
import { CODE_PATTERN, MAX_CODE_LENGTH } from './codes.ts'
import { DIMENSIONS, INTERVALS, METRIC_NAMES, UNITS } from './metrics.ts'
import { MOVEMENT_TYPES, RFC3339_PATTERN } from './movement.ts'
import type { MovementType } from './movement.ts'

/**
 * Named rolling windows, evaluated in the business time zone at the moment of the query:
 * `today`, `yesterday`, `thisMonth` (start of the period → now, or the whole day for `yesterday`),
 * or an ISO 8601 duration ending now: `PT15M`, `PT1H`, `PT24H`, `P7D`, `P30D`.
 */
export const WINDOW_PATTERN = '^(today|yesterday|thisMonth|P(\\d{1,3}D)?(T(\\d{1,4}H)?(\\d{1,5}M)?)?)$'

/** `stock.slowMoving`: a pair is slow-moving after this many days without an outbound movement, unless the query's `days` says otherwise. */
export const DEFAULT_IDLE_DAYS = 90
/** the largest `days` a query may ask for (ten years) */
export const MAX_IDLE_DAYS = 3650

/** a member code (≤ 64 characters; a route `FROM→TO` joins two: ≤ 129), with the pattern every stored code has (protocol/codes.ts) */
const Member = (dim: string) => Type.String({ minLength: 1, maxLength: dim === 'route' ? 2 * MAX_CODE_LENGTH + 1 : MAX_CODE_LENGTH, pattern: CODE_PATTERN })
const Filter = Type.Object(Object.fromEntries(DIMENSIONS.map((d) => [d, Type.Optional(Type.Union([Member(d), Type.Array(Member(d), { minItems: 1, maxItems: 100 })]))])), {
  additionalProperties: false,
  description: 'restrict to members of one dimension',
})

export const Query = Type.Object(
  {
    metric: Type.Enum(METRIC_NAMES, { description: 'a metric of the catalogue' }),
    from: Type.Optional(Type.String({ pattern: RFC3339_PATTERN, description: 'start, inclusive (RFC 3339)' })),
    to: Type.Optional(Type.String({ pattern: RFC3339_PATTERN, description: 'end, exclusive (RFC 3339)' })),
    window: Type.Optional(Type.String({ pattern: WINDOW_PATTERN, description: 'rolling window instead of from/to' })),
    interval: Type.Optional(Type.Enum(INTERVALS)),
    groupBy: Type.Optional(Type.Enum(DIMENSIONS)),
    filter: Type.Optional(Filter),
    top: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'with groupBy: only the N largest groups, sorted' })),
    compare: Type.Optional(Type.Literal('previous', { description: 'also compute the total of the previous period of equal length' })),
    types: Type.Optional(
      Type.Array(Type.Enum(MOVEMENT_TYPES), { minItems: 1, maxItems: MOVEMENT_TYPES.length, description: 'movements.recent only: only movements of these types' }),
    ),
    days: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_IDLE_DAYS, description: `stock.slowMoving only: pairs with no outbound movement for this many days (default ${DEFAULT_IDLE_DAYS})` }),
    ),
  },
  { additionalProperties: false },
)
export type Query = Static<typeof Query>

/** One time bucket of a series. `value` is null for a ratio whose denominator is 0. */
export interface SeriesPoint {
  /** bucket start, RFC 3339 in the business time zone */
  start: string
  value: number | null
}

export interface GroupResult {
  /** member code, e.g. the SKU code */
  key: string
  /** display name from master data (its `name`), when known */
  label?: string
  /** English display name from master data (its `nameEn`), when known; screens in English show it instead of `label` */
  labelEn?: string
  total: number | null
  series?: SeriesPoint[]
}

/** The sku × warehouse pair a row of a stock list is about, with its names from master data. */
export interface PairRow {
  sku: string
  /** names from master data, when known (`…En`: the English name) */
  skuName?: string
  skuNameEn?: string
  warehouse: string
  warehouseName?: string
  warehouseNameEn?: string
  /** the SKU's master-data category */
  category?: string
  /** the category's names, when master data has them (`PUT /api/v1/master/categories`) */
  categoryName?: string
  categoryNameEn?: string
}

/** One row of a list metric (e.g. `stock.belowSafety`). */
export interface AlertRow extends PairRow {
  qty: number
  safetyStock: number
  /** qty / safetyStock (0 when out of stock) */
  coverage: number
}

/**
 * One row of `stock.reorder`: a pair whose projected qty (on hand + open purchase − open sales) is
 * at or below the SKU's reorder point (docs/metrics.md "Reorder alerts"). Quantities in stock units.
 */
export interface ReorderRow extends PairRow {
  onHand: number
  /** ordered from suppliers, not yet received (purchase order lines opened since open qty is kept by pair) */
  openPurchase: number
  /** ordered by customers, not yet shipped (likewise) */
  openSales: number
  /** onHand + openPurchase − openSales */
  projected: number
  /** the SKU's master-data reorder point */
  reorderPoint: number
  /** the SKU's master-data reorder qty, when it has one */
  reorderQty?: number
  /** the SKU's master-data safety stock, when it has one */
  safetyStock?: number
  /** what to order: the larger of the reorder qty (0 without one) and reorderPoint − projected (ERPNext's reorder rule) */
  suggestedQty: number
}

/**
 * One of the latest movements the cockpit applied (`movements.recent`), newest first. Amounts
 * are in the base currency; what `amount` is depends on the type (see docs/metrics.md).
 */
export interface MovementRow {
  id: string
  type: MovementType
  /** when it happened, RFC 3339 in the business time zone */
  occurredAt: string
  sku?: string
  skuName?: string
  skuNameEn?: string
  category?: string
  warehouse?: string
  warehouseName?: string
  warehouseNameEn?: string
  /** a transfer's destination */
  toWarehouse?: string
  toWarehouseName?: string
  toWarehouseNameEn?: string
  partner?: string
  partnerName?: string
  partnerNameEn?: string
  channel?: string
  /** order or document reference */
  ref?: string
  /** units moved (a stocktake: units counted) */
  qty?: number
  /** a stocktake: counted − book units */
  difference?: number
  /** line amount (orders, receipts, shipments, returns: at the cost that was applied) or payment */
  amount?: number
  /** a cancel: the id of the movement it reversed */
  cancels?: string
  /** reversed by a later cancel (one that is itself among the latest movements) */
  cancelled?: boolean
}

/**
 * Age buckets of receivables and payables (`receivables.ageing`, `payables.ageing`): days past an
 * open item's due date, in the business time zone. `notDue`: not yet due; `0-30`: due today up to
 * 30 days ago; … `181+`: more than 180 days past due.
 */
export const CREDIT_AGE_BUCKETS = ['notDue', '0-30', '31-60', '61-90', '91-180', '181+'] as const
export type CreditAgeBucket = (typeof CREDIT_AGE_BUCKETS)[number]

/** One partner's open items by age. Amounts in the base currency. */
export interface CreditAgeingRow {
  partner: string
  partnerName?: string
  partnerNameEn?: string
  /** open items − unapplied credit: the partner's receivable (payable) balance */
  balance: number
  /** what is still open of its invoices, by CREDIT_AGE_BUCKETS (same order) */
  buckets: number[]
  /** payments and returns not matched to any open item (an advance): never negative */
  credit: number
  /** due date (YYYY-MM-DD) of its oldest open item, when one is open */
  oldestDue?: string
}

/** Receivables or payables by age now. */
export interface CreditAgeingResult {
  /** the buckets' amounts over every partner selected, in CREDIT_AGE_BUCKETS order */
  buckets: { key: CreditAgeBucket; amount: number }[]
  /** unapplied credit over every partner selected */
  credit: number
  /** with `groupBy: "partner"`: one row per partner with a balance or credit, largest balance first (`top` keeps the first N) */
  rows?: CreditAgeingRow[]
}

/** One age bucket of `stock.ageing`: stock received that many days before today (`0-30` … `181+`). */
export interface AgeBucketFigures {
  /** `0-30`, `31-60`, `61-90`, `91-180` or `181+` (days, both ends inclusive) */
  key: '0-30' | '31-60' | '61-90' | '91-180' | '181+'
  qty: number
  /** the bucket's share of the stock value: qty × the pair's rate, rounded so the buckets add up to `stock.value` exactly */
  value: number
}

/** Stock ageing of all pairs (or of one group): buckets youngest first, and ERPNext's age figures. */
export interface AgeingFigures {
  qty: number
  value: number
  buckets: AgeBucketFigures[]
  /** qty-weighted mean age in days (2 decimals); null when nothing is on hand */
  averageAge: number | null
  /** age of the oldest layer on hand, days; null when nothing is on hand */
  oldestAge: number | null
}

export interface AgeingGroup extends AgeingFigures {
  key: string
  label?: string
  labelEn?: string
}

/** `stock.ageing`: the whole, and with `groupBy` each group (sorted by value, descending). */
export interface AgeingResult extends AgeingFigures {
  /** the business date ages are counted to (today in the business time zone), YYYY-MM-DD */
  date: string
  groups?: AgeingGroup[]
}

/** One row of `stock.slowMoving`: a sku × warehouse with stock and no outbound movement for `days` days. */
export interface SlowMovingRow {
  sku: string
  skuName?: string
  skuNameEn?: string
  warehouse: string
  warehouseName?: string
  warehouseNameEn?: string
  category?: string
  categoryName?: string
  categoryNameEn?: string
  qty: number
  value: number
  /** business date of the latest outbound movement (shipment, purchase return, transfer out), or null: none on record */
  lastOutbound: string | null
  /** days since the latest outbound movement, or, when there is none, since the oldest stock on hand arrived */
  idleDays: number
  /** age of the oldest stock on hand, days */
  oldestAge: number
}

export interface QueryResult {
  metric: Static<typeof Query>['metric']
  unit: (typeof UNITS)[number]
  /** base currency, for money units */
  currency: string
  /** resolved period [from, to), RFC 3339 in the business time zone; absent for "now" metrics */
  from?: string
  to?: string
  interval?: (typeof INTERVALS)[number]
  groupBy?: (typeof DIMENSIONS)[number]
  /** the figure over the whole period (or now); null where a ratio's denominator is 0 */
  total: number | null
  /** with `interval` and without `groupBy` */
  series?: SeriesPoint[]
  /** with `groupBy`: sorted by total, descending */
  groups?: GroupResult[]
  /** for `stock.belowSafety` */
  rows?: AlertRow[]
  /** for `stock.reorder`, most urgent first */
  reorder?: ReorderRow[]
  /** for `movements.recent`, newest first */
  movements?: MovementRow[]
  /** for `receivables.ageing` and `payables.ageing` */
  creditAgeing?: CreditAgeingResult
  /** for `stock.ageing` */
  ageing?: AgeingResult
  /** for `stock.slowMoving`, largest value first */
  slowMoving?: SlowMovingRow[]
  /** for `stock.slowMoving`: the days without outbound it was asked for (the query's `days`, else 90) */
  days?: number
  /** with `compare: "previous"` */
  previous?: { from: string; to: string; total: number | null }
  /** when the result was computed, RFC 3339 */
  asOf: string
}

export const QueryError = Type.Object({
  error: Type.String(),
  message: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
})
export type QueryError = Static<typeof QueryError>

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return [...value].map(canonical).sort()
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, canonical(v)]),
    )
  }
  return value
}

/**
 * A stable key of a query: the same for identical queries whatever their key order or the order
 * of filter members. The server keys rooms (one computation per distinct query) with it, the
 * screen its subscription stores.
 */
export function queryKey(query: Query): string {
  return JSON.stringify(canonical(query))
}
