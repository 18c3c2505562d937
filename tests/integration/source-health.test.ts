/**
 * Seeing sources work, end to end on a real server (docs/connectors.md "Seeing sources work",
 * docs/api.md "Sources" and Socket.IO `sources`): with reading closed, a wall's viewer token reads
 * `GET /api/v1/sources` without any definition's connection variable, the admin key reads it whole,
 * and a scoped token sees statuses but no rejected rows; a source whose database URL points to a
 * closed port shows `failing` with its error; once it has failed for COCKPIT_SOURCE_STALE_MS (1.5 s
 * here) every socket — the wall's and an embed token's — receives `sources` naming it, and not
 * before; pausing it clears the list. The widget's reader takes the live answer as it comes.
 */
import { randomUUID } from 'node:crypto'
import { io as connect } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { ClientToServerEvents, ServerToClientEvents } from '../../protocol/events.ts'
import type { SourcesHealth, SourceSummary } from '../../protocol/sources.ts'
import { sourceRows } from '../../widgets/source-status/status.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

type Client = Socket<ServerToClientEvents, ClientToServerEvents>

const tag = randomUUID().slice(0, 8).toUpperCase()
const ENV = `TEST_SRC_HEALTH_URL_${tag}`
const VIEWER = `viewer-${randomUUID()}`
const STALE_MS = 1500
const ID = 'erp-down'
let server: TestServer
const clients: Client[] = []

async function call(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}

/** a socket that records every `sources` event with the time it came */
function socket(token: string): { client: Client; events: { at: number; health: SourcesHealth }[] } {
  const client: Client = connect(server.url, { transports: ['websocket'], reconnection: false, auth: { token } })
  const events: { at: number; health: SourcesHealth }[] = []
  client.on('sources', (health) => events.push({ at: Date.now(), health }))
  clients.push(client)
  return { client, events }
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

beforeAll(async () => {
  // a database URL with a password, to a port where nothing listens
  process.env[ENV] = `mysql://cockpit:Pw-${tag}@127.0.0.1:1/erp`
  server = await startTestServer({
    COCKPIT_SOURCES: 'on',
    COCKPIT_SOURCE_STALE_MS: String(STALE_MS),
    COCKPIT_VIEWER_TOKEN: VIEWER,
    COCKPIT_TOKEN_SECRET: `secret-${randomUUID()}-${randomUUID()}`,
  })
})

afterAll(async () => {
  for (const c of clients) c.disconnect()
  await server?.close()
  delete process.env[ENV]
})

describe('seeing sources work', () => {
  test('reading needs the wall’s token; readers never see the connection variable', async () => {
    const put = await call('PUT', `/sources/${ID}`, server.adminKey, {
      id: ID,
      title: 'ERPNext 总部',
      kind: 'erpnext',
      connectionEnv: ENV,
      mapping: { company: 'Acme' },
      schedule: { pollIntervalMs: 100 },
      backfill: { since: '2026-01-01' },
    })
    expect(put.status, JSON.stringify(put.body)).toBe(200)
    expect((await call('GET', '/sources')).status).toBe(401)

    const asViewer = await call('GET', '/sources', VIEWER)
    expect(asViewer.status).toBe(200)
    expect(asViewer.body).toEqual([
      { source: { id: ID, kind: 'erpnext', title: 'ERPNext 总部', backfill: { since: '2026-01-01' }, version: 1, updatedAt: expect.any(String) }, status: expect.any(Object) },
    ])
    expect(JSON.stringify(asViewer.body)).not.toContain(ENV)
    const detail = await call('GET', `/sources/${ID}`, VIEWER)
    expect(detail.body.source.connectionEnv).toBeUndefined()
    expect(detail.body.rejects).toEqual([])

    const asAdmin = await call('GET', '/sources', server.adminKey)
    expect(asAdmin.body[0].source).toMatchObject({ connectionEnv: ENV, mapping: { company: 'Acme' }, schedule: { pollIntervalMs: 100 } })

    // a warehouse manager's token: the status, not the rows
    const minted = await call('POST', '/tokens', server.adminKey, { kind: 'viewer', scope: { warehouse: ['WH-SH'] }, expiresIn: 3600 })
    expect(minted.status, JSON.stringify(minted.body)).toBe(200)
    const scoped = await call('GET', `/sources/${ID}`, minted.body.token)
    expect(scoped.status).toBe(200)
    expect(scoped.body.status.state).toEqual(expect.any(String))
    expect(scoped.body).not.toHaveProperty('rejects')
    expect(scoped.body).not.toHaveProperty('watermarks')
  })

  test('a source that cannot reach its database shows failing, and after the threshold every screen hears it is stale', async () => {
    const wall = socket(VIEWER)
    const minted = await call('POST', '/tokens', server.adminKey, {
      kind: 'embed',
      widget: { widget: 'kpi-card', options: { metric: 'sales.revenue', window: 'today' } },
      expiresIn: 3600,
    })
    expect(minted.status, JSON.stringify(minted.body)).toBe(200)
    const embed = socket(minted.body.token)
    // on connect: the current list
    await until('the first sources event', () => (wall.events.length > 0 && embed.events.length > 0 ? true : undefined))

    const failing = await until('state failing', async () => {
      const res = await call('GET', '/sources', VIEWER)
      const item = (res.body as SourceSummary[]).find((s) => s.source.id === ID)
      return item?.status.state === 'failing' ? item : undefined
    })
    expect(failing.status.lastError?.message).toMatch(/ECONNREFUSED/)
    expect(failing.status.lastError?.message).not.toContain(`Pw-${tag}`)
    expect(failing.status.failures).toBeGreaterThanOrEqual(1)
    const since = Date.parse(failing.status.failingSince!)
    expect(Number.isFinite(since)).toBe(true)
    // the widget reads the live answer
    expect(sourceRows([failing])).toMatchObject([{ id: ID, title: 'ERPNext 总部', state: 'failing', failingSince: failing.status.failingSince }])

    const staleEvent = await until('a sources event naming the source', () => wall.events.find((e) => e.health.stale.some((s) => s.id === ID)))
    expect(staleEvent.health.stale).toEqual([{ id: ID, title: 'ERPNext 总部', failingSince: failing.status.failingSince }])
    // not before the threshold (the server checks every STALE_MS / 4)
    expect(staleEvent.at - since).toBeGreaterThanOrEqual(STALE_MS)
    expect(staleEvent.at - since).toBeLessThan(STALE_MS + 3000)
    for (const e of wall.events) if (e.at - since < STALE_MS) expect(e.health.stale).toEqual([])
    await until('the embed socket hears it too', () => embed.events.find((e) => e.health.stale.some((s) => s.id === ID)))
    // a socket connecting now gets the list at once
    const late = socket(VIEWER)
    const first = await until('the late socket’s first event', () => late.events[0])
    expect(first.health.stale.map((s) => s.id)).toEqual([ID])
    expect(server.app.sourceHealth.current().stale.map((s) => s.id)).toEqual([ID])

    // paused: nobody tries it, nothing is failing
    expect((await call('POST', `/sources/${ID}/pause`, server.adminKey)).status).toBe(200)
    const cleared = await until('the list cleared', () => wall.events.find((e) => e.at > staleEvent.at && e.health.stale.length === 0))
    expect(cleared.health.stale).toEqual([])
    const paused = await call('GET', '/sources', VIEWER)
    expect(paused.body[0].status.state).toBe('paused')
  })
})
