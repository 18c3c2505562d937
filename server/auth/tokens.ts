/**
 * Signing and verifying cockpit tokens with jose (HS256, COCKPIT_TOKEN_SECRET). Shared by the
 * server (`POST /api/v1/tokens`, every reading request) and `npm run token` (offline minting).
 * Only HS256 is accepted (no `alg: none`, no algorithm confusion), `iss`/`aud` must name the
 * cockpit, and `exp` is required.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto'
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose'
import { Compile } from 'typebox/compile'
import { EmbedWidget, TOKEN_ISSUER, TokenScope } from '../../protocol/tokens.ts'
import type { TokenClaims, TokenKind } from '../../protocol/tokens.ts'
import type { EmbedWidget as EmbedWidgetType, TokenScope as TokenScopeType } from '../../protocol/tokens.ts'
import { CockpitError } from '../errors.ts'

/** Shortest COCKPIT_TOKEN_SECRET accepted: HS256 wants a key of at least 256 bits. */
export const MIN_SECRET_LENGTH = 32

const ALGORITHM = 'HS256'
const scopeValidator = Compile(TokenScope)
const widgetValidator = Compile(EmbedWidget)

export interface TokenGrant {
  kind: TokenKind
  scope?: TokenScopeType | undefined
  widget?: EmbedWidgetType | undefined
  label?: string | undefined
}

function secretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret)
}

/** A compact JWS (three base64url parts): worth verifying, as opposed to an opaque key. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)
}

/** Mints a token valid for `expiresIn` seconds from `now` (ms). */
export async function signToken(secret: string, grant: TokenGrant, expiresIn: number, now = Date.now()): Promise<{ token: string; expiresAt: Date; claims: TokenClaims }> {
  const iat = Math.floor(now / 1000)
  const exp = iat + expiresIn
  const payload: Record<string, unknown> = { kind: grant.kind }
  if (grant.scope && Object.keys(grant.scope).length > 0) payload.scope = grant.scope
  if (grant.widget) payload.wgt = grant.widget
  const jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_ISSUER)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(randomUUID())
  if (grant.label) jwt.setSubject(grant.label)
  const token = await jwt.sign(secretKey(secret))
  return { token, expiresAt: new Date(exp * 1000), claims: { ...(payload as Pick<TokenClaims, 'kind'>), exp, iat } }
}

const unauthorized = (message: string) => new CockpitError('COCKPIT_ERR_UNAUTHORIZED', message)

/**
 * A token whose signature was good but whose time is up: 401 like any refused token, but not a
 * guess, so it does not count towards the failed-authentication limit (a frame left open past
 * its token's expiry would otherwise lock out its whole network).
 */
export class TokenExpiredError extends CockpitError {
  constructor(message: string) {
    super('COCKPIT_ERR_UNAUTHORIZED', message)
  }
}

/**
 * Compares two secrets (keys, tokens, CSRF tokens) in constant time whatever their lengths: both
 * are hashed to SHA-256 first, so `timingSafeEqual` always compares 32 bytes and neither an early
 * return nor the comparison's duration says how long the expected secret is.
 */
export function sameSecret(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest()
  const b = createHash('sha256').update(expected, 'utf8').digest()
  return timingSafeEqual(a, b)
}

/**
 * Verifies a token and returns its claims; throws COCKPIT_ERR_UNAUTHORIZED with a message that
 * says why (expired, bad signature, malformed, wrong claims).
 */
export async function verifyToken(secret: string, token: string, now = Date.now()): Promise<TokenClaims> {
  let payload: Record<string, unknown>
  try {
    ;({ payload } = await jwtVerify(token, secretKey(secret), {
      algorithms: [ALGORITHM],
      issuer: TOKEN_ISSUER,
      audience: TOKEN_ISSUER,
      requiredClaims: ['exp'],
      currentDate: new Date(now),
    }))
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) {
      const exp = typeof err.payload.exp === 'number' ? new Date(err.payload.exp * 1000).toISOString() : 'an earlier time'
      throw new TokenExpiredError(`token expired at ${exp}; ask an administrator for a new one`)
    }
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) throw unauthorized('token signature is not valid (forged, altered, or signed with another COCKPIT_TOKEN_SECRET)')
    if (err instanceof joseErrors.JOSEAlgNotAllowed) throw unauthorized(`token algorithm not allowed: only ${ALGORITHM} tokens are accepted`)
    if (err instanceof joseErrors.JWTClaimValidationFailed) throw unauthorized(`token not accepted: ${err.message}`)
    throw unauthorized('token is malformed (not a cockpit token)')
  }
  const kind = payload.kind
  if (kind !== 'viewer' && kind !== 'embed') throw unauthorized('token has no valid "kind" claim (viewer or embed)')
  if (payload.scope !== undefined && !scopeValidator.Check(payload.scope)) throw unauthorized('token has an invalid "scope" claim')
  if (kind === 'embed' && !widgetValidator.Check(payload.wgt)) throw unauthorized('embed token has no valid "wgt" claim')
  if (kind === 'viewer' && payload.wgt !== undefined) throw unauthorized('viewer token must not carry a "wgt" claim')
  return payload as unknown as TokenClaims
}

/** `7d`, `12h`, `30m`, `90s`, `2w` or plain seconds → seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d{1,9})\s*(s|m|h|d|w)?$/.exec(text.trim())
  if (!match) throw new Error(`"${text}" is not a duration (e.g. 90s, 30m, 12h, 7d, 2w)`)
  const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 7 * 86_400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd' | 'w']
  return Number(match[1]) * unit
}
