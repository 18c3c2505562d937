/** The simulated businesses by name (`--scenario`, COCKPIT_DEMO_SCENARIO). */
import type { Scenario } from './scenario.ts'
import { ECOMMERCE_TYPICAL_RATE, ecommerceScenario } from './scenarios/ecommerce.ts'
import { MANUFACTURING_TYPICAL_RATE, manufacturingScenario } from './scenarios/manufacturing.ts'
import { RETAIL_TYPICAL_RATE, retailScenario } from './scenarios/retail.ts'
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
 * demo and the simulator run when none is given, the pace at which the business's day has
 * believable figures (mock-feeds/README.md, "How big each business is": a retail chain of six
 * stores turns over about ¥2 million a day, not billions); above `max` the business would need
 * stock levels beyond what a movement may carry (LIMITS.qty). Load tests run far above `typical`
 * on purpose. A manufacturer posts far fewer documents than a retail chain: each of its sales
 * lines moves tens of units worth thousands of yuan.
 */
export const SCENARIO_RATES: Record<ScenarioName, { typical: number; max: number }> = {
  manufacturing: { typical: MANUFACTURING_TYPICAL_RATE, max: 50 },
  retail: { typical: RETAIL_TYPICAL_RATE, max: 20_000 },
  ecommerce: { typical: ECOMMERCE_TYPICAL_RATE, max: 20_000 },
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
