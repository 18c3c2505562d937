/**
 * Bench helper process: opens N Socket.IO clients subscribed to one query and records, for
 * every update, when it arrived (cross-process wall clock, sub-millisecond) and its total.
 * Driven over IPC by tests/bench/bench.ts.
 */
import { io } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck } from '../../protocol/events.ts'

type Client = Socket<ServerToClientEvents, ClientToServerEvents>
const [url, countArg] = process.argv.slice(2)
const count = Number(countArg ?? 200)
const clock = () => performance.timeOrigin + performance.now()
const received: [client: number, at: number, total: number][] = []
const clients: Client[] = []

async function open(i: number): Promise<void> {
  const c: Client = io(url!, { transports: ['websocket'], reconnection: false, forceNew: true })
  clients.push(c)
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve())
    c.once('connect_error', reject)
  })
  const ack = await new Promise<SubscribeAck>((resolve) => c.emit('subscribe', { metric: 'cash.in', window: 'today' }, resolve))
  if (!ack.ok) throw new Error(ack.error.message)
  c.on('update', (m) => received.push([i, clock(), m.result.total ?? 0]))
}

for (let i = 0; i < count; i += 50) await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, k) => open(i + k)))
process.send!({ ready: clients.length })
process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd !== 'collect') return
  process.send!({ received }, () => {
    for (const c of clients) c.disconnect()
    process.exit(0)
  })
})
