/** The ready template screens, one per business kind the simulators model (mock-feeds/README.md). Adding one: its file and one line here. */
import type { ScreenDefinition } from '../../protocol/screen.ts'
import { ecommerceTemplate } from './ecommerce.ts'
import { manufacturingTemplate } from './manufacturing.ts'
import { retailTemplate } from './retail.ts'

export const TEMPLATES: readonly ScreenDefinition[] = [manufacturingTemplate, retailTemplate, ecommerceTemplate]
