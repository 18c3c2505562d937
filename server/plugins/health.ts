/**
 * GET /healthz (process up) and GET /readyz for load balancers: ready once Redis is reachable,
 * the scripts are loaded and the template screens are seeded, so a wall sent here right after
 * never lists an empty cockpit.
 */
import type { FastifyInstance } from 'fastify'
import Type from 'typebox'

export async function healthRoutes(fastify: FastifyInstance): Promise<void> {
  // pid: which server process answered (with COCKPIT_WORKERS several share the port)
  const Health = Type.Object({ ok: Type.Boolean(), pid: Type.Integer() })
  fastify.get('/healthz', { schema: { response: { 200: Health } } }, async () => ({ ok: true, pid: process.pid }))
  const Ready = Type.Object({ ready: Type.Boolean(), redis: Type.Boolean() })
  fastify.get('/readyz', { schema: { response: { 200: Ready, 503: Ready } } }, async (_req, reply) => {
    const redis = fastify.redisState.up
    const ready = redis && fastify.aggregator.ready && fastify.screens.seeded
    return reply.status(ready ? 200 : 503).send({ ready, redis })
  })
}
