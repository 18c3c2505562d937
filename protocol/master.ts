/**
 * Master data (docs/api.md "Master data"): SKUs, warehouses and partners, and the display names of categories,
 * regions and channels, upserted in bulk so figures show names and alerts know thresholds.
 * Every record has a `name` (the screen's default language, zh-CN) and may have a `nameEn`
 * (shown when the screen is switched to English; `name` otherwise).
 */
import Type from 'typebox'
import type { Static } from 'typebox'
import { CODE_PATTERN, MAX_CODE_LENGTH, NAME_PATTERN } from './codes.ts'
import type { MovementDimension } from './metrics.ts'

/** printable, no control characters, `<`, `>` or `|`, no blanks at either end (protocol/codes.ts) */
const Code = Type.String({ minLength: 1, maxLength: MAX_CODE_LENGTH, pattern: CODE_PATTERN })
/** free text without control characters; every screen escapes it where it meets HTML */
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: NAME_PATTERN })
const NameEn = Type.String({ minLength: 1, maxLength: 200, pattern: NAME_PATTERN, description: 'English display name' })

export const Sku = Type.Object(
  {
    code: Code,
    name: Name,
    nameEn: Type.Optional(NameEn),
    category: Type.Optional(Code),
    unit: Type.Optional(Type.String({ minLength: 1, maxLength: 16, pattern: NAME_PATTERN })),
    safetyStock: Type.Optional(Type.Number({ minimum: 0, maximum: 1e9 })),
    reorderPoint: Type.Optional(Type.Number({ minimum: 0, maximum: 1e9, description: 'reorder when projected qty (on hand + open purchase − open sales) falls to it' })),
    reorderQty: Type.Optional(Type.Number({ minimum: 0, maximum: 1e9, description: 'the qty to reorder at least (ERPNext: warehouse_reorder_qty)' })),
  },
  { additionalProperties: false },
)
export type Sku = Static<typeof Sku>

export const Warehouse = Type.Object(
  {
    code: Code,
    name: Name,
    nameEn: Type.Optional(NameEn),
    region: Type.Optional(Code),
    /** holds no stock of its own (supplier direct, drop-ship): never in stock alerts or the stock-out rate */
    virtual: Type.Optional(Type.Boolean({ description: 'holds no stock of its own (supplier direct, drop-ship): left out of stock alerts and the stock-out rate' })),
  },
  { additionalProperties: false },
)
export type Warehouse = Static<typeof Warehouse>

export const Partner = Type.Object(
  {
    code: Code,
    name: Name,
    nameEn: Type.Optional(NameEn),
    /** `internal`: a unit of the company itself (a workshop booking production, another branch): what it delivers or takes is not trade credit */
    kind: Type.Union([Type.Literal('supplier'), Type.Literal('customer'), Type.Literal('both'), Type.Literal('internal')], {
      description: 'supplier, customer, both, or internal (a unit of the company itself: no receivables or payables)',
    }),
    paymentTermsDays: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 3650, description: 'payment terms (账期) in days: an invoice is due this many days after its shipment or receipt date' }),
    ),
  },
  { additionalProperties: false },
)
export type Partner = Static<typeof Partner>

/** A member of a dimension that is only a code on movements and SKUs/warehouses: its display names. */
const NamedCode = () => Type.Object({ code: Code, name: Name, nameEn: Type.Optional(NameEn) }, { additionalProperties: false })

/** A category: the code of a SKU's (or a movement's) `category`. */
export const Category = NamedCode()
export type Category = Static<typeof Category>
/** A region: the code of a warehouse's (or a movement's) `region`. */
export const Region = NamedCode()
export type Region = Static<typeof Region>
/** A sales (or other) channel: the code of a movement's `channel`. */
export const Channel = NamedCode()
export type Channel = Static<typeof Channel>

export const MASTER_KINDS = ['skus', 'warehouses', 'partners', 'categories', 'regions', 'channels'] as const
export type MasterKind = (typeof MASTER_KINDS)[number]

export const MASTER_SCHEMAS = { skus: Sku, warehouses: Warehouse, partners: Partner, categories: Category, regions: Region, channels: Channel } as const
export type MasterRecord<K extends MasterKind> = Static<(typeof MASTER_SCHEMAS)[K]>

/** The master-data kind that names the members of each dimension (routes are named from warehouses). */
export const DIMENSION_KINDS = {
  sku: 'skus',
  category: 'categories',
  warehouse: 'warehouses',
  partner: 'partners',
  region: 'regions',
  channel: 'channels',
} as const satisfies Record<MovementDimension, MasterKind>

/** Largest upsert batch. */
export const MAX_MASTER_BATCH = 10_000
