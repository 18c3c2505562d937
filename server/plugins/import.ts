/**
 * `POST /import/preview` and `POST /import` (under API_PREFIX, admin): a spreadsheet or movement
 * file uploaded as the body (.xlsx, CSV, NDJSON), read with the header mapping of
 * server/ingest/columns.ts. The preview applies nothing: the detected mapping, the first 20
 * rows as movements and the rejects with their reasons. The import applies the whole file, or
 * nothing when a row is refused, as `POST /movements` does with an NDJSON body.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import Type from 'typebox'
import { MAX_JSON_BATCH, MAX_NDJSON_BATCH, RejectedMovement } from '../../protocol/movement.ts'
import { CockpitError, RejectedMovementsError } from '../errors.ts'
import { checkMappingFile, MappingError } from '../ingest/columns.ts'
import type { MappingFile } from '../ingest/columns.ts'
import { readSheet, SheetError, sheetFormatOf } from '../ingest/spreadsheet.ts'
import type { ImportPreview, SheetFormat } from '../ingest/spreadsheet.ts'
import type { NormalizedMovement } from '../ingest/validate.ts'

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
const UPLOAD_TYPES = [XLSX_TYPE, 'text/csv', 'application/x-ndjson', 'application/octet-stream']

const ErrorBody = Type.Object({ error: Type.String(), message: Type.String() })
const Query = Type.Object({
  format: Type.Optional(
    Type.Union([Type.Literal('xlsx'), Type.Literal('csv'), Type.Literal('ndjson')], { description: 'the file format; default from filename, then Content-Type' }),
  ),
  filename: Type.Optional(Type.String({ maxLength: 255, description: 'the uploaded file name: its extension gives the format' })),
  mapping: Type.Optional(Type.String({ maxLength: 65_536, description: 'a mapping file as JSON: {"columns":{"header":"field"},"types":{"name":"type"}}' })),
})
const MappedColumn = Type.Object({ header: Type.String(), target: Type.Union([Type.String(), Type.Null()]), source: Type.Optional(Type.String()) })
const Mapping = Type.Union([Type.Null(), Type.Object({ mode: Type.String(), columns: Type.Array(MappedColumn), warnings: Type.Array(Type.String()) })])
const RowReject = Type.Intersect([RejectedMovement, Type.Object({ row: Type.Integer() })])
const Preview = Type.Object({
  format: Type.String(),
  mapping: Mapping,
  rows: Type.Array(Type.Object({ row: Type.Integer(), movement: Type.Record(Type.String(), Type.Unknown()) })),
  rejected: Type.Array(RowReject),
  total: Type.Integer(),
  valid: Type.Integer(),
  rejectedCount: Type.Integer(),
})
const Imported = Type.Object({ accepted: Type.Integer(), duplicates: Type.Integer(), rows: Type.Integer() })
const ImportRefused = Type.Object({
  error: Type.String(),
  message: Type.String(),
  rejected: Type.Array(Type.Union([RowReject, RejectedMovement])),
  rejectedCount: Type.Integer(),
})

type ImportRequest = FastifyRequest<{ Querystring: { format?: SheetFormat; filename?: string; mapping?: string } }>

export async function importRoutes(fastify: FastifyInstance): Promise<void> {
  const { config } = fastify
  // the file is the body, as bytes: each format is read by its own reader (an .xlsx streams from a zip)
  fastify.addContentTypeParser(UPLOAD_TYPES, { parseAs: 'buffer', bodyLimit: config.bodyLimit }, (_req, body, done) => done(null, body))

  /** reads the uploaded file; `collect` gets each valid movement */
  async function read(request: ImportRequest, collect?: (m: NormalizedMovement) => void): Promise<ImportPreview> {
    const body = request.body as unknown
    if (!Buffer.isBuffer(body) || body.length === 0)
      throw new CockpitError('COCKPIT_ERR_INVALID_IMPORT', 'the body must be the file (.xlsx, CSV or NDJSON), sent as its own content type or application/octet-stream')
    const format = request.query.format ?? sheetFormatOf(request.query.filename, request.headers['content-type'])
    if (!format) throw new CockpitError('COCKPIT_ERR_INVALID_IMPORT', 'format: give ?format=xlsx|csv|ndjson, a ?filename= with its extension, or the content type of the file')
    let mapping: MappingFile | undefined
    if (request.query.mapping !== undefined) {
      try {
        mapping = checkMappingFile(JSON.parse(request.query.mapping))
      } catch (err) {
        throw new CockpitError('COCKPIT_ERR_INVALID_IMPORT', `mapping: ${(err as Error).message}`)
      }
    }
    try {
      return await readSheet(format, body, {
        calendar: fastify.aggregator.calendar,
        validate: { baseCurrency: config.currency, foreignCurrencies: true },
        ...(mapping ? { mapping } : {}),
        limit: 20,
        maxRows: MAX_NDJSON_BATCH,
        ...(collect ? { onMovement: collect } : {}),
      })
    } catch (err) {
      if (err instanceof SheetError) throw new CockpitError(err.tooLarge ? 'COCKPIT_ERR_BATCH_TOO_LARGE' : 'COCKPIT_ERR_INVALID_IMPORT', err.message)
      if (err instanceof MappingError) throw new CockpitError('COCKPIT_ERR_INVALID_IMPORT', err.message)
      // an .xlsx that is no zip, a CSV with an unclosed quote
      throw new CockpitError('COCKPIT_ERR_INVALID_IMPORT', `the ${format} file cannot be read: ${(err as Error).message}`)
    }
  }

  /** the preview as sent: the mapping without the (long, constant) table of type names */
  const shown = (p: ImportPreview) => ({ ...p, mapping: p.mapping && { mode: p.mapping.mode, columns: p.mapping.columns, warnings: p.mapping.warnings } })

  fastify.post(
    '/import/preview',
    {
      onRequest: fastify.requireRole('admin'),
      schema: {
        description: 'What importing this file would apply: the column mapping, the first 20 rows as movements, the rejects with reasons; nothing is applied',
        querystring: Query,
        response: { 200: Preview, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 413: ErrorBody, 415: ErrorBody },
      },
    },
    async (request) => shown(await read(request as ImportRequest)),
  )

  fastify.post(
    '/import',
    {
      onRequest: fastify.requireRole('admin'),
      schema: {
        description: 'Import a file (.xlsx, CSV, NDJSON ≤ 200,000 rows): applied whole, or nothing when a row is refused',
        querystring: Query,
        response: { 200: Imported, 400: Type.Union([ImportRefused, ErrorBody]), 401: ErrorBody, 403: ErrorBody, 413: ErrorBody, 415: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const valid: NormalizedMovement[] = []
      const p = await read(request as ImportRequest, (m) => valid.push(m))
      const refuse = (message: string, rejected: unknown[], count: number) => reply.status(400).send({ error: 'invalid_movements', message, rejected, rejectedCount: count })
      if (p.total === 0) throw new CockpitError('COCKPIT_ERR_INVALID_IMPORT', 'the file has no rows to import')
      if (p.rejectedCount > 0) return refuse(`${p.rejectedCount} of ${p.total} rows are invalid; nothing was applied`, p.rejected, p.rejectedCount)
      const { movements, rejected } = await fastify.fxRates.convert(valid)
      if (rejected.length > 0) return refuse(`${rejected.length} of ${p.total} rows have no exchange rate; nothing was applied`, rejected.slice(0, 20), rejected.length)
      if (!fastify.redisState.up) throw new CockpitError('COCKPIT_ERR_REDIS_UNAVAILABLE', 'Redis is unavailable; nothing was applied, retry later')
      try {
        if (movements.length > MAX_JSON_BATCH) await fastify.aggregator.check(movements)
        let accepted = 0
        let duplicates = 0
        for (let i = 0; i < movements.length; i += MAX_JSON_BATCH) {
          const r = await fastify.aggregator.apply(movements.slice(i, i + MAX_JSON_BATCH))
          accepted += r.accepted
          duplicates += r.duplicates
        }
        return { accepted, duplicates, rows: p.total }
      } catch (err) {
        if (!(err instanceof RejectedMovementsError)) throw err
        return refuse(err.message, err.rejected.slice(0, 20), err.rejected.length)
      }
    },
  )
}
