/**
 * Socket.IO gateway (design §4 Realtime). Each process serves its own sockets: every process
 * receives every change notice through Redis pub/sub, recomputes its dirty rooms once and
 * emits with `io.local`. The Redis adapter joins the processes into one Socket.IO cluster for
 * broadcasts that must reach every client (none yet beyond status), without doubling updates.
 */
import fp from 'fastify-plugin'
import { Redis } from 'ioredis'
import { Server } from 'socket.io'
import { createAdapter } from '@socket.io/redis-adapter'
import { SOCKET_PATH } from '../../protocol/events.ts'
import type { ClientToServerEvents, InterServerEvents, ProtocolError, ServerToClientEvents, SocketData, SubscribeAck } from '../../protocol/events.ts'
import { RoomRegistry } from '../realtime/rooms.ts'
import { toCockpitError } from './errors.ts'
import { assertMayRead, expiresAtOf, scopeOf } from '../auth/scope.ts'
import type { Principal } from '../auth/scope.ts'

/** Subscriptions one socket may hold (a screen has a few dozen widgets at most). */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 64
/** Rolling windows (`today`, `PT1H`) are recomputed this often even without ingest. */
const ROLLING_REFRESH_MS = 15_000

/** Wall names: what `joinWall` accepts and `POST /api/v1/walls/:wall/show` addresses. */
export const WALL_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'
const WALL_NAME = new RegExp(WALL_NAME_PATTERN)

/** Socket.IO room of a wall (subscription rooms are base64url hashes: no `:`, no clash). */
export function wallRoom(name: string): string {
  return `wall:${name}`
}

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

export type CockpitIo = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>

declare module 'fastify' {
  interface FastifyInstance {
    io: CockpitIo
  }
}

function protocolError(err: unknown): ProtocolError {
  const known = toCockpitError(err)
  if (known) return { code: known.code, message: known.message, ...(known.errors ? { errors: known.errors } : {}) }
  return { code: 'COCKPIT_ERR_INTERNAL', message: 'internal error' }
}

export const realtimePlugin = fp(
  async (fastify) => {
    const { config, queryEngine, redisState, changes, authz } = fastify
    const io: CockpitIo = new Server(fastify.server, { path: SOCKET_PATH, serveClient: false, cors: { origin: false } })

    // the adapter's own connections: they may queue while Redis is away, unlike ingest's
    const pub = new Redis(config.redisUrl, { connectionName: 'cockpit-sio-pub', maxRetriesPerRequest: null, retryStrategy: (n) => Math.min(50 * n, 1000) })
    const sub = pub.duplicate({ connectionName: 'cockpit-sio-sub' })
    for (const c of [pub, sub]) c.on('error', () => {})
    // requestsTimeout bounds cross-process questions (wall control counts a wall's sockets)
    io.adapter(createAdapter(pub, sub, { key: fastify.keys.socketIo, requestsTimeout: 3000 }))

    const rooms = new RoomRegistry({
      compute: (query) => queryEngine.run(query),
      publish: (room) => io.local.to(room.id).emit('update', { subscription: room.id, version: room.version, result: room.result! }),
      intervalMs: config.pushIntervalMs,
      onError: (err, room) => fastify.log.warn({ err, subscription: room.id }, 'subscription refresh failed'),
    })

    // who each socket is: decided once at the handshake (expiry is re-checked on every subscribe)
    const principals = new WeakMap<object, Principal>()
    io.use((socket, next) => {
      const token = typeof socket.handshake.auth?.token === 'string' ? socket.handshake.auth.token : undefined
      authz.authorize(token, 'viewer', { embed: true }).then(
        (principal) => {
          principals.set(socket, principal)
          const scope = scopeOf(principal)
          if (scope) socket.data.scope = scope
          next()
        },
        (err: unknown) => {
          const known = toCockpitError(err)
          // connect_error on the client: `message` says why, `data` has the code and the bare reason
          const reason = known?.message ?? 'authorisation failed'
          const refused = new Error(`unauthorized: ${reason}`) as Error & { data?: unknown }
          refused.data = { code: known?.code ?? 'COCKPIT_ERR_UNAUTHORIZED', message: reason }
          next(refused)
        },
      )
    })

    io.on('connection', (socket) => {
      const mine = new Set<string>()
      const principal = principals.get(socket) ?? { kind: 'anonymous' }
      let wall: string | undefined
      socket.emit('status', { redis: redisState.up, at: new Date().toISOString(), timeZone: config.timeZone })
      // a signed token's socket ends when the token does; the client's reconnect is then refused
      const expiry = expiresAtOf(principal)
      const expiryTimer = expiry === undefined ? undefined : atTime(expiry * 1000, () => socket.disconnect(true))

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
        const room = rooms.join(query, key)
        if (mine.has(room.id)) {
          rooms.leave(room.id) // already a member: don't count twice
        } else if (mine.size >= MAX_SUBSCRIPTIONS_PER_SOCKET) {
          rooms.leave(room.id)
          return reply({ ok: false, error: { code: 'COCKPIT_ERR_TOO_MANY_SUBSCRIPTIONS', message: `at most ${MAX_SUBSCRIPTIONS_PER_SOCKET} subscriptions per connection` } })
        } else {
          mine.add(room.id)
          await socket.join(room.id)
        }
        try {
          const { version, result } = await rooms.current(room)
          reply({ ok: true, subscription: room.id, version, result })
        } catch (err) {
          mine.delete(room.id)
          await socket.leave(room.id)
          rooms.leave(room.id)
          reply({ ok: false, error: protocolError(err) })
        }
      })

      socket.on('unsubscribe', async (id, ack) => {
        const was = typeof id === 'string' && mine.delete(id)
        if (was) {
          await socket.leave(id)
          rooms.leave(id)
        }
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
        for (const id of mine) rooms.leave(id)
        mine.clear()
      })
    })

    changes.on('change', (notice) => {
      if (notice.masterData) rooms.invalidate(() => true)
      else rooms.invalidate((room) => notice.metrics.includes(room.query.metric))
    })
    redisState.on('change', (up) => {
      io.local.emit('status', { redis: up, at: new Date().toISOString(), timeZone: config.timeZone })
      // figures may have moved while we could not see them
      if (up) rooms.invalidate(() => true)
    })
    const rolling = setInterval(() => rooms.invalidate((room) => room.query.window !== undefined), ROLLING_REFRESH_MS)
    rolling.unref()

    fastify.decorate('io', io)
    fastify.addHook('preClose', async () => {
      clearInterval(rolling)
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
  { name: 'realtime', dependencies: ['redis', 'changes', 'auth', 'query'] },
)
