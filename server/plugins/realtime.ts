/**
 * Socket.IO gateway (docs/architecture.md "Realtime"). Each process serves its own sockets: every process
 * receives every change notice through Redis pub/sub, recomputes the rooms the notice can move
 * once and emits with `io.local`. The Redis adapter joins the processes into one Socket.IO
 * cluster for broadcasts that must reach every client (screen notices, wall commands), without
 * doubling updates.
 *
 * What one client can make a process hold is bounded: connections per client,
 * distinct live queries per connection, per client and per process; a query someone already
 * subscribes costs nothing more and is always joinable. Handshakes from foreign web origins are
 * refused. Sockets take turns: one message per socket and ten handshakes per turn of the event
 * loop, and a socket sending faster than its message budget is closed, so a flood slows the
 * flooders and not `/healthz`. docs/operations.md ("Live queries and sockets") gives the figures.
 */
import fp from 'fastify-plugin'
import { Server } from 'socket.io'
import { WebSocketServer } from 'ws'
import type { ServerOptions as WebSocketServerOptions } from 'ws'
import type { Socket } from 'socket.io'
import { createAdapter } from '@socket.io/redis-adapter'
import { SOCKET_LIMIT_CODES, SOCKET_PATH } from '../../protocol/events.ts'
import type { ClientToServerEvents, InterServerEvents, ProtocolError, ServerToClientEvents, SocketData, SubscribeAck, UpdateMessage } from '../../protocol/events.ts'
import { RoomDroppedError, RoomRegistry, subscriptionId } from '../realtime/rooms.ts'
import { ClientLedger, clientKey } from '../realtime/clients.ts'
import { MessageBudget } from '../realtime/budget.ts'
import { TurnGate } from '../realtime/admission.ts'
import { eventFrame, pushToRoom } from '../realtime/fanout.ts'
import type { FanoutStats } from '../realtime/fanout.ts'
import { clientAddress, proxyTrust } from '../auth/address.ts'
import { createChangeMatcher, nextRefreshAt, spanOf } from '../realtime/periods.ts'
import { toCockpitError } from './errors.ts'
import { countsAsFailure } from './auth.ts'
import { assertMayRead, expiresAtOf, scopeOf } from '../auth/scope.ts'
import type { Principal } from '../auth/scope.ts'
import { originAllowed } from '../auth/origin.ts'
import { connectRedis } from '../redis/connect.ts'

/** Subscriptions one socket may hold (a screen has a few dozen widgets at most). */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 64
/**
 * Messages one socket may send at once, and per second after that (MessageBudget). A screen's
 * largest burst is a screen change with every subscription swapped: 2 × 64 and a few.
 */
export const SOCKET_MESSAGE_BUDGET = { burst: 4 * MAX_SUBSCRIPTIONS_PER_SOCKET, perSecond: 32 }

/**
 * Socket.IO's WebSocket engine, taking turns: each connection delivers at most one message per
 * turn of the event loop (ws' `allowSynchronousEvents: false`), and a connection with more waiting
 * stops being read until its turn comes (TCP back-pressure). With the default, one read hands the
 * server every message in the chunk at once — a few hundred subscribes from each of 500 sockets
 * kept `/healthz` waiting 250–500 ms; taking turns bounds a turn by the number of connections.
 */
export class TurnTakingWebSocketServer extends WebSocketServer {
  constructor(options?: WebSocketServerOptions, callback?: () => void) {
    super({ ...options, allowSynchronousEvents: false }, callback)
  }
}

/**
 * New connections start their handshake at most this many per turn of the event loop; at most
 * MAX_WAITING_HANDSHAKES wait, further ones are refused (the client retries). 500 walls
 * reconnecting together then take about a second to be back, and nothing else waits for them.
 */
export const HANDSHAKES_PER_TURN = 10
export const MAX_WAITING_HANDSHAKES = 5000

/** Wall names: what `joinWall` accepts and `POST /api/v1/walls/:wall/show` addresses. */
export const WALL_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'
const WALL_NAME = new RegExp(WALL_NAME_PATTERN)

/** Socket.IO room of a wall (subscription rooms are base64url hashes: no `:`, no clash). */
export function wallRoom(name: string): string {
  return `wall:${name}`
}

/**
 * Socket.IO room of embed tokens' sockets: broadcasts meant for screens (`screenChanged`) go to
 * `io.except(EMBED_SOCKETS_ROOM)`. The room is joined in the same tick the socket connects, so
 * no broadcast can reach an embed socket before it is in it.
 */
export const EMBED_SOCKETS_ROOM = 'embed'

/** Runs `fn` at epoch ms `at`; setTimeout cannot wait longer than ~24.8 days, so long waits hop. */
function atTime(at: number, fn: () => void): { cancel(): void } {
  const MAX_WAIT = 2 ** 31 - 1
  let timer: NodeJS.Timeout
  const arm = () => {
    const wait = at - Date.now()
    timer = wait > MAX_WAIT ? setTimeout(arm, MAX_WAIT) : setTimeout(fn, Math.max(0, wait))
    timer.unref()
  }
  arm()
  return { cancel: () => clearTimeout(timer) }
}

/** Calls `fn` at most once per `ms` (a refusal flood must not become a log flood). */
function throttled<A extends unknown[]>(ms: number, fn: (...args: A) => void): (...args: A) => void {
  let last = -Infinity
  return (...args) => {
    const now = Date.now()
    if (now - last < ms) return
    last = now
    fn(...args)
  }
}

/** Response header of a Socket.IO handshake naming the server process that took the connection (docs/api.md). */
export const PROCESS_HEADER = 'X-Cockpit-Pid'

export type CockpitIo = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>

declare module 'fastify' {
  interface FastifyInstance {
    io: CockpitIo
  }
}

/** What the realtime gateway holds (for tests, measurements and operators). */
export interface RealtimeState {
  /** distinct live queries of this process */
  rooms: RoomRegistry
  /** sockets and live queries per client */
  clients: ClientLedger
  /** updates written straight to sockets and through Socket.IO's path (server/realtime/fanout.ts) */
  fanout: FanoutStats
}

declare module 'fastify' {
  interface FastifyInstance {
    realtime: RealtimeState
  }
}

function protocolError(err: unknown): ProtocolError {
  if (err instanceof RoomDroppedError) return { code: 'COCKPIT_ERR_CONFLICT', message: 'unsubscribed before the first result; subscribe again' }
  const known = toCockpitError(err)
  if (known) return { code: known.code, message: known.message, ...(known.errors ? { errors: known.errors } : {}) }
  return { code: 'COCKPIT_ERR_INTERNAL', message: 'internal error' }
}

/** A handshake refusal: `connect_error` with `message` saying why and `data: {code, message}`. */
function refusal(prefix: string, code: string, message: string): Error {
  const err = new Error(`${prefix}: ${message}`) as Error & { data?: unknown }
  err.data = { code, message }
  return err
}

interface Session {
  principal: Principal
  /** ledger key of the client (ClientLedger) */
  client: string
  /** the client's address (for logs) */
  address: string
  /** gives the client's connection back (once) */
  close(): void
}

export const realtimePlugin = fp(
  async (fastify) => {
    const { config, queryEngine, redisState, changes, authz, authThrottle } = fastify
    const { security } = config
    const handshakes = new TurnGate(HANDSHAKES_PER_TURN, MAX_WAITING_HANDSHAKES)
    const io: CockpitIo = new Server(fastify.server, {
      path: SOCKET_PATH,
      serveClient: false,
      wsEngine: TurnTakingWebSocketServer,
      // Worker processes on one port (COCKPIT_WORKERS) take connections in turn, with no sticky sessions: the
      // requests of an HTTP long-polling session would land on processes that do not know it. A WebSocket is one
      // connection to one process, so there only WebSocket is offered and a polling handshake is refused at once.
      transports: config.workers > 1 ? ['websocket'] : ['polling', 'websocket'],
      // CORS headers only for configured origins (their pages may poll); the origin rule itself is allowRequest's
      cors: { origin: security.allowedOrigins.length > 0 ? [...security.allowedOrigins] : false },
      // every handshake (WebSocket upgrade or first poll): a page of another origin may not read live figures
      // and then a handshake waits for its turn (HANDSHAKES_PER_TURN)
      allowRequest: (req, callback) => {
        const origin = req.headers.origin
        if (!originAllowed({ origin, host: req.headers.host, allowed: security.allowedOrigins })) {
          return callback(`origin ${String(origin).slice(0, 200)} may not open a socket (COCKPIT_ERR_ORIGIN: not this server's origin nor in COCKPIT_ALLOWED_ORIGINS)`, false)
        }
        if (!handshakes.admit(() => callback(null, true))) callback(`${SOCKET_LIMIT_CODES.serverBusy}: too many connections are being opened at once, retry later`, false)
      },
    })

    // which process took the connection (operators and tests tell the workers apart by it)
    io.engine.on('initial_headers', (headers: Record<string, string>) => {
      headers[PROCESS_HEADER] = String(process.pid)
    })

    // the adapter's own connections (same topology as every other: Sentinels, Cluster): they may
    // queue while Redis is away, unlike ingest's
    const pub = connectRedis(config.redis, { connectionName: 'cockpit-sio-pub', queueWhileDown: true })
    const sub = connectRedis(config.redis, { connectionName: 'cockpit-sio-sub', queueWhileDown: true })
    for (const c of [pub, sub]) c.on('error', () => {})
    // requestsTimeout bounds cross-process questions (wall control counts a wall's sockets)
    io.adapter(createAdapter(pub, sub, { key: fastify.keys.socketIo, requestsTimeout: 3000 }))

    const mainNamespace = io.of('/')
    const fanout: FanoutStats = { direct: 0, queued: 0, shed: 0 }
    // a connection that reads nothing holds at most this much here (a packet per update, a few per second)
    const fanoutLimits = { maxBacklogBytes: security.socketBacklogBytes, maxQueuedPackets: security.socketBacklogPackets }
    const warnShed = throttled(60_000, (address: string) =>
      fastify.log.warn(
        { address, shed: fanout.shed },
        `a connection left more than COCKPIT_SOCKET_BACKLOG_BYTES=${security.socketBacklogBytes} or COCKPIT_SOCKET_BACKLOG_PACKETS=${security.socketBacklogPackets} unread: it was closed`,
      ),
    )
    const periodRules = { calendar: fastify.aggregator.calendar, retention: config.retention }
    // while Redis is away every room's refresh fails: one line per 10 s says so, with the count
    let refreshFailures = 0
    const warnRefreshFailed = throttled(10_000, (err: unknown, subscription: string) => {
      fastify.log.warn({ err, subscription, failures: refreshFailures }, 'subscription refresh failed')
      refreshFailures = 0
    })
    const rooms = new RoomRegistry({
      compute: (query) => queryEngine.run(query),
      // encoded once, written to each local socket (server/realtime/fanout.ts): every process pushes to its own clients
      publish: (room) => {
        const message: UpdateMessage = { subscription: room.id, version: room.version, result: room.result! }
        pushToRoom(
          mainNamespace,
          room.id,
          eventFrame('update', message),
          (socket) => socket.emit('update', message),
          fanout,
          fanoutLimits,
          (socket) => warnShed(socket.handshake.address),
        )
      },
      intervalMs: config.pushIntervalMs,
      onError: (err, room) => {
        refreshFailures++
        warnRefreshFailed(err, room.id)
      },
      nextRefreshAt: (query, now) => nextRefreshAt(query, now, periodRules),
    })
    const clients = new ClientLedger({ maxSockets: security.maxSocketsPerClient, maxLiveQueries: security.maxLiveQueriesPerClient })
    const trust = proxyTrust(security.trustProxy)
    const warnBusy = throttled(60_000, () =>
      fastify.log.warn({ liveQueries: rooms.size }, `live query cap reached (COCKPIT_MAX_LIVE_QUERIES=${security.maxLiveQueries}): new distinct queries are refused`),
    )
    const warnConnections = throttled(60_000, (address: string) =>
      fastify.log.warn({ address }, `a client reached COCKPIT_MAX_SOCKETS_PER_CLIENT=${security.maxSocketsPerClient}: further connections refused`),
    )
    const warnChatty = throttled(60_000, (address: string) =>
      fastify.log.warn({ address, ...SOCKET_MESSAGE_BUDGET }, 'a connection sent messages faster than its budget: it was closed'),
    )
    const tooManyMessages: ProtocolError = {
      code: SOCKET_LIMIT_CODES.tooManyMessages,
      message: `at most ${SOCKET_MESSAGE_BUDGET.burst} messages at once and ${SOCKET_MESSAGE_BUDGET.perSecond} per second after that per connection: the connection is closed`,
    }

    // who each socket is and which client it counts against: decided once at the handshake
    // (expiry is re-checked on every subscribe)
    const sessions = new WeakMap<Socket, Session>()
    io.use((socket, next) => {
      const token = typeof socket.handshake.auth?.token === 'string' ? socket.handshake.auth.token : undefined
      const address = clientAddress(socket.request, trust)
      // guessing tokens over sockets spends the same per-address budget as over HTTP
      const authorize = async () => {
        if (token !== undefined) authThrottle.assertAllowed(address)
        try {
          return await authz.authorize(token, 'viewer', { embed: true })
        } catch (err) {
          if (countsAsFailure(err)) await authThrottle.failAt(address)
          throw err
        }
      }
      authorize().then(
        (principal) => {
          // the client may have left while its token was checked: nothing to count (Socket.IO drops the socket)
          if (socket.conn.readyState !== 'open') return next(new Error('connection closed during the handshake'))
          const client = clientKey(principal, token, address)
          if (!clients.openSocket(client)) {
            warnConnections(address)
            const message = `this client already has ${security.maxSocketsPerClient} open connections (COCKPIT_MAX_SOCKETS_PER_CLIENT); close one first`
            return next(refusal('too many connections', SOCKET_LIMIT_CODES.tooManyConnections, message))
          }
          // given back exactly once: on disconnect, or when the transport closes before the socket connected
          let open = true
          const close = () => {
            if (!open) return
            open = false
            socket.conn.off('close', close)
            clients.closeSocket(client)
          }
          socket.conn.once('close', close)
          sessions.set(socket, { principal, client, address, close })
          const scope = scopeOf(principal)
          if (scope) socket.data.scope = scope
          next()
        },
        (err: unknown) => {
          const known = toCockpitError(err)
          // connect_error on the client: `message` says why, `data` has the code and the bare reason
          next(refusal('unauthorized', known?.code ?? 'COCKPIT_ERR_UNAUTHORIZED', known?.message ?? 'authorisation failed'))
        },
      )
    })

    io.on('connection', (socket) => {
      const session = sessions.get(socket)
      if (session === undefined) return void socket.disconnect(true) // cannot happen: every socket passed the middleware
      const { principal, client, address } = session
      // past its budget a socket is closed: what it still has in flight is dropped unread
      const budget = new MessageBudget(SOCKET_MESSAGE_BUDGET.burst, SOCKET_MESSAGE_BUDGET.perSecond, Date.now())
      socket.use((event, next) => {
        if (budget.take(Date.now())) return next()
        const ack = event.at(-1)
        if (typeof ack === 'function') ack({ ok: false, error: tooManyMessages })
        warnChatty(address)
        socket.disconnect(true)
      })
      /** rooms this socket holds: each counted once in the registry and in its client's ledger */
      const mine = new Set<string>()
      let wall: string | undefined
      // an embed token shows one widget: its socket hears its subscriptions and status, nothing about screens or walls
      if (principal.kind === 'embed') void socket.join(EMBED_SOCKETS_ROOM)
      socket.emit('status', { redis: redisState.up, at: new Date().toISOString(), timeZone: config.timeZone })
      // a signed token's socket ends when the token does; the client's reconnect is then refused
      const expiry = expiresAtOf(principal)
      const expiryTimer = expiry === undefined ? undefined : atTime(expiry * 1000, () => socket.disconnect(true))

      /** gives a held room back (idempotent: false when this socket no longer holds it) */
      const release = (id: string, leaveSocketRoom = true): boolean => {
        if (!mine.delete(id)) return false
        if (leaveSocketRoom) void socket.leave(id)
        clients.releaseRoom(client, id)
        rooms.leave(id)
        return true
      }

      /** why this socket may not hold one more room `id`, if it may not */
      const refusalFor = (id: string): ProtocolError | undefined => {
        if (mine.size >= MAX_SUBSCRIPTIONS_PER_SOCKET) {
          return { code: SOCKET_LIMIT_CODES.tooManySubscriptions, message: `at most ${MAX_SUBSCRIPTIONS_PER_SOCKET} subscriptions per connection` }
        }
        if (!clients.mayAcquireRoom(client, id)) {
          return {
            code: SOCKET_LIMIT_CODES.tooManySubscriptions,
            message: `at most ${security.maxLiveQueriesPerClient} distinct live queries per client over all its connections (COCKPIT_MAX_LIVE_QUERIES_PER_CLIENT)`,
          }
        }
        // a query someone already subscribes costs nothing more: only a new room counts against the server
        if (!rooms.has(id) && rooms.size >= security.maxLiveQueries) {
          warnBusy()
          return {
            code: SOCKET_LIMIT_CODES.serverBusy,
            message: `this server holds its most distinct live queries (${security.maxLiveQueries}, COCKPIT_MAX_LIVE_QUERIES); queries already subscribed by others can still be joined, retry later`,
          }
        }
        return undefined
      }

      socket.on('subscribe', async (input, ack) => {
        const reply = (response: SubscribeAck) => {
          if (typeof ack === 'function') ack(response)
        }
        let query
        try {
          query = queryEngine.parse(input)
          assertMayRead(principal, query, { parseQuery: queryEngine.parse, key: queryEngine.key })
        } catch (err) {
          return reply({ ok: false, error: protocolError(err) })
        }
        const key = queryEngine.key(query)
        const id = subscriptionId(key)
        if (!mine.has(id)) {
          const refused = refusalFor(id)
          if (refused) return reply({ ok: false, error: refused })
          // held before any await: a disconnect from here on finds it in `mine` and gives it back
          mine.add(id)
          clients.acquireRoom(client, id)
          rooms.join(query, key, id) // the id is the key's hash, computed once
          void socket.join(id)
        }
        const room = rooms.get(id)
        try {
          if (room === undefined) throw new RoomDroppedError('the subscription was dropped')
          const { version, result } = await rooms.current(room)
          reply({ ok: true, subscription: id, version, result })
        } catch (err) {
          // no first result: the place is given back (unless an unsubscribe or a disconnect already did)
          release(id)
          reply({ ok: false, error: protocolError(err) })
        }
      })

      socket.on('unsubscribe', (id, ack) => {
        const was = typeof id === 'string' && release(id)
        if (typeof ack === 'function') ack({ ok: was })
      })

      socket.on('joinWall', async (name, ack) => {
        const reply = (ok: boolean) => {
          if (typeof ack === 'function') ack({ ok })
        }
        // an embed token shows one widget; it does not drive a wall
        if (typeof name !== 'string' || !WALL_NAME.test(name) || principal.kind === 'embed') return reply(false)
        if (wall !== undefined && wall !== name) await socket.leave(wallRoom(wall))
        wall = name
        await socket.join(wallRoom(name))
        reply(true)
      })

      socket.on('disconnect', () => {
        expiryTimer?.cancel()
        // Socket.IO has already taken the socket out of its rooms
        for (const id of [...mine]) release(id, false)
        session.close()
      })
    })

    const touches = createChangeMatcher(periodRules)
    changes.on('change', (notice) => {
      // names and thresholds: every figure may read differently, none is urgent
      if (notice.masterData) return void rooms.invalidate(() => true, 'background')
      const metrics = new Set<string>(notice.metrics)
      const span = spanOf(notice)
      const now = Date.now()
      rooms.invalidate((room) => metrics.has(room.query.metric) && (span === undefined || touches(room.query, span, now)))
    })
    // notices missed while the feed was reconnecting: recompute everything, behind live changes
    changes.on('resync', () => rooms.invalidate(() => true, 'background'))
    redisState.on('change', (up) => {
      io.local.emit('status', { redis: up, at: new Date().toISOString(), timeZone: config.timeZone })
      // figures may have moved while we could not see them
      if (up) rooms.invalidate(() => true, 'background')
    })

    fastify.decorate('io', io)
    fastify.decorate('realtime', { rooms, clients, fanout })
    fastify.addHook('preClose', async () => {
      rooms.stop()
      // clients reconnect (to another process behind the load balancer) and re-subscribe
      io.local.disconnectSockets(true)
      io.engine.close()
    })
    fastify.addHook('onClose', async () => {
      await Promise.allSettled([pub.quit(), sub.quit()])
      pub.disconnect()
      sub.disconnect()
    })
  },
  { name: 'realtime', dependencies: ['redis', 'changes', 'auth', 'aggregate', 'query'] },
)
