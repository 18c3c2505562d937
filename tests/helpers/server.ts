/** A cockpit server for tests: in-process (buildApp) or a real child process. */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { loadConfig } from '../../server/config.ts'
import { freePort } from './private-redis.ts'
import { deletePrefix } from './redis-prefix.ts'

const root = new URL('../../', import.meta.url).pathname
/** the built screen the test servers serve (TEST_SCREEN_DIR lets one run build its own copy) */
export const SCREEN_DIR = process.env.TEST_SCREEN_DIR ?? `${root}dist/screen`

export interface TestServer {
  app: FastifyInstance
  url: string
  prefix: string
  ingestKey: string
  adminKey: string
  close(): Promise<void>
}

/** buildApp on a free port with its own key prefix; close() also deletes the prefix's keys. */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const prefix = env.COCKPIT_KEY_PREFIX ?? `test:${randomUUID().slice(0, 8)}:`
  const ingestKey = `ik_${randomUUID()}`
  const adminKey = `ak_${randomUUID()}`
  const app = await buildApp({
    config: loadConfig({ COCKPIT_KEY_PREFIX: prefix, COCKPIT_INGEST_KEYS: ingestKey, COCKPIT_ADMIN_KEY: adminKey, COCKPIT_SCREEN_DIR: SCREEN_DIR, ...env }),
    logger: false,
  })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  for (let i = 0; i < 100 && !app.aggregator.ready; i++) await new Promise((r) => setTimeout(r, 20))
  return {
    app,
    url,
    prefix,
    ingestKey,
    adminKey,
    async close() {
      await deletePrefix(app.redis, prefix).catch(() => 0)
      await app.close()
    },
  }
}

export interface ServerProcess {
  url: string
  child: ChildProcess
  /** sends a signal and resolves with the exit code */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/**
 * `node --import tsx server/main.ts` on a free port; resolves once `readyPath` answers 200.
 * `nodeArgs` go before the script (e.g. `--cpu-prof`, which NODE_OPTIONS refuses); worker processes inherit them.
 */
export async function spawnServerProcess(env: Record<string, string>, readyPath = '/readyz', nodeArgs: string[] = []): Promise<ServerProcess> {
  // a port free now, from the system: a random one could be a connection's local port (the fan-out bench leaves
  // 20,000 of them closing, in the range a random pick fell in one time in three)
  const port = await freePort()
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: '', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}: ${stderr}`)
    try {
      if ((await fetch(url + readyPath)).status === 200) break
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    url,
    child,
    stop(signal = 'SIGTERM') {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode)
        child.once('exit', (code) => resolve(code))
        child.kill(signal)
      })
    },
  }
}

/**
 * Two server processes on one Redis under a fresh key prefix: started before the file's tests,
 * killed after them with their sockets closed and their keys deleted.
 */
export function useTwoServerProcesses(label: string, extraEnv: Record<string, string> = {}) {
  const prefix = `test:${label}:${randomUUID().slice(0, 8)}:`
  const env = { COCKPIT_KEY_PREFIX: prefix, COCKPIT_INGEST_KEYS: 'ik', COCKPIT_ADMIN_KEY: 'ak', ...extraEnv }
  const sockets: { disconnect(): unknown }[] = []
  let a: ServerProcess | undefined
  let b: ServerProcess | undefined
  beforeAll(async () => {
    ;[a, b] = await Promise.all([spawnServerProcess(env), spawnServerProcess(env)])
  })
  afterAll(async () => {
    for (const s of sockets) s.disconnect()
    await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')])
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
    await deletePrefix(redis, prefix)
    redis.disconnect()
  })
  return {
    get a(): ServerProcess {
      return a!
    },
    get b(): ServerProcess {
      return b!
    },
    /** closes this socket after the file's tests */
    track<S extends { disconnect(): unknown }>(socket: S): S {
      sockets.push(socket)
      return socket
    },
  }
}
