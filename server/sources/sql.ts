/**
 * The ERP database, through the two well-kept drivers: `mysql2` (ERPNext on MariaDB, jshERP on
 * MySQL) and `pg` (Odoo). One connection per source (a pool of one, replaced when it breaks), and
 * every query bounded in time on both sides: the client gives up after `queryTimeoutMs`, and the
 * server is told the same (`statement_timeout` on PostgreSQL; `max_statement_time` on MariaDB,
 * `max_execution_time` on MySQL), so a slow ERP database is never held by a forgotten query.
 *
 * Rows come as the drivers return them, with these choices (server/sources/mapping.ts relies on them):
 * - mysql: DATETIME, DATE and TIMESTAMP as strings (`dateStrings`: `2026-12-06 09:30:00.123456`),
 *   DECIMAL as strings (mysql2's default, exact), TIME as `HH:MM:SS[.ffffff]`;
 * - postgres: pg's defaults (numeric as strings, timestamp as Date read in the process's zone,
 *   except `timestamp without time zone`, which is returned as its text so a mapping reads it as UTC
 *   the way Odoo stores it).
 */
import mysql from 'mysql2/promise'
import pg from 'pg'
import type { Dialect, SqlQuery } from './mapping.ts'

export type SqlRow = Record<string, unknown>

export interface SqlClient {
  readonly dialect: Dialect
  query(q: SqlQuery): Promise<SqlRow[]>
  close(): Promise<void>
}

export interface SqlClientOptions {
  dialect: Dialect
  url: string
  queryTimeoutMs: number
  /** milliseconds to wait for a connection @default 10 000 */
  connectTimeoutMs?: number
}

/** pg type oid of `timestamp without time zone` */
const PG_TIMESTAMP = 1114

export function createSqlClient(o: SqlClientOptions): SqlClient {
  return o.dialect === 'mysql' ? mysqlClient(o) : postgresClient(o)
}

function mysqlClient(o: SqlClientOptions): SqlClient {
  const pool = mysql.createPool({
    uri: o.url,
    connectionLimit: 1,
    maxIdle: 1,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    connectTimeout: o.connectTimeoutMs ?? 10_000,
    enableKeepAlive: true,
  })
  // the server's own bound; each statement exists on one of the two, the other is refused (ignored)
  const seconds = Math.max(1, Math.ceil(o.queryTimeoutMs / 1000))
  pool.pool.on('connection', (conn) => {
    conn.query(`SET SESSION max_statement_time = ${seconds}`, () => undefined)
    conn.query(`SET SESSION max_execution_time = ${o.queryTimeoutMs}`, () => undefined)
  })
  return {
    dialect: 'mysql',
    async query(q) {
      const [rows] = await pool.query({ sql: q.text, values: q.values, timeout: o.queryTimeoutMs })
      return rows as SqlRow[]
    },
    async close() {
      await pool.end().catch(() => undefined)
    },
  }
}

function postgresClient(o: SqlClientOptions): SqlClient {
  const pool = new pg.Pool({
    connectionString: o.url,
    max: 1,
    statement_timeout: o.queryTimeoutMs,
    query_timeout: o.queryTimeoutMs + 1000,
    connectionTimeoutMillis: o.connectTimeoutMs ?? 10_000,
    types: {
      getTypeParser: ((oid: number, format?: string) => (oid === PG_TIMESTAMP ? (v: string) => v : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
    },
  })
  // an idle connection the server closed: the next query reconnects; without a listener it would end the process
  pool.on('error', () => undefined)
  return {
    dialect: 'postgres',
    async query(q) {
      const res = await pool.query(q.text, q.values)
      return res.rows as SqlRow[]
    },
    async close() {
      await pool.end().catch(() => undefined)
    },
  }
}

/** A connection URL with its password replaced, for messages. */
export function redactDbUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '(not a URL)'
  }
}

/** A PostgreSQL `LISTEN` on a connection of its own: wakes a source's runner when the ERP notifies. */
export interface PgListener {
  close(): Promise<void>
}

/** PostgreSQL channel names the definition accepts (an unquoted identifier, lower case). */
export const NOTIFY_CHANNEL_PATTERN = '^[a-z_][a-z0-9_]{0,62}$'

/**
 * Opens a dedicated connection and `LISTEN`s on `channel`: `onNotify` runs on each notification,
 * `onLost` once when the connection ends or fails (the runner opens a new one at its next poll).
 * The channel is checked against NOTIFY_CHANNEL_PATTERN by the definition's validation.
 */
export async function listenPostgres(o: { url: string; channel: string; connectTimeoutMs?: number; onNotify: () => void; onLost: (err?: Error) => void }): Promise<PgListener> {
  if (!new RegExp(NOTIFY_CHANNEL_PATTERN).test(o.channel)) throw new Error(`invalid notify channel "${o.channel}"`)
  const client = new pg.Client({ connectionString: o.url, connectionTimeoutMillis: o.connectTimeoutMs ?? 10_000, keepAlive: true })
  let open = true
  const lost = (err?: Error) => {
    if (!open) return
    open = false
    o.onLost(err)
  }
  client.on('error', (err) => lost(err))
  client.on('end', () => lost())
  client.on('notification', () => o.onNotify())
  try {
    await client.connect()
    await client.query(`LISTEN ${o.channel}`)
  } catch (err) {
    open = false
    await client.end().catch(() => undefined)
    throw err
  }
  return {
    async close() {
      open = false
      await client.end().catch(() => undefined)
    },
  }
}
