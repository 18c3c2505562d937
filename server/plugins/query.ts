/**
 * The query engine as a Fastify service (`queryEngine`), and `POST /query` (under API_PREFIX),
 * which also answers the result as a CSV or .xlsx file (`?format=csv|xlsx&lang=zh|en`).
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import Type from 'typebox'
import { createQueryEngine } from '../query/engine.ts'
import type { QueryEngine } from '../query/engine.ts'
import { QueryError } from '../../protocol/query.ts'
import { assertMayRead } from '../auth/scope.ts'
import { CockpitError } from '../errors.ts'
import { exportLocale, resultTable } from '../reports/export-table.ts'
import { EXPORT_CONTENT_TYPES, EXPORT_FORMATS, toCsv, toXlsx } from '../reports/export-files.ts'
import type { ExportFormat } from '../reports/export-files.ts'

const ABOUT_SHEET = { 'zh-CN': '说明', en: 'About' } as const

declare module 'fastify' {
  interface FastifyInstance {
    queryEngine: QueryEngine
  }
}

export const queryPlugin = fp(
  async (fastify) => {
    const engine = createQueryEngine({
      redis: fastify.redis,
      keys: fastify.keys,
      calendar: fastify.aggregator.calendar,
      masterData: fastify.masterData,
      currency: fastify.config.currency,
      money: fastify.config.money,
      retention: fastify.config.retention,
      limits: { maxCost: fastify.config.security.queryMaxCost, timeoutMs: fastify.config.security.queryTimeoutMs },
    })
    fastify.decorate('queryEngine', engine)
  },
  { name: 'query', dependencies: ['redis', 'aggregate', 'master-data'] },
)

/** `POST /query` (under API_PREFIX): one query object, evaluated now. */
export async function queryRoutes(fastify: FastifyInstance): Promise<void> {
  const engine = fastify.queryEngine
  fastify.post(
    '/query',
    {
      // embed tokens too: their scope and widget are checked against the query below
      onRequest: fastify.requireRole('viewer', { embed: true }),
      schema: {
        description: 'Evaluate one query object (docs/api.md#post-apiv1query)',
        body: Type.Unknown(),
        querystring: Type.Object({
          format: Type.Optional(Type.String({ description: 'json (default), csv or xlsx: the result as a file' })),
          lang: Type.Optional(Type.String({ description: "zh (default) or en: the language of a file's headers" })),
        }),
        // 400 also when the query costs too much (COCKPIT_ERR_QUERY_TOO_COSTLY), 408 when it runs too long
        response: { 400: QueryError, 401: QueryError, 403: QueryError, 408: QueryError, 503: QueryError },
      },
    },
    async (request, reply) => {
      const { format, lang } = request.query as { format?: string; lang?: string }
      // the file options are checked before any work: a typo is a 400, not a JSON answer
      if (format !== undefined && format !== 'json' && !(EXPORT_FORMATS as readonly string[]).includes(format)) {
        throw new CockpitError('COCKPIT_ERR_INVALID_QUERY', `format must be json, csv or xlsx, got "${format}"`, [{ path: 'format', message: 'must be json, csv or xlsx' }])
      }
      const locale = exportLocale(lang)
      if (!locale) throw new CockpitError('COCKPIT_ERR_INVALID_QUERY', `lang must be zh or en, got "${lang}"`, [{ path: 'lang', message: 'must be zh or en' }])
      const query = engine.parse(request.body)
      if (request.principal) assertMayRead(request.principal, query, { parseQuery: engine.parse, key: engine.key })
      const result = await engine.run(query)
      if (format === undefined || format === 'json') return result
      const table = resultTable(result, locale)
      const decimals = fastify.config.money.decimals
      const file: ExportFormat = format as ExportFormat
      const body = file === 'csv' ? toCsv(table, decimals) : await toXlsx(table, ABOUT_SHEET[locale], decimals)
      const name = `${result.metric}-${result.asOf.slice(0, 10)}.${file}`
      return reply.header('Content-Type', EXPORT_CONTENT_TYPES[file]).header('Content-Disposition', `attachment; filename="${name}"`).header('Cache-Control', 'no-store').send(body)
    },
  )
}
