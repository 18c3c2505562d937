/**
 * Reading a spreadsheet or a movement file as rows of cells, and the preview of what an import
 * would apply (docs/import.md): `.xlsx` through exceljs' streaming WorkbookReader (the first
 * worksheet, one row at a time), CSV through csv-parse, NDJSON line by line. Shared by
 * `npm run import` (server/cli/import.ts) and `POST /api/v1/import[/preview]` (server/plugins/import.ts).
 */
import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { Readable } from 'node:stream'
import ExcelJS from 'exceljs'
import { parse as parseCsv } from 'csv-parse'
import type { FieldError, RejectedMovement } from '../../protocol/movement.ts'
import type { BusinessCalendar } from '../domain/time.ts'
import { cellValue, detectMapping, rowToMovement } from './columns.ts'
import type { Cell, ColumnMapping, MappingFile } from './columns.ts'
import { validateMovement } from './validate.ts'
import { assertInflatesWithin, ZipBoundsError } from './zip-bounds.ts'
import type { NormalizedMovement, ValidateOptions } from './validate.ts'

export type SheetFormat = 'ndjson' | 'csv' | 'xlsx'

/** The format of a file by its name (`.xlsx`, `.csv`, else NDJSON) or a content type. */
export function sheetFormatOf(name: string | undefined, contentType?: string): SheetFormat | undefined {
  if (name && /\.xlsx$/i.test(name)) return 'xlsx'
  if (name && /\.csv$/i.test(name)) return 'csv'
  if (name && /\.(ndjson|jsonl)$/i.test(name)) return 'ndjson'
  const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase()
  if (ct === 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet') return 'xlsx'
  if (ct === 'text/csv') return 'csv'
  if (ct === 'application/x-ndjson') return 'ndjson'
  return undefined
}

/** One row of the first worksheet: its row number and its cells (column A first). */
export interface SheetRow {
  row: number
  cells: Cell[]
  /** NDJSON read elsewhere: the line already parsed, or why it is not JSON */
  parsed?: { value: unknown } | { error: string }
}

/** The rows of an Excel worksheet: no sheet Excel writes or opens has more. */
export const EXCEL_MAX_ROWS = 1_048_576

/**
 * Rows of the first worksheet of an .xlsx (a buffer, or a file by its path), streamed (shared strings
 * cached, styles read so that date cells come as dates). What the zip inflates to is bounded first
 * (./zip-bounds.ts). Empty rows are skipped, as Excel numbers them; past `maxRowsRead` rows read or
 * numbered, blank ones included, the file is refused: a small zip can inflate to endless blank rows
 * that no data-row limit would ever see. `onStream` is given the file's read stream (progress by bytes).
 */
export async function* xlsxRows(input: string | Buffer, maxRowsRead = Infinity, onStream?: (s: Readable & { bytesRead: number }) => void): AsyncGenerator<SheetRow> {
  try {
    await assertInflatesWithin(typeof input === 'string' ? await readFile(input) : input)
  } catch (err) {
    if (err instanceof ZipBoundsError) throw new SheetError(err.message, err.tooLarge)
    throw err
  }
  let stream: Readable
  if (typeof input === 'string') {
    const file = createReadStream(input)
    onStream?.(file)
    stream = file
  } else {
    stream = Readable.from([input])
  }
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(stream, { worksheets: 'emit', sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', entries: 'ignore' })
  let read = 0
  for await (const sheet of reader) {
    for await (const row of sheet) {
      if (++read > maxRowsRead || row.number > maxRowsRead) throw new SheetError(`the file has more than ${maxRowsRead} rows, blank ones included; split it`, true)
      // row.values is 1-based (index 0 empty)
      const values = (row.values as unknown[]).slice(1)
      const cells = Array.from({ length: values.length }, (_, i) => cellValue(values[i]))
      if (cells.every((c) => c === null || (typeof c === 'string' && c.trim() === ''))) continue
      yield { row: row.number, cells }
    }
    // the first worksheet only
    break
  }
}

/** CSV rows (RFC 4180, BOM allowed, cells trimmed) with their first line's number. */
export async function* csvRows(input: Readable): AsyncGenerator<SheetRow> {
  const parser = input.pipe(parseCsv({ bom: true, info: true, skip_empty_lines: true, trim: true, relax_column_count: true }))
  for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    yield { row: rec.info.lines, cells: rec.record }
  }
}

/** What a file would import: the mapping, the first rows as movements, the rejects, the counts. */
export interface ImportPreview {
  format: SheetFormat
  /** the header row and what each column fills (null for NDJSON: fields are named in each line) */
  mapping: ColumnMapping | null
  /** the first `limit` valid rows as movements, with their row numbers */
  rows: { row: number; movement: Record<string, unknown> }[]
  /** the first `limit` rejected rows with their reasons (index: 0-based data row) */
  rejected: (RejectedMovement & { row: number })[]
  /** data rows read (blank ones skipped) */
  total: number
  valid: number
  rejectedCount: number
}

export interface ReadOptions {
  calendar: BusinessCalendar
  validate: ValidateOptions
  mapping?: MappingFile
  /** most rows kept in `rows` and `rejected` @default 20 */
  limit?: number
  /** most data rows read: a longer file is refused @default Infinity */
  maxRows?: number
  /** called with each valid movement (the import collects them); absent: only the preview */
  onMovement?(m: NormalizedMovement, row: number): void
}

/** The file has more rows than allowed, or no header row: the message says which. */
export class SheetError extends Error {
  override readonly name = 'SheetError'
  /** @param tooLarge the file is refused for its size (rows, or what it inflates to), not its content */
  constructor(
    message: string,
    readonly tooLarge = false,
  ) {
    super(message)
  }
}

/** Rows of a buffer in a format: cells (CSV, xlsx) or one JSON value a line (NDJSON, cells[0]). */
export function rowsOf(format: SheetFormat, body: Buffer): AsyncGenerator<SheetRow> {
  if (format === 'xlsx') return xlsxRows(body, EXCEL_MAX_ROWS)
  if (format === 'csv') return csvRows(Readable.from([body]))
  return (async function* () {
    let row = 0
    for (const line of body.toString('utf8').split('\n')) {
      row++
      if (line.trim() !== '') yield { row, cells: [line.trim()] }
    }
  })()
}

/**
 * Reads a whole file (a request body): maps its header, converts and validates every row, keeps
 * the first rows and rejects for a preview and hands each valid movement to `onMovement`.
 */
export async function readSheet(format: SheetFormat, body: Buffer, o: ReadOptions): Promise<ImportPreview> {
  return readRows(format, rowsOf(format, body), o)
}

/** As readSheet, from rows already being read (a file streamed by `npm run import -- --preview`). */
export async function readRows(format: SheetFormat, rows: AsyncIterable<SheetRow>, o: ReadOptions): Promise<ImportPreview> {
  const limit = o.limit ?? 20
  const maxRows = o.maxRows ?? Infinity
  const now = Date.now()
  const preview: ImportPreview = { format, mapping: null, rows: [], rejected: [], total: 0, valid: 0, rejectedCount: 0 }
  let mapping: ColumnMapping | undefined
  const reject = (index: number, row: number, id: string | null, errors: FieldError[]) => {
    preview.rejectedCount++
    if (preview.rejected.length < limit) preview.rejected.push({ index, row, id, errors })
  }
  for await (const { row, cells, parsed } of rows) {
    if (format !== 'ndjson' && !mapping) {
      mapping = detectMapping(
        cells.map((c) => (c === null || c === undefined ? '' : String(c))),
        o.mapping,
      )
      preview.mapping = mapping
      continue
    }
    const index = preview.total++
    // a large upload is read in slices: other requests are served in between
    if ((index & 1023) === 1023) await new Promise<void>((resolve) => setImmediate(resolve))
    if (preview.total > maxRows) throw new SheetError(`the file has more than ${maxRows} rows; split it, or use npm run import`, true)
    let value: unknown
    if (format === 'ndjson') {
      if (parsed && 'error' in parsed) {
        reject(index, row, null, [{ path: '/', message: parsed.error }])
        continue
      }
      try {
        value = parsed ? parsed.value : JSON.parse(String(cells[0]))
      } catch (err) {
        reject(index, row, null, [{ path: '/', message: `not valid JSON: ${(err as Error).message}` }])
        continue
      }
    } else {
      const outcome = rowToMovement(cells, mapping!, { calendar: o.calendar, row })
      if (!outcome.ok) {
        reject(index, row, null, outcome.errors)
        continue
      }
      value = outcome.value
    }
    const v = validateMovement(value, index, { ...o.validate, now, details: preview.rejected.length < limit })
    if (!v.ok) {
      reject(index, row, v.rejected.id, v.rejected.errors)
      continue
    }
    preview.valid++
    if (preview.rows.length < limit) preview.rows.push({ row, movement: value as Record<string, unknown> })
    o.onMovement?.(v.movement, row)
  }
  if (format !== 'ndjson' && !mapping) throw new SheetError('the file is empty: its first row must name the columns')
  return preview
}
