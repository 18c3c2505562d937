/**
 * The drivers as a source uses them (server/sources/sql.ts), against the PostgreSQL and MariaDB of
 * the machine: rows in the shapes the mappings rely on, and every query bounded in time on the
 * client and on the server.
 */
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createSqlClient } from '../../server/sources/sql.ts'
import { createErpnextDb } from '../helpers/erpnext-db.ts'
import type { ErpDb } from '../helpers/erpnext-db.ts'

const PG_ROOT = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const pgName = `src_${randomUUID().replaceAll('-', '').slice(0, 12)}`
const pgUrl = PG_ROOT.replace(/\/[^/]*$/, `/${pgName}`)
let maria: ErpDb

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: PG_ROOT })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${pgName}`)
  await admin.end()
  maria = await createErpnextDb()
})

afterAll(async () => {
  const admin = new pg.Client({ connectionString: PG_ROOT })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`)
  await admin.end()
  await maria?.drop()
})

describe('postgres', () => {
  test('timestamp without time zone comes as its text, numeric as exact strings', async () => {
    const c = createSqlClient({ dialect: 'postgres', url: pgUrl, queryTimeoutMs: 5000 })
    const rows = await c.query({ text: "SELECT '2026-12-06 01:30:00.123456'::timestamp AS w, 12.345678901::numeric(20,9) AS n, $1::int AS p", values: [7] })
    expect(rows).toEqual([{ w: '2026-12-06 01:30:00.123456', n: '12.345678901', p: 7 }])
    await c.close()
  })

  test('a query past its bound is stopped by the server (statement_timeout)', async () => {
    const c = createSqlClient({ dialect: 'postgres', url: pgUrl, queryTimeoutMs: 300 })
    const started = Date.now()
    await expect(c.query({ text: 'SELECT pg_sleep(5)', values: [] })).rejects.toThrow(/statement timeout/)
    expect(Date.now() - started).toBeLessThan(2500)
    // the connection is usable again
    expect(await c.query({ text: 'SELECT 1 AS one', values: [] })).toEqual([{ one: 1 }])
    await c.close()
  })
})

describe('mysql (MariaDB)', () => {
  test('DATETIME as strings with microseconds, DECIMAL exact; the session bound set on the server', async () => {
    const c = createSqlClient({ dialect: 'mysql', url: maria.url, queryTimeoutMs: 4000 })
    const rows = await c.query({ text: "SELECT CAST('2026-12-06 09:30:00.123456' AS DATETIME(6)) AS m, CAST(12.345678901 AS DECIMAL(21,9)) AS n, ? AS p", values: ['x'] })
    expect(rows).toEqual([{ m: '2026-12-06 09:30:00.123456', n: '12.345678901', p: 'x' }])
    const [bound] = await c.query({ text: 'SELECT @@SESSION.max_statement_time AS s', values: [] })
    expect(Number(bound!.s)).toBe(4)
    await c.close()
  })

  test('a query past its bound is stopped by the client', async () => {
    const c = createSqlClient({ dialect: 'mysql', url: maria.url, queryTimeoutMs: 300 })
    const started = Date.now()
    await expect(c.query({ text: 'SELECT SLEEP(5) AS s', values: [] })).rejects.toThrow(/timeout|interrupted/i)
    expect(Date.now() - started).toBeLessThan(3000)
    await c.close()
  })
})
