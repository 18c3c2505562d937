/**
 * Scope rule, embed allowances, token claims and screen validation as pure functions.
 */
import { describe, expect, test } from 'vitest'
import { Compile } from 'typebox/compile'
import { SignJWT } from 'jose'
import { Query } from '../../protocol/query.ts'
import type { Query as QueryType } from '../../protocol/query.ts'
import { decodeTokenClaims, withScope } from '../../protocol/tokens.ts'
import { assertMayRead, embedQueryKeys, scopeViolation } from '../../server/auth/scope.ts'
import { parseDuration, signToken, verifyToken } from '../../server/auth/tokens.ts'
import { checkScreenBody } from '../../server/screens/validate.ts'
import { createAuthorizer } from '../../server/plugins/auth.ts'
import { loadConfig } from '../../server/config.ts'
import { TEMPLATES } from '../../widgets/templates/index.ts'

const validator = Compile(Query)
const parseQuery = (q: unknown): QueryType => {
  if (!validator.Check(q)) throw new Error('invalid query')
  return q
}
const canonical = (v: unknown): unknown =>
  Array.isArray(v)
    ? [...v].map(canonical).sort()
    : v !== null && typeof v === 'object'
      ? Object.fromEntries(
          Object.entries(v)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([k, x]) => [k, canonical(x)]),
        )
      : v
const key = (q: QueryType) => JSON.stringify(canonical(q))
const SECRET = 'x'.repeat(40)

describe('scope rule', () => {
  const scope = { warehouse: ['WH-SH', 'WH-BJ'] }
  test('the scoped dimension must be filtered to allowed members', () => {
    expect(scopeViolation(scope, { metric: 'sales.revenue', window: 'today', filter: { warehouse: 'WH-SH' } })).toBeUndefined()
    expect(scopeViolation(scope, { metric: 'sales.revenue', window: 'today', filter: { warehouse: ['WH-BJ', 'WH-SH'] } })).toBeUndefined()
    expect(scopeViolation(scope, { metric: 'sales.revenue', window: 'today' })).toMatch(/must filter warehouse/)
    expect(scopeViolation(scope, { metric: 'sales.revenue', window: 'today', filter: { warehouse: ['WH-SH', 'WH-GZ'] } })).toMatch(/WH-GZ is outside/)
    expect(scopeViolation(scope, { metric: 'sales.revenue', window: 'today', filter: { region: 'East' } })).toMatch(/must filter warehouse/)
    expect(scopeViolation(undefined, { metric: 'sales.revenue', window: 'today' })).toBeUndefined()
  })

  test('withScope intersects with the query’s own filter and never widens it', () => {
    const alerts: QueryType = { metric: 'stock.belowSafety', top: 20, filter: { warehouse: 'WH-SH' } }
    expect(withScope(alerts, { warehouse: ['WH-SH', 'WH-BJ'] })!.filter).toEqual({ warehouse: ['WH-SH'] })
    expect(withScope(alerts, { warehouse: ['WH-GZ'] })).toBeUndefined()
    expect(withScope(alerts, { region: ['East'] })!.filter).toEqual({ warehouse: ['WH-SH'], region: ['East'] })
    expect(withScope(alerts, undefined)).toBe(alerts)
  })

  test('an embed widget allows exactly its derived queries with the scope merged', () => {
    const widget = { widget: 'stock-alerts', options: { limit: 20, scrollSeconds: 40 } }
    const keys = embedQueryKeys(widget, { warehouse: ['WH-SH'] }, parseQuery, key)
    expect(keys).toEqual(new Set([key({ metric: 'stock.belowSafety', top: 20, filter: { warehouse: ['WH-SH'] } })]))
    expect(embedQueryKeys({ widget: 'no-such-widget', options: {} }, undefined, parseQuery, key).size).toBe(0)
    const embed = { kind: 'embed' as const, widget, scope: { warehouse: ['WH-SH'] }, expiresAt: Date.now() / 1000 + 60 }
    expect(() => assertMayRead(embed, { metric: 'stock.belowSafety', top: 20, filter: { warehouse: 'WH-SH' } }, { parseQuery, key })).not.toThrow()
    expect(() => assertMayRead(embed, { metric: 'stock.belowSafety', top: 21, filter: { warehouse: 'WH-SH' } }, { parseQuery, key })).toThrow(
      /only runs the queries of its stock-alerts widget/,
    )
    expect(() => assertMayRead(embed, { metric: 'stock.belowSafety', top: 20, filter: { warehouse: 'WH-SH', category: 'drinks' } }, { parseQuery, key })).toThrow(/only runs/)
    expect(() =>
      assertMayRead({ ...embed, expiresAt: Date.now() / 1000 - 1 }, { metric: 'stock.belowSafety', top: 20, filter: { warehouse: 'WH-SH' } }, { parseQuery, key }),
    ).toThrow(/expired/)
  })
})

describe('tokens', () => {
  test('sign → verify round trip; claims readable without the secret', async () => {
    const { token, claims } = await signToken(SECRET, { kind: 'viewer', scope: { region: ['East'] }, label: 'east' }, 600)
    expect(await verifyToken(SECRET, token)).toMatchObject({ kind: 'viewer', scope: { region: ['East'] }, sub: 'east', exp: claims.exp })
    expect(decodeTokenClaims(token)).toMatchObject({ kind: 'viewer', scope: { region: ['East'] }, exp: claims.exp })
    expect(decodeTokenClaims('not-a-token')).toBeUndefined()
  })

  test('refuses other issuers, missing kind, embed without widget, alg none', async () => {
    const key = new TextEncoder().encode(SECRET)
    const exp = Math.floor(Date.now() / 1000) + 600
    const foreign = await new SignJWT({ kind: 'viewer' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('someone-else').setAudience('erp-cockpit').setExpirationTime(exp).sign(key)
    await expect(verifyToken(SECRET, foreign)).rejects.toThrow(/not accepted/)
    const noKind = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('erp-cockpit').setAudience('erp-cockpit').setExpirationTime(exp).sign(key)
    await expect(verifyToken(SECRET, noKind)).rejects.toThrow(/kind/)
    const noWidget = await new SignJWT({ kind: 'embed' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('erp-cockpit').setAudience('erp-cockpit').setExpirationTime(exp).sign(key)
    await expect(verifyToken(SECRET, noWidget)).rejects.toThrow(/wgt/)
    const noExp = await new SignJWT({ kind: 'viewer' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('erp-cockpit').setAudience('erp-cockpit').sign(key)
    await expect(verifyToken(SECRET, noExp)).rejects.toThrow(/exp/)
    const b = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
    await expect(verifyToken(SECRET, `${b({ alg: 'none' })}.${b({ kind: 'viewer', exp, iss: 'erp-cockpit', aud: 'erp-cockpit' })}.`)).rejects.toThrow(/401|not allowed|malformed/)
  })

  test('durations', () => {
    expect(parseDuration('7d')).toBe(604_800)
    expect(parseDuration('90')).toBe(90)
    expect(parseDuration('2w')).toBe(1_209_600)
    expect(() => parseDuration('soon')).toThrow(/not a duration/)
  })
})

describe('screen validation', () => {
  test('every template is a valid screen', () => {
    for (const t of TEMPLATES) {
      const check = checkScreenBody(t, t.id, parseQuery)
      expect(check.ok ? [] : check.errors, t.id).toEqual([])
    }
  })

  test('a newer optionsVersion than the manifest knows is refused at the instance', () => {
    const t = structuredClone(TEMPLATES[0]!)
    t.widgets[0]!.optionsVersion = 9
    const check = checkScreenBody(t, t.id, parseQuery)
    expect(check.ok).toBe(false)
    if (!check.ok) expect(check.errors).toEqual([{ path: '/widgets/0/optionsVersion', widget: t.widgets[0]!.id, message: expect.stringContaining('newer') }])
  })
})

describe('reading access', () => {
  test('COCKPIT_READ_ACCESS=token without a static token: only keys and signed tokens read', async () => {
    const config = loadConfig({ COCKPIT_READ_ACCESS: 'token', COCKPIT_TOKEN_SECRET: SECRET, COCKPIT_ADMIN_KEY: 'ak' })
    expect(config.readingOpen).toBe(false)
    const authz = createAuthorizer({ ingestKeys: [], adminKey: 'ak', readingOpen: config.readingOpen, tokenSecret: config.tokenSecret })
    await expect(authz.authorize(undefined, 'viewer')).rejects.toThrow(/viewer token is required/)
    await expect(authz.authorize('guess', 'viewer')).rejects.toThrow(/unknown token/)
    const { token } = await signToken(SECRET, { kind: 'viewer', scope: { warehouse: ['WH-SH'] } }, 600)
    expect(await authz.authorize(token, 'viewer')).toMatchObject({ kind: 'viewer', signed: true, scope: { warehouse: ['WH-SH'] } })
    await expect(authz.authorize(token, 'admin')).rejects.toThrow(/admin key/)
    const embed = (await signToken(SECRET, { kind: 'embed', widget: { widget: 'kpi-card', options: {} } }, 600)).token
    await expect(authz.authorize(embed, 'viewer')).rejects.toMatchObject({ code: 'COCKPIT_ERR_FORBIDDEN' })
    expect((await authz.authorize(embed, 'viewer', { embed: true })).kind).toBe('embed')
  })

  test('open reading: no token reads, a bad signed token is still refused', async () => {
    const authz = createAuthorizer({ ingestKeys: [], tokenSecret: SECRET })
    expect(await authz.authorize(undefined, 'viewer')).toEqual({ kind: 'anonymous' })
    expect(await authz.authorize('opaque-unknown', 'viewer')).toEqual({ kind: 'anonymous' })
    const expired = (await signToken(SECRET, { kind: 'viewer' }, 60, Date.now() - 3600_000)).token
    await expect(authz.authorize(expired, 'viewer')).rejects.toThrow(/expired/)
  })

  test('configuration mistakes are named', () => {
    expect(() => loadConfig({ COCKPIT_READ_ACCESS: 'open', COCKPIT_VIEWER_TOKEN: 'vt' })).toThrow(/contradicts/)
    expect(() => loadConfig({ COCKPIT_READ_ACCESS: 'closed' })).toThrow(/COCKPIT_READ_ACCESS/)
    expect(() => loadConfig({ COCKPIT_TOKEN_SECRET: 'short' })).toThrow(/at least 32/)
    expect(loadConfig({ COCKPIT_VIEWER_TOKEN: 'vt' }).readingOpen).toBe(false)
    expect(loadConfig({}).readingOpen).toBe(true)
  })
})
