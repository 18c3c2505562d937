/**
 * The sources API (docs/api.md "Sources"): the admin key to declare, a 400 naming the field,
 * versions (If-Match or `version`, 409 when stale), pause/resume/resync, COCKPIT_SOURCES_FILE,
 * and a database URL that never reaches Redis or the log, even when the source fails.
 */
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { loadConfig } from '../../server/config.ts'
import { deletePrefix } from '../helpers/redis-prefix.ts'

const tag = randomUUID().slice(0, 8)
const prefix = `test:src-api:${tag}:`
const ADMIN = `ak_${randomUUID()}`
const INGEST = `ik_${randomUUID()}`
const SECRET = `Pw-${randomUUID()}`
const ENV = `TEST_SRC_API_URL_${tag.toUpperCase()}`
let dir: string
let app: FastifyInstance
let log = ''

const good = (id: string) => ({ id, kind: 'erpnext', connectionEnv: ENV, mapping: { idPrefix: 'E1:' }, schedule: { pollIntervalMs: 100 }, backfill: { since: '2026-01-01' } })
const put = (id: string, payload: unknown, headers: Record<string, string> = { authorization: `Bearer ${ADMIN}` }) =>
  app.inject({ method: 'PUT', url: `/api/v1/sources/${id}`, headers, payload: payload as object })

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sources-'))
  const file = join(dir, 'sources.json')
  await writeFile(file, JSON.stringify({ sources: [{ ...good('from-file'), paused: true }] }))
  // a URL with a password, to a port where nothing listens: the source fails, and says so without it
  process.env[ENV] = `mysql://cockpit:${SECRET}@127.0.0.1:1/erp`
  const stream = new Writable({
    write(chunk, _enc, done) {
      log += String(chunk)
      done()
    },
  })
  app = await buildApp({
    config: loadConfig({ COCKPIT_KEY_PREFIX: prefix, COCKPIT_ADMIN_KEY: ADMIN, COCKPIT_INGEST_KEYS: INGEST, COCKPIT_SOURCES: 'on', COCKPIT_SOURCES_FILE: file }),
    logger: { level: 'debug', stream },
  })
  await app.ready()
})

afterAll(async () => {
  await app?.close()
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
  await deletePrefix(redis, prefix)
  redis.disconnect()
  await rm(dir, { recursive: true, force: true })
  delete process.env[ENV]
})

describe('sources API', () => {
  test('declaring needs the admin key', async () => {
    expect((await put('a', good('a'), {})).statusCode).toBe(401)
    expect((await put('a', good('a'), { authorization: `Bearer ${INGEST}` })).statusCode).toBe(401)
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/sources/a' })).statusCode).toBe(401)
    expect((await app.inject({ method: 'POST', url: '/api/v1/sources/a/pause' })).statusCode).toBe(401)
  })

  test.each([
    ['kind', { kind: 'sap' }, '/kind', /one of erpnext, odoo, jsherp/],
    ['connectionEnv', { connectionEnv: 'mysql://root@db/erp' }, '/connectionEnv', /pattern/],
    ['pageSize', { schedule: { pageSize: 0 } }, '/schedule/pageSize', />= 1/],
    ['an unknown field', { password: 'x' }, '/password', /not a field/],
    ['since', { backfill: { since: '2026-02-30' } }, '/backfill/since', /calendar date/],
    ['id', { id: 'other' }, '/id', /id of the URL/],
    ['idPrefix', { mapping: { idPrefix: 'a|b' } }, '/mapping/idPrefix', /./],
    ['notifyChannel on a MySQL source', { schedule: { notifyChannel: 'cockpit' } }, '/schedule/notifyChannel', /only for PostgreSQL/],
    ['notifyChannel', { kind: 'odoo', schedule: { notifyChannel: 'Cockpit-Odoo' } }, '/schedule/notifyChannel', /pattern/],
  ])('a bad %s is a 400 naming the field', async (_name, change, path, message) => {
    const res = await put('bad', { ...good('bad'), ...change })
    expect(res.statusCode, res.body).toBe(400)
    const body = res.json()
    expect(body.error).toBe('COCKPIT_ERR_INVALID_SOURCE')
    expect(body.message).toContain(path)
    expect(body.errors[0].path).toBe(path)
    expect(body.errors[0].message).toMatch(message)
  })

  test('versions: create once, replace with the version it is based on, 409 when stale', async () => {
    const created = await put('erp-1', good('erp-1'))
    expect(created.statusCode, created.body).toBe(200)
    expect(created.json()).toMatchObject({ id: 'erp-1', version: 1, connectionEnv: ENV })
    expect(created.headers.etag).toBe('"1"')
    const again = await put('erp-1', good('erp-1'))
    expect(again.statusCode).toBe(409)
    expect(again.json().current).toBe(1)
    const replaced = await put('erp-1', { ...good('erp-1'), schedule: { pageSize: 200 } }, { authorization: `Bearer ${ADMIN}`, 'if-match': '"1"' })
    expect(replaced.statusCode, replaced.body).toBe(200)
    expect(replaced.json().version).toBe(2)
    const stale = await put('erp-1', { ...good('erp-1'), version: 1 })
    expect(stale.statusCode).toBe(409)
    const byBody = await put('erp-1', { ...good('erp-1'), version: 2, paused: true })
    expect(byBody.statusCode, byBody.body).toBe(200)
    expect(byBody.json()).toMatchObject({ version: 3, paused: true })
    const resumed = await app.inject({ method: 'POST', url: '/api/v1/sources/erp-1/resume', headers: { authorization: `Bearer ${ADMIN}` } })
    expect(resumed.json()).toMatchObject({ version: 4, paused: false })
    const resync = await app.inject({ method: 'POST', url: '/api/v1/sources/erp-1/resync', headers: { authorization: `Bearer ${ADMIN}` }, payload: { since: '2025-13-01' } })
    expect(resync.statusCode).toBe(400)
    expect(resync.json().message).toMatch(/since/)
    const ok = await app.inject({ method: 'POST', url: '/api/v1/sources/erp-1/resync', headers: { authorization: `Bearer ${ADMIN}` }, payload: { since: '2025-12-01' } })
    expect(ok.statusCode, ok.body).toBe(200)
    expect(ok.json()).toMatchObject({ version: 5, backfill: { since: '2025-12-01' } })
  })

  test('a source of the file is declared; a failing source reports its error, and its URL is nowhere in Redis or the log', async () => {
    const list = (await app.inject({ method: 'GET', url: '/api/v1/sources' })).json() as { source: { id: string; paused?: boolean }; status: { state: string } }[]
    const fromFile = list.find((s) => s.source.id === 'from-file')
    expect(fromFile?.source.paused).toBe(true)
    expect(fromFile?.status.state).toBe('paused')

    let detail
    for (let i = 0; i < 100; i++) {
      detail = (await app.inject({ method: 'GET', url: '/api/v1/sources/erp-1' })).json()
      if (detail.status.state === 'failing') break
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(detail.status.state).toBe('failing')
    expect(detail.status.lastError.message).toMatch(/ECONNREFUSED/)
    expect(detail.status.holder).toMatch(/:/)

    // every value of every key of this cockpit
    const redis = app.redis
    const keys = await redis.keys(`${prefix}*`)
    let dump = ''
    for (const key of keys) {
      const type = await redis.type(key)
      if (type === 'string') dump += await redis.get(key)
      else if (type === 'hash') dump += JSON.stringify(await redis.hgetall(key))
      else if (type === 'list') dump += JSON.stringify(await redis.lrange(key, 0, -1))
      else if (type === 'zset') dump += JSON.stringify(await redis.zrange(key, '0', '-1'))
    }
    expect(dump).toContain(ENV)
    expect(dump).not.toContain(SECRET)
    expect(dump).not.toContain('mysql://')
    expect(log).toContain('source read failed')
    expect(log).not.toContain(SECRET)
  })

  test('a process without the connection variable leaves the source to others: no lease taken, idle', async () => {
    const res = await put('elsewhere', { ...good('elsewhere'), connectionEnv: `TEST_NOT_SET_HERE_${tag.toUpperCase()}` })
    expect(res.statusCode, res.body).toBe(200)
    await app.sources.manager!.scan()
    await app.sources.manager!.scan()
    expect(app.sources.manager!.running()).not.toContain('elsewhere')
    expect(await app.redis.exists(app.keys.lease('source:elsewhere'))).toBe(0)
    const detail = (await app.inject({ method: 'GET', url: '/api/v1/sources/elsewhere' })).json()
    expect(detail.status.state).toBe('idle')
    expect(log).toContain('its connection variable is not set here')
  })

  test('delete, then 404', async () => {
    const del = await app.inject({ method: 'DELETE', url: '/api/v1/sources/erp-1', headers: { authorization: `Bearer ${ADMIN}` } })
    expect(del.statusCode).toBe(204)
    expect((await app.inject({ method: 'GET', url: '/api/v1/sources/erp-1' })).statusCode).toBe(404)
    expect((await app.inject({ method: 'POST', url: '/api/v1/sources/erp-1/pause', headers: { authorization: `Bearer ${ADMIN}` } })).statusCode).toBe(404)
    expect(await app.redis.exists(app.keys.sourceStatus('erp-1'), app.keys.sourceWatermarks('erp-1'))).toBe(0)
  })

  test('a bad COCKPIT_SOURCES_FILE stops the start with a message naming the source', async () => {
    const file = join(dir, 'bad.json')
    await writeFile(file, JSON.stringify([{ ...good('x'), kind: 'sap' }]))
    await expect(buildApp({ config: loadConfig({ COCKPIT_KEY_PREFIX: `${prefix}bad:`, COCKPIT_SOURCES_FILE: file }), logger: false })).rejects.toThrow(/source 0: .*\/kind/)
  })
})
