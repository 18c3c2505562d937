/**
 * Browser protections (docs/operations.md "Headers and origins"):
 * - security headers on every response, API and screen alike, through @fastify/helmet: a CSP
 *   without inline script, framing refused (`frame-ancestors 'none'`, `X-Frame-Options: DENY`)
 *   except for `/embed`, which the cockpit's own pages and COCKPIT_EMBED_ORIGINS may frame;
 *   `nosniff`; `Referrer-Policy: no-referrer` (an embed URL carries its token). No HSTS: the
 *   cockpit often runs on plain http in an intranet; HSTS belongs to the TLS proxy in front.
 * - `/api/*` refuses a request whose `Origin` is neither the cockpit's own nor in
 *   COCKPIT_ALLOWED_ORIGINS (403 COCKPIT_ERR_ORIGIN) and answers CORS only for the configured
 *   ones. Requests without `Origin` (ERP connectors, curl, scripts) pass.
 *
 * CORS is a dozen lines here rather than @fastify/cors: the rule "same origin, by the Host the
 * browser addressed, or configured" is originAllowed's (shared with Socket.IO), the refusal must
 * be our 403 before any route runs, and credentials are never allowed cross-origin — an
 * allowed origin's page authenticates with a bearer token, not the editor's cookie.
 */
import type { IncomingMessage } from 'node:http'
import fp from 'fastify-plugin'
import helmet from '@fastify/helmet'
import { CockpitError } from '../errors.ts'
import { normalizeOrigin, originAllowed } from '../auth/origin.ts'
import { SESSION_PATH } from './session.ts'

/** The page an intranet site may frame. */
function isEmbedPath(url: string): boolean {
  const path = url.split('?')[0] ?? ''
  return path === '/embed' || path.startsWith('/embed/')
}

/** Methods and request headers a configured origin may use (preflight answer). */
const CORS_METHODS = 'GET, POST, PUT, DELETE'
const CORS_HEADERS = 'authorization, content-type'
/** seconds a browser may cache a preflight answer */
const CORS_MAX_AGE = '600'

export const securityPlugin = fp(
  async (fastify) => {
    const { allowedOrigins, embedOrigins } = fastify.config.security
    // with none configured the cockpit's own pages may still frame /embed (previews, a portal on the same host)
    const embedAncestors = ["'self'", ...embedOrigins].join(' ')

    await fastify.register(helmet, {
      global: true,
      contentSecurityPolicy: {
        // helmet's defaults add `upgrade-insecure-requests`, which breaks a plain-http intranet cockpit
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          // the built screen has no inline script (Vite emits module files; checked by tests/e2e/security-headers.test.ts)
          scriptSrc: ["'self'"],
          scriptSrcAttr: ["'none'"],
          // Vue and ECharts write inline style attributes; the e2e test records what Chromium reports without this
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:', 'blob:'],
          fontSrc: ["'self'", 'data:'],
          // 'self' covers the same host's ws:/wss: (CSP3; Chromium honours it): Socket.IO needs nothing more
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: [(req: IncomingMessage) => (isEmbedPath(req.url ?? '') ? embedAncestors : "'none'")],
        },
      },
      // X-Frame-Options cannot list origins: DENY is set below everywhere but /embed, where frame-ancestors alone decides
      xFrameOptions: false,
      strictTransportSecurity: false,
      referrerPolicy: { policy: 'no-referrer' },
    })

    fastify.addHook('onRequest', async (request, reply) => {
      if (!isEmbedPath(request.url)) reply.header('X-Frame-Options', 'DENY')
      if (!request.url.startsWith('/api/')) return
      const origin = request.headers.origin
      reply.header('Vary', 'Origin')
      // the editor's session is for the cockpit's own pages: even COCKPIT_ALLOWED_ORIGINS may not sign in or read its CSRF token
      const session = (request.url.split('?')[0] ?? '') === SESSION_PATH
      if (!originAllowed({ origin, host: request.headers.host, allowed: session ? [] : allowedOrigins })) {
        const who = session ? "the editor's session is for the cockpit's own pages only" : "only the cockpit's own pages and COCKPIT_ALLOWED_ORIGINS may call the API"
        throw new CockpitError('COCKPIT_ERR_ORIGIN', `requests from the origin ${JSON.stringify(origin)} are not accepted: ${who}`)
      }
      const normal = origin ? normalizeOrigin(origin) : undefined
      if (session || normal === undefined || !allowedOrigins.includes(normal)) return
      reply.header('Access-Control-Allow-Origin', origin)
      if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
        reply.header('Access-Control-Allow-Methods', CORS_METHODS)
        reply.header('Access-Control-Allow-Headers', CORS_HEADERS)
        reply.header('Access-Control-Max-Age', CORS_MAX_AGE)
        return reply.status(204).send()
      }
    })
  },
  { name: 'security', dependencies: ['errors'] },
)
