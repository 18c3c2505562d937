/**
 * Exchange rates (docs/api.md "Exchange rates": "a movement in another currency is converted at ingest with the
 * configured rate for its date"). A record says: from business date `from` on, until the next
 * record of the same currency, 1 unit of `currency` is worth `rate` units of the base currency.
 */
import Type from 'typebox'
import type { Static } from 'typebox'

/** Bounds that keep converted figures inside exact integer arithmetic. */
export const FX_LIMITS = {
  /** largest rate accepted (1 unit of a currency in base units) */
  rate: 1e5,
  /** decimals a rate keeps (1e-10) */
  rateDecimals: 10,
} as const

/** Largest number of records one PUT /api/v1/fx-rates takes. */
export const MAX_FX_BATCH = 10_000

export const FxRate = Type.Object(
  {
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code of the foreign currency' }),
    from: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'first business date (YYYY-MM-DD, business time zone) the rate applies to' }),
    rate: Type.Number({ exclusiveMinimum: 0, maximum: FX_LIMITS.rate, description: 'base-currency units per 1 unit of currency, ≤ 10 decimals' }),
  },
  { additionalProperties: false },
)
export type FxRate = Static<typeof FxRate>

export const FxRatesUpserted = Type.Object({ upserted: Type.Integer() })
export type FxRatesUpserted = Static<typeof FxRatesUpserted>
