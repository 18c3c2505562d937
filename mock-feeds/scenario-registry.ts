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

/**
 * Movements per second (the week's average) each business is sized for: `typical` is what the
 * demo and the simulator run when none is given; above `max` the business would need stock levels
 * beyond what a movement may carry (LIMITS.qty). A manufacturer posts far fewer documents than a
 * retail chain: each of its sales lines moves tens of units made of kilograms of material.
 */
export const SCENARIO_RATES: Record<ScenarioName, { typical: number; max: number }> = {
  manufacturing: { typical: 20, max: 50 },
  retail: { typical: 200, max: 20_000 },
  ecommerce: { typical: 200, max: 20_000 },
}

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name)
}

/** Builds a named scenario; the same seed builds the same business. */
export function buildScenario(name: ScenarioName, seed = 42, opts: ScenarioOptions = {}): Scenario {
  const { max } = SCENARIO_RATES[name]
  if ((opts.rate ?? SCENARIO_RATES[name].typical) > max) {
    throw new RangeError(`the ${name} business is sized for at most ${max} movements/s (got ${opts.rate}): its stock levels would exceed what a movement may carry`)
  }
  return BUILDERS[name](seed, opts)
}
