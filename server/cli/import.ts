/**
 * npm run import -- <file> [--url http://127.0.0.1:3000] [--key <ingest key>] [--format ndjson|csv|xlsx] [--mapping m.json] [--preview]
 *                  [--report <file>.rejected.ndjson] [--batch 5000] [--concurrency 4] [--limit N] [--restart]
 *
 * Backfill: loads movement history from NDJSON, CSV or .xlsx (ERP exports with Chinese headers
 * mapped by server/ingest/columns.ts) into a cockpit through the ingest API, like
 * any ERP connector (docs/import.md). Streams the file (constant memory), validates each line
 * locally with the server's own validation so bad lines are reported instead of blocking good
 * ones, posts batches of up to 5000 (each atomic and idempotent by id; two in flight by default), retries 503s with
 * backoff, and keeps a checkpoint next to the input so an interrupted import resumes where it
 * stopped. Re-running is safe anyway: ids are idempotency keys.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import type { Readable } from 'node:stream'
import { appendFile, open, rename, rm, stat, writeFile, readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import cliProgress from 'cli-progress'
import { parse as parseCsv } from 'csv-parse'
import { API_PREFIX } from '../../protocol/api.ts'
import { MAX_JSON_BATCH } from '../../protocol/movement.ts'
import type { FieldError, Movement, MovementType, RejectedMovement } from '../../protocol/movement.ts'
import { REVERSIBLE_IN_BATCH } from '../aggregate/fold.ts'
import { validateMovement } from '../ingest/validate.ts'
import { checkMappingFile, detectMapping, MappingError, rowToMovement } from '../ingest/columns.ts'
import type { ColumnMapping, MappingFile } from '../ingest/columns.ts'
import { csvRows, readRows, xlsxRows } from '../ingest/spreadsheet.ts'
import type { ImportPreview, SheetRow } from '../ingest/spreadsheet.ts'
import { createCalendar } from '../domain/time.ts'
import type { BusinessCalendar } from '../domain/time.ts'

export type ImportFormat = 'ndjson' | 'csv' | 'xlsx'

export interface ImportOptions {
  file: string
  /** cockpit base URL @default "http://127.0.0.1:3000" */
  url: string
  /** ingest key (Bearer) */
  key: string
  /** @default from the extension: .csv → csv, .xlsx → xlsx, otherwise ndjson */
  format?: ImportFormat
  /** headers and type names beyond the built-in ones (server/ingest/columns.ts) */
  mapping?: MappingFile
  /** business time zone: dates without an offset are read in it @default "Asia/Shanghai" */
  timeZone?: string
  /** where rejected lines are written (NDJSON) @default "<file>.rejected.ndjson" */
  report?: string
  /** movements per POST, ≤ 5000 @default 5000 */
  batchSize?: number
  /** batches in flight at once (1: one after the other) @default 2 */
  concurrency?: number
  /** stop after this many lines in this run (the checkpoint keeps the place) */
  limit?: number
  /** ignore an existing checkpoint and start from the first line @default false */
  restart?: boolean
  /** give up when the cockpit keeps answering 503 / is unreachable this long @default 300000 */
  maxRetryMs?: number
  /** stop after the batch in flight (the checkpoint keeps the place) */
  signal?: AbortSignal
  /** called after every batch */
  onProgress?: (p: ImportProgress) => void
}

export interface ImportStats {
  /** lines with a record (blank lines are skipped) */
  lines: number
  accepted: number
  duplicates: number
  rejected: number
  /** posts repeated after a 503 or a network error */
  retries: number
}

export interface ImportProgress extends ImportStats {
  /** bytes of the input done */
  bytes: number
  totalBytes: number
  /** lines per second in this run */
  linesPerSecond: number
  /**
   * seconds left at this run's average pace (bytes done per second since it started; undefined before any):
   * a short window swung with batch sizes and put the estimate off by 2× half-way through a 3 M-line file
   */
  etaSeconds: number | undefined
}

export interface ImportResult extends ImportStats {
  /** false when stopped by --limit or a signal: run again to resume */
  complete: boolean
  /** the line this run started at */
  startLine: number
  /** whether this run continued from a checkpoint */
  resumed: boolean
  report: string
  checkpoint: string
  elapsedMs: number
}

/**
 * Whether a valid movement must start a new batch: the server reverses a cancel of an order or a payment of
 * the batch so far (`types`, by id) in the same batch (REVERSIBLE_IN_BATCH), but a cancel of a stock movement
 * needs the cost it was applied at, so it goes in a later batch.
 */
export function startsBatch(m: Movement, types: ReadonlyMap<string, MovementType>): boolean {
  if (m.type !== 'cancel') return false
  const target = types.get(m.cancels)
  return target !== undefined && !REVERSIBLE_IN_BATCH.has(target)
}

/** Valid movements cut into batches as runImport cuts them (tests/bench/write-path.ts applies history so). */
export function* importBatches(movements: Iterable<Movement>, size: number): Generator<Movement[]> {
  let batch: Movement[] = []
  let types = new Map<string, MovementType>()
  for (const m of movements) {
    if (batch.length >= size || startsBatch(m, types)) {
      yield batch
      batch = []
      types = new Map()
    }
    batch.push(m)
    types.set(m.id, m.type)
  }
  if (batch.length > 0) yield batch
}

/** A line that could not be imported, as written to the report. */
export interface ReportLine {
  line: number
  id: string | null
  errors: FieldError[]
}

export class ImportError extends Error {
  override readonly name = 'ImportError'
}

interface Checkpoint {
  v: 1
  format: ImportFormat
  /** byte offset of the first line not yet done */
  offset: number
  /** its line number (1-based) */
  nextLine: number
  /** CSV header, so the rest of the file can be read from the middle */
  columns?: string[]
  /** sha256 of the first min(offset, 64 KiB) bytes: the checkpoint belongs to this file */
  fingerprint: string
  stats: ImportStats
}

/** One record of the input with where it ends. */
interface SourceRecord {
  line: number
  /** parsed object, or why the line is not one */
  value: unknown
  error?: string
  /** why a spreadsheet row is not a movement, by column */
  errors?: FieldError[]
  /** absolute byte offset after this record */
  end: number
  /** line number after this record */
  nextLine: number
}

const FINGERPRINT_BYTES = 64 * 1024

export const checkpointPath = (file: string) => `${file}.import-checkpoint.json`

export function formatOf(file: string, format?: string): ImportFormat {
  const f = format ?? (/\.csv$/i.test(file) ? 'csv' : /\.xlsx$/i.test(file) ? 'xlsx' : 'ndjson')
  if (f !== 'csv' && f !== 'ndjson' && f !== 'xlsx') throw new ImportError(`--format must be ndjson, csv or xlsx, got "${f}"`)
  return f
}

/** Reads and checks a mapping file (`--mapping`): ImportError naming the bad entry. */
export async function readMappingFile(path: string): Promise<MappingFile> {
  let raw: unknown
  try {
    raw = JSON.parse(await readFile(path, 'utf8'))
  } catch (err) {
    throw new ImportError(`--mapping ${path}: ${(err as Error).message}`)
  }
  try {
    return checkMappingFile(raw)
  } catch (err) {
    if (err instanceof MappingError) throw new ImportError(`--mapping ${path}: ${err.message}`)
    throw err
  }
}

/** NDJSON lines from a byte offset, with the offset after each line. */
async function* ndjsonRecords(file: string, offset: number, firstLine: number): AsyncGenerator<SourceRecord> {
  let pos = offset
  let line = firstLine
  let rest: Buffer = Buffer.alloc(0)
  const emit = (buf: Buffer, end: number): SourceRecord | undefined => {
    const n = line++
    const text = buf.toString('utf8').trim()
    if (text === '') return undefined
    try {
      return { line: n, value: JSON.parse(text), end, nextLine: line }
    } catch (err) {
      return { line: n, value: undefined, error: `not valid JSON: ${(err as Error).message}`, end, nextLine: line }
    }
  }
  for await (const chunk of createReadStream(file, { start: offset, highWaterMark: 1 << 20 })) {
    const buf: Buffer = rest.length ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer)
    let start = 0
    for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
      pos += nl + 1 - start
      const r = emit(buf.subarray(start, nl), pos)
      start = nl + 1
      if (r) yield r
    }
    rest = buf.subarray(start)
  }
  if (rest.length) {
    const r = emit(rest, pos + rest.length)
    if (r) yield r
  }
}

async function csvHeader(file: string): Promise<{ columns: string[]; end: number }> {
  const parser = createReadStream(file).pipe(parseCsv({ bom: true, info: true, raw: true, to_line: 1, relax_column_count: true }))
  for await (const rec of parser as AsyncIterable<{ record: string[]; info: { bytes: number } }>) {
    parser.destroy()
    return { columns: rec.record.map((c) => c.trim()), end: rec.info.bytes }
  }
  throw new ImportError('the CSV file is empty: its first line must name the movement fields')
}

/** A row's cells as the movement its mapping makes, or its errors. */
function mappedRecord(cells: readonly string[] | SheetRow['cells'], mapping: ColumnMapping, calendar: BusinessCalendar, row: number): Pick<SourceRecord, 'value' | 'errors'> {
  const outcome = rowToMovement(cells, mapping, { calendar, row })
  return outcome.ok ? { value: outcome.value } : { value: undefined, errors: outcome.errors }
}

/** CSV records from a byte offset, header given. Line numbers count the file's own lines. */
async function* csvRecords(file: string, offset: number, firstLine: number, mapping: ColumnMapping, calendar: BusinessCalendar): AsyncGenerator<SourceRecord> {
  let nextLine = firstLine
  const parser = createReadStream(file, { start: offset }).pipe(
    parseCsv({ info: true, raw: true, skip_empty_lines: true, trim: true, relax_column_count: true, relax_quotes: false }),
  )
  try {
    for await (const rec of parser as AsyncIterable<{ record: string[]; raw: string; info: { bytes: number } }>) {
      let lead = 0
      while (lead < rec.raw.length && (rec.raw[lead] === '\n' || rec.raw[lead] === '\r')) {
        if (rec.raw[lead] === '\n') nextLine++
        lead++
      }
      const line = nextLine
      for (let i = lead; i < rec.raw.length; i++) if (rec.raw[i] === '\n') nextLine++
      if (!rec.raw.endsWith('\n')) nextLine++ // last line without a newline
      yield { line, ...mappedRecord(rec.record, mapping, calendar, line), end: offset + rec.info.bytes, nextLine }
    }
  } catch (err) {
    // a malformed CSV (e.g. an unclosed quote) cannot be re-synchronised: stop with the place
    throw new ImportError(`CSV parse error after line ${nextLine - 1}: ${(err as Error).message}`)
  }
}

/**
 * Rows of an .xlsx's first worksheet after `done` (the last row number applied), streamed: a
 * zip cannot be read from the middle, so a resumed import reads the rows before again and skips
 * them. `end` is the row number (the checkpoint's offset); `bytes` how far into the file.
 */
async function* xlsxRecords(
  file: string,
  done: number,
  calendar: BusinessCalendar,
  mappingFile: MappingFile | undefined,
  onHeader: (columns: string[]) => void,
  bytes: { read: number },
): AsyncGenerator<SourceRecord> {
  // bytesRead, not a 'data' listener: that would start the stream before the reader pipes it
  let input: (Readable & { bytesRead: number }) | undefined
  let map: ColumnMapping | undefined
  for await (const { row, cells } of xlsxRows(file, Infinity, (s) => (input = s))) {
    if (!map) {
      const columns = cells.map((c) => (c === null || c === undefined ? '' : String(c).trim()))
      map = detectMapping(columns, mappingFile)
      onHeader(columns)
      continue
    }
    bytes.read = input?.bytesRead ?? 0
    if (row <= done) continue
    yield { line: row, ...mappedRecord(cells, map, calendar, row), end: row, nextLine: row + 1 }
  }
  input?.destroy()
}

async function fingerprint(file: string, offset: number): Promise<string> {
  const n = Math.min(offset, FINGERPRINT_BYTES)
  const fh = await open(file, 'r')
  try {
    const buf = Buffer.alloc(n)
    await fh.read(buf, 0, n, 0)
    return createHash('sha256').update(buf).digest('hex')
  } finally {
    await fh.close()
  }
}

async function readCheckpoint(path: string): Promise<Checkpoint | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Checkpoint
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new ImportError(`checkpoint ${path} is unreadable (${(err as Error).message}); delete it or use --restart`)
  }
}

async function writeCheckpoint(path: string, cp: Checkpoint): Promise<void> {
  // write then rename: an interruption never leaves half a checkpoint
  await writeFile(`${path}.tmp`, JSON.stringify(cp))
  await rename(`${path}.tmp`, path)
}

interface PostOutcome {
  accepted: number
  duplicates: number
  rejected: RejectedMovement[]
}

/** POSTs one batch until the cockpit answers 200 or names rejected movements (400). */
async function postBatch(o: ImportOptions, batch: unknown[], stats: ImportStats): Promise<PostOutcome> {
  const maxRetryMs = o.maxRetryMs ?? 300_000
  const started = Date.now()
  let delay = 250
  for (;;) {
    let wait = delay
    try {
      const res = await fetch(`${o.url}${API_PREFIX}/movements`, {
        method: 'POST',
        headers: { authorization: `Bearer ${o.key}`, 'content-type': 'application/json' },
        // no abort signal here: a batch in flight is finished, so a stop leaves a clean checkpoint
        body: JSON.stringify(batch),
      })
      const text = await res.text()
      if (res.status === 200) {
        const body = JSON.parse(text) as { accepted: number; duplicates: number }
        return { ...body, rejected: [] }
      }
      if (res.status === 400) {
        const body = JSON.parse(text) as { rejected?: RejectedMovement[] }
        if (body.rejected && body.rejected.length > 0) return { accepted: 0, duplicates: 0, rejected: body.rejected }
        throw new ImportError(`the cockpit refused a batch without naming a movement: ${text}`)
      }
      // 503: Redis unavailable; 409: the same ids applied concurrently; 502/504: a proxy in between
      if (![409, 502, 503, 504].includes(res.status)) throw new ImportError(`the cockpit answered ${res.status}: ${text}`)
      const retryAfter = Number(res.headers.get('retry-after'))
      if (Number.isFinite(retryAfter) && retryAfter > 0) wait = Math.max(wait, retryAfter * 1000)
    } catch (err) {
      if (err instanceof ImportError) throw err
      // network error: the batch may or may not have been applied; resending it is safe
    }
    if (Date.now() - started + wait > maxRetryMs) {
      throw new ImportError(`the cockpit at ${o.url} has not accepted the batch for ${Math.round((Date.now() - started) / 1000)} s; run again later to resume`)
    }
    stats.retries++
    await pause(wait, o.signal)
    if (o.signal?.aborted) throw new ImportError('interrupted while the cockpit was unavailable; run again to resume')
    delay = Math.min(delay * 2, 10_000)
  }
}

/** Waits `ms`, or less when `signal` aborts: the caller looks at `signal.aborted` afterwards. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, undefined, { signal })
  } catch (err) {
    if (!signal?.aborted) throw err
  }
}

/** Imports a file; resumes from its checkpoint unless `restart`. */
export async function runImport(o: ImportOptions): Promise<ImportResult> {
  const started = Date.now()
  const format = formatOf(o.file, o.format)
  const batchSize = Math.min(o.batchSize ?? MAX_JSON_BATCH, MAX_JSON_BATCH)
  if (!(batchSize >= 1)) throw new ImportError('--batch must be between 1 and 5000')
  if (o.concurrency !== undefined && !(Number.isInteger(o.concurrency) && o.concurrency >= 1 && o.concurrency <= 16)) {
    throw new ImportError('--concurrency must be a whole number between 1 and 16')
  }
  const report = o.report ?? `${o.file}.rejected.ndjson`
  const cpPath = checkpointPath(o.file)
  const totalBytes = (await stat(o.file)).size

  const cp = o.restart ? undefined : await readCheckpoint(cpPath)
  if (cp) {
    if (cp.v !== 1 || cp.format !== format || cp.offset > totalBytes || cp.fingerprint !== (await fingerprint(o.file, format === 'xlsx' ? FINGERPRINT_BYTES : cp.offset))) {
      throw new ImportError(`checkpoint ${cpPath} belongs to another file or format; use --restart to import from the first line`)
    }
  } else {
    await writeFile(report, '') // a fresh import starts a fresh report
  }
  const stats: ImportStats = cp ? { ...cp.stats } : { lines: 0, accepted: 0, duplicates: 0, rejected: 0, retries: 0 }
  const linesBefore = stats.lines
  const resumed = cp !== undefined
  let columns = cp?.columns
  let offset = cp?.offset ?? 0
  const bytesBefore = offset
  let nextLine = cp?.nextLine ?? 1
  if (format === 'csv' && !columns) {
    const header = await csvHeader(o.file)
    columns = header.columns
    offset = header.end
    nextLine = 2
  }
  const startLine = nextLine
  const calendar = createCalendar(o.timeZone ?? 'Asia/Shanghai')
  const xlsxBytes = { read: 0 }
  const source =
    format === 'csv'
      ? csvRecords(o.file, offset, nextLine, detectMapping(columns!, o.mapping), calendar)
      : format === 'xlsx'
        ? xlsxRecords(o.file, offset, calendar, o.mapping, (c) => (columns = c), xlsxBytes)
        : ndjsonRecords(o.file, offset, nextLine)

  let batch: { m: unknown; line: number; id: string; needs?: string }[] = []
  let types = new Map<string, MovementType>()
  let reportLines: ReportLine[] = []
  let batchLines = 0
  const now = Date.now()

  /** a batch's movements posted until none is rejected; the lines the cockpit rejected */
  async function post(items: { m: unknown; line: number; id: string }[]): Promise<{ accepted: number; duplicates: number; report: ReportLine[] }> {
    const report: ReportLine[] = []
    while (items.length > 0) {
      const r = await postBatch(
        o,
        items.map((x) => x.m),
        stats,
      )
      if (r.rejected.length === 0) return { accepted: r.accepted, duplicates: r.duplicates, report }
      // the server knows what a line cannot (unknown cancel target, no exchange rate): report those, resend the rest
      const bad = new Set<number>()
      for (const rej of r.rejected) {
        const item = items[rej.index]
        if (!item || bad.has(rej.index)) continue
        bad.add(rej.index)
        report.push({ line: item.line, id: item.id, errors: rej.errors })
      }
      if (bad.size === 0) throw new ImportError('the cockpit named rejected movements that are not in the batch')
      items = items.filter((_, i) => !bad.has(i))
    }
    return { accepted: 0, duplicates: 0, report }
  }

  /*
   * Up to `concurrency` batches are in flight, so reading and validating the next ones, the
   * network and the cockpit's own work overlap. Their results are committed in file order (the
   * rejected lines, then the checkpoint after the batch's last line), so a stop or a failure
   * leaves a checkpoint before every batch not yet applied. A batch that needs a movement of an
   * earlier batch applied (a cancel, a return naming what it returns) waits until that batch is
   * committed: only then does the cockpit know it. Waiting for every batch before it made a
   * 4-year history (a return every ~70 lines) post one batch at a time.
   */
  const concurrency = o.concurrency ?? 4
  let committed: Promise<void> = Promise.resolve()
  const inFlight: Promise<void>[] = []
  /** ids of the batches posted and not yet committed → their batch's commit */
  const unsettled = new Map<string, Promise<void>>()

  /** sends the batch read so far; its rejected lines and the checkpoint at `end` follow the batches before it */
  async function flush(end: number, after: number): Promise<void> {
    const items = batch
    const lines = batchLines
    const early = reportLines
    const ids = types
    batch = []
    types = new Map()
    reportLines = []
    batchLines = 0
    // the commits are chained in file order: waiting for the latest batch holding a target waits for those before it
    let wait: Promise<void> | undefined
    for (const x of items) {
      if (x.needs === undefined || ids.has(x.needs)) continue
      const holder = unsettled.get(x.needs)
      if (holder !== undefined) wait = holder
    }
    if (wait) await wait
    while (inFlight.length >= concurrency) await inFlight.shift()
    const sent = post(items)
    // awaited in order below; a failure is reported there, not as an unhandled rejection here
    sent.catch(() => {})
    committed = committed.then(async () => {
      const r = await sent
      stats.accepted += r.accepted
      stats.duplicates += r.duplicates
      const report_ = [...early, ...r.report].sort((a, b) => a.line - b.line)
      if (report_.length > 0) await appendFile(report, report_.map((l) => `${JSON.stringify(l)}\n`).join(''))
      stats.rejected += report_.length
      stats.lines += lines
      offset = end
      nextLine = after
      await writeCheckpoint(cpPath, {
        v: 1,
        format,
        offset,
        nextLine,
        ...(columns ? { columns } : {}),
        fingerprint: await fingerprint(o.file, format === 'xlsx' ? FINGERPRINT_BYTES : offset),
        stats,
      })
      const linesPerSecond = Math.round(((stats.lines - linesBefore) * 1000) / Math.max(1, Date.now() - started))
      // an .xlsx is checkpointed by row, its progress is the bytes read of the file
      const bytes = format === 'xlsx' ? Math.min(xlsxBytes.read, totalBytes) : offset
      const bytesPerMs = (bytes - bytesBefore) / Math.max(1, Date.now() - started)
      const etaSeconds = bytesPerMs > 0 ? Math.round((totalBytes - bytes) / bytesPerMs / 1000) : undefined
      o.onProgress?.({ ...stats, bytes, totalBytes, linesPerSecond, etaSeconds })
    })
    const done = committed
    for (const id of ids.keys()) unsettled.set(id, done)
    void done.then(
      () => {
        for (const id of ids.keys()) if (unsettled.get(id) === done) unsettled.delete(id)
      },
      () => {},
    )
    inFlight.push(committed)
  }

  let read = 0
  let complete = true
  let last = { end: offset, nextLine }
  for await (const rec of source) {
    if ((o.limit !== undefined && read >= o.limit) || o.signal?.aborted) {
      complete = false
      break
    }
    read++
    if (rec.error !== undefined) {
      reportLines.push({ line: rec.line, id: null, errors: [{ path: '/', message: rec.error }] })
    } else if (rec.errors !== undefined) {
      reportLines.push({ line: rec.line, id: null, errors: rec.errors })
    } else {
      const v = validateMovement(rec.value, 0, { baseCurrency: '', foreignCurrencies: true, now })
      if (!v.ok) {
        reportLines.push({ line: rec.line, id: v.rejected.id, errors: v.rejected.errors })
      } else {
        const m = v.movement.m
        if (startsBatch(m, types)) await flush(last.end, last.nextLine)
        const needs = m.type === 'cancel' ? m.cancels : (m as { returnOf?: string }).returnOf
        batch.push({ m: rec.value, line: rec.line, id: m.id, ...(needs !== undefined && { needs }) })
        types.set(m.id, m.type)
      }
    }
    batchLines++
    last = { end: rec.end, nextLine: rec.nextLine }
    if (batch.length >= batchSize) await flush(last.end, last.nextLine)
  }
  if (batchLines > 0 || batch.length > 0) await flush(last.end, last.nextLine)
  await committed
  if (complete) await rm(cpPath, { force: true })
  return { ...stats, complete, startLine, resumed, report, checkpoint: cpPath, elapsedMs: Date.now() - started }
}

export interface PreviewOptions {
  file: string
  format?: ImportFormat
  mapping?: MappingFile
  /** @default "Asia/Shanghai" */
  timeZone?: string
  /** rows and rejects shown @default 20 */
  limit?: number
}

/** Reads the whole file and applies nothing: the mapping, the first rows as movements, the rejects with reasons. */
export async function previewImport(o: PreviewOptions): Promise<ImportPreview> {
  const format = formatOf(o.file, o.format)
  async function* ndjsonLines(): AsyncGenerator<SheetRow> {
    for await (const r of ndjsonRecords(o.file, 0, 1)) yield { row: r.line, cells: [], parsed: r.error !== undefined ? { error: r.error } : { value: r.value } }
  }
  const rows = format === 'xlsx' ? xlsxRows(o.file) : format === 'csv' ? csvRows(createReadStream(o.file)) : ndjsonLines()
  return readRows(format, rows, {
    calendar: createCalendar(o.timeZone ?? 'Asia/Shanghai'),
    validate: { baseCurrency: '', foreignCurrencies: true },
    ...(o.mapping ? { mapping: o.mapping } : {}),
    limit: o.limit ?? 20,
  })
}

/** The preview as text: the columns and what each fills, the first movements, the rejects. */
export function formatPreview(file: string, p: ImportPreview): string {
  const out: string[] = [`preview of ${file} (${p.format}): nothing is applied`]
  if (p.mapping) {
    out.push(`columns (${p.mapping.mode === 'fields' ? 'movement fields' : 'mapped'}):`)
    for (const c of p.mapping.columns) out.push(`  ${c.header || '(blank)'} → ${c.target ?? '(ignored)'}`)
    for (const w of p.mapping.warnings) out.push(`  ! ${w}`)
  }
  out.push(`first ${p.rows.length} of ${p.valid} valid rows as movements:`)
  for (const r of p.rows) out.push(`  row ${r.row}: ${JSON.stringify(r.movement)}`)
  out.push(`rejected: ${p.rejectedCount} of ${p.total} rows${p.rejectedCount > p.rejected.length ? ` (the first ${p.rejected.length} shown)` : ''}`)
  for (const r of p.rejected) out.push(`  row ${r.row}${r.id ? ` (${r.id})` : ''}: ${r.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`)
  return out.join('\n')
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string', default: process.env.COCKPIT_URL ?? 'http://127.0.0.1:3000' },
      key: { type: 'string', default: process.env.COCKPIT_INGEST_KEY },
      format: { type: 'string' },
      report: { type: 'string' },
      batch: { type: 'string', default: String(MAX_JSON_BATCH) },
      concurrency: { type: 'string', default: '4' },
      limit: { type: 'string' },
      restart: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      mapping: { type: 'string' },
      preview: { type: 'boolean', default: false },
      tz: { type: 'string', default: process.env.COCKPIT_TZ || 'Asia/Shanghai' },
    },
  })
  const file = positionals[0]
  let mapping: MappingFile | undefined
  try {
    if (values.mapping) mapping = await readMappingFile(values.mapping)
    if (file && values.preview) {
      const p = await previewImport({ file, ...(values.format ? { format: formatOf(file, values.format) } : {}), ...(mapping ? { mapping } : {}), timeZone: values.tz! })
      process.stdout.write(`${formatPreview(file, p)}\n`)
      process.exit(0)
    }
  } catch (err) {
    process.stderr.write(`import failed: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  }
  if (!file || !values.key) {
    process.stderr.write(
      'usage: npm run import -- <file.ndjson|file.csv|file.xlsx> --key <ingest key> [--url http://127.0.0.1:3000] [--format ndjson|csv|xlsx]\n' +
        '                         [--mapping mapping.json] [--tz Asia/Shanghai] [--report <file>.rejected.ndjson] [--batch 5000] [--concurrency 4]\n' +
        '                         [--limit N] [--restart] [--quiet]\n' +
        '       npm run import -- <file> --preview [--mapping mapping.json]   (shows the mapping, the first rows and the rejects; applies nothing)\n' +
        '       (the key may also come from COCKPIT_INGEST_KEY, the URL from COCKPIT_URL; see docs/import.md)\n',
    )
    process.exit(2)
  }
  const controller = new AbortController()
  const stop = () => {
    if (controller.signal.aborted) process.exit(130)
    process.stderr.write('\nstopping after the current batch (Ctrl-C again to quit at once; the checkpoint keeps the place)…\n')
    controller.abort()
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)

  const bar = new cliProgress.SingleBar(
    {
      format: PROGRESS_FORMAT,
      hideCursor: true,
      noTTYOutput: false,
    },
    cliProgress.Presets.shades_classic,
  )
  const showBar = !values.quiet && process.stderr.isTTY
  try {
    const result = await runImport({
      file,
      url: values.url!.replace(/\/+$/, ''),
      key: values.key,
      ...(values.format ? { format: formatOf(file, values.format) } : {}),
      ...(values.report ? { report: values.report } : {}),
      ...(mapping ? { mapping } : {}),
      timeZone: values.tz!,
      batchSize: Number(values.batch),
      concurrency: Number(values.concurrency),
      ...(values.limit ? { limit: Number(values.limit) } : {}),
      restart: values.restart,
      signal: controller.signal,
      onProgress(p) {
        if (!showBar) return
        const payload = progressPayload(p)
        if (bar.getTotal() !== p.totalBytes) bar.start(p.totalBytes, p.bytes, payload)
        else bar.update(p.bytes, payload)
      },
    })
    if (showBar) bar.stop()
    const secs = result.elapsedMs / 1000
    const out = (s: string) => process.stdout.write(`${s}\n`)
    out(`${result.complete ? 'import complete' : 'import stopped'}: ${file}${result.resumed ? ` (resumed at line ${result.startLine})` : ''}`)
    out(`  lines      ${result.lines}`)
    out(`  accepted   ${result.accepted}`)
    out(`  duplicates ${result.duplicates}  (already applied: safe to re-run)`)
    out(`  rejected   ${result.rejected}${result.rejected > 0 ? `  → ${result.report}` : ''}`)
    out(`  retries    ${result.retries}`)
    out(`  time       ${secs.toFixed(1)} s`)
    if (!result.complete) out(`  run the same command again to resume (checkpoint ${result.checkpoint})`)
    process.exit(result.complete ? 0 : 3)
  } catch (err) {
    if (showBar) bar.stop()
    process.stderr.write(`import failed: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  }
}

/** seconds as the bar shows them: `1h2m3s`, `2m5s`, `45s`; `…` before there is a pace to go by */
/**
 * The importer's progress bar (cli-progress). The ETA is `{left}`, not `{eta}`: cli-progress fills its own `{eta}`
 * (bare seconds at the bar's recent pace) over a payload's, so the bar would show that instead of formatEta's.
 */
export const PROGRESS_FORMAT = ' {bar} {percentage}% | {lines} lines | {rate} lines/s | ETA {left} | accepted {accepted}, duplicates {duplicates}, rejected {rejected}'

/** What the bar shows of a progress report, by its placeholders. */
export function progressPayload(p: { lines: number; linesPerSecond: number; etaSeconds: number | undefined; accepted: number; duplicates: number; rejected: number }) {
  return { lines: p.lines, rate: p.linesPerSecond, left: formatEta(p.etaSeconds), accepted: p.accepted, duplicates: p.duplicates, rejected: p.rejected }
}

export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined) return '…'
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s}s`
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
