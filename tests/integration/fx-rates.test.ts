/**
 * Multi-currency ingest against the real Redis: rates by date stored in Redis (seeded from
 * COCKPIT_FX_RATES, upserted through the API, seen by a second server process on the same
 * prefix), movements converted at the rate of their business date, unknown currencies refused.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../server/app.ts'
import { loadConfig } from '../../server/config.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

let a: TestServer
let b: FastifyInstance

beforeAll(async () => {
  a = await startTestServer({ COCKPIT_FX_RATES: 'USD:2025-01-01:7.1,EUR:2025-01-01:7.8' })
  // a second process on the same Redis and prefix
  b = await buildApp({
    config: loadConfig({ COCKPIT_KEY_PREFIX: a.prefix, COCKPIT_INGEST_KEYS: a.ingestKey, COCKPIT_ADMIN_KEY: a.adminKey }),
    logger: false,
  })
  await b.ready()
  for (let i = 0; i < 100 && !b.aggregator.ready; i++) await new Promise((r) => setTimeout(r, 20))
})
afterAll(async () => {
  await b.close()
  await a.close()
})

async function call(method: string, path: string, body?: unknown, key = a.adminKey) {
  const res = await fetch(`${a.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  return { status: res.status, body: text ? (JSON.parse(text) as any) : undefined }
}
const ingestA = (batch: unknown[]) => call('POST', '/api/v1/movements', batch, a.ingestKey)
async function ingestB(batch: unknown[]) {
  const res = await b.inject({ method: 'POST', url: '/api/v1/movements', headers: { authorization: `Bearer ${a.ingestKey}` }, payload: batch })
  return { status: res.statusCode, body: res.json() as any }
}
const query = async (q: unknown) => (await call('POST', '/api/v1/query', q)).body
const month = (metric: string, from: string, to: string) => query({ metric, from: `${from}T00:00:00+08:00`, to: `${to}T00:00:00+08:00` }).then((r) => r.total as number)

describe('exchange rates', () => {
  test('seeded from COCKPIT_FX_RATES, upserted by the admin, read back by date', async () => {
    expect((await call('GET', '/api/v1/fx-rates')).body).toEqual([
      { currency: 'EUR', from: '2025-01-01', rate: 7.8 },
      { currency: 'USD', from: '2025-01-01', rate: 7.1 },
    ])
    expect(await call('PUT', '/api/v1/fx-rates', [{ currency: 'USD', from: '2025-03-01', rate: 7.25 }], a.ingestKey)).toMatchObject({ status: 401 })
    expect(
      await call('PUT', '/api/v1/fx-rates', [
        { currency: 'USD', from: '2025-03-01', rate: 7.25 },
        { currency: 'JPY', from: '2025-01-01', rate: 0.0476 },
      ]),
    ).toEqual({
      status: 200,
      body: { upserted: 2 },
    })
    expect((await call('GET', '/api/v1/fx-rates?currency=USD')).body).toEqual([
      { currency: 'USD', from: '2025-01-01', rate: 7.1 },
      { currency: 'USD', from: '2025-03-01', rate: 7.25 },
    ])
    const bad = await call('PUT', '/api/v1/fx-rates', [
      { currency: 'GBP', from: '2025-01-01', rate: 9.1 },
      { currency: 'CNY', from: '2025-13-01', rate: -1 },
    ])
    expect(bad.status).toBe(400)
    expect(bad.body.error).toBe('COCKPIT_ERR_INVALID_FX_RATES')
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['/1/rate']))
    expect((await call('GET', '/api/v1/fx-rates?currency=GBP')).body).toEqual([]) // nothing written
    expect((await call('DELETE', '/api/v1/fx-rates/JPY/2025-01-01')).status).toBe(204)
    expect((await call('DELETE', '/api/v1/fx-rates/JPY/2025-01-01')).status).toBe(404)
  })

  test('a USD movement is converted at the rate of its business date; rates change by date', async () => {
    const jan = {
      id: randomUUID(),
      type: 'sales_shipment',
      occurredAt: '2025-02-28T23:30:00+08:00',
      sku: 'S1',
      warehouse: 'W1',
      qty: 3,
      unitPrice: 10.01,
      unitCost: 4,
      currency: 'USD',
    }
    // 2025-02-28T16:30Z is already 1 March in Shanghai: the new rate
    const mar = { ...jan, id: randomUUID(), occurredAt: '2025-02-28T16:30:00Z' }
    const cny = { ...jan, id: randomUUID(), occurredAt: '2025-02-10T10:00:00+08:00', currency: undefined }
    expect(await ingestA([jan, mar, cny])).toEqual({ status: 200, body: { accepted: 3, duplicates: 0 } })
    // 3 × 10.01 × 7.1 = 213.213; 3 × 4 × 7.1 = 85.2
    expect(await month('sales.revenue', '2025-02-01', '2025-03-01')).toBe(213.21 + 30.03)
    expect(await month('sales.cogs', '2025-02-01', '2025-03-01')).toBe(85.2 + 12)
    // 3 × 10.01 × 7.25 = 217.7175
    expect(await month('sales.revenue', '2025-03-01', '2025-04-01')).toBe(217.72)
    expect(await month('sales.cogs', '2025-03-01', '2025-04-01')).toBe(87)
  })

  test('a rate written through one process is used by another at once', async () => {
    const pay = { id: randomUUID(), type: 'payment_in', occurredAt: '2025-06-15T10:00:00+08:00', amount: 100.0001, currency: 'USD' }
    expect(await ingestB([pay])).toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } }) // at 7.25
    expect(await call('PUT', '/api/v1/fx-rates', [{ currency: 'USD', from: '2025-06-01', rate: 7.3 }])).toMatchObject({ status: 200 })
    const pay2 = { ...pay, id: randomUUID() }
    expect(await ingestB([pay2])).toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } }) // at 7.3
    // 100.0001 × 7.25 = 725.000725 → 725.0007; × 7.3 = 730.00073 → 730.0007
    expect(await month('cash.in', '2025-06-01', '2025-07-01')).toBe(1455)
  })

  test('an unknown currency, or one without a rate on that date, is a 400 naming the movement; nothing applied', async () => {
    const good = { id: randomUUID(), type: 'payment_out', occurredAt: '2025-08-15T10:00:00+08:00', amount: 10 }
    const gbp = { id: randomUUID(), type: 'payment_out', occurredAt: '2025-08-15T10:00:00+08:00', amount: 10, currency: 'GBP' }
    const early = { id: randomUUID(), type: 'payment_out', occurredAt: '2024-12-31T10:00:00+08:00', amount: 10, currency: 'EUR' }
    const res = await ingestA([good, gbp, early])
    expect(res.status).toBe(400)
    expect(res.body.error).toBe('invalid_movements')
    expect(res.body.rejected).toEqual([
      { index: 1, id: gbp.id, errors: [{ path: '/currency', message: expect.stringContaining('unknown currency GBP') }] },
      { index: 2, id: early.id, errors: [{ path: '/currency', message: expect.stringContaining('rates start 2025-01-01') }] },
    ])
    expect(await month('cash.out', '2025-08-01', '2025-09-01')).toBe(0)
    // the good movement was not applied: sending it alone now is not a duplicate
    expect(await ingestA([good])).toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } })
  })

  test('NDJSON rejections name the line', async () => {
    const lines = [
      { id: randomUUID(), type: 'payment_out', occurredAt: '2025-09-15T10:00:00+08:00', amount: 10, currency: 'EUR' },
      { id: randomUUID(), type: 'payment_out', occurredAt: '2025-09-15T10:00:00+08:00', amount: 10, currency: 'XXX' },
    ]
    const res = await fetch(`${a.url}/api/v1/movements`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.ingestKey}`, 'content-type': 'application/x-ndjson' },
      body: `${JSON.stringify(lines[0])}\n\n${JSON.stringify(lines[1])}\n`,
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as any).rejected).toEqual([{ index: 2, id: lines[1]!.id, errors: [expect.objectContaining({ path: '/currency' })] }])
  })

  test('a cancel reverses exactly what was applied, even after the rate changed', async () => {
    const ship = {
      id: randomUUID(),
      type: 'sales_shipment',
      occurredAt: '2025-10-10T10:00:00+08:00',
      sku: 'S2',
      warehouse: 'W1',
      qty: 7,
      unitPrice: 3.33,
      unitCost: 1.11,
      currency: 'EUR',
    }
    expect(await ingestA([ship])).toMatchObject({ status: 200 })
    expect(await month('sales.revenue', '2025-10-01', '2025-11-01')).toBe(181.82) // 7 × 3.33 × 7.8 = 181.818
    expect(await call('PUT', '/api/v1/fx-rates', [{ currency: 'EUR', from: '2025-10-01', rate: 8.05 }])).toMatchObject({ status: 200 })
    const cancel = { id: randomUUID(), type: 'cancel', occurredAt: '2025-10-11T10:00:00+08:00', cancels: ship.id }
    expect(await ingestA([cancel])).toEqual({ status: 200, body: { accepted: 1, duplicates: 0 } })
    expect(await month('sales.revenue', '2025-10-01', '2025-11-01')).toBe(0)
    expect(await month('sales.cogs', '2025-10-01', '2025-11-01')).toBe(0)
    expect((await query({ metric: 'stock.value', filter: { sku: 'S2' } })).total).toBe(0)
  })
})
