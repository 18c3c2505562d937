/**
 * The NATS JetStream intake against the machine's JetStream (each test its own stream, random
 * name, deleted at the end) and Redis (own key prefix): movements published on the subject reach
 * the figures; an invalid message lands on the dead-letter subject with its reasons; a duplicate
 * is not counted twice; two servers sharing one durable consumer apply each movement once; a Redis
 * outage and a broker restart lose nothing and double nothing.
 */
import { randomUUID } from 'node:crypto'
import { connect, JSONCodec } from 'nats'
import type { NatsConnection, JetStreamManager } from 'nats'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { startPrivateRedis } from '../helpers/private-redis.ts'
import { startPrivateNats, SHARED_NATS_URL } from '../helpers/private-nats.ts'
import { spawnServerProcess, startTestServer } from '../helpers/server.ts'
import { deletePrefix } from '../helpers/redis-prefix.ts'
import { Redis } from 'ioredis'
import type { TestServer } from '../helpers/server.ts'

const json = JSONCodec()
let nc: NatsConnection
let jsm: JetStreamManager
const streams: { jsm: JetStreamManager; name: string }[] = []
const servers: TestServer[] = []

beforeAll(async () => {
  nc = await connect({ servers: SHARED_NATS_URL })
  jsm = await nc.jetstreamManager()
})

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close().catch(() => {})
  for (const { jsm: m, name } of streams.splice(0)) await m.streams.delete(name).catch(() => false)
})

afterAll(async () => {
  await nc?.drain()
})

interface Bus {
  stream: string
  subject: string
  deadLetter: string
  durable: string
  env: Record<string, string>
}

/** a fresh stream name, subject and durable; the stream is created on `manager` unless `create` is false */
async function freshBus(manager: JetStreamManager, url = SHARED_NATS_URL, create = true): Promise<Bus> {
  const tag = randomUUID().slice(0, 8)
  const bus = {
    stream: `TEST_INTAKE_${tag}`,
    subject: `test.${tag}.movements`,
    deadLetter: `test.${tag}.dead`,
    durable: `cockpit_${tag}`,
    env: {} as Record<string, string>,
  }
  bus.env = {
    COCKPIT_NATS_URL: url,
    COCKPIT_NATS_STREAM: bus.stream,
    COCKPIT_NATS_SUBJECT: bus.subject,
    COCKPIT_NATS_DURABLE: bus.durable,
    COCKPIT_NATS_DEAD_LETTER_SUBJECT: bus.deadLetter,
    COCKPIT_NATS_NAK_DELAY_MS: '300',
  }
  if (create) await manager.streams.add({ name: bus.stream, subjects: [bus.subject] })
  streams.push({ jsm: manager, name: bus.stream })
  return bus
}

/** a test server whose close() deletes its keys after the intake flushed its counters (in preClose) */
async function server(env: Record<string, string>): Promise<TestServer> {
  const s = await startTestServer(env)
  const wrapped: TestServer = {
    ...s,
    async close() {
      await s.app.close()
      const redis = new Redis(env.REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 })
      redis.on('error', () => {})
      await deletePrefix(redis, s.prefix).catch(() => 0)
      redis.disconnect()
    },
  }
  servers.push(wrapped)
  return wrapped
}

async function until(check: () => boolean | Promise<boolean>, ms = 15_000, what = 'condition') {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`${what} not met in ${ms} ms`)
}

async function total(url: string, metric: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metric, window: 'today' }) })
  expect(res.status).toBe(200)
  return ((await res.json()) as { total: number }).total
}

const now = () => new Date().toISOString()
const payment = (amount: number, id = `pay-${randomUUID()}`) => ({ id, type: 'payment_in', occurredAt: now(), amount, partner: 'C-1' })
const shipment = (qty: number, unitPrice: number) => ({
  id: `shp-${randomUUID()}`,
  type: 'sales_shipment',
  occurredAt: now(),
  sku: 'SKU-1',
  warehouse: 'WH-1',
  qty,
  unitPrice,
  partner: 'C-1',
})

describe('NATS JetStream intake', () => {
  test('one movement, an array and NDJSON reach the figures; GET /intake reports them', async () => {
    const bus = await freshBus(jsm)
    const s = await server(bus.env)
    const js = nc.jetstream()
    await js.publish(bus.subject, json.encode(payment(10)))
    await js.publish(bus.subject, json.encode([payment(20), shipment(3, 5)]))
    await js.publish(bus.subject, new TextEncoder().encode(`${JSON.stringify(payment(30))}\n\n${JSON.stringify(shipment(2, 7.5))}\n`))
    await until(async () => (await total(s.url, 'cash.in')) === 60, 15_000, 'cash.in = 60')
    expect(await total(s.url, 'sales.revenue')).toBe(30)

    const res = await fetch(`${s.url}/api/v1/intake`, { headers: { authorization: `Bearer ${s.adminKey}` } })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { nats: { state: string; counters: Record<string, number>; totals: Record<string, number> | null; consumer: { pending: number } | null } }
    expect(body.nats.state).toBe('running')
    expect(body.nats.counters).toMatchObject({ received: 3, acked: 3, accepted: 5, duplicates: 0, deadLettered: 0 })
    expect(body.nats.consumer?.pending).toBe(0)
    await until(async () => {
      const r = (await (await fetch(`${s.url}/api/v1/intake`, { headers: { authorization: `Bearer ${s.adminKey}` } })).json()) as typeof body
      return r.nats.totals?.accepted === 5
    })
    expect((await fetch(`${s.url}/api/v1/intake`)).status).toBe(401)
  })

  test('an invalid message goes to the dead-letter subject with its reasons, is counted and not redelivered', async () => {
    const bus = await freshBus(jsm)
    const dead = nc.subscribe(bus.deadLetter, { max: 2 })
    const letters: Record<string, unknown>[] = []
    const received = (async () => {
      for await (const m of dead) letters.push(json.decode(m.data) as Record<string, unknown>)
    })()
    const s = await server(bus.env)
    const js = nc.jetstream()
    // a valid movement and one with a negative qty: the whole message is refused
    await js.publish(bus.subject, json.encode([payment(5), { ...shipment(1, 2), qty: -1 }]))
    await js.publish(bus.subject, new TextEncoder().encode('not json at all'))
    await js.publish(bus.subject, json.encode(payment(7)))
    await received
    expect(letters).toHaveLength(2)
    const [first, second] = letters as [Record<string, unknown>, Record<string, unknown>]
    expect(first.error).toBe('invalid_movements')
    expect(first.subject).toBe(bus.subject)
    expect(first.rejectedCount).toBe(1)
    expect(first.rejected).toEqual([{ index: 1, id: expect.any(String), errors: [expect.objectContaining({ path: '/qty' })] }])
    expect(JSON.parse(first.payload as string)).toHaveLength(2)
    expect((second.rejected as { errors: { message: string }[] }[])[0]!.errors[0]!.message).toMatch(/not valid JSON/)

    await until(async () => (await total(s.url, 'cash.in')) === 7, 15_000, 'cash.in = 7')
    const status = s.app.natsIntake!.status()
    expect(status.counters).toMatchObject({ deadLettered: 2, acked: 1, accepted: 1 })
    // terminated: nothing waits for an ack or a redelivery
    await until(async () => {
      const info = await jsm.consumers.info(bus.stream, bus.durable)
      return info.num_pending === 0 && info.num_ack_pending === 0
    })
    await new Promise((r) => setTimeout(r, 700))
    expect(s.app.natsIntake!.status().counters.received).toBe(3)
  })

  test('a re-sent movement (same id) is applied once', async () => {
    const bus = await freshBus(jsm)
    const s = await server(bus.env)
    const js = nc.jetstream()
    const once = payment(12)
    await js.publish(bus.subject, json.encode(once))
    await js.publish(bus.subject, json.encode(once))
    await js.publish(bus.subject, json.encode([once, payment(1)]))
    await until(() => s.app.natsIntake!.status().counters.acked === 3, 15_000, 'three messages acked')
    expect(s.app.natsIntake!.status().counters).toMatchObject({ accepted: 2, duplicates: 2 })
    expect(await total(s.url, 'cash.in')).toBe(13)
  })

  test('two servers sharing one durable consumer apply each movement once', async () => {
    const bus = await freshBus(jsm)
    const prefix = `test:nats2:${randomUUID().slice(0, 8)}:`
    const env = { ...bus.env, COCKPIT_KEY_PREFIX: prefix, COCKPIT_NATS_BATCH: '5' }
    const [a, b] = await Promise.all([server(env), server(env)])
    await until(() => a.app.natsIntake!.status().state === 'running' && b.app.natsIntake!.status().state === 'running')
    const js = nc.jetstream()
    const n = 300
    let expected = 0
    const sends: Promise<unknown>[] = []
    for (let i = 1; i <= n; i++) {
      expected += i
      sends.push(js.publish(bus.subject, json.encode(payment(i))))
    }
    await Promise.all(sends)
    const acked = () => a.app.natsIntake!.status().counters.acked + b.app.natsIntake!.status().counters.acked
    await until(() => acked() === n, 30_000, `${n} messages acked`)
    expect(await total(a.url, 'cash.in')).toBe(expected)
    expect(await total(b.url, 'cash.in')).toBe(expected)
    const ca = a.app.natsIntake!.status().counters
    const cb = b.app.natsIntake!.status().counters
    // JetStream handed each message to one of them: none was received twice, none applied twice
    expect(ca.received + cb.received).toBe(n)
    expect(ca.accepted + cb.accepted).toBe(n)
    expect(ca.duplicates + cb.duplicates).toBe(0)
    expect(ca.received).toBeGreaterThan(0)
    expect(cb.received).toBeGreaterThan(0)
  })

  test('a server process (npm start) pulls from its consumer, reports it, and stops cleanly on SIGTERM', async () => {
    const bus = await freshBus(jsm)
    const prefix = `test:natsproc:${randomUUID().slice(0, 8)}:`
    const proc = await spawnServerProcess({ ...bus.env, COCKPIT_KEY_PREFIX: prefix, COCKPIT_INGEST_KEYS: 'ik', COCKPIT_ADMIN_KEY: 'ak' })
    try {
      await nc.jetstream().publish(bus.subject, json.encode([payment(4), payment(5)]))
      await until(async () => (await total(proc.url, 'cash.in')) === 9, 15_000, 'cash.in = 9')
      const res = await fetch(`${proc.url}/api/v1/intake`, { headers: { authorization: 'Bearer ak' } })
      const body = (await res.json()) as { nats: { state: string; pid: number; counters: Record<string, number> } }
      expect(body.nats).toMatchObject({ state: 'running', pid: proc.child.pid, counters: { acked: 1, accepted: 2 } })
      expect(await proc.stop('SIGTERM')).toBe(0)
      // the consumer outlives the process: nothing is left unacknowledged
      const info = await jsm.consumers.info(bus.stream, bus.durable)
      expect(info.num_ack_pending).toBe(0)
    } finally {
      await proc.stop('SIGKILL')
      const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
      await deletePrefix(redis, prefix)
      redis.disconnect()
    }
  })

  test('the stream is created only when configured to', async () => {
    const bus = await freshBus(jsm, SHARED_NATS_URL, false)
    const s = await server(bus.env)
    await until(() => s.app.natsIntake!.status().state === 'failing', 10_000, 'failing')
    expect(s.app.natsIntake!.status().lastError?.message).toMatch(/does not exist.*COCKPIT_NATS_CREATE_STREAM/)
    await expect(jsm.streams.info(bus.stream)).rejects.toThrow()
    await s.close()
    servers.splice(servers.indexOf(s), 1)

    const t = await server({ ...bus.env, COCKPIT_NATS_CREATE_STREAM: 'true' })
    await until(() => t.app.natsIntake!.status().state === 'running', 10_000, 'running')
    expect((await jsm.streams.info(bus.stream)).config.subjects).toEqual([bus.subject])
    await nc.jetstream().publish(bus.subject, json.encode(payment(3)))
    await until(async () => (await total(t.url, 'cash.in')) === 3)
  })

  test('Redis unavailable: messages are redelivered and applied once it is back, nothing lost', async () => {
    const redis = await startPrivateRedis()
    try {
      const bus = await freshBus(jsm)
      const s = await server({ ...bus.env, REDIS_URL: redis.url })
      const js = nc.jetstream()
      await js.publish(bus.subject, json.encode(payment(1)))
      await until(async () => (await total(s.url, 'cash.in')) === 1)
      await redis.stop()
      await until(async () => (await fetch(`${s.url}/readyz`)).status === 503)
      for (const amount of [10, 20, 30]) await js.publish(bus.subject, json.encode(payment(amount)))
      await until(() => s.app.natsIntake!.status().counters.naks >= 3, 15_000, 'redelivery asked')
      expect(s.app.natsIntake!.status().state).toBe('waiting-redis')
      expect(s.app.natsIntake!.status().counters.redelivered).toBeGreaterThanOrEqual(0)
      await redis.start()
      await until(async () => (await fetch(`${s.url}/readyz`)).status === 200)
      await until(async () => (await total(s.url, 'cash.in')) === 61, 20_000, 'cash.in = 61')
      const c = s.app.natsIntake!.status().counters
      expect(c.accepted).toBe(4)
      expect(c.redelivered).toBeGreaterThan(0)
      const info = await jsm.consumers.info(bus.stream, bus.durable)
      expect(info.num_pending).toBe(0)
      await s.close()
      servers.length = 0
    } finally {
      await redis.destroy()
    }
  })

  test('a broker restart: the intake reconnects and goes on, nothing lost or doubled', async () => {
    const broker = await startPrivateNats()
    let own: NatsConnection | undefined
    try {
      own = await connect({ servers: broker.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 })
      const manager = await own.jetstreamManager()
      const bus = await freshBus(manager, broker.url)
      const s = await server(bus.env)
      await own.jetstream().publish(bus.subject, json.encode(payment(100)))
      await until(async () => (await total(s.url, 'cash.in')) === 100)
      await broker.stop()
      await until(() => !s.app.natsIntake!.status().connected, 10_000, 'disconnected')
      await broker.start()
      // the publisher reconnects too; the stream and the durable consumer are on disk
      const js = own.jetstream()
      for (const amount of [1, 2, 3]) {
        for (let i = 0; ; i++) {
          try {
            await js.publish(bus.subject, json.encode(payment(amount)))
            break
          } catch (err) {
            if (i > 50) throw err
            await new Promise((r) => setTimeout(r, 200))
          }
        }
      }
      await until(async () => (await total(s.url, 'cash.in')) === 106, 30_000, 'cash.in = 106')
      expect(s.app.natsIntake!.status().connected).toBe(true)
      expect(s.app.natsIntake!.status().counters).toMatchObject({ accepted: 4, duplicates: 0 })
      await s.close()
      servers.length = 0
      await manager.streams.delete(bus.stream)
      streams.length = 0
    } finally {
      await own?.close()
      await broker.destroy()
    }
  })
})
