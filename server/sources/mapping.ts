/**
 * The contract between a database source's runner and an ERP mapping.
 *
 * A mapping knows one ERP's tables: how to read each of them a page at a time after a watermark,
 * and how each row becomes movements. The runner knows everything else: connections, paging,
 * the watermark kept in Redis, the lease, applying movements through the applier, counting,
 * back-off. A mapping is pure: no I/O, no clock, no global state, so it is tested row by row.
 *
 * Reading by watermark: rows are read in (modified, key) order strictly after the last applied
 * (modified, key) pair, never by time alone (two rows may share a timestamp; a page may end
 * between them). A row that changes later (cancelled, amended, soft-deleted) gets a new
 * modification time and is read again; movement ids derived from the ERP's own line id make the
 * re-read a duplicate, and a row now cancelled maps to a `cancel` of that id.
 */
import type { Movement } from '../../protocol/movement.ts'
import type { MasterKind } from '../../protocol/master.ts'

/** SQL dialect of the ERP database: the driver the runner uses (`pg` or `mysql2`). */
export type Dialect = 'postgres' | 'mysql'

/** ERPs with a ready-made mapping. */
export type ErpKind = 'erpnext' | 'odoo' | 'jsherp'

/**
 * Position after the last row applied: the row's modification time as the database returns it,
 * normalised to an RFC 3339 string in UTC with milliseconds (or more digits, when the database
 * keeps microseconds: the watermark must name the exact row), and its primary key as text.
 *
 * Rows reach a mapping as the drivers return them (server/sources/sql.ts): on mysql DATETIME,
 * DATE and TIMESTAMP as strings (`2026-12-06 09:30:00.123456`) and DECIMAL as strings; on
 * postgres pg's defaults (numeric as strings, timestamptz as Date) except `timestamp without
 * time zone`, returned as its text (`2026-12-06 01:30:00.123456`), which is UTC in Odoo.
 */
export interface Watermark {
  modified: string
  key: string
}

/** A parameterised query for the dialect's driver: `$1…` placeholders for postgres, `?` for mysql. */
export interface SqlQuery {
  text: string
  values: unknown[]
}

/** What the mapping may read from the source's configuration. */
export interface MapContext {
  /** IANA business time zone (COCKPIT_TZ): ERP timestamps without an offset are local times there */
  tz: string
  /** base currency of the cockpit (ISO 4217) */
  baseCurrency: string
  /** the ERP's company (ERPNext `company`, Odoo `company_id`, jshERP `tenant_id`) when the source is limited to one */
  company?: string
  /** prefix for every movement id and code this source produces, so two ERPs never collide @default '' */
  idPrefix: string
}

/**
 * What one row stands for now.
 * - `movements`: the movements of the row in its current state, including `cancel`s of the
 *   row's earlier movements when the ERP cancelled or amended it. Ids are derived from the
 *   ERP's line id (and nothing that changes on re-read), so applying them twice is harmless.
 * - `skip`: the row carries nothing for the cockpit (a draft, a service item…), with the reason.
 * - `reject`: the row should carry something but cannot be mapped; recorded with the reason.
 */
export type RowResult = { movements: Movement[] } | { skip: string } | { reject: string }

/**
 * Rows the runner remembers, for an ERP whose rows flip between counting and not (a bill approved,
 * un-approved, approved again) and may delete a document's lines for good when the document is
 * edited (jshERP). For each row that gave movements the runner keeps its document and the
 * generation of its movement ids (server/sources/line-state.ts): a row that counts again after its
 * movements were cancelled gets new ids (`<id>:r<n>`), since a cancelled id stays cancelled. With
 * `current`, every `everyMs` it asks the ERP which lines the remembered documents have now (one
 * query, a consistent answer for each document) and cancels the movements of the lines gone.
 * The mapping names a cancel `cancelIdOf(target)`.
 */
export interface DocumentLines<Row = Record<string, unknown>> {
  /** the document and line (the row's key) of a row, or undefined when the row's document is past the window the ERP is re-read over */
  of(row: Row): { doc: string; line: string } | undefined
  /** the lines these documents have now: rows with the columns `doc` and `line`, as `of` names them; absent: rows are never deleted for good */
  current?(docs: readonly string[], ctx: MapContext): SqlQuery
  /** the ids (generation 0) of the movements a line's row gives, to cancel when the line is gone */
  movementIds(line: string, ctx: MapContext): string[]
  /** how often `current` is asked, ms */
  readonly everyMs: number
  /** a line not read again for this long is forgotten, ms */
  readonly keepMs: number
}

/** One ERP table (or join) read incrementally. */
export interface StreamMapping<Row = Record<string, unknown>> {
  /** unique within the mapping, e.g. `stock-ledger`; names the watermark kept in Redis */
  readonly name: string
  /**
   * One page of rows strictly after `after` in (modified, key) order, at most `limit` rows.
   * `since` (YYYY-MM-DD, business date) bounds the first backfill: rows of documents dated before
   * it are not read.
   */
  page(after: Watermark | null, limit: number, since: string | undefined, ctx: MapContext): SqlQuery
  /**
   * the watermark of a row the page returned. `ctx` is passed too (a mapping whose timestamps are
   * local times needs the zone to normalise them); a mapping that does not need it ignores it
   */
  watermark(row: Row, ctx: MapContext): Watermark
  /** what the row stands for */
  map(row: Row, ctx: MapContext): RowResult
  /** rows the runner remembers: new ids for a row counting again, cancels of lines deleted with an edit (jshERP) */
  readonly lines?: DocumentLines<Row>
}

/** Master data read from the ERP (items, warehouses, partners), upserted through the master-data service. */
export interface MasterStream<Row = Record<string, unknown>> {
  readonly name: string
  readonly kind: MasterKind
  page(after: Watermark | null, limit: number, ctx: MapContext): SqlQuery
  watermark(row: Row, ctx: MapContext): Watermark
  /** the master record (the shape `PUT /api/v1/master/:kind` takes), or a reason it is skipped */
  map(row: Row, ctx: MapContext): { record: Record<string, unknown> } | { skip: string }
}

export interface ErpMapping {
  readonly erp: ErpKind
  readonly dialect: Dialect
  /** movement streams, read in this order each poll */
  readonly streams: readonly StreamMapping[]
  /** master-data streams, read before the movement streams */
  readonly master: readonly MasterStream[]
}
