/** GET /healthz (process up) and GET /readyz (Redis reachable, scripts loaded) for load balancers. */
import fp from 'fastify-plugin'
import Type from 'typebox'

export const healthRoutes = fp(
  async (fastify) => {
    fastify.get('/healthz', { schema: { response: { 200: Type.Object({ ok: Type.Boolean() }) } } }, async () => ({ ok: true }))
    const Ready = Type.Object({ ready: Type.Boolean(), redis: Type.Boolean() })
    fastify.get('/readyz', { schema: { response: { 200: Ready, 503: Ready } } }, async (_req, reply) => {
      const redis = fastify.redisState.up
      const ready = redis && fastify.aggregator.ready
      return reply.status(ready ? 200 : 503).send({ ready, redis })
    })
  },
  { name: 'health', dependencies: ['redis', 'aggregate'] },
)
