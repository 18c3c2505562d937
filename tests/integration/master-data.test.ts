/**
 * Master data names members of every dimension: categories, regions and channels are kinds of
 * their own (`{code, name, nameEn?}`), upserted like SKUs, warehouses and partners; query
 * results then carry `label` (and `labelEn` when there is an English name) for their groups, and
 * stock alert rows the names of their SKU, warehouse and category.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { io as connect } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck, UpdateMessage } from '../../protocol/events.ts'
import type { Query } from '../../protocol/query.ts'
import { buildApp } from '../../server/app.ts'
import { loadConfig } from '../../server/config.ts'
import { deletePrefix } from '../helpers/redis-prefix.ts'

const prefix = `test:md:${randomUUID().slice(0, 8)}:`
let app: FastifyInstance
let url: string

type Group = { key: string; label?: string; labelEn?: string; total: number | null }

const put = (kind: string, payload: unknown, key = 'ak') =>
  app.inject({ method: 'PUT', url: `/api/v1/master/${kind}`, headers: key ? { authorization: `Bearer ${key}` } : {}, payload: payload as object })
const list = async (kind: string) => (await app.inject({ method: 'GET', url: `/api/v1/master/${kind}` })).json() as { code: string; name: string; nameEn?: string }[]
const query = async (q: unknown) => {
  const res = await app.inject({ method: 'POST', url: '/api/v1/query', payload: q as object })
  expect(res.statusCode, res.body).toBe(200)
  return res.json() as { total: number | null; groups?: Group[]; rows?: Record<string, unknown>[] }
}
/** the groups without their series, by key */
const groupsOf = async (q: unknown) => Object.fromEntries(((await query(q)).groups ?? []).map(({ key, label, labelEn, total }) => [key, { label, labelEn, total }]))

beforeAll(async () => {
  app = await buildApp({ config: loadConfig({ COCKPIT_KEY_PREFIX: prefix, COCKPIT_INGEST_KEYS: 'ik', COCKPIT_ADMIN_KEY: 'ak' }), logger: false })
  url = await app.listen({ port: 0, host: '127.0.0.1' })
  for (let i = 0; i < 100 && !app.aggregator.ready; i++) await new Promise((r) => setTimeout(r, 20))
  expect(
    (
      await put('skus', [
        { code: 'A1', name: '纸尿裤 L 52片', nameEn: 'Diapers L 52', category: 'baby', safetyStock: 100 },
        { code: 'D1', name: '矿泉水 550ml', category: 'drinks' },
        { code: 'X1', name: '杂项', category: 'misc' },
      ])
    ).statusCode,
  ).toBe(200)
  expect(
    (
      await put('warehouses', [
        { code: 'W1', name: '上海中心仓', nameEn: 'Shanghai DC', region: '华东' },
        { code: 'W2', name: '北京朝阳店', region: '华北' },
      ])
    ).statusCode,
  ).toBe(200)
  const at = new Date().toISOString()
  const m = (id: string, rest: Record<string, unknown>) => ({ id, occurredAt: at, ...rest })
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/movements',
    headers: { authorization: 'Bearer ik' },
    payload: [
      m('r1', { type: 'purchase_receipt', sku: 'A1', warehouse: 'W1', qty: 50, unitCost: 100 }),
      m('r2', { type: 'purchase_receipt', sku: 'D1', warehouse: 'W2', qty: 100, unitCost: 1 }),
      m('r3', { type: 'purchase_receipt', sku: 'X1', warehouse: 'W1', qty: 10, unitCost: 5 }),
      m('s1', { type: 'sales_shipment', sku: 'A1', warehouse: 'W1', qty: 2, unitPrice: 150, channel: 'pos' }),
      m('s2', { type: 'sales_shipment', sku: 'D1', warehouse: 'W2', qty: 10, unitPrice: 2, channel: 'online' }),
      m('s3', { type: 'sales_shipment', sku: 'X1', warehouse: 'W1', qty: 1, unitPrice: 9, channel: 'pos' }),
      m('t1', { type: 'transfer', sku: 'D1', warehouse: 'W2', toWarehouse: 'W1', qty: 5 }),
    ],
  })
  expect(res.json()).toEqual({ accepted: 7, duplicates: 0 })
})

afterAll(async () => {
  await deletePrefix(app.redis, prefix)
  await app.close()
})

describe('categories, regions and channels', () => {
  test('upserting category names makes groupBy category results carry them: label, and labelEn when there is one', async () => {
    const q = { metric: 'sales.revenue', window: 'today', groupBy: 'category' }
    // before: codes only
    expect(await groupsOf(q)).toEqual({
      baby: { total: 300 },
      drinks: { total: 20 },
      misc: { total: 9 },
    })
    const res = await put('categories', [
      { code: 'baby', name: '母婴', nameEn: 'Baby & kids' },
      { code: 'drinks', name: '饮料' },
    ])
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ upserted: 2 })
    expect(await groupsOf(q)).toEqual({
      baby: { label: '母婴', labelEn: 'Baby & kids', total: 300 },
      drinks: { label: '饮料', total: 20 },
      misc: { total: 9 },
    })
    // the same names on a series by hour and on stock levels (another path of the engine)
    const hourly = await query({ ...q, interval: 'hour' })
    expect(hourly.groups!.find((g) => g.key === 'baby')).toMatchObject({ label: '母婴', labelEn: 'Baby & kids' })
    expect((await groupsOf({ metric: 'stock.qty', groupBy: 'category' })).baby).toEqual({ label: '母婴', labelEn: 'Baby & kids', total: 48 })
  })

  test('channels and regions are named the same way; a renamed member shows its new name', async () => {
    expect((await put('channels', [{ code: 'pos', name: '门店收银', nameEn: 'In-store POS' }])).json()).toEqual({ upserted: 1 })
    expect((await put('regions', [{ code: '华东', name: '华东', nameEn: 'East China' }])).json()).toEqual({ upserted: 1 })
    expect(await groupsOf({ metric: 'sales.revenue', window: 'today', groupBy: 'channel' })).toEqual({
      pos: { label: '门店收银', labelEn: 'In-store POS', total: 309 },
      online: { total: 20 },
    })
    expect(await groupsOf({ metric: 'sales.revenue', window: 'today', groupBy: 'region' })).toEqual({
      华东: { label: '华东', labelEn: 'East China', total: 309 },
      华北: { total: 20 },
    })
    await put('channels', [{ code: 'pos', name: '收银台', nameEn: 'Checkout' }])
    expect((await groupsOf({ metric: 'sales.revenue', window: 'today', groupBy: 'channel' })).pos).toEqual({ label: '收银台', labelEn: 'Checkout', total: 309 })
  })

  test('SKUs, warehouses and routes carry English names too; a route is named in English when either warehouse has one', async () => {
    expect((await groupsOf({ metric: 'sales.revenue', window: 'today', groupBy: 'sku' })).A1).toEqual({ label: '纸尿裤 L 52片', labelEn: 'Diapers L 52', total: 300 })
    expect(await groupsOf({ metric: 'stock.qty', groupBy: 'warehouse' })).toEqual({
      W1: { label: '上海中心仓', labelEn: 'Shanghai DC', total: 48 + 9 + 5 },
      W2: { label: '北京朝阳店', total: 85 },
    })
    expect(await groupsOf({ metric: 'transfer.qty', window: 'today', groupBy: 'route' })).toEqual({
      'W2→W1': { label: '北京朝阳店 → 上海中心仓', labelEn: '北京朝阳店 → Shanghai DC', total: 5 },
    })
  })

  test('stock alert rows carry the names of their SKU, warehouse and category', async () => {
    await put('categories', [{ code: 'baby', name: '母婴', nameEn: 'Baby & kids' }])
    const { rows } = await query({ metric: 'stock.belowSafety' })
    expect(rows).toEqual([
      {
        sku: 'A1',
        skuName: '纸尿裤 L 52片',
        skuNameEn: 'Diapers L 52',
        warehouse: 'W1',
        warehouseName: '上海中心仓',
        warehouseNameEn: 'Shanghai DC',
        category: 'baby',
        categoryName: '母婴',
        categoryNameEn: 'Baby & kids',
        qty: 48,
        safetyStock: 100,
        coverage: 0.48,
      },
    ])
  })

  test('upserts are idempotent and in bulk; GET lists the records as written', async () => {
    const regions = Array.from({ length: 2000 }, (_, i) => ({ code: `R-${i}`, name: `区域 ${i}`, ...(i % 2 ? { nameEn: `Region ${i}` } : {}) }))
    for (let round = 0; round < 2; round++) {
      const res = await put('regions', regions)
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual({ upserted: 2000 })
    }
    const stored = await list('regions')
    expect(stored).toHaveLength(2001) // and 华东 from before
    expect(stored).toEqual(expect.arrayContaining([regions[0], regions[1], { code: '华东', name: '华东', nameEn: 'East China' }]))
  })
})

describe('stock by two dimensions (a heat map of categories × warehouses)', () => {
  test('stock by warehouse of one category, by category in one warehouse or region, summed from the SKU|warehouse levels', async () => {
    const totals = async (q: unknown) => Object.fromEntries(((await query(q)).groups ?? []).map((g) => [g.key, g.total]))
    expect(await totals({ metric: 'stock.qty', groupBy: 'warehouse', filter: { category: 'drinks' } })).toEqual({ W2: 85, W1: 5 })
    expect(await totals({ metric: 'stock.qty', groupBy: 'category', filter: { warehouse: 'W1' } })).toEqual({ baby: 48, misc: 9, drinks: 5 })
    expect(await totals({ metric: 'stock.qty', groupBy: 'category', filter: { region: '华北' } })).toEqual({ drinks: 85 })
    expect(await totals({ metric: 'stock.value', groupBy: 'warehouse', filter: { category: ['baby', 'misc'] } })).toEqual({ W1: 4845 })
    // the same figures as the per-category levels, when movements named no category of their own
    const byCategory = await totals({ metric: 'stock.qty', groupBy: 'category' })
    const byCell = await totals({ metric: 'stock.qty', groupBy: 'category', filter: { warehouse: ['W1', 'W2'] } })
    expect(byCell).toEqual(byCategory)
    // names come along as for any grouping
    expect((await groupsOf({ metric: 'stock.qty', groupBy: 'warehouse', filter: { category: 'drinks' } })).W1).toMatchObject({ label: '上海中心仓', labelEn: 'Shanghai DC' })
    const refused = await app.inject({ method: 'POST', url: '/api/v1/query', payload: { metric: 'stock.qty', groupBy: 'warehouse', filter: { channel: 'pos' } } })
    expect(refused.statusCode).toBe(400)
  })
})

describe('live', () => {
  test('a subscribed screen gets the new names when they are upserted', async () => {
    const c: Socket<ServerToClientEvents, ClientToServerEvents> = connect(url, { transports: ['websocket'], reconnection: false })
    try {
      const q = { metric: 'sales.revenue', window: 'today', groupBy: 'channel' } as Query
      const ack = await new Promise<SubscribeAck>((resolve) => c.emit('subscribe', q, resolve))
      expect(ack.ok && ack.result.groups?.find((g) => g.key === 'online')?.label).toBeUndefined()
      const update = new Promise<UpdateMessage>((resolve) => c.on('update', (m) => m.result.groups?.some((g) => g.key === 'online' && g.label) && resolve(m)))
      await put('channels', [{ code: 'online', name: '线上商城', nameEn: 'Online store' }])
      const m = await update
      expect(m.result.groups!.find((g) => g.key === 'online')).toMatchObject({ label: '线上商城', labelEn: 'Online store', total: 20 })
    } finally {
      c.disconnect()
    }
  })
})

describe('invalid names', () => {
  test('a bad record is a 400 naming its index and field, and nothing of the batch is written', async () => {
    const res = await put('categories', [
      { code: 'fresh', name: '生鲜', nameEn: 'Fresh food' },
      { code: 'frozen', nameEn: 'Frozen' },
      { code: 'a|b', name: '坏代码' },
      { code: 'snacks', name: '零食', nameEn: '' },
      { code: 'dairy', name: '乳品', colour: 'white' },
    ])
    expect(res.statusCode).toBe(400)
    const body = res.json() as { error: string; message: string; errors: { path: string; message: string }[] }
    expect(body.error).toBe('COCKPIT_ERR_INVALID_MASTER_DATA')
    expect(body.message).toContain('4 invalid categories record(s)')
    const paths = body.errors.map((e) => e.path)
    expect(paths).toEqual(expect.arrayContaining(['/1', '/2/code', '/3/nameEn', '/4']))
    expect(paths.some((p) => p.startsWith('/0'))).toBe(false)
    expect(body.errors.find((e) => e.path === '/1')!.message).toContain('name')
    expect((await list('categories')).map((c) => c.code).sort()).toEqual(['baby', 'drinks'])
  })

  test('unknown kinds, bodies that are not arrays and writes without the admin key are refused', async () => {
    expect((await put('colours', [{ code: 'red', name: '红' }])).statusCode).toBe(400)
    expect((await put('channels', { code: 'pos', name: '门店' })).statusCode).toBe(400)
    expect((await put('channels', [{ code: 'pos', name: '门店' }], '')).statusCode).toBe(401)
    expect((await put('channels', [{ code: 'pos', name: '门店' }], 'ik')).statusCode).toBe(401) // an ingest key is not the admin key
    expect((await list('channels')).find((c) => c.code === 'pos')).toEqual({ code: 'pos', name: '收银台', nameEn: 'Checkout' })
    expect(await list('channels')).toHaveLength(2)
  })
})

describe('virtual warehouses', () => {
  test('a warehouse that holds no stock of its own is left out of stock alerts and the stock-out rate', async () => {
    const warehouses = (w1: object, w2: object) =>
      put('warehouses', [
        { code: 'W1', name: '上海中心仓', nameEn: 'Shanghai DC', region: '华东', ...w1 },
        { code: 'W2', name: '北京朝阳店', region: '华北', ...w2 },
      ])
    const emptied = await app.inject({
      method: 'POST',
      url: '/api/v1/movements',
      headers: { authorization: 'Bearer ik' },
      payload: [{ id: 'empty-w2', type: 'sales_shipment', occurredAt: new Date().toISOString(), sku: 'D1', warehouse: 'W2', qty: 85, unitPrice: 2 }],
    })
    expect(emptied.statusCode).toBe(200)
    expect((await query({ metric: 'stock.stockoutRate' })).total).toBe(0.25)
    expect((await query({ metric: 'stock.belowSafety' })).rows!.map((r) => r.warehouse)).toEqual(['W1'])
    expect((await warehouses({ virtual: true }, { virtual: true })).statusCode).toBe(200)
    expect((await query({ metric: 'stock.belowSafety' })).rows).toEqual([])
    expect((await query({ metric: 'stock.stockoutRate' })).total).toBeNull()
    expect((await warehouses({}, { virtual: true })).statusCode).toBe(200)
    expect((await query({ metric: 'stock.belowSafety' })).rows!.map((r) => r.warehouse)).toEqual(['W1'])
    expect((await query({ metric: 'stock.stockoutRate' })).total).toBe(0)
    expect((await warehouses({}, {})).statusCode).toBe(200)
    expect((await put('warehouses', [{ code: 'W3', name: 'x', virtual: 'yes' }])).statusCode).toBe(400)
  })
})
