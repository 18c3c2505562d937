/**
 * Redis Cluster: three primaries of the test's own (spawned redis-server processes joined with
 * `redis-cli --cluster create`), three cockpits whose hash-tagged prefixes land on three different
 * nodes. Each cockpit ingests (the apply script builds most of its keys itself: they share the
 * prefix's slot), cancels, seeds its screens and pushes live updates; none sees another's figures.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { io } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck, UpdateMessage } from '../../protocol/events.ts'
import { loadConfig } from '../../server/config.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { ask, startCluster } from '../helpers/redis-topology.ts'
import type { ClusterSet } from '../helpers/redis-topology.ts'

type Client = Socket<ServerToClientEvents, ClientToServerEvents>
const QUERY = { metric: 'cash.in', window: 'today' } as const

let cluster: ClusterSet
const cockpits: { prefix: string; node: number; server: TestServer }[] = []
const clients: Client[] = []

beforeAll(async () => {
  cluster = await startCluster()
  // one hash tag per node: cockpit:{t<i>}: whose slot that node serves
  const byNode = new Map<number, string>()
  for (let i = 0; byNode.size < 3 && i < 1000; i++) {
    const prefix = `cockpit:{t${i}}:`
    const port = await cluster.portOf(`${prefix}x`)
    if (!byNode.has(port)) byNode.set(port, prefix)
  }
  expect(byNode.size).toBe(3)
  for (const [node, prefix] of byNode) {
    cockpits.push({ prefix, node, server: await startTestServer({ REDIS_CLUSTER: cluster.nodeList, COCKPIT_KEY_PREFIX: prefix }) })
  }
}, 90_000)

afterAll(async () => {
  for (const c of clients) c.disconnect()
  for (const c of cockpits) await c.server.app.close()
  await cluster?.destroy()
})

async function ingest(server: TestServer, movements: object[]): Promise<Response> {
  return fetch(`${server.url}/api/v1/movements`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.ingestKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(movements),
  })
}

async function cashIn(server: TestServer): Promise<number> {
  const res = await server.app.inject({ method: 'POST', url: '/api/v1/query', payload: QUERY })
  expect(res.statusCode).toBe(200)
  return (res.json() as { total: number }).total
}

function nextUpdate(client: Client, subscription: string, until: (m: UpdateMessage) => boolean): Promise<UpdateMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no such update within 5 s')), 5000)
    client.on('update', (m) => {
      if (m.subscription !== subscription || !until(m)) return
      clearTimeout(timer)
      resolve(m)
    })
  })
}

describe('Redis Cluster', () => {
  test('a cluster prefix without a hash tag is refused at start', () => {
    expect(() => loadConfig({ REDIS_CLUSTER: cluster.nodeList, COCKPIT_KEY_PREFIX: 'cockpit:' })).toThrow(/REDIS_CLUSTER needs a hash tag in COCKPIT_KEY_PREFIX/)
  })

  test('three cockpits on three nodes: each its own figures, live pushes and screens', async () => {
    // ready: the cluster's slot map is known, the scripts are loaded and the screens seeded
    for (const { server } of cockpits) {
      let status = 0
      for (const deadline = Date.now() + 15_000; status !== 200 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
        status = (await server.app.inject({ method: 'GET', url: '/readyz' })).statusCode
      }
      expect(status).toBe(200)
    }
    const subscriptions = await Promise.all(
      cockpits.map(async ({ server }) => {
        const client: Client = io(server.url, { transports: ['websocket'], reconnection: false, forceNew: true })
        clients.push(client)
        const ack = await new Promise<SubscribeAck>((resolve) => client.emit('subscribe', QUERY, resolve))
        if (!ack.ok) throw new Error(ack.error.message)
        expect(ack.result.total ?? 0).toBe(0)
        return { client, ack }
      }),
    )
    // cockpit k receives 100·(k+1) in two movements, then one of them is cancelled
    const ids = cockpits.map(() => [randomUUID(), randomUUID()] as const)
    await Promise.all(
      cockpits.map(async ({ server }, k) => {
        const { client, ack } = subscriptions[k]!
        const pushed = nextUpdate(client, ack.subscription, (m) => m.result.total === 100 * (k + 1) + 7)
        const at = new Date().toISOString()
        const res = await ingest(server, [
          { id: ids[k]![0], type: 'payment_in', occurredAt: at, amount: 100 * (k + 1) },
          { id: ids[k]![1], type: 'payment_in', occurredAt: at, amount: 7 },
        ])
        expect(res.status).toBe(200)
        expect(await res.json()).toEqual({ accepted: 2, duplicates: 0 })
        await pushed
      }),
    )
    expect(await Promise.all(cockpits.map(({ server }) => cashIn(server)))).toEqual([107, 207, 307])
    // a retry is a duplicate; a cancel reads the effect record (MGET) and reverses it
    await Promise.all(
      cockpits.map(async ({ server }, k) => {
        const retry = await ingest(server, [{ id: ids[k]![1], type: 'payment_in', occurredAt: new Date().toISOString(), amount: 7 }])
        expect(await retry.json()).toEqual({ accepted: 0, duplicates: 1 })
        const cancel = await ingest(server, [{ id: randomUUID(), type: 'cancel', occurredAt: new Date().toISOString(), cancels: ids[k]![1] }])
        expect(cancel.status).toBe(200)
      }),
    )
    expect(await Promise.all(cockpits.map(({ server }) => cashIn(server)))).toEqual([100, 200, 300])
    // each cockpit's keys live on its own node only: the slot of its hash tag
    for (const { prefix, node } of cockpits) {
      for (const n of cluster.nodes) {
        const keys = (await ask(n.port, 'KEYS', `${prefix}*`)) as string[]
        if (n.port === node) expect(keys.length).toBeGreaterThan(10)
        else expect(keys).toEqual([])
      }
    }
    // the template screens were seeded once per cockpit
    for (const { server } of cockpits) {
      const res = await server.app.inject({ method: 'GET', url: '/api/v1/screens' })
      expect(res.statusCode).toBe(200)
      expect((res.json() as { id: string }[]).map((s) => s.id)).toContain('retail')
    }
  }, 60_000)

  test('two processes of one cockpit: change notices and wall commands cross over the Cluster', async () => {
    const first = cockpits[0]!
    const twin = await startTestServer({ REDIS_CLUSTER: cluster.nodeList, COCKPIT_KEY_PREFIX: first.prefix })
    try {
      const client: Client = io(twin.url, { transports: ['websocket'], reconnection: false, forceNew: true })
      clients.push(client)
      const ack = await new Promise<SubscribeAck>((resolve) => client.emit('subscribe', QUERY, resolve))
      if (!ack.ok) throw new Error(ack.error.message)
      expect(await new Promise<{ ok: boolean }>((resolve) => client.emit('joinWall', 'lobby', resolve))).toEqual({ ok: true })
      // an ingest through the first process reaches the twin's subscriber (change notice over Cluster pub/sub)
      const pushed = nextUpdate(client, ack.subscription, (m) => m.result.total === (ack.result.total ?? 0) + 1)
      expect((await ingest(first.server, [{ id: randomUUID(), type: 'payment_in', occurredAt: new Date().toISOString(), amount: 1 }])).status).toBe(200)
      await pushed
      // a wall command given to the first process is counted and delivered on the twin (Socket.IO Redis adapter)
      const shown = new Promise<string>((resolve) => client.once('show', (c) => resolve(c.screen)))
      const res = await first.server.app.inject({
        method: 'POST',
        url: '/api/v1/walls/lobby/show',
        headers: { authorization: `Bearer ${first.server.adminKey}` },
        payload: { screen: 'retail' },
      })
      expect(res.json()).toEqual({ delivered: 1 })
      expect(await shown).toBe('retail')
    } finally {
      await twin.app.close()
    }
  }, 60_000)
})
