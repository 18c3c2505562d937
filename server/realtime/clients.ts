/**
 * Who a socket's client is, and what each client holds: open sockets and distinct live
 * queries (docs/operations.md "Live queries and sockets": bounded per client and per server).
 *
 * A client is the signed token it presented together with its address, or its address alone:
 * - anonymous readers, the static viewer token and the keys are keyed by address only: a
 *   shared secret says nothing about who is calling (every wall of a building may use it), and
 *   a made-up token (ignored while reading is open) must not buy a fresh budget;
 * - a signed viewer or embed token is keyed by a hash of the token (never the token itself)
 *   and the address: two walls behind one NAT with their own tokens do not share a budget,
 *   and one embed token on an intranet page opened by hundreds of people is not one client.
 *
 * The address is the TCP peer's, or — behind a reverse proxy that `COCKPIT_TRUST_PROXY` trusts —
 * the client's from `X-Forwarded-For`, by the rule Fastify's `trustProxy` applies to requests
 * (proxy-addr): walk the chain from the peer towards the client while the hop is trusted.
 */
import { createHash } from 'node:crypto'
import type { Principal } from '../auth/scope.ts'
import { addressKey } from '../auth/address.ts'

/** The ledger key of a client: never contains the token itself. */
export function clientKey(principal: Principal, token: string | undefined, address: string): string {
  const signed = principal.kind === 'embed' || (principal.kind === 'viewer' && principal.signed)
  const where = addressKey(address)
  if (!signed || token === undefined) return `addr:${where}`
  return `token:${createHash('sha256').update(token).digest('base64url').slice(0, 22)}@${where}`
}

export interface ClientLimits {
  /** open sockets per client */
  maxSockets: number
  /** distinct live queries per client, over all its sockets */
  maxLiveQueries: number
}

interface ClientHoldings {
  sockets: number
  /** room id → how many of the client's sockets subscribe it */
  rooms: Map<string, number>
}

/** Sockets and distinct live queries per client; an entry is dropped when it holds nothing. */
export class ClientLedger {
  private readonly clients = new Map<string, ClientHoldings>()

  constructor(readonly limits: ClientLimits) {}

  /** clients holding a socket or a live query */
  get size(): number {
    return this.clients.size
  }

  sockets(key: string): number {
    return this.clients.get(key)?.sockets ?? 0
  }

  liveQueries(key: string): number {
    return this.clients.get(key)?.rooms.size ?? 0
  }

  /** counts a socket of the client; false (nothing counted) when it already has `maxSockets` */
  openSocket(key: string): boolean {
    const c = this.entry(key)
    if (c.sockets >= this.limits.maxSockets) {
      this.prune(key, c)
      return false
    }
    c.sockets++
    return true
  }

  closeSocket(key: string): void {
    const c = this.clients.get(key)
    if (c === undefined) return
    c.sockets = Math.max(0, c.sockets - 1)
    this.prune(key, c)
  }

  /** whether the client may hold room `id` (one it already holds is always fine) */
  mayAcquireRoom(key: string, id: string): boolean {
    const c = this.clients.get(key)
    return c === undefined || c.rooms.has(id) || c.rooms.size < this.limits.maxLiveQueries
  }

  /** counts one more socket of the client in room `id`; false when that would be one distinct room too many */
  acquireRoom(key: string, id: string): boolean {
    const c = this.entry(key)
    const n = c.rooms.get(id)
    if (n === undefined && c.rooms.size >= this.limits.maxLiveQueries) {
      this.prune(key, c)
      return false
    }
    c.rooms.set(id, (n ?? 0) + 1)
    return true
  }

  releaseRoom(key: string, id: string): void {
    const c = this.clients.get(key)
    const n = c?.rooms.get(id)
    if (c === undefined || n === undefined) return
    if (n > 1) c.rooms.set(id, n - 1)
    else c.rooms.delete(id)
    this.prune(key, c)
  }

  private entry(key: string): ClientHoldings {
    let c = this.clients.get(key)
    if (c === undefined) {
      c = { sockets: 0, rooms: new Map() }
      this.clients.set(key, c)
    }
    return c
  }

  private prune(key: string, c: ClientHoldings): void {
    if (c.sockets === 0 && c.rooms.size === 0) this.clients.delete(key)
  }
}
