/**
 * An ERPNext-shaped MariaDB database for tests: a fresh database per test (random name, dropped at
 * the end) with the tables of tests/fixtures/erp/erpnext.sql, and a writer that submits and cancels
 * documents the way ERPNext v13+ does (erpnext/stock/stock_ledger.py):
 * - each stock voucher line writes a Stock Ledger Entry with `actual_qty` signed, the balance after it,
 *   and the valuation of the moving-average method (`get_moving_average_values`): an incoming entry
 *   at its `incoming_rate`, an outgoing one at the current `valuation_rate`, `stock_value_difference`
 *   rounded to the cent;
 * - a transfer (Stock Entry "Material Transfer") writes two entries sharing `voucher_detail_no`;
 * - a Stock Reconciliation line (no batch) writes one entry with `actual_qty` 0 and `qty_after_transaction` = the
 *   counted qty (`get_sle_for_items`), the book qty on its line (`current_qty`), keeping the valuation rate;
 * - a cancel (`set_as_cancel`) marks the voucher's entries `is_cancelled = 1` with a new `modified`,
 *   then inserts the reversing entries, also `is_cancelled = 1`; the document's `docstatus` becomes 2;
 * - an amendment cancels the order and submits `<name>-1` with `amended_from`.
 * Times are local times of Asia/Shanghai (the site's zone), `modified` with microseconds.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import mysql from 'mysql2/promise'
import type { Pool, RowDataPacket } from 'mysql2/promise'

const DDL = readFileSync(new URL('../fixtures/erp/erpnext.sql', import.meta.url), 'utf8')
const ROOT_URL = process.env.TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306'
const TZ = 'Asia/Shanghai'

export interface ErpDb {
  name: string
  /** the database's URL, as a source's environment variable holds it */
  url: string
  pool: Pool
  sql<T = RowDataPacket>(text: string, values?: unknown[]): Promise<T[]>
  drop(): Promise<void>
}

export async function createErpnextDb(): Promise<ErpDb> {
  const name = `erp_${randomUUID().replaceAll('-', '').slice(0, 12)}`
  const admin = await mysql.createConnection({ uri: ROOT_URL, multipleStatements: true })
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  await admin.query(`USE \`${name}\`; ${DDL}`)
  await admin.end()
  const url = `${ROOT_URL}/${name}`
  const pool = mysql.createPool({ uri: url, connectionLimit: 2, dateStrings: true })
  return {
    name,
    url,
    pool,
    async sql<T>(text: string, values: unknown[] = []) {
      const [rows] = await pool.query(text, values)
      return rows as T[]
    },
    async drop() {
      await pool.end().catch(() => undefined)
      const c = await mysql.createConnection({ uri: ROOT_URL })
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``)
      await c.end()
    },
  }
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')
const hash = () => randomBytes(5).toString('hex')
const round2 = (n: number) => Math.round(n * 100 + Math.sign(n) * 1e-9) / 100

/** `YYYY-MM-DD` of a day relative to today in Asia/Shanghai */
export function shanghaiDate(daysFromToday: number): string {
  const d = new Date(Date.now() + 8 * 3_600_000 + daysFromToday * 86_400_000)
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
}

export interface StockLine {
  item: string
  wh: string
  qty: number
  /** incoming rate (receipts) or selling rate per stock unit (deliveries) */
  rate: number
  /** the order fulfilled */
  order?: string
}

/** Writes documents as ERPNext would. */
export class ErpnextWriter {
  private seq = 0
  private micro = 0
  private readonly bins = new Map<string, { qty: number; value: number }>()
  constructor(
    readonly db: ErpDb,
    readonly company = 'Test Co',
  ) {}

  /** the current local time in Asia/Shanghai, microseconds strictly increasing (Frappe's `now()`) */
  now(): string {
    const d = new Date(Date.now() + 8 * 3_600_000)
    this.micro = (this.micro + 1) % 1000
    const ms = d.getUTCMilliseconds()
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(ms, 3)}${pad(this.micro, 3)}`
  }

  private sleName(): string {
    return `MAT-SLE-2026-${pad(++this.seq, 6)}`
  }

  /** inserts one SLE and moves the moving-average bin of its item × warehouse */
  private async sle(
    e: {
      item: string
      wh: string
      date: string
      time: string
      voucherType: string
      voucherNo: string
      detail: string
      qty: number
      rate?: number
      cancelled?: boolean
      reco?: number
    },
    modified = this.now(),
  ) {
    const key = `${e.item}|${e.wh}`
    const bin = this.bins.get(key) ?? { qty: 0, value: 0 }
    let rate = bin.qty > 0 ? bin.value / bin.qty : 0
    let qty = e.qty
    let incoming = 0
    if (e.reco !== undefined) {
      qty = e.reco - bin.qty
    } else if (qty > 0 && e.rate !== undefined) {
      incoming = e.rate
      rate = bin.qty <= 0 ? e.rate : (bin.value + qty * e.rate) / (bin.qty + qty)
    }
    const after = bin.qty + qty
    const value = after === 0 ? 0 : round2(after * rate)
    const svd = round2(value - bin.value)
    this.bins.set(key, { qty: after, value })
    const name = this.sleName()
    // a reconciliation's entry keeps actual_qty 0: its change is counted − current_qty
    if (e.reco !== undefined) qty = 0
    await this.db.sql(
      `INSERT INTO \`tabStock Ledger Entry\` (name, creation, modified, docstatus, item_code, warehouse, posting_date, posting_time, voucher_type, voucher_no,
        voucher_detail_no, actual_qty, qty_after_transaction, incoming_rate, valuation_rate, stock_value, stock_value_difference, company, is_cancelled)
       VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [name, modified, modified, e.item, e.wh, e.date, e.time, e.voucherType, e.voucherNo, e.detail, qty, after, incoming, rate, value, svd, this.company, e.cancelled ? 1 : 0],
    )
    return name
  }

  async master(items: { code: string; group: string; safety?: number }[], warehouses: string[], customers: string[], suppliers: string[]) {
    const m = this.now()
    for (const i of items)
      await this.db.sql('INSERT INTO tabItem (name, creation, modified, item_code, item_name, item_group, stock_uom, safety_stock) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
        i.code,
        m,
        m,
        i.code,
        `Item ${i.code}`,
        i.group,
        'Nos',
        i.safety ?? 0,
      ])
    for (const w of warehouses)
      await this.db.sql('INSERT INTO tabWarehouse (name, creation, modified, warehouse_name, company) VALUES (?, ?, ?, ?, ?)', [w, m, m, w.split(' - ')[0], this.company])
    await this.db.sql('INSERT INTO tabWarehouse (name, creation, modified, warehouse_name, is_group, company) VALUES (?, ?, ?, ?, 1, ?)', [
      `All Warehouses - TC`,
      m,
      m,
      'All Warehouses',
      this.company,
    ])
    for (const c of customers) await this.db.sql('INSERT INTO tabCustomer (name, creation, modified, customer_name) VALUES (?, ?, ?, ?)', [c, m, m, `Customer ${c}`])
    for (const s of suppliers) await this.db.sql('INSERT INTO tabSupplier (name, creation, modified, supplier_name) VALUES (?, ?, ?, ?)', [s, m, m, `Supplier ${s}`])
  }

  /** a Purchase Receipt (a return when `isReturn`: quantities leave) */
  async receipt(name: string, supplier: string, date: string, time: string, lines: StockLine[], isReturn = false) {
    const m = this.now()
    await this.db.sql(
      'INSERT INTO `tabPurchase Receipt` (name, creation, modified, docstatus, supplier, posting_date, posting_time, company, is_return) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)',
      [name, m, m, supplier, date, time, this.company, isReturn ? 1 : 0],
    )
    for (const [idx, l] of lines.entries()) {
      const detail = hash()
      const sign = isReturn ? -1 : 1
      await this.db.sql(
        'INSERT INTO `tabPurchase Receipt Item` (name, creation, modified, docstatus, parent, parenttype, idx, item_code, warehouse, qty, stock_qty, conversion_factor, base_net_rate, base_net_amount, purchase_order) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)',
        [detail, m, m, name, 'Purchase Receipt', idx + 1, l.item, l.wh, sign * l.qty, sign * l.qty, l.rate, round2(sign * l.qty * l.rate), l.order ?? null],
      )
      await this.sle({ item: l.item, wh: l.wh, date, time, voucherType: 'Purchase Receipt', voucherNo: name, detail, qty: sign * l.qty, rate: l.rate })
    }
  }

  /** a Delivery Note (a return when `isReturn`: quantities come back, amounts negative) */
  async delivery(name: string, customer: string, date: string, time: string, lines: StockLine[], isReturn = false) {
    const m = this.now()
    await this.db.sql(
      'INSERT INTO `tabDelivery Note` (name, creation, modified, docstatus, customer, posting_date, posting_time, company, is_return) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)',
      [name, m, m, customer, date, time, this.company, isReturn ? 1 : 0],
    )
    for (const [idx, l] of lines.entries()) {
      const detail = hash()
      const sign = isReturn ? 1 : -1
      await this.db.sql(
        'INSERT INTO `tabDelivery Note Item` (name, creation, modified, docstatus, parent, parenttype, idx, item_code, warehouse, qty, stock_qty, conversion_factor, base_net_rate, base_net_amount, against_sales_order) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)',
        [detail, m, m, name, 'Delivery Note', idx + 1, l.item, l.wh, -sign * l.qty, -sign * l.qty, l.rate, round2(-sign * l.qty * l.rate), l.order ?? null],
      )
      // a sales return comes back at the current valuation rate (no incoming rate given here)
      await this.sle({ item: l.item, wh: l.wh, date, time, voucherType: 'Delivery Note', voucherNo: name, detail, qty: sign * l.qty })
    }
  }

  /** a Stock Entry "Material Transfer": two SLEs per line sharing voucher_detail_no */
  async transfer(name: string, date: string, time: string, lines: { item: string; from: string; to: string; qty: number }[]) {
    const m = this.now()
    await this.db.sql(
      'INSERT INTO `tabStock Entry` (name, creation, modified, docstatus, purpose, stock_entry_type, posting_date, posting_time, company) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)',
      [name, m, m, 'Material Transfer', 'Material Transfer', date, time, this.company],
    )
    for (const l of lines) {
      const detail = hash()
      await this.db.sql('INSERT INTO `tabStock Entry Detail` (name, parent, item_code, s_warehouse, t_warehouse, qty, transfer_qty) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        detail,
        name,
        l.item,
        l.from,
        l.to,
        l.qty,
        l.qty,
      ])
      const from = this.bins.get(`${l.item}|${l.from}`)
      const rate = from && from.qty > 0 ? from.value / from.qty : 0
      await this.sle({ item: l.item, wh: l.from, date, time, voucherType: 'Stock Entry', voucherNo: name, detail, qty: -l.qty })
      await this.sle({ item: l.item, wh: l.to, date, time, voucherType: 'Stock Entry', voucherNo: name, detail, qty: l.qty, rate })
    }
  }

  /** a Stock Reconciliation: counted quantities, valuation rate kept */
  async reconcile(name: string, date: string, time: string, lines: { item: string; wh: string; counted: number }[]) {
    for (const l of lines) {
      const detail = hash()
      const book = this.bins.get(`${l.item}|${l.wh}`)?.qty ?? 0
      await this.db.sql('INSERT INTO `tabStock Reconciliation Item` (name, parent, item_code, warehouse, qty, current_qty) VALUES (?, ?, ?, ?, ?, ?)', [
        detail,
        name,
        l.item,
        l.wh,
        l.counted,
        book,
      ])
      await this.sle({ item: l.item, wh: l.wh, date, time, voucherType: 'Stock Reconciliation', voucherNo: name, detail, qty: 0, reco: l.counted })
    }
  }

  /** cancels a stock voucher as set_as_cancel + make_sl_entries(is_cancelled=1) do */
  async cancelVoucher(voucherType: string, voucherNo: string) {
    const m = this.now()
    const entries = await this.db.sql<{
      name: string
      item_code: string
      warehouse: string
      voucher_detail_no: string
      actual_qty: string
      incoming_rate: string
      valuation_rate: string
    }>(
      'SELECT name, item_code, warehouse, voucher_detail_no, actual_qty, incoming_rate, valuation_rate FROM `tabStock Ledger Entry` WHERE voucher_type = ? AND voucher_no = ? AND is_cancelled = 0 ORDER BY name',
      [voucherType, voucherNo],
    )
    await this.db.sql('UPDATE `tabStock Ledger Entry` SET is_cancelled = 1, modified = ? WHERE voucher_type = ? AND voucher_no = ? AND is_cancelled = 0', [
      m,
      voucherType,
      voucherNo,
    ])
    const table = { 'Purchase Receipt': 'tabPurchase Receipt', 'Delivery Note': 'tabDelivery Note', 'Stock Entry': 'tabStock Entry' }[voucherType]
    if (table) await this.db.sql(`UPDATE \`${table}\` SET docstatus = 2, modified = ? WHERE name = ?`, [m, voucherNo])
    const [date, time] = m.split(' ') as [string, string]
    for (const e of entries) {
      const qty = -Number(e.actual_qty)
      await this.sle({
        item: e.item_code,
        wh: e.warehouse,
        date,
        time,
        voucherType,
        voucherNo,
        detail: e.voucher_detail_no,
        qty,
        ...(qty > 0 && { rate: Number(e.incoming_rate) || Number(e.valuation_rate) }),
        cancelled: true,
      })
    }
  }

  async order(
    side: 'sales' | 'purchase',
    name: string,
    party: string,
    date: string,
    lines: { item: string; wh: string; qty: number; rate: number; due: string }[],
    amendedFrom?: string,
  ) {
    const m = this.now()
    const [parent, child, partyCol, dueCol] =
      side === 'sales' ? ['tabSales Order', 'tabSales Order Item', 'customer', 'delivery_date'] : ['tabPurchase Order', 'tabPurchase Order Item', 'supplier', 'schedule_date']
    await this.db.sql(
      `INSERT INTO \`${parent}\` (name, creation, modified, docstatus, ${partyCol}, transaction_date, ${dueCol}, company, amended_from) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)`,
      [name, m, m, party, date, lines[0]!.due, this.company, amendedFrom ?? null],
    )
    for (const [idx, l] of lines.entries()) {
      await this.db.sql(
        `INSERT INTO \`${child}\` (name, creation, modified, docstatus, parent, parenttype, idx, item_code, warehouse, qty, stock_qty, conversion_factor, base_net_rate, base_net_amount, ${dueCol}) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
        [hash(), m, m, name, side === 'sales' ? 'Sales Order' : 'Purchase Order', idx + 1, l.item, l.wh, l.qty, l.qty, l.rate, round2(l.qty * l.rate), l.due],
      )
    }
  }

  async cancelOrder(side: 'sales' | 'purchase', name: string) {
    const m = this.now()
    const [parent, child] = side === 'sales' ? ['tabSales Order', 'tabSales Order Item'] : ['tabPurchase Order', 'tabPurchase Order Item']
    await this.db.sql(`UPDATE \`${parent}\` SET docstatus = 2, modified = ? WHERE name = ?`, [m, name])
    await this.db.sql(`UPDATE \`${child}\` SET docstatus = 2, modified = ? WHERE parent = ?`, [m, name])
  }

  async payment(name: string, type: 'Receive' | 'Pay', party: string, amount: number, date: string) {
    const m = this.now()
    await this.db.sql(
      'INSERT INTO `tabPayment Entry` (name, creation, modified, docstatus, payment_type, posting_date, company, party_type, party, paid_amount, received_amount, base_paid_amount, base_received_amount) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [name, m, m, type, date, this.company, type === 'Receive' ? 'Customer' : 'Supplier', party, amount, amount, amount, amount],
    )
  }

  async cancelPayment(name: string) {
    await this.db.sql('UPDATE `tabPayment Entry` SET docstatus = 2, modified = ? WHERE name = ?', [this.now(), name])
  }
}

/** Asia/Shanghai, the zone the writer's local times are in */
export const ERPNEXT_TZ = TZ
