/**
 * `npx tsx tests/bench/history.ts` — backfill and wall refresh against multi-year history, beside a SQL-polling
 * peer, in one run (issue #11, docs/operations.md "Measured"). `npm run bench` runs it after the live figures.
 *
 * For each size of BENCH_HISTORY_SIZES (default 30000,300000,3000000; 30 M is opt-in), growing one after the
 * other in one private redis-server and one cockpit server process:
 *  1. the Superstore-shaped history (mock-feeds/history.ts) of that size, minus what is loaded already, is written
 *     as NDJSON and loaded with `npm run import` (server/cli/import.ts, under a pseudo-terminal so its own progress
 *     bar — rate and ETA — can be read): movements/s, server and Redis CPU per movement, and the importer's figures;
 *  2. the three wall queries over the four years — revenue by month × category, the top 10 SKUs by revenue, stock by
 *     warehouse now — through `POST /api/v1/query` (one keep-alive node:http connection), BENCH_HISTORY_RUNS (20)
 *     times each: p50 / p99 and the server's and Redis's CPU per query; once right after the import (while its final
 *     movements' records expire and Redis flushes its AOF), and once settled (after step 3's wait and live batches):
 *     the settled figures are the wall's;
 *  3. Redis memory: `used_memory` per movement, and per key family (a sample of `MEMORY USAGE` over a `SCAN` of
 *     each family, scaled by its key count) for the sizing table;
 *  4. the SQL peer: the same movements `COPY`ed into one PostgreSQL table (rows/s), the same three queries as
 *     `GROUP BY`s, p50 / p99; and a check that both give the same figures.
 * Then a side-by-side table: figure, cockpit, SQL peer, ratio, target, met. Figures are printed, never asserted.
 */
import { spawn, spawnSync } from 'node:child_process'
import { Agent, request as httpRequest } from 'node:http'
import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { chmodSync, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import type { WriteStream } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Redis } from 'ioredis'
import pg from 'pg'
import { SLICE_MOVEMENTS, createSuperstore, historyPeriod, writeHistory } from '../../mock-feeds/history.ts'
import { putMasterRecords } from '../../mock-feeds/feed.ts'
import { API_PREFIX } from '../../protocol/api.ts'
import type { Movement } from '../../protocol/movement.ts'
import { freePort, redisCpuSeconds } from '../helpers/private-redis.ts'

const root = new URL('../../', import.meta.url).pathname
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** the server's COCKPIT_FINAL_GRACE_S: memory is read again this long after each import (BENCH_FINAL_GRACE_S) */
const FINAL_GRACE_S = Number(process.env.BENCH_FINAL_GRACE_S ?? 20)
/** resolves once the cockpit process `server` answers `url`/readyz with 200; throws if it exits or takes over 60 s */
export async function waitReady(server: ChildProcess, url: string): Promise<void> {
  for (let i = 0; ; i++) {
    if (server.exitCode !== null) throw new Error('the cockpit server exited at start')
    if (i > 600) throw new Error('the cockpit server did not become ready in 60 s')
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return
    } catch {
      // not listening yet
    }
    await sleep(100)
  }
}

/** the server's cancel window and day retention, as it reads them from the environment (0: days kept forever) */
const EFFECT_TTL_S = Number(process.env.COCKPIT_EFFECT_TTL_S || 35 * 86_400)
const RETAIN_DAY_S = Number(process.env.COCKPIT_RETAIN_DAY_S || 0)

/** small live batches (a sales and a purchase order each) sent after the grace, before memory is read again */
const LIVE_BATCHES = 60
/** the importer's --concurrency (BENCH_IMPORT_CONCURRENCY; default the importer's own) */
const IMPORT_CONCURRENCY = process.env.BENCH_IMPORT_CONCURRENCY

/** The issue's targets (#11). */
export const TARGETS = {
  backfillPerSecond: 100_000,
  queryMs: 5,
  sqlRatioAt3M: 200,
  bytesPerMovement: 80,
} as const

export interface HistoryBenchOptions {
  /** data set sizes, ascending; several must be multiples of SLICE_MOVEMENTS (they nest) */
  sizes: number[]
  /** timed runs of each query @default 20 */
  runs?: number
  /** PostgreSQL (a database of its own is created and dropped) @default postgres://postgres@127.0.0.1:5432/postgres */
  pgUrl?: string
  /** progress lines */
  log?: (line: string) => void
}

export interface Timing {
  p50: number
  p99: number
  /** CPU per query of the server process and of Redis, ms (over the timed runs) */
  serverCpuMs?: number
  redisCpuMs?: number
  /** why the query failed, when it did (p50/p99 are then of the runs that were answered) */
  error?: string
  /** runs refused or timed out */
  refused?: number
}

/**
 * Key families that live only as long as the cancel window (COCKPIT_EFFECT_TTL_S): effect records, final movements'
 * id markers, documents' last changes (compacted once past it) and order lines (forgotten after it once closed).
 */
const WINDOW_FAMILIES = /^(e|dd|cr:.*|ln:.*)$/

/** bytes per movement of the families kept only for the cancel window (WINDOW_FAMILIES) */
function windowBytesPerMovement(families: readonly FamilyMemory[], size: number): number {
  return families.filter((f) => WINDOW_FAMILIES.test(f.family)).reduce((sum, f) => sum + f.bytes, 0) / size
}

export interface FamilyMemory {
  family: string
  keys: number
  /** estimated bytes (sampled MEMORY USAGE × keys) */
  bytes: number
  /** elements (hash fields, set members, list entries), estimated the same way; undefined for strings */
  elements?: number
}

export interface SizeResult {
  size: number
  added: number
  generateSeconds: number
  importer: {
    seconds: number
    accepted: number
    duplicates: number
    rejected: number
    /** posts the importer repeated (503, network error): their movements come back as duplicates */
    retries: number
    /** movements/s over the import's wall time */
    rate: number
    /** the importer's own figures: its last progress rate, ETA shown at ~10 % and ~50 % with the time really left, its summary time */
    barRate?: number
    eta10?: { predicted: number; actual: number }
    eta50?: { predicted: number; actual: number }
    summarySeconds?: number
    exitCode: number | null
  }
  cpu: { serverUs: number; redisUs: number; importerUs: number; serverBusy: number; redisBusy: number; importerBusy: number; movementsPerScript: number }
  /** the wall queries once the import has settled (its final movements' records expired, a live feed running) */
  queries: Record<QueryName, Timing>
  /** the same, right after the import: the cockpit still expiring its final movements' records, Redis flushing its AOF */
  queriesAtImport: Record<QueryName, Timing>
  /**
   * after the final movements' effect records expired (COCKPIT_FINAL_GRACE_S past the import): what the history keeps;
   * `atImport`: used_memory right after the import, while they are still held
   */
  redis: { usedMemory: number; dataset: number; perMovement: number; keys: number; families: FamilyMemory[]; atImport: number; atImportPerMovement: number }
  sql: { copySeconds: number; copyRate: number; analyzeSeconds: number; tableBytes: number; queries: Record<QueryName, Timing> }
  /** figures that differ between the cockpit and the SQL peer (empty: they agree) */
  mismatches: string[]
}

export interface HistoryBenchResult {
  startedAt: string
  finishedAt: string
  load: { start: number[]; end: number[] }
  sizes: SizeResult[]
}

export const QUERY_NAMES = ['revenueByMonthCategory', 'top10Skus', 'stockByWarehouse'] as const
export type QueryName = (typeof QUERY_NAMES)[number]
export const QUERY_TITLES: Record<QueryName, string> = {
  revenueByMonthCategory: 'revenue by month × category, 4 years',
  top10Skus: 'top-10 SKUs by revenue, 4 years',
  stockByWarehouse: 'stock by warehouse, now',
}

/** BENCH_HISTORY_SIZES: comma-separated, `k`/`M` suffixes allowed (30k,300k,3M). */
export function parseSizes(text: string): number[] {
  const sizes = text.split(',').map((s) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*$/.exec(s)
    if (!m) throw new RangeError(`BENCH_HISTORY_SIZES: "${s}" is not a size (e.g. 30000, 300k, 3M)`)
    return Math.round(Number(m[1]) * (m[2] === 'k' || m[2] === 'K' ? 1e3 : m[2] ? 1e6 : 1))
  })
  for (let i = 0; i < sizes.length; i++) {
    if (!(sizes[i]! > 0)) throw new RangeError('BENCH_HISTORY_SIZES: sizes must be positive')
    if (i > 0 && sizes[i]! <= sizes[i - 1]!) throw new RangeError('BENCH_HISTORY_SIZES: sizes must grow')
    if (sizes.length > 1 && sizes[i]! % SLICE_MOVEMENTS !== 0) {
      throw new RangeError(`BENCH_HISTORY_SIZES: with several sizes each must be a multiple of ${SLICE_MOVEMENTS} (they are loaded one on top of the other), got ${sizes[i]}`)
    }
  }
  return sizes
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

function processCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** script calls so far (EVALSHA, EVAL; the apply script is one per applied group) */
async function scriptCalls(redis: Redis): Promise<number> {
  let calls = 0
  for (const m of (await redis.info('commandstats')).matchAll(/cmdstat_(?:evalsha|eval|evalsha_ro|eval_ro|fcall):calls=(\d+)/g)) calls += Number(m[1])
  return calls
}

async function infoNumber(redis: Redis, section: string, field: string): Promise<number> {
  return Number(new RegExp(`${field}:(\\d+)`).exec(await redis.info(section))?.[1] ?? NaN)
}

/** "1h2m3s", "2m", "45s" (cli-progress's eta_formatted) → seconds */
function etaSeconds(text: string): number | undefined {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim())
  if (!m || text.trim() === '') return undefined
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)
}

/** One keep-alive connection for the timed queries: node:http costs the measuring client a fraction of what fetch does. */
const queryAgent = new Agent({ keepAlive: true, maxSockets: 1 })

/** POSTs a JSON body on `agent` (keep-alive): status and text of the answer. Shared with bench.ts. */
export function postJson(url: string | URL, body: string | Buffer, agent: Agent, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

const postQuery = (url: string, body: string) => postJson(`${url}${API_PREFIX}/query`, body, queryAgent)

/**
 * Each wall query `runs` times after 2 warm-up runs, one after the other on one keep-alive connection: p50 / p99 of
 * the wall time, and the server's and Redis's CPU per query over the timed runs (steadier than wall time on a shared
 * machine). The answers are those of the first warm-up run.
 */
async function timeQueries(
  url: string,
  bodies: Record<QueryName, object>,
  runs: number,
  of: { server: number; redis: Redis },
): Promise<{ timings: Record<QueryName, Timing>; answers: Record<QueryName, unknown> }> {
  const timings = {} as Record<QueryName, Timing>
  const answers = {} as Record<QueryName, unknown>
  for (const name of QUERY_NAMES) {
    const body = JSON.stringify(bodies[name])
    const times: number[] = []
    let error: string | undefined
    let refused = 0
    let cpu0 = { server: 0, redis: 0 }
    for (let i = 0; i < runs + 2; i++) {
      if (i === 2) cpu0 = { server: processCpu(of.server), redis: await redisCpuSeconds(of.redis) }
      const t0 = performance.now()
      const res = await postQuery(url, body)
      const ms = performance.now() - t0
      if (res.status !== 200) {
        error ??= `${res.status} ${res.text.slice(0, 200)}`
        refused++
        if (res.status === 400) break // refused from the query alone (too costly): every run would be
      } else if (i >= 2) times.push(ms)
      else answers[name] ??= JSON.parse(res.text)
    }
    const cpu1 = { server: processCpu(of.server), redis: await redisCpuSeconds(of.redis) }
    times.sort((a, b) => a - b)
    timings[name] = {
      p50: percentile(times, 50),
      p99: percentile(times, 99),
      ...(times.length > 0 ? { serverCpuMs: ((cpu1.server - cpu0.server) * 1000) / times.length, redisCpuMs: ((cpu1.redis - cpu0.redis) * 1000) / times.length } : {}),
      ...(error ? { error, refused } : {}),
    }
  }
  return { timings, answers }
}

// --- the cockpit side

/** Which family a key belongs to (prefix stripped): counters by resolution, records, order lines, … */
function familyOf(rest: string): string {
  const parts = rest.split(':')
  const head = parts[0]!
  if (head === 'c' || head === 'oi' || head === 'os') return parts.slice(0, 2).join(':')
  if (parts.length === 1) return head
  if (head === 'e' || head === 'dd' || head === 'md' || head === 'screen' || head === 'session' || head === 'authfail') return head
  return rest
}

async function keyFamilies(redis: Redis, prefix: string): Promise<{ families: FamilyMemory[]; keys: number }> {
  const SAMPLE = 1500
  const seen = new Map<string, { keys: number; sample: string[] }>()
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000)
    cursor = next
    for (const key of keys) {
      const family = familyOf(key.slice(prefix.length))
      let f = seen.get(family)
      if (!f) seen.set(family, (f = { keys: 0, sample: [] }))
      f.keys++
      // reservoir sample: every key of the family equally likely
      if (f.sample.length < SAMPLE) f.sample.push(key)
      else {
        const j = Math.floor(Math.random() * f.keys)
        if (j < SAMPLE) f.sample[j] = key
      }
    }
  } while (cursor !== '0')
  // singleton families with a common head (e.g. ln:s, ln:s:open …) stay apart; many of them are folded into their head
  const byHead = new Map<string, string[]>()
  for (const family of seen.keys()) {
    const head = family.split(':')[0]!
    byHead.set(head, [...(byHead.get(head) ?? []), family])
  }
  for (const [head, families] of byHead) {
    if (families.length <= 12 || families.every((f) => f === head)) continue
    const merged = { keys: 0, sample: [] as string[] }
    for (const f of families) {
      const x = seen.get(f)!
      merged.keys += x.keys
      merged.sample.push(...x.sample.slice(0, Math.ceil(SAMPLE / families.length)))
      seen.delete(f)
    }
    seen.set(`${head}:*`, merged)
  }
  const out: FamilyMemory[] = []
  let total = 0
  for (const [family, f] of seen) {
    total += f.keys
    const type = await redis.type(f.sample[0]!)
    const len = { hash: 'hlen', zset: 'zcard', list: 'llen', set: 'scard' }[type] as 'hlen' | 'zcard' | 'llen' | 'scard' | undefined
    const pipe = redis.pipeline()
    for (const key of f.sample) {
      pipe.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')
      if (len) pipe[len](key)
    }
    const replies = (await pipe.exec()) ?? []
    let bytes = 0
    let elements = 0
    const step = len ? 2 : 1
    for (let i = 0; i < replies.length; i += step) {
      bytes += Number(replies[i]![1] ?? 0)
      if (len) elements += Number(replies[i + 1]![1] ?? 0)
    }
    const scale = f.keys / f.sample.length
    out.push({ family, keys: f.keys, bytes: bytes * scale, ...(len ? { elements: elements * scale } : {}) })
  }
  out.sort((a, b) => b.bytes - a.bytes)
  return { families: out, keys: total }
}

interface ImportRun {
  seconds: number
  exitCode: number | null
  output: string
  samples: { t: number; pct: number; rate: number; eta: number | undefined }[]
  /** CPU seconds of the importer process (sampled every 200 ms: its last fraction of a second is missed) */
  importerCpu: number
}

/** `n` batches of a live feed, one sales and one purchase order each (orders move no figure the peer compares) */
async function liveBatches(url: string, key: string, idPrefix: string, n: number): Promise<void> {
  const at = new Date().toISOString()
  const line = { occurredAt: at, sku: 'LIVE-SKU', warehouse: 'LIVE-WH', qty: 1 }
  for (let i = 0; i < n; i++) {
    const body = [
      { id: `${idPrefix}-${i}-s`, type: 'sales_order', ...line, unitPrice: 1, ref: `${idPrefix}-SO-${i}` },
      { id: `${idPrefix}-${i}-p`, type: 'purchase_order', ...line, unitCost: 1, ref: `${idPrefix}-PO-${i}` },
    ]
    const res = await fetch(`${url}/api/v1/movements`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    if (res.status !== 200) throw new Error(`a live batch was refused: ${res.status} ${await res.text()}`)
  }
}

/** `npm run import` of a file, as a user runs it: under a pseudo-terminal when `script` exists, so its progress bar is drawn. */
async function runImportCli(file: string, url: string, key: string): Promise<ImportRun> {
  const args = ['--import', 'tsx', 'server/cli/import.ts', file, '--url', url, '--key', key, ...(IMPORT_CONCURRENCY ? ['--concurrency', IMPORT_CONCURRENCY] : [])]
  const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0
  const quoted = [process.execPath, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  const child = hasScript
    ? spawn('script', ['-qfec', `stty cols 300 rows 40 2>/dev/null; exec ${quoted}`, '/dev/null'], { cwd: root, env: { ...process.env, NODE_OPTIONS: '' } })
    : spawn(process.execPath, args, { cwd: root, env: { ...process.env, NODE_OPTIONS: '' } })
  const started = performance.now()
  let output = ''
  const samples: ImportRun['samples'] = []
  const bar = /(\d+)% \| (\d+) lines \| (\d+) lines\/s \| ETA ([^|]*?) \|/g
  const onData = (d: Buffer) => {
    const text = d.toString('utf8')
    output += text
    let m: RegExpExecArray | null
    let last: RegExpExecArray | undefined
    while ((m = bar.exec(text))) last = m
    if (last) samples.push({ t: (performance.now() - started) / 1000, pct: Number(last[1]), rate: Number(last[3]), eta: etaSeconds(last[4]!) })
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)
  // the importer's CPU: its process (under `script`, the child of the pseudo-terminal), read until it ends
  let importerCpu = 0
  const poll = setInterval(() => {
    try {
      const pids = hasScript ? readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number) : [child.pid!]
      const cpu = pids.reduce((t, pid) => t + processCpu(pid), 0)
      if (cpu > importerCpu) importerCpu = cpu
    } catch {
      // gone between the two reads
    }
  }, 200)
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  clearInterval(poll)
  return { seconds: (performance.now() - started) / 1000, exitCode, output, samples, importerCpu }
}

// --- the SQL peer

const SQL_COLUMNS = [
  'id',
  'type',
  'occurred_at',
  'sku',
  'warehouse',
  'qty',
  'unit_price',
  'unit_cost',
  'amount',
  'partner',
  'category',
  'region',
  'channel',
  'ref',
  'due_at',
  'cancels',
  'return_of',
] as const

const SQL_SCHEMA = `
CREATE TABLE movements (
  id text PRIMARY KEY, type text NOT NULL, occurred_at timestamptz NOT NULL,
  sku text, warehouse text, qty numeric(18,3), unit_price numeric(18,6), unit_cost numeric(18,6), amount numeric(18,4),
  partner text, category text, region text, channel text, ref text, due_at timestamptz, cancels text, return_of text
);
-- one covering index serves the three wall queries (index-only scans once vacuumed)
CREATE INDEX movements_type_time ON movements (type, occurred_at) INCLUDE (sku, category, warehouse, qty, unit_price);
CREATE INDEX movements_cancels ON movements (cancels) WHERE cancels IS NOT NULL;
`

/** A movement is counted unless a cancel names it: what an exact poll of a movement table must do. */
const NOT_CANCELLED = `NOT EXISTS (SELECT 1 FROM movements c WHERE c.cancels = m.id AND c.type = 'cancel')`
const LINE = `CASE WHEN m.type = 'sales_shipment' THEN round(m.qty * m.unit_price, 2) ELSE -round(m.qty * m.unit_price, 2) END`
const SQL_QUERIES: Record<QueryName, string> = {
  revenueByMonthCategory: `SELECT to_char(date_trunc('month', m.occurred_at AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM') AS month, m.category AS key, sum(${LINE}) AS total
    FROM movements m WHERE m.type IN ('sales_shipment', 'sales_return') AND m.occurred_at >= $1 AND m.occurred_at < $2 AND ${NOT_CANCELLED}
    GROUP BY 1, 2`,
  top10Skus: `SELECT m.sku AS key, sum(${LINE}) AS total
    FROM movements m WHERE m.type IN ('sales_shipment', 'sales_return') AND m.occurred_at >= $1 AND m.occurred_at < $2 AND ${NOT_CANCELLED}
    GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10`,
  stockByWarehouse: `SELECT m.warehouse AS key, sum(CASE WHEN m.type IN ('purchase_receipt', 'sales_return') THEN m.qty ELSE -m.qty END) AS total
    FROM movements m WHERE m.type IN ('purchase_receipt', 'sales_return', 'sales_shipment', 'purchase_return') AND ${NOT_CANCELLED}
    GROUP BY 1`,
}

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return ''
  const s = String(v)
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** The movement as a row of the SQL peer's table: category and region filled from master data, as the cockpit does. */
function sqlRow(m: Movement, categoryOf: Map<string, string>, regionOf: Map<string, string>): string {
  const x = m as Partial<Record<string, string | number>>
  const sku = x.sku as string | undefined
  const warehouse = x.warehouse as string | undefined
  const cells = [
    m.id,
    m.type,
    m.occurredAt,
    sku,
    warehouse,
    x.qty,
    x.unitPrice,
    x.unitCost,
    x.amount,
    x.partner,
    x.category ?? (sku ? categoryOf.get(sku) : undefined),
    x.region ?? (warehouse ? regionOf.get(warehouse) : undefined),
    x.channel,
    x.ref,
    x.dueAt,
    x.cancels,
    x.returnOf,
  ]
  return `${cells.map(csvCell).join(',')}\n`
}

// --- the run

export async function runHistoryBench(o: HistoryBenchOptions): Promise<HistoryBenchResult> {
  const log = o.log ?? (() => {})
  const runs = o.runs ?? 20
  const startedAt = new Date().toISOString()
  const loadStart = loadavg()
  const dir = mkdtempSync(join(tmpdir(), 'cockpit-history-'))
  chmodSync(dir, 0o755) // the PostgreSQL server reads the COPY files
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true })]
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined)
    cleanups.length = 0
  }
  const onExit = () => void cleanup()
  process.once('exit', onExit)
  try {
    // a private redis-server with the settings docs/operations.md recommends
    const redisPort = await freePort()
    const redisProc = spawn(
      'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--hash-max-listpack-entries', '32'],
      { stdio: 'ignore' },
    )
    cleanups.push(() => void redisProc.kill('SIGKILL'))
    const redisUrl = `redis://127.0.0.1:${redisPort}`
    let redisExit: string | undefined
    redisProc.once('exit', (code, signal) => (redisExit = `redis-server exited (${code ?? signal})`))
    const redis = new Redis(redisUrl, { retryStrategy: (n) => (n > 100 || redisExit ? null : 100), maxRetriesPerRequest: null })
    redis.on('error', () => {})
    cleanups.push(() => redis.disconnect())
    await redis.ping().catch((err: Error) => {
      throw new Error(redisExit ?? `redis-server on port ${redisPort} did not answer: ${err.message}`)
    })

    // the cockpit, as `npm start` runs it
    const prefix = 'hist:'
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const ingestKey = `ik_${randomUUID()}`
    const adminKey = `ak_${randomUUID()}`
    const server: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        PORT: String(port),
        HOST: '127.0.0.1',
        REDIS_URL: redisUrl,
        COCKPIT_INGEST_KEYS: ingestKey,
        COCKPIT_ADMIN_KEY: adminKey,
        COCKPIT_KEY_PREFIX: prefix,
        // history is final (older than the cancel window): its effect records go after this grace, markers stay
        COCKPIT_FINAL_GRACE_S: String(FINAL_GRACE_S),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    cleanups.push(() => void server.kill('SIGKILL'))
    await waitReady(server, url)
    const store = createSuperstore(42)
    await putMasterRecords(url, adminKey, store.master)
    const categoryOf = new Map(store.master.skus.map((s) => [s.code, s.category!]))
    const regionOf = new Map(store.master.warehouses.map((w) => [w.code, w.region!]))

    // the SQL peer: a database of its own
    const pgUrl = o.pgUrl ?? process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
    const dbName = `cockpit_bench_${randomUUID().slice(0, 8)}`
    const admin = new pg.Client({ connectionString: pgUrl })
    await admin.connect()
    await admin.query(`CREATE DATABASE ${dbName}`)
    cleanups.push(async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
      await admin.end()
    })
    const dbUrl = new URL(pgUrl)
    dbUrl.pathname = `/${dbName}`
    const db = new pg.Client({ connectionString: dbUrl.toString() })
    await db.connect()
    cleanups.push(() => db.end())
    await db.query(SQL_SCHEMA)

    const { from, to } = historyPeriod()
    const iso = (t: number) => `${new Date(t + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`
    const period = { from: iso(from), to: iso(to) }
    const cockpitQueries: Record<QueryName, object> = {
      revenueByMonthCategory: { metric: 'sales.revenue', ...period, interval: 'month', groupBy: 'category' },
      top10Skus: { metric: 'sales.revenue', ...period, groupBy: 'sku', top: 10 },
      stockByWarehouse: { metric: 'stock.qty', groupBy: 'warehouse' },
    }
    const baseline = await infoNumber(redis, 'memory', 'used_memory')

    const results: SizeResult[] = []
    let loaded = 0
    for (const size of o.sizes) {
      // 1. the movements this size adds, as NDJSON for the importer and CSV for COPY
      const ndjson = join(dir, `history-${size}.ndjson`)
      const csv = join(dir, `history-${size}.csv`)
      log(`history ${size.toLocaleString('en-US')}: generating ${(size - loaded).toLocaleString('en-US')} movements…`)
      const csvOut: WriteStream = createWriteStream(csv)
      let csvBuf: string[] = []
      const genStart = performance.now()
      const gen = await writeHistory(ndjson, { movements: size, after: loaded }, (m) => {
        csvBuf.push(sqlRow(m, categoryOf, regionOf))
        if (csvBuf.length >= 5000) {
          csvOut.write(csvBuf.join(''))
          csvBuf = []
        }
      })
      csvOut.write(csvBuf.join(''))
      await new Promise<void>((resolve, reject) => csvOut.end((err?: Error | null) => (err ? reject(err) : resolve())))
      chmodSync(csv, 0o644)
      const generateSeconds = (performance.now() - genStart) / 1000

      // 2. backfill through `npm run import`
      log(`history ${size.toLocaleString('en-US')}: importing ${gen.movements.toLocaleString('en-US')} movements with npm run import…`)
      const cpu0 = { server: processCpu(server.pid!), redis: await redisCpuSeconds(redis), scripts: await scriptCalls(redis) }
      const imp = await runImportCli(ndjson, url, ingestKey)
      const importEnd = Date.now()
      const cpu1 = { server: processCpu(server.pid!), redis: await redisCpuSeconds(redis), scripts: await scriptCalls(redis) }
      // the summary the importer prints at the end (its progress bar also says "accepted N")
      const tail = imp.output.slice(Math.max(0, imp.output.lastIndexOf('import complete'), imp.output.lastIndexOf('import stopped')))
      const summary = (label: string) => Number(new RegExp(`^\\s*${label}\\s+(\\d+(?:\\.\\d+)?)`, 'm').exec(tail)?.[1] ?? NaN)
      const accepted = summary('accepted')
      if (imp.exitCode !== 0) log(`  the import exited with ${imp.exitCode}:\n${imp.output.slice(-2000)}`)
      const etaAt = (pct: number) => {
        const s = imp.samples.find((x) => x.pct >= pct && x.eta !== undefined)
        return s ? { predicted: s.eta!, actual: Math.max(0, imp.seconds - s.t) } : undefined
      }
      const lastSample = imp.samples.at(-1)
      rmSync(ndjson, { force: true })
      rmSync(`${ndjson}.rejected.ndjson`, { force: true })
      loaded = size

      // 3. the wall queries through HTTP, right after the import: what a wall sees while the cockpit digests it
      log(`history ${size.toLocaleString('en-US')}: wall queries right after the import, ${runs} runs each…`)
      const queriesAtImport = (await timeQueries(url, cockpitQueries, runs, { server: server.pid!, redis })).timings
      // 4. Redis memory
      log(`history ${size.toLocaleString('en-US')}: Redis memory by key family…`)
      const atImport = await infoNumber(redis, 'memory', 'used_memory')
      // what the history keeps: once the final movements' effect records are past their grace (a SCAN expires them)
      await sleep(Math.max(0, importEnd + (FINAL_GRACE_S + 1) * 1000 - Date.now()))
      // and once a live feed has run for a moment: each batch forgets the closed order lines of its sides that no
      // movement can cancel any more (up to 1,000 a side), so history's are let go as live batches come
      await liveBatches(url, ingestKey, `live-${size}`, LIVE_BATCHES)
      // the wall queries again, settled: the import's final movements' records have expired and the live feed runs
      log(`history ${size.toLocaleString('en-US')}: wall queries settled, ${runs} runs each…`)
      const { timings: queries, answers: cockpitAnswers } = await timeQueries(url, cockpitQueries, runs, { server: server.pid!, redis })
      await keyFamilies(redis, prefix)
      const usedMemory = await infoNumber(redis, 'memory', 'used_memory')
      const dataset = await infoNumber(redis, 'memory', 'used_memory_dataset')
      const { families, keys } = await keyFamilies(redis, prefix)

      // 5. the SQL peer: COPY, then the same queries
      log(`history ${size.toLocaleString('en-US')}: PostgreSQL COPY and GROUP BYs…`)
      const c0 = performance.now()
      await db.query(`COPY movements (${SQL_COLUMNS.join(', ')}) FROM '${csv}' WITH (FORMAT csv)`)
      const copySeconds = (performance.now() - c0) / 1000
      const a0 = performance.now()
      await db.query('VACUUM ANALYZE movements')
      const analyzeSeconds = (performance.now() - a0) / 1000
      rmSync(csv, { force: true })
      const tableBytes = Number((await db.query<{ n: string }>(`SELECT pg_total_relation_size('movements') AS n`)).rows[0]!.n)
      const sqlQueries = {} as Record<QueryName, Timing>
      const sqlAnswers = {} as Record<QueryName, { month?: string; key: string; total: string }[]>
      for (const name of QUERY_NAMES) {
        const params = name === 'stockByWarehouse' ? [] : [period.from, period.to]
        const times: number[] = []
        for (let i = 0; i < runs + 2; i++) {
          const t0 = performance.now()
          const res = await db.query<{ month?: string; key: string; total: string }>(SQL_QUERIES[name], params)
          const ms = performance.now() - t0
          if (i >= 2) times.push(ms)
          else sqlAnswers[name] = res.rows
        }
        times.sort((a, b) => a - b)
        sqlQueries[name] = { p50: percentile(times, 50), p99: percentile(times, 99) }
      }

      const result: SizeResult = {
        size,
        added: gen.movements,
        generateSeconds,
        importer: {
          seconds: imp.seconds,
          accepted,
          duplicates: summary('duplicates'),
          rejected: summary('rejected'),
          retries: summary('retries'),
          rate: accepted / imp.seconds,
          ...(lastSample ? { barRate: lastSample.rate } : {}),
          ...(etaAt(10) ? { eta10: etaAt(10)! } : {}),
          ...(etaAt(50) ? { eta50: etaAt(50)! } : {}),
          summarySeconds: summary('time'),
          exitCode: imp.exitCode,
        },
        cpu: {
          serverUs: ((cpu1.server - cpu0.server) * 1e6) / gen.movements,
          redisUs: ((cpu1.redis - cpu0.redis) * 1e6) / gen.movements,
          importerUs: (imp.importerCpu * 1e6) / gen.movements,
          serverBusy: (cpu1.server - cpu0.server) / imp.seconds,
          importerBusy: imp.importerCpu / imp.seconds,
          movementsPerScript: gen.movements / Math.max(1, cpu1.scripts - cpu0.scripts),
          redisBusy: (cpu1.redis - cpu0.redis) / imp.seconds,
        },
        queries,
        queriesAtImport,
        redis: { usedMemory, dataset, perMovement: (usedMemory - baseline) / size, keys, families, atImport, atImportPerMovement: (atImport - baseline) / size },
        sql: { copySeconds, copyRate: gen.movements / copySeconds, analyzeSeconds, tableBytes, queries: sqlQueries },
        mismatches: compareAnswers(cockpitAnswers, sqlAnswers),
      }
      results.push(result)
      log(
        `history ${sizeLabel(size)}: import ${fmt(result.importer.rate)} mov/s, queries p50 ${QUERY_NAMES.map((q) => fmt(queries[q].p50, 1)).join(' · ')} ms ` +
          `(SQL ${QUERY_NAMES.map((q) => fmt(sqlQueries[q].p50, 1)).join(' · ')} ms), Redis ${fmt(result.redis.perMovement)} B/movement, figures ${result.mismatches.length === 0 ? 'agree' : 'DIFFER'}`,
      )
    }
    return { startedAt, finishedAt: new Date().toISOString(), load: { start: loadStart, end: loadavg() }, sizes: results }
  } finally {
    process.removeListener('exit', onExit)
    await cleanup()
  }
}

interface CockpitGroups {
  groups?: { key: string; total: number }[]
}

/** Both sides' figures, to the cent: revenue by category over the period, the top 10 SKUs, stock by warehouse. */
function compareAnswers(cockpit: Record<QueryName, unknown>, sql: Record<QueryName, { month?: string; key: string; total: string }[]>): string[] {
  const out: string[] = []
  const cents = (x: number | string) => Math.round(Number(x) * 100)
  const sqlByKey = (rows: { key: string; total: string }[]) => {
    const m = new Map<string, number>()
    for (const r of rows) m.set(r.key ?? '-', (m.get(r.key ?? '-') ?? 0) + cents(r.total))
    return m
  }
  for (const name of QUERY_NAMES) {
    const c = cockpit[name] as CockpitGroups | undefined
    if (!c?.groups) {
      out.push(`${name}: the cockpit gave no groups`)
      continue
    }
    const s = sqlByKey(sql[name] ?? [])
    const keys = name === 'top10Skus' ? c.groups.map((g) => g.key) : [...new Set([...s.keys(), ...c.groups.map((g) => g.key)])]
    for (const key of keys) {
      const mine = cents(c.groups.find((g) => g.key === key)?.total ?? 0)
      const theirs = s.get(key) ?? 0
      if (mine !== theirs) out.push(`${name} ${key}: cockpit ${mine / 100}, SQL ${theirs / 100}`)
    }
    if (name === 'top10Skus') {
      const sqlKeys = (sql[name] ?? []).map((r) => r.key)
      if (sqlKeys.join() !== keys.join()) out.push(`top10Skus: cockpit ${keys.join(' ')} / SQL ${sqlKeys.join(' ')}`)
    }
  }
  return out.slice(0, 20)
}

// --- printing

const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '—')
const ms = (t: Timing) =>
  t.error
    ? `${Number.isFinite(t.p50) ? `${fmt(t.p50, 1)} / ${fmt(t.p99, 1)} ms, ` : ''}${t.refused ?? 1} refused: ${t.error.slice(0, 50)}`
    : `${fmt(t.p50, 1)} / ${fmt(t.p99, 1)} ms`
const cpu = (t: Timing) => (t.serverCpuMs === undefined ? '' : ` (CPU per query: server ${fmt(t.serverCpuMs, 2)} · Redis ${fmt(t.redisCpuMs ?? NaN, 2)} ms)`)
const mb = (b: number) => `${fmt(b / 1048576, 1)} MB`
export const sizeLabel = (n: number) => (n >= 1e6 && n % 1e5 === 0 ? `${n / 1e6} M` : n >= 1e3 && n % 100 === 0 ? `${n / 1e3} k` : String(n))

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '))
}

/** What one size measured, as lines. */
export function sizeReport(r: SizeResult): string[] {
  const i = r.importer
  const eta = (e: { predicted: number; actual: number } | undefined) => (e ? `${fmt(e.predicted)} s shown, ${fmt(e.actual)} s taken` : '—')
  const lines = [
    `— ${sizeLabel(r.size)} movements (${fmt(r.added)} added; generated in ${fmt(r.generateSeconds, 1)} s)`,
    ...table([
      [
        'backfill, npm run import',
        `${fmt(i.rate)} movements/s`,
        `${fmt(i.accepted)} accepted, ${fmt(i.duplicates)} duplicates, ${fmt(i.rejected)} rejected, ${fmt(i.retries)} posts retried in ${fmt(i.seconds, 1)} s (exit ${i.exitCode})`,
      ],
      [
        "  importer's own figures",
        `${i.barRate !== undefined ? `${fmt(i.barRate)} lines/s on its bar` : '—'}`,
        `ETA at 10 %: ${eta(i.eta10)}; at 50 %: ${eta(i.eta50)}; summary ${fmt(i.summarySeconds ?? NaN, 1)} s`,
      ],
      [
        '  CPU per movement: server · Redis · importer',
        `${fmt(r.cpu.serverUs, 1)} · ${fmt(r.cpu.redisUs, 1)} · ${fmt(r.cpu.importerUs, 1)} µs`,
        `busy ${fmt(r.cpu.serverBusy * 100)} % · ${fmt(r.cpu.redisBusy * 100)} % · ${fmt(r.cpu.importerBusy * 100)} % of a core`,
      ],
      ['  movements per script call', fmt(r.cpu.movementsPerScript), 'the importer flushes its batch before a cancel of a movement in it'],
      [
        'PostgreSQL COPY (indexed table)',
        `${fmt(r.sql.copyRate)} rows/s`,
        `${fmt(r.sql.copySeconds, 1)} s; VACUUM ANALYZE ${fmt(r.sql.analyzeSeconds, 1)} s; table + indexes ${mb(r.sql.tableBytes)}`,
      ],
      ...QUERY_NAMES.map((q) => [`${QUERY_TITLES[q]}: p50 / p99`, `cockpit ${ms(r.queries[q])}${cpu(r.queries[q])}`, `SQL ${ms(r.sql.queries[q])}`]),
      ...QUERY_NAMES.map((q) => [`  right after the import`, `cockpit ${ms(r.queriesAtImport[q])}${cpu(r.queriesAtImport[q])}`, '']),
      ['Redis used_memory, right after the import', mb(r.redis.atImport), `${fmt(r.redis.atImportPerMovement)} B per movement (effect records still held)`],
      [
        `Redis used_memory, ${FINAL_GRACE_S} s later + ${LIVE_BATCHES} live batches`,
        `${mb(r.redis.usedMemory)} (dataset ${mb(r.redis.dataset)})`,
        `${fmt(r.redis.perMovement)} B per movement retained; ${fmt(r.redis.keys)} keys`,
      ],
      [
        '  of which for the cancel window only',
        `${fmt(windowBytesPerMovement(r.redis.families, r.size))} B per movement`,
        `id markers, effect records, documents' last changes, order lines: gone ${fmt(EFFECT_TTL_S / 86_400, 1)} days after the import; the rest stays`,
      ],
      ['figures cockpit = SQL', r.mismatches.length === 0 ? 'yes, to the cent' : `NO: ${r.mismatches.length} differ`, r.mismatches.slice(0, 3).join('; ')],
    ]).map((l) => `  ${l}`),
    '  Redis memory by key family (sampled MEMORY USAGE × keys):',
    ...table([
      ['family', 'keys', 'MB', 'B/movement', 'elements', 'B/element'],
      ...r.redis.families
        .filter((f) => f.bytes >= 10_000)
        .map((f) => [
          f.family,
          fmt(f.keys),
          fmt(f.bytes / 1048576, 2),
          fmt(f.bytes / r.size, 1),
          f.elements !== undefined ? fmt(f.elements) : '',
          f.elements ? fmt(f.bytes / f.elements, 1) : '',
        ]),
    ]).map((l) => `    ${l}`),
  ]
  return lines
}

export interface TargetRow {
  figure: string
  cockpit: string
  sql: string
  ratio: string
  target: string
  met: boolean | undefined
}

/** The side-by-side rows: each figure, both sides, their ratio, the issue's target and whether it is met. */
export function targetRows(result: HistoryBenchResult): TargetRow[] {
  const sizes = result.sizes
  if (sizes.length === 0) return []
  const first = sizes[0]!
  const last = sizes.at(-1)!
  const rows: TargetRow[] = []
  const slowestImport = sizes.reduce((a, b) => (b.importer.rate < a.importer.rate ? b : a))
  rows.push({
    figure: `backfill (npm run import), ${sizes.map((s) => sizeLabel(s.size)).join(' → ')}`,
    cockpit: `${sizes.map((s) => fmt(s.importer.rate)).join(' → ')} mov/s`,
    sql: `${sizes.map((s) => fmt(s.sql.copyRate)).join(' → ')} rows/s COPY`,
    ratio: `${fmt(last.sql.copyRate / last.importer.rate, 1)}× slower`,
    target: `≥ ${fmt(TARGETS.backfillPerSecond)} mov/s`,
    met: slowestImport.importer.rate >= TARGETS.backfillPerSecond,
  })
  for (const q of QUERY_NAMES) {
    const worst = Math.max(...sizes.map((s) => (s.queries[q].error ? Infinity : s.queries[q].p99)))
    const growth = last.queries[q].error || first.queries[q].error ? NaN : last.queries[q].p50 / first.queries[q].p50
    rows.push({
      figure: `${QUERY_TITLES[q]}, p50 ${sizes.map((s) => sizeLabel(s.size)).join(' → ')}`,
      cockpit: `${sizes.map((s) => (s.queries[q].error ? 'refused' : fmt(s.queries[q].p50, 1))).join(' → ')} ms (×${fmt(growth, 1)})`,
      sql: `${sizes.map((s) => fmt(s.sql.queries[q].p50, 1)).join(' → ')} ms`,
      ratio: last.queries[q].error ? '—' : `${fmt(last.sql.queries[q].p50 / last.queries[q].p50, 1)}× cheaper`,
      target: `p99 ≤ ${TARGETS.queryMs} ms, flat`,
      met: worst <= TARGETS.queryMs && growth <= 1.5,
    })
  }
  // a refused query makes the refresh fail: no figure for it
  const refresh = (s: SizeResult, side: 'cockpit' | 'sql') =>
    QUERY_NAMES.reduce((t, q) => t + (side === 'cockpit' ? (s.queries[q].error ? NaN : s.queries[q].p50) : s.sql.queries[q].p50), 0)
  const at3M = sizes.find((s) => s.size >= 3_000_000)
  const ref = at3M ?? last
  rows.push({
    figure: `one wall refresh (the three queries), ${sizeLabel(ref.size)}`,
    cockpit: QUERY_NAMES.some((q) => ref.queries[q].error)
      ? `a query refused (${QUERY_NAMES.filter((q) => ref.queries[q].error).join(', ')})`
      : `${fmt(refresh(ref, 'cockpit'), 1)} ms`,
    sql: `${fmt(refresh(ref, 'sql'), 1)} ms`,
    ratio: Number.isFinite(refresh(ref, 'cockpit')) ? `${fmt(refresh(ref, 'sql') / refresh(ref, 'cockpit'), 1)}× cheaper` : '—',
    target: `≥ ${TARGETS.sqlRatioAt3M}× cheaper at 3 M`,
    met: at3M ? refresh(ref, 'sql') / refresh(ref, 'cockpit') >= TARGETS.sqlRatioAt3M : undefined, // NaN (refused) is not met
  })
  rows.push({
    figure: `memory per movement, ${sizes.map((s) => sizeLabel(s.size)).join(' → ')}`,
    cockpit: `${sizes.map((s) => fmt(s.redis.perMovement)).join(' → ')} B (Redis; after the cancel window ${sizes.map((s) => fmt(s.redis.perMovement - windowBytesPerMovement(s.redis.families, s.size))).join(' → ')} B)`,
    sql: `${sizes.map((s) => fmt(s.sql.tableBytes / s.size)).join(' → ')} B (table + indexes)`,
    ratio: `${fmt(last.redis.perMovement / (last.sql.tableBytes / last.size), 1)}×`,
    target: `≤ ${TARGETS.bytesPerMovement} B`,
    met: last.redis.perMovement <= TARGETS.bytesPerMovement,
  })
  rows.push({
    figure: 'figures agree (revenue by category, top 10, stock)',
    cockpit: sizes.map((s) => (s.mismatches.length === 0 ? 'yes' : 'NO')).join(' · '),
    sql: '',
    ratio: '',
    target: 'to the cent',
    met: sizes.every((s) => s.mismatches.length === 0),
  })
  return rows
}

const metText = (met: boolean | undefined) => (met === undefined ? 'n/a' : met ? 'met' : 'NOT met')

/** The whole history section, as printed by this file and by `npm run bench`. */
export function historyReport(result: HistoryBenchResult): string[] {
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ')
  return [
    `multi-year history (Superstore-shaped, 4 years) — ${result.startedAt} → ${result.finishedAt}; load average ${load(result.load.start)} → ${load(result.load.end)}`,
    `day buckets kept ${RETAIN_DAY_S === 0 ? 'forever' : `${fmt(RETAIN_DAY_S / 86_400)} days`} (COCKPIT_RETAIN_DAY_S), cancel window ${fmt(EFFECT_TTL_S / 86_400, 1)} days (COCKPIT_EFFECT_TTL_S)`,
    ...result.sizes.flatMap(sizeReport),
    '',
    'side by side — the cockpit and a SQL-polling peer (PostgreSQL, one movement table, GROUP BY), same movements, same run:',
    ...table([['figure', 'cockpit', 'SQL peer', 'ratio', 'target', 'met'], ...targetRows(result).map((r) => [r.figure, r.cockpit, r.sql, r.ratio, r.target, metText(r.met)])]),
  ]
}

async function main(): Promise<void> {
  const sizes = parseSizes(process.env.BENCH_HISTORY_SIZES ?? '30000,300000,3000000')
  const runs = Number(process.env.BENCH_HISTORY_RUNS ?? 20)
  const out = (s = '') => process.stdout.write(`${s}\n`)
  const result = await runHistoryBench({ sizes, runs, log: out })
  out('')
  for (const line of historyReport(result)) out(line)
  if (process.env.BENCH_HISTORY_JSON) {
    const { writeFile } = await import('node:fs/promises')
    await writeFile(process.env.BENCH_HISTORY_JSON, JSON.stringify(result, null, 1))
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await main()
    process.exit(0)
  } catch (err) {
    process.stderr.write(`history bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exit(1)
  }
}
