/** The query engine as a Fastify service (`queryEngine`), and `POST /query` (under API_PREFIX). */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import Type from 'typebox'
import { createQueryEngine } from '../query/engine.ts'
import type { QueryEngine } from '../query/engine.ts'
import { QueryError } from '../../protocol/query.ts'
import { assertMayRead } from '../auth/scope.ts'

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
        // 400 also when the query costs too much (COCKPIT_ERR_QUERY_TOO_COSTLY), 408 when it runs too long
        response: { 400: QueryError, 401: QueryError, 403: QueryError, 408: QueryError, 503: QueryError },
      },
    },
    async (request) => {
      const query = engine.parse(request.body)
      if (request.principal) assertMayRead(request.principal, query, { parseQuery: engine.parse, key: engine.key })
      return engine.run(query)
    },
  )
}
