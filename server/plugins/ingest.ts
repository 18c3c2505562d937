/**
 * POST /api/v1/movements — the write path (design §4). The whole request is validated before
 * anything is applied; a JSON array is applied as one atomic batch, an NDJSON body in atomic
 * chunks of MAX_JSON_BATCH.
 */
import fp from 'fastify-plugin'
import Type from 'typebox'
import { IngestAccepted, IngestRejected, MAX_JSON_BATCH, MAX_NDJSON_BATCH } from '../../protocol/movement.ts'
import type { RejectedMovement } from '../../protocol/movement.ts'
import { validateBatch } from '../ingest/validate.ts'
import { CockpitError, RejectedMovementsError } from '../errors.ts'

const ErrorBody = Type.Object({ error: Type.String(), message: Type.String() })

/** Parsed NDJSON body: one entry per non-blank line; lines that are not JSON become rejections. */
interface NdjsonBody {
  ndjson: true
  items: unknown[]
  /** line index (0-based) of each item */
  lines: number[]
  broken: RejectedMovement[]
}

export function parseNdjson(text: string): NdjsonBody {
  const items: unknown[] = []
  const lines: number[] = []
  const broken: RejectedMovement[] = []
  let line = 0
  for (const raw of text.split('\n')) {
    const s = raw.trim()
    if (s !== '') {
      try {
        items.push(JSON.parse(s))
        lines.push(line)
      } catch (err) {
        broken.push({ index: line, id: null, errors: [{ path: '/', message: `not valid JSON: ${(err as Error).message}` }] })
      }
    }
    line++
  }
  return { ndjson: true, items, lines, broken }
}

export const ingestRoutes = fp(
  async (fastify) => {
    const { config, aggregator } = fastify

    fastify.addContentTypeParser('application/x-ndjson', { parseAs: 'string', bodyLimit: config.bodyLimit }, (_req, body, done) => {
      done(null, parseNdjson(body as string))
    })

    fastify.post(
      '/api/v1/movements',
      {
        onRequest: fastify.requireRole('ingest'),
        schema: {
          description: 'Ingest a batch of movements (JSON array ≤ 5000, or NDJSON)',
          response: { 200: IngestAccepted, 400: Type.Union([IngestRejected, ErrorBody]), 401: ErrorBody, 413: ErrorBody, 503: ErrorBody },
        },
      },
      async (request, reply) => {
        const body = request.body as unknown
        let items: unknown[]
        let lines: number[] | undefined
        let broken: RejectedMovement[] = []
        if (Array.isArray(body)) {
          if (body.length > MAX_JSON_BATCH) {
            throw new CockpitError('COCKPIT_ERR_BATCH_TOO_LARGE', `a JSON batch holds at most ${MAX_JSON_BATCH} movements (got ${body.length}); send larger loads as application/x-ndjson`)
          }
          items = body
        } else if (body !== null && typeof body === 'object' && (body as NdjsonBody).ndjson === true) {
          ;({ items, lines, broken } = body as NdjsonBody)
          if (items.length + broken.length > MAX_NDJSON_BATCH) {
            throw new CockpitError('COCKPIT_ERR_BATCH_TOO_LARGE', `an NDJSON body holds at most ${MAX_NDJSON_BATCH} movements`)
          }
        } else {
          return reply.status(400).send({ error: 'invalid_movements', message: 'the body must be a JSON array of movements or NDJSON', rejected: [] })
        }
        if (items.length === 0 && broken.length === 0) {
          return reply.status(400).send({ error: 'invalid_movements', message: 'the batch is empty', rejected: [] })
        }

        const { movements: valid, rejected } = validateBatch(items, { baseCurrency: config.currency, foreignCurrencies: true })
        if (lines) {
          for (const r of rejected) r.index = lines[r.index]!
          for (const n of valid) n.index = lines[n.index]!
        }
        // other currencies become the base currency at the rate of their date (server/ingest/currency.ts)
        const { movements, rejected: unconvertible } = await fastify.fxRates.convert(valid)
        const allRejected = [...broken, ...rejected, ...unconvertible].sort((a, b) => a.index - b.index)
        if (allRejected.length > 0) {
          return reply.status(400).send({
            error: 'invalid_movements',
            message: `${allRejected.length} of ${items.length + broken.length} movements are invalid; nothing was applied`,
            rejected: allRejected,
          })
        }
        if (!fastify.redisState.up) throw new CockpitError('COCKPIT_ERR_REDIS_UNAVAILABLE', 'Redis is unavailable; nothing was applied, retry later')

        try {
          if (movements.length > MAX_JSON_BATCH) await aggregator.check(movements)
          let accepted = 0
          let duplicates = 0
          for (let i = 0; i < movements.length; i += MAX_JSON_BATCH) {
            const r = await aggregator.apply(movements.slice(i, i + MAX_JSON_BATCH))
            accepted += r.accepted
            duplicates += r.duplicates
          }
          return { accepted, duplicates }
        } catch (err) {
          if (!(err instanceof RejectedMovementsError)) throw err
          return reply.status(400).send({ error: 'invalid_movements', message: err.message, rejected: err.rejected })
        }
      },
    )
  },
  { name: 'ingest', dependencies: ['aggregate', 'auth', 'fx-rates'] },
)
