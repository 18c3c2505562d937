/**
 * Who is calling. Bearer keys come from configuration (compared in constant time); signed
 * viewer/embed tokens (JWTs, server/auth/tokens.ts) are verified with COCKPIT_TOKEN_SECRET.
 * Routes declare what they need with `onRequest: fastify.requireRole('viewer')`; the caller
 * is then `request.principal`, whose scope the reading routes enforce (server/auth/scope.ts).
 */
import { timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { CockpitError } from '../errors.ts'
import { looksLikeJwt, verifyToken } from '../auth/tokens.ts'
import type { Principal } from '../auth/scope.ts'

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
}

declare module 'fastify' {
  interface FastifyInstance {
    authz: Authorizer
    requireRole(role: Role, opts?: RoleOptions): (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
  interface FastifyRequest {
    /** the caller, set by requireRole */
    principal: Principal | null
  }
}

function sameSecret(a: string, b: string): boolean {
  const ab = Buffer.from(a)
  const bb = Buffer.from(b)
  return ab.length === bb.length && timingSafeEqual(ab, bb)
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

  return {
    readingOpen,
    tokensEnabled: opts.tokenSecret !== undefined,
    identify,
    async authorize(token, role, ro = {}) {
      const p = await identify(token)
      if (role === 'admin') {
        if (p?.kind === 'admin') return p
        throw unauthorized('a valid admin key is required (Authorization: Bearer <key>)')
      }
      if (role === 'ingest') {
        if (p?.kind === 'admin' || p?.kind === 'ingest') return p
        throw unauthorized('a valid ingest key is required (Authorization: Bearer <key>)')
      }
      if (p === undefined) {
        // an unknown opaque key while reading is open reads like no key at all
        if (readingOpen) return { kind: 'anonymous' }
        throw unauthorized(token === undefined ? 'a viewer token is required (Authorization: Bearer <token>)' : 'unknown token')
      }
      if (p.kind === 'embed' && !ro.embed) throw new CockpitError('COCKPIT_ERR_FORBIDDEN', "an embed token only reads its widget's data")
      return p
    },
  }
}

export const authPlugin = fp(
  async (fastify) => {
    const { ingestKeys, adminKey, viewerToken, readingOpen, tokenSecret } = fastify.config
    const authz = createAuthorizer({ ingestKeys, adminKey, viewerToken, readingOpen, tokenSecret })
    if (tokenSecret !== undefined && readingOpen) {
      fastify.log.info('signed tokens are enabled but reading is open: a scope restricts only those who present their token (set COCKPIT_READ_ACCESS=token to require one)')
    }
    fastify.decorate('authz', authz)
    fastify.decorateRequest('principal', null)
    fastify.decorate('requireRole', (role: Role, opts?: RoleOptions) => async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        request.principal = await authz.authorize(bearerToken(request.headers.authorization), role, opts)
      } catch (err) {
        if (err instanceof CockpitError && err.statusCode === 401) reply.header('WWW-Authenticate', 'Bearer')
        throw err
      }
    })
  },
  { name: 'auth', dependencies: ['redis'] },
)
