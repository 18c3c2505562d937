/**
 * Load-generator process of tests/bench/workers.ts: opens COUNT clients (WebSocket only), each
 * subscribed to one query, notes which server process took each (X-Cockpit-Pid) and when every
 * update arrived with which total. On `collect` it is given the probes (send time, total expected)
 * and answers per-process client counts, updates received and a histogram of ingest → client
 * latency (1 ms bins): a few KB over IPC whatever the number of clients.
 *
 * BENCH_FANOUT_CLIENT picks the client: `raw` (default; tests/helpers/raw-socket.ts, Engine.IO/Socket.IO
 * spoken over a plain WebSocket, reading only each update's total) or `socket.io` (socket.io-client,
 * decoding every message in full as a screen does, at about three times the CPU).
 */
import type { Query } from '../../protocol/query.ts'
import type { SubscribeAck } from '../../protocol/events.ts'
import { connectWithPid } from '../helpers/worker-socket.ts'
import { openRawSocket } from '../helpers/raw-socket.ts'

const [url, countArg, queryJson] = process.argv.slice(2)
const count = Number(countArg)
const query = JSON.parse(queryJson!) as Query
const kind = process.env.BENCH_FANOUT_CLIENT ?? 'raw'
if (kind !== 'raw' && kind !== 'socket.io') throw new Error(`BENCH_FANOUT_CLIENT must be raw or socket.io, got "${kind}"`)
const clock = () => performance.timeOrigin + performance.now()
/** per client: arrival time and total of each update */
const updates: [at: number, total: number][][] = []
const closers: (() => void)[] = []
const perPid: Record<number, number> = {}
let failed = 0
let updatesReceived = 0

/** one client subscribed to `query`: how to close it and the pid of its server process */
async function openClient(mine: [number, number][]): Promise<{ close(): void; pid: number; ack: SubscribeAck }> {
  const note = (at: number, total: number | null) => {
    updatesReceived++
    mine.push([at, total ?? 0])
  }
  if (kind === 'raw') {
    const socket = await openRawSocket(url!, { timeout: 60_000, onUpdate: note })
    return { close: () => socket.close(), pid: socket.pid, ack: await socket.request<SubscribeAck>('subscribe', query) }
  }
  const { client, pid } = await connectWithPid(url!, { timeout: 60_000 })
  client.on('update', (m) => note(clock(), m.result.total))
  const ack = await new Promise<SubscribeAck>((resolve) => client.emit('subscribe', query, resolve))
  return { close: () => client.disconnect(), pid, ack }
}

async function open(i: number): Promise<void> {
  try {
    const mine: [number, number][] = []
    const { close, pid, ack } = await openClient(mine)
    closers.push(close)
    if (!ack.ok) throw new Error(ack.error.message)
    perPid[pid] = (perPid[pid] ?? 0) + 1
    updates[i] = mine
  } catch {
    failed++
  }
}

const CONCURRENT = 100
for (let i = 0; i < count; i += CONCURRENT) await Promise.all(Array.from({ length: Math.min(CONCURRENT, count - i) }, (_, k) => open(i + k)))
process.send!({ ready: updates.filter(Boolean).length, failed, perPid })

interface Collect {
  cmd: 'collect'
  /** ingests: when each was sent, and the total a client shows once it has arrived */
  probes: { sentAt: number; expected: number }[]
}

interface Settle {
  cmd: 'settle'
  /** the total every client shows once the last ingest reached it */
  expected: number
  /** how long to wait for it (ms) */
  timeoutMs: number
}

/** clients whose last update does not show `expected` yet */
const behind = (expected: number) => updates.filter((u) => u && (u.at(-1)?.[1] ?? -Infinity) < expected - 0.005).length

process.on('message', (msg: Collect | Settle | { cmd: 'reset' }) => {
  if (msg.cmd === 'reset') {
    for (const u of updates) if (u) u.length = 0
    updatesReceived = 0
    return
  }
  if (msg.cmd === 'settle') {
    const deadline = Date.now() + msg.timeoutMs
    const poll = () => {
      const left = behind(msg.expected)
      if (left === 0 || Date.now() >= deadline) process.send!({ behind: left })
      else setTimeout(poll, 50)
    }
    return poll()
  }
  const histogram = new Array<number>(60_001).fill(0)
  let missed = 0
  for (const mine of updates) {
    if (!mine) continue
    let j = 0
    for (const p of msg.probes) {
      // updates arrive in order: the first one at or after the send that shows the total
      while (j < mine.length && (mine[j]![0] < p.sentAt || mine[j]![1] < p.expected - 0.005)) j++
      if (j === mine.length) {
        missed++
        continue
      }
      histogram[Math.min(60_000, Math.round(mine[j]![0] - p.sentAt))]!++
    }
  }
  process.send!({ histogram, missed, updates: updatesReceived }, () => {
    for (const close of closers) close()
    process.exit(0)
  })
})
