/** A nats-server with JetStream of a test's own, on a free port, that the test may stop and restart (same store). */
import { createConnection } from 'node:net'
import { startPrivateServer } from './private-redis.ts'

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
  const server = await startPrivateServer('nats', process.env.NATS_SERVER ?? 'nats-server', (port, dir) => ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], listening)
  return Object.assign(server, { url: `nats://127.0.0.1:${server.port}` })
}
