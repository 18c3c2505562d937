/** A nats-server with JetStream of a test's own, on a free port, that the test may stop and restart (same store). */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './private-redis.ts'

export interface PrivateNats {
  url: string
  start(): Promise<void>
  stop(): Promise<void>
  /** stop and delete its store directory */
  destroy(): Promise<void>
}

/** the JetStream the machine runs (tests make their own streams on it, random names) */
export const SHARED_NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => {
      s.destroy()
      resolve(true)
    })
    s.on('error', () => resolve(false))
  })
}

export async function startPrivateNats(): Promise<PrivateNats> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'cockpit-nats-'))
  let child: ChildProcess | undefined
  const handle: PrivateNats = {
    url: `nats://127.0.0.1:${port}`,
    async start() {
      child = spawn(process.env.NATS_SERVER ?? 'nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' })
      for (let i = 0; i < 100; i++) {
        if (await listening(port)) return
        await new Promise((r) => setTimeout(r, 50))
      }
      throw new Error('nats-server did not start')
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
