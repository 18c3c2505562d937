/**
 * Redis topologies of a test's own, from spawned redis-server processes on free local ports,
 * each in its own temporary directory: a Sentinel set (primary, replica, three Sentinels) and a
 * three-primary Redis Cluster. Everything started is killed and its directory removed by destroy()
 * (and killed at the latest when the test process exits).
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { freePort } from './private-redis.ts'

export { freePort }

const started = new Set<ChildProcess>()
process.once('exit', () => {
  for (const c of started) if (c.exitCode === null) c.kill('SIGKILL')
})

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const got = await probe().catch(() => undefined)
    if (got !== undefined) return got
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** A one-off command to 127.0.0.1:port; undefined when it cannot be reached. */
export async function ask(port: number, ...command: [string, ...(string | number)[]]): Promise<unknown> {
  const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 500 })
  c.on('error', () => {})
  try {
    await c.connect()
    return await c.call(...command)
  } finally {
    c.disconnect()
  }
}

export interface RedisNode {
  port: number
  dir: string
  /** the running process, if any */
  readonly child: ChildProcess | undefined
  /** starts the process (again: same port, same directory and data) */
  start(): Promise<void>
  /** sends a signal and waits for the exit */
  kill(signal?: NodeJS.Signals): Promise<void>
}

/** redis-server (or `redis-server <conf> --sentinel` with `sentinel: true`) with `args`, in a fresh directory. */
export async function redisNode(args: (dir: string, port: number) => string[], opts: { sentinel?: boolean } = {}): Promise<RedisNode> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'cockpit-topology-'))
  let child: ChildProcess | undefined
  const node: RedisNode = {
    port,
    dir,
    get child() {
      return child
    },
    async start() {
      child = spawn('redis-server', args(dir, port), { stdio: 'ignore' })
      started.add(child)
      await until(`redis-server on ${port}${opts.sentinel ? ' (sentinel)' : ''}`, 10_000, async () => ((await ask(port, 'PING')) === 'PONG' ? true : undefined))
    },
    async kill(signal = 'SIGTERM') {
      const c = child
      child = undefined
      if (!c || c.exitCode !== null || c.signalCode !== null) return
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve())
        c.kill(signal)
      })
      started.delete(c)
    },
  }
  await node.start()
  return node
}

async function destroyAll(nodes: RedisNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.kill('SIGKILL')))
  for (const n of nodes) rmSync(n.dir, { recursive: true, force: true })
}

const DATA_NODE = (dir: string, port: number) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec']

export interface SentinelSet {
  /** the name the Sentinels monitor the primary under */
  name: string
  primary: RedisNode
  replica: RedisNode
  sentinels: RedisNode[]
  /** `host:port,…` of the Sentinels (REDIS_SENTINELS) */
  sentinelList: string
  /** the port of the primary the Sentinels name now */
  primaryPort(): Promise<number>
  destroy(): Promise<void>
}

/**
 * A primary, one replica and three Sentinels (quorum 2) that declare the primary down after
 * `downAfterMs` and fail over within `failoverTimeoutMs`.
 */
export async function startSentinelSet(o: { downAfterMs?: number; failoverTimeoutMs?: number } = {}): Promise<SentinelSet> {
  const name = 'cockpit-test'
  const nodes: RedisNode[] = []
  try {
    const primary = await redisNode(DATA_NODE)
    nodes.push(primary)
    const replica = await redisNode((dir, port) => [...DATA_NODE(dir, port), '--replicaof', '127.0.0.1', String(primary.port)])
    nodes.push(replica)
    await until('replica in sync', 10_000, async () => (/master_link_status:up/.test(String(await ask(replica.port, 'INFO', 'replication'))) ? true : undefined))
    const sentinels: RedisNode[] = []
    for (let i = 0; i < 3; i++) {
      const s = await redisNode(
        (dir, port) => {
          const conf = join(dir, 'sentinel.conf')
          writeFileSync(
            conf,
            [
              `port ${port}`,
              'bind 127.0.0.1',
              `dir ${dir}`,
              `sentinel monitor ${name} 127.0.0.1 ${primary.port} 2`,
              `sentinel down-after-milliseconds ${name} ${o.downAfterMs ?? 1000}`,
              `sentinel failover-timeout ${name} ${o.failoverTimeoutMs ?? 3000}`,
              `sentinel parallel-syncs ${name} 1`,
              '',
            ].join('\n'),
          )
          return [conf, '--sentinel']
        },
        { sentinel: true },
      )
      sentinels.push(s)
      nodes.push(s)
    }
    // every Sentinel has found the replica and the other Sentinels (else a fail-over cannot be agreed)
    for (const s of sentinels) {
      await until('sentinels discover each other', 15_000, async () => {
        const info = (await ask(s.port, 'SENTINEL', 'MASTER', name)) as string[]
        const field = (k: string) => Number(info[info.indexOf(k) + 1])
        return field('num-slaves') >= 1 && field('num-other-sentinels') >= 2 ? true : undefined
      })
    }
    return {
      name,
      primary,
      replica,
      sentinels,
      sentinelList: sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
      async primaryPort() {
        for (const s of sentinels) {
          const addr = (await ask(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name).catch(() => undefined)) as [string, string] | undefined
          if (addr) return Number(addr[1])
        }
        throw new Error('no Sentinel answers')
      },
      destroy: () => destroyAll(nodes),
    }
  } catch (err) {
    await destroyAll(nodes)
    throw err
  }
}

export interface ClusterSet {
  nodes: RedisNode[]
  /** `host:port,…` of every node (REDIS_CLUSTER) */
  nodeList: string
  /** the port of the node serving `key`'s slot */
  portOf(key: string): Promise<number>
  destroy(): Promise<void>
}

/** Three primaries, no replicas, slots spread by `redis-cli --cluster create`. */
export async function startCluster(): Promise<ClusterSet> {
  const nodes: RedisNode[] = []
  try {
    for (let i = 0; i < 3; i++) {
      nodes.push(
        await redisNode((dir, port) => [...DATA_NODE(dir, port), '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-node-timeout', '2000']),
      )
    }
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' })
    if (create.error) throw new Error(`redis-cli could not be run (${create.error.message}): it comes with redis-server (Debian: redis-tools)`)
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed (${create.status}): ${create.stderr || create.stdout}`)
    for (const n of nodes) {
      await until('cluster_state:ok', 15_000, async () => (/cluster_state:ok/.test(String(await ask(n.port, 'CLUSTER', 'INFO'))) ? true : undefined))
    }
    return {
      nodes,
      nodeList: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
      async portOf(key) {
        const slot = Number(await ask(nodes[0]!.port, 'CLUSTER', 'KEYSLOT', key))
        const ranges = (await ask(nodes[0]!.port, 'CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][]
        const range = ranges.find(([from, to]) => slot >= from && slot <= to)
        if (!range) throw new Error(`slot ${slot} is not served`)
        return Number(range[2][1])
      },
      destroy: () => destroyAll(nodes),
    }
  } catch (err) {
    await destroyAll(nodes)
    throw err
  }
}
