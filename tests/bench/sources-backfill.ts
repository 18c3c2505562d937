/**
 * tsx tests/bench/sources-backfill.ts [rows] — throughput of a database source's backfill and its
 * live lag, against the MariaDB and Redis of the machine (docs/operations.md "Database sources").
 *
 * 1. Backfill: an ERPNext-shaped database with `rows` stock ledger entries (receipts and
 *    deliveries of 200 items in 4 warehouses over 90 days) is read by one runner (pages of 5000)
 *    into a fresh cockpit prefix; rows per second from the first query to caught up.
 * 2. Live lag: a payment entry is committed in the ERP every ~1.3 s, 15 times; the time until
 *    `cash.in` shows it through POST /api/v1/query (poll interval 1000 ms, the default).
 */
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { buildApp } from '../../server/app.ts'
import { loadConfig } from '../../server/config.ts'
import { SourceRunner } from '../../server/sources/runner.ts'
import { createErpnextDb, shanghaiDate } from '../helpers/erpnext-db.ts'
import { deletePrefix } from '../helpers/redis-prefix.ts'

const ROWS = Number(process.argv[2] ?? 100_000)
const prefix = `bench:src:${randomUUID().slice(0, 8)}:`
const ENV = 'BENCH_ERPNEXT_URL'

const pad = (n: number, w = 2) => String(n).padStart(w, '0')
const db = await createErpnextDb()
process.env[ENV] = db.url
const app = await buildApp({ config: loadConfig({ COCKPIT_KEY_PREFIX: prefix, COCKPIT_SOURCES: 'off' }), logger: false })
await app.ready()
try {
  // the ledger: receipts first, then deliveries of half of what came in, one entry per row
  const started = Date.now()
  const batch: unknown[][] = []
  const flush = async () => {
    if (batch.length === 0) return
    await db.sql(
      `INSERT INTO \`tabStock Ledger Entry\` (name, creation, modified, docstatus, item_code, warehouse, posting_date, posting_time, voucher_type, voucher_no,
        voucher_detail_no, actual_qty, qty_after_transaction, incoming_rate, valuation_rate, stock_value, stock_value_difference, company, is_cancelled) VALUES ${batch.map(() => '(?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, 0, ?, ?, 0)').join(',')}`,
      batch.flat(),
    )
    batch.length = 0
  }
  for (let i = 0; i < ROWS; i++) {
    const day = -90 + Math.floor((i * 90) / ROWS)
    const date = shanghaiDate(day)
    const time = `${pad(8 + (i % 10))}:${pad(i % 60)}:00`
    const modified = `${date} ${time}.${pad(i % 1_000_000, 6)}`
    const item = `ITEM-${i % 200}`
    const wh = `WH-${i % 4}`
    const receipt = i % 3 !== 2
    const qty = receipt ? 10 : -5
    batch.push([
      `MAT-SLE-${pad(i, 8)}`,
      modified,
      modified,
      item,
      wh,
      date,
      time,
      receipt ? 'Purchase Receipt' : 'Stock Reconciliation',
      `V-${i}`,
      `D-${i}`,
      qty,
      receipt ? 12.5 : 0,
      12.5,
      qty * 12.5,
      'Test Co',
    ])
    if (batch.length === 2000) await flush()
  }
  await flush()
  process.stdout.write(`ledger of ${ROWS} rows written in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)

  await app.sources.store.save({ id: 'bench', kind: 'erpnext', connectionEnv: ENV, schedule: { pageSize: 5000, settleMs: 0 }, backfill: { since: shanghaiDate(-120) } }, undefined)
  const t0 = Date.now()
  let applyMs = 0
  const deps = app.sources.runnerDeps
  const runner = (await SourceRunner.start('bench', {
    ...deps,
    apply: async (m) => {
      const t = Date.now()
      try {
        return await deps.apply(m)
      } finally {
        applyMs += Date.now() - t
      }
    },
  }))!
  for (;;) {
    const st = await app.sources.store.status('bench')
    if (st.bfDoneAt) break
    await new Promise((r) => setTimeout(r, 50))
  }
  const seconds = (Date.now() - t0) / 1000
  const st = await app.sources.store.status('bench')
  process.stdout.write(
    `backfill: ${st.read} rows read, ${st.applied} applied in ${seconds.toFixed(2)} s = ${Math.round(Number(st.read) / seconds)} rows/s (${(applyMs / 1000).toFixed(2)} s of it in the applier)\n`,
  )

  // live lag: committed in the ERP → visible in a query
  const lags: number[] = []
  const period = { from: `${shanghaiDate(-1)}T00:00:00+08:00`, to: `${shanghaiDate(1)}T00:00:00+08:00` }
  const cashIn = async () => (await app.inject({ method: 'POST', url: '/api/v1/query', payload: { metric: 'cash.in', ...period } })).json().total ?? 0
  for (let k = 0; k < 15; k++) {
    const before = await cashIn()
    const now = new Date(Date.now() + 8 * 3_600_000).toISOString().replace('T', ' ').replace('Z', '')
    const t = Date.now()
    await db.sql(
      "INSERT INTO `tabPayment Entry` (name, creation, modified, docstatus, payment_type, posting_date, company, party, base_paid_amount, base_received_amount) VALUES (?, ?, ?, 1, 'Receive', ?, 'Test Co', 'C1', 10, 10)",
      [`PE-${k}`, now, now, shanghaiDate(0)],
    )
    while ((await cashIn()) === before) await new Promise((r) => setTimeout(r, 10))
    lags.push(Date.now() - t)
    await new Promise((r) => setTimeout(r, 300 + Math.random() * 700))
  }
  lags.sort((a, b) => a - b)
  process.stdout.write(`live lag (poll 1000 ms): p50 ${lags[Math.floor(lags.length / 2)]} ms, max ${lags[lags.length - 1]} ms over ${lags.length} documents\n`)
  await runner.stop()
} finally {
  await app.close()
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
  await deletePrefix(redis, prefix)
  redis.disconnect()
  await db.drop()
}
