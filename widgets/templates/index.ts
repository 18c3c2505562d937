/**
 * The ready template screens: one per business kind the simulators model (mock-feeds/README.md), and
 * the cash and trade-credit screen every kind shares. Adding one: its file and one line here.
 */
import type { ScreenDefinition } from '../../protocol/screen.ts'
import { ecommerceTemplate } from './ecommerce.ts'
import { financeTemplate } from './finance.ts'
import { manufacturingTemplate } from './manufacturing.ts'
import { retailTemplate } from './retail.ts'

export const TEMPLATES: readonly ScreenDefinition[] = [manufacturingTemplate, retailTemplate, ecommerceTemplate, financeTemplate]
