/**
 * Browser protections (docs/operations.md "Headers and origins"):
 * - security headers on every response, API and screen alike, as @fastify/helmet writes them
 *   (computed once at start for `/embed` and for the rest, then set by one hook): a CSP
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
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import helmet from '@fastify/helmet'
import type { FastifyHelmetOptions } from '@fastify/helmet'
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

/**
 * @fastify/helmet's options for the cockpit, with `frameAncestors` the one value that differs
 * between `/embed` and every other path. No value may depend on the request: helmetHeaders
 * computes the headers once.
 */
function helmetOptions(frameAncestors: string): FastifyHelmetOptions {
  return {
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
        frameAncestors: [frameAncestors],
      },
    },
    // X-Frame-Options cannot list origins: DENY is set below everywhere but /embed, where frame-ancestors alone decides
    xFrameOptions: false,
    strictTransportSecurity: false,
    referrerPolicy: { policy: 'no-referrer' },
  }
}

/** One header @fastify/helmet writes to a response (`value` undefined: one it removes), in its order and spelling. */
type HeaderOp = readonly [name: string, value: string | undefined]

/**
 * What @fastify/helmet does to every response under `options`: registered on a private Fastify
 * instance, its header writes to one answer are recorded. @fastify/helmet itself rebuilds its
 * middleware from the options on every request (~75 µs of CPU a request); replaying the record
 * sends the same header lines, byte for byte and in the same order, for the cost of setting them.
 * The plugin is not registered on the app: its per-route `helmet` option is ignored there and
 * `reply.helmet()` does not exist (no route uses either; one that needs other headers sets them).
 */
async function helmetHeaders(options: FastifyHelmetOptions): Promise<readonly HeaderOp[]> {
  const probe = Fastify({ logger: false })
  const ops: HeaderOp[] = []
  let recording = false
  // runs before helmet's hooks (registered first); the next one, after them, ends the record
  probe.addHook('onRequest', async (_request, reply) => {
    const res = reply.raw
    const setHeader = res.setHeader.bind(res)
    const removeHeader = res.removeHeader.bind(res)
    recording = true
    res.setHeader = (name, value) => {
      if (recording) {
        if (typeof value !== 'string') throw new Error(`@fastify/helmet set ${name} to a ${typeof value}`)
        ops.push([name, value])
      }
      return setHeader(name, value)
    }
    res.removeHeader = (name) => {
      if (recording) ops.push([name, undefined])
      removeHeader(name)
    }
  })
  await probe.register(helmet, options)
  probe.addHook('onRequest', async () => {
    recording = false
  })
  probe.get('/', async () => '')
  try {
    const res = await probe.inject({ url: '/' })
    if (res.statusCode !== 200 || ops.length === 0) throw new Error(`@fastify/helmet's headers could not be recorded (${res.statusCode} ${res.body})`)
  } finally {
    await probe.close()
  }
  return ops
}

export const securityPlugin = fp(
  async (fastify) => {
    const { allowedOrigins, embedOrigins } = fastify.config.security
    // with none configured the cockpit's own pages may still frame /embed (previews, a portal on the same host)
    const embedHeaders = await helmetHeaders(helmetOptions(["'self'", ...embedOrigins].join(' ')))
    const otherHeaders = await helmetHeaders(helmetOptions("'none'"))

    fastify.addHook('onRequest', async (request, reply) => {
      const embed = isEmbedPath(request.url)
      const res = reply.raw
      for (const [name, value] of embed ? embedHeaders : otherHeaders) {
        if (value === undefined) res.removeHeader(name)
        else res.setHeader(name, value)
      }
      if (!embed) reply.header('X-Frame-Options', 'DENY')
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
