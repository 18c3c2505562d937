/**
 * Every error the cockpit raises has a code and an HTTP status (fastify core's habit), so
 * routes, socket acks and logs all speak the same codes.
 */
import type { RejectedMovement } from '../protocol/movement.ts'

export const ERROR_CODES = {
  COCKPIT_ERR_CONFIG: 500,
  COCKPIT_ERR_UNAUTHORIZED: 401,
  COCKPIT_ERR_FORBIDDEN: 403,
  /** the request's `Origin` is neither the cockpit's own nor in COCKPIT_ALLOWED_ORIGINS */
  COCKPIT_ERR_ORIGIN: 403,
  /** signed in (session cookie) but the X-Cockpit-CSRF header is missing or wrong */
  COCKPIT_ERR_CSRF: 403,
  /** too many failed authentications from this client: wait for `Retry-After` */
  COCKPIT_ERR_RATE_LIMITED: 429,
  COCKPIT_ERR_INVALID_MOVEMENTS: 400,
  COCKPIT_ERR_BATCH_TOO_LARGE: 413,
  COCKPIT_ERR_INVALID_QUERY: 400,
  COCKPIT_ERR_INVALID_MASTER_DATA: 400,
  COCKPIT_ERR_INVALID_FX_RATES: 400,
  /** an uploaded import file whose format, mapping or header row cannot be read */
  COCKPIT_ERR_INVALID_IMPORT: 400,
  COCKPIT_ERR_UNSUPPORTED_QUERY: 400,
  /** the query's estimated cost (or its points, or the fields it read) is over the limit (server/query/cost.ts) */
  COCKPIT_ERR_QUERY_TOO_COSTLY: 400,
  /** the query ran longer than config.security.queryTimeoutMs and was stopped */
  COCKPIT_ERR_QUERY_TIMEOUT: 408,
  COCKPIT_ERR_REDIS_UNAVAILABLE: 503,
  /** the batch is applied on the Redis primary but fewer replicas than COCKPIT_REDIS_WAIT_REPLICAS confirmed it in time: retry (idempotent) */
  COCKPIT_ERR_NOT_REPLICATED: 503,
  COCKPIT_ERR_CONFLICT: 409,
  /** a batch would take a counter out of the int64 range Redis keeps: refused whole, nothing applied */
  COCKPIT_ERR_COUNTER_RANGE: 422,
  COCKPIT_ERR_NOT_FOUND: 404,
  COCKPIT_ERR_INVALID_SCREEN: 400,
  COCKPIT_ERR_SCREEN_NOT_FOUND: 404,
  COCKPIT_ERR_SCREEN_CONFLICT: 409,
  /** a new screen, alert rule or channel, or report subscription past the most a cockpit stores: delete one first */
  COCKPIT_ERR_LIMIT_REACHED: 409,
  /** the screen has no such version among the ones kept (docs/reports.md "Screen history") */
  COCKPIT_ERR_VERSION_NOT_FOUND: 404,
  /** the screen has no draft to read or publish */
  COCKPIT_ERR_DRAFT_NOT_FOUND: 404,
  /** a snapshot's size, language, format or widget is not one the cockpit renders */
  COCKPIT_ERR_INVALID_SNAPSHOT: 400,
  /** snapshots need Chromium on the server (Debian package `chromium`, or COCKPIT_CHROMIUM_PATH) */
  COCKPIT_ERR_CHROMIUM_MISSING: 501,
  /** the snapshot queue is full: retry after `Retry-After` */
  COCKPIT_ERR_RENDER_BUSY: 503,
  /** the snapshot did not render in time (COCKPIT_SNAPSHOT_TIMEOUT_MS) */
  COCKPIT_ERR_RENDER_TIMEOUT: 504,
  /** Chromium failed while rendering */
  COCKPIT_ERR_RENDER_FAILED: 500,
  /** a source definition (PUT /sources/:id, COCKPIT_SOURCES_FILE) that is not valid: `errors` name the fields */
  COCKPIT_ERR_INVALID_SOURCE: 400,
  COCKPIT_ERR_SOURCE_NOT_FOUND: 404,
  /** the source's stored version is not the one the edit was based on (If-Match / `version`) */
  COCKPIT_ERR_SOURCE_CONFLICT: 409,
  COCKPIT_ERR_INVALID_TOKEN_REQUEST: 400,
  /** an alert rule or channel body that does not validate: `errors` name the fields */
  COCKPIT_ERR_INVALID_ALERT: 400,
  COCKPIT_ERR_ALERT_NOT_FOUND: 404,
  /** a stale `PUT` of an alert rule or channel (its version moved on) */
  COCKPIT_ERR_ALERT_CONFLICT: 409,
  /** a channel's test message was not accepted by its platform (the message says why) */
  COCKPIT_ERR_DELIVERY_FAILED: 502,
  /** a report subscription body that does not validate: `errors` name the fields */
  COCKPIT_ERR_INVALID_REPORT: 400,
  COCKPIT_ERR_REPORT_NOT_FOUND: 404,
  /** a stale `PUT` of a report subscription (its version moved on) */
  COCKPIT_ERR_REPORT_CONFLICT: 409,
  COCKPIT_ERR_TOKENS_DISABLED: 501,
} as const
export type ErrorCode = keyof typeof ERROR_CODES

export interface FieldError {
  path: string
  message: string
  /** the widget instance id, for errors inside a screen's widget */
  widget?: string
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

/** Movements refused as a batch (400 `invalid_movements`): nothing of the batch was applied. */
export class RejectedMovementsError extends CockpitError {
  constructor(readonly rejected: RejectedMovement[]) {
    super('COCKPIT_ERR_INVALID_MOVEMENTS', `${rejected.length} movement(s) refused; nothing was applied`)
  }
}
