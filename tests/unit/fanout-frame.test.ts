/**
 * The WebSocket frame of a pushed update is byte for byte the one ws would have written (server/realtime/fanout.ts);
 * tests/integration/realtime.test.ts checks that socket.io-client reads it as the message it queues.
 */
import { describe, expect, test } from 'vitest'
import * as ws from 'ws'
import { eventFrame, textFrame } from '../../server/realtime/fanout.ts'

// not in ws' type definitions: the frame builder socket.io-adapter pre-encodes broadcasts with
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, options: Record<string, unknown>): Buffer[] } }
const wsFrame = (payload: Buffer) => Buffer.concat(Sender.frame(payload, { readOnly: false, mask: false, rsv1: false, opcode: 1, fin: true }))

describe('fanout frames', () => {
  test.each([0, 1, 125, 126, 65_535, 65_536, 200_000])('a %i-byte payload is framed as ws frames it', (size) => {
    const payload = Buffer.alloc(size, 'x')
    expect(textFrame(payload).equals(wsFrame(payload))).toBe(true)
  })

  test('an event is an Engine.IO message (4) holding a Socket.IO event (2) and its JSON, in UTF-8', () => {
    const data = { subscription: 'abc', version: 3, result: { metric: 'cash.in', total: 12.5, label: 'é “quoted”' } }
    expect(eventFrame('update', data).equals(wsFrame(Buffer.from(`42${JSON.stringify(['update', data])}`)))).toBe(true)
  })
})
