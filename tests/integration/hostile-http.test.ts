/**
 * Hostile HTTP (issue #13), against the real server and Redis: security headers on the API and
 * the screen (CSP without inline script, framing refused except /embed for configured origins,
 * nosniff, no referrer, no HSTS); foreign `Origin`s refused on the API while connectors (no
 * Origin) and the cockpit's own pages pass; failed authentications throttled per client IP with
 * 429 + Retry-After while successes cost nothing; keys and tokens kept out of the log; the
 * editor's session (HttpOnly SameSite=Strict cookie + CSRF header); scoped viewers reading only
 * the master data inside their scope.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildApp } from '../../server/app.ts'
import { loadConfig } from '../../server/config.ts'
import { signToken } from '../../server/auth/tokens.ts'
import type { TokenScope } from '../../protocol/tokens.ts'
import { deletePrefix } from '../helpers/redis-prefix.ts'
import { io as connect } from 'socket.io-client'
import { SOCKET_PATH } from '../../protocol/events.ts'
import { SCREEN_DIR, startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

const SECRET = `hostile-${randomUUID()}-${randomUUID()}`
const FAILURES = 5
const INTRANET = 'https://intranet.example.com'
const PORTAL = 'https://portal.example.com'
/** a screen without a build: index.html is all the SPA fallback needs */
const screenDir = mkdtempSync(join(tmpdir(), 'cockpit-hostile-'))
writeFileSync(join(screenDir, 'index.html'), '<!doctype html><html><head><script type="module" src="/assets/app.js"></script></head><body><div id="app"></div></body></html>')

let server: TestServer
let ipCounter = 0
/** a fresh client address per use: each test has its own failure budget */
const freshIp = () => `198.51.100.${++ipCounter}`

type Inject = { method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS'; url: string; headers?: Record<string, string>; body?: unknown; ip?: string }
function call({ method = 'GET', url, headers = {}, body, ip }: Inject): Promise<LightMyRequestResponse> {
  return server.app.inject({
    method,
    url,
    headers: { ...headers, ...(ip ? { 'x-forwarded-for': ip } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  })
}
const bearer = (key: string) => ({ authorization: `Bearer ${key}` })
const QUERY = { metric: 'sales.revenue', window: 'today' }

beforeAll(async () => {
  server = await startTestServer({
    COCKPIT_SCREEN_DIR: screenDir,
    COCKPIT_TOKEN_SECRET: SECRET,
    COCKPIT_READ_ACCESS: 'token',
    COCKPIT_TRUST_PROXY: 'true',
    COCKPIT_AUTH_FAILURES_PER_MINUTE: String(FAILURES),
    COCKPIT_ALLOWED_ORIGINS: INTRANET,
    COCKPIT_EMBED_ORIGINS: PORTAL,
  })
})

afterAll(async () => {
  await server?.close()
  rmSync(screenDir, { recursive: true, force: true })
})

function csp(res: LightMyRequestResponse): Map<string, string> {
  const header = String(res.headers['content-security-policy'] ?? '')
  return new Map(
    header
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => [d.split(' ')[0]!, d.slice(d.indexOf(' ') + 1)] as [string, string]),
  )
}

describe('security headers', () => {
  test('the wall, the editor and the API: CSP without inline script, no framing, nosniff, no referrer, no HSTS', async () => {
    const responses = {
      wall: await call({ url: '/wall' }),
      editor: await call({ url: '/editor/retail' }),
      query: await call({ method: 'POST', url: '/api/v1/query', headers: bearer(server.adminKey), body: QUERY }),
      refused: await call({ method: 'POST', url: '/api/v1/query', body: QUERY, ip: freshIp() }),
    }
    expect(responses.wall.statusCode).toBe(200)
    expect(responses.wall.headers['content-type']).toContain('text/html')
    expect(responses.query.statusCode).toBe(200)
    expect(responses.refused.statusCode).toBe(401)
    for (const [name, res] of Object.entries(responses)) {
      const policy = csp(res)
      expect(policy.get('script-src'), name).toBe("'self'")
      expect(policy.get('script-src-attr'), name).toBe("'none'")
      expect(res.headers['content-security-policy'], name).not.toContain('unsafe-eval')
      expect(policy.get('default-src'), name).toBe("'self'")
      expect(policy.get('object-src'), name).toBe("'none'")
      expect(policy.get('base-uri'), name).toBe("'self'")
      expect(policy.get('form-action'), name).toBe("'self'")
      expect(policy.get('connect-src'), name).toBe("'self'")
      expect(policy.get('img-src'), name).toBe("'self' data: blob:")
      expect(policy.get('frame-ancestors'), name).toBe("'none'")
      expect(res.headers['x-frame-options'], name).toBe('DENY')
      expect(res.headers['x-content-type-options'], name).toBe('nosniff')
      expect(res.headers['referrer-policy'], name).toBe('no-referrer')
      expect(res.headers['strict-transport-security'], name).toBeUndefined()
      // a plain-http intranet cockpit must not be told to upgrade its own requests
      expect(policy.has('upgrade-insecure-requests'), name).toBe(false)
    }
  })

  test('/embed may be framed by the cockpit itself and COCKPIT_EMBED_ORIGINS, and says nothing contrary in X-Frame-Options', async () => {
    for (const url of ['/embed?token=x&theme=light', '/embed', '/embed/']) {
      const res = await call({ url })
      expect(res.statusCode).toBe(200)
      expect(csp(res).get('frame-ancestors')).toBe(`'self' ${PORTAL}`)
      expect(res.headers['x-frame-options']).toBeUndefined()
      expect(csp(res).get('script-src')).toBe("'self'")
      expect(res.headers['referrer-policy']).toBe('no-referrer')
    }
    // a path that merely starts with the word is not the embed page
    expect(csp(await call({ url: '/embedded' })).get('frame-ancestors')).toBe("'none'")
  })

  test('the header lines on the wire, byte for byte: the same on pages, files, the API and its refusals', async () => {
    const common = (frameAncestors: string) => [
      `Content-Security-Policy: default-src 'self';script-src 'self';script-src-attr 'none';style-src 'self' 'unsafe-inline';img-src 'self' data: blob:;font-src 'self' data:;connect-src 'self';object-src 'none';base-uri 'self';form-action 'self';frame-ancestors ${frameAncestors}`,
      'Cross-Origin-Opener-Policy: same-origin',
      'Cross-Origin-Resource-Policy: same-origin',
      'Origin-Agent-Cluster: ?1',
      'Referrer-Policy: no-referrer',
      'X-Content-Type-Options: nosniff',
      'X-DNS-Prefetch-Control: off',
      'X-Download-Options: noopen',
      'X-Permitted-Cross-Domain-Policies: none',
      'X-XSS-Protection: 0',
    ]
    const page = [...common("'none'"), 'x-frame-options: DENY']
    const embed = common(`'self' ${PORTAL}`)
    const cases: [string, string, Record<string, string>, string[]][] = [
      ['GET', '/', {}, page],
      ['GET', '/index.html', {}, page],
      ['GET', '/embedded', {}, page],
      ['GET', '/embed?token=x', {}, embed],
      ['GET', '/embed/w1', {}, embed],
      ['GET', '/api/v1/nothing', {}, [...page, 'vary: Origin']],
      ['POST', '/api/v1/query', { authorization: `Bearer ${server.adminKey}` }, [...page, 'vary: Origin']],
      ['POST', '/api/v1/query', { origin: 'https://evil.example' }, [...page, 'vary: Origin']],
      ['POST', '/api/v1/query', { origin: INTRANET, authorization: `Bearer ${server.adminKey}` }, [...page, 'vary: Origin', `access-control-allow-origin: ${INTRANET}`]],
    ]
    // the lines this plugin writes, in their order (Fastify's own and the route's are left out)
    const ours = /^(content-security-policy|cross-origin-|origin-agent-cluster|referrer-policy|x-|vary|access-control-)/i
    for (const [method, path, headers, expected] of cases) {
      const lines = await new Promise<string[]>((resolve, reject) => {
        const req = httpRequest(`${server.url}${path}`, { method, headers: { ...headers, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) } }, (res) => {
          res.resume()
          const raw = res.rawHeaders
          resolve(raw.flatMap((name, i) => (i % 2 === 0 && ours.test(name) ? [`${name}: ${raw[i + 1]}`] : [])))
        })
        req.on('error', reject)
        req.end(method === 'POST' ? JSON.stringify(QUERY) : undefined)
      })
      expect(lines, `${method} ${path} ${JSON.stringify(headers)}`).toEqual(expected)
    }
  })

  test('the built index.html has no inline script (the CSP would refuse it)', async () => {
    // the real build (npm test builds first), not the stand-in this file's server serves
    const html = readFileSync(join(SCREEN_DIR, 'index.html'), 'utf8')
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)]
    expect(scripts.length).toBeGreaterThan(0)
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\bsrc=/)
      expect(body!.trim()).toBe('')
    }
  })
})

describe('origins', () => {
  test('a foreign Origin on the API is refused (403 COCKPIT_ERR_ORIGIN) before anything runs; none, the same or a configured one pass', async () => {
    const headers = bearer(server.adminKey)
    const foreign = await call({ method: 'POST', url: '/api/v1/query', headers: { ...headers, origin: 'https://evil.example.com' }, body: QUERY })
    expect(foreign.statusCode).toBe(403)
    expect(foreign.json()).toMatchObject({ error: 'COCKPIT_ERR_ORIGIN' })
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined()
    // even with the right key, and even for reads: it is the page that is refused
    expect((await call({ url: '/api/v1/screens', headers: { ...headers, origin: 'http://localhost:9' } })).statusCode).toBe(403)
    // `Origin: null` (sandboxed frames, file: pages) is foreign too
    expect((await call({ method: 'POST', url: '/api/v1/query', headers: { ...headers, origin: 'null' }, body: QUERY })).statusCode).toBe(403)

    // ERP connectors and scripts send no Origin
    expect((await call({ method: 'POST', url: '/api/v1/query', headers, body: QUERY })).statusCode).toBe(200)
    // the cockpit's own pages: the Origin names the host the browser addressed
    const same = await call({ method: 'POST', url: '/api/v1/query', headers: { ...headers, host: 'cockpit.local:3000', origin: 'http://cockpit.local:3000' }, body: QUERY })
    expect(same.statusCode).toBe(200)
    expect(same.headers['access-control-allow-origin']).toBeUndefined()
    // a configured origin, with the CORS header its page needs to read the answer (and no credentials)
    const intranet = await call({ method: 'POST', url: '/api/v1/query', headers: { ...headers, origin: INTRANET }, body: QUERY })
    expect(intranet.statusCode).toBe(200)
    expect(intranet.headers['access-control-allow-origin']).toBe(INTRANET)
    expect(intranet.headers['access-control-allow-credentials']).toBeUndefined()
    expect(String(intranet.headers.vary)).toContain('Origin')
  })

  test('CORS preflight is answered for configured origins only', async () => {
    const preflight = (origin: string) =>
      call({
        method: 'OPTIONS',
        url: '/api/v1/query',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      })
    const ok = await preflight(INTRANET)
    expect(ok.statusCode).toBe(204)
    expect(ok.headers['access-control-allow-origin']).toBe(INTRANET)
    expect(String(ok.headers['access-control-allow-methods'])).toContain('POST')
    expect(String(ok.headers['access-control-allow-headers']).toLowerCase()).toContain('authorization')
    const evil = await preflight('https://evil.example.com')
    expect(evil.statusCode).toBe(403)
    expect(evil.headers['access-control-allow-origin']).toBeUndefined()
  })
})

describe('failed authentications are throttled per client IP', () => {
  test(`after ${FAILURES} wrong keys in a minute the next request is 429 with Retry-After; another IP with the right key is unaffected`, async () => {
    const attacker = freshIp()
    for (let i = 0; i < FAILURES; i++) {
      const res = await call({ method: 'PUT', url: '/api/v1/master/channels', headers: bearer(`wrong-${i}`), body: [], ip: attacker })
      expect(res.statusCode, `attempt ${i + 1}`).toBe(401)
    }
    const blocked = await call({ method: 'PUT', url: '/api/v1/master/channels', headers: bearer('wrong-again'), body: [], ip: attacker })
    expect(blocked.statusCode).toBe(429)
    expect(blocked.json()).toMatchObject({ error: 'COCKPIT_ERR_RATE_LIMITED' })
    const retryAfter = Number(blocked.headers['retry-after'])
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(60)
    // the right key from that address waits too: guessing cannot go on by mixing in a known key
    expect((await call({ method: 'PUT', url: '/api/v1/master/channels', headers: bearer(server.adminKey), body: [], ip: attacker })).statusCode).toBe(429)
    // every route that authenticates, ingest included
    expect((await call({ method: 'POST', url: '/api/v1/movements', headers: bearer(server.ingestKey), body: [], ip: attacker })).statusCode).toBe(429)
    // another address is not affected
    expect((await call({ method: 'PUT', url: '/api/v1/master/channels', headers: bearer(server.adminKey), body: [], ip: freshIp() })).statusCode).toBe(200)
  })

  test('successful requests do not use up the budget', async () => {
    const client = freshIp()
    for (let i = 0; i < FAILURES - 1; i++) expect((await call({ url: '/api/v1/screens', headers: bearer(`nope-${i}`), ip: client })).statusCode).toBe(401)
    for (let i = 0; i < 3 * FAILURES; i++) expect((await call({ url: '/api/v1/screens', headers: bearer(server.adminKey), ip: client })).statusCode).toBe(200)
    expect((await call({ url: '/api/v1/screens', headers: bearer('last-guess'), ip: client })).statusCode).toBe(401)
    expect((await call({ url: '/api/v1/screens', headers: bearer(server.adminKey), ip: client })).statusCode).toBe(429)
  })

  test('forged tokens count; a well-signed token that expired does not', async () => {
    const expired = (await signToken(SECRET, { kind: 'viewer' }, 60, Date.now() - 3600_000)).token
    const client = freshIp()
    for (let i = 0; i < 2 * FAILURES; i++) {
      const res = await call({ method: 'POST', url: '/api/v1/query', headers: bearer(expired), body: QUERY, ip: client })
      expect(res.statusCode).toBe(401)
      expect(res.json().message).toContain('expired')
    }
    const forged = (await signToken(`${SECRET}-not-ours`, { kind: 'viewer' }, 600)).token
    for (let i = 0; i < FAILURES; i++) expect((await call({ method: 'POST', url: '/api/v1/query', headers: bearer(forged), body: QUERY, ip: client })).statusCode).toBe(401)
    expect((await call({ method: 'POST', url: '/api/v1/query', headers: bearer(forged), body: QUERY, ip: client })).statusCode).toBe(429)
  })

  test('wrong tokens on the Socket.IO handshake spend the same budget as over HTTP', async () => {
    const attacker = freshIp()
    /** the code of the handshake's connect_error, or 'connected' */
    const handshake = (token: string) =>
      new Promise<string>((resolve) => {
        const socket = connect(server.url, { path: SOCKET_PATH, transports: ['websocket'], reconnection: false, auth: { token }, extraHeaders: { 'x-forwarded-for': attacker } })
        socket.on('connect', () => {
          socket.close()
          resolve('connected')
        })
        socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
          socket.close()
          resolve(err.data?.code ?? err.message)
        })
      })
    for (let i = 0; i < FAILURES; i++) expect(await handshake(`guess-${i}`), `attempt ${i + 1}`).toBe('COCKPIT_ERR_UNAUTHORIZED')
    expect(await handshake('guess-again')).toBe('COCKPIT_ERR_RATE_LIMITED')
    // one budget per address, whichever door the guesses came through
    expect((await call({ url: '/api/v1/screens', headers: bearer(server.adminKey), ip: attacker })).statusCode).toBe(429)
  })

  test('requests without any credential are not failures (a page that is not signed in is not guessing)', async () => {
    const client = freshIp()
    for (let i = 0; i < 2 * FAILURES; i++) expect((await call({ method: 'PUT', url: '/api/v1/master/channels', body: [], ip: client })).statusCode).toBe(401)
    expect((await call({ method: 'PUT', url: '/api/v1/master/channels', headers: bearer(server.adminKey), body: [], ip: client })).statusCode).toBe(200)
  })
})

/** `name=value` of the session cookie a response set */
function sessionCookie(res: LightMyRequestResponse) {
  const cookie = res.cookies.find((c) => c.name === 'cockpit_session')
  expect(cookie, JSON.stringify(res.headers['set-cookie'])).toBeDefined()
  return cookie!
}

describe('editor sessions', () => {
  const SCREEN = { id: 'session-board', title: 'session', design: { width: 1920, height: 1080 }, theme: 'dark', fit: 'fit', grid: { columns: 12, rows: 12 }, widgets: [] }

  test('sign in → HttpOnly SameSite=Strict cookie + CSRF token; writes need the CSRF header; sign-out ends it', async () => {
    const ip = freshIp()
    const signIn = await call({ method: 'POST', url: '/api/v1/session', body: { key: server.adminKey }, ip })
    expect(signIn.statusCode).toBe(200)
    const cookie = sessionCookie(signIn)
    expect(cookie.httpOnly).toBe(true)
    expect(cookie.sameSite).toBe('Strict')
    expect(cookie.path).toBe('/')
    expect(cookie.secure).toBeFalsy()
    expect(cookie.maxAge).toBe(12 * 3600)
    const { csrf, signedIn, expiresAt } = signIn.json() as { csrf: string; signedIn: boolean; expiresAt: string }
    expect(signedIn).toBe(true)
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{40,}$/)
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now())
    // the cookie's id is not what Redis keeps
    expect(await server.app.redis.keys(`${server.prefix}*${cookie.value}*`)).toEqual([])

    const jar = { cookie: `cockpit_session=${cookie.value}` }
    // a reload asks again and gets the same CSRF token back
    expect((await call({ url: '/api/v1/session', headers: jar })).json()).toMatchObject({ signedIn: true, csrf })
    expect((await call({ url: '/api/v1/session' })).json()).toEqual({ signedIn: false })

    const put = (headers: Record<string, string>, version: number) => call({ method: 'PUT', url: `/api/v1/screens/${SCREEN.id}`, headers, body: { ...SCREEN, version }, ip })
    const noCsrf = await put(jar, 0)
    expect(noCsrf.statusCode).toBe(403)
    expect(noCsrf.json()).toMatchObject({ error: 'COCKPIT_ERR_CSRF' })
    expect((await put({ ...jar, 'x-cockpit-csrf': `${csrf}x` }, 0)).statusCode).toBe(403)
    expect((await put({ ...jar, 'x-cockpit-csrf': csrf }, 0)).statusCode).toBe(200)
    // reads of admin-only data as well
    expect((await call({ method: 'PUT', url: '/api/v1/master/channels', headers: { ...jar, 'x-cockpit-csrf': csrf }, body: [] })).statusCode).toBe(200)
    // the CSRF header alone is nothing
    expect((await put({ 'x-cockpit-csrf': csrf }, 1)).statusCode).toBe(401)

    const out = await call({ method: 'DELETE', url: '/api/v1/session', headers: jar })
    expect(out.statusCode).toBe(204)
    expect(sessionCookie(out).value).toBe('')
    expect((await put({ ...jar, 'x-cockpit-csrf': csrf }, 1)).statusCode).toBe(401)
    expect((await call({ url: '/api/v1/session', headers: jar })).json()).toEqual({ signedIn: false })
  })

  test('a new admin key ends the sessions opened with the old one (another process on the same Redis)', async () => {
    const signIn = await call({ method: 'POST', url: '/api/v1/session', body: { key: server.adminKey }, ip: freshIp() })
    const jar = { cookie: `cockpit_session=${sessionCookie(signIn).value}` }
    const { csrf } = signIn.json() as { csrf: string }
    const rotated = await buildApp({
      config: loadConfig({ COCKPIT_KEY_PREFIX: server.prefix, COCKPIT_INGEST_KEYS: 'ik', COCKPIT_ADMIN_KEY: `ak_${randomUUID()}`, COCKPIT_SCREEN_DIR: '/nonexistent' }),
      logger: false,
    })
    try {
      await rotated.ready()
      // let it finish starting (scripts loaded, master data read) before it is closed again
      for (let i = 0; i < 100 && !rotated.aggregator.ready; i++) await new Promise((r) => setTimeout(r, 20))
      expect((await rotated.inject({ url: '/api/v1/session', headers: jar })).json()).toEqual({ signedIn: false })
      const write = await rotated.inject({
        method: 'PUT',
        url: '/api/v1/master/channels',
        headers: { ...jar, 'x-cockpit-csrf': csrf, 'content-type': 'application/json' },
        payload: '[]',
      })
      expect(write.statusCode).toBe(401)
    } finally {
      await rotated.close()
    }
    // the process with the key it was opened with still honours it
    expect((await call({ url: '/api/v1/session', headers: jar })).json()).toMatchObject({ signedIn: true, csrf })
  })

  test('bearer keys work exactly as before, whatever cookie comes along', async () => {
    const res = await call({ method: 'PUT', url: '/api/v1/master/channels', headers: { ...bearer(server.adminKey), cookie: 'cockpit_session=stale' }, body: [] })
    expect(res.statusCode).toBe(200)
  })

  test('behind a TLS proxy (X-Forwarded-Proto: https, COCKPIT_TRUST_PROXY) the cookie is Secure', async () => {
    const res = await call({ method: 'POST', url: '/api/v1/session', headers: { 'x-forwarded-proto': 'https' }, body: { key: server.adminKey }, ip: freshIp() })
    expect(res.statusCode).toBe(200)
    expect(sessionCookie(res).secure).toBe(true)
  })

  test('a wrong key is 401 and counts as a failure; an unknown session cookie is no credential and no failure', async () => {
    const ip = freshIp()
    for (let i = 0; i < FAILURES; i++) {
      const res = await call({ method: 'POST', url: '/api/v1/session', body: { key: `guess-${i}` }, ip })
      expect(res.statusCode).toBe(401)
      expect(res.headers['set-cookie']).toBeUndefined()
    }
    const blocked = await call({ method: 'POST', url: '/api/v1/session', body: { key: server.adminKey }, ip })
    expect(blocked.statusCode).toBe(429)
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1)

    const other = freshIp()
    for (let i = 0; i < 2 * FAILURES; i++) {
      expect(
        (await call({ method: 'PUT', url: '/api/v1/master/channels', headers: { cookie: `cockpit_session=forged-${i}`, 'x-cockpit-csrf': 'x' }, body: [], ip: other })).statusCode,
      ).toBe(401)
    }
  })

  test('another site cannot sign in (login CSRF) nor read the CSRF token; not even a configured origin', async () => {
    for (const origin of ['https://evil.example.com', INTRANET]) {
      const res = await call({ method: 'POST', url: '/api/v1/session', headers: { origin }, body: { key: server.adminKey }, ip: freshIp() })
      expect(res.statusCode, origin).toBe(403)
      expect(res.json(), origin).toMatchObject({ error: 'COCKPIT_ERR_ORIGIN' })
      expect(res.headers['set-cookie'], origin).toBeUndefined()
    }
    const signIn = await call({ method: 'POST', url: '/api/v1/session', body: { key: server.adminKey }, ip: freshIp() })
    const jar = { cookie: `cockpit_session=${sessionCookie(signIn).value}` }
    const read = await call({ url: '/api/v1/session', headers: { ...jar, origin: INTRANET } })
    expect(read.statusCode).toBe(403)
    expect(read.body).not.toContain((signIn.json() as { csrf: string }).csrf)
    // the cockpit's own page may
    expect((await call({ url: '/api/v1/session', headers: { ...jar, host: 'cockpit.local', origin: 'http://cockpit.local' } })).json()).toMatchObject({ signedIn: true })
  })
})

describe('scoped viewers and master data', () => {
  const codes = (res: LightMyRequestResponse) => {
    expect(res.statusCode, res.body).toBe(200)
    return (res.json() as { code: string }[]).map((r) => r.code).sort()
  }
  const viewer = async (scope?: TokenScope) => (await signToken(SECRET, { kind: 'viewer', ...(scope ? { scope } : {}) }, 600)).token
  const master = async (kind: string, token: string) => codes(await call({ url: `/api/v1/master/${kind}`, headers: bearer(token) }))

  beforeAll(async () => {
    const put = async (kind: string, records: unknown[]) =>
      expect((await call({ method: 'PUT', url: `/api/v1/master/${kind}`, headers: bearer(server.adminKey), body: records })).statusCode).toBe(200)
    await put('warehouses', [
      { code: 'WH-SH', name: '上海仓', region: 'East' },
      { code: 'WH-HZ', name: '杭州仓', region: 'East' },
      { code: 'WH-BJ', name: '北京仓', region: 'North' },
      { code: 'WH-X', name: '无区域仓' },
    ])
    await put('regions', [
      { code: 'East', name: '华东' },
      { code: 'North', name: '华北' },
    ])
    await put('skus', [
      { code: 'A1', name: '矿泉水', category: 'drinks' },
      { code: 'A2', name: '茶', category: 'drinks' },
      { code: 'B1', name: '洗衣液', category: 'household' },
    ])
    await put('categories', [
      { code: 'drinks', name: '饮料' },
      { code: 'household', name: '日化' },
    ])
    await put('partners', [
      { code: 'SUP-1', name: '供应商一', kind: 'supplier' },
      { code: 'CUS-1', name: '客户一', kind: 'customer' },
    ])
    await put('channels', [
      { code: 'pos', name: '门店' },
      { code: 'web', name: '网店' },
    ])
  })

  test('a warehouse-scoped viewer sees its warehouse and its region, and no partners, SKUs or channels', async () => {
    const token = await viewer({ warehouse: ['WH-SH'] })
    expect(await master('warehouses', token)).toEqual(['WH-SH'])
    expect(await master('regions', token)).toEqual(['East'])
    expect(await master('partners', token)).toEqual([])
    expect(await master('skus', token)).toEqual([])
    expect(await master('categories', token)).toEqual([])
    expect(await master('channels', token)).toEqual([])
  })

  test('region, category, partner and channel scopes', async () => {
    const east = await viewer({ region: ['East'] })
    expect(await master('warehouses', east)).toEqual(['WH-HZ', 'WH-SH'])
    expect(await master('regions', east)).toEqual(['East'])
    const drinks = await viewer({ category: ['drinks'] })
    expect(await master('skus', drinks)).toEqual(['A1', 'A2'])
    expect(await master('categories', drinks)).toEqual(['drinks'])
    expect(await master('warehouses', drinks)).toEqual([])
    const sku = await viewer({ sku: ['B1'] })
    expect(await master('categories', sku)).toEqual(['household'])
    const partner = await viewer({ partner: ['SUP-1'] })
    expect(await master('partners', partner)).toEqual(['SUP-1'])
    expect(await master('warehouses', partner)).toEqual([])
    const both = await viewer({ warehouse: ['WH-SH', 'WH-BJ'], region: ['North'] })
    expect(await master('warehouses', both)).toEqual(['WH-BJ'])
    expect(await master('regions', both)).toEqual(['North'])
    expect(await master('channels', await viewer({ channel: ['web'] }))).toEqual(['web'])
  })

  test('unscoped readers see everything; embed tokens see no master data', async () => {
    expect(await master('warehouses', await viewer())).toEqual(['WH-BJ', 'WH-HZ', 'WH-SH', 'WH-X'])
    expect(await master('partners', server.adminKey)).toEqual(['CUS-1', 'SUP-1'])
    const embed = (
      await signToken(SECRET, { kind: 'embed', scope: { warehouse: ['WH-SH'] }, widget: { widget: 'kpi-card', options: { metric: 'sales.revenue', window: 'today' } } }, 600)
    ).token
    const res = await call({ url: '/api/v1/master/warehouses', headers: bearer(embed) })
    expect(res.statusCode).toBe(403)
  })
})

describe('keys and tokens never reach the log', () => {
  test('?token= and ?key= values, Authorization and cookies are redacted from every line', async () => {
    const lines: string[] = []
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString())
        done()
      },
    })
    const prefix = `test:hostile-log:${randomUUID().slice(0, 8)}:`
    const app: FastifyInstance = await buildApp({
      // no built screen: /embed?token=… goes to Fastify's own 404, which logs the URL in its message
      config: loadConfig({
        COCKPIT_KEY_PREFIX: prefix,
        COCKPIT_INGEST_KEYS: 'ik-log',
        COCKPIT_ADMIN_KEY: 'admin-key-in-log',
        COCKPIT_SCREEN_DIR: '/nonexistent',
        COCKPIT_TOKEN_SECRET: SECRET,
      }),
      logger: { level: 'debug', stream },
    })
    try {
      await app.ready()
      // started in full (scripts loaded, master data read) so closing it leaves nothing pending
      for (let i = 0; i < 100 && !app.aggregator.ready; i++) await new Promise((r) => setTimeout(r, 20))
      const embedToken = (await signToken(SECRET, { kind: 'viewer' }, 600)).token
      await app.inject({ url: `/embed?token=${embedToken}&theme=dark` })
      await app.inject({ url: `/api/v1/screens?token=url-token-secret` })
      await app.inject({ url: `/api/v1/master/skus?apiKey=url-key-secret&x=1` })
      await app.inject({
        method: 'POST',
        url: '/api/v1/query',
        headers: { authorization: 'Bearer bearer-secret-1', 'content-type': 'application/json' },
        payload: JSON.stringify(QUERY),
      })
      await app.inject({ method: 'PUT', url: '/api/v1/master/skus', headers: { authorization: 'Bearer admin-key-in-log', 'content-type': 'application/json' }, payload: '[]' })
      await app.inject({
        method: 'POST',
        url: '/api/v1/session',
        headers: { 'content-type': 'application/json', cookie: 'cockpit_session=cookie-secret' },
        payload: JSON.stringify({ key: 'admin-key-in-log' }),
      })
      // whoever logs headers later gets them redacted too
      app.log.info({ req: { method: 'GET', url: '/x?token=logged-token', headers: { authorization: 'Bearer header-secret', cookie: 'a=cookie-secret-2' } } }, 'a request')
      app.log.info({ headers: { authorization: 'Bearer header-secret-3' } }, 'headers of /embed?token=message-token')
      app.log.error({ err: new Error('reply already sent for /embed?token=error-token') }, 'an error quoting a URL')
    } finally {
      await deletePrefix(app.redis, prefix).catch(() => 0)
      await app.close()
    }
    const log = lines.join('')
    expect(lines.length).toBeGreaterThan(10)
    expect(log).toContain('incoming request')
    expect(log).toContain('/embed?token=[REDACTED]&theme=dark')
    expect(log).toContain('apiKey=[REDACTED]&x=1')
    for (const secret of [
      'eyJ',
      'url-token-secret',
      'url-key-secret',
      'bearer-secret-1',
      'admin-key-in-log',
      'cookie-secret',
      'logged-token',
      'header-secret',
      'message-token',
      'error-token',
    ]) {
      expect(log, secret).not.toContain(secret)
    }
  })
})
