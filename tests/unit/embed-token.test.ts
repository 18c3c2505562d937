import { describe, expect, test } from 'vitest'
import { decodeEmbedToken, isExpired, scopeFilter } from '../../screen/embed/token.ts'

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
const jwt = (payload: unknown) => `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}.c2lnbmF0dXJl`

describe('embed token payload', () => {
  const payload = { kind: 'embed', scope: { warehouse: ['W1'] }, wgt: { widget: 'kpi-card', options: { metric: 'sales.revenue' } }, exp: 2_000_000_000 }

  test('decodes the widget, scope and expiry without verifying', () => {
    const d = decodeEmbedToken(jwt(payload))
    expect(d).toEqual({ ok: true, claims: payload })
  })

  test('scope as a locked filter: the scope where the widget names no member, the allowed part of its own, never a widening', () => {
    expect(scopeFilter(payload.scope)).toEqual({ warehouse: ['W1'] })
    expect(scopeFilter({ warehouse: ['W1', 'W2'], region: ['华东'] })).toEqual({ warehouse: ['W1', 'W2'], region: ['华东'] })
    expect(scopeFilter(undefined)).toBeUndefined()
    const own = [{ metric: 'stock.belowSafety' as const, filter: { warehouse: 'W1' } }]
    expect(scopeFilter({ warehouse: ['W1', 'W2'] }, own)).toEqual({ warehouse: ['W1'] })
    // asking only for members outside the scope: left to the server to refuse
    expect(scopeFilter({ warehouse: ['W2'] }, own)).toBeUndefined()
  })

  test('names what is wrong: missing, malformed, not an embed token', () => {
    expect(decodeEmbedToken(null)).toEqual({ ok: false, problem: 'missing' })
    expect(decodeEmbedToken('')).toEqual({ ok: false, problem: 'missing' })
    expect(decodeEmbedToken('abc')).toEqual({ ok: false, problem: 'malformed' })
    expect(decodeEmbedToken('a.!!!.c')).toEqual({ ok: false, problem: 'malformed' })
    expect(decodeEmbedToken(`a.${Buffer.from('not json').toString('base64url')}.c`)).toEqual({ ok: false, problem: 'malformed' })
    expect(decodeEmbedToken(jwt({ ...payload, scope: { warehouse: 'W1' } }))).toEqual({ ok: false, problem: 'malformed' })
    expect(decodeEmbedToken(jwt({ ...payload, exp: 'soon' }))).toEqual({ ok: false, problem: 'malformed' })
    expect(decodeEmbedToken(jwt({ kind: 'viewer', exp: 2_000_000_000 }))).toEqual({ ok: false, problem: 'notEmbed' })
  })

  test('expiry is a separate question (the server has the last word)', () => {
    const d = decodeEmbedToken(jwt({ ...payload, exp: 1000 }))
    expect(d.ok).toBe(true)
    if (d.ok) {
      expect(isExpired(d.claims, 1_000_001)).toBe(true)
      expect(isExpired(d.claims, 999_000)).toBe(false)
    }
  })
})
