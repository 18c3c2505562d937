/** The one Socket.IO connection of the screen, typed by protocol/events.ts. */
import { io } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import { SOCKET_LIMIT_CODES, SOCKET_PATH } from '../protocol/events.ts'
import type { ClientToServerEvents, ServerToClientEvents } from '../protocol/events.ts'
import type { SourcesHealth } from '../protocol/sources.ts'

export type CockpitSocket = Socket<ServerToClientEvents, ClientToServerEvents>

/** Wait before connecting again after the server closed the connection itself (it is restarting). */
const SERVER_CLOSE_RETRY_MS = 1000
/** Wait before asking again after the server refused the handshake for a limit that passes (too many connections, throttled). */
const REFUSED_RETRY_MS = 30_000
/** handshake refusals that end by themselves; an unknown or expired token does not */
const PASSING_REFUSALS: readonly string[] = [SOCKET_LIMIT_CODES.tooManyConnections, 'COCKPIT_ERR_RATE_LIMITED']

let socket: CockpitSocket | undefined
/** the last `sources` event: it comes once on connect, possibly before any store listens (stores/sourceHealth.ts starts from it) */
let lastSources: SourcesHealth | undefined

/** The failing sources as the server last announced them, if it has since this page loaded. */
export function lastSourcesHealth(): SourcesHealth | undefined {
  return lastSources
}

/**
 * Same origin as the page; `?token=` in the URL is sent as the viewer token. Reconnects for
 * ever: a wall runs unattended, so also after the server itself ended the connection (a graceful
 * shutdown or restart: Socket.IO leaves that case to the application).
 */
export function useSocket(): CockpitSocket {
  if (!socket) {
    const token = new URLSearchParams(window.location.search).get('token')
    const s: CockpitSocket = io({
      path: SOCKET_PATH,
      // WebSocket first: one connection to one server process, so it works against worker processes
      // (COCKPIT_WORKERS) and load balancers without sticky sessions. Where a proxy blocks WebSocket, HTTP
      // long-polling is tried next (a single server process accepts it; workers refuse it).
      transports: ['websocket', 'polling'],
      tryAllTransports: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      ...(token ? { auth: { token } } : {}),
    })
    s.on('sources', (health) => (lastSources = health))
    s.on('disconnect', (reason) => {
      if (reason === 'io server disconnect') setTimeout(() => s.connect(), SERVER_CLOSE_RETRY_MS * (0.5 + Math.random()))
    })
    // a refused handshake is not retried by Socket.IO (`active` turns false): a wall asks again later
    s.on('connect_error', (err: Error & { data?: { code?: string } }) => {
      if (!s.active && PASSING_REFUSALS.includes(err.data?.code ?? '')) setTimeout(() => s.connect(), REFUSED_RETRY_MS * (0.5 + Math.random()))
    })
    socket = s
  }
  return socket
}
