/**
 * The jshERP mapping against a real MariaDB: bills written as jshERP writes them
 * (tests/support/erp-jsherp.ts), every stream read page by page through `mysql2` with a small
 * limit, and the movements compared with what jshERP's own stock query
 * (DepotItemMapperEx.xml `getStockByParamWithDepotList`, approved bills only) and sums in SQL give.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Movement } from '../../protocol/movement.ts'
import { jsherpAccountPayments, jsherpBillPayments, jsherpDepotLines, jsherpMapping } from '../../server/sources/jsherp.ts'
import type { MapContext, StreamMapping, Watermark } from '../../server/sources/mapping.ts'
import { JsherpErp } from '../support/erp-jsherp.ts'
import { field, foldResults, readStream, sumOf } from '../support/erp-read.ts'
import type { RunQuery, StreamRead } from '../support/erp-read.ts'

const ctx: MapContext = { tz: 'Asia/Shanghai', baseCurrency: 'CNY', idPrefix: 'j1:', company: '63' }
const LIMIT = 6
const BULK = 40

let erp: JsherpErp
let run: RunQuery
const reads = new Map<string, StreamRead>()
const doc: Record<string, number> = {}

beforeAll(async () => {
  erp = await JsherpErp.create()
  run = async (q) => (await erp.pool.query(q.text, q.values))[0] as Record<string, unknown>[]
  const { depot1, depot2, supplier, customer, member, materials } = erp.ids
  const cola = materials['可乐']!
  const tea = materials['绿茶']!
  const water = materials['矿泉水']!

  await erp.bill({ type: '其它', subType: '采购订单', number: 'CGDD001', operTime: '2026-12-01 09:00:00', organ: supplier }, [
    { material: cola, qty: 5, unit: '箱', unitPrice: 60, depot: depot1 },
    { material: tea, qty: 100, unitPrice: 2, depot: depot1 },
  ])
  doc.receipt = (
    await erp.bill({ type: '入库', subType: '采购', number: 'CGRK001', operTime: '2026-12-02 10:00:00', organ: supplier, changeAmount: -300, linkNumber: 'CGDD001' }, [
      { material: cola, qty: 5, unit: '箱', unitPrice: 60, depot: depot1 },
      { material: tea, qty: 100, unitPrice: 2, depot: depot1 },
    ])
  ).head
  await erp.bill({ type: '入库', subType: '其它', number: 'QTRK001', operTime: '2026-12-02 11:00:00' }, [{ material: water, qty: 200, unitPrice: 1, depot: depot1 }])
  await erp.bill({ type: '其它', subType: '销售订单', number: 'XSDD001', operTime: '2026-12-02 12:00:00', organ: customer }, [
    { material: cola, qty: 24, unitPrice: 8, depot: depot1 },
  ])
  doc.shipment = (
    await erp.bill({ type: '出库', subType: '销售', number: 'XSCK001', operTime: '2026-12-03 09:00:00', organ: customer, changeAmount: 50, linkNumber: 'XSDD001' }, [
      { material: cola, qty: 24, unitPrice: 8, purchaseUnitPrice: 5, depot: depot1 },
      { material: tea, qty: 10, unitPrice: 3.5, purchaseUnitPrice: 2, depot: depot1 },
    ])
  ).head
  await erp.bill({ type: '出库', subType: '零售', number: 'LSCK001', operTime: '2026-12-03 10:00:00', organ: member, changeAmount: 40 }, [
    { material: water, qty: 20, unitPrice: 2, purchaseUnitPrice: 1, depot: depot1 },
  ])
  await erp.bill({ type: '入库', subType: '销售退货', number: 'XSTH001', operTime: '2026-12-03 11:00:00', organ: customer, changeAmount: -16 }, [
    { material: cola, qty: 2, unitPrice: 8, purchaseUnitPrice: 5, depot: depot1 },
  ])
  await erp.bill({ type: '出库', subType: '采购退货', number: 'CGTH001', operTime: '2026-12-03 12:00:00', organ: supplier, changeAmount: 10 }, [
    { material: tea, qty: 5, unitPrice: 2, depot: depot1 },
  ])
  await erp.bill({ type: '出库', subType: '调拨', number: 'DBCK001', operTime: '2026-12-03 13:00:00' }, [
    { material: tea, qty: 30, unitPrice: 2, depot: depot1, anotherDepot: depot2 },
  ])
  doc.otherOut = (
    await erp.bill({ type: '出库', subType: '其它', number: 'QTCK001', operTime: '2026-12-03 14:00:00' }, [{ material: water, qty: 3, unitPrice: 1, depot: depot1 }])
  ).head
  await erp.bill({ type: '其它', subType: '组装单', number: 'ZZD001', operTime: '2026-12-03 15:00:00' }, [
    { material: cola, qty: 1, unitPrice: 0, depot: depot1, materialType: '组合件' },
    { material: water, qty: 1, unitPrice: 0, depot: depot1, materialType: '普通子件' },
  ])
  await erp.bill({ type: '其它', subType: '盘点复盘', number: 'PDFP001', operTime: '2026-12-03 16:00:00' }, [
    { material: tea, qty: 2, basicNumber: -2, unitPrice: 2, depot: depot1 },
    { material: water, qty: 4, unitPrice: 1, depot: depot1 },
  ])
  await erp.bill({ type: '其它', subType: '盘点录入', number: 'PDLR001', operTime: '2026-12-03 16:00:00' }, [{ material: tea, qty: 53, unitPrice: 2, depot: depot1 }])
  doc.draft = (
    await erp.bill({ type: '入库', subType: '采购', number: 'CGRK002', operTime: '2026-12-04 09:00:00', organ: supplier, status: '0' }, [
      { material: tea, qty: 7, unitPrice: 2, depot: depot1 },
    ])
  ).head
  // back-dated: entered today for the evening of 1 October (local time)
  doc.backdated = (
    await erp.bill({ type: '入库', subType: '采购', number: 'CGRK003', operTime: '2026-10-01 23:30:00', organ: supplier }, [
      { material: water, qty: 50, unitPrice: 0.9, depot: depot2 },
    ])
  ).lines[0]!
  for (let i = 0; i < BULK; i++) {
    await erp.bill({ type: '出库', subType: '零售', number: `LSCK1${String(i).padStart(3, '0')}`, operTime: '2026-12-04 18:00:00', organ: member }, [
      { material: water, qty: 1 + (i % 3), unitPrice: 2, purchaseUnitPrice: 1, depot: depot1 },
    ])
  }
  await erp.accountBill({ type: '收款', organ: customer, amount: 100, billNo: 'SK001', billTime: '2026-12-04 10:00:00' })
  doc.payOut = await erp.accountBill({ type: '付款', organ: supplier, amount: 250, billNo: 'FK001', billTime: '2026-12-04 11:00:00' })
  await erp.accountBill({ type: '收预付款', organ: member, amount: 80, billNo: 'SYF001', billTime: '2026-12-04 12:00:00' })
  await erp.accountBill({ type: '收入', amount: 30, billNo: 'SR001', billTime: '2026-12-04 12:00:00' })
  await erp.accountBill({ type: '收款', organ: customer, amount: 60, billNo: 'SK002', billTime: '2026-12-04 13:00:00', status: '0' })
})

afterAll(async () => {
  await erp?.drop()
})

/** The watermark a later read cycle starts from: same key, an older cycle (the runner's next minute). */
const nextCycle = (wm: Watermark | null): Watermark | null => (wm ? { ...wm, modified: '2000-01-01T00:00:00.000Z' } : null)

async function readAll(stream: StreamMapping, after?: Watermark | null) {
  const prev = reads.get(stream.name)
  const read = await readStream(stream, run, ctx, { after: after === undefined ? (prev?.watermark ?? null) : after, limit: LIMIT })
  reads.set(stream.name, prev ? { ...read, keys: [...prev.keys, ...read.keys], results: [...prev.results, ...read.results] } : read)
  return read
}

const allIds = async (table: string) => (await erp.rows<{ k: string }>(`SELECT CAST(id AS CHAR) AS k FROM ${table} ORDER BY id`)).map((r) => r.k)

/** jshERP's stock by material × depot (DepotItemMapperEx.xml): undeleted bills, approved ones only when 强审核 is on. */
async function jsherpStock(db: JsherpErp = erp, forceApproval = true): Promise<Map<string, number>> {
  const live = `IFNULL(h.delete_flag,'0') != '1' AND IFNULL(i.delete_flag,'0') != '1'${forceApproval ? ` AND h.status IN ('1','2','3')` : ''}`
  const rows = await db.rows<{ m: number; d: number; q: string }>(`
    SELECT m, d, SUM(q) AS q FROM (
      SELECT i.material_id AS m, i.depot_id AS d, CASE
        WHEN h.type = '入库' THEN i.basic_number
        WHEN h.type = '出库' THEN 0 - i.basic_number
        WHEN h.sub_type = '组装单' AND i.material_type = '组合件' THEN i.basic_number
        WHEN h.sub_type = '组装单' AND i.material_type = '普通子件' THEN 0 - i.basic_number
        WHEN h.sub_type = '拆卸单' AND i.material_type = '普通子件' THEN i.basic_number
        WHEN h.sub_type = '拆卸单' AND i.material_type = '组合件' THEN 0 - i.basic_number
        WHEN h.sub_type = '盘点复盘' THEN i.basic_number
        ELSE 0 END AS q
      FROM jsh_depot_head h JOIN jsh_depot_item i ON i.header_id = h.id WHERE ${live}
      UNION ALL
      SELECT i.material_id, i.another_depot_id, i.basic_number
      FROM jsh_depot_head h JOIN jsh_depot_item i ON i.header_id = h.id WHERE h.type = '出库' AND h.sub_type = '调拨' AND ${live}
    ) t GROUP BY m, d`)
  const out = new Map<string, number>()
  for (const r of rows) if (Number(r.q) !== 0) out.set(`j1:${r.m}|j1:${r.d}`, Number(r.q))
  return out
}

/** The stock the movements leave by sku × warehouse, as the cockpit books them. */
function cockpitStock(live: readonly Movement[]): Map<string, number> {
  const out = new Map<string, number>()
  const add = (sku: string, wh: string, q: number) => out.set(`${sku}|${wh}`, Math.round(((out.get(`${sku}|${wh}`) ?? 0) + q) * 1000) / 1000)
  for (const m of live) {
    if (m.type === 'purchase_receipt' || m.type === 'sales_return') add(m.sku, m.warehouse, m.qty)
    else if (m.type === 'purchase_return' || m.type === 'sales_shipment') add(m.sku, m.warehouse, -m.qty)
    else if (m.type === 'transfer') {
      add(m.sku, m.warehouse, -m.qty)
      add(m.sku, m.toWarehouse, m.qty)
    } else if (m.type === 'stocktake') add(m.sku, m.warehouse, m.countedQty - (m.bookQty ?? 0))
  }
  for (const [k, v] of out) if (v === 0) out.delete(k)
  return out
}

const num1 = async (sql: string) => Number((await erp.rows<{ v: string | null }>(sql))[0]?.v ?? 0)
const LIVE_LINE = `IFNULL(h.delete_flag,'0') != '1' AND IFNULL(i.delete_flag,'0') != '1' AND h.status IN ('1','2','3')`
const lineSum = (expr: string, type: string, subTypes: string) =>
  num1(`SELECT SUM(${expr}) AS v FROM jsh_depot_head h JOIN jsh_depot_item i ON i.header_id = h.id WHERE h.type = '${type}' AND h.sub_type IN (${subTypes}) AND ${LIVE_LINE}`)

async function expectFiguresMatchSql() {
  const lines = foldResults(reads.get('depot-lines')!.results)
  expect(lines.rejected).toEqual([])
  const live = lines.live
  expect(cockpitStock(live)).toEqual(await jsherpStock())
  expect(sumOf(live, 'purchase_receipt', field('qty'))).toBeCloseTo(await lineSum('i.basic_number', '入库', "'采购'"), 3)
  expect(sumOf(live, 'purchase_receipt', field('lineAmount'))).toBeCloseTo(await lineSum('i.all_price', '入库', "'采购'"), 2)
  expect(sumOf(live, 'sales_shipment', field('qty'))).toBeCloseTo(await lineSum('i.basic_number', '出库', "'销售','零售'"), 3)
  expect(sumOf(live, 'sales_shipment', field('lineAmount'))).toBeCloseTo(await lineSum('i.all_price', '出库', "'销售','零售'"), 2)
  expect(sumOf(live, 'sales_shipment', field('lineCost'))).toBeCloseTo(await lineSum('i.purchase_unit_price * i.oper_number', '出库', "'销售','零售'"), 2)
  expect(sumOf(live, 'sales_return', field('lineAmount'))).toBeCloseTo(await lineSum('i.all_price', '入库', "'销售退货','零售退货'"), 2)
  expect(sumOf(live, 'purchase_order', field('lineAmount'))).toBeCloseTo(await lineSum('i.all_price', '其它', "'采购订单'"), 2)
  expect(sumOf(live, 'sales_order', field('qty'))).toBeCloseTo(await lineSum('i.basic_number', '其它', "'销售订单'"), 3)

  const pays = foldResults([...reads.get('account-payments')!.results, ...reads.get('bill-payments')!.results]).live
  const accountIn = await num1(`SELECT SUM(ABS(change_amount)) AS v FROM jsh_account_head WHERE type IN ('收款','收预付款') AND status = '1' AND IFNULL(delete_flag,'0') != '1'`)
  const accountOut = await num1(`SELECT SUM(ABS(change_amount)) AS v FROM jsh_account_head WHERE type = '付款' AND status = '1' AND IFNULL(delete_flag,'0') != '1'`)
  const billSum = (sign: string) =>
    num1(
      `SELECT SUM(ABS(change_amount)) AS v FROM jsh_depot_head h WHERE h.type IN ('入库','出库') AND h.sub_type IN ('采购','采购退货','销售','销售退货','零售','零售退货') AND h.change_amount ${sign} 0 AND h.status IN ('1','2','3') AND IFNULL(h.delete_flag,'0') != '1'`,
    )
  expect(sumOf(pays, 'payment_in', field('amount'))).toBeCloseTo(accountIn + (await billSum('>')), 2)
  expect(sumOf(pays, 'payment_out', field('amount'))).toBeCloseTo(accountOut + (await billSum('<')), 2)
}

describe('jshERP mapping against MariaDB', () => {
  test('paging by watermark visits every row once per read cycle', async () => {
    const tables = { 'depot-lines': 'jsh_depot_item', 'account-payments': 'jsh_account_head', 'bill-payments': 'jsh_depot_head' } as const
    for (const stream of jsherpMapping.streams) {
      const read = await readAll(stream)
      let expected = await allIds(tables[stream.name as keyof typeof tables])
      if (stream.name === 'bill-payments')
        expected = (
          await erp.rows<{ k: string }>(
            `SELECT CAST(id AS CHAR) AS k FROM jsh_depot_head WHERE type IN ('入库','出库') AND sub_type IN ('采购','采购退货','销售','销售退货','零售','零售退货') ORDER BY id`,
          )
        ).map((r) => r.k)
      // a read that crosses into the next minute re-reads the recent bills once: each row once per cycle
      const byCycle = new Map<string, string[]>()
      for (const r of read.results) byCycle.set(r.modified, [...(byCycle.get(r.modified) ?? []), r.key])
      for (const keys of byCycle.values()) expect(new Set(keys).size, stream.name).toBe(keys.length)
      expect(
        [...new Set(read.keys)].sort((a, b) => Number(a) - Number(b)),
        stream.name,
      ).toEqual(expected)
      expect(read.pages, stream.name).toBeGreaterThanOrEqual(Math.ceil(expected.length / LIMIT))
    }
    // nothing new in the same cycle
    expect((await readStream(jsherpDepotLines, run, ctx, { after: reads.get('depot-lines')!.watermark, limit: LIMIT })).keys).toEqual([])
  })

  test('a backfill from a date reads the bills of that local day on; another tenant reads nothing', async () => {
    const from1 = await readStream(jsherpDepotLines, run, ctx, { limit: LIMIT, since: '2026-10-01' })
    const from2 = await readStream(jsherpDepotLines, run, ctx, { limit: LIMIT, since: '2026-10-02' })
    expect(from1.keys).toContain(String(doc.backdated))
    expect(from2.keys).not.toContain(String(doc.backdated))
    expect(from2.keys).toHaveLength(from1.keys.length - 1)
    expect((await readStream(jsherpDepotLines, run, { ...ctx, company: '64' }, { limit: LIMIT })).keys).toEqual([])
  })

  test('the movements give the stock jshERP computes and the sums SQL computes', async () => {
    await expectFiguresMatchSql()
    const live = foldResults(reads.get('depot-lines')!.results).live
    // the back-dated line is on its own local date, with Shanghai's offset
    expect(live.find((m) => m.id === `j1:dl:${doc.backdated}`)?.occurredAt).toBe('2026-10-01T23:30:00+08:00')
    // 5 箱 is 60 个 in the base unit, at 60 / 12 = 5 a piece
    expect(live.find((m) => m.type === 'purchase_receipt' && m.sku === `j1:${erp.ids.materials['可乐']}`)).toMatchObject({
      qty: 60,
      unitCost: 5,
      lineAmount: 300,
      ref: 'j1:CGDD001',
    })
  })

  test('a later cycle re-reads recent bills: deletions, un-approvals, approvals and edits reach the figures', async () => {
    const water = erp.ids.materials['矿泉水']!
    await erp.deleteBill(doc.shipment!)
    await erp.setStatus(doc.receipt!, '0')
    await erp.setStatus(doc.draft!, '1')
    await erp.deleteAccountBill(doc.payOut!)
    // 反审核 then edit: the un-approval is read in one cycle, the edit in the next
    await erp.setStatus(doc.otherOut!, '0')
    for (const stream of jsherpMapping.streams) await readAll(stream, nextCycle(reads.get(stream.name)!.watermark))
    await expectFiguresMatchSql()
    await erp.editBill(doc.otherOut!, [{ material: water, qty: 5, unitPrice: 1, depot: erp.ids.depot1 }])
    await erp.setStatus(doc.otherOut!, '1')
    const read = await readAll(jsherpDepotLines, nextCycle(reads.get('depot-lines')!.watermark))
    expect(read.keys.length).toBeGreaterThan(BULK)
    for (const stream of [jsherpAccountPayments, jsherpBillPayments]) await readAll(stream, nextCycle(reads.get(stream.name)!.watermark))
    await expectFiguresMatchSql()
    const folded = foldResults(reads.get('depot-lines')!.results)
    expect(folded.cancelled.size).toBeGreaterThanOrEqual(5)
  })

  test("with 强审核 off (jshERP's default) every bill that is not deleted counts, approved or not", async () => {
    const db = await JsherpErp.create()
    try {
      await db.setForceApproval('0')
      const { depot1, supplier, customer, materials } = db.ids
      await db.bill({ type: '入库', subType: '采购', number: 'CGRK101', operTime: '2026-12-05 09:00:00', organ: supplier, status: '0' }, [
        { material: materials['绿茶']!, qty: 40, unitPrice: 2, depot: depot1 },
      ])
      await db.bill({ type: '出库', subType: '销售', number: 'XSCK101', operTime: '2026-12-05 10:00:00', organ: customer, status: '0' }, [
        { material: materials['绿茶']!, qty: 15, unitPrice: 3, purchaseUnitPrice: 2, depot: depot1 },
      ])
      const gone = await db.bill({ type: '出库', subType: '销售', number: 'XSCK102', operTime: '2026-12-05 11:00:00', organ: customer, status: '0' }, [
        { material: materials['绿茶']!, qty: 5, unitPrice: 3, depot: depot1 },
      ])
      await db.deleteBill(gone.head)
      const runDb: RunQuery = async (q) => (await db.pool.query(q.text, q.values))[0] as Record<string, unknown>[]
      const read = await readStream(jsherpDepotLines, runDb, ctx, { limit: LIMIT })
      const folded = foldResults(read.results)
      expect(cockpitStock(folded.live)).toEqual(await jsherpStock(db, false))
      expect(cockpitStock(folded.live)).toEqual(new Map([[`j1:${materials['绿茶']}|j1:${depot1}`, 25]]))
    } finally {
      await db.drop()
    }
  })

  test('master data: materials with category and base unit, depots, suppliers, customers and members', async () => {
    const records: Record<string, unknown[]> = {}
    for (const stream of jsherpMapping.master) {
      let after: Watermark | null = null
      const out: unknown[] = []
      for (;;) {
        const rows = await run(stream.page(after, 2, ctx))
        for (const row of rows) {
          after = stream.watermark(row, ctx)
          const r = stream.map(row, ctx)
          if ('record' in r) out.push(r.record)
        }
        if (rows.length < 2) break
      }
      records[stream.kind] = out
    }
    const { materials, category, depot1, depot2, supplier, customer, member } = erp.ids
    expect(records.skus).toContainEqual({ code: `j1:${materials['可乐']}`, name: '可乐 M1', category: `j1:${category}`, unit: '个' })
    expect(records.warehouses).toEqual([
      { code: `j1:${depot1}`, name: '仓库1' },
      { code: `j1:${depot2}`, name: '仓库2' },
    ])
    expect(records.partners).toEqual([
      { code: `j1:${supplier}`, name: '供应商1', kind: 'supplier' },
      { code: `j1:${customer}`, name: '客户1', kind: 'customer' },
      { code: `j1:${member}`, name: '会员1', kind: 'customer' },
    ])
    expect(records.categories).toEqual([{ code: `j1:${category}`, name: '饮料' }])
  })
})
