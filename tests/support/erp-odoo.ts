/**
 * An Odoo-shaped PostgreSQL database for tests: a database of its own (random name, dropped by
 * `drop()`), the tables of tests/fixtures/erp/odoo.sql, master data, and writers that store
 * documents the way Odoo 17 does — confirmed orders, done stock moves with their valuation layers
 * (positive quantity and value in, negative out, in the product's unit), posted payments — and
 * stamp `write_date` with the transaction's UTC time as the ORM does (`cr.now()`), so every row a
 * transaction writes shares one timestamp.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import pg from 'pg'

export const ODOO_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const DDL = readFileSync(new URL('../fixtures/erp/odoo.sql', import.meta.url), 'utf8')

/** Odoo's write stamp: the transaction's time in UTC, without offset. */
const NOW = `(now() AT TIME ZONE 'UTC')`

export interface OdooIds {
  company: number
  cny: number
  usd: number
  units: number
  dozens: number
  category: number
  vendor: number
  customer: number
  /** a contact person of the customer company: orders name it, figures go to the company */
  customerContact: number
  wh: number
  wh2: number
  locVendors: number
  locCustomers: number
  locInventory: number
  locProduction: number
  locTransit: number
  whStock: number
  whShelf: number
  wh2Stock: number
  receiptType: number
  deliveryType: number
  /** storable products by default_code */
  products: Record<string, number>
  /** a consumable (no stock kept) */
  consumable: number
}

export interface MoveSpec {
  product: number
  /** quantity in `uom` */
  qty: number
  uom?: number
  from: number
  to: number
  /** UTC, `YYYY-MM-DD HH:MM:SS` */
  date: string
  /** the valuation layer's unit cost per product unit (company currency); none: no layer (not valued) */
  unitCost?: number
  saleLine?: number
  purchaseLine?: number
  returnOf?: number
  isInventory?: boolean
  picking?: number
}

function urlOf(base: string, db: string): string {
  const u = new URL(base)
  u.pathname = `/${db}`
  return u.toString()
}

export class OdooErp {
  private constructor(
    readonly name: string,
    readonly url: string,
    readonly pool: pg.Pool,
    readonly ids: OdooIds,
  ) {}

  /** Creates the database, its tables and the master data. */
  static async create(): Promise<OdooErp> {
    const name = `erp_odoo_${randomBytes(5).toString('hex')}`
    const admin = new pg.Client({ connectionString: ODOO_ADMIN_URL })
    await admin.connect()
    try {
      await admin.query(`CREATE DATABASE ${name}`)
    } finally {
      await admin.end()
    }
    const url = urlOf(ODOO_ADMIN_URL, name)
    const pool = new pg.Pool({ connectionString: url, max: 3 })
    // dropping the database terminates idle clients (57P01): expected then, an error otherwise
    pool.on('error', (err: Error & { code?: string }) => {
      if (err.code !== '57P01') throw err
    })
    await pool.query(DDL)
    const ids = await seed(pool)
    return new OdooErp(name, url, pool, ids)
  }

  /** Closes the pool and drops the database. */
  async drop(): Promise<void> {
    await this.pool.end()
    const admin = new pg.Client({ connectionString: ODOO_ADMIN_URL })
    await admin.connect()
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`)
    } finally {
      await admin.end()
    }
  }

  /** Runs `fn` in one transaction: every row it writes gets the same `write_date`. */
  async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect()
    try {
      await c.query('BEGIN')
      const out = await fn(c)
      await c.query('COMMIT')
      return out
    } catch (err) {
      await c.query('ROLLBACK')
      throw err
    } finally {
      c.release()
    }
  }

  /** A sale order with its lines, in state `sale` (confirmed) unless told otherwise. */
  async saleOrder(
    spec: { name: string; partner?: number; dateOrder: string; commitmentDate?: string; warehouse?: number; state?: string; currency?: number },
    lines: { product: number; qty: number; uom?: number; priceUnit: number; discount?: number; customerLead?: number }[],
    c?: pg.PoolClient,
  ): Promise<{ order: number; lines: number[] }> {
    const run = async (db: pg.PoolClient) => {
      const currency = spec.currency ?? this.ids.cny
      const { rows } = await db.query(
        `INSERT INTO sale_order (name, state, date_order, commitment_date, partner_id, warehouse_id, currency_id, company_id, create_date, write_date)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ${NOW}, ${NOW}) RETURNING id`,
        [
          spec.name,
          spec.state ?? 'sale',
          spec.dateOrder,
          spec.commitmentDate ?? null,
          spec.partner ?? this.ids.customerContact,
          spec.warehouse ?? this.ids.wh,
          currency,
          this.ids.company,
        ],
      )
      const order = rows[0].id as number
      const ids: number[] = []
      for (const [i, l] of lines.entries()) {
        const subtotal = Math.round(l.qty * l.priceUnit * (1 - (l.discount ?? 0) / 100) * 100) / 100
        const r = await db.query(
          `INSERT INTO sale_order_line (order_id, sequence, name, product_id, product_uom_qty, product_uom, price_unit, discount, price_subtotal, customer_lead, state, currency_id, company_id, create_date, write_date)
           VALUES ($1, $2, 'line', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, ${NOW}, ${NOW}) RETURNING id`,
          [order, i + 1, l.product, l.qty, l.uom ?? this.ids.units, l.priceUnit, l.discount ?? 0, subtotal, l.customerLead ?? 0, spec.state ?? 'sale', currency, this.ids.company],
        )
        ids.push(r.rows[0].id as number)
      }
      return { order, lines: ids }
    }
    return c ? run(c) : this.tx(run)
  }

  /** A purchase order with its lines, in state `purchase` (confirmed) unless told otherwise. */
  async purchaseOrder(
    spec: { name: string; partner?: number; dateOrder: string; datePlanned: string; state?: string },
    lines: { product: number; qty: number; uom?: number; priceUnit: number }[],
    c?: pg.PoolClient,
  ): Promise<{ order: number; lines: number[] }> {
    const run = async (db: pg.PoolClient) => {
      const { rows } = await db.query(
        `INSERT INTO purchase_order (name, state, date_order, date_planned, partner_id, picking_type_id, currency_id, company_id, create_date, write_date)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ${NOW}, ${NOW}) RETURNING id`,
        [spec.name, spec.state ?? 'purchase', spec.dateOrder, spec.datePlanned, spec.partner ?? this.ids.vendor, this.ids.receiptType, this.ids.cny, this.ids.company],
      )
      const order = rows[0].id as number
      const ids: number[] = []
      for (const [i, l] of lines.entries()) {
        const r = await db.query(
          `INSERT INTO purchase_order_line (order_id, sequence, name, product_id, product_qty, product_uom, price_unit, price_subtotal, date_planned, state, currency_id, company_id, create_date, write_date)
           VALUES ($1, $2, 'line', $3, $4, $5, $6, $7, $8, $9, $10, $11, ${NOW}, ${NOW}) RETURNING id`,
          [
            order,
            i + 1,
            l.product,
            l.qty,
            l.uom ?? this.ids.units,
            l.priceUnit,
            Math.round(l.qty * l.priceUnit * 100) / 100,
            spec.datePlanned,
            spec.state ?? 'purchase',
            this.ids.cny,
            this.ids.company,
          ],
        )
        ids.push(r.rows[0].id as number)
      }
      return { order, lines: ids }
    }
    return c ? run(c) : this.tx(run)
  }

  /** Sets an order's state on the order and its lines (the lines' `state` is a stored related field). */
  async setOrderState(kind: 'sale' | 'purchase', order: number, state: string): Promise<void> {
    await this.tx(async (c) => {
      await c.query(`UPDATE ${kind}_order SET state = $1, write_date = ${NOW} WHERE id = $2`, [state, order])
      await c.query(`UPDATE ${kind}_order_line SET state = $1, write_date = ${NOW} WHERE order_id = $2`, [state, order])
    })
  }

  /**
   * A done stock move as `_action_done` leaves it: state `done`, `quantity` in the move's unit,
   * `product_qty` in the product's unit, and (for a valued move) one valuation layer whose quantity
   * is positive when stock enters the company and negative when it leaves.
   */
  async doneMove(m: MoveSpec, c?: pg.PoolClient): Promise<number> {
    const run = async (db: pg.PoolClient) => {
      const uom = m.uom ?? this.ids.units
      const { rows: u } = await db.query('SELECT (SELECT factor FROM uom_uom WHERE id = $1) AS f_from, (SELECT factor FROM uom_uom WHERE id = $2) AS f_to', [uom, this.ids.units])
      const productQty = Math.round((m.qty / Number(u[0].f_from)) * Number(u[0].f_to) * 100) / 100
      const { rows } = await db.query(
        `INSERT INTO stock_move (name, state, date, reference, company_id, product_id, product_uom, product_uom_qty, product_qty, quantity, picked,
           location_id, location_dest_id, picking_id, origin_returned_move_id, price_unit, is_inventory, sale_line_id, purchase_line_id, create_date, write_date)
         VALUES ('move', 'done', $1, 'WH/MOVE', $2, $3, $4, $5, $6, $5, true, $7, $8, $9, $10, $11, $12, $13, $14, ${NOW}, ${NOW}) RETURNING id`,
        [
          m.date,
          this.ids.company,
          m.product,
          uom,
          m.qty,
          productQty,
          m.from,
          m.to,
          m.picking ?? null,
          m.returnOf ?? null,
          m.unitCost ?? 0,
          m.isInventory ?? false,
          m.saleLine ?? null,
          m.purchaseLine ?? null,
        ],
      )
      const id = rows[0].id as number
      if (m.unitCost !== undefined) {
        const { rows: usage } = await db.query('SELECT (SELECT usage FROM stock_location WHERE id = $1) AS src, (SELECT usage FROM stock_location WHERE id = $2) AS dest', [
          m.from,
          m.to,
        ])
        const valued = ['internal', 'transit']
        const sign = valued.includes(usage[0].dest) && !valued.includes(usage[0].src) ? 1 : !valued.includes(usage[0].dest) && valued.includes(usage[0].src) ? -1 : 0
        if (sign !== 0) {
          const value = Math.round(sign * productQty * m.unitCost * 100) / 100
          await db.query(
            `INSERT INTO stock_valuation_layer (company_id, product_id, quantity, unit_cost, value, remaining_qty, description, stock_move_id, create_date, write_date)
             VALUES ($1, $2, $3, $4, $5, $6, 'WH/MOVE', $7, ${NOW}, ${NOW})`,
            [this.ids.company, m.product, sign * productQty, m.unitCost, value, sign > 0 ? productQty : 0, id],
          )
        }
      }
      return id
    }
    return c ? run(c) : this.tx(run)
  }

  /** A move that is not done (draft, confirmed, assigned…): no valuation layer. */
  async pendingMove(m: MoveSpec, state: string): Promise<number> {
    const { rows } = await this.pool.query(
      `INSERT INTO stock_move (name, state, date, company_id, product_id, product_uom, product_uom_qty, quantity, location_id, location_dest_id, create_date, write_date)
       VALUES ('move', $1, $2, $3, $4, $5, $6, 0, $7, $8, ${NOW}, ${NOW}) RETURNING id`,
      [state, m.date, this.ids.company, m.product, m.uom ?? this.ids.units, m.qty, m.from, m.to],
    )
    return rows[0].id as number
  }

  /** A move leaves `done` (cancelled after it was done): the state changes, its layers stay. */
  async cancelMove(id: number): Promise<void> {
    await this.pool.query(`UPDATE stock_move SET state = 'cancel', write_date = ${NOW} WHERE id = $1`, [id])
  }

  /** A payment and its journal entry; posted unless told otherwise. */
  async payment(spec: {
    type: 'inbound' | 'outbound'
    partner?: number
    amount: number
    date: string
    state?: 'posted' | 'draft'
    internal?: boolean
    currency?: number
  }): Promise<number> {
    return this.tx(async (c) => {
      const state = spec.state ?? 'posted'
      const { rows } = await c.query(
        `INSERT INTO account_move (name, date, state, move_type, posted_before, partner_id, currency_id, company_id, create_date, write_date)
         VALUES ($1, $2, $3, 'entry', $4, $5, $6, $7, ${NOW}, ${NOW}) RETURNING id`,
        [
          state === 'posted' ? `P${randomBytes(3).toString('hex')}` : '/',
          spec.date,
          state,
          state === 'posted',
          spec.partner ?? null,
          spec.currency ?? this.ids.cny,
          this.ids.company,
        ],
      )
      const partnerType = spec.type === 'inbound' ? 'customer' : 'supplier'
      const partner = spec.partner ?? (spec.type === 'inbound' ? this.ids.customer : this.ids.vendor)
      const r = await c.query(
        `INSERT INTO account_payment (move_id, is_internal_transfer, payment_type, partner_type, partner_id, amount, currency_id, create_date, write_date)
         VALUES ($1, $2, $3, $4, $5, $6, $7, ${NOW}, ${NOW}) RETURNING id`,
        [rows[0].id, spec.internal ?? false, spec.type, partnerType, partner, spec.amount, spec.currency ?? this.ids.cny],
      )
      return r.rows[0].id as number
    })
  }

  /** Resets a posted payment to draft, as `action_draft` does: only the journal entry is written. */
  async paymentToDraft(id: number): Promise<void> {
    await this.pool.query(`UPDATE account_move SET state = 'draft', write_date = ${NOW} WHERE id = (SELECT move_id FROM account_payment WHERE id = $1)`, [id])
  }
}

async function seed(pool: pg.Pool): Promise<OdooIds> {
  const one = async (sql: string, values: unknown[] = []) => (await pool.query(sql, values)).rows[0].id as number
  const cny = await one(`INSERT INTO res_currency (name, symbol, rounding, decimal_places, active) VALUES ('CNY', '¥', 0.01, 2, true) RETURNING id`)
  const usd = await one(`INSERT INTO res_currency (name, symbol, rounding, decimal_places, active) VALUES ('USD', '$', 0.01, 2, true) RETURNING id`)
  const company = await one(`INSERT INTO res_company (name, currency_id) VALUES ('示例公司', $1) RETURNING id`, [cny])
  const partner = async (name: string, customer: number, supplier: number, parent?: number) => {
    const id = await one(
      `INSERT INTO res_partner (name, parent_id, is_company, active, customer_rank, supplier_rank, create_date, write_date) VALUES ($1, $2, $3, true, $4, $5, ${NOW}, ${NOW}) RETURNING id`,
      [name, parent ?? null, parent === undefined, customer, supplier],
    )
    await pool.query('UPDATE res_partner SET commercial_partner_id = $1 WHERE id = $2', [parent ?? id, id])
    return id
  }
  const vendor = await partner('华东供应商', 0, 1)
  const customer = await partner('上海客户', 1, 0)
  const customerContact = await partner('张三', 0, 0, customer)
  const uomCat = await one(`INSERT INTO uom_category (name) VALUES ('{"en_US": "Unit"}') RETURNING id`)
  const units = await one(
    `INSERT INTO uom_uom (name, category_id, factor, rounding, active, uom_type) VALUES ('{"en_US": "Units", "zh_CN": "件"}', $1, 1.0, 0.01, true, 'reference') RETURNING id`,
    [uomCat],
  )
  // Odoo stores a bigger unit's factor as 1 / ratio (uom_uom.factor: "1 × reference = factor × this unit")
  const dozens = await one(
    `INSERT INTO uom_uom (name, category_id, factor, rounding, active, uom_type) VALUES ('{"en_US": "Dozens", "zh_CN": "打"}', $1, $2, 0.01, true, 'bigger') RETURNING id`,
    [uomCat, 1 / 12],
  )
  const category = await one(`INSERT INTO product_category (name, complete_name, create_date, write_date) VALUES ('饮料', 'All / 饮料', ${NOW}, ${NOW}) RETURNING id`)
  const product = async (code: string | null, name: string, type = 'product') => {
    const tmpl = await one(
      `INSERT INTO product_template (name, type, detailed_type, categ_id, uom_id, uom_po_id, list_price, active, create_date, write_date)
       VALUES ($1, $2, $2, $3, $4, $4, 10, true, ${NOW}, ${NOW}) RETURNING id`,
      [JSON.stringify({ en_US: name, zh_CN: `${name}（中）` }), type, category, units],
    )
    return one(`INSERT INTO product_product (product_tmpl_id, default_code, active, create_date, write_date) VALUES ($1, $2, true, ${NOW}, ${NOW}) RETURNING id`, [tmpl, code])
  }
  const products: Record<string, number> = {}
  for (const code of ['COLA', 'TEA', 'WATER']) products[code] = await product(code, code.toLowerCase())
  products['(none)'] = await product(null, 'no code')
  const consumable = await product('BAG', 'bag', 'consu')
  const location = async (name: string, usage: string, warehouse?: number, parent?: number) =>
    one(
      `INSERT INTO stock_location (name, complete_name, usage, location_id, warehouse_id, company_id, active, create_date, write_date) VALUES ($1, $1, $2, $3, $4, $5, true, ${NOW}, ${NOW}) RETURNING id`,
      [name, usage, parent ?? null, warehouse ?? null, usage === 'internal' || usage === 'transit' ? company : null],
    )
  const wh = await one(`INSERT INTO stock_warehouse (name, code, company_id, active, create_date, write_date) VALUES ('上海仓', 'WH', $1, true, ${NOW}, ${NOW}) RETURNING id`, [
    company,
  ])
  const wh2 = await one(`INSERT INTO stock_warehouse (name, code, company_id, active, create_date, write_date) VALUES ('北京仓', 'BJ', $1, true, ${NOW}, ${NOW}) RETURNING id`, [
    company,
  ])
  const whStock = await location('WH/Stock', 'internal', wh)
  const whShelf = await location('WH/Stock/Shelf 1', 'internal', wh, whStock)
  const wh2Stock = await location('BJ/Stock', 'internal', wh2)
  const ids: OdooIds = {
    company,
    cny,
    usd,
    units,
    dozens,
    category,
    vendor,
    customer,
    customerContact,
    wh,
    wh2,
    locVendors: await location('Partners/Vendors', 'supplier'),
    locCustomers: await location('Partners/Customers', 'customer'),
    locInventory: await location('Virtual Locations/Inventory adjustment', 'inventory'),
    locProduction: await location('Virtual Locations/Production', 'production'),
    locTransit: await location('Inter-warehouse transit', 'transit'),
    whStock,
    whShelf,
    wh2Stock,
    receiptType: await one(
      `INSERT INTO stock_picking_type (name, code, sequence_code, warehouse_id, company_id) VALUES ('{"en_US": "Receipts"}', 'incoming', 'IN', $1, $2) RETURNING id`,
      [wh, company],
    ),
    deliveryType: await one(
      `INSERT INTO stock_picking_type (name, code, sequence_code, warehouse_id, company_id) VALUES ('{"en_US": "Delivery Orders"}', 'outgoing', 'OUT', $1, $2) RETURNING id`,
      [wh, company],
    ),
    products,
    consumable,
  }
  await pool.query('UPDATE stock_warehouse SET lot_stock_id = $1 WHERE id = $2', [whStock, wh])
  await pool.query('UPDATE stock_warehouse SET lot_stock_id = $1 WHERE id = $2', [wh2Stock, wh2])
  return ids
}
