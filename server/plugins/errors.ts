/**
 * One error shape for every route: `{error, message, errors?}` with the status of the code.
 * Redis connection failures become 503 + Retry-After (nothing was applied, or a retry is safe).
 */
import fp from 'fastify-plugin'
import { CockpitError } from '../errors.ts'

/** True for errors meaning "Redis cannot be reached now" (as opposed to a bug in a command). */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  if (err.name === 'ReplyError') return /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)/.test(err.message)
  return (
    /Connection is closed|enableOfflineQueue|Stream isn't writeable|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Command timed out|max retries per request/i.test(err.message) ||
    err.name === 'MaxRetriesPerRequestError'
  )
}

export function toCockpitError(err: unknown): CockpitError | undefined {
  if (err instanceof CockpitError) return err
  if (isRedisUnavailable(err)) return new CockpitError('COCKPIT_ERR_REDIS_UNAVAILABLE', 'Redis is unavailable; nothing was applied, retry later')
  return undefined
}

export const errorsPlugin = fp(
  async (fastify) => {
    fastify.setErrorHandler((err, request, reply) => {
      const known = toCockpitError(err)
      if (known) {
        // a route that knows better (a full snapshot queue) sets its own Retry-After before throwing
        if (known.statusCode === 503 && !reply.hasHeader('Retry-After')) reply.header('Retry-After', '1')
        // a query stopped at its time limit (408) is worth an operator's look, like a 5xx
        if (known.statusCode >= 500 || known.code === 'COCKPIT_ERR_QUERY_TIMEOUT') request.log.warn({ err }, known.message)
        return reply.status(known.statusCode).send({ error: known.code, message: known.message, ...(known.errors ? { errors: known.errors } : {}) })
      }
      const e = err as { statusCode?: number; code?: string; message: string; validation?: unknown }
      // Fastify's own 4xx (body too large, bad JSON, unsupported media type, schema validation)
      if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
        return reply.status(e.statusCode).send({ error: e.code ?? 'COCKPIT_ERR_BAD_REQUEST', message: e.message })
      }
      request.log.error({ err }, 'unexpected error')
      return reply.status(500).send({ error: 'COCKPIT_ERR_INTERNAL', message: 'internal error' })
    })
  },
  { name: 'errors' },
)
