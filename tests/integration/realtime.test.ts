/**
 * Socket.IO subscriptions against the real Redis: ack with the current result, coalesced
 * updates after ingest, shared rooms, and two server instances on one Redis.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { io as connect } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import type { FastifyInstance } from 'fastify'
import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck, UpdateMessage } from '../../protocol/events.ts'
import type { Query } from '../../protocol/query.ts'
import { buildApp } from '../../server/app.ts'
import { loadConfig } from '../../server/config.ts'
import { deletePrefix } from '../helpers/redis-prefix.ts'

type Client = Socket<ServerToClientEvents, ClientToServerEvents>
const prefix = `test:rt:${randomUUID().slice(0, 8)}:`
const apps: FastifyInstance[] = []
const clients: Client[] = []

async function start(env: Record<string, string> = {}): Promise<{ app: FastifyInstance; url: string }> {
  const app = await buildApp({
    config: loadConfig({ COCKPIT_KEY_PREFIX: prefix, COCKPIT_INGEST_KEYS: 'ik', COCKPIT_ADMIN_KEY: 'ak', COCKPIT_SCREEN_DIR: '/nonexistent', ...env }),
    logger: false,
  })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  for (let i = 0; i < 100 && !app.aggregator.ready; i++) await new Promise((r) => setTimeout(r, 20))
  apps.push(app)
  return { app, url }
}

function client(url: string, auth?: { token: string }): Client {
  const c: Client = connect(url, { transports: ['websocket'], reconnection: false, ...(auth ? { auth } : {}) })
  clients.push(c)
  return c
}

function subscribe(c: Client, query: unknown): Promise<SubscribeAck> {
  return new Promise((resolve) => c.emit('subscribe', query as Query, resolve))
}

function nextUpdate(c: Client, predicate: (m: UpdateMessage) => boolean, timeoutMs = 3000): Promise<UpdateMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no update in time')), timeoutMs)
    const on = (m: UpdateMessage) => {
      if (!predicate(m)) return
      clearTimeout(timer)
      c.off('update', on)
      resolve(m)
    }
    c.on('update', on)
  })
}

async function ingest(url: string, movements: unknown[]) {
  const res = await fetch(`${url}/api/v1/movements`, {
    method: 'POST',
    headers: { authorization: 'Bearer ik', 'content-type': 'application/json' },
    body: JSON.stringify(movements),
  })
  expect(res.status).toBe(200)
}

const payment = (amount: number) => ({ id: randomUUID(), type: 'payment_in', occurredAt: new Date().toISOString(), amount })
const cashToday = { metric: 'cash.in', window: 'today' }

let a: { app: FastifyInstance; url: string }
let b: { app: FastifyInstance; url: string }

beforeAll(async () => {
  a = await start()
  b = await start()
})

afterAll(async () => {
  for (const c of clients) c.disconnect()
  await deletePrefix(apps[0]!.redis, prefix)
  await Promise.all(apps.map((x) => x.close()))
})

describe('realtime subscriptions', () => {
  test('subscribe acks the current result; an ingest pushes the new figure with version + 1', async () => {
    const c = client(a.url)
    const ack = await subscribe(c, cashToday)
    expect(ack.ok).toBe(true)
    if (!ack.ok) return
    const before = ack.result.total ?? 0
    const update = nextUpdate(c, (m) => m.subscription === ack.subscription)
    const t0 = performance.now()
    await ingest(a.url, [payment(12.34)])
    const m = await update
    expect(performance.now() - t0).toBeLessThan(2000)
    expect(m.version).toBe(ack.version + 1)
    expect(m.result.total).toBeCloseTo(before + 12.34, 10)
  })

  test('an update is written straight to WebSocket clients and queued for long-polling ones; both read the same message', async () => {
    const ws = client(a.url)
    const polling: Client = connect(a.url, { transports: ['polling'], reconnection: false })
    clients.push(polling)
    const [x, y] = await Promise.all([subscribe(ws, cashToday), subscribe(polling, cashToday)])
    if (!x.ok || !y.ok) throw new Error('subscribe refused')
    const before = { ...a.app.realtime.fanout }
    const updates = Promise.all([ws, polling].map((c) => nextUpdate(c, (m) => m.subscription === x.subscription && m.version > x.version)))
    await ingest(a.url, [payment(0.5)])
    const [byWs, byPolling] = await updates
    expect(byWs).toEqual(byPolling)
    expect(byWs!.result.total).toBeCloseTo((x.result.total ?? 0) + 0.5, 10)
    // the direct path is taken (a Socket.IO upgrade that changed its internals would turn it off silently)
    expect(a.app.realtime.fanout.direct).toBeGreaterThan(before.direct)
    expect(a.app.realtime.fanout.queued).toBeGreaterThan(before.queued)
  })

  test('identical queries share one subscription, whatever the key order', async () => {
    const c1 = client(a.url)
    const c2 = client(a.url)
    const [x, y] = await Promise.all([subscribe(c1, { metric: 'sales.revenue', window: 'today' }), subscribe(c2, { window: 'today', metric: 'sales.revenue' })])
    expect(x.ok && y.ok && x.subscription === y.subscription).toBe(true)
  })

  test('an invalid query is refused in the ack, and the socket stays usable', async () => {
    const c = client(a.url)
    const bad = await subscribe(c, { metric: 'sales.nope', window: 'today' })
    expect(bad).toMatchObject({ ok: false, error: { code: 'COCKPIT_ERR_INVALID_QUERY' } })
    expect((await subscribe(c, cashToday)).ok).toBe(true)
  })

  test('a movement ingested through one server reaches clients of the other', async () => {
    const onA = client(a.url)
    const onB = client(b.url)
    const [ackA, ackB] = await Promise.all([subscribe(onA, cashToday), subscribe(onB, cashToday)])
    if (!ackA.ok || !ackB.ok) throw new Error('subscribe failed')
    const seen = Promise.all([nextUpdate(onA, (m) => m.subscription === ackA.subscription), nextUpdate(onB, (m) => m.subscription === ackB.subscription)])
    await ingest(a.url, [payment(1)])
    const [ua, ub] = await seen
    expect(ua.result.total).toBe(ub.result.total)
    expect(ub.result.total).toBeCloseTo((ackB.result.total ?? 0) + 1, 10)
  })

  test('bursts are coalesced: many ingests, few pushes, the last one exact', async () => {
    const c = client(a.url)
    const ack = await subscribe(c, cashToday)
    if (!ack.ok) throw new Error('subscribe failed')
    const versions: number[] = []
    let last = 0
    c.on('update', (m) => {
      if (m.subscription !== ack.subscription) return
      versions.push(m.version)
      last = m.result.total ?? 0
    })
    for (let i = 0; i < 20; i++) await ingest(a.url, [payment(0.5)])
    await new Promise((r) => setTimeout(r, 700))
    expect(versions.length).toBeGreaterThan(0)
    expect(versions.length).toBeLessThan(20)
    // versions increase by one: no gaps for a client that stayed connected
    versions.forEach((v, i) => expect(v).toBe(ack.version + 1 + i))
    expect(last).toBeCloseTo((ack.result.total ?? 0) + 10, 10)
  })

  test('a viewer token, when configured, is required to connect', async () => {
    const guarded = await start({ COCKPIT_VIEWER_TOKEN: 'vt' })
    const refused = client(guarded.url)
    const error = await new Promise<Error>((resolve) => refused.on('connect_error', resolve))
    expect(error.message).toMatch(/^unauthorized: a viewer token is required/)
    const allowed = client(guarded.url, { token: 'vt' })
    expect((await subscribe(allowed, cashToday)).ok).toBe(true)
  })
})
