/**
 * The ready-made ERP mappings by source kind (docs/connectors.md). A kind without one here is
 * refused by nothing but reported by its runner as failing ("no mapping for kind …"); every kind has one now.
 */
import type { ErpKind, ErpMapping } from './mapping.ts'
import { erpnextMapping } from './erpnext.ts'
import { jsherpMapping } from './jsherp.ts'
import { odooMapping } from './odoo.ts'

export const MAPPINGS: Record<ErpKind, ErpMapping> = {
  erpnext: erpnextMapping,
  odoo: odooMapping,
  jsherp: jsherpMapping,
}
