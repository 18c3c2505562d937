/** The query engine as a Fastify service, and POST /api/v1/query. */
import fp from 'fastify-plugin'
import Type from 'typebox'
import { createQueryEngine } from '../query/engine.ts'
import type { QueryEngine } from '../query/engine.ts'
import { QueryError } from '../../protocol/query.ts'

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
      retention: fastify.config.retention,
    })
    fastify.decorate('queryEngine', engine)
    fastify.post(
      '/api/v1/query',
      {
        onRequest: fastify.requireRole('viewer'),
        schema: {
          description: 'Evaluate one query object (docs/api.md#post-apiv1query)',
          body: Type.Unknown(),
          response: { 400: QueryError, 401: QueryError, 503: QueryError },
        },
      },
      async (request) => engine.run(engine.parse(request.body)),
    )
  },
  { name: 'query', dependencies: ['redis', 'aggregate', 'master-data', 'auth'] },
)
