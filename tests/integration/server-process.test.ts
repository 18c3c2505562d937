/**
 * Two real server processes on one Redis: a movement ingested through one reaches subscribed
 * clients of both; SIGTERM shuts both down cleanly (exit code 0).
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { io as connect } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck, UpdateMessage } from '../../protocol/events.ts'
import { useTwoServerProcesses } from '../helpers/server.ts'

type Client = Socket<ServerToClientEvents, ClientToServerEvents>
const procs = useTwoServerProcesses('proc')

async function subscribed(url: string): Promise<{ client: Client; ack: Extract<SubscribeAck, { ok: true }> }> {
  const client: Client = connect(url, { transports: ['websocket'], reconnection: false })
  procs.track(client)
  const ack = await new Promise<SubscribeAck>((resolve) => client.emit('subscribe', { metric: 'cash.in', window: 'today' }, resolve))
  if (!ack.ok) throw new Error(ack.error.message)
  return { client, ack }
}

function update(client: Client, subscription: string): Promise<UpdateMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no update within 2 s')), 2000)
    client.on('update', (m) => {
      if (m.subscription !== subscription) return
      clearTimeout(timer)
      resolve(m)
    })
  })
}

describe('two server processes on one Redis', () => {
  test('an ingest through A is pushed to clients of A and of B', async () => {
    const onA = await subscribed(procs.a.url)
    const onB = await subscribed(procs.b.url)
    const both = Promise.all([update(onA.client, onA.ack.subscription), update(onB.client, onB.ack.subscription)])
    const res = await fetch(`${procs.a.url}/api/v1/movements`, {
      method: 'POST',
      headers: { authorization: 'Bearer ik', 'content-type': 'application/json' },
      body: JSON.stringify([{ id: randomUUID(), type: 'payment_in', occurredAt: new Date().toISOString(), amount: 42 }]),
    })
    expect(res.status).toBe(200)
    const [ua, ub] = await both
    expect(ua.result.total).toBeCloseTo((onA.ack.result.total ?? 0) + 42, 10)
    expect(ub.result.total).toBeCloseTo((onB.ack.result.total ?? 0) + 42, 10)
  })

  test('SIGTERM: sockets are told, both processes exit 0', async () => {
    const { client } = await subscribed(procs.b.url)
    const told = new Promise<string>((resolve) => client.on('disconnect', resolve))
    const [codeA, codeB] = await Promise.all([procs.a.stop('SIGTERM'), procs.b.stop('SIGTERM')])
    expect([codeA, codeB]).toEqual([0, 0])
    expect(await told).toBe('io server disconnect')
  })
})
