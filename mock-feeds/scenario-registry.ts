/** The simulated businesses by name (`--scenario`, COCKPIT_DEMO_SCENARIO). */
import type { Scenario } from './scenario.ts'
import { ecommerceScenario } from './scenarios/ecommerce.ts'
import { manufacturingScenario } from './scenarios/manufacturing.ts'
import { retailScenario } from './scenarios/retail.ts'
import type { ScenarioOptions } from './scenarios/retail.ts'

export const SCENARIO_NAMES = ['manufacturing', 'retail', 'ecommerce'] as const
export type ScenarioName = (typeof SCENARIO_NAMES)[number]

const BUILDERS: Record<ScenarioName, (seed: number, opts: ScenarioOptions) => Scenario> = {
  manufacturing: manufacturingScenario,
  retail: retailScenario,
  ecommerce: ecommerceScenario,
}

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name)
}

/** Builds a named scenario; the same seed builds the same business. */
export function buildScenario(name: ScenarioName, seed = 42, opts: ScenarioOptions = {}): Scenario {
  return BUILDERS[name](seed, opts)
}
