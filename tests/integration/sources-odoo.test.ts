/**
 * An Odoo-17-shaped PostgreSQL database connected by configuration (PUT /api/v1/sources/:id) and
 * read by the real source runner of a real server app: documents written the way Odoo writes them
 * (tests/support/erp-odoo.ts) — receipts against a purchase order, deliveries and a customer return
 * against sale orders, a transfer through transit, inventory adjustments, payments, a move and an
 * order cancelled before the cockpit saw them, a payment reset to draft, a back-dated receipt — the
 * connection terminated twice in the middle of the backfill (pg_terminate_backend), and the
 * cockpit's figures (POST /api/v1/query) checked against sums computed in SQL from the same tables,
 * after the backfill and after live changes. Last, a NOTIFY from a trigger on stock_move wakes a
 * source polling once an hour.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { shanghaiDate } from '../helpers/erpnext-db.ts'
import { OdooErp } from '../support/erp-odoo.ts'
import { SourceRunner } from '../../server/sources/runner.ts'
import { killingSqlClient, postgresKiller } from '../helpers/killing-sql-client.ts'

const tag = randomUUID().slice(0, 8)
const ENV = `TEST_ODOO_URL_${tag.toUpperCase()}`
const ID = `odoo-${tag}`
const since = shanghaiDate(-10)
const period = { from: `${since}T00:00:00+08:00`, to: `${shanghaiDate(1)}T00:00:00+08:00` }

let erp: OdooErp
let server: TestServer
let runner: SourceRunner | undefined
const doc: Record<string, number> = {}

const admin = () => ({ authorization: `Bearer ${server.adminKey}` })

/** `YYYY-MM-DD HH:MM:SS` in UTC, `days` from now at `hour` UTC (Odoo stores UTC without offset) */
function utc(days: number, hour = 2): string {
  const d = new Date(Date.now() + days * 86_400_000)
  d.setUTCHours(hour, 0, 0, 0)
  return d.toISOString().slice(0, 19).replace('T', ' ')
}
/** a minute ago, in UTC: a live document done now */
const justNow = () => new Date(Date.now() - 60_000).toISOString().slice(0, 19).replace('T', ' ')

async function status() {
  const res = await server.app.inject({ method: 'GET', url: `/api/v1/sources/${ID}` })
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

async function caughtUpAfter(t: number) {
  for (let i = 0; i < 300; i++) {
    const s = await status()
    if (s.status.caughtUpAt && Date.parse(s.status.caughtUpAt) > t && s.status.state === 'running') return s
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`source not caught up: ${JSON.stringify((await status()).status)}`)
}

async function figure(metric: string, filter?: Record<string, unknown>): Promise<number> {
  const level = ['stock.qty', 'stock.value', 'sales.backlogQty', 'purchase.backlogQty'].includes(metric)
  const query = { metric, ...(level ? {} : period), ...(filter && { filter }) }
  const res = await server.app.inject({ method: 'POST', url: '/api/v1/query', payload: query })
  expect(res.statusCode, `${JSON.stringify(query)} → ${res.body}`).toBe(200)
  return res.json().total ?? 0
}

async function one(sql: string, values: unknown[] = []): Promise<number> {
  const { rows } = await erp.pool.query(sql, values)
  return Math.round(Number(rows[0]?.v ?? 0) * 100) / 100
}

/** done moves of storable products with their locations' usages (every figure starts from these) */
const MOVES = `stock_move m JOIN product_product pp ON pp.id = m.product_id JOIN product_template pt ON pt.id = pp.product_tmpl_id
  JOIN stock_location ls ON ls.id = m.location_id JOIN stock_location ld ON ld.id = m.location_dest_id`
const DONE = `m.state = 'done' AND pt.type = 'product'`
const STOCK = `('internal', 'transit')`
/** the moves' valuation layers, summed per move */
const LAYERS = `LEFT JOIN (SELECT stock_move_id, SUM(value) AS value FROM stock_valuation_layer GROUP BY stock_move_id) v ON v.stock_move_id = m.id`

async function expectFiguresMatchErp() {
  const expected: Record<string, number> = {
    // a move into stock from outside adds its qty, out of stock takes it; stock → stock moves no total
    'stock.qty': await one(
      `SELECT SUM(CASE WHEN ld.usage IN ${STOCK} AND ls.usage NOT IN ${STOCK} THEN m.product_qty WHEN ls.usage IN ${STOCK} AND ld.usage NOT IN ${STOCK} THEN -m.product_qty ELSE 0 END) v
       FROM ${MOVES} WHERE ${DONE}`,
    ),
    'stock.value': await one(`SELECT SUM(v.value) v FROM ${MOVES} ${LAYERS} WHERE ${DONE}`),
    // each shipped (returned) qty at its sale line's subtotal per unit, rounded per movement as the cockpit does
    'sales.revenue': await one(
      `SELECT SUM(CASE WHEN ld.usage = 'customer' THEN 1 ELSE -1 END * ROUND(sol.price_subtotal / sol.product_uom_qty * m.product_qty, 2)) v
       FROM ${MOVES} JOIN sale_order_line sol ON sol.id = m.sale_line_id WHERE ${DONE} AND (ld.usage = 'customer' OR ls.usage = 'customer')`,
    ),
    'sales.cogs': await one(`SELECT -SUM(v.value) v FROM ${MOVES} ${LAYERS} WHERE ${DONE} AND (ld.usage = 'customer' OR ls.usage = 'customer')`),
    'purchase.receiptAmount': await one(`SELECT SUM(v.value) v FROM ${MOVES} ${LAYERS} WHERE ${DONE} AND ls.usage = 'supplier' AND ld.usage IN ${STOCK}`),
    'transfer.qty': await one(
      `SELECT SUM(m.product_qty) v FROM ${MOVES} LEFT JOIN stock_warehouse ws ON ws.id = ls.warehouse_id LEFT JOIN stock_warehouse wd ON wd.id = ld.warehouse_id
       WHERE ${DONE} AND ls.usage IN ${STOCK} AND ld.usage IN ${STOCK} AND COALESCE(ws.code, 'transit-' || ls.id) <> COALESCE(wd.code, 'transit-' || ld.id)`,
    ),
    'sales.orderAmount': await one(`SELECT SUM(price_subtotal) v FROM sale_order_line WHERE state = 'sale'`),
    'purchase.orderAmount': await one(`SELECT SUM(price_subtotal) v FROM purchase_order_line WHERE state = 'purchase'`),
    'cash.in': await one(
      `SELECT SUM(p.amount) v FROM account_payment p JOIN account_move am ON am.id = p.move_id WHERE am.state = 'posted' AND NOT p.is_internal_transfer AND p.payment_type = 'inbound'`,
    ),
    'cash.out': await one(
      `SELECT SUM(p.amount) v FROM account_payment p JOIN account_move am ON am.id = p.move_id WHERE am.state = 'posted' AND NOT p.is_internal_transfer AND p.payment_type = 'outbound'`,
    ),
    // open quantities: ordered − delivered (returns not counted back) per confirmed line, never below 0
    'sales.backlogQty': await one(
      `SELECT SUM(GREATEST(0, l.product_uom_qty - COALESCE((SELECT SUM(m.product_qty) FROM ${MOVES} WHERE ${DONE} AND m.sale_line_id = l.id AND ld.usage = 'customer'), 0))) v
       FROM sale_order_line l WHERE l.state = 'sale'`,
    ),
    'purchase.backlogQty': await one(
      `SELECT SUM(GREATEST(0, l.product_qty - COALESCE((SELECT SUM(m.product_qty) FROM ${MOVES} WHERE ${DONE} AND m.purchase_line_id = l.id AND ls.usage = 'supplier'), 0))) v
       FROM purchase_order_line l WHERE l.state = 'purchase'`,
    ),
  }
  const actual: Record<string, number> = {}
  for (const metric of Object.keys(expected)) actual[metric] = await figure(metric)
  expect(actual).toEqual(expected)
  // stock by warehouse and product: what enters a warehouse's locations minus what leaves them
  const { rows } = await erp.pool.query(
    `SELECT wh, sku, SUM(q) AS v FROM (
       SELECT COALESCE(w.code, 'transit-' || ld.id) AS wh, pp.default_code AS sku, m.product_qty AS q
         FROM ${MOVES} LEFT JOIN stock_warehouse w ON w.id = ld.warehouse_id WHERE ${DONE} AND ld.usage IN ${STOCK}
       UNION ALL
       SELECT COALESCE(w.code, 'transit-' || ls.id), pp.default_code, -m.product_qty
         FROM ${MOVES} LEFT JOIN stock_warehouse w ON w.id = ls.warehouse_id WHERE ${DONE} AND ls.usage IN ${STOCK}
     ) t GROUP BY wh, sku ORDER BY wh, sku`,
  )
  expect(rows.length).toBeGreaterThan(3)
  for (const r of rows as { wh: string; sku: string; v: string }[]) {
    expect(await figure('stock.qty', { sku: r.sku, warehouse: r.wh }), `${r.sku} in ${r.wh}`).toBe(Number(r.v))
  }
  return expected
}

beforeAll(async () => {
  erp = await OdooErp.create()
  process.env[ENV] = erp.url
  // sources are run by this test (its runner's connection is killed), not by the server's manager
  server = await startTestServer({ COCKPIT_SOURCES: 'off', COCKPIT_TZ: 'Asia/Shanghai', COCKPIT_CURRENCY: 'CNY' })
  const { ids } = erp
  const { COLA: cola, TEA: tea, WATER: water } = ids.products as Record<string, number>

  // purchase: one order, received in part (tea 40 of 50)
  const po = await erp.purchaseOrder({ name: 'P00001', dateOrder: utc(-6), datePlanned: utc(-5) }, [
    { product: cola!, qty: 100, priceUnit: 5 },
    { product: tea!, qty: 50, priceUnit: 3.5 },
    { product: water!, qty: 60, priceUnit: 1 },
  ])
  await erp.doneMove({ product: cola!, qty: 100, from: ids.locVendors, to: ids.whStock, date: utc(-5, 1), unitCost: 5, purchaseLine: po.lines[0] })
  await erp.doneMove({ product: tea!, qty: 40, from: ids.locVendors, to: ids.whStock, date: utc(-5, 1), unitCost: 3.5, purchaseLine: po.lines[1] })
  await erp.doneMove({ product: water!, qty: 60, from: ids.locVendors, to: ids.whStock, date: utc(-5, 2), unitCost: 1, purchaseLine: po.lines[2] })
  // sales: cola 30 ordered, 20 delivered; tea 10 delivered, 2 returned
  const s1 = await erp.saleOrder({ name: 'S00001', dateOrder: utc(-4), commitmentDate: utc(2) }, [{ product: cola!, qty: 30, priceUnit: 12 }])
  const s2 = await erp.saleOrder({ name: 'S00002', dateOrder: utc(-4, 3) }, [{ product: tea!, qty: 10, priceUnit: 8, discount: 5 }])
  doc.ship1 = await erp.doneMove({ product: cola!, qty: 20, from: ids.whStock, to: ids.locCustomers, date: utc(-3), unitCost: 5, saleLine: s1.lines[0] })
  doc.ship2 = await erp.doneMove({ product: tea!, qty: 10, from: ids.whStock, to: ids.locCustomers, date: utc(-3, 4), unitCost: 3.5, saleLine: s2.lines[0] })
  await erp.doneMove({ product: tea!, qty: 2, from: ids.locCustomers, to: ids.whStock, date: utc(-2), unitCost: 3.5, saleLine: s2.lines[0], returnOf: doc.ship2 })
  // a transfer WH → transit → BJ
  await erp.doneMove({ product: cola!, qty: 10, from: ids.whStock, to: ids.locTransit, date: utc(-2, 5) })
  await erp.doneMove({ product: cola!, qty: 10, from: ids.locTransit, to: ids.wh2Stock, date: utc(-2, 9) })
  // inventory adjustments at the products' only cost (so the cockpit's average values them as Odoo's layers do)
  await erp.doneMove({ product: water!, qty: 7, from: ids.locInventory, to: ids.whStock, date: utc(-2, 10), unitCost: 1, isInventory: true })
  await erp.doneMove({ product: cola!, qty: 3, from: ids.whStock, to: ids.locInventory, date: utc(-2, 10), unitCost: 5, isInventory: true })
  // done, then cancelled before the cockpit first read it: its cancel has nothing to reverse (skipped)
  doc.cancelledEarly = await erp.doneMove({ product: water!, qty: 5, from: ids.whStock, to: ids.locCustomers, date: utc(-2, 11), unitCost: 1 })
  await erp.cancelMove(doc.cancelledEarly)
  // an order confirmed then cancelled before the cockpit read it; one to be cancelled live
  const s3 = await erp.saleOrder({ name: 'S00003', dateOrder: utc(-2) }, [{ product: tea!, qty: 4, priceUnit: 8 }])
  await erp.setOrderState('sale', s3.order, 'cancel')
  doc.s4 = (await erp.saleOrder({ name: 'S00004', dateOrder: utc(-1), commitmentDate: utc(3) }, [{ product: water!, qty: 9, priceUnit: 2.5 }])).order
  // payments: in, out, an internal transfer (not trade), a draft, and one to be reset to draft live
  await erp.payment({ type: 'inbound', amount: 228, date: shanghaiDate(-3) })
  await erp.payment({ type: 'outbound', amount: 500, date: shanghaiDate(-3) })
  await erp.payment({ type: 'outbound', amount: 1000, date: shanghaiDate(-3), internal: true })
  await erp.payment({ type: 'inbound', amount: 55, date: shanghaiDate(-2), state: 'draft' })
  doc.payReset = await erp.payment({ type: 'inbound', amount: 77, date: shanghaiDate(-1) })
  // back-dated: done today for eight days ago
  await erp.doneMove({ product: tea!, qty: 12, from: ids.locVendors, to: ids.wh2Stock, date: utc(-8), unitCost: 3.5 })
}, 60_000)

afterAll(async () => {
  await runner?.stop()
  delete process.env[ENV]
  await server?.close()
  await erp?.drop()
}, 60_000)

describe('an Odoo database connected by configuration', () => {
  test('a backfill whose connection is terminated twice gives the figures the ERP tables sum to', async () => {
    const res = await server.app.inject({
      method: 'PUT',
      url: `/api/v1/sources/${ID}`,
      headers: admin(),
      payload: {
        id: ID,
        kind: 'odoo',
        connectionEnv: ENV,
        mapping: { company: String(erp.ids.company) },
        schedule: { pollIntervalMs: 200, pageSize: 3, settleMs: 0 },
        backfill: { since },
      },
    })
    expect(res.statusCode, res.body).toBe(200)
    const { stats, connect } = killingSqlClient(
      postgresKiller((text, values) => erp.pool.query(text, values)),
      new Set([7, 15]),
    )
    const t = Date.now()
    runner = await SourceRunner.start(ID, { ...server.app.sources.runnerDeps, backoffMs: 30, maxBackoffMs: 200, connect })
    expect(runner).toBeDefined()
    const s = await caughtUpAfter(t)
    expect(stats.kills).toBe(2)
    expect(JSON.stringify(s.status.lastError)).toMatch(/terminat|57P01|Connection/i)

    const expected = await expectFiguresMatchErp()
    // the scenario moves stock, money and orders
    expect(expected['stock.qty']).toBe(100 + 40 + 60 - 20 - 10 + 2 + 7 - 3 + 12)
    // 20 cola at 12; tea at 8 less 5 %: 10 delivered, 2 returned
    expect(expected['sales.revenue']).toBe(20 * 12 + 8 * 7.6)
    expect(expected['sales.backlogQty']).toBe(10 + 9)
    expect(expected['purchase.backlogQty']).toBe(10)
    expect(expected['transfer.qty']).toBe(20)

    // nothing doubled: each row gave its movements once; the re-read pages came back as duplicates
    const moves = await one(
      `SELECT COUNT(*) v FROM ${MOVES} WHERE ${DONE} AND NOT (ls.usage IN ${STOCK} AND ld.usage IN ${STOCK} AND COALESCE(ls.warehouse_id, -ls.id) = COALESCE(ld.warehouse_id, -ld.id))`,
    )
    const lines = await one(`SELECT (SELECT COUNT(*) FROM sale_order_line WHERE state = 'sale') + (SELECT COUNT(*) FROM purchase_order_line WHERE state = 'purchase') v`)
    const pays = await one(`SELECT COUNT(*) v FROM account_payment p JOIN account_move am ON am.id = p.move_id WHERE am.state = 'posted' AND NOT p.is_internal_transfer`)
    expect(s.status.counters.applied).toBe(moves + lines + pays)
    // the cancels of the move and order lines cancelled before they were read are skips, not errors
    expect(s.status.counters.rejected).toBe(0)
    expect(s.status.counters.skipped).toBeGreaterThanOrEqual(2)
    expect(s.status.backfill.doneAt).not.toBeNull()
  })

  test('live documents, cancels and a back-dated move reach the figures', async () => {
    const before = await status()
    const { ids } = erp
    const { COLA: cola, WATER: water } = ids.products as Record<string, number>
    await erp.doneMove({ product: water!, qty: 30, from: ids.locVendors, to: ids.whStock, date: justNow(), unitCost: 1 })
    await erp.doneMove({ product: cola!, qty: 4, from: ids.locVendors, to: ids.wh2Stock, date: utc(-7), unitCost: 5 })
    await erp.cancelMove(doc.ship1!)
    await erp.paymentToDraft(doc.payReset!)
    await erp.setOrderState('sale', doc.s4!, 'cancel')
    await erp.payment({ type: 'outbound', amount: 42.5, date: shanghaiDate(0) })
    const after = await caughtUpAfter(Date.now())
    const expected = await expectFiguresMatchErp()
    expect(expected['sales.revenue']).toBe(8 * 7.6)
    expect(expected['cash.in']).toBe(228)
    expect(expected['sales.backlogQty']).toBe(30)
    expect(after.status.counters.applied).toBeGreaterThan(before.status.counters.applied)
  })

  test('with a long poll interval, a NOTIFY from a trigger on stock_move has a new move applied within a second', async () => {
    // the trigger an Odoo DBA creates (docs/connectors.md "Waking on NOTIFY")
    await erp.pool.query(`
      CREATE FUNCTION cockpit_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('cockpit_odoo', TG_TABLE_NAME); RETURN NULL; END $$;
      CREATE TRIGGER cockpit_notify AFTER INSERT OR UPDATE ON stock_move FOR EACH STATEMENT EXECUTE FUNCTION cockpit_notify();
      CREATE TRIGGER cockpit_notify AFTER INSERT OR UPDATE ON account_payment FOR EACH STATEMENT EXECUTE FUNCTION cockpit_notify();
      CREATE TRIGGER cockpit_notify AFTER INSERT OR UPDATE ON account_move FOR EACH STATEMENT EXECUTE FUNCTION cockpit_notify();
      CREATE TRIGGER cockpit_notify AFTER INSERT OR UPDATE ON sale_order_line FOR EACH STATEMENT EXECUTE FUNCTION cockpit_notify();
      CREATE TRIGGER cockpit_notify AFTER INSERT OR UPDATE ON purchase_order_line FOR EACH STATEMENT EXECUTE FUNCTION cockpit_notify();`)
    const res = await server.app.inject({
      method: 'PUT',
      url: `/api/v1/sources/${ID}`,
      headers: admin(),
      payload: {
        id: ID,
        version: 1,
        kind: 'odoo',
        connectionEnv: ENV,
        mapping: { company: String(erp.ids.company) },
        schedule: { pollIntervalMs: 3_600_000, pageSize: 3, settleMs: 0, notifyChannel: 'cockpit_odoo' },
        backfill: { since },
      },
    })
    expect(res.statusCode, res.body).toBe(200)
    // the edit is seen at the runner's next commit (it polled every 200 ms until now); then it idles for an hour
    await caughtUpAfter(Date.now())
    await new Promise((r) => setTimeout(r, 500))
    const qty = await figure('stock.qty')
    const { ids } = erp
    const t = Date.now()
    await erp.doneMove({ product: ids.products.TEA!, qty: 6, from: ids.locVendors, to: ids.whStock, date: justNow(), unitCost: 3.5 })
    let now = qty
    while (now === qty && Date.now() - t < 3000) {
      await new Promise((r) => setTimeout(r, 20))
      now = await figure('stock.qty')
    }
    const took = Date.now() - t
    expect(now).toBe(qty + 6)
    expect(took).toBeLessThan(1000)
    await expectFiguresMatchErp()

    // the LISTEN connection terminated: the runner polls at once and listens again on a new one
    const listening = async () =>
      (await erp.pool.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'`)).rows.map((r: { pid: number }) => r.pid)
    const [pid] = await listening()
    expect(pid).toBeDefined()
    await erp.pool.query('SELECT pg_terminate_backend($1)', [pid])
    for (let i = 0; i < 100; i++) {
      const now = await listening()
      if (now.length === 1 && now[0] !== pid) break
      await new Promise((r) => setTimeout(r, 20))
    }
    expect((await listening()).filter((p) => p !== pid)).toHaveLength(1)
    const t2 = Date.now()
    await erp.doneMove({ product: ids.products.WATER!, qty: 4, from: ids.locVendors, to: ids.whStock, date: justNow(), unitCost: 1 })
    while (now === qty + 6 && Date.now() - t2 < 3000) {
      await new Promise((r) => setTimeout(r, 20))
      now = await figure('stock.qty')
    }
    expect(now).toBe(qty + 6 + 4)
    expect(Date.now() - t2).toBeLessThan(1000)

    // a pause is seen within the idle's version check (2 s), not at the end of the hour
    const t3 = Date.now()
    const paused = await server.app.inject({ method: 'POST', url: `/api/v1/sources/${ID}/pause`, headers: admin() })
    expect(paused.statusCode, paused.body).toBe(200)
    await runner!.done
    expect(Date.now() - t3).toBeLessThan(3000)
    expect((await status()).status.state).toBe('paused')
    const resumed = await server.app.inject({ method: 'POST', url: `/api/v1/sources/${ID}/resume`, headers: admin() })
    expect(resumed.statusCode, resumed.body).toBe(200)
    expect(resumed.json().version).toBe(4)
    runner = await SourceRunner.start(ID, server.app.sources.runnerDeps)
    expect(runner).toBeDefined()
    // a channel on a MySQL source is refused, naming the field
    const bad = await server.app.inject({
      method: 'PUT',
      url: '/api/v1/sources/not-pg',
      headers: admin(),
      payload: { id: 'not-pg', kind: 'jsherp', connectionEnv: ENV, schedule: { notifyChannel: 'x' } },
    })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().message).toMatch(/\/schedule\/notifyChannel/)
  })

  test('a move committed after a younger one was read is still applied within settleMs', async () => {
    // Odoo's write_date is the transaction's start: a transaction open 1.5 s commits a row older than one already read
    const res = await server.app.inject({
      method: 'PUT',
      url: `/api/v1/sources/${ID}`,
      headers: admin(),
      payload: {
        id: ID,
        version: 4,
        kind: 'odoo',
        connectionEnv: ENV,
        mapping: { company: String(erp.ids.company) },
        schedule: { pollIntervalMs: 100, pageSize: 3, settleMs: 5000, notifyChannel: 'cockpit_odoo' },
        backfill: { since },
      },
    })
    expect(res.statusCode, res.body).toBe(200)
    const { ids } = erp
    const qty = await figure('stock.qty')
    const long = await erp.pool.connect()
    try {
      await long.query('BEGIN')
      const { rows } = await long.query(
        `INSERT INTO stock_move (name, state, date, company_id, product_id, product_uom, product_uom_qty, product_qty, quantity, location_id, location_dest_id, price_unit, create_date, write_date)
         VALUES ('late', 'done', $1, $2, $3, $4, 11, 11, 11, $5, $6, 3.5, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC') RETURNING id`,
        [justNow(), ids.company, ids.products.TEA, ids.units, ids.locVendors, ids.whStock],
      )
      await long.query(
        `INSERT INTO stock_valuation_layer (company_id, product_id, quantity, unit_cost, value, remaining_qty, description, stock_move_id, create_date, write_date)
         VALUES ($1, $2, 11, 3.5, 38.5, 11, 'late', $3, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')`,
        [ids.company, ids.products.TEA, rows[0].id],
      )
      await new Promise((r) => setTimeout(r, 300))
      // a younger move, committed and read first
      await erp.doneMove({ product: ids.products.WATER!, qty: 2, from: ids.locVendors, to: ids.whStock, date: justNow(), unitCost: 1 })
      await caughtUpAfter(Date.now())
      expect(await figure('stock.qty')).toBe(qty + 2)
      await new Promise((r) => setTimeout(r, 1200))
      await long.query('COMMIT')
    } finally {
      long.release()
    }
    const { rows: order } = await erp.pool.query(`SELECT name FROM stock_move ORDER BY write_date DESC, id DESC LIMIT 2`)
    expect(order.map((r: { name: string }) => r.name)).toEqual(['move', 'late'])
    await caughtUpAfter(Date.now())
    expect(await figure('stock.qty')).toBe(qty + 2 + 11)
    await expectFiguresMatchErp()
  })
})
