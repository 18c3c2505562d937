/**
 * The jshERP mapping row by row (server/sources/jsherp.ts): every (type, sub_type) a bill line
 * can have, base units and per-unit money, the ERP's cost on sales lines, local times, cancels of
 * deleted and un-approved lines, payments, rejects with their reasons and the cycle watermark.
 */
import { describe, expect, test } from 'vitest'
import type { Movement } from '../../protocol/movement.ts'
import { validateMovement } from '../../server/ingest/validate.ts'
import {
  depotLineKind,
  jsherpDepotLines,
  jsherpMapping,
  jsherpMaterials,
  jsherpPartners,
  mapAccountPayment,
  mapBillPayment,
  mapDepotLine,
  RESCAN_DAYS,
} from '../../server/sources/jsherp.ts'
import type { MapContext, RowResult } from '../../server/sources/mapping.ts'

const ctx: MapContext = { tz: 'Asia/Shanghai', baseCurrency: 'CNY', idPrefix: 'j:' }

function movements(r: RowResult): Movement[] {
  if (!('movements' in r)) throw new Error(`expected movements, got ${JSON.stringify(r)}`)
  for (const m of r.movements) {
    const v = validateMovement(m, 0, { baseCurrency: 'CNY', now: Date.parse('2026-12-31T00:00:00Z') })
    if (!v.ok) throw new Error(`invalid movement ${JSON.stringify(m)}: ${JSON.stringify(v.rejected.errors)}`)
  }
  return r.movements
}
const one = (r: RowResult) => {
  const ms = movements(r)
  expect(ms).toHaveLength(1)
  return ms[0]!
}

/** an approved 采购入库 line: 5 箱 (60 个) of material 568 at 60 a 箱 into depot 14 */
const line = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  wm_modified: '2026-12-06T10:01:00.000Z',
  wm_key: '313',
  id: 313,
  header_id: 259,
  type: '入库',
  sub_type: '采购',
  number: 'CGRK00000000631',
  link_number: 'CGDD00000000630',
  oper_time: '2026-12-02 10:00:00',
  status: '1',
  force_approval_flag: '1',
  head_delete_flag: '0',
  item_delete_flag: '0',
  organ_id: 57,
  material_id: 568,
  material_type: null,
  oper_number: '5.000000',
  basic_number: '60.000000',
  all_price: '300.000000',
  purchase_unit_price: null,
  depot_id: 14,
  another_depot_id: null,
  ...over,
})

describe('bill lines', () => {
  test('采购入库: base-unit qty, cost per base unit from the line amount, the linked order as ref', () => {
    expect(one(mapDepotLine(line(), ctx))).toEqual({
      type: 'purchase_receipt',
      id: 'j:dl:313',
      occurredAt: '2026-12-02T10:00:00+08:00',
      sku: 'j:568',
      warehouse: 'j:14',
      qty: 60,
      unitCost: 5,
      lineAmount: 300,
      partner: 'j:57',
      ref: 'j:CGDD00000000630',
    })
  })

  test('销售出库 and 零售出库: revenue from all_price, the ERP cost from purchase_unit_price per oper unit', () => {
    const sale = line({ type: '出库', sub_type: '销售', oper_number: '2', basic_number: '24', all_price: '180', purchase_unit_price: '55', organ_id: 58, link_number: 'XSDD1' })
    expect(one(mapDepotLine(sale, ctx))).toEqual({
      type: 'sales_shipment',
      id: 'j:dl:313',
      occurredAt: '2026-12-02T10:00:00+08:00',
      sku: 'j:568',
      warehouse: 'j:14',
      qty: 24,
      unitPrice: 7.5,
      lineAmount: 180,
      unitCost: 4.583333,
      lineCost: 110,
      partner: 'j:58',
      channel: 'j:销售',
      ref: 'j:XSDD1',
    })
    expect(one(mapDepotLine(line({ type: '出库', sub_type: '零售', purchase_unit_price: null, link_number: null }), ctx))).toMatchObject({
      type: 'sales_shipment',
      channel: 'j:零售',
      unitPrice: 5,
    })
    expect(one(mapDepotLine(line({ type: '出库', sub_type: '零售', purchase_unit_price: null }), ctx))).not.toHaveProperty('unitCost')
  })

  test('returns: 销售退货 / 零售退货 come back in, 采购退货 goes back out', () => {
    expect(one(mapDepotLine(line({ type: '入库', sub_type: '销售退货', purchase_unit_price: '5', oper_number: '60' }), ctx))).toMatchObject({
      type: 'sales_return',
      qty: 60,
      unitPrice: 5,
      unitCost: 5,
      lineCost: 300,
    })
    expect(one(mapDepotLine(line({ type: '入库', sub_type: '零售退货' }), ctx))).toMatchObject({ type: 'sales_return', channel: 'j:零售' })
    expect(one(mapDepotLine(line({ type: '出库', sub_type: '采购退货' }), ctx))).toMatchObject({ type: 'purchase_return', qty: 60, unitCost: 5, lineAmount: 300 })
  })

  test('orders: 采购订单 and 销售订单 with their own number as ref', () => {
    expect(one(mapDepotLine(line({ type: '其它', sub_type: '采购订单', number: 'CGDD1' }), ctx))).toMatchObject({
      type: 'purchase_order',
      unitCost: 5,
      lineAmount: 300,
      ref: 'j:CGDD1',
    })
    expect(one(mapDepotLine(line({ type: '其它', sub_type: '销售订单', number: 'XSDD1' }), ctx))).toMatchObject({ type: 'sales_order', unitPrice: 5, ref: 'j:XSDD1' })
  })

  test('调拨: from depot_id to another_depot_id; without the other depot it is rejected, to the same depot skipped', () => {
    expect(one(mapDepotLine(line({ type: '出库', sub_type: '调拨', another_depot_id: 15 }), ctx))).toEqual({
      type: 'transfer',
      id: 'j:dl:313',
      occurredAt: '2026-12-02T10:00:00+08:00',
      sku: 'j:568',
      qty: 60,
      warehouse: 'j:14',
      toWarehouse: 'j:15',
    })
    expect(mapDepotLine(line({ type: '出库', sub_type: '调拨' }), ctx)).toEqual({ reject: '调拨 line without another_depot_id' })
    expect(mapDepotLine(line({ type: '出库', sub_type: '调拨', another_depot_id: 14 }), ctx)).toEqual({ skip: 'transfer to the same depot' })
  })

  test('stock changes without a trade: 其它入库/出库, 组装/拆卸 by material_type, 盘点复盘 with its signed qty', () => {
    const adj = (over: Record<string, unknown>) => one(mapDepotLine(line(over), ctx))
    expect(adj({ type: '入库', sub_type: '其它' })).toMatchObject({ type: 'stocktake', bookQty: 0, countedQty: 60 })
    expect(adj({ type: '出库', sub_type: '其它' })).toMatchObject({ type: 'stocktake', bookQty: 60, countedQty: 0 })
    expect(adj({ type: '其它', sub_type: '组装单', material_type: '组合件' })).toMatchObject({ bookQty: 0, countedQty: 60 })
    expect(adj({ type: '其它', sub_type: '组装单', material_type: '普通子件' })).toMatchObject({ bookQty: 60, countedQty: 0 })
    expect(adj({ type: '其它', sub_type: '拆卸单', material_type: '普通子件' })).toMatchObject({ bookQty: 0, countedQty: 60 })
    expect(adj({ type: '其它', sub_type: '拆卸单', material_type: '组合件' })).toMatchObject({ bookQty: 60, countedQty: 0 })
    expect(adj({ type: '其它', sub_type: '盘点复盘', basic_number: '-2.5' })).toMatchObject({ type: 'stocktake', bookQty: 2.5, countedQty: 0 })
    expect(adj({ type: '其它', sub_type: '盘点复盘', basic_number: '4' })).toMatchObject({ bookQty: 0, countedQty: 4 })
  })

  test('documents that move no stock are skipped, with the reason', () => {
    expect(mapDepotLine(line({ type: '其它', sub_type: '盘点录入' }), ctx)).toEqual({ skip: '盘点录入: moves no stock' })
    expect(mapDepotLine(line({ type: '其它', sub_type: '请购单' }), ctx)).toEqual({ skip: '请购单: moves no stock' })
    expect(mapDepotLine(line({ type: '其它', sub_type: '组装单', material_type: null }), ctx)).toEqual({ skip: '组装单 line of material_type none' })
    expect(depotLineKind('其它', '新单据', undefined)).toEqual({ skip: '其它/新单据: moves no stock' })
  })

  test('an 入库 or 出库 sub-type the mapping does not know is rejected: jshERP counts it in stock', () => {
    expect(depotLineKind('入库', '生产入库', undefined)).toEqual({ reject: "入库/生产入库: a sub-type jshERP's stock query counts but the mapping does not know" })
    expect(mapDepotLine(line({ sub_type: '生产入库' }), ctx)).toEqual({ reject: "入库/生产入库: a sub-type jshERP's stock query counts but the mapping does not know" })
  })

  test('deleted heads or lines, un-approved and in-review bills are cancels of the line movement', () => {
    const cancel = [{ type: 'cancel', id: 'j:dl:313:x', occurredAt: '2026-12-02T10:00:00+08:00', cancels: 'j:dl:313' }]
    expect(movements(mapDepotLine(line({ head_delete_flag: '1' }), ctx))).toEqual(cancel)
    expect(movements(mapDepotLine(line({ item_delete_flag: '1' }), ctx))).toEqual(cancel)
    expect(movements(mapDepotLine(line({ status: '0' }), ctx))).toEqual(cancel)
    expect(movements(mapDepotLine(line({ status: '9' }), ctx))).toEqual(cancel)
    // with 强审核 off (jshERP's default) an un-approved bill counts; a deleted one never does
    expect(one(mapDepotLine(line({ status: '0', force_approval_flag: '0' }), ctx)).type).toBe('purchase_receipt')
    expect(one(mapDepotLine(line({ status: '0', force_approval_flag: null }), ctx)).type).toBe('purchase_receipt')
    expect(movements(mapDepotLine(line({ force_approval_flag: '0', item_delete_flag: '1' }), ctx))).toEqual(cancel)
    // orders completed or partly fulfilled (2, 3) are approved
    expect(one(mapDepotLine(line({ type: '其它', sub_type: '销售订单', status: '2' }), ctx)).type).toBe('sales_order')
  })

  test('rejects: missing qty, depot, material or amount, a negative qty outside 盘点复盘, an unreadable time', () => {
    expect(mapDepotLine(line({ basic_number: null }), ctx)).toEqual({ reject: 'basic_number missing' })
    expect(mapDepotLine(line({ depot_id: null }), ctx)).toEqual({ reject: 'depot_id missing' })
    expect(mapDepotLine(line({ material_id: null }), ctx)).toEqual({ reject: 'material_id missing' })
    expect(mapDepotLine(line({ all_price: null }), ctx)).toEqual({ reject: 'all_price missing' })
    expect(mapDepotLine(line({ basic_number: '-3' }), ctx)).toEqual({ reject: 'negative basic_number -3 on a 采购 line' })
    expect(mapDepotLine(line({ oper_time: null }), ctx)).toEqual({ reject: 'unreadable oper_time null' })
    expect(mapDepotLine(line({ basic_number: '0.0001' }), ctx)).toEqual({ skip: 'quantity 0' })
  })

  test('jshERP times are local: the business zone gives the offset, across a DST change too', () => {
    expect(one(mapDepotLine(line({ oper_time: '2026-12-31 23:59:59' }), ctx)).occurredAt).toBe('2026-12-31T23:59:59+08:00')
    const ny = { ...ctx, tz: 'America/New_York' }
    expect(one(mapDepotLine(line({ oper_time: '2026-07-01 08:00:00' }), ny)).occurredAt).toBe('2026-07-01T08:00:00-04:00')
    expect(one(mapDepotLine(line({ oper_time: '2026-12-01 08:00:00' }), ny)).occurredAt).toBe('2026-12-01T08:00:00-05:00')
  })
})

describe('payments', () => {
  const head = (over: Record<string, unknown> = {}) => ({
    id: 125,
    type: '收款',
    organ_id: 58,
    change_amount: '10.000000',
    bill_no: 'SK00000000653',
    bill_time: '2026-12-04 10:00:00',
    status: '1',
    force_approval_flag: '1',
    delete_flag: '0',
    ...over,
  })

  test('收款 and 收预付款 are money in, 付款 (negative in jshERP) money out', () => {
    expect(one(mapAccountPayment(head(), ctx))).toEqual({
      type: 'payment_in',
      id: 'j:ah:125',
      occurredAt: '2026-12-04T10:00:00+08:00',
      amount: 10,
      partner: 'j:58',
      ref: 'j:SK00000000653',
    })
    expect(one(mapAccountPayment(head({ type: '收预付款', change_amount: '80' }), ctx))).toMatchObject({ type: 'payment_in', amount: 80 })
    expect(one(mapAccountPayment(head({ type: '付款', change_amount: '-50' }), ctx))).toMatchObject({ type: 'payment_out', amount: 50 })
  })

  test('收入, 支出 and 转账 are not trade payments; deleted or un-approved bills are cancels', () => {
    expect(mapAccountPayment(head({ type: '转账' }), ctx)).toEqual({ skip: '转账: not a payment to or from a partner' })
    expect(mapAccountPayment(head({ type: '收入' }), ctx)).toEqual({ skip: '收入: not a payment to or from a partner' })
    expect(movements(mapAccountPayment(head({ delete_flag: '1' }), ctx))).toEqual([
      { type: 'cancel', id: 'j:ah:125:x', occurredAt: '2026-12-04T10:00:00+08:00', cancels: 'j:ah:125' },
    ])
    expect(movements(mapAccountPayment(head({ status: '0' }), ctx))).toHaveLength(1)
    expect(one(mapAccountPayment(head({ status: '0', force_approval_flag: '0' }), ctx)).type).toBe('payment_in')
    expect(mapAccountPayment(head({ change_amount: null }), ctx)).toEqual({ reject: 'change_amount missing' })
    expect(mapAccountPayment(head({ change_amount: '0' }), ctx)).toEqual({ skip: 'amount 0' })
  })

  test('the payment a bill carries (现付): its sign says in or out', () => {
    const bill = {
      id: 259,
      type: '入库',
      sub_type: '采购',
      number: 'CGRK1',
      organ_id: 57,
      change_amount: '-110',
      oper_time: '2026-12-02 10:00:00',
      status: '1',
      force_approval_flag: '1',
      delete_flag: '0',
    }
    expect(one(mapBillPayment(bill, ctx))).toEqual({ type: 'payment_out', id: 'j:dp:259', occurredAt: '2026-12-02T10:00:00+08:00', amount: 110, partner: 'j:57', ref: 'j:CGRK1' })
    expect(one(mapBillPayment({ ...bill, change_amount: '44' }, ctx))).toMatchObject({ type: 'payment_in', amount: 44 })
    expect(mapBillPayment({ ...bill, change_amount: '0' }, ctx)).toEqual({ skip: 'no payment with the bill' })
    expect(movements(mapBillPayment({ ...bill, delete_flag: '1' }, ctx))[0]).toMatchObject({ type: 'cancel', cancels: 'j:dp:259' })
  })
})

describe('page queries and the cycle watermark', () => {
  test('the first page reads every line in id order', () => {
    const q = jsherpDepotLines.page(null, 100, undefined, ctx)
    expect(q.text).toContain('WHERE TRUE')
    expect(q.text).toMatch(/ORDER BY i.id\s+LIMIT \?$/)
    expect(q.values).toEqual([100])
  })

  test('after a watermark: a larger id, or in a later cycle the bills entered in the re-scan window; since and tenant bound it', () => {
    const q = jsherpDepotLines.page({ modified: '2026-12-06T10:01:00.000Z', key: '313' }, 100, '2026-11-01', { ...ctx, company: '63' })
    expect(q.text).toContain(
      `(i.id > CAST(? AS UNSIGNED) OR (? < DATE_FORMAT(UTC_TIMESTAMP() - INTERVAL (UNIX_TIMESTAMP() MOD 60) SECOND, '%Y-%m-%dT%H:%i:%s.000Z') AND h.create_time >= NOW() - INTERVAL ${RESCAN_DAYS} DAY))`,
    )
    expect(q.text).toContain('h.oper_time >= ?')
    expect(q.text).toContain('h.tenant_id = ?')
    expect(q.values).toEqual(['313', '2026-12-06T10:01:00.000Z', '2026-11-01 00:00:00', '63', 100])
  })

  test('a company that is not a tenant_id is a configuration error, named', () => {
    expect(() => jsherpDepotLines.page(null, 10, undefined, { ...ctx, company: "63'; --" })).toThrow('company must be a jshERP tenant_id (an integer)')
  })

  test('the watermark of a row is its cycle and id', () => {
    expect(jsherpDepotLines.watermark(line(), ctx)).toEqual({ modified: '2026-12-06T10:01:00.000Z', key: '313' })
  })

  test('the mapping: mysql, master data before the lines and payments', () => {
    expect(jsherpMapping.dialect).toBe('mysql')
    expect(jsherpMapping.streams.map((s) => s.name)).toEqual(['depot-lines', 'account-payments', 'bill-payments'])
    expect(jsherpMapping.master.map((s) => s.kind)).toEqual(['categories', 'warehouses', 'partners', 'skus'])
  })
})

describe('master data', () => {
  test('materials: name with standard and model, category, base unit; deleted ones skipped', () => {
    const row = { id: 568, name: '商品1', model: 'sp1', standard: '300ml', category_id: 17, unit: '个', delete_flag: '0' }
    expect(jsherpMaterials.map(row, ctx)).toEqual({ record: { code: 'j:568', name: '商品1 300ml sp1', category: 'j:17', unit: '个' } })
    expect(jsherpMaterials.map({ ...row, delete_flag: '1' }, ctx)).toEqual({ skip: 'deleted' })
  })

  test('供应商 are suppliers, 客户 and 会员 customers', () => {
    expect(jsherpPartners.map({ id: 57, supplier: '供应商1', type: '供应商', delete_flag: '0' }, ctx)).toEqual({ record: { code: 'j:57', name: '供应商1', kind: 'supplier' } })
    expect(jsherpPartners.map({ id: 60, supplier: '会员1', type: '会员', delete_flag: '0' }, ctx)).toEqual({ record: { code: 'j:60', name: '会员1', kind: 'customer' } })
    expect(jsherpPartners.map({ id: 61, supplier: 'x', type: null, delete_flag: '0' }, ctx)).toEqual({ skip: 'type none' })
  })
})
