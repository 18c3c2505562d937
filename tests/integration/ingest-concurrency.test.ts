/**
 * Concurrent ingest requests: the server applies batches that arrive while another is being
 * applied with one script call (group commit). Each request must still get its own exact
 * counts, ids seen in another request of the same group must apply once, and one request's
 * refusal must not touch the others.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../server/app.ts'
import { loadConfig } from '../../server/config.ts'
import { deletePrefix } from '../helpers/redis-prefix.ts'

const prefix = `test:group:${randomUUID().slice(0, 8)}:`
let app: FastifyInstance

const post = async (body: unknown[]) => {
  const res = await app.inject({ method: 'POST', url: '/api/v1/movements', headers: { authorization: 'Bearer ik' }, payload: body })
  return { status: res.statusCode, body: res.json() as Record<string, unknown> }
}
const query = async (q: unknown) => (await app.inject({ method: 'POST', url: '/api/v1/query', payload: q as object })).json() as { total: number }

const DAY = '2026-05-20'
const payment = (id: string, amount = 1.01) => ({ id, type: 'payment_in', occurredAt: `${DAY}T10:00:00+08:00`, amount, partner: 'C1' })
const cashIn = () => query({ metric: 'cash.in', from: `${DAY}T00:00:00+08:00`, to: `${DAY}T23:59:00+08:00` })

beforeAll(async () => {
  app = await buildApp({ config: loadConfig({ COCKPIT_KEY_PREFIX: prefix, COCKPIT_INGEST_KEYS: 'ik', COCKPIT_ADMIN_KEY: 'ak' }), logger: false })
  await app.ready()
  for (let i = 0; i < 100 && !app.aggregator.ready; i++) await new Promise((r) => setTimeout(r, 20))
})

afterAll(async () => {
  await deletePrefix(app.redis, prefix)
  await app.close()
})

describe('concurrent ingest requests', () => {
  test('overlapping and retried batches sent at once: every id applied once, each request told its own counts', async () => {
    const a = Array.from({ length: 300 }, (_, i) => payment(`a-${i}`))
    const b = [...a.slice(150), ...Array.from({ length: 150 }, (_, i) => payment(`b-${i}`))]
    const retryOfA = a.map((m) => ({ ...m }))
    const d = [...Array.from({ length: 200 }, (_, i) => payment(`d-${i}`)), payment('d-0')]
    const scriptCalls = vi.spyOn(app.redis as unknown as { applyBatch: (...args: string[]) => Promise<unknown> }, 'applyBatch')
    const [ra, rb, rc, rd] = await Promise.all([post(a), post(b), post(retryOfA), post(d)])
    // one apply for a; b, c and d together: one that finds a's ids, one without them
    // (one request at a time would take 1 + 2 + 1 + 1)
    expect(scriptCalls.mock.calls.length).toBeLessThanOrEqual(3)
    scriptCalls.mockRestore()
    for (const r of [ra, rb, rc, rd]) expect(r.status).toBe(200)
    // a arrives first; b, c and d wait for it and are applied together
    expect(ra.body).toEqual({ accepted: 300, duplicates: 0 })
    expect(rb.body).toEqual({ accepted: 150, duplicates: 150 })
    expect(rc.body).toEqual({ accepted: 0, duplicates: 300 })
    expect(rd.body).toEqual({ accepted: 200, duplicates: 1 })
    // 650 distinct payments of 1.01, exact
    expect((await cashIn()).total).toBe(656.5)
    // and every one of them is remembered: resending all of it applies nothing
    const again = await post([...a, ...b, ...d])
    expect(again.body).toEqual({ accepted: 0, duplicates: a.length + b.length + d.length })
    expect((await cashIn()).total).toBe(656.5)
  })

  test('a refused cancel is refused alone: the requests sent with it are applied', async () => {
    const before = (await cashIn()).total
    const cancel = [{ id: 'x-1', type: 'cancel', occurredAt: `${DAY}T11:00:00+08:00`, cancels: 'never-sent' }]
    const first = Array.from({ length: 50 }, (_, i) => payment(`f-${i}`, 2))
    const others = Array.from({ length: 50 }, (_, i) => payment(`g-${i}`, 3))
    const [rf, rx, rg] = await Promise.all([post(first), post(cancel), post(others)])
    expect(rf.body).toEqual({ accepted: 50, duplicates: 0 })
    expect(rx.status).toBe(400)
    expect(rx.body).toMatchObject({ error: 'invalid_movements', rejected: [{ index: 0, id: 'x-1', errors: [{ path: '/cancels' }] }] })
    expect(rg.body).toEqual({ accepted: 50, duplicates: 0 })
    expect((await cashIn()).total).toBeCloseTo(before + 50 * 2 + 50 * 3, 10)
  })
})
