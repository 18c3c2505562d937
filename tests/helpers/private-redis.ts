/** A redis-server of a test's own, on a free port, that the test may stop and restart. */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'

export interface PrivateRedis {
  url: string
  port: number
  start(): Promise<void>
  stop(): Promise<void>
  /** stop and delete its data directory */
  destroy(): Promise<void>
}

/** a TCP port free on 127.0.0.1 now */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
    srv.on('error', reject)
  })
}

/** CPU seconds a Redis has used (INFO cpu: user + system, microsecond precision) */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu')
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? NaN)
  return field('used_cpu_user') + field('used_cpu_sys')
}

async function ping(url: string): Promise<boolean> {
  const c = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 500 })
  c.on('error', () => {})
  try {
    await c.connect()
    return (await c.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    c.disconnect()
  }
}

/** A server process of a test's own on a free port with a data directory, that the test may stop and restart. */
export interface PrivateServer {
  port: number
  start(): Promise<void>
  stop(): Promise<void>
  /** stop and delete its data directory */
  destroy(): Promise<void>
}

/**
 * Starts `command args(port, dir)` and waits until `ready(port)`; start() again after stop() reuses the
 * port and the directory (a restart keeps what the server stored there).
 */
export async function startPrivateServer(
  name: string,
  command: string,
  args: (port: number, dir: string) => string[],
  ready: (port: number) => Promise<boolean>,
): Promise<PrivateServer> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), `cockpit-${name}-`))
  let child: ChildProcess | undefined
  const handle: PrivateServer = {
    port,
    async start() {
      child = spawn(command, args(port, dir), { stdio: 'ignore' })
      for (let i = 0; i < 100; i++) {
        if (await ready(port)) return
        await new Promise((r) => setTimeout(r, 50))
      }
      throw new Error(`${command} did not start`)
    },
    async stop() {
      const c = child
      child = undefined
      if (!c || c.exitCode !== null) return
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve())
        c.kill('SIGTERM')
      })
    },
    async destroy() {
      await handle.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  await handle.start()
  return handle
}

/** Starts redis-server with an append-only file, so a restart keeps the data (not the scripts). */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const server = await startPrivateServer(
    'redis',
    'redis-server',
    (port, dir) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''],
    (port) => ping(`redis://127.0.0.1:${port}`),
  )
  return Object.assign(server, { url: `redis://127.0.0.1:${server.port}` })
}
