/**
 * Redis high availability with Sentinel: a primary, a replica and three Sentinels of the test's
 * own (spawned redis-server processes). The server runs with REDIS_SENTINELS and
 * COCKPIT_REDIS_WAIT_REPLICAS=1 while two senders ingest without pause; the primary is killed
 * (SIGKILL) mid-ingest. The Sentinels promote the replica, the server follows it by itself, and
 * every acknowledged movement is counted exactly once — on the new primary and on a live socket.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { io } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck } from '../../protocol/events.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { ask, redisNode, startSentinelSet } from '../helpers/redis-topology.ts'
import type { SentinelSet } from '../helpers/redis-topology.ts'

const BATCH = 20
const QUERY = { metric: 'cash.in', window: 'today' } as const

let set: SentinelSet
let server: TestServer
let client: Socket<ServerToClientEvents, ClientToServerEvents> | undefined

beforeAll(async () => {
  set = await startSentinelSet({ downAfterMs: 1000, failoverTimeoutMs: 3000 })
  server = await startTestServer({
    REDIS_SENTINELS: set.sentinelList,
    REDIS_SENTINEL_NAME: set.name,
    COCKPIT_REDIS_WAIT_REPLICAS: '1',
    COCKPIT_REDIS_WAIT_TIMEOUT_MS: '500',
  })
}, 120_000)

afterAll(async () => {
  client?.disconnect()
  await server?.app.close()
  await set?.destroy()
})

interface Tally {
  /** movements acknowledged with 200 (each batch is retried until it is) */
  acknowledged: number
  /** answers other than 200 (503 while Redis fails over, or not yet replicated), and failed requests */
  refused: Map<string, number>
  /** acknowledged batches, with the time of their answer */
  acks: number[]
}

/** Sends fresh batches one after another until `stop()`; a refused batch is re-sent as is until acknowledged. */
function sender(tally: Tally): { stop(): Promise<void> } {
  let running = true
  const loop = (async () => {
    while (running) {
      const batch = Array.from({ length: BATCH }, () => ({ id: randomUUID(), type: 'payment_in', occurredAt: new Date().toISOString(), amount: 1 }))
      for (;;) {
        let why: string
        try {
          const res = await fetch(`${server.url}/api/v1/movements`, {
            method: 'POST',
            headers: { authorization: `Bearer ${server.ingestKey}`, 'content-type': 'application/json' },
            body: JSON.stringify(batch),
            signal: AbortSignal.timeout(15_000),
          })
          const body = (await res.json()) as { accepted?: number; duplicates?: number; error?: string }
          if (res.status === 200) {
            expect(body.accepted! + body.duplicates!).toBe(BATCH)
            tally.acknowledged += BATCH
            tally.acks.push(Date.now())
            break
          }
          why = `${res.status} ${body.error}`
        } catch (err) {
          why = (err as Error).name
        }
        tally.refused.set(why, (tally.refused.get(why) ?? 0) + 1)
        await new Promise((r) => setTimeout(r, 50))
      }
    }
  })()
  return {
    async stop() {
      running = false
      await loop
    },
  }
}

async function cashIn(): Promise<number> {
  const res = await server.app.inject({ method: 'POST', url: '/api/v1/query', payload: QUERY })
  expect(res.statusCode).toBe(200)
  return (res.json() as { total: number }).total
}

describe('Sentinel fail-over during ingest', () => {
  test('killing the primary loses no acknowledged movement; the server follows the new primary', async () => {
    expect(await set.primaryPort()).toBe(set.primary.port)
    client = io(server.url, { transports: ['websocket'], reconnection: false, forceNew: true })
    const ack = await new Promise<SubscribeAck>((resolve) => client!.emit('subscribe', QUERY, resolve))
    if (!ack.ok) throw new Error(ack.error.message)
    let pushed = ack.result.total ?? 0
    client.on('update', (m) => {
      if (m.subscription === ack.subscription) pushed = m.result.total ?? 0
    })
    const before = await cashIn()

    const tally: Tally = { acknowledged: 0, refused: new Map(), acks: [] }
    const senders = [sender(tally), sender(tally)]
    while (tally.acknowledged < 40 * BATCH) await new Promise((r) => setTimeout(r, 20))

    const killedAt = Date.now()
    await set.primary.kill('SIGKILL')
    // the Sentinels agree the primary is down and promote the replica
    for (const deadline = Date.now() + 30_000; (await set.primaryPort()) !== set.replica.port;) {
      if (Date.now() > deadline) throw new Error('no fail-over within 30 s')
      await new Promise((r) => setTimeout(r, 100))
    }
    // the old primary's machine comes back: the Sentinels make it a replica of the new one, so WAIT 1 can be met again
    await set.primary.start()
    const afterFailover = tally.acks.length
    // (the ex-primary restarts, is made a replica by the Sentinels and syncs: on a loaded machine that takes a while)
    for (const deadline = Date.now() + 90_000; tally.acks.length < afterFailover + 40;) {
      if (Date.now() > deadline) throw new Error(`ingest did not resume after the fail-over (refusals: ${JSON.stringify([...tally.refused])})`)
      await new Promise((r) => setTimeout(r, 50))
    }
    await Promise.all(senders.map((s) => s.stop()))

    // acknowledged after the kill: the server reached the promoted replica by itself
    expect(tally.acks.filter((t) => t > killedAt).length).toBeGreaterThanOrEqual(40)
    // the Sentinels settle on one primary with the other node replicating it (the ex-primary following the promoted
    // replica; on a loaded machine they may take seconds to reconfigure the restarted node, or abort a slow promotion)
    const settled = async () => {
      const primary = await set.primaryPort()
      const other = primary === set.primary.port ? set.replica.port : set.primary.port
      return new RegExp(`role:slave[\\s\\S]*master_port:${primary}`).test(String(await ask(other, 'INFO', 'replication')))
    }
    for (const deadline = Date.now() + 30_000; !(await settled());) {
      if (Date.now() > deadline) throw new Error('the Sentinels did not settle on one primary and its replica within 30 s')
      await new Promise((r) => setTimeout(r, 200))
    }
    // every acknowledged movement is counted, exactly once
    expect(await cashIn()).toBe(before + tally.acknowledged)
    // and the live subscription, whose notices now come from the new primary, shows it
    for (const deadline = Date.now() + 10_000; pushed !== before + tally.acknowledged && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50))
    expect(pushed).toBe(before + tally.acknowledged)
    expect((await server.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200)
  }, 150_000)
})

describe('COCKPIT_REDIS_WAIT_REPLICAS', () => {
  test('no replica to confirm: 503 COCKPIT_ERR_NOT_REPLICATED, also for the retry, until a replica has it', async () => {
    const primary = await redisNode((dir, port) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''])
    const replica = await redisNode((dir, port) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--replicaof', '127.0.0.1', String(primary.port)])
    for (const deadline = Date.now() + 10_000; !/master_link_status:up/.test(String(await ask(replica.port, 'INFO', 'replication')));) {
      if (Date.now() > deadline) throw new Error('the replica did not sync')
      await new Promise((r) => setTimeout(r, 100))
    }
    const alone = await startTestServer({ REDIS_URL: `redis://127.0.0.1:${primary.port}`, COCKPIT_REDIS_WAIT_REPLICAS: '1', COCKPIT_REDIS_WAIT_TIMEOUT_MS: '200' })
    try {
      const post = (batch: object[]) =>
        fetch(`${alone.url}/api/v1/movements`, {
          method: 'POST',
          headers: { authorization: `Bearer ${alone.ingestKey}`, 'content-type': 'application/json' },
          body: JSON.stringify(batch),
        })
      const batch = [{ id: randomUUID(), type: 'payment_in', occurredAt: new Date().toISOString(), amount: 3 }]
      expect((await post([{ ...batch[0], id: randomUUID() }])).status).toBe(200)
      // the replica stops: nothing can be confirmed
      replica.child!.kill('SIGSTOP')
      const refused = await post(batch)
      expect(refused.status).toBe(503)
      expect(refused.headers.get('retry-after')).toBe('1')
      expect(((await refused.json()) as { error: string }).error).toBe('COCKPIT_ERR_NOT_REPLICATED')
      // the retry finds the batch applied on the primary, but is not acknowledged before a replica has it either
      const retried = await post(batch)
      expect(retried.status).toBe(503)
      expect(((await retried.json()) as { error: string }).error).toBe('COCKPIT_ERR_NOT_REPLICATED')
      replica.child!.kill('SIGCONT')
      let res: Response | undefined
      for (const deadline = Date.now() + 10_000; res?.status !== 200 && Date.now() < deadline;) res = await post(batch)
      expect(res!.status).toBe(200)
      expect(await res!.json()).toEqual({ accepted: 0, duplicates: 1 })
      // applied once
      expect(String(await ask(replica.port, 'EXISTS', `${alone.prefix}e:${batch[0]!.id}`))).toBe('1')
    } finally {
      replica.child?.kill('SIGCONT')
      await alone.app.close()
      await Promise.all([primary.kill('SIGKILL'), replica.kill('SIGKILL')])
    }
  }, 180_000)
})
