/**
 * Hostile Socket.IO clients (issue #13): what one client, many clients and foreign pages can
 * make a server hold. Connections per client, distinct live queries per client and per server
 * are capped with a clear refusal; a flood of 500 sockets × 40 subscriptions (the bench,
 * tests/bench/socket-flood.ts, runs 200 unpaced) leaves /healthz
 * answering fast and the registry at most at its cap, and empty once they leave; handshakes
 * from foreign origins are refused; embed sockets hear their widget's figures and nothing of
 * screens; an ingest recomputes only the rooms whose metric and period it touches.
 */
import { randomUUID } from 'node:crypto'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { io as connect } from 'socket.io-client'
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client'
import { SOCKET_LIMIT_CODES } from '../../protocol/events.ts'
import type { ClientToServerEvents, ScreenChanged, ServerToClientEvents, SubscribeAck, UpdateMessage } from '../../protocol/events.ts'
import type { Query } from '../../protocol/query.ts'
import { signToken } from '../../server/auth/tokens.ts'
import type { TokenGrant } from '../../server/auth/tokens.ts'
import { SOCKET_MESSAGE_BUDGET } from '../../server/plugins/realtime.ts'
import { startTestServer } from '../helpers/server.ts'
import { forkFlood } from '../helpers/socket-flood.ts'
import type { TestServer } from '../helpers/server.ts'
import { probeHealth, warmHealth } from '../helpers/health-probe.ts'

type Client = Socket<ServerToClientEvents, ClientToServerEvents>
const SECRET = `hostile-sockets-${'x'.repeat(32)}`
const INTRANET = 'https://intranet.example'
const open: Client[] = []

function socket(server: TestServer, opts: Partial<ManagerOptions & SocketOptions> = {}): Client {
  const c: Client = connect(server.url, { transports: ['websocket'], reconnection: false, forceNew: true, ...opts })
  open.push(c)
  return c
}

/** resolves once connected, rejects with the connect_error */
function connected(c: Client): Promise<Client> {
  return new Promise((resolve, reject) => {
    if (c.connected) return resolve(c)
    c.once('connect', () => resolve(c))
    c.once('connect_error', reject)
  })
}

function subscribe(c: Client, query: unknown): Promise<SubscribeAck> {
  return new Promise((resolve) => c.emit('subscribe', query as Query, resolve))
}

const mint = async (grant: TokenGrant = { kind: 'viewer' }) => (await signToken(SECRET, grant, 3600)).token
const distinct = (i: number): Query => ({ metric: 'cash.in', window: `PT${i + 1}M` })

async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Socket.IO rooms other than each socket's own (subscriptions, walls, notices) */
function socketIoRooms(server: TestServer): number {
  let n = 0
  for (const [room, members] of server.app.io.of('/').adapter.rooms) if (!members.has(room)) n++
  return n
}

async function closeAll(server: TestServer): Promise<void> {
  for (const c of open.splice(0)) c.disconnect()
  await waitFor(() => server.app.realtime.rooms.size === 0 && server.app.realtime.clients.size === 0, 'rooms and clients to be given back')
}

describe('caps per client and per server', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({
      COCKPIT_TOKEN_SECRET: SECRET,
      COCKPIT_MAX_SOCKETS_PER_CLIENT: '5',
      COCKPIT_MAX_LIVE_QUERIES_PER_CLIENT: '20',
      COCKPIT_MAX_LIVE_QUERIES: '50',
    })
  })
  afterAll(async () => {
    for (const c of open.splice(0)) c.disconnect()
    await server.close()
  })

  test('a flood of connections from one client: the cap connect, the rest are refused at the handshake; a closed one frees its place', async () => {
    const t0 = performance.now()
    const flood = Array.from({ length: 60 }, () => socket(server))
    const outcomes = await Promise.allSettled(flood.map(connected))
    expect(performance.now() - t0).toBeLessThan(10_000)
    const ok = outcomes.filter((o) => o.status === 'fulfilled')
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as Error & { data?: { code: string; message: string } }] : []))
    expect(ok.length).toBe(5)
    expect(refused.length).toBe(55)
    for (const err of refused) {
      expect(err.data?.code).toBe(SOCKET_LIMIT_CODES.tooManyConnections)
      expect(err.message).toMatch(/^too many connections: .*5 open connections \(COCKPIT_MAX_SOCKETS_PER_CLIENT\)/)
    }
    // another client (its own signed token) is not affected
    await connected(socket(server, { auth: { token: await mint() } }))
    // counts go down on disconnect
    const first = flood.find((c) => c.connected)!
    first.disconnect()
    await waitFor(() => server.app.realtime.clients.sockets('addr:127.0.0.1') === 4, 'the closed socket to be given back')
    await connected(socket(server))
    await expect(connected(socket(server))).rejects.toMatchObject({ data: { code: SOCKET_LIMIT_CODES.tooManyConnections } })
    await closeAll(server)
  })

  test('one socket trying hundreds of distinct subscriptions is refused past the per-client cap, over all its connections', async () => {
    const c = await connected(socket(server))
    const t0 = performance.now()
    const acks = await Promise.all(Array.from({ length: 250 }, (_, i) => subscribe(c, distinct(i))))
    expect(performance.now() - t0).toBeLessThan(15_000)
    expect(acks.filter((a) => a.ok).length).toBe(20)
    const refusals = acks.flatMap((a) => (a.ok ? [] : [a.error]))
    expect(refusals.length).toBe(230)
    for (const e of refusals) {
      expect(e.code).toBe(SOCKET_LIMIT_CODES.tooManySubscriptions)
      expect(e.message).toMatch(/at most 20 distinct live queries per client .*COCKPIT_MAX_LIVE_QUERIES_PER_CLIENT/)
    }
    expect(server.app.realtime.rooms.size).toBe(20)
    // a second connection of the same client: what the client holds is free, anything new is not
    const d = await connected(socket(server))
    const held = acks.findIndex((a) => a.ok)
    expect((await subscribe(d, distinct(held))).ok).toBe(true)
    expect(await subscribe(d, distinct(5000))).toMatchObject({ ok: false, error: { code: SOCKET_LIMIT_CODES.tooManySubscriptions } })
    // duplicates cost nothing either
    expect((await subscribe(c, distinct(held))).ok).toBe(true)
    expect(server.app.realtime.clients.liveQueries('addr:127.0.0.1')).toBe(20)
    // giving one back makes room for another
    const sub = acks[held]!
    await new Promise((resolve) => c.emit('unsubscribe', sub.ok ? sub.subscription : '', resolve))
    expect((await subscribe(c, distinct(5000))).ok).toBe(false) // d still holds it: still 20 distinct
    await new Promise((resolve) => d.emit('unsubscribe', sub.ok ? sub.subscription : '', resolve))
    expect((await subscribe(c, distinct(5000))).ok).toBe(true)
    await closeAll(server)
  })

  test('a socket sending faster than its message budget is told so and closed; what it held is given back, others go on', async () => {
    const { burst, perSecond } = SOCKET_MESSAGE_BUDGET
    const other = await connected(socket(server, { auth: { token: await mint() } }))
    expect((await subscribe(other, distinct(700))).ok).toBe(true)
    const c = await connected(socket(server))
    const closed = new Promise<string>((resolve) => c.once('disconnect', resolve))
    // the burst in one go, all answered (20 held, the rest past the per-client cap) …
    const acks = await Promise.all(Array.from({ length: burst }, (_, i) => subscribe(c, distinct(i))))
    expect(acks.filter((a) => a.ok).length).toBe(20)
    expect(acks.every((a) => a.ok || a.error.code === SOCKET_LIMIT_CODES.tooManySubscriptions)).toBe(true)
    // … then thousands more at once: the first past the budget (a few refill meanwhile) is refused with
    // the reason and the socket closed; the rest are dropped unread
    const answered: SubscribeAck[] = []
    for (let i = 0; i < 5000; i++) void subscribe(c, distinct(burst + i)).then((a) => answered.push(a))
    expect(await closed).toBe('io server disconnect')
    await new Promise((r) => setTimeout(r, 100))
    const last = answered.at(-1)
    expect(last).toMatchObject({ ok: false, error: { code: SOCKET_LIMIT_CODES.tooManyMessages } })
    expect(last?.ok === false && last.error.message).toMatch(new RegExp(`at most ${burst} messages at once and ${perSecond} per second`))
    expect(answered.slice(0, -1).every((a) => !a.ok && a.error.code === SOCKET_LIMIT_CODES.tooManySubscriptions)).toBe(true)
    expect(answered.length).toBeLessThan(100)
    await waitFor(() => server.app.realtime.clients.liveQueries('addr:127.0.0.1') === 0, 'the closed socket to give its rooms back')
    expect(server.app.realtime.rooms.size).toBe(1)
    // another client's socket was not touched
    expect(other.connected).toBe(true)
    expect((await subscribe(other, distinct(701))).ok).toBe(true)
    // the budget refills: a new connection of the same client works again
    const again = await connected(socket(server))
    expect((await subscribe(again, distinct(0))).ok).toBe(true)
    await closeAll(server)
  })

  test('many clients past the server cap get SERVER_BUSY for new queries, and may still join existing ones', async () => {
    const tokens = await Promise.all(Array.from({ length: 4 }, () => mint()))
    const sockets = await Promise.all(tokens.map((token) => connected(socket(server, { auth: { token } }))))
    // 3 clients × 20 distinct queries each (within their own cap) against a server cap of 50
    const acks = (await Promise.all(sockets.slice(0, 3).map((c, k) => Promise.all(Array.from({ length: 20 }, (_, i) => subscribe(c, distinct(100 + k * 20 + i))))))).flat()
    expect(acks.filter((a) => a.ok).length).toBe(50)
    const busy = acks.flatMap((a) => (a.ok ? [] : [a.error]))
    expect(busy.length).toBe(10)
    for (const e of busy) {
      expect(e.code).toBe(SOCKET_LIMIT_CODES.serverBusy)
      expect(e.message).toMatch(/most distinct live queries \(50, COCKPIT_MAX_LIVE_QUERIES\)/)
    }
    expect(server.app.realtime.rooms.size).toBe(50)
    // a fourth client: an existing query costs nothing more, a new one is refused
    const existing = acks.findIndex((a) => a.ok)
    expect((await subscribe(sockets[3]!, distinct(100 + existing))).ok).toBe(true)
    expect(await subscribe(sockets[3]!, distinct(9000))).toMatchObject({ ok: false, error: { code: SOCKET_LIMIT_CODES.serverBusy } })
    expect(server.app.realtime.rooms.size).toBe(50)
    await closeAll(server)
  })

  test('nothing leaks: failed subscribes, duplicates and disconnects in the middle of a subscribe', async () => {
    const baseline = socketIoRooms(server)
    const token = await mint()
    for (let round = 0; round < 5; round++) {
      const c = await connected(socket(server, { auth: { token } }))
      // an invalid query, one the engine refuses when computing, duplicates, and a disconnect before the acks
      c.emit('subscribe', { metric: 'nope' } as unknown as Query, () => {})
      c.emit('subscribe', { metric: 'stock.qty', window: 'today' }, () => {})
      for (let i = 0; i < 10; i++) c.emit('subscribe', distinct(200 + (i % 3)), () => {})
      c.disconnect()
    }
    const d = await connected(socket(server))
    expect(await subscribe(d, { metric: 'stock.qty', window: 'today' })).toMatchObject({ ok: false, error: { code: 'COCKPIT_ERR_UNSUPPORTED_QUERY' } })
    // the closed sockets' messages are read a turn at a time: their subscribes may still be on their way
    await waitFor(() => server.app.realtime.rooms.size === 0, 'the closed sockets to give their rooms back')
    expect(server.app.realtime.clients.liveQueries('addr:127.0.0.1')).toBe(0)
    await closeAll(server)
    expect(socketIoRooms(server)).toBe(baseline)
  })
})

describe('a flood of 500 sockets × 40 distinct subscriptions, paced like walls reconnecting', () => {
  let server: TestServer
  beforeAll(async () => {
    // default per-client caps (100 connections, 300 live queries); 50 clients with their own tokens
    server = await startTestServer({ COCKPIT_TOKEN_SECRET: SECRET, COCKPIT_MAX_LIVE_QUERIES: '1000' })
  })
  afterAll(async () => {
    for (const c of open.splice(0)) c.disconnect()
    await server.close()
  })

  test('/healthz stays fast while they subscribe and hold, the registry holds at most its cap, and everything is given back after', async () => {
    const tokens = await Promise.all(Array.from({ length: 50 }, () => mint()))
    // warm up what loads on first use (a signed token's handshake, a subscription, /healthz itself)
    const warm = await connected(socket(server, { auth: { token: tokens[0]! } }))
    expect((await subscribe(warm, { metric: 'cash.in', window: 'today' })).ok).toBe(true)
    await warmHealth(server.url)
    await closeAll(server)

    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    gc()
    const heapBefore = process.memoryUsage().heapUsed
    const roomsBefore = socketIoRooms(server)

    // 500 walls reconnecting together: each connects within 2 s, then sends its subscriptions ten at a
    // time, awaiting their acks, within 2 s of the previous ten: ~2,500 subscribes/s. An unpaced flood is
    // measured by tests/bench/socket-flood.ts (docs/operations.md).
    // The child boots for about a second before its first connection: forked before probing starts,
    // so that forking (this process's own work) is not counted against the server
    const t0 = performance.now()
    const flood = forkFlood({ url: server.url, tokens, socketsPerToken: 10, subscriptionsPerSocket: 40, burst: 10, jitterMs: 2000 })
    // probe /healthz all along (the load runs in a child process: only the server shares this event loop)
    let maxRooms = 0
    const probe = probeHealth(server.url, { everyMs: 25, onProbe: () => (maxRooms = Math.max(maxRooms, server.app.realtime.rooms.size)) })
    const latencies: number[] = []

    let result
    try {
      result = await flood.result
      // then they hold: the old code recomputed every windowed room every 15 s
      await new Promise((r) => setTimeout(r, 16_000))
    } finally {
      latencies.push(...(await probe.stop()))
    }
    const elapsedMs = performance.now() - t0

    expect(result.connected).toBe(500)
    expect(result.acks).toBe(20_000)
    expect(result.ok).toBe(1000)
    // the server's cap binds first (each client reaches a few dozen of the 1,000 rooms, far from its 300)
    expect(result.codes[SOCKET_LIMIT_CODES.serverBusy]).toBeGreaterThan(18_000)
    expect(Object.keys(result.codes).filter((c) => c !== SOCKET_LIMIT_CODES.serverBusy && c !== SOCKET_LIMIT_CODES.tooManySubscriptions)).toEqual([])
    expect(maxRooms).toBeLessThanOrEqual(1000)
    expect(server.app.realtime.rooms.size).toBe(1000)
    const sorted = [...latencies].sort((a, b) => a - b)
    const max = sorted.at(-1)!
    console.info(
      `flood: ${result.acks} subscribes in ${Math.round(result.subscribeMs)} ms after ${Math.round(result.connectMs)} ms connecting, then 16 s held; ` +
        `/healthz ×${latencies.length} p50 ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms, max ${max.toFixed(1)} ms`,
    )
    expect(latencies.length).toBeGreaterThan(100)
    // what this guards against blocked the event loop for seconds (every windowed room recomputed at once); a quiet
    // machine answers within ~50 ms at worst, a CI machine busy with other work has taken 105 ms: the bound is
    // for blocking, not a timing target
    expect(max).toBeLessThan(500)
    expect(elapsedMs).toBeLessThan(50_000)

    await flood.close()
    await waitFor(() => server.app.realtime.rooms.size === 0 && server.app.realtime.clients.size === 0, 'rooms and clients to be given back', 10_000)
    expect(socketIoRooms(server)).toBe(roomsBefore)
    await new Promise((r) => setTimeout(r, 200))
    gc()
    const grown = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024
    console.info(`flood: heap after the sockets left ${grown.toFixed(1)} MB above before`)
    expect(grown).toBeLessThan(20)
  }, 60_000)
})

describe('origins, embed sockets, and what an ingest recomputes', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ COCKPIT_TOKEN_SECRET: SECRET, COCKPIT_ALLOWED_ORIGINS: INTRANET })
  })
  afterAll(async () => {
    for (const c of open.splice(0)) c.disconnect()
    await server.close()
  })

  test('a handshake from a foreign origin is refused, over WebSocket and polling; same origin and configured origins pass', async () => {
    for (const transports of [['websocket'], ['polling']]) {
      const evil = socket(server, { transports, extraHeaders: { origin: 'https://evil.example' } })
      await expect(connected(evil), transports[0]).rejects.toThrow()
      expect(evil.connected).toBe(false)
      await connected(socket(server, { transports, extraHeaders: { origin: server.url } }))
      await connected(socket(server, { transports, extraHeaders: { origin: INTRANET } }))
      await connected(socket(server, { transports }))
    }
    // what a browser page sees: 403 with the reason; the configured origin also gets CORS headers for polling
    const handshake = (origin?: string) => fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: origin ? { origin } : {} })
    const refused = await handshake('https://evil.example')
    expect(refused.status).toBe(403)
    expect(await refused.text()).toContain('https://evil.example may not open a socket')
    expect((await handshake('null')).status).toBe(403)
    const allowed = await handshake(INTRANET)
    expect(allowed.status).toBe(200)
    expect(allowed.headers.get('access-control-allow-origin')).toBe(INTRANET)
    await allowed.text()
    await closeAll(server)
  })

  test('an ingest recomputes only the rooms whose metric and period it touches', async () => {
    const rooms = server.app.realtime.rooms
    const c = await connected(socket(server))
    const lastYear = { metric: 'cash.in', from: '2025-01-01T00:00:00+08:00', to: '2025-02-01T00:00:00+08:00' }
    const [fixed, today, other] = await Promise.all([
      subscribe(c, lastYear),
      subscribe(c, { metric: 'cash.in', window: 'today' }),
      subscribe(c, { metric: 'sales.revenue', window: 'today' }),
    ])
    if (!fixed.ok || !today.ok || !other.ok) throw new Error('subscribe failed')
    const pay = async (occurredAt: string, amount: number) => {
      const res = await fetch(`${server.url}/api/v1/movements`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.ingestKey}`, 'content-type': 'application/json' },
        body: JSON.stringify([{ id: randomUUID(), type: 'payment_in', occurredAt, amount }]),
      })
      expect(res.status).toBe(200)
    }
    const updates: UpdateMessage[] = []
    c.on('update', (m) => updates.push(m))

    // today's payment: the `today` room only — not last January's, not another metric's
    const before = rooms.computed
    await pay(new Date().toISOString(), 5)
    await waitFor(() => updates.some((u) => u.subscription === today.subscription), 'the today room to be pushed')
    await new Promise((r) => setTimeout(r, 300))
    expect(rooms.computed - before).toBe(1)

    // a late payment of last January: that room only
    const mid = rooms.computed
    await pay('2025-01-15T10:00:00+08:00', 7)
    await waitFor(() => updates.some((u) => u.subscription === fixed.subscription), 'the January room to be pushed')
    await new Promise((r) => setTimeout(r, 300))
    expect(rooms.computed - mid).toBe(1)
    expect(updates.find((u) => u.subscription === fixed.subscription)!.result.total).toBeCloseTo((fixed.result.total ?? 0) + 7, 6)
    expect(updates.some((u) => u.subscription === other.subscription)).toBe(false)
    await closeAll(server)
  })

  test("an embed socket hears its widget's updates but no screen notices; a viewer socket hears both", async () => {
    const options = { metric: 'sales.revenue', groupBy: 'warehouse', top: 5, window: 'today' }
    const token = await mint({ kind: 'embed', widget: { widget: 'ranking-bar', options } })
    const embed = await connected(socket(server, { auth: { token } }))
    const viewer = await connected(socket(server))
    const heard = { embed: [] as string[], viewer: [] as string[] }
    embed.onAny((event: string) => heard.embed.push(event))
    viewer.onAny((event: string) => heard.viewer.push(event))
    const embedScreens: ScreenChanged[] = []
    embed.on('screenChanged', (m) => embedScreens.push(m))
    const ack = await subscribe(embed, { metric: 'sales.revenue', window: 'today', groupBy: 'warehouse', top: 5 })
    expect(ack.ok).toBe(true)

    const id = `hostile-${randomUUID().slice(0, 8)}`
    const screen = {
      id,
      title: 'Hostile',
      design: { width: 1920, height: 1080 },
      theme: 'dark',
      grid: { columns: 12, rows: 12 },
      widgets: [{ id: 'revenue', widget: 'kpi-card', options: { metric: 'sales.revenue', window: 'today' }, x: 0, y: 0, w: 3, h: 2 }],
    }
    const saved = await fetch(`${server.url}/api/v1/screens/${id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(screen),
    })
    expect(saved.status).toBe(200)
    await waitFor(() => heard.viewer.includes('screenChanged'), 'the viewer to hear screenChanged')

    const update = new Promise<UpdateMessage>((resolve) => embed.once('update', resolve))
    const shipment = { id: randomUUID(), type: 'sales_shipment', occurredAt: new Date().toISOString(), sku: 'SKU-H', warehouse: 'WH-H', qty: 1, unitPrice: 42 }
    const ingested = await fetch(`${server.url}/api/v1/movements`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.ingestKey}`, 'content-type': 'application/json' },
      body: JSON.stringify([shipment]),
    })
    expect(ingested.status).toBe(200)
    expect((await update).subscription).toBe(ack.ok ? ack.subscription : '')
    await fetch(`${server.url}/api/v1/screens/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${server.adminKey}` } })
    await waitFor(() => heard.viewer.filter((e) => e === 'screenChanged').length === 2, 'the viewer to hear the delete')
    await new Promise((r) => setTimeout(r, 200))
    expect(embedScreens).toEqual([])
    expect(heard.embed).toContain('update')
    // and the failing sources (docs/api.md: its figures go stale like a wall's)
    expect(heard.embed.filter((e) => e !== 'update' && e !== 'status' && e !== 'sources')).toEqual([])
    await closeAll(server)
  })
})
