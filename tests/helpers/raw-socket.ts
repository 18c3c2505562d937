/**
 * A light Socket.IO client for load generators: a WebSocket over `node:net` speaking Engine.IO v4 and
 * Socket.IO v5 itself, so that one process can hold thousands of clients at a fraction of
 * socket.io-client's CPU (tests/bench/workers.ts compares the two). It is a faithful client where the
 * server can tell: the WebSocket upgrade with its key checked, masked frames, the Socket.IO CONNECT,
 * every Engine.IO ping answered, `subscribe` with its ack; it reads of each `update` only its
 * `result.total` (a byte search for `"total":` after `"result":`), where a screen parses the whole
 * message. What it does not do: long-polling, reconnection, binary packets, fragmented frames (the
 * server never sends them: it closes the connection instead), compression (the server offers none).
 */
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { createHash, randomBytes } from 'node:crypto'
import { SOCKET_PATH } from '../../protocol/events.ts'

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
const UPDATE_PREFIX = Buffer.from('42["update",')
const RESULT_KEY = Buffer.from('"result":')
const TOTAL_KEY = Buffer.from('"total":')

export interface RawSocketOptions {
  /** ms for the upgrade and the Socket.IO CONNECT @default 20000 */
  timeout?: number
  /** called for each `update` with its arrival time (epoch ms) and `result.total` */
  onUpdate?: (at: number, total: number | null) => void
}

export interface RawSocket {
  /** pid of the server process that took the connection (X-Cockpit-Pid) */
  pid: number
  /** emits `event` with `data` and an ack; resolves with the ack's argument */
  request<T>(event: string, data: unknown): Promise<T>
  /** stops reading from the connection (a frozen client): what the server sends waits in its buffers */
  pause(): void
  close(): void
}

/** Reads `result.total` from the text of an update packet (`42["update",{…}]`), or undefined when it has none. */
export function totalOfUpdate(payload: Buffer): number | null | undefined {
  const result = payload.indexOf(RESULT_KEY, UPDATE_PREFIX.length)
  if (result < 0) return undefined
  const key = payload.indexOf(TOTAL_KEY, result + RESULT_KEY.length)
  if (key < 0) return undefined
  const start = key + TOTAL_KEY.length
  let end = start
  while (end < payload.length && payload[end] !== 0x2c /* , */ && payload[end] !== 0x7d /* } */) end++
  const text = payload.toString('latin1', start, end)
  return text === 'null' ? null : Number(text)
}

/** One masked text frame (a client's frames must be masked, RFC 6455 §5.3). */
function textFrame(text: string): Buffer {
  const data = Buffer.from(text)
  const long = data.length > 125
  if (data.length > 0xffff) throw new Error('frame too long for this client')
  const header = long ? 4 : 2
  const frame = Buffer.allocUnsafe(header + 4 + data.length)
  frame[0] = 0x81
  frame[1] = 0x80 | (long ? 126 : data.length)
  if (long) frame.writeUInt16BE(data.length, 2)
  const mask = randomBytes(4)
  mask.copy(frame, header)
  for (let i = 0; i < data.length; i++) frame[header + 4 + i] = data[i]! ^ mask[i & 3]!
  return frame
}

/** Connects over WebSocket to `url` (http://host:port), then to the Socket.IO namespace `/`. */
export function openRawSocket(url: string, opts: RawSocketOptions = {}): Promise<RawSocket> {
  const { hostname, port } = new URL(url)
  const key = randomBytes(16).toString('base64')
  const accept = createHash('sha1')
    .update(key + WS_GUID)
    .digest('base64')
  const onUpdate = opts.onUpdate
  const acks = new Map<number, (value: unknown) => void>()
  let nextAck = 0
  let pid = NaN
  let upgraded = false
  /** bytes of an incomplete frame (or of the upgrade answer) */
  let pending: Buffer | undefined

  return new Promise<RawSocket>((resolve, reject) => {
    const socket: Socket = connect({ host: hostname, port: Number(port), noDelay: true })
    const timer = setTimeout(() => fail(new Error('timed out opening the socket')), opts.timeout ?? 20_000)
    const fail = (err: Error) => {
      clearTimeout(timer)
      socket.destroy()
      reject(err)
      for (const settle of acks.values()) settle({ ok: false, error: { code: 'CLOSED', message: err.message } })
      acks.clear()
    }
    const send = (text: string) => void socket.write(textFrame(text))
    const client: RawSocket = {
      pause() {
        socket.pause()
      },
      get pid() {
        return pid
      },
      request<T>(event: string, data: unknown) {
        return new Promise<T>((settle) => {
          const id = nextAck++
          acks.set(id, settle as (value: unknown) => void)
          send(`42${id}${JSON.stringify([event, data])}`)
        })
      },
      close() {
        socket.destroy()
      },
    }

    /** one Engine.IO packet */
    const onPacket = (payload: Buffer) => {
      switch (payload[0]) {
        case 0x34: // '4' message: a Socket.IO packet
          if (payload[1] === 0x32 /* '2' event */) {
            if (onUpdate && payload.compare(UPDATE_PREFIX, 0, UPDATE_PREFIX.length, 0, UPDATE_PREFIX.length) === 0) {
              const total = totalOfUpdate(payload)
              if (total === undefined) throw new Error(`an update without result.total: ${payload.toString().slice(0, 200)}`)
              onUpdate(performance.timeOrigin + performance.now(), total)
            }
          } else if (payload[1] === 0x33 /* '3' ack */) {
            const text = payload.toString('utf8', 2)
            const bracket = text.indexOf('[')
            const settle = acks.get(Number(text.slice(0, bracket)))
            acks.delete(Number(text.slice(0, bracket)))
            settle?.((JSON.parse(text.slice(bracket)) as unknown[])[0])
          } else if (payload[1] === 0x30 /* '0' connect */) {
            clearTimeout(timer)
            resolve(client)
          } else if (payload[1] === 0x34 /* '4' connect error */) {
            fail(new Error(`connect_error: ${payload.toString('utf8', 2)}`))
          } else if (payload[1] === 0x31 /* '1' disconnect */) {
            socket.destroy()
          }
          return
        case 0x32: // '2' ping: answer at once, or the server drops the connection after pingTimeout
          return send('3')
        case 0x30: // '0' open: join the default namespace
          return send('40')
        case 0x31: // '1' close
          return void socket.destroy()
      }
    }

    /** WebSocket frames from the server: never masked, never fragmented here */
    const onFrames = (buf: Buffer) => {
      let at = 0
      while (buf.length - at >= 2) {
        const b0 = buf[at]!
        let length = buf[at + 1]! & 0x7f
        let header = 2
        if (length === 126) {
          if (buf.length - at < 4) break
          length = buf.readUInt16BE(at + 2)
          header = 4
        } else if (length === 127) {
          if (buf.length - at < 10) break
          length = buf.readUInt32BE(at + 2) * 2 ** 32 + buf.readUInt32BE(at + 6)
          header = 10
        }
        if (buf.length - at < header + length) break
        const payload = buf.subarray(at + header, at + header + length)
        at += header + length
        const opcode = b0 & 0x0f
        if ((b0 & 0x80) === 0 || opcode === 0) return fail(new Error('fragmented frame'))
        if (opcode === 0x1 || opcode === 0x2) onPacket(payload)
        else if (opcode === 0x8) return void socket.destroy()
        else if (opcode === 0x9) socket.write(Buffer.concat([Buffer.from([0x8a, 0x80 | payload.length]), Buffer.alloc(4), payload])) // pong, zero mask
      }
      pending = at < buf.length ? buf.subarray(at) : undefined
    }

    socket.on('connect', () => {
      socket.write(
        `GET ${SOCKET_PATH}/?EIO=4&transport=websocket HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      )
    })
    socket.on('data', (chunk: Buffer) => {
      const buf = pending ? Buffer.concat([pending, chunk]) : chunk
      pending = undefined
      if (upgraded) return onFrames(buf)
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) return void (pending = buf)
      const head = buf.toString('latin1', 0, end)
      if (!head.startsWith('HTTP/1.1 101')) return fail(new Error(`upgrade refused: ${head.split('\r\n')[0]} ${buf.toString('utf8', end + 4).slice(0, 200)}`))
      if (!new RegExp(`^sec-websocket-accept: *${accept.replace(/[+/]/g, '\\$&')}\\s*$`, 'im').test(head)) return fail(new Error('wrong Sec-WebSocket-Accept'))
      pid = Number(/^x-cockpit-pid: *(\d+)/im.exec(head)?.[1])
      upgraded = true
      if (end + 4 < buf.length) onFrames(buf.subarray(end + 4))
    })
    socket.on('error', fail)
    socket.on('close', () => fail(new Error('connection closed')))
  })
}
