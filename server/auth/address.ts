/**
 * Client addresses: the TCP peer's, or — behind a reverse proxy that `COCKPIT_TRUST_PROXY` trusts —
 * the client's from `X-Forwarded-For`, by the rule Fastify's `trustProxy` applies to requests
 * (proxy-addr): walk the chain from the peer towards the client while the hop is trusted. Used by
 * the socket gateway (who a socket's client is) and the failed-authentication throttle.
 */
import { BlockList, isIP } from 'node:net'

/** proxy-addr's names for address ranges (usable in COCKPIT_TRUST_PROXY, as in Fastify) */
const NAMED_RANGES: Record<string, string[]> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
}

/** `::ffff:10.0.0.1` → `10.0.0.1`; anything else unchanged */
export function plainAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  return m ? m[1]! : address
}

/**
 * Whether hop `i` (0 = the TCP peer) at `address` is a proxy we trust, from the trustProxy
 * setting: `true` (every hop: X-Forwarded-For's first entry, which a client can forge unless
 * the proxy overwrites the header), a hop count (`"1"`: the nearest proxy), or comma-separated
 * addresses, CIDRs and the names loopback / linklocal / uniquelocal.
 */
export function proxyTrust(setting: boolean | string): (address: string, hop: number) => boolean {
  if (setting === false) return () => false
  if (setting === true) return () => true
  if (/^\s*\d+\s*$/.test(setting)) {
    const hops = Number(setting)
    return (_address, hop) => hop < hops
  }
  const list = new BlockList()
  for (const raw of setting.split(',').map((s) => s.trim()).filter(Boolean)) {
    for (const entry of NAMED_RANGES[raw] ?? [raw]) {
      const [addr, bits] = entry.split('/') as [string, string | undefined]
      const family = isIP(plainAddress(addr))
      if (family === 0) continue // config.ts and Fastify refuse such settings; never trust a typo
      const type = family === 6 ? 'ipv6' : 'ipv4'
      if (bits === undefined) list.addAddress(plainAddress(addr), type)
      else list.addSubnet(plainAddress(addr), Number(bits), type)
    }
  }
  return (address) => {
    const a = plainAddress(address)
    const family = isIP(a)
    return family !== 0 && list.check(a, family === 6 ? 'ipv6' : 'ipv4')
  }
}

/** The client's address: the peer, or the first untrusted hop of X-Forwarded-For when the peer is a trusted proxy. */
export function clientAddress(peer: string, forwardedFor: string | string[] | undefined, trust: (address: string, hop: number) => boolean): string {
  const chain = [peer, ...(Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? '')).split(',').map((s) => s.trim()).filter(Boolean).reverse()]
  let address = plainAddress(peer)
  for (let hop = 0; hop < chain.length - 1; hop++) {
    if (!trust(chain[hop]!, hop)) break
    const next = plainAddress(chain[hop + 1]!)
    // a forged or garbled entry ends the walk at the last real address
    if (isIP(next) === 0) break
    address = next
  }
  return address
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
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`
}
