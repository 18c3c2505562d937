/**
 * Keys and tokens are compared in constant time whatever their lengths (issue #13): `sameSecret`
 * hashes both sides, so `timingSafeEqual` always compares two 32-byte digests — a presented key
 * of another length takes the same path as one of the right length instead of returning early.
 * The test checks the path, not the clock.
 */
import * as crypto from 'node:crypto'
import { beforeEach, describe, expect, test, vi } from 'vitest'

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>()
  const real = actual.timingSafeEqual
  return { ...actual, timingSafeEqual: vi.fn((a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => real(a, b)) }
})

const { sameSecret } = await import('../../server/auth/tokens.ts')
const compare = vi.mocked(crypto.timingSafeEqual)

describe('sameSecret', () => {
  // a block: a function returned from beforeEach would be taken for a cleanup hook
  beforeEach(() => {
    compare.mockClear()
  })

  test('answers like string equality', () => {
    expect(sameSecret('ak_0123456789', 'ak_0123456789')).toBe(true)
    expect(sameSecret('ak_0123456789', 'ak_0123456780')).toBe(false)
    expect(sameSecret('', '')).toBe(true)
    expect(sameSecret('', 'x')).toBe(false)
    expect(sameSecret('密钥', '密钥')).toBe(true)
    expect(sameSecret('密钥', '密匙')).toBe(false)
  })

  test('every comparison, of any lengths, goes through timingSafeEqual on two 32-byte digests', () => {
    const expected = 'ak_0123456789abcdef'
    const presented = ['', 'a', 'ak_', expected.slice(0, -1), expected, `${expected}0`, 'x'.repeat(10_000), expected.replace('a', 'b')]
    for (const p of presented) sameSecret(p, expected)
    expect(compare).toHaveBeenCalledTimes(presented.length)
    for (const [a, b] of compare.mock.calls) {
      expect((a as Buffer).length).toBe(32)
      expect((b as Buffer).length).toBe(32)
    }
  })

  test('a prefix of the key is not accepted (no length shortcut, no partial match)', () => {
    expect(sameSecret('ak_01234', 'ak_0123456789')).toBe(false)
    expect(sameSecret('ak_0123456789', 'ak_01234')).toBe(false)
  })
})
