/**
 * The ERPNext mapping row by row (server/sources/erpnext.ts): rows as mysql2 returns them
 * (`dateStrings`, DECIMAL as strings), movements as the cockpit validates them.
 */
import { describe, expect, test } from 'vitest'
import { erpnextMapping, mapLedgerRow, paymentEntries, stockLedger } from '../../server/sources/erpnext.ts'
import { localToRfc3339, localToUtc, utcToLocal } from '../../server/sources/local-time.ts'
import type { MapContext, StreamMapping } from '../../server/sources/mapping.ts'
import { validateMovement } from '../../server/ingest/validate.ts'

const ctx: MapContext = { tz: 'Asia/Shanghai', baseCurrency: 'CNY', idPrefix: 'E:' }
const sle = (fields: Record<string, unknown>) => ({
  name: 'MAT-SLE-2026-00001',
  modified: '2026-12-01 10:00:00.123456',
  item_code: 'ITEM-A',
  warehouse: 'Stores - TC',
  posting_date: '2026-11-30',
  posting_time: '09:15:00.000000',
  voucher_type: 'Purchase Receipt',
  voucher_no: 'MAT-PRE-0001',
  voucher_detail_no: 'd1',
  actual_qty: '10.000000000',
  qty_after_transaction: '10.000000000',
  incoming_rate: '12.500000000',
  valuation_rate: '12.500000000',
  stock_value_difference: '125.000000000',
  is_cancelled: 0,
  supplier: 'SUP-1',
  customer: null,
  is_return: 0,
  purchase_order: 'PO-1',
  sales_order: null,
  base_net_amount: null,
  item_stock_qty: null,
  s_warehouse: null,
  t_warehouse: null,
  ...fields,
})

function movements(row: Record<string, unknown>, stream: StreamMapping = stockLedger) {
  const r = stream.map(row, ctx)
  if (!('movements' in r)) throw new Error(`not movements: ${JSON.stringify(r)}`)
  for (const m of r.movements) {
    const v = validateMovement(m, 0, { baseCurrency: 'CNY', now: Date.parse('2026-12-06T00:00:00Z') })
    expect(v.ok, JSON.stringify(v)).toBe(true)
  }
  return r.movements
}

describe('local times of the ERPNext site', () => {
  test('round trip with microseconds', () => {
    expect(localToUtc('2026-12-01 10:00:00.123456', 'Asia/Shanghai')).toBe('2026-12-01T02:00:00.123456Z')
    expect(utcToLocal('2026-12-01T02:00:00.123456Z', 'Asia/Shanghai')).toBe('2026-12-01 10:00:00.123456')
    expect(localToUtc('2026-12-01 00:30:00', 'Asia/Shanghai')).toBe('2026-11-30T16:30:00.000Z')
    expect(localToRfc3339('2026-11-30', '09:15:00.000000', 'Asia/Shanghai')).toBe('2026-11-30T09:15:00+08:00')
    expect(localToUtc('not a time', 'Asia/Shanghai')).toBeUndefined()
  })
})

describe('stock ledger entries', () => {
  test('a receipt at the ledger’s incoming rate, against its order', () => {
    expect(movements(sle({}))).toEqual([
      {
        type: 'purchase_receipt',
        id: 'E:SLE:MAT-SLE-2026-00001',
        occurredAt: '2026-11-30T09:15:00+08:00',
        sku: 'E:ITEM-A',
        warehouse: 'E:Stores - TC',
        qty: 10,
        unitCost: 12.5,
        partner: 'E:SUP-1',
        ref: 'E:PO-1',
      },
    ])
    expect(stockLedger.watermark(sle({}), ctx)).toEqual({ modified: '2026-12-01T02:00:00.123456Z', key: 'MAT-SLE-2026-00001' })
  })

  test('a delivery with the line’s net price and the ledger’s cost; its return', () => {
    const dn = { voucher_type: 'Delivery Note', voucher_no: 'DN-1', actual_qty: '-3', incoming_rate: '0', stock_value_difference: '-37.5', supplier: null, customer: 'C1' }
    expect(movements(sle({ ...dn, base_net_amount: '75.000000000', item_stock_qty: '3', sales_order: 'SO-1' }))[0]).toMatchObject({
      type: 'sales_shipment',
      qty: 3,
      unitPrice: 25,
      lineAmount: 75,
      lineCost: 37.5,
      partner: 'E:C1',
      ref: 'E:SO-1',
    })
    expect(movements(sle({ ...dn, actual_qty: '2', stock_value_difference: '25', is_return: 1, base_net_amount: '-50', item_stock_qty: '-2' }))[0]).toMatchObject({
      type: 'sales_return',
      qty: 2,
      unitPrice: 25,
      lineAmount: 50,
      lineCost: 25,
    })
    expect(mapLedgerRow(sle({ ...dn, base_net_amount: null }), ctx)).toEqual({ reject: expect.stringMatching(/selling price is unknown/) })
  })

  test('invoices that update stock are deliveries and receipts', () => {
    const si = { voucher_type: 'Sales Invoice', voucher_no: 'SINV-1', actual_qty: '-2', stock_value_difference: '-20', supplier: null, customer: 'C2' }
    expect(movements(sle({ ...si, base_net_amount: '50', item_stock_qty: '2', sales_order: 'SO-9' }))[0]).toMatchObject({
      type: 'sales_shipment',
      unitPrice: 25,
      lineCost: 20,
      partner: 'E:C2',
      ref: 'E:SO-9',
    })
    expect(movements(sle({ voucher_type: 'Purchase Invoice', voucher_no: 'PINV-1' }))[0]).toMatchObject({ type: 'purchase_receipt', unitCost: 12.5, partner: 'E:SUP-1' })
  })

  test('a purchase return credits the ledger’s value', () => {
    expect(movements(sle({ actual_qty: '-4', is_return: 1, stock_value_difference: '-50' }))[0]).toMatchObject({ type: 'purchase_return', qty: 4, unitCost: 12.5, lineAmount: 50 })
  })

  test('a transfer is its issuing entry; the receiving one is skipped', () => {
    const te = { voucher_type: 'Stock Entry', voucher_detail_no: 'sed-1', s_warehouse: 'Stores - TC', t_warehouse: 'Shop - TC', supplier: null }
    expect(movements(sle({ ...te, actual_qty: '-5' }))).toEqual([
      { type: 'transfer', id: 'E:SED:sed-1', occurredAt: '2026-11-30T09:15:00+08:00', sku: 'E:ITEM-A', warehouse: 'E:Stores - TC', toWarehouse: 'E:Shop - TC', qty: 5 },
    ])
    expect(mapLedgerRow(sle({ ...te, warehouse: 'Shop - TC', actual_qty: '5' }), ctx)).toHaveProperty('skip')
    // cancelled: the issuing entry and its reversal both cancel the transfer (one id: a duplicate)
    const cancels = [sle({ ...te, actual_qty: '-5', is_cancelled: 1 }), sle({ ...te, name: 'MAT-SLE-2026-00009', actual_qty: '5', is_cancelled: 1 })].map((r) => movements(r)[0])
    expect(cancels[0]).toEqual(cancels[1])
    expect(cancels[0]).toMatchObject({ type: 'cancel', cancels: 'E:SED:sed-1' })
    // a material issue or receipt (no transfer): an adjustment by exactly its quantity
    expect(movements(sle({ voucher_type: 'Stock Entry', s_warehouse: 'Stores - TC', supplier: null, actual_qty: '-1.5' }))[0]).toMatchObject({
      type: 'stocktake',
      id: 'E:SLE:MAT-SLE-2026-00001',
      bookQty: 1.5,
      countedQty: 0,
    })
    expect(movements(sle({ voucher_type: 'Stock Entry', t_warehouse: 'Stores - TC', supplier: null, actual_qty: '4' }))[0]).toMatchObject({ bookQty: 0, countedQty: 4 })
  })

  test('a stock reconciliation counts qty_after_transaction against its line’s book qty', () => {
    const reco = { voucher_type: 'Stock Reconciliation', actual_qty: '0.000000000', qty_after_transaction: '47', supplier: null }
    expect(mapLedgerRow(sle(reco), ctx)).toEqual({ reject: expect.stringMatching(/book qty at count time is unknown/) })
    // a batch item's reconciliation: two entries, out of the book qty and into the counted qty
    expect(movements(sle({ ...reco, actual_qty: '-50' }))[0]).toMatchObject({ type: 'stocktake', bookQty: 50, countedQty: 0 })
    expect(movements(sle({ ...reco, reco_current_qty: '50.000000000' }))[0]).toMatchObject({
      type: 'stocktake',
      countedQty: 47,
      bookQty: 50,
    })
  })

  test('a cancelled entry cancels its own movement', () => {
    expect(movements(sle({ is_cancelled: 1 }))).toEqual([
      { type: 'cancel', id: 'E:SLE:MAT-SLE-2026-00001:cancel', cancels: 'E:SLE:MAT-SLE-2026-00001', occurredAt: '2026-12-01T10:00:00.123+08:00' },
    ])
  })

  test('revaluations are skipped, unknown vouchers rejected', () => {
    expect(mapLedgerRow(sle({ voucher_type: 'Landed Cost Voucher', actual_qty: '0' }), ctx)).toHaveProperty('skip')
    expect(mapLedgerRow(sle({ voucher_type: 'Asset Capitalization' }), ctx)).toEqual({ reject: 'voucher type "Asset Capitalization" is not mapped' })
  })

  test('pages are keyset queries after the watermark, bounded by date and company', () => {
    const q = stockLedger.page({ modified: '2026-12-01T02:00:00.123456Z', key: 'MAT-SLE-2026-00001' }, 500, '2026-01-01', { ...ctx, company: 'Acme' })
    expect(q.text).toMatch(
      /\(sle\.modified > \? OR \(sle\.modified = \? AND sle\.name > \?\)\) AND sle\.posting_date >= \? AND sle\.company = \? ORDER BY sle\.modified, sle\.name LIMIT \?$/,
    )
    expect(q.values).toEqual(['2026-12-01 10:00:00.123456', '2026-12-01 10:00:00.123456', 'MAT-SLE-2026-00001', '2026-01-01', 'Acme', 500])
    expect(stockLedger.page(null, 10, undefined, ctx).values).toEqual([10])
  })
})

describe('orders and payments', () => {
  const orders = erpnextMapping.streams.find((s) => s.name === 'sales-orders')!
  const line = {
    name: 'abc123',
    modified: '2026-12-01 11:00:00.000001',
    parent: 'SO-1',
    party: 'C1',
    transaction_date: '2026-12-01',
    creation: '2026-12-01 10:59:59.000000',
    docstatus: 1,
    item_code: 'ITEM-A',
    warehouse: 'Stores - TC',
    stock_qty: '4.000000000',
    base_net_amount: '99.990000000',
    due_date: '2026-12-05',
  }
  test('a submitted line is an order with its due date; cancelled, a cancel; a draft, nothing', () => {
    expect(movements(line, orders)).toEqual([
      {
        type: 'sales_order',
        id: 'E:SOI:abc123',
        occurredAt: '2026-12-01T10:59:59+08:00',
        sku: 'E:ITEM-A',
        warehouse: 'E:Stores - TC',
        qty: 4,
        lineAmount: 99.99,
        unitPrice: 24.9975,
        ref: 'E:SO-1',
        partner: 'E:C1',
        dueDate: '2026-12-05',
      },
    ])
    expect(movements({ ...line, docstatus: 2 }, orders)[0]).toMatchObject({ type: 'cancel', cancels: 'E:SOI:abc123' })
    expect(orders.map({ ...line, docstatus: 0 }, ctx)).toHaveProperty('skip')
    // the keyset is the order's: its lines come in one page
    expect(orders.watermark(line, ctx)).toEqual({ modified: '2026-12-01T03:00:00.000001Z', key: 'SO-1' })
    expect(orders.page({ modified: '2026-12-01T03:00:00.000001Z', key: 'SO-1' }, 100, undefined, ctx).text).toMatch(
      /FROM \(SELECT .* FROM `tabSales Order`\s+WHERE \(modified > \? OR \(modified = \? AND name > \?\)\) ORDER BY modified, name LIMIT \?\) o\s+JOIN `tabSales Order Item` i ON i.parent = o.name/,
    )
  })

  test('payments in and out in the company currency', () => {
    const pe = {
      name: 'PE-1',
      modified: '2026-12-01 12:00:00',
      creation: '2026-11-01 12:00:00',
      payment_type: 'Receive',
      party: 'C1',
      base_paid_amount: '100',
      base_received_amount: '100.5',
      posting_date: '2026-12-01',
      docstatus: 1,
    }
    expect(movements(pe, paymentEntries)).toEqual([{ type: 'payment_in', id: 'E:PE:PE-1', occurredAt: '2026-12-01T00:00:00+08:00', amount: 100.5, partner: 'E:C1' }])
    expect(movements({ ...pe, payment_type: 'Pay' }, paymentEntries)[0]).toMatchObject({ type: 'payment_out', amount: 100 })
    expect(paymentEntries.map({ ...pe, payment_type: 'Internal Transfer' }, ctx)).toHaveProperty('skip')
  })
})
