/**
 * Bearer-key authorisation. Keys come from configuration; comparisons are constant-time.
 * Routes declare what they need with `onRequest: fastify.requireRole('ingest')`.
 */
import { timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { CockpitError } from '../errors.ts'

export type Role = 'ingest' | 'admin' | 'viewer'

export interface Authorizer {
  /** does this bearer token grant the role? (admin implies every role; ingest implies viewer) */
  allows(token: string | undefined, role: Role): boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    authz: Authorizer
    requireRole(role: Role): (request: FastifyRequest, reply: FastifyReply) => Promise<void>
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

export function createAuthorizer(opts: { ingestKeys: string[]; adminKey?: string | undefined; viewerToken?: string | undefined }): Authorizer {
  const isAdmin = (t: string) => opts.adminKey !== undefined && sameSecret(t, opts.adminKey)
  const isIngest = (t: string) => opts.ingestKeys.some((k) => sameSecret(t, k))
  return {
    allows(token, role) {
      if (role === 'viewer' && opts.viewerToken === undefined) return true // reading is open unless a viewer token is configured
      if (token === undefined) return false
      if (isAdmin(token)) return true
      if (role === 'admin') return false
      if (isIngest(token)) return true
      return role === 'viewer' && sameSecret(token, opts.viewerToken!)
    },
  }
}

export const authPlugin = fp(
  async (fastify) => {
    const { ingestKeys, adminKey, viewerToken } = fastify.config
    const authz = createAuthorizer({ ingestKeys, adminKey, viewerToken })
    fastify.decorate('authz', authz)
    fastify.decorate('requireRole', (role: Role) => async (request: FastifyRequest, reply: FastifyReply) => {
      if (authz.allows(bearerToken(request.headers.authorization), role)) return
      reply.header('WWW-Authenticate', 'Bearer')
      throw new CockpitError('COCKPIT_ERR_UNAUTHORIZED', `a valid ${role} key is required (Authorization: Bearer <key>)`)
    })
  },
  { name: 'auth', dependencies: ['redis'] },
)
