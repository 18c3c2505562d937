/**
 * `npx tsx tests/bench/workers.ts` — fan-out across worker processes (issue #11): the server with
 * COCKPIT_WORKERS against a private redis-server, CLIENTS clients (spread over the workers by the
 * primary, opened by CLIENT_PROCS load-generator processes, tests/bench/worker-clients.ts) each
 * subscribed to one live query, and a steady feed of ingests. Prints messages delivered and missed,
 * ingest → client latency p50/p99/max, CPU per delivered message of the server processes (primary +
 * workers), their memory, and how the clients were spread. `npm run bench` runs it too (runFanoutBench).
 *
 * Environment: WORKERS (default 2) · CLIENTS (20000) · CLIENT_PROCS (one per 4000 clients) ·
 * RATE ingests per second (2: below the 4 pushes/s a subscription gets, so every push goes out on the
 * leading edge and the latency is the fan-out's, not the coalescing's) · DURATION_S of the measured
 * feed (30) · BENCH_FANOUT_CLIENT `raw` (default: a light client speaking Engine.IO/Socket.IO over a
 * plain WebSocket, tests/helpers/raw-socket.ts) or `socket.io` (socket.io-client, as a screen) ·
 * PROFILE_DIR: every server process and load generator writes a V8 CPU profile there.
 * Each load generator holds one file descriptor per client, each worker one per client it serves:
 * check `ulimit -n` (and raise it, e.g. `ulimit -n 65536`, in the shell that runs this).
 */
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { spawnServerProcess } from '../helpers/server.ts'
import { startPrivateRedis } from '../helpers/private-redis.ts'

/** how long after the last ingest a client may take to show it before what it lacks counts as missed */
const SETTLE_MS = 30_000
const QUERY = { metric: 'cash.in', window: 'today' }
const root = new URL('../../', import.meta.url).pathname
/** the target of issue #11 for the fan-out */
export const FANOUT_TARGET = { clients: 20_000, p99Ms: 250 }

export type FanoutClientKind = 'raw' | 'socket.io'

export interface FanoutBenchOptions {
  /** server worker processes (COCKPIT_WORKERS) */
  workers: number
  clients: number
  /** load-generator processes the clients are spread over */
  clientProcs: number
  /** ingests per second of the measured feed */
  rate: number
  /** seconds of the measured feed */
  seconds: number
  client: FanoutClientKind
  /** V8 CPU profiles of every server process and load generator go there */
  profileDir?: string
  log?: (line: string) => void
}

export interface FanoutBenchResult {
  options: FanoutBenchOptions
  connected: number
  failed: number
  /** seconds to open and subscribe every client */
  openSeconds: number
  /** clients per worker pid */
  perWorker: Record<string, number>
  ingests: number
  /** seconds of the feed */
  feedSeconds: number
  /** seconds from the first ingest until every client showed the last one (or SETTLE_MS after it): CPU is measured over them */
  elapsed: number
  delivered: number
  /** (client, ingest) pairs never seen */
  missed: number
  p50: number
  p99: number
  max: number
  /** CPU seconds of the primary, then each worker */
  serverCpu: number[]
  loadGenCpu: number
  /** peak RSS MB of the primary, then each worker */
  peakRss: number[]
  loadAverage: string
}

function proc(pid: number, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8')
  } catch {
    return ''
  }
}
/** CPU seconds (user + system) of a process */
const cpuS = (pid: number) => {
  const f = (proc(pid, 'stat').split(') ')[1] ?? '').split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(proc(pid, 'status'))?.[1] ?? NaN) / 1024
/** the primary's children: its workers */
const childrenOf = (pid: number) => proc(pid, `task/${pid}/children`).trim().split(/\s+/).filter(Boolean).map(Number)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function percentile(histogram: number[], p: number): number {
  const total = histogram.reduce((a, b) => a + b, 0)
  let seen = 0
  for (let ms = 0; ms < histogram.length; ms++) {
    seen += histogram[ms]!
    if (seen >= (p / 100) * total) return ms
  }
  return NaN
}

/** Runs the fan-out bench on its own redis-server and server processes, and stops them. */
export async function runFanoutBench(o: FanoutBenchOptions): Promise<FanoutBenchResult> {
  const log = o.log ?? (() => {})
  const redis = await startPrivateRedis()
  const loadGens: ChildProcess[] = []
  let server: Awaited<ReturnType<typeof spawnServerProcess>> | undefined
  try {
    server = await spawnServerProcess(
      {
        COCKPIT_WORKERS: String(o.workers),
        REDIS_URL: redis.url,
        COCKPIT_KEY_PREFIX: 'bench:workers:',
        COCKPIT_INGEST_KEYS: 'ik',
        COCKPIT_ADMIN_KEY: 'ak',
        // every client comes from this one address
        COCKPIT_MAX_SOCKETS_PER_CLIENT: String(o.clients + 100),
      },
      '/readyz',
      o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : [],
    )
    const primary = server.child.pid!
    for (let i = 0; i < 300 && childrenOf(primary).length < o.workers; i++) await sleep(100)
    await sleep(3000) // every worker listening and ready
    const serverPids = [primary, ...childrenOf(primary)]

    log(`opening ${o.clients} ${o.client} clients from ${o.clientProcs} load generators…`)
    const t0 = performance.now()
    const readies = await Promise.all(
      Array.from({ length: o.clientProcs }, (_, k) => {
        const n = Math.floor(o.clients / o.clientProcs) + (k < o.clients % o.clientProcs ? 1 : 0)
        const child = fork(join(root, 'tests/bench/worker-clients.ts'), [server!.url, String(n), JSON.stringify(QUERY)], {
          execArgv: ['--import', 'tsx', ...(o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : [])],
          env: { ...process.env, NODE_OPTIONS: '', BENCH_FANOUT_CLIENT: o.client },
        })
        loadGens.push(child)
        return new Promise<{ ready: number; failed: number; perPid: Record<string, number> }>((resolve, reject) => {
          child.once('message', (m) => resolve(m as { ready: number; failed: number; perPid: Record<string, number> }))
          child.once('exit', (code) => reject(new Error(`a load generator exited ${code} before its clients were open`)))
        })
      }),
    )
    const openSeconds = (performance.now() - t0) / 1000
    const connected = readies.reduce((a, r) => a + r.ready, 0)
    const failed = readies.reduce((a, r) => a + r.failed, 0)
    const perWorker: Record<string, number> = {}
    for (const r of readies) for (const [pid, n] of Object.entries(r.perPid)) perWorker[pid] = (perWorker[pid] ?? 0) + n
    log(`measuring: ${o.rate} ingests/s for ${o.seconds} s…`)
    await sleep(2000)
    for (const g of loadGens) g.send({ cmd: 'reset' })

    // the steady feed: one payment of 1 per ingest, so a client's total says which ingests it has seen
    const ingest = async () => {
      const res = await fetch(`${server!.url}/api/v1/movements`, {
        method: 'POST',
        headers: { authorization: 'Bearer ik', 'content-type': 'application/json' },
        body: JSON.stringify([{ id: crypto.randomUUID(), type: 'payment_in', occurredAt: new Date().toISOString(), amount: 1 }]),
      })
      if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`)
    }
    const totalRes = await fetch(`${server.url}/api/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(QUERY) })
    let total = ((await totalRes.json()) as { total: number | null }).total ?? 0
    const probes: { sentAt: number; expected: number }[] = []
    const cpu0 = serverPids.map(cpuS)
    const loadCpu0 = loadGens.map((g) => cpuS(g.pid!))
    const start = performance.now()
    let peakRss = serverPids.map(rssMb)
    for (let k = 0; performance.now() - start < o.seconds * 1000; k++) {
      const due = start + (k * 1000) / o.rate
      await sleep(Math.max(0, due - performance.now()))
      const sentAt = performance.timeOrigin + performance.now()
      await ingest()
      total += 1
      probes.push({ sentAt, expected: total })
      if (k % o.rate === 0) peakRss = serverPids.map((p, i) => Math.max(peakRss[i]!, rssMb(p)))
    }
    const feedSeconds = (performance.now() - start) / 1000
    // the last pushes arrive: until every client shows the last ingest (what is missing after SETTLE_MS is missed)
    const settled = await Promise.all(
      loadGens.map(
        (g) =>
          new Promise<{ behind: number }>((resolve) => {
            g.once('message', (m) => resolve(m as { behind: number }))
            g.send({ cmd: 'settle', expected: total, timeoutMs: SETTLE_MS })
          }),
      ),
    )
    const behind = settled.reduce((a, s) => a + s.behind, 0)
    if (behind > 0) log(`${behind} clients still without the last ingest ${SETTLE_MS / 1000} s after it`)
    const elapsed = (performance.now() - start) / 1000
    const serverCpu = serverPids.map((p, i) => cpuS(p) - cpu0[i]!)
    const loadGenCpu = loadGens.reduce((a, g, i) => a + cpuS(g.pid!) - loadCpu0[i]!, 0)
    const loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')

    const results = await Promise.all(
      loadGens.map(
        (g) =>
          new Promise<{ histogram: number[]; missed: number; updates: number }>((resolve) => {
            g.once('message', (m) => resolve(m as { histogram: number[]; missed: number; updates: number }))
            g.send({ cmd: 'collect', probes })
          }),
      ),
    )
    // a load generator exits by itself once it has answered (and written its profile)
    await Promise.all(loadGens.map((g) => (g.exitCode === null ? Promise.race([new Promise((r) => g.once('exit', r)), sleep(10_000)]) : undefined)))
    const histogram = new Array<number>(60_001).fill(0)
    for (const r of results) r.histogram.forEach((n, ms) => (histogram[ms]! += n))
    return {
      options: o,
      connected,
      failed,
      openSeconds,
      perWorker,
      ingests: probes.length,
      elapsed,
      feedSeconds,
      delivered: results.reduce((a, r) => a + r.updates, 0),
      missed: results.reduce((a, r) => a + r.missed, 0),
      p50: percentile(histogram, 50),
      p99: percentile(histogram, 99),
      max: histogram.findLastIndex((n) => n > 0),
      serverCpu,
      loadGenCpu,
      peakRss,
      loadAverage,
    }
  } finally {
    for (const g of loadGens) if (g.exitCode === null) g.kill('SIGKILL')
    await server?.stop('SIGTERM')
    await redis.destroy()
  }
}

/** CPU µs of the server processes (primary + workers) per delivered message */
export const cpuPerMessageUs = (r: FanoutBenchResult) => (r.serverCpu.reduce((a, b) => a + b, 0) * 1e6) / Math.max(1, r.delivered)

/** the target line: 20,000 clients at p99 ≤ 250 ms over workers, met or not, with the figure */
export function fanoutTargetMet(r: FanoutBenchResult): boolean {
  return r.connected >= FANOUT_TARGET.clients && r.missed === 0 && r.p99 <= FANOUT_TARGET.p99Ms
}

export function fanoutReport(r: FanoutBenchResult): string[] {
  const serverCpu = r.serverCpu.reduce((a, b) => a + b, 0)
  const [primaryCpu, ...workerCpu] = r.serverCpu
  const [primaryRss, ...workerRss] = r.peakRss
  return [
    `clients: ${r.connected} subscribed (${r.failed} failed; ${r.options.client} client in ${r.options.clientProcs} load generators) in ${r.openSeconds.toFixed(1)} s; per worker ${Object.values(r.perWorker).join(' / ')}`,
    `feed: ${r.ingests} ingests in ${r.feedSeconds.toFixed(1)} s (${(r.ingests / r.feedSeconds).toFixed(1)}/s); every client showed the last one ${(r.elapsed - r.feedSeconds).toFixed(1)} s later`,
    `delivered: ${r.delivered} messages (${(r.delivered / r.elapsed).toFixed(0)}/s); missed: ${r.missed} (client, ingest) pairs never seen`,
    `ingest → client: p50 ${r.p50} ms · p99 ${r.p99} ms · max ${r.max} ms`,
    `server CPU: ${serverCpu.toFixed(1)} s = ${((serverCpu / r.elapsed) * 100).toFixed(0)} % of a core; ${cpuPerMessageUs(r).toFixed(1)} µs per delivered message (primary ${primaryCpu!.toFixed(1)} s; workers ${workerCpu.map((c) => c.toFixed(1)).join(' / ')} s)`,
    `load generators CPU: ${r.loadGenCpu.toFixed(1)} s (${((r.loadGenCpu * 1e6) / Math.max(1, r.delivered)).toFixed(1)} µs per message received)`,
    `memory (peak RSS): primary ${primaryRss!.toFixed(0)} MB; workers ${workerRss.map((m) => m.toFixed(0)).join(' / ')} MB`,
    `machine load average at the end: ${r.loadAverage}`,
    `target "${FANOUT_TARGET.clients.toLocaleString('en-US')} clients at p99 ≤ ${FANOUT_TARGET.p99Ms} ms over workers": ${fanoutTargetMet(r) ? 'met' : 'NOT met'} (${r.connected} clients, p99 ${r.p99} ms, ${r.missed} missed)`,
  ]
}

const num = (name: string, fallback: number) => {
  const raw = process.env[name]
  const n = raw ? Number(raw) : fallback
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`)
  return n
}
export function fanoutClientKind(raw = process.env.BENCH_FANOUT_CLIENT ?? 'raw'): FanoutClientKind {
  if (raw !== 'raw' && raw !== 'socket.io') throw new Error(`BENCH_FANOUT_CLIENT must be raw or socket.io, got "${raw}"`)
  return raw
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const clients = num('CLIENTS', FANOUT_TARGET.clients)
  const options: FanoutBenchOptions = {
    workers: num('WORKERS', 2),
    clients,
    clientProcs: num('CLIENT_PROCS', Math.max(1, Math.ceil(clients / 4000))),
    rate: num('RATE', 2),
    seconds: num('DURATION_S', 30),
    client: fanoutClientKind(),
    profileDir: process.env.PROFILE_DIR,
    log: (line) => void process.stdout.write(`${line}\n`),
  }
  options.log!(
    `fan-out across workers: ${options.workers} workers, ${clients} ${options.client} clients in ${options.clientProcs} load generators, ${options.rate} ingests/s for ${options.seconds} s (ulimit -n ${proc(process.pid, 'limits').match(/Max open files\s+(\d+)/)?.[1]})`,
  )
  const result = await runFanoutBench(options)
  for (const line of fanoutReport(result)) options.log!(line)
}
