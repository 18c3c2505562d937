/**
 * A jshERP-shaped MariaDB database connected by configuration (PUT /api/v1/sources/:id) and read by
 * the real source runner of a real server app: bills written the way jshERP writes them
 * (tests/support/erp-jsherp.ts) — orders, purchase receipts (one in boxes of 12), sales and retail
 * shipments with the money they carry, a sales return, a transfer, an other-out and a stock-count
 * correction, payments, a draft, a bill deleted and one edited before the cockpit read them, a
 * back-dated receipt — with 强审核 on, the connection killed twice in the middle of the backfill
 * (KILL CONNECTION), and the cockpit's figures (POST /api/v1/query) checked against sums computed in
 * SQL from the same tables as jshERP's own stock query counts them; then live bills, an
 * un-approval and a deleted payment, a bill edited after it was read and one approved again, seen at
 * the next read cycle.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { shanghaiDate } from '../helpers/erpnext-db.ts'
import { JSHERP_ADMIN_URL, JsherpErp, TENANT } from '../support/erp-jsherp.ts'
import { SourceRunner } from '../../server/sources/runner.ts'
import { CYCLE_SECONDS } from '../../server/sources/jsherp.ts'
import { killingSqlClient, mariadbKiller } from '../helpers/killing-sql-client.ts'

const tag = randomUUID().slice(0, 8)
const ENV = `TEST_JSHERP_URL_${tag.toUpperCase()}`
const ID = `jsherp-${tag}`
const since = shanghaiDate(-10)
const period = { from: `${since}T00:00:00+08:00`, to: `${shanghaiDate(1)}T00:00:00+08:00` }

let erp: JsherpErp
let server: TestServer
let runner: SourceRunner | undefined
const doc: Record<string, number> = {}

const admin = () => ({ authorization: `Bearer ${server.adminKey}` })
/** a local (Asia/Shanghai) time `days` from today, as jshERP stores it */
const local = (days: number, hour = 10) => `${shanghaiDate(days)} ${String(hour).padStart(2, '0')}:00:00`
/** a minute ago, local time */
const justNow = () => new Date(Date.now() + 8 * 3_600_000 - 60_000).toISOString().slice(0, 19).replace('T', ' ')

async function status() {
  const res = await server.app.inject({ method: 'GET', url: `/api/v1/sources/${ID}` })
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

async function caughtUpAfter(t: number, tries = 300) {
  for (let i = 0; i < tries; i++) {
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

async function one(sql: string): Promise<number> {
  const [row] = await erp.rows<{ v: string | null }>(sql)
  return Math.round(Number(row?.v ?? 0) * 100) / 100
}

/** a bill (and line) jshERP counts with 强审核 on: not deleted, approved (orders also 2/3, completed or in part) */
const COUNTS = `IFNULL(h.delete_flag,'0') != '1' AND IFNULL(i.delete_flag,'0') != '1' AND h.status IN ('1','2','3')`
const HEAD_COUNTS = `IFNULL(h.delete_flag,'0') != '1' AND h.status IN ('1','2','3')`
const LINES = 'jsh_depot_head h JOIN jsh_depot_item i ON i.header_id = h.id'
/** stock change per line as DepotItemMapperEx.xml getStockByParamWithDepotList counts it, plus the transfer's arrival */
const STOCK = `
  SELECT i.material_id AS m, i.depot_id AS d, CASE
    WHEN h.type = '入库' THEN i.basic_number
    WHEN h.type = '出库' THEN 0 - i.basic_number
    WHEN h.sub_type = '盘点复盘' THEN i.basic_number
    ELSE 0 END AS q
  FROM ${LINES} WHERE ${COUNTS}
  UNION ALL
  SELECT i.material_id, i.another_depot_id, i.basic_number FROM ${LINES} WHERE h.type = '出库' AND h.sub_type = '调拨' AND ${COUNTS}`
/** each material's purchase cost per base unit (the scenario buys each at one price) */
const COST = `SELECT i.material_id AS m, SUM(i.all_price) / SUM(i.basic_number) AS c FROM ${LINES} WHERE h.type = '入库' AND h.sub_type = '采购' GROUP BY i.material_id`
const SALES = `((h.type = '出库' AND h.sub_type IN ('销售', '零售')) OR (h.type = '入库' AND h.sub_type IN ('销售退货', '零售退货')))`
const SIGN = `CASE WHEN h.type = '出库' THEN 1 ELSE -1 END`
const MONEY_BILLS = `h.sub_type IN ('采购', '采购退货', '销售', '销售退货', '零售', '零售退货')`

async function expectFiguresMatchErp() {
  const expected: Record<string, number> = {
    'stock.qty': await one(`SELECT SUM(q) v FROM (${STOCK}) s`),
    'stock.value': await one(`SELECT SUM(s.q * c.c) v FROM (${STOCK}) s JOIN (${COST}) c ON c.m = s.m`),
    'sales.revenue': await one(`SELECT SUM(${SIGN} * i.all_price) v FROM ${LINES} WHERE ${COUNTS} AND ${SALES}`),
    'sales.cogs': await one(`SELECT SUM(${SIGN} * i.purchase_unit_price * i.oper_number) v FROM ${LINES} WHERE ${COUNTS} AND ${SALES}`),
    'purchase.receiptAmount': await one(`SELECT SUM(i.all_price) v FROM ${LINES} WHERE ${COUNTS} AND h.type = '入库' AND h.sub_type = '采购'`),
    'transfer.qty': await one(`SELECT SUM(i.basic_number) v FROM ${LINES} WHERE ${COUNTS} AND h.sub_type = '调拨'`),
    'sales.orderAmount': await one(`SELECT SUM(i.all_price) v FROM ${LINES} WHERE ${COUNTS} AND h.sub_type = '销售订单'`),
    'purchase.orderAmount': await one(`SELECT SUM(i.all_price) v FROM ${LINES} WHERE ${COUNTS} AND h.sub_type = '采购订单'`),
    'cash.in': await one(
      `SELECT (SELECT IFNULL(SUM(a.change_amount), 0) FROM jsh_account_head a WHERE IFNULL(a.delete_flag,'0') != '1' AND a.status IN ('1','2','3') AND a.type IN ('收款', '收预付款'))
            + (SELECT IFNULL(SUM(h.change_amount), 0) FROM jsh_depot_head h WHERE ${HEAD_COUNTS} AND ${MONEY_BILLS} AND h.change_amount > 0) v`,
    ),
    'cash.out': await one(
      `SELECT -(SELECT IFNULL(SUM(a.change_amount), 0) FROM jsh_account_head a WHERE IFNULL(a.delete_flag,'0') != '1' AND a.status IN ('1','2','3') AND a.type = '付款')
            - (SELECT IFNULL(SUM(h.change_amount), 0) FROM jsh_depot_head h WHERE ${HEAD_COUNTS} AND ${MONEY_BILLS} AND h.change_amount < 0) v`,
    ),
    // open quantities: ordered − shipped (received) by the bills linked to the order, per material, never below 0
    'sales.backlogQty': await one(backlog('销售订单', "h.type = '出库' AND h.sub_type = '销售'")),
    'purchase.backlogQty': await one(backlog('采购订单', "h.type = '入库' AND h.sub_type = '采购'")),
  }
  const actual: Record<string, number> = {}
  for (const metric of Object.keys(expected)) actual[metric] = await figure(metric)
  expect(actual).toEqual(expected)
  const byDepot = await erp.rows<{ m: number; d: number; v: string }>(`SELECT m, d, SUM(q) v FROM (${STOCK}) s GROUP BY m, d ORDER BY m, d`)
  expect(byDepot.length).toBeGreaterThan(3)
  for (const r of byDepot) expect(await figure('stock.qty', { sku: String(r.m), warehouse: String(r.d) }), `material ${r.m} in depot ${r.d}`).toBe(Number(r.v))
  return expected
}

function backlog(orderType: string, fulfil: string): string {
  return `SELECT SUM(GREATEST(0, o.q - IFNULL(f.q, 0))) v FROM
    (SELECT h.number n, i.material_id m, SUM(i.basic_number) q FROM ${LINES} WHERE ${COUNTS} AND h.sub_type = '${orderType}' GROUP BY h.number, i.material_id) o
    LEFT JOIN (SELECT h.link_number n, i.material_id m, SUM(i.basic_number) q FROM ${LINES} WHERE ${COUNTS} AND ${fulfil} GROUP BY h.link_number, i.material_id) f
    ON f.n = o.n AND f.m = o.m`
}

/** the movements the ERP's counting rows stand for: one per line (none for 盘点录入), one per trade payment */
async function movementCount(): Promise<number> {
  return one(
    `SELECT (SELECT COUNT(*) FROM ${LINES} WHERE ${COUNTS} AND h.sub_type NOT IN ('盘点录入', '请购单'))
          + (SELECT COUNT(*) FROM jsh_account_head a WHERE IFNULL(a.delete_flag,'0') != '1' AND a.status IN ('1','2','3') AND a.type IN ('收款', '收预付款', '付款'))
          + (SELECT COUNT(*) FROM jsh_depot_head h WHERE ${HEAD_COUNTS} AND ${MONEY_BILLS} AND h.change_amount <> 0) v`,
  )
}

beforeAll(async () => {
  erp = await JsherpErp.create()
  process.env[ENV] = `${JSHERP_ADMIN_URL}/${erp.name}`
  // the source is run by this test (its runner's connection is killed), not by the server's manager
  server = await startTestServer({ COCKPIT_SOURCES: 'off', COCKPIT_TZ: 'Asia/Shanghai', COCKPIT_CURRENCY: 'CNY' })
  const { depot1, depot2, supplier, customer, member, materials } = erp.ids
  const cola = materials['可乐']!
  const tea = materials['绿茶']!
  const water = materials['矿泉水']!

  await erp.bill({ type: '其它', subType: '采购订单', number: 'CGDD001', operTime: local(-6), organ: supplier }, [
    { material: cola, qty: 10, unit: '箱', unitPrice: 60, depot: depot1 },
    { material: tea, qty: 100, unitPrice: 2, depot: depot1 },
  ])
  await erp.bill({ type: '入库', subType: '采购', number: 'CGRK001', operTime: local(-5), organ: supplier, changeAmount: -300, linkNumber: 'CGDD001' }, [
    { material: cola, qty: 5, unit: '箱', unitPrice: 60, depot: depot1 },
    { material: tea, qty: 100, unitPrice: 2, depot: depot1 },
  ])
  await erp.bill({ type: '入库', subType: '采购', number: 'CGRK002', operTime: local(-5, 11), organ: supplier }, [{ material: water, qty: 200, unitPrice: 1, depot: depot1 }])
  await erp.bill({ type: '其它', subType: '销售订单', number: 'XSDD001', operTime: local(-4), organ: customer }, [{ material: cola, qty: 24, unitPrice: 8, depot: depot1 }])
  doc.shipment = (
    await erp.bill({ type: '出库', subType: '销售', number: 'XSCK001', operTime: local(-3), organ: customer, changeAmount: 150, linkNumber: 'XSDD001' }, [
      { material: cola, qty: 12, unitPrice: 8, purchaseUnitPrice: 5, depot: depot1 },
      { material: tea, qty: 10, unitPrice: 3.5, purchaseUnitPrice: 2, depot: depot1 },
    ])
  ).head
  await erp.bill({ type: '出库', subType: '零售', number: 'LSCK001', operTime: local(-3, 12), organ: member, changeAmount: 40 }, [
    { material: water, qty: 20, unitPrice: 2, purchaseUnitPrice: 1, depot: depot1 },
  ])
  await erp.bill({ type: '入库', subType: '销售退货', number: 'XSTH001', operTime: local(-2), organ: customer, changeAmount: -16 }, [
    { material: cola, qty: 2, unitPrice: 8, purchaseUnitPrice: 5, depot: depot1 },
  ])
  await erp.bill({ type: '出库', subType: '调拨', number: 'DBCK001', operTime: local(-2, 11) }, [{ material: tea, qty: 30, unitPrice: 2, depot: depot1, anotherDepot: depot2 }])
  await erp.bill({ type: '出库', subType: '其它', number: 'QTCK001', operTime: local(-2, 12) }, [{ material: water, qty: 3, unitPrice: 1, depot: depot1 }])
  await erp.bill({ type: '其它', subType: '盘点复盘', number: 'PDFP001', operTime: local(-2, 13) }, [{ material: tea, qty: 2, basicNumber: -2, unitPrice: 2, depot: depot1 }])
  // a draft (not approved under 强审核): skipped
  await erp.bill({ type: '入库', subType: '采购', number: 'CGRK003', operTime: local(-1), organ: supplier, status: '0' }, [{ material: tea, qty: 7, unitPrice: 2, depot: depot1 }])
  // deleted before the cockpit read it: its lines' cancels have nothing to reverse (skipped)
  const deleted = await erp.bill({ type: '入库', subType: '采购', number: 'CGRK004', operTime: local(-1, 11), organ: supplier }, [
    { material: water, qty: 10, unitPrice: 1, depot: depot1 },
  ])
  await erp.deleteBill(deleted.head)
  // edited before it was read: only the new lines exist
  const edited = await erp.bill({ type: '出库', subType: '销售', number: 'XSCK002', operTime: local(-1, 12), organ: customer }, [
    { material: tea, qty: 5, unitPrice: 3.5, purchaseUnitPrice: 2, depot: depot1 },
  ])
  await erp.editBill(edited.head, [{ material: tea, qty: 4, unitPrice: 3.5, purchaseUnitPrice: 2, depot: depot1 }])
  // back-dated: entered today for eight days ago
  await erp.bill({ type: '入库', subType: '采购', number: 'CGRK005', operTime: local(-8), organ: supplier }, [{ material: water, qty: 50, unitPrice: 1, depot: depot2 }])
  await erp.accountBill({ type: '收款', organ: customer, amount: 100, billNo: 'SK001', billTime: local(-2) })
  doc.payOut = await erp.accountBill({ type: '付款', organ: supplier, amount: 250, billNo: 'FK001', billTime: local(-2, 11) })
  await erp.accountBill({ type: '收预付款', organ: member, amount: 80, billNo: 'SYF001', billTime: local(-2, 12) })
  await erp.accountBill({ type: '收入', amount: 30, billNo: 'SR001', billTime: local(-2, 13) })
  await erp.accountBill({ type: '收款', organ: customer, amount: 60, billNo: 'SK002', billTime: local(-1), status: '0' })
}, 60_000)

afterAll(async () => {
  await runner?.stop()
  delete process.env[ENV]
  await server?.close()
  await erp?.drop()
}, 60_000)

describe('a jshERP database connected by configuration', () => {
  test('a backfill whose connection is killed twice gives the figures the ERP tables sum to', async () => {
    const res = await server.app.inject({
      method: 'PUT',
      url: `/api/v1/sources/${ID}`,
      headers: admin(),
      payload: {
        id: ID,
        kind: 'jsherp',
        connectionEnv: ENV,
        mapping: { company: String(TENANT) },
        schedule: { pollIntervalMs: 200, pageSize: 3, settleMs: 0 },
        backfill: { since },
      },
    })
    expect(res.statusCode, res.body).toBe(200)
    const { stats, connect } = killingSqlClient(
      mariadbKiller((text) => erp.rows(text)),
      new Set([7, 13]),
    )
    const t = Date.now()
    runner = await SourceRunner.start(ID, { ...server.app.sources.runnerDeps, backoffMs: 30, maxBackoffMs: 200, connect })
    expect(runner).toBeDefined()
    const s = await caughtUpAfter(t)
    expect(stats.kills).toBe(2)
    expect(JSON.stringify(s.status.lastError)).toMatch(/closed|lost|killed|ECONNRESET|PROTOCOL|interrupted/i)

    const expected = await expectFiguresMatchErp()
    expect(expected['stock.qty']).toBe(60 + 100 + 200 - 12 - 10 - 20 + 2 - 3 - 2 - 4 + 50)
    expect(expected['sales.revenue']).toBe(96 + 35 + 40 - 16 + 14)
    expect(expected['cash.in']).toBe(100 + 80 + 150 + 40)
    expect(expected['cash.out']).toBe(250 + 300 + 16)
    expect(expected['purchase.backlogQty']).toBe(60)
    expect(expected['sales.backlogQty']).toBe(12)
    // nothing doubled: each counting row gave its movement once (re-read pages are duplicates)
    expect(s.status.counters.applied).toBe(await movementCount())
    // the deleted bill's cancel never had a movement to reverse: a skip, not an error
    expect(s.status.counters.rejected).toBe(0)
    expect(s.status.counters.skipped).toBeGreaterThanOrEqual(3)
    expect(s.status.backfill.doneAt).not.toBeNull()
  })

  test('live bills, an un-approval and a deleted payment reach the figures at the next read cycle', async () => {
    const { depot1, depot2, supplier, customer, materials } = erp.ids
    await erp.bill({ type: '出库', subType: '销售', number: 'XSCK003', operTime: justNow(), organ: customer, changeAmount: 48, linkNumber: 'XSDD001' }, [
      { material: materials['可乐']!, qty: 6, unitPrice: 8, purchaseUnitPrice: 5, depot: depot1 },
    ])
    await erp.bill({ type: '入库', subType: '采购', number: 'CGRK006', operTime: local(-7), organ: supplier }, [
      { material: materials['矿泉水']!, qty: 30, unitPrice: 1, depot: depot2 },
    ])
    await erp.bill({ type: '其它', subType: '采购订单', number: 'CGDD002', operTime: justNow(), organ: supplier }, [
      { material: materials['绿茶']!, qty: 20, unitPrice: 2, depot: depot1 },
    ])
    // new ids are read at the next poll
    await caughtUpAfter(Date.now())
    expect(await figure('sales.orderAmount')).toBe(24 * 8)
    expect(await figure('purchase.orderAmount')).toBe(600 + 200 + 40)
    // 反审核 and 删除 change rows in place: seen when the next read cycle re-scans recent bills
    await erp.setStatus(doc.shipment!, '0')
    await erp.deleteAccountBill(doc.payOut!)
    const cycleMs = CYCLE_SECONDS * 1000
    const nextCycle = Math.ceil(Date.now() / cycleMs) * cycleMs
    await caughtUpAfter(nextCycle + 500, 1000)
    const expected = await expectFiguresMatchErp()
    expect(expected['sales.revenue']).toBe(40 - 16 + 14 + 48)
    expect(expected['sales.backlogQty']).toBe(24 - 6)
    expect(expected['cash.out']).toBe(300 + 16)
    expect((await status()).status.counters.rejected).toBe(0)
  }, 120_000)

  test('a bill edited after it was read, and one approved again after its un-approval was read: both right at the next read cycle', async () => {
    const { depot1, customer, materials } = erp.ids
    const tea = materials['绿茶']!
    const cola = materials['可乐']!
    const bill = await erp.bill({ type: '出库', subType: '销售', number: 'XSCK004', operTime: justNow(), organ: customer }, [
      { material: tea, qty: 3, unitPrice: 3.5, purchaseUnitPrice: 2, depot: depot1 },
      { material: cola, qty: 2, unitPrice: 8, purchaseUnitPrice: 5, depot: depot1 },
    ])
    await caughtUpAfter(Date.now())
    const before = await expectFiguresMatchErp()
    // 反审核, 修改 (old lines deleted for good, new ones inserted), 审核 — quicker than a read cycle, so the
    // un-approval may never be read: only the runner's check of the bill's lines can cancel the old ones
    await erp.setStatus(bill.head, '0')
    const edited = await erp.editBill(bill.head, [{ material: tea, qty: 1, unitPrice: 3.5, purchaseUnitPrice: 2, depot: depot1 }])
    await erp.setStatus(bill.head, '1')
    expect(edited.every((id) => !bill.lines.includes(id))).toBe(true)
    // the shipment un-approved in the test before (its lines' movements cancelled) is approved again: it counts again
    await erp.setStatus(doc.shipment!, '1')
    const cycleMs = CYCLE_SECONDS * 1000
    const nextCycle = Math.ceil(Date.now() / cycleMs) * cycleMs
    await caughtUpAfter(nextCycle + 500, 1000)
    const after = await expectFiguresMatchErp()
    expect(after['sales.revenue']).toBeCloseTo(before['sales.revenue']! - 3 * 3.5 - 2 * 8 + 3.5 + (12 * 8 + 10 * 3.5), 2)
    expect(after['stock.qty']).toBe(before['stock.qty']! + 3 + 2 - 1 - 12 - 10)
    expect(after['sales.backlogQty']).toBe(24 - 6 - 12)
    expect((await status()).status.counters.rejected).toBe(0)
  }, 180_000)
})
