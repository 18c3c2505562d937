/**
 * What the embed page reads from its token before asking the server anything: the JWT payload
 * (`kind`, `scope`, `wgt`, `exp`), decoded without verifying. The server verifies the signature
 * and the scope on every query and subscribe; this only tells the page which widget to draw and
 * which filter to add, and lets it explain a token that cannot work.
 */
import type { Query } from '../../protocol/query.ts'
import type { TokenClaims } from '../../protocol/tokens.ts'

/** The claims the embed page uses (protocol/tokens.ts TokenClaims); `exp` may be absent in a foreign token. */
export type EmbedClaims = Pick<TokenClaims, 'kind' | 'wgt'> & { scope?: Record<string, string[]>; exp?: number }

export type TokenProblem = 'missing' | 'malformed' | 'notEmbed'

export type DecodedToken = { ok: true; claims: EmbedClaims } | { ok: false; problem: TokenProblem }

function base64UrlDecode(part: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) throw new Error('not base64url')
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (part.length % 4)) % 4)
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Decodes an embed token's payload (expiry is left to `isExpired`: the server has the last word). */
export function decodeEmbedToken(token: string | null | undefined): DecodedToken {
  if (!token) return { ok: false, problem: 'missing' }
  const parts = token.split('.')
  if (parts.length !== 3 || !parts[1]) return { ok: false, problem: 'malformed' }
  let payload: unknown
  try {
    payload = JSON.parse(base64UrlDecode(parts[1]))
  } catch {
    return { ok: false, problem: 'malformed' }
  }
  if (!isRecord(payload) || (payload.kind !== 'embed' && payload.kind !== 'viewer')) return { ok: false, problem: 'malformed' }
  if (payload.exp !== undefined && typeof payload.exp !== 'number') return { ok: false, problem: 'malformed' }
  const scope = payload.scope
  if (scope !== undefined && (!isRecord(scope) || !Object.values(scope).every((m) => Array.isArray(m) && m.every((x) => typeof x === 'string')))) {
    return { ok: false, problem: 'malformed' }
  }
  const wgt = payload.wgt
  if (payload.kind !== 'embed' || !isRecord(wgt) || typeof wgt.widget !== 'string' || !isRecord(wgt.options)) return { ok: false, problem: 'notEmbed' }
  return {
    ok: true,
    claims: {
      kind: 'embed',
      ...(scope ? { scope: scope as Record<string, string[]> } : {}),
      wgt: { widget: wgt.widget, options: wgt.options as Record<string, unknown>, ...(typeof wgt.optionsVersion === 'number' ? { optionsVersion: wgt.optionsVersion } : {}) },
      ...(typeof payload.exp === 'number' ? { exp: payload.exp } : {}),
    },
  }
}

/** True once the token's `exp` has passed; `now` in ms. */
export function isExpired(claims: EmbedClaims, now = Date.now()): boolean {
  return claims.exp !== undefined && claims.exp * 1000 <= now
}

const lists = (v: string | string[] | undefined): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v])

/**
 * The locked filter the embed page adds to its widget's queries: for each scoped dimension, the
 * widget's own members that the scope allows, or the whole scope when the widget names none.
 * Where the widget asks only for members outside the scope, the dimension is left as the widget
 * has it: the server then refuses the query (COCKPIT_ERR_FORBIDDEN) and the page says so, rather
 * than quietly showing other members' figures under the widget's title.
 */
export function scopeFilter(scope: EmbedClaims['scope'], queries: readonly Query[] = []): Query['filter'] | undefined {
  const out: Record<string, string[]> = {}
  for (const [dimension, allowed] of Object.entries(scope ?? {})) {
    if (!allowed.length) continue
    const own = queries.flatMap((q) => lists((q.filter as Record<string, string | string[] | undefined> | undefined)?.[dimension]) ?? [])
    if (own.length === 0) {
      out[dimension] = [...allowed]
      continue
    }
    const inside = [...new Set(own.filter((m) => allowed.includes(m)))]
    if (inside.length > 0) out[dimension] = inside
  }
  return Object.keys(out).length > 0 ? (out as Query['filter']) : undefined
}
