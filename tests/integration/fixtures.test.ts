/**
 * Ledger fixtures (tests/fixtures/*.json): movements and the figures an ERP report would give,
 * worked out by hand in each fixture's notes. Each fixture runs against the real Redis under a
 * key prefix of its own, through the HTTP API.
 */
import { randomUUID } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../server/app.ts'
import { loadConfig } from '../../server/config.ts'
import { deletePrefix } from '../helpers/redis-prefix.ts'

interface Expectation {
  query: Record<string, unknown>
  total?: number | null
  groups?: { key: string; total: number | null }[]
  series?: { start: string; value: number | null }[]
}
interface Fixture {
  name: string
  notes: string[]
  master?: Record<string, unknown[]>
  batches: unknown[][]
  expect: Expectation[]
}

const dir = new URL('../fixtures/', import.meta.url)
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => [f, JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as Fixture] as const)

/** figures are exact to the cent; ratios to 1e-12 */
function close(actual: number | null | undefined, expected: number | null | undefined) {
  if (expected === null || expected === undefined) expect(actual).toBe(expected)
  else expect(actual).toBeCloseTo(expected, 12)
}

describe.each(fixtures)('fixture %s', (_file, fixture) => {
  const prefix = `test:fx:${randomUUID().slice(0, 8)}:`
  let app: FastifyInstance

  beforeAll(async () => {
    app = await buildApp({ config: loadConfig({ COCKPIT_KEY_PREFIX: prefix, COCKPIT_INGEST_KEYS: 'ik', COCKPIT_ADMIN_KEY: 'ak' }), logger: false })
    await app.ready()
    for (let i = 0; i < 100 && !app.aggregator.ready; i++) await new Promise((r) => setTimeout(r, 20))
    for (const [kind, records] of Object.entries(fixture.master ?? {})) {
      const res = await app.inject({ method: 'PUT', url: `/api/v1/master/${kind}`, headers: { authorization: 'Bearer ak' }, payload: records })
      expect(res.statusCode).toBe(200)
    }
    for (const batch of fixture.batches) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/movements', headers: { authorization: 'Bearer ik' }, payload: batch })
      expect(res.json()).toEqual({ accepted: batch.length, duplicates: 0 })
    }
  })

  afterAll(async () => {
    await deletePrefix(app.redis, prefix)
    await app.close()
  })

  test.each(fixture.expect.map((e) => [JSON.stringify(e.query), e] as const))('%s', async (_q, e) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/query', payload: e.query })
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json() as { total: number | null; groups?: { key: string; total: number | null }[]; series?: { start: string; value: number | null }[] }
    if ('total' in e) close(body.total, e.total)
    if (e.groups) {
      expect(body.groups?.map((g) => g.key)).toEqual(e.groups.map((g) => g.key))
      e.groups.forEach((g, i) => close(body.groups![i]!.total, g.total))
    }
    if (e.series) {
      expect(body.series?.map((p) => p.start)).toEqual(e.series.map((p) => p.start))
      e.series.forEach((p, i) => close(body.series![i]!.value, p.value))
    }
  })
})
