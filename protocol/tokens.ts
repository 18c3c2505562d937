/**
 * Signed reading tokens (docs/api.md "Tokens", docs/embedding.md): HS256 JWTs minted by `POST /api/v1/tokens` or
 * `npm run token`. A `viewer` token reads screens and data; an `embed` token evaluates only the
 * queries of one widget. Either may carry a scope: dimension → the members it may see, which the
 * server enforces on every query and subscription (docs/api.md#scopes).
 * The claims are readable without the secret (`decodeTokenClaims`), so the embed page knows
 * which widget to draw and which filter to add; only the server can verify them.
 */
import Type from 'typebox'
import type { Static } from 'typebox'
import { DIMENSIONS } from './metrics.ts'
import type { Dimension } from './metrics.ts'
import type { Query } from './query.ts'

export const TOKEN_KINDS = ['viewer', 'embed'] as const
export type TokenKind = (typeof TOKEN_KINDS)[number]

/** `iss` and `aud` of every cockpit token: a JWT signed for something else is refused. */
export const TOKEN_ISSUER = 'erp-cockpit'

/** Shortest and longest lifetime a token may be minted with, in seconds. */
export const MIN_TOKEN_TTL_S = 60
export const MAX_TOKEN_TTL_S = 366 * 86_400

const Member = Type.String({ minLength: 1, maxLength: 64 })

/** dimension → the members a token may see, e.g. `{"warehouse": ["WH-SH"]}` */
export const TokenScope = Type.Object(Object.fromEntries(DIMENSIONS.map((d) => [d, Type.Optional(Type.Array(Member, { minItems: 1, maxItems: 100, uniqueItems: true }))])), {
  additionalProperties: false,
  description: 'dimension → allowed members',
})
export type TokenScope = Partial<Record<Dimension, string[]>>

/** The widget an embed token shows: a widget type and its options (its manifest's schema). */
export const EmbedWidget = Type.Object(
  {
    widget: Type.String({ minLength: 1, maxLength: 64 }),
    options: Type.Record(Type.String(), Type.Unknown()),
    /** version of `options` @default the widget manifest's version */
    optionsVersion: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
)
export type EmbedWidget = Static<typeof EmbedWidget>

/** `POST /api/v1/tokens` body. */
export const TokenRequest = Type.Object(
  {
    kind: Type.Union([Type.Literal('viewer'), Type.Literal('embed')]),
    scope: Type.Optional(TokenScope),
    /** embed tokens only: the one widget they show */
    widget: Type.Optional(EmbedWidget),
    /** lifetime in seconds (60 s … 366 days) */
    expiresIn: Type.Integer({ minimum: MIN_TOKEN_TTL_S, maximum: MAX_TOKEN_TTL_S }),
    /** who or what the token is for (JWT `sub`), e.g. `wh-manager-shanghai` */
    label: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
)
export type TokenRequest = Static<typeof TokenRequest>

export const TokenMinted = Type.Object({
  token: Type.String(),
  /** RFC 3339 */
  expiresAt: Type.String(),
})
export type TokenMinted = Static<typeof TokenMinted>

/** The JWT payload of a cockpit token. */
export interface TokenClaims {
  kind: TokenKind
  scope?: TokenScope
  /** embed tokens: the widget they show */
  wgt?: EmbedWidget
  /** expiry, seconds since the epoch */
  exp: number
  iat?: number
  sub?: string
  jti?: string
  iss?: string
  aud?: string | string[]
}

/**
 * Reads a token's claims WITHOUT verifying its signature (the browser has no secret): for
 * display only — what the server accepts is decided by the server. Undefined when `token` is
 * not a JWT.
 */
export function decodeTokenClaims(token: string): TokenClaims | undefined {
  const part = token.split('.')[1]
  if (token.split('.').length !== 3 || !part) return undefined
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/')
    const json = new TextDecoder().decode(Uint8Array.from(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '=')), (c) => c.charCodeAt(0)))
    const claims = JSON.parse(json) as Partial<TokenClaims>
    if (claims.kind !== 'viewer' && claims.kind !== 'embed') return undefined
    if (typeof claims.exp !== 'number') return undefined
    return claims as TokenClaims
  } catch {
    return undefined
  }
}

/** A query's filter with every member list as an array (`"WH-SH"` → `["WH-SH"]`). */
export function filterLists(filter: Query['filter']): Partial<Record<Dimension, string[]>> {
  const out: Partial<Record<Dimension, string[]>> = {}
  for (const [dim, v] of Object.entries(filter ?? {})) {
    if (v !== undefined) out[dim as Dimension] = Array.isArray(v) ? [...v] : [v]
  }
  return out
}

/**
 * The query a scoped reader sends for `query`: for each scoped dimension the filter becomes
 * the scope's members, intersected with the query's own filter on that dimension when it has
 * one. Undefined when an intersection is empty (the query would show nothing the scope allows).
 * The screen applies this to every query of a scoped token; the server accepts exactly such
 * queries (docs/api.md#scopes).
 */
export function withScope(query: Query, scope: TokenScope | undefined): Query | undefined {
  const dims = Object.entries(scope ?? {}).filter(([, members]) => members !== undefined && members.length > 0) as [Dimension, string[]][]
  if (dims.length === 0) return query
  const filter: Partial<Record<Dimension, string[]>> = filterLists(query.filter)
  for (const [dim, allowed] of dims) {
    const own = filter[dim]
    const members = own === undefined ? [...allowed] : own.filter((m) => allowed.includes(m))
    if (members.length === 0) return undefined
    filter[dim] = members
  }
  return { ...query, filter }
}
