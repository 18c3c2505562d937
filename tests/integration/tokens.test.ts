/**
 * Signed viewer/embed tokens against the real Redis: minting, and the server enforcing them on
 * POST /api/v1/query and Socket.IO subscribe — valid, expired, forged, out of scope — an embed
 * token limited to its widget's queries, the static viewer token still working, and the
 * category → SKU drill query under a category scope.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { io as connect } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck } from '../../protocol/events.ts'
import type { Query } from '../../protocol/query.ts'
import { decodeTokenClaims, withScope } from '../../protocol/tokens.ts'
import type { TokenRequest } from '../../protocol/tokens.ts'
import { signToken } from '../../server/auth/tokens.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

type Client = Socket<ServerToClientEvents, ClientToServerEvents>
const SECRET = `s_${randomUUID()}${randomUUID()}`
const VIEWER = 'vt_static'
let server: TestServer
const clients: Client[] = []

async function call(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, token?: string, on = server) {
  const res = await on.app.inject({
    method,
    url: path,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  })
  return { status: res.statusCode, body: res.json() as any }
}
const query = (q: unknown, token?: string) => call('POST', '/api/v1/query', q, token)

async function mint(request: TokenRequest): Promise<string> {
  const res = await call('POST', '/api/v1/tokens', request, server.adminKey)
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return res.body.token as string
}

function socket(token?: string): Client {
  const c: Client = connect(server.url, { transports: ['websocket'], reconnection: false, ...(token ? { auth: { token } } : {}) })
  clients.push(c)
  return c
}
const connected = (c: Client) => new Promise<void>((resolve, reject) => (c.on('connect', resolve), c.on('connect_error', reject)))
const refusal = (c: Client) =>
  new Promise<Error & { data?: { code?: string } }>((resolve, reject) => (c.on('connect_error', resolve), c.on('connect', () => reject(new Error('connected')))))
const subscribe = (c: Client, q: unknown) => new Promise<SubscribeAck>((resolve) => c.emit('subscribe', q as Query, resolve))

const revenueByWarehouse = { metric: 'sales.revenue', window: 'today', groupBy: 'warehouse' } as const

beforeAll(async () => {
  server = await startTestServer({ COCKPIT_TOKEN_SECRET: SECRET, COCKPIT_VIEWER_TOKEN: VIEWER, COCKPIT_SCREEN_DIR: '/nonexistent' })
  const master = async (kind: string, records: unknown[]) => expect((await call('PUT', `/api/v1/master/${kind}`, records, server.adminKey)).status).toBe(200)
  await master('skus', [
    { code: 'SKU-A', name: 'Water', category: 'drinks', safetyStock: 100 },
    { code: 'SKU-B', name: 'Tea', category: 'drinks' },
    { code: 'SKU-C', name: 'Chips', category: 'snacks' },
  ])
  await master('warehouses', [
    { code: 'WH-SH', name: 'Shanghai', region: 'East' },
    { code: 'WH-BJ', name: 'Beijing', region: 'North' },
  ])
  const at = new Date().toISOString()
  const ship = (sku: string, warehouse: string, qty: number, unitPrice: number) => ({
    id: randomUUID(),
    type: 'sales_shipment',
    occurredAt: at,
    sku,
    warehouse,
    qty,
    unitPrice,
    channel: 'pos',
  })
  const res = await server.app.inject({
    method: 'POST',
    url: '/api/v1/movements',
    headers: { authorization: `Bearer ${server.ingestKey}`, 'content-type': 'application/json' },
    payload: JSON.stringify([ship('SKU-A', 'WH-SH', 10, 10), ship('SKU-B', 'WH-BJ', 5, 10), ship('SKU-C', 'WH-SH', 3, 10)]),
  })
  expect(res.statusCode).toBe(200)
})

afterAll(async () => {
  for (const c of clients) c.disconnect()
  await server?.close()
})

describe('minting', () => {
  test('POST /api/v1/tokens returns a signed token whose claims the page can read', async () => {
    const res = await call('POST', '/api/v1/tokens', { kind: 'viewer', scope: { warehouse: ['WH-SH'] }, expiresIn: 3600, label: 'wh-manager-sh' }, server.adminKey)
    expect(res.status).toBe(200)
    const claims = decodeTokenClaims(res.body.token)!
    expect(claims).toMatchObject({ kind: 'viewer', scope: { warehouse: ['WH-SH'] }, sub: 'wh-manager-sh', iss: 'erp-cockpit' })
    expect(Math.abs(claims.exp - (Date.now() / 1000 + 3600))).toBeLessThan(5)
    expect(new Date(res.body.expiresAt).getTime()).toBe(claims.exp * 1000)
  })

  test('bad requests are refused with the field named; only the admin mints', async () => {
    expect((await call('POST', '/api/v1/tokens', { kind: 'viewer', expiresIn: 3600 }, VIEWER)).status).toBe(401)
    const short = await call('POST', '/api/v1/tokens', { kind: 'viewer', expiresIn: 5 }, server.adminKey)
    expect(short.status).toBe(400)
    expect(short.body.error).toBe('COCKPIT_ERR_INVALID_TOKEN_REQUEST')
    expect(short.body.errors[0].path).toBe('/expiresIn')
    const badDim = await call('POST', '/api/v1/tokens', { kind: 'viewer', scope: { shelf: ['A'] }, expiresIn: 3600 }, server.adminKey)
    expect(badDim.body.errors[0].path).toBe('/scope/shelf')
    expect((await call('POST', '/api/v1/tokens', { kind: 'embed', expiresIn: 3600 }, server.adminKey)).body.errors).toEqual([
      { path: '/widget', message: 'an embed token names the widget it shows: {widget, options}' },
    ])
    const badOption = await call('POST', '/api/v1/tokens', { kind: 'embed', widget: { widget: 'ranking-bar', options: { top: 500 } }, expiresIn: 3600 }, server.adminKey)
    expect(badOption.body.errors).toEqual([{ path: '/widget/options/top', message: 'must be <= 30' }])
    // a ranking by category cannot be restricted to a warehouse: the token could never show anything
    const unanswerable = await call(
      'POST',
      '/api/v1/tokens',
      {
        kind: 'embed',
        widget: { widget: 'ranking-bar', options: { metric: 'sales.revenue', groupBy: 'category', top: 5, window: 'today' } },
        scope: { warehouse: ['WH-SH'] },
        expiresIn: 3600,
      },
      server.adminKey,
    )
    expect(unanswerable.status).toBe(400)
    expect(unanswerable.body.errors[0]).toMatchObject({ path: '/scope', message: expect.stringContaining('cannot be restricted to this scope') })
  })

  test('without COCKPIT_TOKEN_SECRET minting is disabled (501) and signed tokens are refused', async () => {
    // under this file's prefix: the one cleanup in afterAll removes its keys too
    const plain = await startTestServer({ COCKPIT_KEY_PREFIX: `${server.prefix}plain:`, COCKPIT_SCREEN_DIR: '/nonexistent' })
    try {
      const res = await call('POST', '/api/v1/tokens', { kind: 'viewer', expiresIn: 3600 }, plain.adminKey, plain)
      expect(res.status).toBe(501)
      expect(res.body.error).toBe('COCKPIT_ERR_TOKENS_DISABLED')
      const { token } = await signToken(SECRET, { kind: 'viewer' }, 3600)
      const read = await call('POST', '/api/v1/query', { metric: 'cash.in', window: 'today' }, token, plain)
      expect(read.status).toBe(401)
      expect(read.body.message).toContain('COCKPIT_TOKEN_SECRET')
    } finally {
      await plain.app.close()
    }
  })
})

describe('HTTP query', () => {
  test('a scoped viewer token reads inside its scope and is refused (403) outside it', async () => {
    const token = await mint({ kind: 'viewer', scope: { warehouse: ['WH-SH'] }, expiresIn: 3600 })
    const inside = await query({ ...revenueByWarehouse, filter: { warehouse: ['WH-SH'] } }, token)
    expect(inside.status).toBe(200)
    expect(inside.body.groups.map((g: { key: string }) => g.key)).toEqual(['WH-SH'])
    expect(inside.body.total).toBe(130)
    expect((await query({ ...revenueByWarehouse, filter: { warehouse: 'WH-SH' } }, token)).status).toBe(200)

    for (const q of [
      revenueByWarehouse,
      { ...revenueByWarehouse, filter: { warehouse: ['WH-BJ'] } },
      { ...revenueByWarehouse, filter: { warehouse: ['WH-SH', 'WH-BJ'] } },
      { metric: 'sales.revenue', window: 'today' },
    ]) {
      const out = await query(q, token)
      expect(out.status, JSON.stringify(q)).toBe(403)
      expect(out.body.error).toBe('COCKPIT_ERR_FORBIDDEN')
    }
    // filtering another dimension does not restrict the scoped one: refused, never widened
    expect((await query({ metric: 'sales.revenue', window: 'today', filter: { region: 'East' } }, token)).status).toBe(403)
    // stock alerts honour the warehouse filter
    const alerts = await query({ metric: 'stock.belowSafety', filter: { warehouse: ['WH-SH'] } }, token)
    expect(alerts.status).toBe(200)
    expect(alerts.body.rows.map((r: { sku: string; warehouse: string }) => `${r.sku}@${r.warehouse}`)).toEqual(['SKU-A@WH-SH'])
  })

  test('the static viewer token and the admin key read everything; no token is 401', async () => {
    expect((await query({ metric: 'sales.revenue', window: 'today' }, VIEWER)).body.total).toBe(180)
    expect((await query({ metric: 'sales.revenue', window: 'today' }, server.adminKey)).status).toBe(200)
    const none = await query({ metric: 'sales.revenue', window: 'today' })
    expect(none.status).toBe(401)
    expect((await query({ metric: 'sales.revenue', window: 'today' }, 'not-a-key')).status).toBe(401)
  })

  test('expired and forged tokens are 401 with a reason', async () => {
    const expired = (await signToken(SECRET, { kind: 'viewer' }, 60, Date.now() - 3600_000)).token
    const e = await query({ metric: 'sales.revenue', window: 'today' }, expired)
    expect(e.status).toBe(401)
    expect(e.body.message).toMatch(/^token expired at /)

    const foreign = (await signToken(`other_${SECRET}`, { kind: 'viewer' }, 3600)).token
    const f = await query({ metric: 'sales.revenue', window: 'today' }, foreign)
    expect(f.status).toBe(401)
    expect(f.body.message).toContain('signature is not valid')

    // widening the scope in the payload breaks the signature
    const scoped = await mint({ kind: 'viewer', scope: { warehouse: ['WH-SH'] }, expiresIn: 3600 })
    const [h, p, s] = scoped.split('.')
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString())
    delete claims.scope
    const tampered = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`
    expect((await query({ metric: 'sales.revenue', window: 'today' }, tampered)).status).toBe(401)

    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, exp: claims.exp })).toString('base64url')}.`
    const n = await query({ metric: 'sales.revenue', window: 'today' }, none)
    expect(n.status).toBe(401)
  })
})

describe('Socket.IO', () => {
  test('expired and forged tokens get connect_error with a clear message', async () => {
    const expired = (await signToken(SECRET, { kind: 'viewer' }, 60, Date.now() - 3600_000)).token
    const e = await refusal(socket(expired))
    expect(e.message).toMatch(/^unauthorized: token expired at /)
    expect(e.data?.code).toBe('COCKPIT_ERR_UNAUTHORIZED')
    const forged = (await signToken(`other_${SECRET}`, { kind: 'viewer' }, 3600)).token
    expect((await refusal(socket(forged))).message).toMatch(/^unauthorized: token signature is not valid/)
    expect((await refusal(socket())).message).toMatch(/^unauthorized: a viewer token is required/)
  })

  test('a scoped token subscribes inside its scope; outside gets an ack error', async () => {
    const c = socket(await mint({ kind: 'viewer', scope: { warehouse: ['WH-SH'] }, expiresIn: 3600 }))
    await connected(c)
    const refused = await subscribe(c, revenueByWarehouse)
    expect(refused).toMatchObject({ ok: false, error: { code: 'COCKPIT_ERR_FORBIDDEN' } })
    const other = await subscribe(c, { ...revenueByWarehouse, filter: { warehouse: ['WH-BJ'] } })
    expect(other).toMatchObject({ ok: false, error: { code: 'COCKPIT_ERR_FORBIDDEN', message: expect.stringContaining('WH-BJ') } })
    const ok = await subscribe(c, { ...revenueByWarehouse, filter: { warehouse: ['WH-SH'] } })
    expect(ok.ok && ok.result.total).toBe(130)
  })

  test("a token's socket is closed when the token expires", async () => {
    const { token } = await signToken(SECRET, { kind: 'viewer' }, 2)
    const c = socket(token)
    await connected(c)
    expect((await subscribe(c, { metric: 'cash.in', window: 'today' })).ok).toBe(true)
    const reason = await new Promise<string>((resolve) => c.on('disconnect', resolve))
    expect(reason).toBe('io server disconnect')
  })
})

describe('embed tokens', () => {
  const options = { metric: 'sales.revenue', groupBy: 'warehouse', top: 5, window: 'today' }
  const derived: Query = { metric: 'sales.revenue', window: 'today', groupBy: 'warehouse', top: 5 }
  const scope = { warehouse: ['WH-SH'] }

  test("only its widget's queries, with the scope filter merged, over HTTP and Socket.IO", async () => {
    const token = await mint({ kind: 'embed', widget: { widget: 'ranking-bar', options }, scope, expiresIn: 3600 })
    expect(decodeTokenClaims(token)).toMatchObject({ kind: 'embed', wgt: { widget: 'ranking-bar', options }, scope })
    const mine = withScope(derived, scope)!
    expect(mine.filter).toEqual({ warehouse: ['WH-SH'] })

    const http = await query(mine, token)
    expect(http.status).toBe(200)
    expect(http.body.groups.map((g: { key: string }) => g.key)).toEqual(['WH-SH'])
    for (const q of [derived, { ...mine, top: 6 }, { ...mine, metric: 'sales.cogs' }, { metric: 'cash.in', window: 'today', filter: scope }]) {
      const out = await query(q, token)
      expect(out.status, JSON.stringify(q)).toBe(403)
      expect(out.body.error).toBe('COCKPIT_ERR_FORBIDDEN')
    }

    const c = socket(token)
    await connected(c)
    const ok = await subscribe(c, { ...mine, filter: { warehouse: 'WH-SH' } })
    expect(ok.ok && ok.result.total).toBe(130)
    expect(await subscribe(c, { ...mine, window: 'P7D' })).toMatchObject({ ok: false, error: { code: 'COCKPIT_ERR_FORBIDDEN', message: expect.stringContaining('ranking-bar') } })
    expect(await new Promise((resolve) => c.emit('joinWall', 'lobby', resolve))).toEqual({ ok: false })

    // nothing but its widget's data: no screens, no master data
    expect((await call('GET', '/api/v1/screens', undefined, token)).status).toBe(403)
    expect((await call('GET', '/api/v1/master/skus', undefined, token)).status).toBe(403)
  })

  test('an unscoped embed token runs exactly the derived queries', async () => {
    const token = await mint({ kind: 'embed', widget: { widget: 'ranking-bar', options }, expiresIn: 3600 })
    expect((await query(derived, token)).status).toBe(200)
    expect((await query({ ...derived, filter: scope }, token)).status).toBe(403)
  })
})

describe('drill from a category to its SKUs', () => {
  test('groupBy sku with a category filter keeps the SKUs of that category (master data)', async () => {
    const res = await query({ metric: 'sales.revenue', window: 'today', groupBy: 'sku', filter: { category: 'drinks' }, compare: 'previous' }, VIEWER)
    expect(res.status).toBe(200)
    expect(res.body.groups).toEqual([
      { key: 'SKU-A', label: 'Water', total: 100 },
      { key: 'SKU-B', label: 'Tea', total: 50 },
    ])
    expect(res.body.total).toBe(150)
    expect(res.body.previous.total).toBe(0)
    const margin = await query({ metric: 'sales.grossMargin', window: 'today', groupBy: 'sku', filter: { category: ['snacks'] } }, VIEWER)
    expect(margin.body.groups.map((g: { key: string }) => g.key)).toEqual(['SKU-C'])
  })

  test('a category-scoped token drills inside its category only', async () => {
    const token = await mint({ kind: 'viewer', scope: { category: ['drinks'] }, expiresIn: 3600 })
    expect((await query({ metric: 'sales.revenue', window: 'today', groupBy: 'sku', filter: { category: ['drinks'] } }, token)).status).toBe(200)
    expect((await query({ metric: 'sales.revenue', window: 'today', groupBy: 'sku', filter: { category: ['snacks'] } }, token)).status).toBe(403)
    expect((await query({ metric: 'sales.revenue', window: 'today', groupBy: 'sku' }, token)).status).toBe(403)
    // where the engine cannot restrict by the filter it refuses instead of ignoring it
    expect((await query({ metric: 'stock.closingValue', window: 'today', groupBy: 'sku', filter: { category: ['drinks'] } }, token)).status).toBe(400)
    expect((await query({ metric: 'stock.belowSafety', filter: { channel: 'pos' } }, VIEWER)).status).toBe(400)
  })
})
