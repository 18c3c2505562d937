/**
 * `POST /movements` (under API_PREFIX) — the write path (docs/architecture.md "The write path"). The whole request is
 * validated before anything is applied; a JSON array is applied as one atomic batch, an NDJSON
 * body in atomic chunks of MAX_JSON_BATCH.
 *
 * NDJSON is read and validated as a stream (server/ingest/ndjson.ts): the body is never held as
 * one string, a body past the line or byte limit is refused with a 413 while it is still
 * arriving, and a 400 lists the first MAX_LISTED_REJECTIONS rejections with `rejectedCount`.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import Type from 'typebox'
import { IngestAccepted, IngestRejected, MAX_JSON_BATCH, MAX_NDJSON_BATCH } from '../../protocol/movement.ts'
import { readNdjsonMovements } from '../ingest/ndjson.ts'
import type { NdjsonBatch } from '../ingest/ndjson.ts'
import { RejectionList, summarizeRejections } from '../ingest/rejections.ts'
import { validateMovement } from '../ingest/validate.ts'
import type { NormalizedMovement } from '../ingest/validate.ts'
import { CockpitError, RejectedMovementsError } from '../errors.ts'

const ErrorBody = Type.Object({ error: Type.String(), message: Type.String() })

/** Largest JSON-array body: 5,000 movements at their longest fields, pretty-printed, fit in 16 MiB. */
const MAX_JSON_BODY_BYTES = 16 * 1024 * 1024

function isNdjsonBatch(body: unknown): body is NdjsonBatch {
  return body !== null && typeof body === 'object' && (body as NdjsonBatch).ndjson === true
}

/** 400 invalid_movements: the first rejections by index, and how many there were */
function refuse(reply: FastifyReply, lists: RejectionList[], total: number, message?: string) {
  const { rejected, rejectedCount } = summarizeRejections(lists)
  const listed = rejectedCount > rejected.length ? ` (the first ${rejected.length} are listed)` : ''
  return reply.status(400).send({
    error: 'invalid_movements',
    message: `${message ?? `${rejectedCount} of ${total} movements are invalid; nothing was applied`}${listed}`,
    rejected,
    rejectedCount,
  })
}

export async function ingestRoutes(fastify: FastifyInstance): Promise<void> {
  const { config, aggregator } = fastify
  const validateOptions = { baseCurrency: config.currency, foreignCurrencies: true }

  // The NDJSON parser lives in this plugin's scope with the ingest route: no other route reads
  // (and validates) NDJSON movements for nothing; they answer 415 to it.
  // no parseAs: the parser gets the request stream and enforces the body limit itself
  fastify.addContentTypeParser('application/x-ndjson', (request, payload, done) => {
    const length = Number(request.headers['content-length'])
    readNdjsonMovements(payload, {
      maxBytes: config.bodyLimit,
      maxLines: MAX_NDJSON_BATCH,
      ...(Number.isFinite(length) ? { contentLength: length } : {}),
      validate: validateOptions,
    }).then(
      (batch) => done(null, batch),
      (err: Error) => done(err, undefined),
    )
  })

  fastify.post(
    '/movements',
    {
      onRequest: fastify.requireRole('ingest'),
      // a JSON array is parsed in one step: 5,000 movements need a few MB, and a larger body would
      // hold the event loop while it parses (NDJSON streams and keeps COCKPIT_BODY_LIMIT itself)
      bodyLimit: Math.min(config.bodyLimit, MAX_JSON_BODY_BYTES),
      schema: {
        description: 'Ingest a batch of movements (JSON array ≤ 5000, or NDJSON ≤ 200,000 lines)',
        response: { 200: IngestAccepted, 400: Type.Union([IngestRejected, ErrorBody]), 401: ErrorBody, 413: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const body = request.body as unknown
      const invalid = (message: string) => reply.status(400).send({ error: 'invalid_movements', message, rejected: [], rejectedCount: 0 })
      let valid: NormalizedMovement[]
      let rejections: RejectionList
      let total: number
      if (Array.isArray(body)) {
        if (body.length > MAX_JSON_BATCH) {
          throw new CockpitError(
            'COCKPIT_ERR_BATCH_TOO_LARGE',
            `a JSON batch holds at most ${MAX_JSON_BATCH} movements (got ${body.length}); send larger loads as application/x-ndjson`,
          )
        }
        valid = []
        rejections = new RejectionList()
        const each = { ...validateOptions, now: Date.now() }
        const quick = { ...each, details: false }
        for (let i = 0; i < body.length; i++) {
          // past the listed rejections, only whether a movement is valid matters (validate.ts)
          const outcome = validateMovement(body[i], i, rejections.listing ? each : quick)
          if (outcome.ok) valid.push(outcome.movement)
          else rejections.add(outcome.rejected)
        }
        total = body.length
      } else if (isNdjsonBatch(body)) {
        // validated line by line while it arrived
        ;({ movements: valid, rejections, lines: total } = body)
      } else {
        return invalid('the body must be a JSON array of movements or NDJSON')
      }
      if (total === 0) return invalid('the batch is empty')

      // other currencies become the base currency at the rate of their date (server/ingest/currency.ts)
      const { movements, rejected: unconvertible } = await fastify.fxRates.convert(valid)
      const unconverted = new RejectionList()
      unconverted.addAll(unconvertible)
      if (rejections.count + unconverted.count > 0) return refuse(reply, [rejections, unconverted], total)
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
        const list = new RejectionList()
        list.addAll([...err.rejected].sort((a, b) => a.index - b.index))
        return refuse(reply, [list], total, err.message)
      }
    },
  )
}
