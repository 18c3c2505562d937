/**
 * A Socket.IO client on the HTTP long-polling transport, spoken by hand (Engine.IO v4 over plain GET and
 * POST), so that a test decides when it polls: one that stops polling is a client whose updates wait in
 * the server's queue (a frozen tab that fell back to long-polling). It reads each `update`'s
 * `result.total`; it does not upgrade, reconnect, or answer pings on its own (a test polls well within
 * the server's heartbeat).
 */
import { SOCKET_PATH } from '../../protocol/events.ts'

/** Engine.IO v4 puts packets of one HTTP body one after the other, separated by this */
const SEPARATOR = '\x1e'

/** What one poll brought. */
export interface Poll {
  /** the HTTP status: 400 when the server no longer knows the session */
  status: number
  /** Engine.IO packets, in order (`4…` messages, `2` ping, `6` noop, `1` close) */
  packets: string[]
  /** `result.total` of each `update` among them */
  totals: (number | null)[]
}

export interface PollingSocket {
  /** the Engine.IO session id */
  sid: string
  /** emits `event` with `data` and an ack, then polls until the ack comes; resolves with its argument */
  request<T>(event: string, data: unknown): Promise<T>
  /** one GET: what the server queued for this client since the last one (waits for something if nothing is) */
  poll(): Promise<Poll>
}

/** Opens an Engine.IO session on the polling transport at `url` (http://host:port) and joins the namespace `/`. */
export async function openPollingSocket(url: string): Promise<PollingSocket> {
  const base = `${url}${SOCKET_PATH}/?EIO=4&transport=polling`
  let nextAck = 0
  const open = await fetch(base)
  const handshake = await open.text()
  if (open.status !== 200 || !handshake.startsWith('0')) throw new Error(`handshake refused: ${open.status} ${handshake.slice(0, 200)}`)
  const sid = (JSON.parse(handshake.slice(1)) as { sid: string }).sid
  const at = `${base}&sid=${encodeURIComponent(sid)}`
  /** acks that came with a poll but were not asked for yet */
  const acks = new Map<number, unknown>()

  const send = async (packet: string) => {
    const res = await fetch(at, { method: 'POST', body: packet, headers: { 'content-type': 'text/plain;charset=UTF-8' } })
    const text = await res.text()
    if (res.status !== 200) throw new Error(`POST refused: ${res.status} ${text.slice(0, 200)}`)
  }
  const poll = async (): Promise<Poll> => {
    const res = await fetch(at)
    const text = await res.text()
    if (res.status !== 200) return { status: res.status, packets: [], totals: [] }
    const packets = text.split(SEPARATOR)
    const totals: (number | null)[] = []
    for (const p of packets) {
      if (p.startsWith('42["update",')) totals.push((JSON.parse(p.slice(2)) as [string, { result: { total: number | null } }])[1].result.total)
      else if (p.startsWith('43')) {
        const bracket = p.indexOf('[')
        acks.set(Number(p.slice(2, bracket)), (JSON.parse(p.slice(bracket)) as unknown[])[0])
      }
    }
    return { status: res.status, packets, totals }
  }

  await send('40')
  for (let i = 0; i < 10; i++) {
    const { packets } = await poll()
    if (packets.some((p) => p.startsWith('40'))) break
    if (packets.some((p) => p.startsWith('44'))) throw new Error(`connect_error: ${packets.join(' ')}`)
  }

  return {
    sid,
    poll,
    async request<T>(event: string, data: unknown): Promise<T> {
      const id = nextAck++
      await send(`42${id}${JSON.stringify([event, data])}`)
      for (let i = 0; i < 100 && !acks.has(id); i++) {
        const { status } = await poll()
        if (status !== 200) throw new Error(`the session ended (${status}) before the ack`)
      }
      if (!acks.has(id)) throw new Error(`no ack for ${event}`)
      const ack = acks.get(id) as T
      acks.delete(id)
      return ack
    },
  }
}
