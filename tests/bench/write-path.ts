/**
 * `npx tsx tests/bench/write-path.ts` — CPU cost of each stage of the write path, in one
 * process, without HTTP: JSON.parse of a batch body, validation, fold, and the
 * apply-batch script (Redis CPU from INFO cpu). The same simulated retail movements as
 * `npm run bench`, cancels included, through the real applier (server/aggregate/applier.ts),
 * into a private redis-server. WP_LUA=<file> runs a profiling build of apply-batch.lua (written by
 * tests/bench/profile-lua.ts) that adds each phase's microseconds into `prof:<phase>` hashes (field `us`); they are
 * printed per movement. Use it to see where a
 * change moves the cost; `npm run bench` gives the end-to-end figures. Compare runs made one
 * after the other (the machine is shared). BENCH_BATCH (default 500) sets the batch size:
 * 2000 shows what grouping four concurrent 500-movement requests saves; BENCH_BATCHES
 * (default 400) how many batches are applied. BENCH_SOURCE=history applies the four-year history of
 * mock-feeds/history.ts instead (master data known, movements final), cut into batches as `npm run import` cuts
 * them: what a backfill costs per movement, stage by stage.
 */
import { execFileSync, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { createSimulator } from '../../mock-feeds/simulator.ts'
import { createSuperstore, historyMovements } from '../../mock-feeds/history.ts'
import { importBatches } from '../../server/cli/import.ts'
import { retailScenario } from '../../mock-feeds/scenarios/retail.ts'
import type { Movement } from '../../protocol/movement.ts'
import { validateBatch } from '../../server/ingest/validate.ts'
import * as fold from '../../server/aggregate/fold.ts'
import { createApplier } from '../../server/aggregate/applier.ts'
import { createCalendar } from '../../server/domain/time.ts'
import { createKeys } from '../../server/redis/keys.ts'
import { loadConfig } from '../../server/config.ts'
import { redisCpuSeconds } from '../helpers/private-redis.ts'

const BATCH = Number(process.env.BENCH_BATCH ?? 500)
const BATCHES = Number(process.env.BENCH_BATCHES ?? 400)
const HISTORY = process.env.BENCH_SOURCE === 'history'
const out = (s = '') => process.stdout.write(`${s}\n`)

const redisPort = 29000 + Math.floor(Math.random() * 1000)
const redisDir = mkdtempSync(join(tmpdir(), 'cockpit-wp-redis-'))
// WP_CALLGRIND=1: Redis runs under callgrind and its instructions per movement are printed: a
// count, not a time, so it does not move with whatever else the shared machine is doing
const callgrind = process.env.WP_CALLGRIND === '1'
const redisArgs = ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', redisDir, '--save', '', '--hash-max-listpack-entries', '32']
const redisProc = callgrind
  ? spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${join(redisDir, 'cg.out')}`, 'redis-server', ...redisArgs, '--appendonly', 'no'], { stdio: 'ignore' })
  : spawn('redis-server', [...redisArgs, '--appendonly', 'yes', '--appendfsync', 'everysec'], { stdio: 'ignore' })
const redis = new Redis(`redis://127.0.0.1:${redisPort}`, {
  retryStrategy: (n) => (n > 300 ? null : 100),
  maxRetriesPerRequest: null,
  commandTimeout: callgrind ? 600_000 : undefined,
})
redis.on('error', () => {})
process.on('exit', () => {
  redis.disconnect()
  redisProc.kill('SIGKILL')
  rmSync(redisDir, { recursive: true, force: true })
})
await redis.ping()

const config = loadConfig({ COCKPIT_KEY_PREFIX: 'wp:', COCKPIT_INGEST_KEYS: 'x', COCKPIT_ADMIN_KEY: 'y' })
const keys = createKeys(config.keyPrefix)
const calendar = createCalendar(config.timeZone)
const store = HISTORY ? createSuperstore(42) : undefined
const categoryOf = new Map(store?.master.skus.map((x) => [x.code, x.category]))
const regionOf = new Map(store?.master.warehouses.map((x) => [x.code, x.region]))
const termsOf = new Map(store?.master.partners.map((x) => [x.code, x.paymentTermsDays]))
const dims = { categoryOf: (s: string) => categoryOf.get(s), regionOf: (w: string) => regionOf.get(w), termsOf: (p: string) => termsOf.get(p) }
// the fold is timed where the applier calls it (CPU time: the machine is shared)
let foldMs = 0
let payloadBytes = 0
let cells = 0
const timedFold: typeof fold.foldBatch = (...args) => {
  const s = process.cpuUsage()
  const folded = fold.foldBatch(...args)
  const d = process.cpuUsage(s)
  foldMs += (d.user + d.system) / 1000
  payloadBytes += folded.payload.length
  cells += (JSON.parse(folded.payload) as { T: unknown[] }).T.length / 2
  return folded
}
const applier = createApplier({
  redis,
  keys,
  calendar,
  retention: config.retention,
  effectTtl: config.effectTtl,
  finalAfter: config.finalAfter,
  finalGrace: config.finalGrace,
  money: config.money,
  dims,
  fold: timedFold,
  // WP_LUA: a build of apply-batch.lua that adds its phases' times into prof:* hashes (printed below)
  script: process.env.WP_LUA ? readFileSync(process.env.WP_LUA, 'utf8') : undefined,
})
await applier.loadScript()

const bodies: string[] = []
if (HISTORY) {
  for (const b of importBatches(historyMovements({ movements: BATCH * BATCHES }), BATCH)) bodies.push(JSON.stringify(b))
} else {
  const sim = createSimulator({
    scenario: retailScenario(42, { rate: 400 }),
    seed: 42,
    startAt: Date.now() - 3600_000,
    rate: 400,
    profile: 'flat',
    idPrefix: `wp-${randomUUID().slice(0, 6)}`,
  })
  // only as many movements as needed: a large live heap would inflate every stage's GC cost
  const movements: Movement[] = []
  while (movements.length < BATCH * BATCHES && sim.now < Date.now() - 60_000) movements.push(...sim.step(sim.now + 60_000))
  for (let i = 0; i + BATCH <= movements.length && bodies.length < BATCHES; i += BATCH) bodies.push(JSON.stringify(movements.slice(i, i + BATCH)))
  movements.length = 0
}
const total = bodies.reduce((t, b) => t + (JSON.parse(b) as unknown[]).length, 0)
out(`${bodies.length} batches of ${BATCH} at most (${Math.round(total / bodies.length)} on average)`)

const t = { parse: 0, validate: 0, apply: 0 }
const warm = Number(process.env.BENCH_WARM ?? 20)
let redisStart = 0
let n = 0
for (let b = 0; b < bodies.length; b++) {
  if (b === warm) {
    for (const k of Object.keys(t) as (keyof typeof t)[]) t[k] = 0
    foldMs = 0
    payloadBytes = 0
    cells = 0
    n = 0
    redisStart = await redisCpuSeconds(redis)
    if (callgrind) execFileSync('callgrind_control', ['-z', String(redisProc.pid)], { stdio: 'ignore' })
  }
  let s = performance.now()
  const items = JSON.parse(bodies[b]!) as unknown[]
  t.parse += performance.now() - s
  s = performance.now()
  const v = validateBatch(items, { baseCurrency: config.currency })
  t.validate += performance.now() - s
  if (v.rejected.length) throw new Error(JSON.stringify(v.rejected[0]))
  s = performance.now()
  // cancels go in a batch of their own, as a sender must send them (after what they cancel)
  const cancels = HISTORY ? [] : v.movements.filter((m) => m.type === 'cancel')
  await applier.apply(HISTORY ? v.movements : v.movements.filter((m) => m.type !== 'cancel'))
  if (cancels.length > 0) await applier.apply(cancels)
  t.apply += performance.now() - s
  n += v.movements.length
}
const redisUs = ((await redisCpuSeconds(redis)) - redisStart) * 1e6
if (callgrind) {
  execFileSync('callgrind_control', ['-d', String(redisProc.pid)], { stdio: 'ignore' })
  // the dump is written when valgrind next schedules Redis: wait for it
  let dumps: string[] = []
  for (let k = 0; k < 100 && dumps.length === 0; k++) {
    await redis.ping()
    await new Promise((r) => setTimeout(r, 100))
    dumps = readdirSync(redisDir).filter((f) => f.startsWith('cg.out'))
  }
  const totals = dumps.map((f) => Number(/^(?:summary|totals): (\d+)/m.exec(readFileSync(join(redisDir, f), 'utf8'))?.[1] ?? 0))
  const kept = join(tmpdir(), 'write-path.callgrind')
  copyFileSync(join(redisDir, dumps[totals.indexOf(Math.max(...totals))]!), kept)
  out(`Redis instructions per movement (callgrind): ${(Math.max(...totals) / n).toFixed(0)}; by function: callgrind_annotate --inclusive=yes ${kept}`)
}
const us = (ms: number) => ((ms * 1000) / n).toFixed(2).padStart(7)
out(`per movement over ${n} movements (µs):`)
out(`  JSON.parse     ${us(t.parse)}`)
out(`  validate       ${us(t.validate)}`)
out(`  fold           ${us(foldMs)}`)
out(`  script (wall)  ${us(t.apply - foldMs)}  (apply, resolving cancels and returns included, less the fold)`)
out(`  Redis CPU      ${(redisUs / n).toFixed(2).padStart(7)}`)
out(
  `payload ${(payloadBytes / n).toFixed(0)} B and ${(cells / n).toFixed(2)} distinct cells per movement (${(payloadBytes / (n / BATCH) / 1024).toFixed(0)} KiB, ${(cells / (n / BATCH)).toFixed(0)} per ${BATCH})`,
)
// WP_LUA: the phases in script order (tests/bench/profile-lua.ts numbers them), µs per movement
if (process.env.WP_LUA) {
  out('apply-batch.lua by phase (µs per movement):')
  for (const k of (await redis.keys('prof:*')).sort()) out(`  ${k.slice(5).padEnd(45)} ${(Number(await redis.hget(k, 'us')) / n).toFixed(2)}`)
}
process.exit(0)
