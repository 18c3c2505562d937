/**
 * Change notices: after a batch is applied, one notice says which metrics moved and over
 * which period of occurrence. Notices travel through Redis pub/sub, so every server
 * process (not only the one that ingested) refreshes its own subscribers.
 */
import { EventEmitter } from 'node:events'
import fp from 'fastify-plugin'
import type { MetricName } from '../../protocol/metrics.ts'

export interface ChangeNotice {
  /** metrics whose figures may have changed */
  metrics: MetricName[]
  /** earliest and latest occurredAt touched (RFC 3339); absent for master data changes */
  from?: string
  to?: string
  /** true when master data (names, thresholds) changed */
  masterData?: boolean
}

/** `change`: a notice; `resync`: notices may have been missed (the subscription was re-established): recompute everything */
export type ChangeFeedEvents = { change: [notice: ChangeNotice]; resync: [] }

export interface ChangeFeed extends EventEmitter<ChangeFeedEvents> {
  /** announce a change to every server process (including this one) */
  publish(notice: ChangeNotice): Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    changes: ChangeFeed
  }
}

export const changesPlugin = fp(
  async (fastify) => {
    const { redis, redisSub, keys } = fastify
    const feed = new EventEmitter<ChangeFeedEvents>() as ChangeFeed
    feed.setMaxListeners(0)
    feed.publish = async (notice) => {
      await redis.publish(keys.changed, JSON.stringify(notice))
    }
    redisSub.on('message', (channel: string, message: string) => {
      if (channel !== keys.changed) return
      let notice: ChangeNotice
      try {
        notice = JSON.parse(message) as ChangeNotice
      } catch (err) {
        fastify.log.error({ err }, 'malformed change notice ignored')
        return
      }
      feed.emit('change', notice)
    })
    let subscribed = false
    const subscribe = () => {
      redisSub.subscribe(keys.changed).then(
        () => {
          // notices published while the subscriber was away are lost: listeners recompute what they show
          if (subscribed) feed.emit('resync')
          subscribed = true
        },
        (err: unknown) => fastify.log.warn({ err }, 'change feed subscribe failed; retried on reconnect'),
      )
    }
    // on every (re)connection: a subscribe is idempotent, and a server that started before Redis needs it
    redisSub.on('ready', subscribe)
    if (redisSub.status === 'ready') subscribe()
    fastify.decorate('changes', feed)
  },
  { name: 'changes', dependencies: ['redis'] },
)
