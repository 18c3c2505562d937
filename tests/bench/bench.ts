/**
 * npm run bench — measures, on this machine, with server, Redis and load generator together:
 *  1. ingest throughput through HTTP: batches of 500 simulated movements from several
 *     concurrent keep-alive senders, every counter maintained;
 *  2. ingest → client latency: N Socket.IO clients (another process) subscribed to one query;
 *     small batches posted at a steady rate, each carrying a known amount; latency is from
 *     just before the POST to each client's receipt of the update that includes it —
 *     on a quiet server and while the throughput load runs;
 *  3. server memory (RSS) and the number of clients;
 *  4. multi-year history (tests/bench/history.ts): backfill through `npm run import`, the wall's queries against
 *     30 k → 3 M movements beside a PostgreSQL peer, Redis bytes per movement (BENCH_HISTORY=0 skips it,
 *     BENCH_HISTORY_SIZES sets the sizes);
 *  5. fan-out across worker processes (tests/bench/workers.ts): a server with COCKPIT_WORKERS on its own
 *     redis-server, BENCH_FANOUT_CLIENTS (20000) clients from load-generator processes each subscribed to one
 *     live query, 2 ingests/s for BENCH_FANOUT_SECONDS (30): messages delivered and missed, ingest → client
 *     p50/p99/max, server CPU per delivered message, RSS per worker. BENCH_FANOUT=0 skips it,
 *     BENCH_FANOUT_WORKERS (2) sets the workers, BENCH_FANOUT_CLIENT `raw` (default, a light client,
 *     tests/helpers/raw-socket.ts) or `socket.io` (socket.io-client) the clients. Needs `ulimit -n` above
 *     the clients a worker serves (about half of them with 2 workers);
 * and ends with the targets of issue #11 and what the run reached.
 * The server runs as its own process on a private redis-server with the settings
 * docs/operations.md recommends. Figures are printed, never asserted: compare ratios within
 * one run (the machine is shared).
 */
import { fork, spawn } from 'node:child_process'
import http from 'node:http'
import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { createSimulator } from '../../mock-feeds/simulator.ts'
import { retailScenario } from '../../mock-feeds/scenarios/retail.ts'
import type { Movement } from '../../protocol/movement.ts'
import { QUERY_NAMES, QUERY_TITLES, TARGETS, historyReport, parseSizes, postJson, runHistoryBench, sizeLabel, targetRows } from './history.ts'
import type { HistoryBenchResult } from './history.ts'
import { redisCpuSeconds } from '../helpers/private-redis.ts'
import { FANOUT_TARGET, cpuPerMessageUs, fanoutClientKind, fanoutReport, fanoutTargetMet, runFanoutBench } from './workers.ts'
import type { FanoutBenchResult } from './workers.ts'

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 200)
const SENDERS = Number(process.env.BENCH_SENDERS ?? 4)
const BATCH = 500
const THROUGHPUT_SECONDS = Number(process.env.BENCH_SECONDS ?? 15)
const PROBES = Number(process.env.BENCH_PROBES ?? 60)
/** probes per second: below the push rate (4/s), so "quiet" probes meet an idle subscription */
const QUIET_PROBE_RATE = 2
/** under a continuous feed every subscription is always dirty: pushes are coalesced to ≤ 4/s */
const BUSY_PROBE_RATE = 10
const root = new URL('../../', import.meta.url).pathname
const clock = () => performance.timeOrigin + performance.now()
const out = (s = '') => process.stdout.write(`${s}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (clock ticks of 1/100 s) */
function processCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // after the command name: state is field 3, utime field 14, stime field 15 (man 5 proc)
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** apply-batch script calls so far (EVALSHA, or EVAL after a script flush) */
async function scriptCalls(): Promise<number> {
  const stats = await redis.info('commandstats')
  let calls = 0
  for (const m of stats.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g)) calls += Number(m[1])
  return calls
}

interface CpuSample {
  server: number
  redis: number
  bench: number
  scripts: number
}
async function cpuSample(): Promise<CpuSample> {
  const u = process.cpuUsage()
  return { server: processCpu(server.pid!), redis: await redisCpuSeconds(redis), bench: (u.user + u.system) / 1e6, scripts: await scriptCalls() }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

async function waitFor(url: string, path: string, child: ChildProcess) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${path}: process exited`)
    try {
      if ((await fetch(url + path)).status === 200) return
    } catch {
      // not yet
    }
    await sleep(100)
  }
  throw new Error(`${url}${path} not ready`)
}

// node:http on keep-alive sockets with pre-encoded bodies: the load generator shares the
// machine, and fetch cost it ~8× the CPU per movement (10 → 1.3 µs)
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 })

// --- private Redis with the recommended settings
const redisPort = 26000 + Math.floor(Math.random() * 3000)
const redisDir = mkdtempSync(join(tmpdir(), 'cockpit-bench-redis-'))
const redisArgs = [
  '--port',
  String(redisPort),
  '--bind',
  '127.0.0.1',
  '--dir',
  redisDir,
  '--save',
  '',
  '--appendonly',
  'yes',
  '--appendfsync',
  'everysec',
  '--hash-max-listpack-entries',
  '32',
]
const redisProc = spawn('redis-server', redisArgs, { stdio: 'ignore' })
const redisUrl = `redis://127.0.0.1:${redisPort}`
const redis = new Redis(redisUrl, { retryStrategy: (n) => (n > 50 ? null : 100) })
redis.on('error', () => {}) // refused until redis-server listens; retried
await redis.ping()

// --- the server under test
const port = 23000 + Math.floor(Math.random() * 3000)
const url = `http://127.0.0.1:${port}`
const key = `ik_${randomUUID()}`
// BENCH_SERVER_PROFILE=<dir>: the server writes a V8 CPU profile there when the bench ends
const profileDir = process.env.BENCH_SERVER_PROFILE
// every bench client comes from this one address, where a real wall or tablet has its own: the per-client socket cap is raised to the bench's count
const server = spawn(process.execPath, [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), '--import', 'tsx', 'server/main.ts'], {
  cwd: root,
  env: {
    ...process.env,
    NODE_OPTIONS: '',
    PORT: String(port),
    REDIS_URL: redisUrl,
    COCKPIT_INGEST_KEYS: key,
    COCKPIT_ADMIN_KEY: `ak_${randomUUID()}`,
    COCKPIT_KEY_PREFIX: 'bench:',
    LOG_LEVEL: 'warn',
    COCKPIT_MAX_SOCKETS_PER_CLIENT: String(CLIENTS + 10),
  },
  stdio: ['ignore', 'ignore', 'inherit'],
})
// assigned once the server is up; cleanup may run before that
// eslint-disable-next-line prefer-const
let clientsProc: ChildProcess | undefined
let cleanedUp = false
const cleanup = () => {
  if (cleanedUp) return
  cleanedUp = true
  clientsProc?.kill('SIGKILL')
  // a profiled server must exit by itself to write its profile
  server.kill(profileDir ? 'SIGTERM' : 'SIGKILL')
  agent.destroy()
  redis.disconnect()
  redisProc.kill('SIGKILL')
  rmSync(redisDir, { recursive: true, force: true })
}
process.on('exit', cleanup)
process.on('SIGINT', () => process.exit(130))
await waitFor(url, '/readyz', server)
const rssStart = rss(server.pid!)

// --- realistic movements: the retail simulator, 50 minutes of a busy chain (flat profile: the same
// pace whatever the hour the bench runs), in batches of 500
out(`generating movements…`)
const sim = createSimulator({
  scenario: retailScenario(42, { rate: 400 }),
  seed: 42,
  startAt: Date.now() - 3600_000,
  rate: 400,
  profile: 'flat',
  idPrefix: `bench-${randomUUID().slice(0, 6)}`,
})
// cancels are left out: concurrent senders post batches in any order, and a cancel that overtook
// its target (or whose target the latency phase filters out) would be refused
const movements: Movement[] = sim.step(Date.now() - 60_000).filter((m) => m.type !== 'cancel')
const bodies: Buffer[] = []
for (let i = 0; i < movements.length; i += BATCH) bodies.push(Buffer.from(JSON.stringify(movements.slice(i, i + BATCH))))

/** milliseconds from POST to response of each throughput batch */
const postLatencies: number[] = []
const target = new URL('/api/v1/movements', url)
const send = (body: Buffer) => postJson(target, body, agent, { authorization: `Bearer ${key}` })
async function post(body: string | Buffer): Promise<{ accepted: number; duplicates: number }> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body
  for (;;) {
    const res = await send(bytes)
    if (res.status === 200) return JSON.parse(res.text) as { accepted: number; duplicates: number }
    if (res.status !== 503) throw new Error(`ingest ${res.status}: ${res.text}`)
    await sleep(50)
  }
}

/** senders post batches until the deadline (or the batches run out); returns movements applied */
async function load(seconds: number, senders: number, from: number): Promise<{ applied: number; elapsed: number; next: number }> {
  let next = from
  let applied = 0
  const deadline = Date.now() + seconds * 1000
  const started = clock()
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (Date.now() < deadline && next < bodies.length) {
        const sentAt = clock()
        const r = await post(bodies[next++]!)
        postLatencies.push(clock() - sentAt)
        applied += r.accepted
      }
    }),
  )
  return { applied, elapsed: (clock() - started) / 1000, next }
}

// warm-up (JIT, script cache, first keys)
const warm = await load(2, SENDERS, 0)

// --- 1. throughput
out(`throughput: ${SENDERS} senders × batches of ${BATCH} for ${THROUGHPUT_SECONDS} s…`)
postLatencies.length = 0
const cpuBefore = await cpuSample()
const tp = await load(THROUGHPUT_SECONDS, SENDERS, warm.next)
const cpuAfter = await cpuSample()
const batchLatency = [...postLatencies].sort((a, b) => a - b)
const perMovement = (k: keyof CpuSample) => ((cpuAfter[k] - cpuBefore[k]) * 1e6) / tp.applied
const rssAfterLoad = rss(server.pid!)

// --- 2. latency with N clients, quiet and under load
out(`latency: opening ${CLIENTS} Socket.IO clients…`)
clientsProc = fork(join(root, 'tests/bench/clients.ts'), [url, String(CLIENTS)], { execArgv: ['--import', 'tsx'], env: { ...process.env, NODE_OPTIONS: '' } })
const ready = await new Promise<number>((resolve) => clientsProc!.once('message', (m: { ready: number }) => resolve(m.ready)))
await sleep(500)
const rssClients = rss(server.pid!)

async function cashTotal(): Promise<number> {
  const res = await fetch(`${url}/api/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metric: 'cash.in', window: 'today' }) })
  return ((await res.json()) as { total: number }).total
}

interface Probe {
  sentAt: number
  expected: number
}
async function probes(count: number, rate: number): Promise<Probe[]> {
  let total = await cashTotal()
  const list: Probe[] = []
  for (let i = 0; i < count; i++) {
    const amount = 1000 + i
    total = Math.round((total + amount) * 100) / 100
    const body = JSON.stringify([{ id: randomUUID(), type: 'payment_in', occurredAt: new Date().toISOString(), amount }])
    const sentAt = clock()
    list.push({ sentAt, expected: total })
    await post(body)
    await sleep(1000 / rate)
  }
  return list
}

const quiet = await probes(PROBES / 2, QUIET_PROBE_RATE)
// under load: senders that post only sales movements (cash.in untouched but the server busy)
const salesOnly = bodies.map((b) => Buffer.from(JSON.stringify((JSON.parse(b.toString('utf8')) as Movement[]).filter((m) => m.type !== 'payment_in'))))
bodies.splice(0, bodies.length, ...salesOnly)
const busyDone = load(PROBES / BUSY_PROBE_RATE + 3, 2, tp.next)
await sleep(500)
const busy = await probes(PROBES, BUSY_PROBE_RATE)
const busyLoad = await busyDone
await sleep(1000)

clientsProc.send({ cmd: 'collect' })
const { received } = await new Promise<{ received: [number, number, number][] }>((resolve) => clientsProc!.once('message', resolve))

function latencies(list: Probe[]): number[] {
  const byClient = new Map<number, [number, number][]>()
  for (const [c, at, total] of received) {
    let l = byClient.get(c)
    if (!l) byClient.set(c, (l = []))
    l.push([at, total])
  }
  const lat: number[] = []
  for (const p of list) {
    for (const updates of byClient.values()) {
      const hit = updates.find(([at, total]) => total >= p.expected - 0.005 && at >= p.sentAt)
      if (hit) lat.push(hit[0] - p.sentAt)
    }
  }
  return lat.sort((a, b) => a - b)
}
const lq = latencies(quiet)
const lb = latencies(busy)
const rssEnd = rss(server.pid!)

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
const rows: [string, string, string][] = [
  ['ingest throughput (HTTP, batches of 500, every counter)', `${fmt(tp.applied / tp.elapsed)} movements/s`, '≥ 30,000 (target 150,000)'],
  ['  movements applied / seconds', `${fmt(tp.applied)} / ${fmt(tp.elapsed, 1)} s, ${SENDERS} senders`, ''],
  [
    '  CPU per movement: server · Redis · load generator',
    `${fmt(perMovement('server'), 1)} · ${fmt(perMovement('redis'), 1)} · ${fmt(perMovement('bench'), 1)} µs`,
    'the figures to compare on a shared machine',
  ],
  [
    '  CPU busy during the run: server · Redis',
    `${fmt(((cpuAfter.server - cpuBefore.server) / tp.elapsed) * 100)} % · ${fmt(((cpuAfter.redis - cpuBefore.redis) / tp.elapsed) * 100)} % of a core`,
    '',
  ],
  ['  requests per script call (concurrent batches applied together)', fmt(batchLatency.length / (cpuAfter.scripts - cpuBefore.scripts), 2), ''],
  ['  batch of 500: POST → 200', `p50 ${fmt(percentile(batchLatency, 50), 1)} ms · p99 ${fmt(percentile(batchLatency, 99), 1)} ms`, ''],
  [
    `ingest → client latency, quiet (${QUIET_PROBE_RATE} ingests/s), ${ready} clients`,
    `p50 ${fmt(percentile(lq, 50), 1)} ms · p99 ${fmt(percentile(lq, 99), 1)} ms · max ${fmt(lq.at(-1) ?? NaN, 1)} ms`,
    'p99 ≤ 300 ms',
  ],
  ['  receipts measured', `${fmt(lq.length)} of ${fmt(quiet.length * ready)}`, ''],
  [
    `ingest → client latency, continuous feed (${fmt(busyLoad.applied / busyLoad.elapsed)} mov/s)`,
    `p50 ${fmt(percentile(lb, 50), 1)} ms · p99 ${fmt(percentile(lb, 99), 1)} ms · max ${fmt(lb.at(-1) ?? NaN, 1)} ms`,
    '',
  ],
  ['  receipts measured', `${fmt(lb.length)} of ${fmt(busy.length * ready)}`, 'pushes coalesced to ≤ 4/s per subscription'],
  ['server RSS: start → after load → with clients → end', `${fmt(rssStart)} → ${fmt(rssAfterLoad)} → ${fmt(rssClients)} → ${fmt(rssEnd)} MB`, ''],
  ['Redis used memory', `${fmt(Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0) / 1048576)} MB`, ''],
]
out('')
out(
  `erp-cockpit bench — ${new Date().toISOString()} — node ${process.version}, redis-server ${redisArgs.slice(6).join(' ')}; load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
)
const w0 = Math.max(...rows.map((r) => r[0].length))
const w1 = Math.max(...rows.map((r) => r[1].length))
for (const [a, b, c] of rows) out(`${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`)

// --- 4. multi-year history: backfill, refresh against history, the SQL peer (tests/bench/history.ts), on a
// fresh Redis and server of its own: the live run's processes are stopped first so they take no CPU
const live = {
  rate: tp.applied / tp.elapsed,
  serverUs: perMovement('server'),
  redisUs: perMovement('redis'),
  serverBusy: (cpuAfter.server - cpuBefore.server) / tp.elapsed,
  redisBusy: (cpuAfter.redis - cpuBefore.redis) / tp.elapsed,
}
cleanup()

// --- 5. fan-out across workers (tests/bench/workers.ts), on a redis-server and server processes of its own
let fanout: FanoutBenchResult | undefined
if (process.env.BENCH_FANOUT !== '0') {
  const clients = Number(process.env.BENCH_FANOUT_CLIENTS ?? FANOUT_TARGET.clients)
  const workers = Number(process.env.BENCH_FANOUT_WORKERS ?? 2)
  const seconds = Number(process.env.BENCH_FANOUT_SECONDS ?? 30)
  const client = fanoutClientKind(process.env.BENCH_FANOUT_CLIENT)
  for (const [name, n] of [
    ['BENCH_FANOUT_CLIENTS', clients],
    ['BENCH_FANOUT_WORKERS', workers],
    ['BENCH_FANOUT_SECONDS', seconds],
  ] as const) {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${process.env[name]}"`)
  }
  out('')
  out(
    `fan-out across workers: ${fmt(clients)} ${client} clients over ${workers} workers, 2 ingests/s for ${seconds} s (BENCH_FANOUT=0 skips it; BENCH_FANOUT_CLIENTS, BENCH_FANOUT_WORKERS, BENCH_FANOUT_SECONDS, BENCH_FANOUT_CLIENT size it)…`,
  )
  fanout = await runFanoutBench({ workers, clients, clientProcs: Math.max(1, Math.ceil(clients / 4000)), rate: 2, seconds, client, log: (l) => out(`  ${l}`) })
  out('')
  for (const line of fanoutReport(fanout)) out(`  ${line}`)
}

let history: HistoryBenchResult | undefined
if (process.env.BENCH_HISTORY !== '0') {
  const sizes = parseSizes(process.env.BENCH_HISTORY_SIZES ?? '30000,300000,3000000')
  out('')
  out(`multi-year history: ${sizes.map(sizeLabel).join(', ')} movements, loaded one on top of the other (BENCH_HISTORY=0 skips it, BENCH_HISTORY_SIZES sets the sizes)…`)
  history = await runHistoryBench({ sizes, runs: Number(process.env.BENCH_HISTORY_RUNS ?? 20), log: (l) => out(`  ${l}`) })
  out('')
  for (const line of historyReport(history)) out(line)
}

// --- the targets of issue #11, what this run reached
const met = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? 'met' : 'NOT met')
const summary: [string, string, string, string][] = [
  [
    'live ingest (HTTP, 4 senders × 500)',
    `${fmt(live.rate)} movements/s; CPU per movement server ${fmt(live.serverUs, 1)} µs (${fmt(live.serverBusy * 100)} % busy), Redis ${fmt(live.redisUs, 1)} µs (${fmt(live.redisBusy * 100)} %)`,
    '≥ 150,000 movements/s',
    met(live.rate >= 150_000),
  ],
]
const skipped = 'skipped (BENCH_HISTORY=0)'
if (history && history.sizes.length > 0) {
  const sizes = history.sizes
  const last = sizes.at(-1)!
  const slowest = sizes.reduce((a, b) => (b.importer.rate < a.importer.rate ? b : a))
  summary.push([
    'backfill of 4-year history (npm run import)',
    `movements/s ${sizes.map((s) => `${fmt(s.importer.rate)} at ${sizeLabel(s.size)}`).join(', ')}; at ${sizeLabel(last.size)} server ${fmt(last.cpu.serverUs, 1)} · Redis ${fmt(last.cpu.redisUs, 1)} · importer ${fmt(last.cpu.importerUs, 1)} µs per movement`,
    '≥ 100,000 movements/s',
    met(slowest.importer.rate >= TARGETS.backfillPerSecond),
  ])
  const rows = targetRows(history)
  for (const q of QUERY_NAMES) {
    const worst = Math.max(...sizes.map((s) => (s.queries[q].error ? Infinity : s.queries[q].p99)))
    const row = rows.find((r) => r.figure.startsWith(QUERY_TITLES[q]))!
    summary.push([`refresh: ${QUERY_TITLES[q]}`, `p50 ${row.cockpit}; worst p99 ${fmt(worst, 1)} ms`, `≤ ${TARGETS.queryMs} ms, flat in history`, met(row.met)])
  }
  const refresh = rows.find((r) => r.figure.startsWith('one wall refresh'))!
  summary.push([`${refresh.figure} vs SQL peer`, `${refresh.cockpit} vs ${refresh.sql}: ${refresh.ratio}`, refresh.target, met(refresh.met)])
  summary.push([
    'Redis memory per movement',
    `${sizes.map((s) => `${fmt(s.redis.perMovement)} B at ${sizeLabel(s.size)}`).join(', ')}; largest family ${last.redis.families[0]?.family ?? '—'} ${fmt((last.redis.families[0]?.bytes ?? NaN) / last.size)} B`,
    `≤ ${TARGETS.bytesPerMovement} B per movement`,
    met(last.redis.perMovement <= TARGETS.bytesPerMovement),
  ])
  summary.push([
    'figures cockpit = SQL peer',
    sizes.every((s) => s.mismatches.length === 0) ? 'yes, to the cent, at every size' : 'NO (see above)',
    'exact',
    met(sizes.every((s) => s.mismatches.length === 0)),
  ])
} else {
  for (const figure of ['backfill of 4-year history (npm run import)', 'refresh ≤ 5 ms, flat in history', 'vs SQL peer at 3 M', 'Redis memory per movement'])
    summary.push([figure, skipped, '', 'n/a'])
}
summary.push([
  'fan-out: clients over workers, ingest → client',
  fanout
    ? `${fmt(fanout.connected)} ${fanout.options.client} clients over ${fanout.options.workers} workers: p50 ${fmt(fanout.p50)} · p99 ${fmt(fanout.p99)} · max ${fmt(fanout.max)} ms; ${fmt(fanout.delivered)} delivered, ${fmt(fanout.missed)} missed; server ${fmt(cpuPerMessageUs(fanout), 1)} µs per message; RSS per worker ${fanout.peakRss
        .slice(1)
        .map((m) => fmt(m))
        .join(' / ')} MB`
    : 'skipped (BENCH_FANOUT=0)',
  `${fmt(FANOUT_TARGET.clients)} clients at p99 ≤ ${FANOUT_TARGET.p99Ms} ms over workers`,
  fanout ? met(fanoutTargetMet(fanout)) : 'n/a',
])
out('')
out('issue #11 targets — what this run reached:')
const sw = [0, 1, 2].map((i) => Math.max(...summary.map((r) => r[i]!.length), ['figure', 'reached', 'target'][i]!.length))
out(`${'figure'.padEnd(sw[0]!)}  ${'reached'.padEnd(sw[1]!)}  ${'target'.padEnd(sw[2]!)}  met`)
for (const r of summary) out(`${r[0].padEnd(sw[0]!)}  ${r[1].padEnd(sw[1]!)}  ${r[2].padEnd(sw[2]!)}  ${r[3]}`)
process.exit(0)
