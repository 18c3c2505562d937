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

/** Subscriptions one socket may hold (a screen has a few dozen widgets at most). */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 64
/** Rolling windows (`today`, `PT1H`) are recomputed this often even without ingest. */
const ROLLING_REFRESH_MS = 15_000

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
    io.adapter(createAdapter(pub, sub, { key: fastify.keys.socketIo }))

    const rooms = new RoomRegistry({
      compute: (query) => queryEngine.run(query),
      publish: (room) => io.local.to(room.id).emit('update', { subscription: room.id, version: room.version, result: room.result! }),
      intervalMs: config.pushIntervalMs,
      onError: (err, room) => fastify.log.warn({ err, subscription: room.id }, 'subscription refresh failed'),
    })

    io.use((socket, next) => {
      const token = typeof socket.handshake.auth?.token === 'string' ? socket.handshake.auth.token : undefined
      if (authz.allows(token, 'viewer')) return next()
      next(new Error('unauthorized'))
    })

    io.on('connection', (socket) => {
      const mine = new Set<string>()
      socket.emit('status', { redis: redisState.up, at: new Date().toISOString(), timeZone: config.timeZone })

      socket.on('subscribe', async (input, ack) => {
        const reply = (response: SubscribeAck) => {
          if (typeof ack === 'function') ack(response)
        }
        let query
        try {
          query = queryEngine.parse(input)
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

      socket.on('disconnect', () => {
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
