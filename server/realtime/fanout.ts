/**
 * Pushing one message to every socket of a room of this process (docs/architecture.md "Realtime").
 *
 * `io.local.to(room).emit()` encodes the packet and its WebSocket frame once per broadcast, but then
 * passes it through each socket's Engine.IO packet queue (a packet object, three events, a callback
 * per write) and ws' two-part write (cork, header, payload, uncork: a `writev`). With 10,000 sockets
 * per room that per-socket machinery was half of the user CPU of a push. Here the frame is built
 * once as one buffer and written straight to each socket's TCP connection — when, and only when,
 * nothing else can be in between: the Engine.IO socket is open on the WebSocket transport with its
 * queue empty and no write in flight, and the WebSocket is open without compression and with
 * nothing queued in its sender. Any other socket (long-polling, upgrading, a write in flight, a
 * closing connection) gets the message through `socket.emit`, in order behind what it has queued.
 * Bytes on the wire are the same either way.
 */

/** What a push did (counts since start: operators and tests see whether the direct path is taken). */
export interface FanoutStats {
  /** messages written straight to a socket's TCP connection */
  direct: number
  /** messages that went through Socket.IO's own path */
  queued: number
  /** connections closed because they did not read what was sent to them (FanoutLimits) */
  shed: number
}

/**
 * How much a connection may leave unread before it is closed: a client that stops reading (a frozen tab, a
 * stalled network) would otherwise hold every update pushed to it in this process's memory until the heartbeat
 * gives up on it (~45 s: at a few updates a second of a big wall, hundreds of MB). Closed, the client reconnects
 * when it can and subscribes again, replacing its state — what it does after any lost connection.
 */
export interface FanoutLimits {
  /** bytes waiting in a WebSocket's connection (COCKPIT_SOCKET_BACKLOG_BYTES) */
  maxBacklogBytes: number
  /** packets waiting in a connection's Engine.IO queue (a long-polling client between polls, an upgrade; COCKPIT_SOCKET_BACKLOG_PACKETS) */
  maxQueuedPackets: number
}

/** Internals of engine.io 6 / ws 8 the direct path relies on; each is checked on every write. */
interface EngineSocketInternals {
  readyState?: string
  writeBuffer?: unknown[]
  transport?: {
    name?: string
    writable?: boolean
    socket?: {
      readyState?: number
      extensions?: string
      _socket?: { writable?: boolean; destroyed?: boolean; writableLength?: number; write(data: Buffer): boolean }
      _sender?: { _queue?: unknown[]; _state?: number }
      /** ws' own: destroys the connection at once, whatever is waiting */
      terminate?(): void
    }
  }
  close?(): void
}

/**
 * Closes `socket`'s connection when it has more unread than `limits` allow; true when it did. A WebSocket is
 * terminated (its close handshake would wait behind the backlog), any other transport closed.
 */
function shedIfBehind(socket: RoomSocket, limits: FanoutLimits): boolean {
  const conn = socket.conn as unknown as EngineSocketInternals
  const ws = conn.transport?.name === 'websocket' ? conn.transport.socket : undefined
  const bytes = ws?._socket?.writableLength ?? 0
  const packets = conn.writeBuffer?.length ?? 0
  if (bytes <= limits.maxBacklogBytes && packets <= limits.maxQueuedPackets) return false
  if (typeof ws?.terminate === 'function') ws.terminate()
  else conn.close?.()
  return true
}

/** One unmasked, final text frame (RFC 6455 §5.2) holding `payload`. */
export function textFrame(payload: Buffer): Buffer {
  const length = payload.length
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10
  const frame = Buffer.allocUnsafe(header + length)
  frame[0] = 0x81 // FIN, opcode 1 (text)
  if (header === 2) frame[1] = length
  else if (header === 4) {
    frame[1] = 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 127
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2)
    frame.writeUInt32BE(length >>> 0, 6)
  }
  payload.copy(frame, header)
  return frame
}

/**
 * The frame of a Socket.IO event without acknowledgement on the main namespace: Engine.IO `4`
 * (message), Socket.IO `2` (event), then the JSON array — what socket.io-parser and engine.io-parser
 * write for it when the data holds no binary.
 */
export function eventFrame(event: string, data: unknown): Buffer {
  return textFrame(Buffer.from(`42${JSON.stringify([event, data])}`))
}

/** Writes `frame` to the socket's TCP connection if nothing can be in between; false when it may not. */
function writeDirect(socket: RoomSocket, frame: Buffer): boolean {
  const conn = socket.conn as unknown as EngineSocketInternals
  if (conn.readyState !== 'open' || conn.writeBuffer?.length !== 0) return false
  const transport = conn.transport
  if (transport?.name !== 'websocket' || transport.writable !== true) return false
  const ws = transport.socket
  // 1: OPEN; no extension (permessage-deflate would need its own framing)
  if (ws?.readyState !== 1 || ws.extensions !== '') return false
  const tcp = ws._socket
  const sender = ws._sender
  if (tcp === undefined || tcp.destroyed !== false || tcp.writable !== true || sender?._queue?.length !== 0 || sender._state !== 0) return false
  tcp.write(frame)
  return true
}

/** What pushToRoom needs of a Socket.IO socket. */
export interface RoomSocket {
  conn: unknown
  listenersAnyOutgoing(): unknown[]
}

/**
 * Writes `frame` (eventFrame) to every socket of `room` in this process's namespace `nsp`; a socket
 * the frame cannot be written to directly gets the message through `queue(socket)` (its `emit`). A
 * socket with more unread than `limits` allow is closed instead (`onShed` is told).
 */
export function pushToRoom<S extends RoomSocket>(
  nsp: { adapter: { rooms: Map<string, Set<string>> }; sockets: Map<string, S> },
  room: string,
  frame: Buffer,
  queue: (socket: S) => void,
  stats: FanoutStats,
  limits: FanoutLimits,
  onShed?: (socket: S) => void,
): void {
  const members = nsp.adapter.rooms.get(room)
  if (members === undefined) return
  for (const id of members) {
    const socket = nsp.sockets.get(id)
    if (socket === undefined) continue
    // a connection being closed takes nothing more (Socket.IO drops what is sent to it), nor is it shed again: a
    // long-polling one shed at an earlier push (or room of this push) stays closing until its client polls or its
    // heartbeat fails, with its queue still past the limit
    const state = (socket.conn as EngineSocketInternals).readyState
    if (state === 'closing' || state === 'closed') continue
    if (shedIfBehind(socket, limits)) {
      stats.shed++
      onShed?.(socket)
      continue
    }
    // a listener of outgoing packets (socket.onAnyOutgoing) must see them: Socket.IO's path calls it
    if (socket.listenersAnyOutgoing().length === 0 && writeDirect(socket, frame)) stats.direct++
    else {
      stats.queued++
      queue(socket)
    }
  }
}
