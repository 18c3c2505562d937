/**
 * A hostile Socket.IO load: many sockets (per token) each trying many distinct subscriptions.
 * It runs in a child process (`forkFlood`), so that the load generator's own work — 100,000
 * acks decoded in a few bursts — never stalls the event loop of the server being measured.
 */
import { fileURLToPath } from 'node:url'
import { fork } from 'node:child_process'
import { setPriority } from 'node:os'
import { io as connect } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck } from '../../protocol/events.ts'
import type { Query } from '../../protocol/query.ts'

export interface FloodOptions {
  url: string
  /** one client per token (`undefined`: anonymous) */
  tokens: (string | undefined)[]
  socketsPerToken: number
  subscriptionsPerSocket: number
  /** subscriptions a socket sends before awaiting their acks @default 50 */
  burst?: number
  /** a socket connects, and sends each burst, after a random 0…jitterMs, as independent clients do (0: all at once) @default 0 */
  jitterMs?: number
}

export interface FloodResult {
  sockets: number
  connected: number
  /** connect_error codes (or messages) of refused sockets */
  refused: Record<string, number>
  acks: number
  /** subscriptions without an ack within 30 s (or whose socket was dropped) */
  unanswered: number
  ok: number
  /** distinct subscription ids acked ok: the rooms the server took */
  distinctOk: number
  /** refusal codes of subscribe acks */
  codes: Record<string, number>
  connectMs: number
  subscribeMs: number
}

const METRICS = [
  'cash.in',
  'cash.out',
  'cash.net',
  'sales.revenue',
  'sales.qty',
  'sales.cogs',
  'sales.orders',
  'sales.orderAmount',
  'purchase.orderAmount',
  'purchase.receiptAmount',
] as const

/** The n-th distinct query of a flood: rolling windows of every length, on ten metrics. */
export function floodQuery(n: number): Query {
  return { metric: METRICS[n % METRICS.length]!, window: `PT${Math.floor(n / METRICS.length) + 1}M` }
}

type Client = Socket<ServerToClientEvents, ClientToServerEvents>
const ACK_TIMEOUT_MS = 30_000

/** Runs the flood in this process; `close()` disconnects its sockets. */
export async function runFlood(o: FloodOptions): Promise<{ result: FloodResult; close(): void }> {
  const burst = o.burst ?? 50
  const t0 = performance.now()
  const sockets: Client[] = o.tokens.flatMap((token) =>
    Array.from({ length: o.socketsPerToken }, () => {
      const c: Client = connect(o.url, { transports: ['websocket'], reconnection: false, forceNew: true, autoConnect: false, ...(token ? { auth: { token } } : {}) })
      if (o.jitterMs) setTimeout(() => c.connect(), Math.random() * o.jitterMs)
      else c.connect()
      return c
    }),
  )
  const refused: Record<string, number> = {}
  const live = (
    await Promise.all(
      sockets.map(
        (c) =>
          new Promise<Client | undefined>((resolve) => {
            c.once('connect', () => resolve(c))
            c.once('connect_error', (err: Error & { data?: { code?: string } }) => {
              const code = err.data?.code ?? err.message
              refused[code] = (refused[code] ?? 0) + 1
              resolve(undefined)
            })
          }),
      ),
    )
  ).filter((c): c is Client => c !== undefined)
  const connectMs = performance.now() - t0
  const t1 = performance.now()
  const codes: Record<string, number> = {}
  const ids = new Set<string>()
  let acks = 0
  let ok = 0
  let unanswered = 0
  await Promise.all(
    live.map(async (c, s) => {
      for (let sent = 0; sent < o.subscriptionsPerSocket; sent += burst) {
        if (o.jitterMs) await new Promise((r) => setTimeout(r, Math.random() * o.jitterMs!))
        const n = Math.min(burst, o.subscriptionsPerSocket - sent)
        const replies = await Promise.all(
          Array.from(
            { length: n },
            (_, i) =>
              new Promise<SubscribeAck | undefined>((resolve) =>
                // a server that stops answering (or drops the socket) must not hang the flood
                c
                  .timeout(ACK_TIMEOUT_MS)
                  .emit('subscribe', floodQuery(s * o.subscriptionsPerSocket + sent + i), (err: Error | null, ack: SubscribeAck) => resolve(err ? undefined : ack)),
              ),
          ),
        )
        for (const a of replies) {
          if (a === undefined) {
            unanswered++
            continue
          }
          acks++
          if (a.ok) {
            ok++
            ids.add(a.subscription)
          } else codes[a.error.code] = (codes[a.error.code] ?? 0) + 1
        }
      }
    }),
  )
  const result: FloodResult = {
    sockets: sockets.length,
    connected: live.length,
    refused,
    acks,
    unanswered,
    ok,
    distinctOk: ids.size,
    codes,
    connectMs,
    subscribeMs: performance.now() - t1,
  }
  return { result, close: () => sockets.forEach((c) => c.disconnect()) }
}

export interface ForkedFlood {
  /** resolves once every subscription was answered (the sockets stay open) */
  result: Promise<FloodResult>
  /** disconnects the sockets and ends the child */
  close(): Promise<void>
}

/** Runs the flood in a child process. */
export function forkFlood(o: FloodOptions): ForkedFlood {
  const child = fork(fileURLToPath(import.meta.url), ['--flood-child'], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  // the clients of a real server run on other machines: here they yield the CPU to the server being measured
  try {
    setPriority(child.pid!, 19)
  } catch {
    // not allowed here: run at the same priority
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const result = new Promise<FloodResult>((resolve, reject) => {
    child.once('message', (m) => resolve(m as FloodResult))
    child.once('exit', (code) => reject(new Error(`flood child exited ${code} before its result`)))
  })
  child.send(o)
  return {
    result,
    async close() {
      if (child.exitCode === null) child.send('close')
      await exited
    },
  }
}

if (process.argv.includes('--flood-child') && process.send) {
  let close: (() => void) | undefined
  let closing = false
  const end = () => {
    close?.()
    setTimeout(() => process.exit(0), 100)
  }
  // one listener for the whole run: it also keeps the IPC channel (and so this process) alive
  process.on('message', (m) => {
    if (m === 'close') {
      closing = true
      if (close) end()
      return
    }
    void runFlood(m as FloodOptions).then((flood) => {
      close = flood.close
      process.send!(flood.result)
      if (closing) end()
    })
  })
}
