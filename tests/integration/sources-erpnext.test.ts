/**
 * An ERPNext-shaped MariaDB database connected by configuration alone (PUT /api/v1/sources/:id),
 * read by the source runner inside the server: documents written the way ERPNext writes them —
 * receipts, deliveries, a transfer, a stock reconciliation, orders, an amendment, payments,
 * cancels (is_cancelled, docstatus 2), a sales return, a back-dated entry and a stock entry the
 * mapping cannot carry — and the cockpit's figures checked against sums computed in SQL from the
 * same tables, after the backfill and again after live changes.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { ErpnextWriter, createErpnextDb, shanghaiDate } from '../helpers/erpnext-db.ts'
import type { ErpDb } from '../helpers/erpnext-db.ts'

const tag = randomUUID().slice(0, 8)
const ENV = `TEST_ERPNEXT_URL_${tag.toUpperCase()}`
const ID = `erpnext-${tag}`
const since = shanghaiDate(-10)
const period = { from: `${since}T00:00:00+08:00`, to: `${shanghaiDate(1)}T00:00:00+08:00` }
const STORES = 'Stores - TC'
const SHOP = 'Shop - TC'

let db: ErpDb
let erp: ErpnextWriter
let server: TestServer

const admin = () => ({ authorization: `Bearer ${server.adminKey}` })

async function status() {
  const res = await server.app.inject({ method: 'GET', url: `/api/v1/sources/${ID}` })
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

/** waits until a poll that started after `t` read every stream to its end */
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
  const [row] = await db.sql<{ v: string | null }>(sql, values)
  return Math.round(Number(row?.v ?? 0) * 100) / 100
}

/** an item code longer than a cockpit code (64): its entries are rejected, so they are left out of the SQL sums */
const LONG_ITEM = `ITEM-${'X'.repeat(70)}`
const MAPPED = `sle.is_cancelled = 0 AND sle.item_code <> '${LONG_ITEM}'`
/** the ledger with each reconciliation's line: its entry keeps actual_qty 0, the change is counted − current_qty */
const LEDGER = "`tabStock Ledger Entry` sle LEFT JOIN `tabStock Reconciliation Item` sri ON sle.voucher_type = 'Stock Reconciliation' AND sri.name = sle.voucher_detail_no"
const CHANGE = "CASE WHEN sle.voucher_type = 'Stock Reconciliation' THEN sle.qty_after_transaction - sri.current_qty ELSE sle.actual_qty END"

/** every figure the cockpit shows, against the same figure computed in SQL from the ERP's tables */
async function expectFiguresMatchErp() {
  const expected: Record<string, number> = {
    'stock.qty': await one(`SELECT SUM(${CHANGE}) v FROM ${LEDGER} WHERE ${MAPPED}`),
    'stock.value': await one(`SELECT SUM(sle.stock_value_difference) v FROM ${LEDGER} WHERE ${MAPPED}`),
    'sales.revenue': await one('SELECT SUM(i.base_net_amount) v FROM `tabDelivery Note Item` i JOIN `tabDelivery Note` d ON d.name = i.parent WHERE d.docstatus = 1'),
    'sales.cogs': await one(`SELECT -SUM(sle.stock_value_difference) v FROM ${LEDGER} WHERE ${MAPPED} AND sle.voucher_type = 'Delivery Note'`),
    'purchase.receiptAmount': await one(
      `SELECT SUM(sle.actual_qty * sle.incoming_rate) v FROM ${LEDGER} WHERE ${MAPPED} AND sle.voucher_type = 'Purchase Receipt' AND sle.actual_qty > 0`,
    ),
    'transfer.qty': await one(
      `SELECT -SUM(sle.actual_qty) v FROM \`tabStock Ledger Entry\` sle JOIN \`tabStock Entry Detail\` d ON d.name = sle.voucher_detail_no
       WHERE sle.is_cancelled = 0 AND sle.voucher_type = 'Stock Entry' AND sle.actual_qty < 0 AND d.s_warehouse IS NOT NULL AND d.t_warehouse IS NOT NULL`,
    ),
    'sales.orderAmount': await one('SELECT SUM(i.base_net_amount) v FROM `tabSales Order Item` i JOIN `tabSales Order` o ON o.name = i.parent WHERE o.docstatus = 1'),
    'purchase.orderAmount': await one('SELECT SUM(i.base_net_amount) v FROM `tabPurchase Order Item` i JOIN `tabPurchase Order` o ON o.name = i.parent WHERE o.docstatus = 1'),
    'cash.in': await one("SELECT SUM(base_received_amount) v FROM `tabPayment Entry` WHERE docstatus = 1 AND payment_type = 'Receive'"),
    'cash.out': await one("SELECT SUM(base_paid_amount) v FROM `tabPayment Entry` WHERE docstatus = 1 AND payment_type = 'Pay'"),
  }
  // open order quantities: ordered − delivered against each submitted order line, never below 0
  expected['sales.backlogQty'] = await one(
    `SELECT SUM(GREATEST(0, o.qty - COALESCE(d.qty, 0))) v FROM
       (SELECT i.parent, i.item_code, SUM(i.stock_qty) qty FROM \`tabSales Order Item\` i JOIN \`tabSales Order\` so ON so.name = i.parent WHERE so.docstatus = 1 GROUP BY i.parent, i.item_code) o
       LEFT JOIN (SELECT i.against_sales_order parent, i.item_code, SUM(i.stock_qty) qty FROM \`tabDelivery Note Item\` i JOIN \`tabDelivery Note\` dn ON dn.name = i.parent
                  WHERE dn.docstatus = 1 AND dn.is_return = 0 GROUP BY i.against_sales_order, i.item_code) d ON d.parent = o.parent AND d.item_code = o.item_code`,
  )
  expected['purchase.backlogQty'] = await one(
    `SELECT SUM(GREATEST(0, o.qty - COALESCE(r.qty, 0))) v FROM
       (SELECT i.parent, i.item_code, SUM(i.stock_qty) qty FROM \`tabPurchase Order Item\` i JOIN \`tabPurchase Order\` po ON po.name = i.parent WHERE po.docstatus = 1 GROUP BY i.parent, i.item_code) o
       LEFT JOIN (SELECT i.purchase_order parent, i.item_code, SUM(i.stock_qty) qty FROM \`tabPurchase Receipt Item\` i JOIN \`tabPurchase Receipt\` pr ON pr.name = i.parent
                  WHERE pr.docstatus = 1 AND pr.is_return = 0 GROUP BY i.purchase_order, i.item_code) r ON r.parent = o.parent AND r.item_code = o.item_code`,
  )
  const actual: Record<string, number> = {}
  for (const metric of Object.keys(expected)) actual[metric] = await figure(metric)
  expect(actual).toEqual(expected)
  // and per warehouse, item by item
  for (const { item_code, warehouse, v } of await db.sql<{ item_code: string; warehouse: string; v: string }>(
    `SELECT sle.item_code, sle.warehouse, SUM(${CHANGE}) v FROM ${LEDGER} WHERE ${MAPPED} GROUP BY sle.item_code, sle.warehouse`,
  )) {
    expect(await figure('stock.qty', { sku: item_code, warehouse }), `${item_code} in ${warehouse}`).toBe(Number(v))
  }
  return expected
}

beforeAll(async () => {
  db = await createErpnextDb()
  erp = new ErpnextWriter(db)
  process.env[ENV] = db.url
  server = await startTestServer({ COCKPIT_SOURCES: 'on' })

  // history, written before the source is declared: the first run backfills it
  await erp.master(
    [
      { code: 'ITEM-A', group: 'Raw Material', safety: 5 },
      { code: 'ITEM-B', group: 'Raw Material' },
      { code: 'ITEM-C', group: 'Products' },
    ],
    [STORES, SHOP],
    ['CUST-1', 'CUST-2'],
    ['SUP-1'],
  )
  await erp.order('purchase', 'PUR-ORD-0001', 'SUP-1', shanghaiDate(-5), [
    { item: 'ITEM-A', wh: STORES, qty: 100, rate: 10, due: shanghaiDate(-3) },
    { item: 'ITEM-B', wh: STORES, qty: 50, rate: 20.5, due: shanghaiDate(-3) },
  ])
  await erp.receipt('MAT-PRE-0001', 'SUP-1', shanghaiDate(-4), '09:15:00', [
    { item: 'ITEM-A', wh: STORES, qty: 100, rate: 10, order: 'PUR-ORD-0001' },
    { item: 'ITEM-B', wh: STORES, qty: 50, rate: 20.5, order: 'PUR-ORD-0001' },
  ])
  await erp.order('sales', 'SAL-ORD-0001', 'CUST-1', shanghaiDate(-4), [{ item: 'ITEM-A', wh: STORES, qty: 30, rate: 25, due: shanghaiDate(-2) }])
  await erp.delivery('MAT-DN-0001', 'CUST-1', shanghaiDate(-3), '10:00:00', [{ item: 'ITEM-A', wh: STORES, qty: 30, rate: 25, order: 'SAL-ORD-0001' }])
  await erp.transfer('MAT-STE-0001', shanghaiDate(-3), '11:30:00', [{ item: 'ITEM-A', from: STORES, to: SHOP, qty: 20 }])
  await erp.reconcile('MAT-RECO-0001', shanghaiDate(-2), '17:00:00', [{ item: 'ITEM-B', wh: STORES, counted: 47 }])
  await erp.payment('ACC-PAY-0001', 'Receive', 'CUST-1', 750, shanghaiDate(-2))
  await erp.payment('ACC-PAY-0002', 'Pay', 'SUP-1', 1000, shanghaiDate(-2))
  // an order amended: the original cancelled, `-1` submitted with its own lines
  await erp.order('sales', 'SAL-ORD-0002', 'CUST-2', shanghaiDate(-2), [{ item: 'ITEM-B', wh: STORES, qty: 5, rate: 40, due: shanghaiDate(1) }])
  await erp.cancelOrder('sales', 'SAL-ORD-0002')
  await erp.order('sales', 'SAL-ORD-0002-1', 'CUST-2', shanghaiDate(-2), [{ item: 'ITEM-B', wh: STORES, qty: 6, rate: 40, due: shanghaiDate(1) }], 'SAL-ORD-0002')
  await erp.delivery('MAT-DN-0002', 'CUST-2', shanghaiDate(-1), '09:00:00', [{ item: 'ITEM-B', wh: STORES, qty: 4, rate: 40, order: 'SAL-ORD-0002-1' }])
  await erp.delivery('MAT-DN-RET-0001', 'CUST-1', shanghaiDate(-1), '15:00:00', [{ item: 'ITEM-A', wh: STORES, qty: 2, rate: 25 }], true)
  // received and cancelled before the cockpit ever saw it: its cancels are skips
  await erp.receipt('MAT-PRE-0002', 'SUP-1', shanghaiDate(-1), '16:00:00', [{ item: 'ITEM-C', wh: STORES, qty: 10, rate: 7 }])
  await erp.cancelVoucher('Purchase Receipt', 'MAT-PRE-0002')
  // a material issue (no transfer) of 1 unit at the valuation rate of 10: an adjustment of the stock
  await db.sql("INSERT INTO `tabStock Entry Detail` (name, parent, item_code, s_warehouse, qty, transfer_qty) VALUES ('issue-1', 'MAT-STE-0002', 'ITEM-A', ?, 1, 1)", [STORES])
  const issued = erp.now()
  await db.sql(
    "INSERT INTO `tabStock Ledger Entry` (name, creation, modified, item_code, warehouse, posting_date, posting_time, voucher_type, voucher_no, voucher_detail_no, actual_qty, valuation_rate, stock_value_difference, company) VALUES ('MAT-SLE-2026-900001', ?, ?, 'ITEM-A', ?, ?, '12:00:00', 'Stock Entry', 'MAT-STE-0002', 'issue-1', -1, 10, -10, 'Test Co')",
    [issued, issued, STORES, shanghaiDate(-1)],
  )
  // an item whose code no cockpit code can hold: its entry is rejected with the reason, the rest goes on
  await erp.receipt('MAT-PRE-0009', 'SUP-1', shanghaiDate(-1), '17:00:00', [{ item: LONG_ITEM, wh: STORES, qty: 1, rate: 1 }])
}, 60_000)

afterAll(async () => {
  delete process.env[ENV]
  await server?.close()
  await db?.drop()
}, 60_000)

describe('an ERPNext database connected by configuration', () => {
  test('the backfill gives the figures the ERP tables sum to', async () => {
    const declared = Date.now()
    const res = await server.app.inject({
      method: 'PUT',
      url: `/api/v1/sources/${ID}`,
      headers: admin(),
      payload: {
        id: ID,
        kind: 'erpnext',
        connectionEnv: ENV,
        mapping: { company: 'Test Co' },
        schedule: { pollIntervalMs: 200, pageSize: 4, settleMs: 0 },
        backfill: { since },
      },
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().version).toBe(1)
    const s = await caughtUpAfter(declared)

    const expected = await expectFiguresMatchErp()
    // the figures are not trivially zero: the scenario moves stock, money and orders
    expect(expected['sales.revenue']).toBe(30 * 25 - 2 * 25 + 4 * 40)
    expect(expected['sales.orderAmount']).toBe(30 * 25 + 6 * 40)
    expect(expected['stock.qty']).toBe(100 + 47 - 30 + 2 - 4 - 1)

    // master data came first: names and thresholds
    const skus = (await server.app.inject({ method: 'GET', url: '/api/v1/master/skus' })).json() as { code: string; name: string; category?: string; safetyStock?: number }[]
    expect(skus.find((k) => k.code === 'ITEM-A')).toEqual({ code: 'ITEM-A', name: 'Item ITEM-A', category: 'Raw Material', unit: 'Nos', safetyStock: 5 })
    const warehouses = (await server.app.inject({ method: 'GET', url: '/api/v1/master/warehouses' })).json() as { code: string }[]
    expect(warehouses.map((w) => w.code).sort()).toEqual([SHOP, STORES])

    // the counters: the cancelled receipt's cancels never had a movement to reverse (skips), the long code was rejected
    expect(s.status.counters.rejected).toBe(1)
    expect(s.status.counters.skipped).toBeGreaterThanOrEqual(2)
    expect(s.status.backfill.doneAt).not.toBeNull()
    expect(s.status.backfill.rows).toBe(s.status.counters.read)
    expect(s.rejects).toHaveLength(1)
    expect(s.rejects[0]).toMatchObject({ stream: 'stock-ledger', key: expect.stringMatching(/^MAT-SLE-/) })
    expect(s.rejects[0].reason).toMatch(/\/sku must not have more than 64 characters/i)
    expect(s.watermarks['stock-ledger'].key).toMatch(/^MAT-SLE-/)
  })

  test('live documents, cancels and a back-dated entry reach the figures; a re-sync doubles nothing', async () => {
    const before = await status()
    await erp.receipt('MAT-PRE-0003', 'SUP-1', shanghaiDate(-8), '08:00:00', [{ item: 'ITEM-C', wh: SHOP, qty: 5, rate: 8 }])
    await erp.cancelVoucher('Delivery Note', 'MAT-DN-0002')
    await erp.cancelPayment('ACC-PAY-0002')
    await erp.order('purchase', 'PUR-ORD-0002', 'SUP-1', shanghaiDate(0), [{ item: 'ITEM-C', wh: SHOP, qty: 12, rate: 8, due: shanghaiDate(3) }])
    await erp.cancelVoucher('Stock Entry', 'MAT-STE-0001')
    // a poll that starts once every document is committed reads them all
    const after = await caughtUpAfter(Date.now())
    const expected = await expectFiguresMatchErp()
    expect(expected['sales.revenue']).toBe(30 * 25 - 2 * 25)
    expect(expected['cash.out']).toBe(0)
    expect(expected['transfer.qty']).toBe(0)
    expect(after.status.counters.applied).toBeGreaterThan(before.status.counters.applied)
    expect(after.status.lagMs).toBeLessThan(5000)

    // re-read everything from the start: every movement comes back as a duplicate
    const resync = await server.app.inject({ method: 'POST', url: `/api/v1/sources/${ID}/resync`, headers: admin(), payload: { since } })
    expect(resync.statusCode, resync.body).toBe(200)
    const t2 = Date.now()
    const again = await caughtUpAfter(t2)
    expect(again.status.counters.applied).toBe(after.status.counters.applied)
    expect(again.status.counters.duplicate).toBeGreaterThan(after.status.counters.duplicate)
    await expectFiguresMatchErp()
  })

  test('pause stops reading; resume catches up', async () => {
    const paused = await server.app.inject({ method: 'POST', url: `/api/v1/sources/${ID}/pause`, headers: admin() })
    expect(paused.statusCode, paused.body).toBe(200)
    expect(paused.json().paused).toBe(true)
    for (let i = 0; i < 50 && server.app.sources.manager!.running().includes(ID); i++) await new Promise((r) => setTimeout(r, 100))
    expect(server.app.sources.manager!.running()).not.toContain(ID)
    expect((await status()).status.state).toBe('paused')
    const before = await figure('cash.in')
    await erp.payment('ACC-PAY-0003', 'Receive', 'CUST-2', 99.5, shanghaiDate(0))
    await new Promise((r) => setTimeout(r, 600))
    expect(await figure('cash.in')).toBe(before)

    const t = Date.now()
    const resumed = await server.app.inject({ method: 'POST', url: `/api/v1/sources/${ID}/resume`, headers: admin() })
    expect(resumed.statusCode).toBe(200)
    await caughtUpAfter(t)
    expect(await figure('cash.in')).toBe(before + 99.5)
    await expectFiguresMatchErp()
  })
})
