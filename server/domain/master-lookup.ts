/**
 * What reading master data looks like to the code that only reads it (the query engine, the
 * token CLI's dry run): lookups of cached records and display names. The service that loads,
 * caches and writes them is `server/plugins/master-data.ts`.
 */
import type { Sku, Warehouse } from '../../protocol/master.ts'

/** Display names of one member: `name` (zh-CN, the default) and, when given, `nameEn`. */
export interface MemberNames {
  name: string
  nameEn?: string
}

/** Read-only lookups of master data. */
export interface MasterLookup {
  sku(code: string): Sku | undefined
  warehouse(code: string): Warehouse | undefined
  /** display names of a member of a dimension (sku, category, warehouse, partner, region, channel), when master data has them */
  names(dim: string, code: string): MemberNames | undefined
}
