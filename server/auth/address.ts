/**
 * Client addresses: the TCP peer's, or — behind a reverse proxy that `COCKPIT_TRUST_PROXY` trusts —
 * the client's from `X-Forwarded-For`, by the rule Fastify's `trustProxy` applies to requests
 * (proxy-addr): walk the chain from the peer towards the client while the hop is trusted. Used by
 * the socket gateway (who a socket's client is) and the failed-authentication throttle.
 */
import type { IncomingMessage } from 'node:http'
import { isIP } from 'node:net'
import proxyAddr from '@fastify/proxy-addr'

/** `::ffff:10.0.0.1` → `10.0.0.1`; anything else unchanged */
export function plainAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  return m ? m[1]! : address
}

/** Whether hop `i` (0 = the TCP peer) at `address` is a proxy we trust. */
export type ProxyTrust = (address: string, hop: number) => boolean

/**
 * The trust rule of COCKPIT_TRUST_PROXY, given to Fastify (`trustProxy`: request.protocol for
 * Secure cookies) and used for the client address of requests and sockets alike: `true` (every
 * hop: X-Forwarded-For's first entry, which a client can forge unless the proxy overwrites the
 * header), a hop count (`"1"`: the nearest proxy), or comma-separated addresses, CIDRs and the
 * names loopback / linklocal / uniquelocal (proxy-addr's, as in Fastify).
 */
export function proxyTrust(setting: boolean | string): ProxyTrust {
  if (setting === false) return () => false
  if (setting === true) return () => true
  if (/^\s*\d+\s*$/.test(setting)) {
    const hops = Number(setting)
    return (_address, hop) => hop < hops
  }
  return proxyAddr.compile(
    setting
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
}

/**
 * The client's address: the peer, or the hop furthest from it that trusted proxies vouch for
 * (proxy-addr's walk). A garbled entry there is what a client wrote, not an address: the walk
 * then ends at the last real one, so made-up strings buy no fresh throttle budget.
 */
export function clientAddress(request: IncomingMessage, trust: ProxyTrust): string {
  const chain = proxyAddr.all(request, trust).map(plainAddress)
  for (let i = chain.length - 1; i > 0; i--) if (isIP(chain[i]!) !== 0) return chain[i]!
  return chain[0] ?? ''
}

/**
 * The address as a client identity: IPv4 as is, IPv6 by its /64 — one host commonly holds a
 * whole /64 and could otherwise take a fresh budget per address (as the failed-auth throttle).
 */
export function addressKey(address: string): string {
  const a = plainAddress(address)
  if (isIP(a) !== 6) return a
  const [head = '', tail] = a.toLowerCase().split('%')[0]!.split('::') as [string, string | undefined]
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`
}
