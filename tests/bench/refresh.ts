/**
 * `npx tsx tests/bench/refresh.ts` — how a wall refresh grows with history. Loads a 4-year
 * history (2014–2017, Superstore-like: ~1,800 SKUs in 17 categories, 4 warehouses, 800 customers,
 * a few hundred best sellers) into a private redis-server through the real validation, fold and
 * apply script (5,000-movement batches, as a backfill's group commit), and after each size times
 * the wall's three queries through the query engine:
 *   - revenue by month × category over the 4 years
 *   - top-10 SKUs by revenue over the 4 years (and over a period that is not whole years)
 *   - stock on hand by warehouse
 * REFRESH_SIZES (default `30000,300000,3000000`) sets the history sizes, loaded one after the
 * other into the same Redis; REFRESH_RUNS (default 30) how many times each query is timed (the
 * median and the slowest are printed). Movements are seeded: two runs load the same history.
 *
 * REFRESH_BEFORE=<dir> also times each query through the query engine of another tree of the
 * project (e.g. `git archive <commit> | tar -x -C <dir>`, with node_modules linked), on the same
 * data: the read path before and after a change, in one run. The data is written by this tree's
 * write path, which keeps every key the older engine reads.
 * Queries run with a 120 s time limit so that slow ones are measured rather than refused.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import type { Query, QueryResult } from '../../protocol/query.ts'
import { foldBatch, rememberExpiring } from '../../server/aggregate/fold.ts'
import { markYearBuckets } from '../../server/aggregate/years.ts'
import { loadConfig } from '../../server/config.ts'
import type { MasterLookup } from '../../server/domain/master-lookup.ts'
import { createCalendar } from '../../server/domain/time.ts'
import { validateBatch } from '../../server/ingest/validate.ts'
import { createQueryEngine } from '../../server/query/engine.ts'
import { APPLY_BATCH_KEYS, applyBatchKeys } from '../../server/redis/apply-batch.ts'
import { createKeys } from '../../server/redis/keys.ts'
import { freePort, redisCpuSeconds } from '../helpers/private-redis.ts'

const SIZES = (process.env.REFRESH_SIZES ?? '30000,300000,3000000').split(',').map(Number)
const RUNS = Number(process.env.REFRESH_RUNS ?? 30)
const BATCH = 5_000
const out = (s = '') => process.stdout.write(`${s}\n`)

const SKUS = 1_800
const CATEGORIES = 17
const WAREHOUSES = ['WH-C', 'WH-E', 'WH-S', 'WH-W']
const REGIONS = ['central', 'east', 'south', 'west']
const CHANNELS = ['consumer', 'corporate', 'home-office']
const CUSTOMERS = 800
const SUPPLIERS = 40
const FROM = Date.parse('2014-01-01T00:00:00+08:00')
const TO = Date.parse('2018-01-01T00:00:00+08:00')

/** mulberry32: a small seeded generator, so every run loads the same history */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const rand = rng(2014)
const pad = (n: number, w: number) => String(n).padStart(w, '0')
const catalogue = Array.from({ length: SKUS }, (_, i) => ({
  sku: `SKU-${pad(i + 1, 4)}`,
  category: `CAT-${pad((i * 7) % CATEGORIES, 2)}`,
  price: Math.round((5 + rand() * 995) * 100) / 100,
}))
/** popularity: a long tail, so the top 10 are a real ranking (weights ∝ 1/(rank+20)) */
const cumulative: number[] = []
catalogue.reduce((acc, _, i) => (cumulative[i] = acc + 1 / (i + 20)), 0)
const totalWeight = cumulative[SKUS - 1]!
function pickSku(): (typeof catalogue)[number] {
  const x = rand() * totalWeight
  let lo = 0
  let hi = SKUS - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (cumulative[mid]! < x) lo = mid + 1
    else hi = mid
  }
  return catalogue[lo]!
}

function iso(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().replace('Z', '+08:00')
}

let seq = 0
/** one movement at `atMs`: nine shipments (revenue, COGS at the ERP's cost) for each receipt */
function movement(atMs: number): Record<string, unknown> {
  const item = pickSku()
  const w = Math.floor(rand() * WAREHOUSES.length)
  // dates only, as the order exports of a history have them (Superstore's do): noon of the business day
  const at = iso(Math.floor((atMs + 8 * 3600_000) / 86_400_000) * 86_400_000 + 4 * 3600_000)
  const qty = 1 + Math.floor(rand() * 9)
  const id = `h-${++seq}`
  const base = { id, occurredAt: at, sku: item.sku, warehouse: WAREHOUSES[w]!, qty, category: item.category, region: REGIONS[w]! }
  if (seq % 10 === 0) return { ...base, type: 'purchase_receipt', qty: qty * 9, unitCost: Math.round(item.price * 60) / 100, partner: `SUP-${pad(seq % SUPPLIERS, 3)}` }
  return {
    ...base,
    type: 'sales_shipment',
    unitPrice: item.price,
    unitCost: Math.round(item.price * 60) / 100,
    partner: `CUS-${pad(Math.floor(rand() * CUSTOMERS), 4)}`,
    channel: CHANNELS[Math.floor(rand() * CHANNELS.length)]!,
  }
}

const port = await freePort()
const dir = mkdtempSync(join(tmpdir(), 'cockpit-refresh-redis-'))
const redisProc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
const redis = new Redis(`redis://127.0.0.1:${port}`, { retryStrategy: (n) => (n > 50 ? null : 100) })
redis.on('error', () => {})
process.on('exit', () => {
  redis.disconnect()
  redisProc.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})
await redis.ping()

const config = loadConfig({ COCKPIT_KEY_PREFIX: 'rf:', COCKPIT_INGEST_KEYS: 'x', COCKPIT_ADMIN_KEY: 'y' })
const keys = createKeys(config.keyPrefix)
const calendar = createCalendar(config.timeZone)
const sha = (await redis.script('LOAD', readFileSync(new URL('../../server/redis/scripts/apply-batch.lua', import.meta.url), 'utf8'))) as string
const dims = { categoryOf: () => undefined, regionOf: () => undefined }
const expiring = new Set<string>()
const noMasterData: MasterLookup = { sku: () => undefined, warehouse: () => undefined, names: () => undefined }
// a new cockpit: year buckets hold every movement from the start (server/aggregate/years.ts)
await markYearBuckets(redis, keys, calendar, Date.now())
const limits = { maxCost: 200_000, timeoutMs: 120_000 }
const engineOptions = { redis, keys, calendar, masterData: noMasterData, currency: config.currency, money: config.money, retention: config.retention, limits }
const engine = createQueryEngine(engineOptions)
type Engine = Pick<typeof engine, 'run'>
const before: Engine | undefined = process.env.REFRESH_BEFORE
  ? ((await import(`${process.env.REFRESH_BEFORE}/server/query/engine.ts`)) as { createQueryEngine: (o: typeof engineOptions) => Engine }).createQueryEngine(engineOptions)
  : undefined

async function load(count: number): Promise<number> {
  const started = performance.now()
  // in date order, as an ERP exports its history: each pass spreads `count` movements over the 4 years
  for (let done = 0; done < count; done += BATCH) {
    const items = Array.from({ length: Math.min(BATCH, count - done) }, (_, i) => movement(FROM + ((done + i + rand()) / count) * (TO - FROM)))
    const v = validateBatch(items, { baseCurrency: config.currency })
    if (v.rejected.length) throw new Error(JSON.stringify(v.rejected[0]))
    const folded = foldBatch(v.movements, { keys, calendar, retention: config.retention, effectTtl: config.effectTtl, dims, now: Date.now(), expiring, money: config.money })
    const reply = (await redis.evalsha(sha, APPLY_BATCH_KEYS.length, ...applyBatchKeys(keys), folded.payload, keys.effect(''), ...folded.records)) as [string]
    if (reply[0] !== 'ok') throw new Error(`apply: ${String(reply)}`)
    rememberExpiring(expiring, folded.expiring)
  }
  return (performance.now() - started) / 1000
}

const PERIOD = { from: '2014-01-01T00:00:00+08:00', to: '2018-01-01T00:00:00+08:00' }
const QUERIES: { name: string; q: Query }[] = [
  { name: 'revenue by month × category, 4 years', q: { metric: 'sales.revenue', ...PERIOD, interval: 'month', groupBy: 'category' } },
  { name: 'top-10 SKUs by revenue, 4 years', q: { metric: 'sales.revenue', ...PERIOD, groupBy: 'sku', top: 10 } },
  { name: 'stock on hand by warehouse', q: { metric: 'stock.qty', groupBy: 'warehouse' } },
  { name: '(top-10 SKUs, 2014-03-15 → 2017-10-20)', q: { metric: 'sales.revenue', from: '2014-03-15T00:00:00+08:00', to: '2017-10-20T00:00:00+08:00', groupBy: 'sku', top: 10 } },
  { name: '(gross margin by category, 2017)', q: { metric: 'sales.grossMargin', from: '2017-01-01T00:00:00+08:00', to: '2018-01-01T00:00:00+08:00', groupBy: 'category' } },
]

/**
 * Median wall time of a query, and the CPU it costs (this process + Redis, per query): on a
 * shared machine the wall time depends on what else runs, the CPU much less.
 */
async function time(e: Engine, q: Query): Promise<{ median: number; cpu: number; result: QueryResult }> {
  let result = await e.run(q)
  for (let i = 0; i < 3; i++) result = await e.run(q)
  const ms: number[] = []
  const cpu0 = process.cpuUsage()
  const redis0 = await redisCpuSeconds(redis)
  // slow queries are timed fewer times, so a run over a large history still ends
  for (let i = 0, spent = 0; i < RUNS && (i < 3 || spent < 20_000); i++) {
    const s = performance.now()
    result = await e.run(q)
    ms.push(performance.now() - s)
    spent += ms.at(-1)!
  }
  const node = process.cpuUsage(cpu0)
  const redisMs = ((await redisCpuSeconds(redis)) - redis0) * 1000
  ms.sort((a, b) => a - b)
  return { median: ms[Math.floor(ms.length / 2)]!, cpu: ((node.user + node.system) / 1000 + redisMs) / ms.length, result }
}

/** the answer without `asOf`: two engines must give the same figures */
const figures = (r: QueryResult) => JSON.stringify({ ...r, asOf: undefined })

out(`refresh vs history: ${SKUS} SKUs, ${CATEGORIES} categories, ${WAREHOUSES.length} warehouses, 2014–2017; each query up to ${RUNS}×`)
out(`ms per query: median wall time / CPU (this process + Redis)${before ? `; before (${process.env.REFRESH_BEFORE}) | this tree` : ''}`)
let loaded = 0
for (const size of SIZES) {
  const secs = await load(size - loaded)
  const rate = Math.round((size - loaded) / secs)
  loaded = size
  const mem = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0)
  out(`\n${size.toLocaleString('en-US')} movements (loaded ${rate.toLocaleString('en-US')}/s; Redis ${(mem / 2 ** 20).toFixed(0)} MiB)`)
  const wall = { before: 0, after: 0, beforeCpu: 0, afterCpu: 0 }
  for (const { name, q } of QUERIES) {
    const cols: string[] = []
    let old: Awaited<ReturnType<typeof time>> | undefined
    if (before) {
      try {
        old = await time(before, q)
        if (!name.startsWith('(')) {
          wall.before += old.median
          wall.beforeCpu += old.cpu
        }
        cols.push(old.median.toFixed(2).padStart(9), old.cpu.toFixed(2).padStart(9), '  |')
      } catch (err) {
        // the older engine may refuse a query this history makes too costly: say so and go on
        cols.push(`refused: ${(err as { code?: string }).code ?? String(err)}`.padEnd(19), '  |')
        wall.before = NaN
      }
    }
    const now = await time(engine, q)
    if (!name.startsWith('(')) {
      wall.after += now.median
      wall.afterCpu += now.cpu
    }
    cols.push(now.median.toFixed(2).padStart(9), now.cpu.toFixed(2).padStart(9))
    if (old && figures(old.result) !== figures(now.result)) throw new Error(`${name}: the two engines disagree\n${figures(old.result)}\n${figures(now.result)}`)
    const top = now.result.groups?.[0]
    out(`  ${name.padEnd(42)} ${cols.join(' ')}   ${now.result.groups?.length ?? 0} groups, first ${top?.key ?? '-'} ${top?.total ?? ''}`)
  }
  out(
    `  ${'wall refresh (the three queries)'.padEnd(42)} ${before ? `${(Number.isNaN(wall.before) ? 'refused' : wall.before.toFixed(2)).padStart(9)} ${wall.beforeCpu.toFixed(2).padStart(9)}   | ` : ''}${wall.after.toFixed(2).padStart(9)} ${wall.afterCpu.toFixed(2).padStart(9)}`,
  )
}
process.exit(0)
