/**
 * Load-generator process of tests/bench/workers.ts: opens COUNT Socket.IO clients (WebSocket only),
 * each subscribed to one query, notes which server process took each (X-Cockpit-Pid) and when every
 * update arrived with which total. On `collect` it is given the probes (send time, total expected)
 * and answers per-process client counts, updates received and a histogram of ingest → client
 * latency (1 ms bins): a few KB over IPC whatever the number of clients.
 */
import type { SubscribeAck } from '../../protocol/events.ts'
import { connectWithPid } from '../helpers/worker-socket.ts'
import type { CockpitClient } from '../helpers/worker-socket.ts'

const [url, countArg, queryJson] = process.argv.slice(2)
const count = Number(countArg)
const query = JSON.parse(queryJson!) as Parameters<CockpitClient['emit']>[1]
const clock = () => performance.timeOrigin + performance.now()
/** per client: arrival time and total of each update */
const updates: [at: number, total: number][][] = []
const clients: CockpitClient[] = []
const perPid: Record<number, number> = {}
let failed = 0
let updatesReceived = 0

async function open(i: number): Promise<void> {
  try {
    const { client, pid } = await connectWithPid(url!, { timeout: 60_000 })
    clients.push(client)
    perPid[pid] = (perPid[pid] ?? 0) + 1
    const ack = await new Promise<SubscribeAck>((resolve) => client.emit('subscribe', query as never, resolve as never))
    if (!ack.ok) throw new Error(ack.error.message)
    const mine: [number, number][] = []
    updates[i] = mine
    client.on('update', (m) => {
      updatesReceived++
      mine.push([clock(), m.result.total ?? 0])
    })
  } catch {
    failed++
  }
}

const CONCURRENT = 100
for (let i = 0; i < count; i += CONCURRENT) await Promise.all(Array.from({ length: Math.min(CONCURRENT, count - i) }, (_, k) => open(i + k)))
process.send!({ ready: clients.length, failed, perPid })

interface Collect {
  cmd: 'collect'
  /** ingests: when each was sent, and the total a client shows once it has arrived */
  probes: { sentAt: number; expected: number }[]
}

process.on('message', (msg: Collect | { cmd: 'reset' }) => {
  if (msg.cmd === 'reset') {
    for (const u of updates) if (u) u.length = 0
    updatesReceived = 0
    return
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
    for (const c of clients) c.disconnect()
    process.exit(0)
  })
})
