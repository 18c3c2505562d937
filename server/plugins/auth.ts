/**
 * Who is calling. Bearer keys come from configuration (compared in constant time); signed
 * viewer/embed tokens (JWTs, server/auth/tokens.ts) are verified with COCKPIT_TOKEN_SECRET; an
 * editor's session cookie (server/plugins/session.ts) counts as the admin key only together with
 * its CSRF header. Routes declare what they need with `onRequest: fastify.requireRole('viewer')`;
 * the caller is then `request.principal`, whose scope the reading routes enforce
 * (server/auth/scope.ts).
 *
 * Guessing is throttled per client IP: a refused key or forged token counts as a failure, and a
 * client with `COCKPIT_AUTH_FAILURES_PER_MINUTE` failures in the current minute gets 429 with
 * `Retry-After` on everything that needs authentication, right keys included, until the minute
 * is over. Successful requests cost nothing from that budget.
 */
import fp from 'fastify-plugin'
import fastifyRateLimit from '@fastify/rate-limit'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { CockpitError } from '../errors.ts'
import { TokenExpiredError, looksLikeJwt, sameSecret, verifyToken } from '../auth/tokens.ts'
import type { Principal } from '../auth/scope.ts'
import { addressKey, clientAddress, proxyTrust } from '../auth/address.ts'
import { CSRF_HEADER } from './session.ts'

export type Role = 'ingest' | 'admin' | 'viewer'

export interface RoleOptions {
  /** an embed token may call this (its scope and widget are then checked per query) @default false */
  embed?: boolean
}

export interface Authorizer {
  /** true when reading needs no token (COCKPIT_READ_ACCESS=open) */
  readonly readingOpen: boolean
  /** true when signed tokens can be minted and verified (COCKPIT_TOKEN_SECRET set) */
  readonly tokensEnabled: boolean
  /**
   * Who presents `token`: undefined for no token (anonymous) or an unknown opaque key.
   * Throws COCKPIT_ERR_UNAUTHORIZED for a signed token that is expired, forged or malformed.
   */
  identify(token: string | undefined): Promise<Principal | undefined>
  /** the principal when it may act in `role`; throws 401 (who?) or 403 (not this) otherwise */
  authorize(token: string | undefined, role: Role, opts?: RoleOptions): Promise<Principal>
  /**
   * The same decision for a caller already identified: `principal` undefined means nobody known;
   * `presented` says whether a bearer token was sent (an unknown one reads as none while reading is open).
   */
  admit(principal: Principal | undefined, presented: boolean, role: Role, opts?: RoleOptions): Principal
}

/** Failed authentications per client IP (docs/operations.md, "Sign-in and throttling"). */
export interface AuthThrottle {
  /** onRequest hook: 429 COCKPIT_ERR_RATE_LIMITED with `Retry-After` once this client used up its failures of the minute */
  check(request: FastifyRequest, reply: FastifyReply): Promise<void>
  /** counts one failed authentication of this client */
  fail(request: FastifyRequest): Promise<void>
  /** the same budget for callers without an HTTP request (Socket.IO handshakes): throws COCKPIT_ERR_RATE_LIMITED while `address` is blocked */
  assertAllowed(address: string): void
  /** counts one failed authentication of `address` */
  failAt(address: string): Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    authz: Authorizer
    authThrottle: AuthThrottle
    requireRole(role: Role, opts?: RoleOptions): (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
  interface FastifyRequest {
    /** the caller, set by requireRole */
    principal: Principal | null
  }
}

/** The token of an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match?.[1]
}

export interface AuthorizerOptions {
  ingestKeys: string[]
  adminKey?: string | undefined
  viewerToken?: string | undefined
  /** @default true unless viewerToken is set */
  readingOpen?: boolean
  tokenSecret?: string | undefined
  now?: () => number
}

export function createAuthorizer(opts: AuthorizerOptions): Authorizer {
  const readingOpen = opts.readingOpen ?? opts.viewerToken === undefined
  const unauthorized = (message: string) => new CockpitError('COCKPIT_ERR_UNAUTHORIZED', message)

  async function identify(token: string | undefined): Promise<Principal | undefined> {
    if (token === undefined) return undefined
    if (opts.adminKey !== undefined && sameSecret(token, opts.adminKey)) return { kind: 'admin' }
    if (opts.ingestKeys.some((k) => sameSecret(token, k))) return { kind: 'ingest' }
    if (opts.viewerToken !== undefined && sameSecret(token, opts.viewerToken)) return { kind: 'viewer', signed: false }
    if (!looksLikeJwt(token)) return undefined
    if (opts.tokenSecret === undefined) throw unauthorized('signed tokens are not enabled on this server (COCKPIT_TOKEN_SECRET is not set)')
    const claims = await verifyToken(opts.tokenSecret, token, opts.now?.())
    const base = { expiresAt: claims.exp, ...(claims.scope ? { scope: claims.scope } : {}), ...(claims.sub ? { label: claims.sub } : {}) }
    return claims.kind === 'embed' ? { kind: 'embed', widget: claims.wgt!, ...base } : { kind: 'viewer', signed: true, ...base }
  }

  const admit: Authorizer['admit'] = (p, presented, role, ro = {}) => {
    if (role === 'admin') {
      if (p?.kind === 'admin') return p
      throw unauthorized('a valid admin key is required (Authorization: Bearer <key>, or the editor signed in)')
    }
    if (role === 'ingest') {
      if (p?.kind === 'admin' || p?.kind === 'ingest') return p
      throw unauthorized('a valid ingest key is required (Authorization: Bearer <key>)')
    }
    if (p === undefined) {
      // an unknown opaque key while reading is open reads like no key at all
      if (readingOpen) return { kind: 'anonymous' }
      throw unauthorized(presented ? 'unknown token' : 'a viewer token is required (Authorization: Bearer <token>)')
    }
    if (p.kind === 'embed' && !ro.embed) throw new CockpitError('COCKPIT_ERR_FORBIDDEN', "an embed token only reads its widget's data")
    return p
  }

  return {
    readingOpen,
    tokensEnabled: opts.tokenSecret !== undefined,
    identify,
    admit,
    async authorize(token, role, ro = {}) {
      return admit(await identify(token), token !== undefined, role, ro)
    },
  }
}

/** A refused credential that could be a guess: anything but a well-signed token past its expiry. */
/** Most addresses a process remembers as blocked; past it the expired ones go, then the oldest. */
const MAX_BLOCKED_ADDRESSES = 10_000

/** Addresses refused until a time (epoch ms), bounded in number. */
export class AddressBlocks {
  private readonly until = new Map<string, number>()

  constructor(private readonly now: () => number = Date.now) {}

  /** refuses `key` for `ms` from now */
  block(key: string, ms: number): void {
    if (this.until.size >= MAX_BLOCKED_ADDRESSES) {
      const t = this.now()
      for (const [k, u] of this.until) if (u <= t) this.until.delete(k)
      // still full: the oldest entries (Map keeps insertion order) make room
      for (const k of this.until.keys()) {
        if (this.until.size < MAX_BLOCKED_ADDRESSES) break
        this.until.delete(k)
      }
    }
    this.until.delete(key)
    this.until.set(key, this.now() + Math.max(1000, ms))
  }

  /** whole seconds until `key` may try again; 0 when it may now */
  secondsLeft(key: string): number {
    const u = this.until.get(key)
    if (u === undefined) return 0
    const left = u - this.now()
    if (left > 0) return Math.ceil(left / 1000)
    this.until.delete(key)
    return 0
  }
}

/** a refusal that was a guess (unknown key, forged or malformed token), not an expired token or a missing one */
export function countsAsFailure(err: unknown): boolean {
  return err instanceof CockpitError && err.statusCode === 401 && !(err instanceof TokenExpiredError)
}

export const authPlugin = fp(
  async (fastify) => {
    const { ingestKeys, adminKey, viewerToken, readingOpen, tokenSecret, security } = fastify.config
    const { sessions } = fastify
    const authz = createAuthorizer({ ingestKeys, adminKey, viewerToken, readingOpen, tokenSecret })
    if (tokenSecret !== undefined && readingOpen) {
      fastify.log.info('signed tokens are enabled but reading is open: a scope restricts only those who present their token (set COCKPIT_READ_ACCESS=token to require one)')
    }

    // @fastify/rate-limit counts every request it sees; we want failures only, so no route gets
    // its hook (global: false): its store (Redis, shared by every process; fixed one-minute
    // window per address) counts failures, incremented on each one. Whether an address is
    // blocked is kept in this process, learnt from the count a failure returns: a request with
    // a good key then costs no Redis round trip (on the ingest path that round trip queued
    // behind the apply script and halved the batches applied together). Another process learns
    // of a block at its own next failure from that address: at most one more guess per process.
    // the same client address as the socket gateway's (one proxy rule, garbled X-Forwarded-For entries skipped)
    const trust = proxyTrust(security.trustProxy)
    const addressOf = (request: FastifyRequest) => (request.raw ? clientAddress(request.raw, trust) : request.ip)
    await fastify.register(fastifyRateLimit, {
      global: false,
      max: security.authFailuresPerMinute,
      timeWindow: 60_000,
      redis: fastify.redis,
      nameSpace: fastify.keys.authFailures,
      // the store's key: IPv4 as is, IPv6 by its /64 (the same key as the blocks below)
      keyGenerator: (request) => addressKey(addressOf(request)),
      // Redis away: authenticate without the throttle rather than refuse everyone (ingest answers 503 anyway)
      skipOnError: true,
    })
    const failures = fastify.createRateLimit()
    // what the limiter reads of a request (addressOf: without a raw request, `ip`), for an address that came without one
    const byAddress = (address: string) => ({ ip: address, routeOptions: { config: {} } }) as unknown as FastifyRequest
    const blocks = new AddressBlocks()
    const refuse = (wait: number) => new CockpitError('COCKPIT_ERR_RATE_LIMITED', `too many failed authentications from this address: retry in ${wait} s`)
    const count = async (request: FastifyRequest, address: string) => {
      const state = await failures(request)
      if (state.isAllowed || state.remaining > 0) return
      // this failure used up the budget: every request from the address waits for the window's end
      blocks.block(addressKey(address), state.ttl)
      if (!state.isExceeded) request.log?.warn({ client: state.key }, 'failed authentications reached the limit: this client is refused for the rest of the minute')
    }
    const throttle: AuthThrottle = {
      async check(request, reply) {
        const wait = blocks.secondsLeft(addressKey(addressOf(request)))
        if (wait === 0) return
        reply.header('Retry-After', String(wait))
        throw refuse(wait)
      },
      fail: (request) => count(request, addressOf(request)),
      assertAllowed(address) {
        const wait = blocks.secondsLeft(addressKey(address))
        if (wait > 0) throw refuse(wait)
      },
      failAt: (address) => count(byAddress(address), address),
    }

    fastify.decorate('authz', authz)
    fastify.decorate('authThrottle', throttle)
    fastify.decorateRequest('principal', null)
    fastify.decorate('requireRole', (role: Role, opts?: RoleOptions) => async (request: FastifyRequest, reply: FastifyReply) => {
      const token = bearerToken(request.headers.authorization)
      // a bearer token wins: scripts behave exactly as before, whatever cookies a browser holds;
      // reading while it is open: the session would make its reader an unscoped admin, as anonymous
      // already is, so it is not looked up (no Redis read for every GET of a signed-in browser)
      const cookie = token === undefined && (role !== 'viewer' || !authz.readingOpen) ? sessions.cookieOf(request) : undefined
      // anonymous reading needs no authentication: only the rest is throttled
      if (token !== undefined || cookie !== undefined || role !== 'viewer' || !authz.readingOpen) await throttle.check(request, reply)

      let principal: Principal | undefined
      let csrfMissing = false
      if (token !== undefined) {
        try {
          principal = await authz.identify(token)
        } catch (err) {
          if (countsAsFailure(err)) await throttle.fail(request)
          reply.header('WWW-Authenticate', 'Bearer')
          throw err
        }
      } else if (cookie !== undefined) {
        // an unknown or expired session is no credential at all (not a failure: Redis may have lost it)
        const session = await sessions.find(cookie)
        if (session && sessions.csrfMatches(request, session)) principal = { kind: 'admin' }
        else if (session) csrfMissing = true
      }
      try {
        request.principal = authz.admit(principal, token !== undefined, role, opts)
      } catch (err) {
        if (!(err instanceof CockpitError) || err.statusCode !== 401) throw err
        if (csrfMissing) throw new CockpitError('COCKPIT_ERR_CSRF', `signed in, but the request lacks the session's ${CSRF_HEADER} header`)
        // an unknown key (as opposed to none, or a known key of the wrong role) is a guess
        if (token !== undefined && principal === undefined) await throttle.fail(request)
        reply.header('WWW-Authenticate', 'Bearer')
        throw err
      }
    })
  },
  { name: 'auth', dependencies: ['redis', 'session'] },
)
