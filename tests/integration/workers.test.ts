/**
 * COCKPIT_WORKERS=2 as a real process: two worker processes share one port; a movement ingested
 * through one HTTP connection is pushed to Socket.IO clients of both workers (told apart by the
 * handshake's X-Cockpit-Pid); a polling handshake is refused (no sticky sessions); a worker that
 * dies is replaced; SIGTERM to the primary shuts every worker down cleanly (exit 0).
 */
import { randomUUID } from 'node:crypto'
import { Agent, get } from 'node:http'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { io } from 'socket.io-client'
import { Redis } from 'ioredis'
import type { SubscribeAck, UpdateMessage } from '../../protocol/events.ts'
import { spawnServerProcess } from '../helpers/server.ts'
import type { ServerProcess } from '../helpers/server.ts'
import { deletePrefix } from '../helpers/redis-prefix.ts'
import { connectWithPid } from '../helpers/worker-socket.ts'
import type { CockpitClient } from '../helpers/worker-socket.ts'

const prefix = `test:workers:${randomUUID().slice(0, 8)}:`
let server: ServerProcess
const clients: CockpitClient[] = []

beforeAll(async () => {
  server = await spawnServerProcess({ COCKPIT_WORKERS: '2', COCKPIT_KEY_PREFIX: prefix, COCKPIT_INGEST_KEYS: 'ik', COCKPIT_ADMIN_KEY: 'ak' })
}, 60_000)

afterAll(async () => {
  for (const c of clients) c.disconnect()
  await server?.stop('SIGKILL')
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
  await deletePrefix(redis, prefix)
  redis.disconnect()
})

/** Connects until clients sit on `n` distinct workers (connections go to the workers in turn). */
async function clientsOnWorkers(n: number): Promise<Map<number, CockpitClient>> {
  const byPid = new Map<number, CockpitClient>()
  for (let i = 0; i < 20 && byPid.size < n; i++) {
    const { client, pid } = await connectWithPid(server.url)
    clients.push(client)
    if (!byPid.has(pid)) byPid.set(pid, client)
  }
  return byPid
}

async function subscribe(client: CockpitClient): Promise<Extract<SubscribeAck, { ok: true }>> {
  const ack = await new Promise<SubscribeAck>((resolve) => client.emit('subscribe', { metric: 'cash.in', window: 'today' }, resolve))
  if (!ack.ok) throw new Error(ack.error.message)
  return ack
}

function nextUpdate(client: CockpitClient, subscription: string, ms = 5000): Promise<UpdateMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no update within ${ms} ms`)), ms)
    const on = (m: UpdateMessage) => {
      if (m.subscription !== subscription) return
      clearTimeout(timer)
      client.off('update', on)
      resolve(m)
    }
    client.on('update', on)
  })
}

async function ingest(amount: number, id = randomUUID(), signal?: AbortSignal): Promise<Response> {
  return fetch(`${server.url}/api/v1/movements`, {
    method: 'POST',
    headers: { authorization: 'Bearer ik', 'content-type': 'application/json' },
    body: JSON.stringify([{ id, type: 'payment_in', occurredAt: new Date().toISOString(), amount }]),
    ...(signal ? { signal } : {}),
  })
}

/** GETs `paths` one after the other over one fresh keep-alive connection: all answered by the same worker. */
async function onOneConnection(paths: string[]): Promise<{ status: number; body: string }[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  try {
    const out: { status: number; body: string }[] = []
    for (const path of paths) {
      out.push(
        await new Promise((resolve, reject) => {
          get(`${server.url}${path}`, { agent }, (res) => {
            let body = ''
            res.on('data', (d: Buffer) => (body += d.toString()))
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
          }).on('error', reject)
        }),
      )
    }
    return out
  } finally {
    agent.destroy()
  }
}

/** Workers become ready one by one: waits until `n` distinct workers answered /readyz 200. */
async function workersReady(n: number): Promise<void> {
  const ready = new Set<number>()
  for (let i = 0; i < 300 && ready.size < n; i++) {
    const [health, readiness] = await onOneConnection(['/healthz', '/readyz'])
    if (readiness!.status === 200) ready.add((JSON.parse(health!.body) as { pid: number }).pid)
    else await new Promise((r) => setTimeout(r, 50))
  }
  if (ready.size < n) throw new Error(`only ${ready.size} of ${n} workers became ready`)
}

describe('COCKPIT_WORKERS=2', () => {
  test('an ingest through one connection reaches clients of both workers', async () => {
    await workersReady(2)
    const byPid = await clientsOnWorkers(2)
    const pids = [...byPid.keys()]
    expect(pids).toHaveLength(2)
    // the workers are separate processes, neither of them the primary that was started
    expect(pids).not.toContain(server.child.pid)
    const acks = new Map<number, Extract<SubscribeAck, { ok: true }>>()
    for (const [pid, c] of byPid) acks.set(pid, await subscribe(c))
    const updates = [...byPid].map(([pid, c]) => nextUpdate(c, acks.get(pid)!.subscription))
    const res = await ingest(42)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ accepted: 1, duplicates: 0 })
    const got = await Promise.all(updates)
    got.forEach((u, k) => expect(u.result.total).toBeCloseTo((acks.get(pids[k]!)!.result.total ?? 0) + 42, 10))
  })

  test('/healthz names the worker that answered', async () => {
    const seen = new Set<number>()
    for (let i = 0; i < 6; i++) {
      const body = (await (await fetch(`${server.url}/healthz`, { headers: { connection: 'close' } })).json()) as { ok: boolean; pid: number }
      expect(body.ok).toBe(true)
      seen.add(body.pid)
    }
    expect(seen.size).toBe(2)
    expect(seen.has(server.child.pid!)).toBe(false)
  })

  test('an HTTP long-polling handshake is refused (no sticky sessions between workers)', async () => {
    const c = io(server.url, { transports: ['polling'], reconnection: false, forceNew: true })
    clients.push(c)
    const err = await new Promise<Error>((resolve, reject) => {
      c.once('connect', () => reject(new Error('a polling client connected')))
      c.once('connect_error', resolve)
    })
    expect(err.message).toMatch(/xhr poll error|transport/i)
  })

  test('a worker that dies is replaced, and the other keeps serving', async () => {
    const byPid = await clientsOnWorkers(2)
    const [victim, survivor] = [...byPid.keys()]
    const survivorClient = byPid.get(survivor!)!
    const ack = await subscribe(survivorClient)
    process.kill(victim!, 'SIGKILL')
    // the survivor still receives changes while the victim is being replaced
    const update = nextUpdate(survivorClient, ack.subscription)
    // a connection the primary handed to the victim as it died is reset or never answered: a client
    // retries the same batch (idempotent by id)
    const id = randomUUID()
    let res: Response | undefined
    for (let i = 0; i < 20 && res === undefined; i++) res = await ingest(5, id, AbortSignal.timeout(3000)).catch(() => undefined)
    expect(res?.status).toBe(200)
    expect((await update).result.total).toBeCloseTo((ack.result.total ?? 0) + 5, 10)
    // a new worker takes the victim's place (starting one takes seconds on a busy machine): connections reach a new pid
    let replacement: number | undefined
    for (const until = Date.now() + 50_000; Date.now() < until && replacement === undefined;) {
      try {
        // a connection the primary handed to the victim as it died is never answered: give up on it soon
        const { client, pid } = await connectWithPid(server.url, { timeout: 3000 })
        clients.push(client)
        if (pid !== victim && pid !== survivor) replacement = pid
      } catch {
        // the replacement is starting
      }
      if (replacement === undefined) await new Promise((r) => setTimeout(r, 100))
    }
    expect(replacement).toBeDefined()
  }, 60_000)

  test('SIGTERM to the primary: sockets are told, every worker exits, the primary exits 0', async () => {
    const byPid = await clientsOnWorkers(2)
    const told = [...byPid.values()].map((c) => new Promise<string>((resolve) => c.on('disconnect', resolve)))
    expect(await server.stop('SIGTERM')).toBe(0)
    expect(await Promise.all(told)).toEqual(['io server disconnect', 'io server disconnect'])
    for (const pid of byPid.keys()) expect(() => process.kill(pid, 0)).toThrow()
  }, 40_000)
})
