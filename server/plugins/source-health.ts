/**
 * Tells the screens when figures stop being fed (docs/connectors.md "Seeing sources work"): every
 * server process reads the sources' status from Redis (the one shared truth, written by whichever
 * process runs each source) and, when the list of sources failing for COCKPIT_SOURCE_STALE_MS or
 * more changes, emits `sources` to its own sockets — and to each socket on connect, so a screen
 * that reconnects never keeps an old list. No pub/sub is needed: every process derives the same
 * list from the same hashes within a check interval.
 */
import fp from 'fastify-plugin'
import type { SourcesHealth } from '../../protocol/sources.ts'
import { staleSources } from '../sources/status.ts'

/** How often the statuses are read: a quarter of the threshold, between 100 ms and 1 s. */
export function healthCheckMs(staleMs: number): number {
  return Math.min(1000, Math.max(100, Math.floor(staleMs / 4)))
}

declare module 'fastify' {
  interface FastifyInstance {
    /** the sources failing long enough for their figures to be stale, as last announced */
    sourceHealth: { current(): SourcesHealth; check(): Promise<void> }
  }
}

export const sourceHealthPlugin = fp(
  async (fastify) => {
    const { sources, io, redisState, config, log } = fastify
    const { staleMs } = config.sources
    let current: SourcesHealth = { stale: [], at: new Date().toISOString() }
    let announced = '[]'
    let checking: Promise<void> | undefined

    async function checkOnce(): Promise<void> {
      // Redis away: the `status` event already says every figure is stale; the list waits for Redis
      if (!redisState.up) return
      const stale = staleSources(await sources.list(), Date.now(), staleMs)
      const key = JSON.stringify(stale)
      if (key === announced) return
      const before = new Set(current.stale.map((s) => s.id))
      announced = key
      current = { stale, at: new Date().toISOString() }
      const added = stale.filter((s) => !before.has(s.id)).map((s) => s.id)
      if (added.length > 0) log.warn({ sources: added, staleMs }, 'sources failing past the threshold: screens mark their figures stale')
      io.local.emit('sources', current)
    }
    const check = () => {
      checking ??= checkOnce()
        .catch((err: unknown) => log.warn({ err }, 'source health not read; tried again at the next check'))
        .finally(() => (checking = undefined))
      return checking
    }

    const timer = setInterval(() => void check(), healthCheckMs(staleMs))
    timer.unref()
    io.on('connection', (socket) => socket.emit('sources', current))
    fastify.decorate('sourceHealth', { current: () => current, check })
    fastify.addHook('preClose', async () => {
      clearInterval(timer)
      await checking
    })
  },
  { name: 'source-health', dependencies: ['sources', 'realtime', 'redis'] },
)
