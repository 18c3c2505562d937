/**
 * Socket.IO event maps (protocol v1). The server is
 * `Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>`,
 * the screen `Socket<ServerToClientEvents, ClientToServerEvents>`.
 */
import type { Query, QueryResult } from './query.ts'
import type { AlertTransition } from './alerts.ts'
import type { SourcesHealth } from './sources.ts'

/** Path Socket.IO is served under (same port as the API). */
export const SOCKET_PATH = '/socket.io'

/**
 * Codes of the server's refusals to hold more (docs/api.md, Socket.IO): in a `subscribe` ack,
 * or (too many connections) in the `data` of a `connect_error`.
 */
export const SOCKET_LIMIT_CODES = {
  /** this connection, or this client over all its connections, holds its most distinct live queries */
  tooManySubscriptions: 'COCKPIT_ERR_TOO_MANY_SUBSCRIPTIONS',
  /** the server holds its most distinct live queries: only queries someone already subscribes can be joined */
  serverBusy: 'COCKPIT_ERR_SERVER_BUSY',
  /** this client already has its most open connections */
  tooManyConnections: 'COCKPIT_ERR_TOO_MANY_CONNECTIONS',
  /** this connection sent messages faster than its budget: the message is refused and the server closes the connection */
  tooManyMessages: 'COCKPIT_ERR_TOO_MANY_MESSAGES',
} as const
export type SocketLimitCode = (typeof SOCKET_LIMIT_CODES)[keyof typeof SOCKET_LIMIT_CODES]

export interface ProtocolError {
  /** machine-readable code, e.g. `COCKPIT_ERR_INVALID_QUERY` or one of SOCKET_LIMIT_CODES */
  code: string
  message: string
  errors?: { path: string; message: string }[]
}

export type SubscribeAck =
  | {
      ok: true
      /** id of the subscription: identical queries share one id (and one computation) */
      subscription: string
      /** version of `result`; each later `update` carries version + 1 */
      version: number
      result: QueryResult
    }
  | { ok: false; error: ProtocolError }

export interface UpdateMessage {
  subscription: string
  /** strictly increasing per subscription; a jump of more than 1 means updates were missed: re-subscribe */
  version: number
  result: QueryResult
}

export interface ServerStatus {
  /** false while the server cannot reach Redis: figures on screen are stale */
  redis: boolean
  /** server time, RFC 3339 */
  at: string
  /** business time zone (IANA), for clocks and axis labels */
  timeZone: string
}

/** `show`: an administrator told a wall to put up a screen now (`POST /api/v1/walls/:wall/show`). */
export interface ShowCommand {
  wall: string
  screen: string
  /** RFC 3339 */
  at: string
}

/** `screenChanged`: a stored screen was saved or deleted; clients showing it reload it. */
export interface ScreenChanged {
  id: string
  /** the new version, or null when the screen was deleted */
  version: number | null
}

export interface ServerToClientEvents {
  /** a subscribed result changed (coalesced: at most a few per second per subscription) */
  update: (message: UpdateMessage) => void
  /** server health as it changes; sent once on connect */
  status: (status: ServerStatus) => void
  /** to sockets that joined the wall: show this screen now */
  show: (command: ShowCommand) => void
  /** to every socket but those of embed tokens: a screen was saved or deleted */
  screenChanged: (change: ScreenChanged) => void
  /** to every socket but those of embed tokens: an alert rule fired or resolved (docs/alerts.md); `GET /api/v1/alerts` has the states */
  alert: (transition: AlertTransition) => void
  /** to every socket (embed tokens' included), on connect and whenever it changes: the database sources failing for COCKPIT_SOURCE_STALE_MS or more (docs/connectors.md "Seeing sources work") */
  sources: (health: SourcesHealth) => void
}

export interface ClientToServerEvents {
  /** subscribe to a query; the ack carries the current result */
  subscribe: (query: Query, ack: (response: SubscribeAck) => void) => void
  /** stop receiving updates for a subscription */
  unsubscribe: (subscription: string, ack?: (response: { ok: boolean }) => void) => void
  /** a wall names itself (e.g. `meeting-room-1`) to receive `show` commands for that name */
  joinWall: (wall: string, ack?: (response: { ok: boolean }) => void) => void
}

/** no events between server processes (the Redis adapter carries broadcasts only) */
export type InterServerEvents = Record<string, never>

export interface SocketData {
  /** viewer scope from the handshake token (filters the server enforces) */
  scope?: Partial<Record<string, string[]>>
}
