/**
 * Screens against the real Redis: CRUD, optimistic concurrency (stale PUT → 409 with the current
 * screen; concurrent PUTs of one base version → exactly one wins), validation that names the
 * widget instance and field, export/import as a file, the template seed on first start, and
 * `screenChanged` to sockets.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { io as connect } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import type { ClientToServerEvents, ScreenChanged, ServerToClientEvents } from '../../protocol/events.ts'
import type { ScreenDefinition, ScreenSummary, StoredScreen } from '../../protocol/screen.ts'
import { TEMPLATES } from '../../widgets/templates/index.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

type Client = Socket<ServerToClientEvents, ClientToServerEvents>
let server: TestServer
const clients: Client[] = []

async function call(method: string, path: string, body?: unknown, token: string | null = server.adminKey, on = server) {
  const res = await on.app.inject({
    method: method as 'GET',
    url: path,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  })
  return { status: res.statusCode, body: res.body ? (res.json() as any) : undefined, headers: res.headers }
}

function screen(id: string, overrides: Partial<ScreenDefinition> = {}): ScreenDefinition {
  return {
    id,
    title: `Screen ${id}`,
    design: { width: 1920, height: 1080 },
    theme: 'dark',
    grid: { columns: 12, rows: 12 },
    widgets: [
      { id: 'revenue', widget: 'kpi-card', options: { metric: 'sales.revenue', window: 'today', compare: true }, x: 0, y: 0, w: 3, h: 2 },
      { id: 'trend', widget: 'trend-line', options: { metrics: ['sales.revenue'], window: 'today', interval: 'hour', area: true }, x: 3, y: 0, w: 6, h: 4 },
      { id: 'top-skus', widget: 'ranking-bar', options: { metric: 'sales.revenue', groupBy: 'sku', top: 10, window: 'today' }, x: 9, y: 0, w: 3, h: 6 },
    ],
    ...overrides,
  }
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, ms = 5000): Promise<T> {
  const until = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

beforeAll(async () => {
  server = await startTestServer({ COCKPIT_SCREEN_DIR: '/nonexistent' })
})

/**
 * Another cockpit under a prefix inside this file's, so the one cleanup in afterAll removes its
 * keys too (a SCAN of a shared Redis with millions of keys is slow: one per file is enough).
 */
let extras = 0
const otherCockpit = (env: Record<string, string> = {}) => startTestServer({ COCKPIT_KEY_PREFIX: `${server.prefix}x${++extras}:`, COCKPIT_SCREEN_DIR: '/nonexistent', ...env })

afterAll(async () => {
  for (const c of clients) c.disconnect()
  await server?.close()
})

describe('template seed', () => {
  test('a fresh cockpit stores every template as a screen, once', async () => {
    const list = await waitFor(async () => {
      const { body } = await call('GET', '/api/v1/screens', undefined, null)
      return (body as ScreenSummary[]).length >= TEMPLATES.length ? (body as ScreenSummary[]) : undefined
    }, 'the seed')
    expect(list.map((s) => s.id)).toEqual(TEMPLATES.map((t) => t.id))
    expect(list.every((s) => s.version === 1)).toBe(true)
    const retail = await call('GET', '/api/v1/screens/retail', undefined, null)
    expect(retail.status).toBe(200)
    expect(retail.body.widgets.map((w: { id: string }) => w.id)).toEqual(TEMPLATES.find((t) => t.id === 'retail')!.widgets.map((w) => w.id))

    // every screen deleted, then a second process starts on the same Redis: no re-seed
    for (const s of list) expect((await call('DELETE', `/api/v1/screens/${s.id}`)).status).toBe(204)
    const again = await startTestServer({ COCKPIT_KEY_PREFIX: server.prefix, COCKPIT_SCREEN_DIR: '/nonexistent' })
    try {
      await new Promise((r) => setTimeout(r, 300))
      expect((await call('GET', '/api/v1/screens', undefined, null, again)).body).toEqual([])
    } finally {
      await again.app.close() // same prefix: the first server cleans up
    }
  })

  test('GET /api/v1/templates serves the templates', async () => {
    const res = await call('GET', '/api/v1/templates', undefined, null)
    expect(res.status).toBe(200)
    expect(res.body).toEqual(JSON.parse(JSON.stringify(TEMPLATES)))
  })
})

describe('screens CRUD with optimistic concurrency', () => {
  test('create, read, list, update, delete', async () => {
    const created = await call('PUT', '/api/v1/screens/board', { ...screen('board'), version: 0 })
    expect(created.status).toBe(200)
    expect(created.body).toMatchObject({ id: 'board', title: 'Screen board', version: 1 })
    expect(created.body.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$/)
    // options are stored at the manifest's version
    expect(created.body.widgets[0].optionsVersion).toBe(1)

    const read = await call('GET', '/api/v1/screens/board', undefined, null)
    expect(read.body).toEqual(created.body)
    const list = (await call('GET', '/api/v1/screens', undefined, null)).body as ScreenSummary[]
    expect(list.find((s) => s.id === 'board')).toEqual({ id: 'board', title: 'Screen board', version: 1, updatedAt: created.body.updatedAt })

    const updated = await call('PUT', '/api/v1/screens/board', { ...screen('board', { title: 'Board' }), version: 1 })
    expect(updated.status).toBe(200)
    expect(updated.body).toMatchObject({ title: 'Board', version: 2 })

    expect((await call('DELETE', '/api/v1/screens/board')).status).toBe(204)
    const gone = await call('GET', '/api/v1/screens/board', undefined, null)
    expect(gone.status).toBe(404)
    expect(gone.body.error).toBe('COCKPIT_ERR_SCREEN_NOT_FOUND')
    expect((await call('DELETE', '/api/v1/screens/board')).status).toBe(404)
    expect(((await call('GET', '/api/v1/screens', undefined, null)).body as ScreenSummary[]).some((s) => s.id === 'board')).toBe(false)
  })

  test('a stale PUT gets 409 with the current screen; version 0 on an existing id is a conflict too', async () => {
    await call('PUT', '/api/v1/screens/stale', screen('stale'))
    await call('PUT', '/api/v1/screens/stale', { ...screen('stale', { title: 'Second' }), version: 1 })
    const stale = await call('PUT', '/api/v1/screens/stale', { ...screen('stale', { title: 'Lost update' }), version: 1 })
    expect(stale.status).toBe(409)
    expect(stale.body.error).toBe('COCKPIT_ERR_SCREEN_CONFLICT')
    expect(stale.body.current).toMatchObject({ id: 'stale', title: 'Second', version: 2 })
    const create = await call('PUT', '/api/v1/screens/stale', { ...screen('stale'), version: 0 })
    expect(create.status).toBe(409)
    expect((await call('GET', '/api/v1/screens/stale', undefined, null)).body.title).toBe('Second')
  })

  test('concurrent PUTs of the same base version: exactly one wins', async () => {
    await call('PUT', '/api/v1/screens/race', screen('race'))
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => call('PUT', '/api/v1/screens/race', { ...screen('race', { title: `Editor ${i}` }), version: 1 })))
    const won = results.filter((r) => r.status === 200)
    expect(won).toHaveLength(1)
    expect(results.filter((r) => r.status === 409)).toHaveLength(11)
    const now = (await call('GET', '/api/v1/screens/race', undefined, null)).body as StoredScreen
    expect(now.version).toBe(2)
    expect(now.title).toBe(won[0]!.body.title)
  })

  test('writes need the admin key; reads are open unless a viewer token is configured', async () => {
    expect((await call('PUT', '/api/v1/screens/x', screen('x'), null)).status).toBe(401)
    expect((await call('PUT', '/api/v1/screens/x', screen('x'), server.ingestKey)).status).toBe(401)
    expect((await call('DELETE', '/api/v1/screens/x', undefined, null)).status).toBe(401)
    const closed = await otherCockpit({ COCKPIT_VIEWER_TOKEN: 'vt' })
    try {
      expect((await call('GET', '/api/v1/screens', undefined, null, closed)).status).toBe(401)
      expect((await call('GET', '/api/v1/screens', undefined, 'vt', closed)).status).toBe(200)
      expect((await call('GET', '/api/v1/templates', undefined, null, closed)).status).toBe(401)
    } finally {
      await closed.app.close()
    }
  })
})

describe('validation', () => {
  const put = (body: unknown, id = 'bad') => call('PUT', `/api/v1/screens/${id}`, body)

  test('an option outside its widget schema: 400 naming the instance and the field', async () => {
    const s = screen('bad')
    s.widgets[2]!.options.top = 99
    const res = await put(s)
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('COCKPIT_ERR_INVALID_SCREEN')
    expect(res.body.errors).toEqual([{ path: '/widgets/2/options/top', widget: 'top-skus', message: 'must be <= 30' }])
    expect(res.body.message).toContain('top-skus')
    expect((await call('GET', '/api/v1/screens/bad', undefined, null)).status).toBe(404)
  })

  test('unknown widget type, widget outside the grid, duplicate instance ids, missing field', async () => {
    const s = screen('bad')
    s.widgets.push({ id: 'mystery', widget: 'pie-of-the-day', options: {}, x: 0, y: 6, w: 2, h: 2 })
    s.widgets.push({ id: 'wide', widget: 'kpi-card', options: {}, x: 10, y: 6, w: 4, h: 2 })
    s.widgets.push({ id: 'revenue', widget: 'kpi-card', options: {}, x: 0, y: 10, w: 2, h: 3 })
    const res = await put(s)
    expect(res.status).toBe(400)
    expect(res.body.errors).toEqual([
      { path: '/widgets/3/widget', widget: 'mystery', message: expect.stringContaining('unknown widget type "pie-of-the-day"') },
      { path: '/widgets/4/w', widget: 'wide', message: "reaches past the grid's 12 columns (x + w = 14)" },
      { path: '/widgets/5/id', widget: 'revenue', message: 'duplicate instance id "revenue" (also /widgets/0)' },
      { path: '/widgets/5/h', widget: 'revenue', message: "reaches past the grid's 12 rows (y + h = 13)" },
    ])
    const { grid: _g, ...noGrid } = screen('bad')
    const missing = await put(noGrid)
    expect(missing.status).toBe(400)
    expect(missing.body.errors).toEqual([{ path: '/grid', message: 'is required' }])
    const wrongId = await put(screen('other'))
    expect(wrongId.body.errors).toEqual([{ path: '/id', message: 'must equal the screen id in the URL ("bad")' }])
    const badVersion = await put({ ...screen('bad'), version: -1 })
    expect(badVersion.body.errors[0].path).toBe('/version')
  })

  test('a widget whose derived query the engine cannot answer is refused', async () => {
    const s = screen('bad')
    s.widgets[2]!.options = { metric: 'cash.in', groupBy: 'sku', top: 10, window: 'today' }
    const res = await put(s)
    expect(res.status).toBe(400)
    expect(res.body.errors).toEqual([{ path: '/widgets/2/options', widget: 'top-skus', message: expect.stringContaining('cash.in is not kept by sku') }])
  })

  test('a bad id in the URL is a 400', async () => {
    expect((await call('PUT', '/api/v1/screens/Bad%20Id', screen('bad'))).status).toBe(400)
  })
})

describe('export and import as a file', () => {
  test('GET ?download=1 is an attachment; PUT takes the file unchanged, here and on another cockpit', async () => {
    await call('PUT', '/api/v1/screens/export-me', screen('export-me'))
    const file = await call('GET', '/api/v1/screens/export-me?download=1', undefined, null)
    expect(file.status).toBe(200)
    expect(file.headers['content-disposition']).toBe('attachment; filename="export-me.screen.json"')
    expect(file.body.version).toBe(1)
    expect((await call('GET', '/api/v1/screens/export-me', undefined, null)).headers['content-disposition']).toBeUndefined()

    // re-import here: the file names the version it was exported at, so it applies as the next version
    const back = await call('PUT', '/api/v1/screens/export-me', file.body)
    expect(back.status).toBe(200)
    expect(back.body.version).toBe(2)
    // a second import of the same (now stale) file is a conflict, not a silent overwrite
    expect((await call('PUT', '/api/v1/screens/export-me', file.body)).status).toBe(409)

    // a cockpit that has no such screen creates it from the file
    const other = await otherCockpit()
    try {
      const imported = await call('PUT', '/api/v1/screens/export-me', file.body, other.adminKey, other)
      expect(imported.status).toBe(200)
      const { version: _v, updatedAt: _u, ...definition } = file.body
      expect(imported.body).toMatchObject({ ...definition, version: 1 })
    } finally {
      await other.app.close()
    }
  })
})

describe('screenChanged', () => {
  test('every socket hears saves and deletes', async () => {
    const c: Client = connect(server.url, { transports: ['websocket'], reconnection: false })
    clients.push(c)
    await new Promise<void>((resolve) => c.on('connect', resolve))
    const heard: ScreenChanged[] = []
    c.on('screenChanged', (m) => heard.push(m))
    const saved = await call('PUT', '/api/v1/screens/live', screen('live'))
    expect(saved.status).toBe(200)
    await call('DELETE', '/api/v1/screens/live')
    await waitFor(async () => (heard.length >= 2 ? true : undefined), 'two screenChanged events')
    expect(heard).toEqual([
      { id: 'live', version: 1 },
      { id: 'live', version: null },
    ])
  })
})
