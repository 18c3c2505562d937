/**
 * Two real server processes on one Redis: a movement ingested through one reaches subscribed
 * clients of both; SIGTERM shuts both down cleanly (exit code 0).
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { io as connect } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import { Redis } from 'ioredis'
import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck, UpdateMessage } from '../../protocol/events.ts'
import { spawnServerProcess } from '../helpers/server.ts'
import type { ServerProcess } from '../helpers/server.ts'
import { deletePrefix } from '../helpers/redis-prefix.ts'

type Client = Socket<ServerToClientEvents, ClientToServerEvents>
const prefix = `test:proc:${randomUUID().slice(0, 8)}:`
const env = { COCKPIT_KEY_PREFIX: prefix, COCKPIT_INGEST_KEYS: 'ik', COCKPIT_ADMIN_KEY: 'ak' }
let a: ServerProcess
let b: ServerProcess
const clients: Client[] = []

beforeAll(async () => {
  ;[a, b] = await Promise.all([spawnServerProcess(env), spawnServerProcess(env)])
})

afterAll(async () => {
  for (const c of clients) c.disconnect()
  await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')])
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
  await deletePrefix(redis, prefix)
  redis.disconnect()
})

async function subscribed(url: string): Promise<{ client: Client; ack: Extract<SubscribeAck, { ok: true }> }> {
  const client: Client = connect(url, { transports: ['websocket'], reconnection: false })
  clients.push(client)
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
    const onA = await subscribed(a.url)
    const onB = await subscribed(b.url)
    const both = Promise.all([update(onA.client, onA.ack.subscription), update(onB.client, onB.ack.subscription)])
    const res = await fetch(`${a.url}/api/v1/movements`, {
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
    const { client } = await subscribed(b.url)
    const told = new Promise<string>((resolve) => client.on('disconnect', resolve))
    const [codeA, codeB] = await Promise.all([a.stop('SIGTERM'), b.stop('SIGTERM')])
    expect([codeA, codeB]).toEqual([0, 0])
    expect(await told).toBe('io server disconnect')
  })
})
