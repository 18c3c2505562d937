/**
 * A Socket.IO client that learns which server process took its connection: the WebSocket
 * handshake's response carries `X-Cockpit-Pid` (server/plugins/realtime.ts). With worker
 * processes (COCKPIT_WORKERS) each new connection goes to the next worker in turn.
 */
import { io } from 'socket.io-client'
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client'
import type { IncomingMessage } from 'node:http'
import type { ClientToServerEvents, ServerToClientEvents } from '../../protocol/events.ts'

export type CockpitClient = Socket<ServerToClientEvents, ClientToServerEvents>

interface WsLike {
  once(event: 'upgrade', listener: (res: IncomingMessage) => void): unknown
}

/** Connects over WebSocket only; resolves once connected, with the pid of the process that answered. */
export async function connectWithPid(url: string, opts: Partial<ManagerOptions & SocketOptions> = {}): Promise<{ client: CockpitClient; pid: number }> {
  const client: CockpitClient = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, ...opts })
  // the transport and its `ws` socket exist as soon as io() returns; the handshake answers later
  const ws = (client.io.engine as unknown as { transport: { ws: WsLike } }).transport.ws
  const pid = new Promise<number>((resolve) => ws.once('upgrade', (res) => resolve(Number(res.headers['x-cockpit-pid']))))
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('connect_error', (err) => {
      client.disconnect()
      reject(err)
    })
  })
  return { client, pid: await pid }
}
