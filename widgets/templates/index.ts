/** The ready template screens, one per business kind of design §1. Adding one: its file and one line here. */
import type { ScreenDefinition } from '../../protocol/screen.ts'
import { ecommerceTemplate } from './ecommerce.ts'
import { manufacturingTemplate } from './manufacturing.ts'
import { retailTemplate } from './retail.ts'

export const TEMPLATES: readonly ScreenDefinition[] = [manufacturingTemplate, retailTemplate, ecommerceTemplate]
