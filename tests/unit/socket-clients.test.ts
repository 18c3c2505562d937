/** Who a socket's client is (address behind proxies, key by token) and what the ledger lets it hold. */
import { TurnGate } from '../../server/realtime/admission.ts'
import { MessageBudget } from '../../server/realtime/budget.ts'
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

describe('MessageBudget', () => {
  test('a burst at once, then the refill rate; a quiet connection never earns more than the burst', () => {
    const b = new MessageBudget(4, 2, 0)
    expect([1, 2, 3, 4, 5].map(() => b.take(0))).toEqual([true, true, true, true, false])
    // 2 per second: one every 500 ms
    expect(b.take(499)).toBe(false)
    expect(b.take(500)).toBe(true)
    expect(b.take(500)).toBe(false)
    // an hour quiet refills the burst, not 7,200 messages
    expect([1, 2, 3, 4, 5].map(() => b.take(3_600_000))).toEqual([true, true, true, true, false])
  })

  test('a clock going back neither refills nor breaks the budget', () => {
    const b = new MessageBudget(1, 1, 10_000)
    expect(b.take(10_000)).toBe(true)
    expect(b.take(5_000)).toBe(false)
    expect(b.take(10_999)).toBe(false)
    expect(b.take(11_000)).toBe(true)
  })
})

describe('TurnGate', () => {
  /** a gate whose turns run when the test says */
  function manual(perTurn: number, maxWaiting: number) {
    const turns: (() => void)[] = []
    const gate = new TurnGate(perTurn, maxWaiting, (fn) => void turns.push(fn))
    const runTurn = () => turns.shift()?.()
    return { gate, turns, runTurn }
  }

  test('starts at most perTurn jobs per turn, in arrival order, and books one turn at a time', () => {
    const { gate, turns, runTurn } = manual(3, 100)
    const ran: number[] = []
    for (let i = 0; i < 7; i++) expect(gate.admit(() => ran.push(i))).toBe(true)
    expect(ran).toEqual([])
    expect(turns.length).toBe(1)
    runTurn()
    expect(ran).toEqual([0, 1, 2])
    runTurn()
    runTurn()
    expect(ran).toEqual([0, 1, 2, 3, 4, 5, 6])
    expect(gate.size).toBe(0)
    expect(turns.length).toBe(0)
    // a job admitted later books a new turn
    gate.admit(() => ran.push(7))
    runTurn()
    expect(ran.at(-1)).toBe(7)
  })

  test('refuses past maxWaiting; a job that throws does not strand the others', () => {
    const { gate, runTurn } = manual(1, 2)
    const ran: string[] = []
    expect(
      gate.admit(() => {
        throw new Error('boom')
      }),
    ).toBe(true)
    expect(gate.admit(() => ran.push('b'))).toBe(true)
    expect(gate.admit(() => ran.push('c'))).toBe(false)
    expect(() => runTurn()).toThrow('boom')
    runTurn()
    expect(ran).toEqual(['b'])
  })

  test('a long stream, arriving while earlier jobs wait, runs every job exactly once and in order', () => {
    const { gate, runTurn } = manual(10, 100_000)
    const ran: number[] = []
    let n = 0
    for (; n < 5_000; n++)
      gate.admit(
        (
          (i) => () =>
            ran.push(i)
        )(n),
      )
    for (let t = 0; t < 2_000; t++) {
      gate.admit(
        (
          (i) => () =>
            ran.push(i)
        )(n++),
      )
      runTurn()
    }
    while (gate.size > 0) runTurn()
    expect(ran).toEqual(Array.from({ length: n }, (_, i) => i))
  })
})
