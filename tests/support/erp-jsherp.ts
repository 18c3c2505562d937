/**
 * A jshERP-shaped MariaDB/MySQL database for tests: a database of its own (random name, dropped by
 * `drop()`), the tables of tests/fixtures/erp/jsherp.sql, master data, and writers that store
 * bills the way jshERP does (DepotHeadService / DepotItemService): a head and its lines with
 * `basic_number` = `oper_number` × the unit's ratio, approval by `status`, deletion by
 * `delete_flag = '1'` on the head and its lines, and an edit that deletes the lines for good and
 * inserts new ones (`deleteDepotItemHeadId`, then `saveDetials`).
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import mysql from 'mysql2/promise'
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise'

export const JSHERP_ADMIN_URL = process.env.TEST_MARIADB_URL ?? 'mysql://root@127.0.0.1:3306'
const DDL = readFileSync(new URL('../fixtures/erp/jsherp.sql', import.meta.url), 'utf8')
export const TENANT = 63

export interface JsherpIds {
  category: number
  /** 个 / 箱 = 12 个 */
  unitBox: number
  depot1: number
  depot2: number
  supplier: number
  customer: number
  member: number
  /** materials by name */
  materials: Record<string, number>
}

export interface LineSpec {
  material: number
  /** qty in `unit` */
  qty: number
  /** the unit of the line; the base unit unless told; '箱' is 12 of the base unit */
  unit?: '个' | '箱'
  unitPrice: number
  /** the cost jshERP puts on sales lines (per `unit`) */
  purchaseUnitPrice?: number
  depot: number
  anotherDepot?: number
  materialType?: string
  /** a signed base-unit qty written as it is (盘点复盘) */
  basicNumber?: number
}

export interface BillSpec {
  type: '入库' | '出库' | '其它'
  subType: string
  number: string
  /** local time, `YYYY-MM-DD HH:MM:SS` */
  operTime: string
  organ?: number
  /** 0 未审核, 1 已审核 */
  status?: string
  changeAmount?: number
  linkNumber?: string
}

export class JsherpErp {
  private constructor(
    readonly name: string,
    readonly pool: Pool,
    readonly ids: JsherpIds,
  ) {}

  static async create(): Promise<JsherpErp> {
    const name = `erp_jsh_${randomBytes(5).toString('hex')}`
    const admin = await mysql.createConnection(JSHERP_ADMIN_URL)
    try {
      await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`)
    } finally {
      await admin.end()
    }
    const pool = mysql.createPool({ uri: `${JSHERP_ADMIN_URL}/${name}`, connectionLimit: 3, multipleStatements: true, charset: 'utf8mb4' })
    await pool.query(DDL)
    const ids = await seed(pool)
    return new JsherpErp(name, pool, ids)
  }

  async drop(): Promise<void> {
    await this.pool.end()
    const admin = await mysql.createConnection(JSHERP_ADMIN_URL)
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${this.name}`)
    } finally {
      await admin.end()
    }
  }

  private async insert(sql: string, values: unknown[]): Promise<number> {
    const [r] = await this.pool.execute<ResultSetHeader>(sql, values as never[])
    return r.insertId
  }

  /** A bill and its lines; approved (`status` 1) unless told otherwise. Returns the head id and line ids. */
  async bill(spec: BillSpec, lines: readonly LineSpec[]): Promise<{ head: number; lines: number[] }> {
    const total = lines.reduce((s, l) => s + l.qty * l.unitPrice, 0)
    const head = await this.insert(
      `INSERT INTO jsh_depot_head (type, sub_type, default_number, number, create_time, oper_time, organ_id, creator, change_amount, total_price, pay_type, status, link_number, tenant_id, delete_flag)
       VALUES (?, ?, ?, ?, NOW(), ?, ?, 63, ?, ?, '现付', ?, ?, ?, '0')`,
      [spec.type, spec.subType, spec.number, spec.number, spec.operTime, spec.organ ?? null, spec.changeAmount ?? 0, total, spec.status ?? '1', spec.linkNumber ?? null, TENANT],
    )
    return { head, lines: await this.insertLines(head, lines) }
  }

  private async insertLines(head: number, lines: readonly LineSpec[]): Promise<number[]> {
    const ids: number[] = []
    for (const l of lines) {
      const ratio = l.unit === '箱' ? 12 : 1
      ids.push(
        await this.insert(
          `INSERT INTO jsh_depot_item (header_id, material_id, material_unit, oper_number, basic_number, unit_price, purchase_unit_price, all_price, depot_id, another_depot_id, material_type, tenant_id, delete_flag)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '0')`,
          [
            head,
            l.material,
            l.unit ?? '个',
            l.qty,
            l.basicNumber ?? l.qty * ratio,
            l.unitPrice,
            l.purchaseUnitPrice ?? null,
            Math.round(l.qty * l.unitPrice * 100) / 100,
            l.depot,
            l.anotherDepot ?? null,
            l.materialType ?? null,
            TENANT,
          ],
        ),
      )
    }
    return ids
  }

  /** 强审核 on ('1': only approved bills count) or off ('0', jshERP's default: every bill that is not deleted). */
  async setForceApproval(flag: '0' | '1'): Promise<void> {
    await this.pool.execute('UPDATE jsh_system_config SET force_approval_flag = ? WHERE tenant_id = ?', [flag, TENANT])
  }

  /** 审核 / 反审核: the head's status. */
  async setStatus(head: number, status: '0' | '1'): Promise<void> {
    await this.pool.execute('UPDATE jsh_depot_head SET status = ? WHERE id = ?', [status, head])
  }

  /** 删除: the head and its lines are flagged deleted (batchDeleteDepotHeadByIds, batchDeleteDepotItemByDepotHeadIds). */
  async deleteBill(head: number): Promise<void> {
    await this.pool.execute("UPDATE jsh_depot_head SET delete_flag = '1' WHERE id = ?", [head])
    await this.pool.execute("UPDATE jsh_depot_item SET delete_flag = '1' WHERE header_id = ?", [head])
  }

  /** 修改: the old lines are deleted for good and the new ones inserted (DepotItemService.saveDetials). */
  async editBill(head: number, lines: readonly LineSpec[]): Promise<number[]> {
    await this.pool.execute('DELETE FROM jsh_depot_item WHERE header_id = ?', [head])
    return this.insertLines(head, lines)
  }

  /** A 收款 / 付款 / 收预付款 / 收入 / 支出 / 转账 bill (jsh_account_head); jshERP signs 付款 negative. */
  async accountBill(spec: { type: string; organ?: number; amount: number; billNo: string; billTime: string; status?: string }): Promise<number> {
    const signed = spec.type === '付款' || spec.type === '支出' ? -spec.amount : spec.amount
    return this.insert(
      `INSERT INTO jsh_account_head (type, organ_id, creator, change_amount, total_price, bill_no, bill_time, status, tenant_id, delete_flag) VALUES (?, ?, 63, ?, ?, ?, ?, ?, ?, '0')`,
      [spec.type, spec.organ ?? null, signed, signed, spec.billNo, spec.billTime, spec.status ?? '1', TENANT],
    )
  }

  async deleteAccountBill(id: number): Promise<void> {
    await this.pool.execute("UPDATE jsh_account_head SET delete_flag = '1' WHERE id = ?", [id])
  }

  async rows<T = RowDataPacket>(sql: string, values: unknown[] = []): Promise<T[]> {
    const [rows] = await this.pool.query(sql, values)
    return rows as T[]
  }
}

async function seed(pool: Pool): Promise<JsherpIds> {
  const insert = async (sql: string, values: unknown[]) => ((await pool.execute<ResultSetHeader>(sql, values as never[]))[0] as ResultSetHeader).insertId
  // 强审核 on: approval decides what counts (the tests switch it off to see jshERP's default)
  await insert(`INSERT INTO jsh_system_config (company_name, force_approval_flag, tenant_id, delete_flag) VALUES ('公司', '1', ?, '0')`, [TENANT])
  const category = await insert(`INSERT INTO jsh_material_category (name, tenant_id, delete_flag) VALUES ('饮料', ?, '0')`, [TENANT])
  const unitBox = await insert(`INSERT INTO jsh_unit (name, basic_unit, other_unit, ratio, tenant_id, delete_flag) VALUES ('个/(箱=12个)', '个', '箱', 12, ?, '0')`, [TENANT])
  const material = (name: string, unitId: number | null) =>
    insert(`INSERT INTO jsh_material (category_id, name, model, unit, unit_id, tenant_id, delete_flag) VALUES (?, ?, 'M1', ?, ?, ?, '0')`, [
      category,
      name,
      unitId ? null : '个',
      unitId,
      TENANT,
    ])
  const materials: Record<string, number> = { 可乐: await material('可乐', unitBox), 绿茶: await material('绿茶', null), 矿泉水: await material('矿泉水', null) }
  const depot = (name: string) => insert(`INSERT INTO jsh_depot (name, type, tenant_id, delete_Flag) VALUES (?, 0, ?, '0')`, [name, TENANT])
  const partner = (name: string, type: string) => insert(`INSERT INTO jsh_supplier (supplier, type, tenant_id, delete_flag) VALUES (?, ?, ?, '0')`, [name, type, TENANT])
  return {
    category,
    unitBox,
    depot1: await depot('仓库1'),
    depot2: await depot('仓库2'),
    supplier: await partner('供应商1', '供应商'),
    customer: await partner('客户1', '客户'),
    member: await partner('会员1', '会员'),
    materials,
  }
}
