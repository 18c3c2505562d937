/** Master data (domain.md): SKUs, warehouses and partners, upserted in bulk so figures show names and alerts know thresholds. */
import Type from 'typebox'
import type { Static } from 'typebox'

const Code = Type.String({ minLength: 1, maxLength: 64, pattern: '^[^|\\s]([^|]*[^|\\s])?$' })
const Name = Type.String({ minLength: 1, maxLength: 200 })

export const Sku = Type.Object(
  {
    code: Code,
    name: Name,
    category: Type.Optional(Code),
    unit: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
    safetyStock: Type.Optional(Type.Number({ minimum: 0, maximum: 1e9 })),
    reorderPoint: Type.Optional(Type.Number({ minimum: 0, maximum: 1e9 })),
  },
  { additionalProperties: false },
)
export type Sku = Static<typeof Sku>

export const Warehouse = Type.Object(
  { code: Code, name: Name, region: Type.Optional(Code) },
  { additionalProperties: false },
)
export type Warehouse = Static<typeof Warehouse>

export const Partner = Type.Object(
  { code: Code, name: Name, kind: Type.Union([Type.Literal('supplier'), Type.Literal('customer'), Type.Literal('both')]) },
  { additionalProperties: false },
)
export type Partner = Static<typeof Partner>

export const MASTER_KINDS = ['skus', 'warehouses', 'partners'] as const
export type MasterKind = (typeof MASTER_KINDS)[number]

export const MASTER_SCHEMAS = { skus: Sku, warehouses: Warehouse, partners: Partner } as const
export type MasterRecord<K extends MasterKind> = Static<(typeof MASTER_SCHEMAS)[K]>

/** Largest upsert batch. */
export const MAX_MASTER_BATCH = 10_000
