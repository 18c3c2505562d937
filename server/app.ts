/**
 * buildApp: the whole server as one Fastify instance, plugins registered in an explicit
 * order (external → services → routes) so the flow ingest → aggregate → publish → realtime
 * reads top to bottom. Services are fastify-plugin plugins (their decorators and hooks reach the
 * whole app); route plugins are encapsulated, the API's under API_PREFIX (docs/architecture.md).
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { stdSerializers } from 'pino'
import type { DestinationStream, LoggerOptions } from 'pino'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { API_PREFIX } from '../protocol/api.ts'
import type { CockpitConfig } from './config.ts'
import { redisPlugin } from './plugins/redis.ts'
import { changesPlugin } from './plugins/changes.ts'
import { errorsPlugin } from './plugins/errors.ts'
import { authPlugin } from './plugins/auth.ts'
import { masterDataPlugin, masterDataRoutes } from './plugins/master-data.ts'
import { aggregatePlugin } from './plugins/aggregate.ts'
import { fxRatesPlugin, fxRatesRoutes } from './plugins/fx-rates.ts'
import { ingestRoutes } from './plugins/ingest.ts'
import { intakePlugin, intakeRoutes } from './plugins/intake.ts'
import { importRoutes } from './plugins/import.ts'
import { queryPlugin, queryRoutes } from './plugins/query.ts'
import { healthRoutes } from './plugins/health.ts'
import { realtimePlugin } from './plugins/realtime.ts'
import { screenStatic } from './plugins/screen-static.ts'
import { tokensRoutes } from './plugins/tokens.ts'
import { screensPlugin, screensRoutes } from './plugins/screens.ts'
import { wallsRoutes } from './plugins/walls.ts'
import { reportsPlugin, reportsRoutes } from './plugins/reports.ts'
import { securityPlugin } from './plugins/security.ts'
import { proxyTrust } from './auth/address.ts'
import { sessionPlugin, sessionRoutes } from './plugins/session.ts'
import { alertsPlugin, alertsRoutes } from './plugins/alerts.ts'
import { reportSubscriptionsPlugin, reportSubscriptionsRoutes } from './plugins/report-subscriptions.ts'
import { sourcesPlugin, sourcesRoutes } from './plugins/sources.ts'
import { sourceHealthPlugin } from './plugins/source-health.ts'

/** pino options, with `stream` as the destination (tests capture the log this way) */
export type AppLoggerOptions = LoggerOptions & { stream?: DestinationStream }

export interface BuildAppOptions {
  config: CockpitConfig
  /** false for no log, or pino options merged over the defaults (redaction stays on) @default { level: config.logLevel } */
  logger?: boolean | AppLoggerOptions
}

/** Query parameters whose values are secrets: `token`, `key`, `adminKey`, `api_key`, `secret`, `password`… */
const SECRET_PARAM = /([?&][^=&#]*(?:token|key|secret|password)[^=&#]*=)[^&#]*/gi

/** `url` with the value of every secret-looking query parameter replaced by `[REDACTED]`. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAM, '$1[REDACTED]')
}

/**
 * Log options that keep keys and tokens out of the log (docs/operations.md "Sign-in and throttling"): headers that carry them are
 * redacted wherever a request or response is logged with its headers, and URLs lose their
 * `?token=` (an embed page's URL carries its token) in the request line and in any message.
 */
export function redactingLogOptions(level: string): LoggerOptions {
  return {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-cockpit-csrf"]', 'res.headers["set-cookie"]', 'headers.authorization', 'headers.cookie'],
      censor: '[REDACTED]',
    },
    serializers: {
      // Fastify's own request serializer, with the URL redacted
      req: (req: { method?: string; url?: string; host?: string; ip?: string; socket?: { remotePort?: number } }) => ({
        method: req.method,
        url: typeof req.url === 'string' ? redactUrl(req.url) : req.url,
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
      // pino's error serializer; some errors quote the URL (FST_ERR_REP_ALREADY_SENT)
      err: (err: Error) => {
        const out = stdSerializers.err(err)
        out.message = redactUrl(out.message)
        if (typeof out.stack === 'string') out.stack = redactUrl(out.stack)
        return out
      },
    },
    hooks: {
      // messages that quote a URL (Fastify's "Route GET:/embed?token=… not found")
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? redactUrl(a) : a)) as Parameters<typeof method>)
      },
    },
  }
}

function loggerOptions(logger: BuildAppOptions['logger'], level: string): FastifyServerOptions['logger'] {
  if (logger === false) return false
  const base = redactingLogOptions(level)
  if (logger === undefined || logger === true) return base
  return { ...base, ...logger, serializers: { ...base.serializers, ...logger.serializers } }
}

export async function buildApp({ config, logger }: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(logger, config.logLevel),
    // behind a reverse proxy: client IPs (throttling) and https (Secure cookies) from X-Forwarded-*
    trustProxy: config.security.trustProxy === false ? false : proxyTrust(config.security.trustProxy),
    bodyLimit: config.bodyLimit,
    // graceful shutdown: refuse new requests, let in-flight batches finish
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<TypeBoxTypeProvider>()

  // external services
  await app.register(redisPlugin, { config })
  await app.register(changesPlugin)
  await app.register(errorsPlugin)
  // headers and the origin check come first: they apply to every response, refusals included
  await app.register(securityPlugin)
  // app services
  await app.register(sessionPlugin)
  await app.register(authPlugin)
  await app.register(masterDataPlugin)
  await app.register(aggregatePlugin)
  await app.register(fxRatesPlugin)
  await app.register(queryPlugin)
  // the message-bus intake (COCKPIT_NATS_URL): movements pulled from NATS JetStream
  await app.register(intakePlugin)
  // the socket gateway; screens announce their changes through it
  await app.register(realtimePlugin)
  await app.register(screensPlugin)
  await app.register(reportsPlugin)
  await app.register(alertsPlugin)
  await app.register(reportSubscriptionsPlugin)
  // database sources: their runners apply through the aggregator (COCKPIT_SOURCES)
  await app.register(sourcesPlugin)
  await app.register(sourceHealthPlugin)
  // routes, each in its own scope: they see the services above and add nothing to them
  await app.register(healthRoutes)
  await app.register(apiRoutes, { prefix: API_PREFIX })
  // the built screen, and the 404 answer of every path (API ones included)
  await app.register(screenStatic)
  return app
}

/**
 * The HTTP API, registered under API_PREFIX. Each route plugin is encapsulated: a content-type
 * parser or hook one of them adds stays with its own routes. What every route needs (error
 * shape, security headers, origin check, auth decorators, cookies) comes from the fastify-plugin
 * services registered on the root before this.
 */
async function apiRoutes(api: FastifyInstance): Promise<void> {
  await api.register(sessionRoutes)
  await api.register(ingestRoutes)
  await api.register(intakeRoutes)
  await api.register(importRoutes)
  await api.register(queryRoutes)
  await api.register(masterDataRoutes)
  await api.register(fxRatesRoutes)
  await api.register(tokensRoutes)
  await api.register(screensRoutes)
  await api.register(wallsRoutes)
  await api.register(reportsRoutes)
  await api.register(alertsRoutes)
  await api.register(reportSubscriptionsRoutes)
  await api.register(sourcesRoutes)
}
