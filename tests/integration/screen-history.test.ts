/**
 * Screen history and drafts against the real Redis (docs/reports.md "Screen history"): every
 * save is kept (the last 50), a kept version can be read and rolled back to (a new version), a
 * draft changes neither the published screen nor what walls hear until it is published, and a
 * publish on a screen that moved on is a 409.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { io as connect } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import type { ClientToServerEvents, ScreenChanged, ServerToClientEvents } from '../../protocol/events.ts'
import { SCREEN_HISTORY_LENGTH } from '../../protocol/screen.ts'
import type { ScreenDefinition, ScreenVersionSummary, StoredDraft, StoredScreen } from '../../protocol/screen.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

type Client = Socket<ServerToClientEvents, ClientToServerEvents>
let server: TestServer
let client: Client
const heard: ScreenChanged[] = []

async function call<T = any>(method: string, path: string, body?: unknown, token: string | null = server.adminKey) {
  const res = await server.app.inject({
    method: method as 'GET',
    url: path,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  })
  return { status: res.statusCode, body: (res.body ? res.json() : undefined) as T }
}

function screen(id: string, title: string): ScreenDefinition {
  return {
    id,
    title,
    design: { width: 1920, height: 1080 },
    theme: 'dark',
    grid: { columns: 12, rows: 12 },
    widgets: [{ id: 'revenue', widget: 'kpi-card', options: { metric: 'sales.revenue', window: 'today' }, x: 0, y: 0, w: 3, h: 2 }],
  }
}

/** the screenChanged events heard for `id` once the socket had time to hear everything sent so far */
async function heardFor(id: string): Promise<ScreenChanged[]> {
  // a marker save on another screen: once it is heard, everything announced before it was too
  const marker = `marker-${heard.length}`
  await call('PUT', `/api/v1/screens/${marker}`, screen(marker, 'marker'))
  const until = Date.now() + 5000
  while (!heard.some((m) => m.id === marker)) {
    if (Date.now() > until) throw new Error('the marker save was not announced')
    await new Promise((r) => setTimeout(r, 20))
  }
  return heard.filter((m) => m.id === id)
}

beforeAll(async () => {
  server = await startTestServer({ COCKPIT_SCREEN_DIR: '/nonexistent' })
  client = connect(server.url, { transports: ['websocket'], reconnection: false })
  await new Promise<void>((resolve) => client.on('connect', resolve))
  client.on('screenChanged', (m) => heard.push(m))
})

afterAll(async () => {
  client?.disconnect()
  await server?.close()
})

describe('versions', () => {
  test(`every save is kept, the last ${SCREEN_HISTORY_LENGTH}, newest first; each can be read back`, async () => {
    let version = 0
    for (let i = 1; i <= SCREEN_HISTORY_LENGTH + 5; i++) {
      const saved = await call<StoredScreen>('PUT', '/api/v1/screens/hist', { ...screen('hist', `Title ${i}`), version })
      expect(saved.status).toBe(200)
      version = saved.body.version
    }
    expect(version).toBe(55)
    const list = await call<ScreenVersionSummary[]>('GET', '/api/v1/screens/hist/versions')
    expect(list.status).toBe(200)
    expect(list.body).toHaveLength(SCREEN_HISTORY_LENGTH)
    expect(list.body.map((v) => v.version)).toEqual(Array.from({ length: 50 }, (_, i) => 55 - i))
    expect(list.body[0]).toMatchObject({ version: 55, title: 'Title 55', current: true })
    expect(list.body.slice(1).every((v) => !v.current)).toBe(true)

    const v10 = await call<StoredScreen>('GET', '/api/v1/screens/hist/versions/10')
    expect(v10.status).toBe(200)
    expect(v10.body).toMatchObject({ id: 'hist', title: 'Title 10', version: 10 })
    // versions 1–5 fell off the end
    const gone = await call('GET', '/api/v1/screens/hist/versions/5')
    expect(gone.status).toBe(404)
    expect(gone.body).toMatchObject({ error: 'COCKPIT_ERR_VERSION_NOT_FOUND' })
    // the published screen is untouched by reading history
    expect((await call<StoredScreen>('GET', '/api/v1/screens/hist')).body).toMatchObject({ version: 55, title: 'Title 55' })
  })

  test('a seeded or older screen lists its current version though it was saved before the history', async () => {
    const list = await call<ScreenVersionSummary[]>('GET', '/api/v1/screens/nope/versions')
    expect(list.status).toBe(404)
    // write a screen hash the way an older cockpit did: no history list
    const def = screen('old', 'Old one')
    await server.app.redis.hset(`${server.prefix}screen:old`, { def: JSON.stringify(def), version: '7', updatedAt: '2026-01-01T00:00:00+08:00', title: 'Old one', kind: '' })
    await server.app.redis.zadd(`${server.prefix}screens`, Date.now(), 'old')
    const listed = await call<ScreenVersionSummary[]>('GET', '/api/v1/screens/old/versions')
    expect(listed.body).toEqual([{ version: 7, updatedAt: '2026-01-01T00:00:00+08:00', title: 'Old one', current: true }])
    expect((await call<StoredScreen>('GET', '/api/v1/screens/old/versions/7')).body).toMatchObject({ version: 7, title: 'Old one' })
  })

  test('rollback saves the old version as a new one and walls hear it', async () => {
    const before = (await heardFor('hist')).length
    const rolled = await call<StoredScreen>('POST', '/api/v1/screens/hist/rollback', { version: 10 })
    expect(rolled.status).toBe(200)
    expect(rolled.body).toMatchObject({ version: 56, title: 'Title 10' })
    expect((await call<StoredScreen>('GET', '/api/v1/screens/hist')).body).toMatchObject({ version: 56, title: 'Title 10' })
    const list = await call<ScreenVersionSummary[]>('GET', '/api/v1/screens/hist/versions')
    expect(list.body).toHaveLength(SCREEN_HISTORY_LENGTH)
    expect(list.body[0]).toMatchObject({ version: 56, title: 'Title 10', current: true })
    expect(list.body[1]).toMatchObject({ version: 55, title: 'Title 55', current: false })
    expect((await heardFor('hist')).slice(before)).toEqual([{ id: 'hist', version: 56 }])
  })

  test('rollback to a version not kept is a 404 naming the field; a bad body a 400', async () => {
    const missing = await call('POST', '/api/v1/screens/hist/rollback', { version: 2 })
    expect(missing.status).toBe(404)
    expect(missing.body).toMatchObject({ error: 'COCKPIT_ERR_VERSION_NOT_FOUND', errors: [{ path: '/version' }] })
    const bad = await call<{ message: string }>('POST', '/api/v1/screens/hist/rollback', { version: 'ten' })
    expect(bad.status).toBe(400)
    expect(bad.body.message).toMatch(/version/)
    expect((await call('POST', '/api/v1/screens/nope/rollback', { version: 1 })).status).toBe(404)
  })

  test('history is for administrators', async () => {
    expect((await call('GET', '/api/v1/screens/hist/versions', undefined, null)).status).toBe(401)
    expect((await call('POST', '/api/v1/screens/hist/rollback', { version: 10 }, server.ingestKey)).status).toBe(401)
  })
})

describe('drafts', () => {
  test('a draft changes neither the published screen nor what walls hear, until it is published', async () => {
    const published = await call<StoredScreen>('PUT', '/api/v1/screens/dr', screen('dr', 'Published'))
    expect(published.body.version).toBe(1)
    const before = (await heardFor('dr')).length

    const draft = await call<StoredDraft>('PUT', '/api/v1/screens/dr/draft', { ...screen('dr', 'Draft title'), version: 1 })
    expect(draft.status).toBe(200)
    expect(draft.body).toMatchObject({ title: 'Draft title', version: 1 })
    const again = await call<StoredDraft>('PUT', '/api/v1/screens/dr/draft', { ...screen('dr', 'Draft title 2'), version: 1 })
    expect(again.status).toBe(200)

    expect((await call<StoredScreen>('GET', '/api/v1/screens/dr')).body).toMatchObject({ version: 1, title: 'Published' })
    expect((await call<StoredDraft>('GET', '/api/v1/screens/dr/draft')).body).toMatchObject({ version: 1, title: 'Draft title 2' })
    expect((await call<ScreenVersionSummary[]>('GET', '/api/v1/screens/dr/versions')).body.map((v) => v.version)).toEqual([1])
    expect((await heardFor('dr')).slice(before)).toEqual([])

    const out = await call<StoredScreen>('POST', '/api/v1/screens/dr/publish')
    expect(out.status).toBe(200)
    expect(out.body).toMatchObject({ version: 2, title: 'Draft title 2' })
    expect((await call<StoredScreen>('GET', '/api/v1/screens/dr')).body).toMatchObject({ version: 2, title: 'Draft title 2' })
    expect((await heardFor('dr')).slice(before)).toEqual([{ id: 'dr', version: 2 }])
    // published: the draft is gone
    expect((await call('GET', '/api/v1/screens/dr/draft')).status).toBe(404)
    expect((await call('POST', '/api/v1/screens/dr/publish')).body).toMatchObject({ error: 'COCKPIT_ERR_DRAFT_NOT_FOUND' })
  })

  test('a draft is validated like a save: a 400 naming the widget and field, nothing stored', async () => {
    const bad = screen('dr', 'Bad')
    bad.widgets[0]!.options = { metric: 'sales.nope', window: 'today' }
    const res = await call<{ error: string; errors: { path: string; widget?: string }[] }>('PUT', '/api/v1/screens/dr/draft', { ...bad, version: 2 })
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('COCKPIT_ERR_INVALID_SCREEN')
    expect(res.body.errors[0]).toMatchObject({ widget: 'revenue' })
    expect((await call('GET', '/api/v1/screens/dr/draft')).status).toBe(404)
  })

  test('publishing a draft of a screen that moved on is a 409, unless it names the current version', async () => {
    await call('PUT', '/api/v1/screens/dr/draft', { ...screen('dr', 'Late draft'), version: 2 })
    expect((await call('PUT', '/api/v1/screens/dr', { ...screen('dr', 'Someone else'), version: 2 })).status).toBe(200)
    const stale = await call<{ error: string; current: StoredScreen }>('POST', '/api/v1/screens/dr/publish')
    expect(stale.status).toBe(409)
    expect(stale.body.current).toMatchObject({ version: 3, title: 'Someone else' })
    const bad = await call('POST', '/api/v1/screens/dr/publish', { version: 'latest' })
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({ errors: [{ path: '/version' }] })
    // the draft is still there to publish on purpose
    const forced = await call<StoredScreen>('POST', '/api/v1/screens/dr/publish', { version: 3 })
    expect(forced.status).toBe(200)
    expect(forced.body).toMatchObject({ version: 4, title: 'Late draft' })
  })

  test('a draft can be discarded; deleting a screen drops its history and draft', async () => {
    await call('PUT', '/api/v1/screens/dr/draft', { ...screen('dr', 'To discard'), version: 4 })
    expect((await call('DELETE', '/api/v1/screens/dr/draft')).status).toBe(204)
    expect((await call('GET', '/api/v1/screens/dr/draft')).status).toBe(404)
    await call('PUT', '/api/v1/screens/dr/draft', { ...screen('dr', 'Orphan'), version: 4 })
    expect((await call('DELETE', '/api/v1/screens/dr')).status).toBe(204)
    expect(await server.app.redis.exists(`${server.prefix}screen:dr:versions`, `${server.prefix}screen:dr:draft`)).toBe(0)
    // a new screen of that id starts a new history
    expect((await call<StoredScreen>('PUT', '/api/v1/screens/dr', screen('dr', 'Again'))).body.version).toBe(1)
    expect((await call<ScreenVersionSummary[]>('GET', '/api/v1/screens/dr/versions')).body).toHaveLength(1)
  })
})
