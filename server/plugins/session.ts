/**
 * Editor sign-in (docs/operations.md "Sign-in and throttling": keys never sit in localStorage). The administrator types the admin
 * key once; `POST /api/v1/session` checks it and answers with an HttpOnly, SameSite=Strict
 * session cookie — which page scripts cannot read — and a CSRF token, which the editor keeps in
 * memory and sends as `X-Cockpit-CSRF`. A cookie-borne request acts as admin only with that
 * header (server/plugins/auth.ts), so another site cannot use the session by having the browser
 * attach the cookie. (A script on the cockpit's own origin could ask `GET /api/v1/session` for the
 * token: that is why nothing from data may ever run there — docs/operations.md, "Data in the browser".)
 *
 * Sessions live in Redis (any process answers), under the SHA-256 of their id: a copy of Redis
 * does not hold usable cookies. They expire `COCKPIT_SESSION_TTL_S` after sign-in, and with the
 * admin key they were opened with: rotating COCKPIT_ADMIN_KEY ends every session.
 */
import { createHash, randomBytes } from 'node:crypto'
import fp from 'fastify-plugin'
import fastifyCookie from '@fastify/cookie'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import Type from 'typebox'
import { API_PREFIX } from '../../protocol/api.ts'
import { CockpitError } from '../errors.ts'
import { sameSecret } from '../auth/tokens.ts'

/** The editor's sign-in, under API_PREFIX. */
const SESSION_ROUTE = '/session'
/** Its full path: security.ts lets only the cockpit's own pages reach it. */
export const SESSION_PATH = `${API_PREFIX}${SESSION_ROUTE}`

/** Name of the session cookie. */
export const SESSION_COOKIE = 'cockpit_session'
/** Header that must carry the session's CSRF token for a cookie-borne request to act as admin. */
export const CSRF_HEADER = 'x-cockpit-csrf'

/** What is stored per session. */
export interface Session {
  csrf: string
  /** epoch milliseconds */
  expiresAt: number
  /** fingerprint of the admin key signed in with: a session of a replaced key is no session */
  key: string
}

export interface SessionStore {
  /** creates a session that lasts `config.security.sessionTtl` seconds; the id goes into the cookie only */
  create(): Promise<{ id: string; session: Session }>
  /** the session of a cookie id, if it exists and has not expired */
  find(id: string): Promise<Session | undefined>
  destroy(id: string): Promise<void>
  /** the session cookie's value on a request, if any */
  cookieOf(request: FastifyRequest): string | undefined
  /** true when the request carries the session's CSRF token (compared in constant time) */
  csrfMatches(request: FastifyRequest, session: Session): boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    sessions: SessionStore
  }
}

const digest = (id: string) => createHash('sha256').update(id).digest('hex')
/** 256 random bits, base64url: unguessable, cookie- and header-safe */
const randomId = () => randomBytes(32).toString('base64url')

/** The session service and cookie parsing; registered before auth, which reads sessions. */
export const sessionPlugin = fp(
  async (fastify) => {
    const { redis, keys, config } = fastify
    await fastify.register(fastifyCookie)
    const keyPrint = createHash('sha256')
      .update(`cockpit-session:${config.adminKey ?? ''}`)
      .digest('hex')
      .slice(0, 16)

    const store: SessionStore = {
      async create() {
        const id = randomId()
        const session: Session = { csrf: randomId(), expiresAt: Date.now() + config.security.sessionTtl * 1000, key: keyPrint }
        await redis.set(keys.session(digest(id)), JSON.stringify(session), 'EX', config.security.sessionTtl)
        return { id, session }
      },
      async find(id) {
        const raw = await redis.get(keys.session(digest(id)))
        if (raw === null) return undefined
        const session = JSON.parse(raw) as Session
        return session.expiresAt > Date.now() && session.key === keyPrint ? session : undefined
      },
      async destroy(id) {
        await redis.del(keys.session(digest(id)))
      },
      cookieOf(request) {
        const value = request.cookies[SESSION_COOKIE]
        return value ? value : undefined
      },
      csrfMatches(request, session) {
        const header = request.headers[CSRF_HEADER]
        return typeof header === 'string' && header !== '' && sameSecret(header, session.csrf)
      },
    }
    fastify.decorate('sessions', store)
  },
  { name: 'session', dependencies: ['redis'] },
)

const SessionState = Type.Object({
  signedIn: Type.Boolean(),
  /** send as `X-Cockpit-CSRF` with every request made with the session */
  csrf: Type.Optional(Type.String()),
  /** RFC 3339 */
  expiresAt: Type.Optional(Type.String()),
})
const ErrorBody = Type.Object({ error: Type.String(), message: Type.String() })

/** `POST/GET/DELETE /session` (under API_PREFIX): sign in with the admin key, ask, sign out. */
export async function sessionRoutes(fastify: FastifyInstance): Promise<void> {
  const { sessions, authThrottle, config } = fastify
  const calendar = () => fastify.aggregator.calendar

  function setCookie(request: FastifyRequest, reply: FastifyReply, id: string): void {
    reply.setCookie(SESSION_COOKIE, id, {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      // behind a TLS-terminating proxy this needs COCKPIT_TRUST_PROXY (X-Forwarded-Proto)
      secure: request.protocol === 'https',
      maxAge: config.security.sessionTtl,
    })
  }

  const state = (session: Session) => ({ signedIn: true, csrf: session.csrf, expiresAt: calendar().format(session.expiresAt) })

  fastify.post(
    SESSION_ROUTE,
    {
      // before the body is even parsed: a client over its failure budget learns nothing
      onRequest: authThrottle.check,
      schema: {
        description: 'Sign in to the editor with the admin key: sets the session cookie, returns the CSRF token',
        body: Type.Object({ key: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false }),
        response: { 200: SessionState, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 429: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { key } = request.body as { key: string }
      if (config.adminKey === undefined || !sameSecret(key, config.adminKey)) {
        await authThrottle.fail(request)
        throw new CockpitError('COCKPIT_ERR_UNAUTHORIZED', 'this is not the admin key (COCKPIT_ADMIN_KEY)')
      }
      // a fresh id on every sign-in: an id planted before sign-in is never promoted
      const old = sessions.cookieOf(request)
      if (old !== undefined) await sessions.destroy(old)
      const { id, session } = await sessions.create()
      setCookie(request, reply, id)
      return state(session)
    },
  )

  fastify.get(
    SESSION_ROUTE,
    {
      schema: {
        description: 'Whether this browser is signed in to the editor; the CSRF token again, so a reloaded editor goes on',
        response: { 200: SessionState, 403: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const id = sessions.cookieOf(request)
      const session = id === undefined ? undefined : await sessions.find(id)
      return session ? state(session) : { signedIn: false }
    },
  )

  fastify.delete(
    SESSION_ROUTE,
    { schema: { description: 'Sign out: ends the session and clears its cookie', response: { 204: Type.Null(), 403: ErrorBody, 503: ErrorBody } } },
    async (request, reply) => {
      const id = sessions.cookieOf(request)
      if (id !== undefined) await sessions.destroy(id)
      reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: request.protocol === 'https' })
      return reply.status(204).send()
    },
  )
}
