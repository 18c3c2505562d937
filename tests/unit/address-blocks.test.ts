import { describe, expect, test } from 'vitest'
import { AddressBlocks } from '../../server/plugins/auth.ts'
import { addressKey } from '../../server/auth/address.ts'

describe('AddressBlocks: which addresses this process refuses after too many failed authentications', () => {
  test('an address is refused for the rest of its window, in whole seconds, then forgotten', () => {
    let now = 1_000_000
    const blocks = new AddressBlocks(() => now)
    expect(blocks.secondsLeft('198.51.100.7')).toBe(0)
    blocks.block('198.51.100.7', 42_300)
    expect(blocks.secondsLeft('198.51.100.7')).toBe(43)
    expect(blocks.secondsLeft('198.51.100.8')).toBe(0)
    now += 42_299
    expect(blocks.secondsLeft('198.51.100.7')).toBe(1)
    now += 1
    expect(blocks.secondsLeft('198.51.100.7')).toBe(0)
  })

  test('a window that has almost ended still refuses for a second (Retry-After is never 0)', () => {
    const blocks = new AddressBlocks(() => 0)
    blocks.block('a', 0)
    expect(blocks.secondsLeft('a')).toBe(1)
  })

  test('the number of addresses kept is bounded: expired ones go first, then the oldest', () => {
    let now = 0
    const blocks = new AddressBlocks(() => now)
    for (let i = 0; i < 10_000; i++) blocks.block(`old-${i}`, 1000)
    now = 5000
    blocks.block('fresh', 60_000)
    // every old block had expired: all of them went, the fresh one stays
    expect(blocks.secondsLeft('old-0')).toBe(0)
    expect(blocks.secondsLeft('fresh')).toBe(60)
    for (let i = 0; i < 10_000; i++) blocks.block(`live-${i}`, 60_000)
    // full of live blocks: the oldest (the fresh one, then live-0) made room for the newest
    expect(blocks.secondsLeft('fresh')).toBe(0)
    expect(blocks.secondsLeft('live-9999')).toBe(60)
  })

  test('IPv6 addresses of one /64 share one key, so rotating through a /64 buys no fresh budget', () => {
    expect(addressKey('2001:db8:1:2::1')).toBe(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff'))
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'))
    expect(addressKey('::ffff:198.51.100.7')).toBe('198.51.100.7')
  })
})
