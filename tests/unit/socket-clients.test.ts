/** Who a socket's client is (address behind proxies, key by token) and what the ledger lets it hold. */
import { describe, expect, test } from 'vitest'
import { ClientLedger, clientKey } from '../../server/realtime/clients.ts'
import type { IncomingMessage } from 'node:http'
import { clientAddress as addressOf, proxyTrust } from '../../server/auth/address.ts'
import type { ProxyTrust } from '../../server/auth/address.ts'

/** the client address of a request from `peer` carrying `forwardedFor` */
function clientAddress(peer: string, forwardedFor: string | string[], trust: ProxyTrust): string {
  const request = { socket: { remoteAddress: peer }, headers: { 'x-forwarded-for': Array.isArray(forwardedFor) ? forwardedFor.join(', ') : forwardedFor } }
  return addressOf(request as unknown as IncomingMessage, trust)
}

describe('client address', () => {
  test('without a trusted proxy the peer is the client, whatever X-Forwarded-For says', () => {
    expect(clientAddress('::ffff:10.0.0.7', '1.2.3.4', proxyTrust(false))).toBe('10.0.0.7')
  })

  test('a hop count trusts that many proxies from the peer on (a forged entry further left is ignored)', () => {
    // client forged "6.6.6.6"; the proxy appended the real client 203.0.113.9
    expect(clientAddress('10.0.0.2', '6.6.6.6, 203.0.113.9', proxyTrust('1'))).toBe('203.0.113.9')
    expect(clientAddress('10.0.0.2', '6.6.6.6, 203.0.113.9, 10.0.0.3', proxyTrust('2'))).toBe('203.0.113.9')
  })

  test('addresses, CIDRs and named ranges: walk while the hop is a trusted proxy', () => {
    const trust = proxyTrust('loopback, 10.0.0.0/8')
    expect(clientAddress('127.0.0.1', '203.0.113.9, 10.1.2.3', trust)).toBe('203.0.113.9')
    // the peer is not a proxy we trust: its header means nothing
    expect(clientAddress('198.51.100.1', '203.0.113.9', trust)).toBe('198.51.100.1')
    // a garbled entry ends the walk at the last real address
    expect(clientAddress('127.0.0.1', 'nonsense, 10.1.2.3', trust)).toBe('10.1.2.3')
  })

  test('true trusts every hop: the first entry', () => {
    expect(clientAddress('127.0.0.1', ['203.0.113.9, 10.0.0.1', '10.0.0.2'], proxyTrust(true))).toBe('203.0.113.9')
  })
})

describe('client key', () => {
  test('signed tokens: a hash of the token with the address, never the token', () => {
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ3YWxsIn0.c2lnbmF0dXJl'
    const k = clientKey({ kind: 'viewer', signed: true, expiresAt: 1 }, token, '10.0.0.7')
    expect(k).not.toContain(token)
    expect(k).not.toContain('c2lnbmF0dXJl')
    expect(k).toMatch(/^token:[\w-]{22}@10\.0\.0\.7$/)
    expect(clientKey({ kind: 'viewer', signed: true, expiresAt: 1 }, token, '10.0.0.8')).not.toBe(k)
  })

  test('IPv6 clients by their /64 (one host commonly holds a whole /64)', () => {
    expect(clientKey({ kind: 'anonymous' }, undefined, '2001:db8:1:2::7')).toBe('addr:2001:db8:1:2::/64')
    expect(clientKey({ kind: 'anonymous' }, undefined, '2001:0db8:0001:0002:ffff:1:2:3')).toBe('addr:2001:db8:1:2::/64')
    expect(clientKey({ kind: 'anonymous' }, undefined, '::1')).toBe('addr:0:0:0:0::/64')
    expect(clientKey({ kind: 'anonymous' }, undefined, '::ffff:10.0.0.7')).toBe('addr:10.0.0.7')
  })

  test('anonymous readers, the shared viewer token and keys: the address alone (a made-up token buys no new budget)', () => {
    expect(clientKey({ kind: 'anonymous' }, 'made-up', '10.0.0.7')).toBe('addr:10.0.0.7')
    expect(clientKey({ kind: 'viewer', signed: false }, 'static', '10.0.0.7')).toBe('addr:10.0.0.7')
    expect(clientKey({ kind: 'admin' }, 'ak', '10.0.0.7')).toBe('addr:10.0.0.7')
  })
})

describe('client ledger', () => {
  test('sockets up to the cap; a closed one frees a place; an empty client is forgotten', () => {
    const ledger = new ClientLedger({ maxSockets: 2, maxLiveQueries: 3 })
    expect(ledger.openSocket('a')).toBe(true)
    expect(ledger.openSocket('a')).toBe(true)
    expect(ledger.openSocket('a')).toBe(false)
    expect(ledger.openSocket('b')).toBe(true)
    ledger.closeSocket('a')
    expect(ledger.openSocket('a')).toBe(true)
    for (const k of ['a', 'a', 'b']) ledger.closeSocket(k)
    expect(ledger.size).toBe(0)
  })

  test('distinct rooms per client over all its sockets; a room it holds is free to join again', () => {
    const ledger = new ClientLedger({ maxSockets: 10, maxLiveQueries: 2 })
    expect(ledger.acquireRoom('a', 'r1')).toBe(true)
    expect(ledger.acquireRoom('a', 'r2')).toBe(true)
    expect(ledger.mayAcquireRoom('a', 'r3')).toBe(false)
    expect(ledger.acquireRoom('a', 'r3')).toBe(false)
    // a second socket of the client joins r1: no new distinct room
    expect(ledger.acquireRoom('a', 'r1')).toBe(true)
    expect(ledger.liveQueries('a')).toBe(2)
    ledger.releaseRoom('a', 'r1')
    expect(ledger.acquireRoom('a', 'r3')).toBe(false) // r1 is still held by the other socket
    ledger.releaseRoom('a', 'r1')
    expect(ledger.acquireRoom('a', 'r3')).toBe(true)
    ledger.releaseRoom('a', 'r2')
    ledger.releaseRoom('a', 'r3')
    ledger.releaseRoom('a', 'r3') // twice: no harm
    expect(ledger.size).toBe(0)
  })
})
