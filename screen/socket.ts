/** The one Socket.IO connection of the screen, typed by protocol/events.ts. */
import { io } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import { SOCKET_PATH } from '../protocol/events.ts'
import type { ClientToServerEvents, ServerToClientEvents } from '../protocol/events.ts'

export type CockpitSocket = Socket<ServerToClientEvents, ClientToServerEvents>

let socket: CockpitSocket | undefined

/** Same origin as the page; `?token=` in the URL is sent as the viewer token. */
export function useSocket(): CockpitSocket {
  if (!socket) {
    const token = new URLSearchParams(window.location.search).get('token')
    socket = io({
      path: SOCKET_PATH,
      transports: ['websocket'],
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      ...(token ? { auth: { token } } : {}),
    })
  }
  return socket
}
