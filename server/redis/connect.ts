/**
 * How the server reaches Redis — one server (`REDIS_URL`), a Sentinel-watched primary
 * (`REDIS_SENTINELS` + `REDIS_SENTINEL_NAME`) or a Redis Cluster (`REDIS_CLUSTER`) — and the one
 * factory every connection the server opens goes through (commands, the change-notice
 * subscriber, the Socket.IO adapter's pair), so all of them follow a fail-over the same way.
 * docs/operations.md "Redis high availability" says which topology gives what.
 */
import { Cluster, Redis } from 'ioredis'
import type { ClusterOptions, RedisOptions } from 'ioredis'

export interface HostPort {
  host: string
  port: number
}

/** Credentials and database taken from REDIS_URL, for the data nodes of every topology. */
export interface RedisAuth {
  username?: string
  password?: string
  /** database index (a Cluster has only 0) @default 0 */
  db: number
}

export type RedisTopology =
  { kind: 'standalone'; url: string } | { kind: 'sentinel'; sentinels: HostPort[]; name: string; auth: RedisAuth } | { kind: 'cluster'; nodes: HostPort[]; auth: RedisAuth }

/** What a connection does while Redis is away. */
export interface ConnectOptions {
  /** the client name Redis lists (`CLIENT LIST`) */
  connectionName: string
  /**
   * false: a command while disconnected fails at once (ingest answers 503 instead of holding
   * requests); true: it waits for the reconnection (the Socket.IO adapter's broadcasts)
   */
  queueWhileDown: boolean
  /** a command unanswered this long fails (a half-open socket must not hold a request) @default none */
  commandTimeout?: number
}

/** reconnect forever, backing off to 1 s: a wall runs for weeks */
const retry = (times: number) => Math.min(50 * times, 1000)

/**
 * After a fail-over the old primary may come back as a replica while a connection still points
 * at it: its writes then fail with READONLY. Reconnecting makes the connector ask the Sentinels
 * (or the Cluster's slot map) again; the failed command itself is not re-sent (answered 503: the
 * client retries, which is idempotent).
 */
const reconnectOnReadOnly = (err: Error) => err.message.startsWith('READONLY')

function baseOptions(opts: ConnectOptions): RedisOptions {
  return {
    connectionName: opts.connectionName,
    enableOfflineQueue: opts.queueWhileDown,
    maxRetriesPerRequest: opts.queueWhileDown ? null : 0,
    retryStrategy: retry,
    reconnectOnError: reconnectOnReadOnly,
    ...(opts.commandTimeout ? { commandTimeout: opts.commandTimeout } : {}),
  }
}

function authOptions(auth: RedisAuth): RedisOptions {
  return {
    ...(auth.username ? { username: auth.username } : {}),
    ...(auth.password ? { password: auth.password } : {}),
  }
}

/**
 * Opens one connection (or, for a Cluster, one client over all its nodes). A Cluster client is
 * returned as `Redis`: it answers the same commands, pipelines, scripts (`defineCommand`) and
 * pub/sub the server uses, provided every key of a call hashes to one slot — which the hash tag
 * the configuration demands of the key prefix guarantees.
 */
export function connectRedis(topology: RedisTopology, opts: ConnectOptions): Redis {
  const base = baseOptions(opts)
  switch (topology.kind) {
    case 'standalone':
      return new Redis(topology.url, base)
    case 'sentinel':
      return new Redis({
        ...base,
        ...authOptions(topology.auth),
        db: topology.auth.db,
        sentinels: topology.sentinels,
        name: topology.name,
        // Sentinels announce a fail-over (+switch-master): reconnect at once instead of when the old primary's socket breaks
        failoverDetector: true,
        // keep asking the Sentinels, backing off to 1 s
        sentinelRetryStrategy: retry,
      })
    case 'cluster': {
      const { enableOfflineQueue: _queue, retryStrategy: _retry, ...perNode } = base
      const options: ClusterOptions = {
        enableOfflineQueue: opts.queueWhileDown,
        clusterRetryStrategy: retry,
        // writes and reads go to the slot's primary: a replica may lag behind what was acknowledged
        scaleReads: 'master',
        redisOptions: { ...perNode, ...authOptions(topology.auth) },
      }
      return new Cluster(topology.nodes, options) as unknown as Redis
    }
  }
}

/** One line naming where Redis is, for logs and error messages (no credentials). */
export function describeTopology(topology: RedisTopology): string {
  const list = (nodes: HostPort[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',')
  switch (topology.kind) {
    case 'standalone': {
      const u = new URL(topology.url)
      return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`
    }
    case 'sentinel':
      return `primary "${topology.name}" via Sentinels ${list(topology.sentinels)}`
    case 'cluster':
      return `Redis Cluster ${list(topology.nodes)}`
  }
}

/**
 * The hash tag of a key prefix: the text between its first `{` and the first `}` after it, when
 * not empty (Redis Cluster then hashes only that part of every key). undefined without one.
 */
export function hashTagOf(prefix: string): string | undefined {
  const open = prefix.indexOf('{')
  if (open < 0) return undefined
  const close = prefix.indexOf('}', open + 1)
  if (close <= open + 1) return undefined
  return prefix.slice(open + 1, close)
}
