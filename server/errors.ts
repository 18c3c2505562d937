/**
 * Every error the cockpit raises has a code and an HTTP status (fastify core's habit,
 * via @fastify/error), so routes, socket acks and logs all speak the same codes.
 */
import createError from '@fastify/error'

export const ERROR_CODES = {
  COCKPIT_ERR_CONFIG: 500,
  COCKPIT_ERR_UNAUTHORIZED: 401,
  COCKPIT_ERR_FORBIDDEN: 403,
  COCKPIT_ERR_INVALID_MOVEMENTS: 400,
  COCKPIT_ERR_BATCH_TOO_LARGE: 413,
  COCKPIT_ERR_INVALID_QUERY: 400,
  COCKPIT_ERR_INVALID_MASTER_DATA: 400,
  COCKPIT_ERR_UNSUPPORTED_QUERY: 400,
  COCKPIT_ERR_REDIS_UNAVAILABLE: 503,
  COCKPIT_ERR_CONFLICT: 409,
  COCKPIT_ERR_NOT_FOUND: 404,
} as const
export type ErrorCode = keyof typeof ERROR_CODES

export interface FieldError {
  path: string
  message: string
}

/** An error with a code, an HTTP status and optional field errors. */
export class CockpitError extends Error {
  override readonly name = 'CockpitError'
  readonly statusCode: number
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errors?: FieldError[],
  ) {
    super(message)
    this.statusCode = ERROR_CODES[code]
  }
}

/** Fastify-style error constructors for the few errors thrown from hooks. */
export const RedisUnavailableError = createError('COCKPIT_ERR_REDIS_UNAVAILABLE', 'Redis is unavailable: %s', 503)
