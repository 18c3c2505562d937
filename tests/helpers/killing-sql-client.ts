/**
 * A database source's SQL client for fault tests: it counts its queries and rows and, at the given
 * queries, has its own connection killed by another session while a statement runs on it, so that
 * query fails as a page read does when the database goes away under it.
 */
import { createSqlClient } from '../../server/sources/sql.ts'
import type { SqlClient, SqlClientOptions } from '../../server/sources/sql.ts'

/** How to kill a session of one database: its id as `id`, a statement that runs for seconds, the kill from elsewhere. */
export interface SessionKiller {
  idQuery: string
  sleepQuery: string
  kill(id: number): Promise<unknown>
}

/** MariaDB / MySQL: KILL CONNECTION, run by `sql` on another connection */
export const mariadbKiller = (sql: (text: string) => Promise<unknown>): SessionKiller => ({
  idQuery: 'SELECT CONNECTION_ID() AS id',
  sleepQuery: 'SELECT SLEEP(5) AS s',
  kill: (id) => sql(`KILL CONNECTION ${id}`),
})

/** PostgreSQL: pg_terminate_backend, run by `query` on another connection */
export const postgresKiller = (query: (text: string, values: unknown[]) => Promise<unknown>): SessionKiller => ({
  idQuery: 'SELECT pg_backend_pid() AS id',
  sleepQuery: 'SELECT pg_sleep(5)',
  kill: (id) => query('SELECT pg_terminate_backend($1)', [id]),
})

export function killingSqlClient(killer: SessionKiller, killAt: ReadonlySet<number> = new Set()) {
  const stats = { queries: 0, rows: 0, kills: 0 }
  const connect = (o: SqlClientOptions): SqlClient => {
    const inner = createSqlClient(o)
    return {
      dialect: inner.dialect,
      async query(q) {
        stats.queries++
        if (killAt.has(stats.queries)) {
          const [row] = await inner.query({ text: killer.idQuery, values: [] })
          // its failure is taken at once (else it is an unhandled rejection until awaited) and thrown below
          const failed = inner.query({ text: killer.sleepQuery, values: [] }).then(
            () => undefined,
            (err: unknown) => err,
          )
          await new Promise((r) => setTimeout(r, 100))
          await killer.kill(Number(row!.id))
          stats.kills++
          const err = await failed
          if (err !== undefined) throw err
        }
        const rows = await inner.query(q)
        stats.rows += rows.length
        return rows
      },
      close: () => inner.close(),
    }
  }
  return { stats, connect }
}
