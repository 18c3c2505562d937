/**
 * The ready-made ERP mappings by source kind (docs/connectors.md). A kind without one here is
 * refused by nothing but reported by its runner as failing ("no mapping for kind …").
 */
import type { ErpKind, ErpMapping } from './mapping.ts'
import { erpnextMapping } from './erpnext.ts'

export const MAPPINGS: Partial<Record<ErpKind, ErpMapping>> = {
  erpnext: erpnextMapping,
}
