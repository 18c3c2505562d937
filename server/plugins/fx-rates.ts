/**
 * Exchange rates by date, kept in Redis so every server process converts with the same rates:
 * `PUT/GET /fx-rates`, `DELETE /fx-rates/:currency/:from` (under API_PREFIX), seeded from
 * COCKPIT_FX_RATES, and `fxRates.convert(batch)` for the ingest route.
 *
 * Each process caches the table and checks a version counter (one GET) before converting a
 * batch that holds a foreign currency, so a rate written through any process is used by all at
 * once; batches in the base currency never touch this.
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import Type from 'typebox'
import { FxRate, FxRatesUpserted, MAX_FX_BATCH } from '../../protocol/fx.ts'
import type { NormalizedMovement } from '../ingest/validate.ts'
import { buildRateTable, convertBatch, foreignCurrencies, rateOut, validateRates } from '../ingest/currency.ts'
import type { BatchConversion, RateTable, ScaledRate } from '../ingest/currency.ts'
import { createCalendar } from '../domain/time.ts'
import { CockpitError } from '../errors.ts'

export interface FxRates {
  /** every stored rate, by currency then date */
  list(currency?: string): Promise<FxRate[]>
  /** validates and upserts records by (currency, from); throws COCKPIT_ERR_INVALID_FX_RATES, nothing written */
  upsert(records: readonly unknown[]): Promise<number>
  /** deletes one record; false when there was none */
  remove(currency: string, from: string): Promise<boolean>
  /** converts the batch's movements in other currencies; reads Redis only when there are some */
  convert(movements: NormalizedMovement[]): Promise<BatchConversion>
}

declare module 'fastify' {
  interface FastifyInstance {
    fxRates: FxRates
  }
}

const ErrorBody = Type.Object({
  error: Type.String(),
  message: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
})

const field = (currency: string, from: string) => `${currency}|${from}`

export const fxRatesPlugin = fp(
  async (fastify) => {
    const { redis, keys, config } = fastify
    const calendar = createCalendar(config.timeZone)
    let cache: { version: string | null; table: RateTable } = { version: null, table: new Map() }

    async function readAll(): Promise<ScaledRate[]> {
      const raw = await redis.hgetall(keys.fxRates)
      return Object.entries(raw).map(([f, rate]) => {
        const [currency = '', from = ''] = f.split('|')
        return { currency, from, rate: Number(rate) }
      })
    }

    async function table(): Promise<RateTable> {
      const version = await redis.get(keys.fxVersion)
      if (version !== cache.version || cache.version === null) {
        // read the version first: a write landing in between makes the next batch reload again
        cache = { version, table: buildRateTable(await readAll()) }
      }
      return cache.table
    }

    async function seed(): Promise<void> {
      if (config.fxRates.length === 0) return
      // configuration seeds: a record an administrator changed since is left as they set it
      const tx = redis.multi()
      for (const r of config.fxRates) tx.hsetnx(keys.fxRates, field(r.currency, r.from), String(r.rate))
      tx.incr(keys.fxVersion)
      await tx.exec()
    }
    const seedQuietly = () => seed().catch((err: unknown) => fastify.log.warn({ err }, 'exchange rates from COCKPIT_FX_RATES not seeded; retried on reconnect'))
    fastify.redisState.on('change', (up) => {
      if (up) void seedQuietly()
    })
    if (fastify.redisState.up) await seedQuietly()

    const service: FxRates = {
      async list(currency) {
        const all = buildRateTable(await readAll())
        const out: FxRate[] = []
        for (const c of [...all.keys()].sort()) {
          if (currency !== undefined && c !== currency) continue
          for (const r of all.get(c)!) out.push({ currency: c, from: r.from, rate: rateOut(r.rate) })
        }
        return out
      },
      async upsert(records) {
        const { rates, errors } = validateRates(records, config.currency)
        if (errors.length > 0) throw new CockpitError('COCKPIT_ERR_INVALID_FX_RATES', `${errors.length} error(s) in the exchange rates; nothing was written`, errors)
        if (rates.length === 0) return 0
        const fields: string[] = []
        for (const r of rates) fields.push(field(r.currency, r.from), String(r.rate))
        await redis
          .multi()
          .hset(keys.fxRates, ...fields)
          .incr(keys.fxVersion)
          .exec()
        return rates.length
      },
      async remove(currency, from) {
        const res = await redis.multi().hdel(keys.fxRates, field(currency, from)).incr(keys.fxVersion).exec()
        return res?.[0]?.[1] === 1
      },
      async convert(movements) {
        if (foreignCurrencies(movements, config.currency).size === 0) return { movements, rejected: [] }
        if (!fastify.redisState.up) throw new CockpitError('COCKPIT_ERR_REDIS_UNAVAILABLE', 'Redis is unavailable; nothing was applied, retry later')
        return convertBatch(movements, await table(), { baseCurrency: config.currency, calendar, money: config.money })
      },
    }
    fastify.decorate('fxRates', service)
  },
  { name: 'fx-rates', dependencies: ['redis'] },
)

/** `PUT/GET /fx-rates` and `DELETE /fx-rates/:currency/:from` (under API_PREFIX). */
export async function fxRatesRoutes(fastify: FastifyInstance): Promise<void> {
  const { fxRates } = fastify
  fastify.put(
    '/fx-rates',
    {
      onRequest: fastify.requireRole('admin'),
      schema: {
        description: 'Upsert exchange rates by (currency, from)',
        body: Type.Array(Type.Unknown(), { maxItems: MAX_FX_BATCH }),
        response: { 200: FxRatesUpserted, 400: ErrorBody, 401: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => ({ upserted: await fxRates.upsert(request.body as unknown[]) }),
  )
  fastify.get(
    '/fx-rates',
    {
      onRequest: fastify.requireRole('viewer'),
      schema: {
        description: 'Stored exchange rates, by currency then date',
        querystring: Type.Object({ currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })) }, { additionalProperties: false }),
        response: { 200: Type.Array(FxRate), 400: ErrorBody, 401: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => fxRates.list((request.query as { currency?: string }).currency),
  )
  fastify.delete(
    '/fx-rates/:currency/:from',
    {
      onRequest: fastify.requireRole('admin'),
      schema: {
        description: 'Delete one exchange-rate record',
        params: Type.Object({ currency: FxRate.properties.currency, from: FxRate.properties.from }),
        response: { 204: Type.Null(), 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { currency, from } = request.params as { currency: string; from: string }
      if (!(await fxRates.remove(currency, from))) throw new CockpitError('COCKPIT_ERR_NOT_FOUND', `no exchange rate ${currency} from ${from}`)
      return reply.status(204).send()
    },
  )
}
