/**
 * `npx tsx tests/bench/query-profile.ts` — the server CPU of the wall queries over the four-year history, with
 * nothing else in the way (docs/operations.md "Profiling a query"). It starts a private redis-server, builds the app
 * in process (buildApp, as tests/helpers/server.ts does), loads the Superstore history (mock-feeds/history.ts,
 * PROFILE_MOVEMENTS, default 30,000) and its master data through the API, then times each wall query PROFILE_RUNS
 * (300) times, after a warm-up:
 *  - `inject`: `POST /api/v1/query` through Fastify (app.inject: hooks, auth, the route, JSON serialization);
 *  - `engine`: queryEngine.run alone (calendar, the Redis round trip, summing, names);
 *  - `stringify`: JSON.stringify of the result;
 *  - `http`: `POST /api/v1/query` on one keep-alive connection to a cockpit in a process of its own (`server/main.ts`
 *    on the same Redis and prefix, started once the load is done; PROFILE_HTTP_LOAD=1: it loads the history itself,
 *    under a prefix of its own), its CPU read from /proc as tests/bench/history.ts reads it: the figure closest to
 *    the bench's "CPU per query: server", without the bench's import and SQL peer.
 * For each: CPU per query (process.cpuUsage: this process, so Redis is not in it; `http`: the server process's) and
 * wall p50 / p99 in ms.
 * `PROFILE_ORIGIN=1`: the `http` queries carry an `Origin` header (the server's own), as a browser's do.
 * `PROFILE_QUERY=revenueByMonthCategory` (top10Skus, stockByWarehouse) times that query alone, `PROFILE_ONLY=engine`
 * (inject, stringify, http) that part alone. `PROFILE_CPU=dir` writes a V8 CPU profile of the timed runs only (not
 * the load) to dir/<query>-<part>.cpuprofile, and the `http` server's whole run to dir/http/ (written as it exits),
 * for Chrome DevTools or any .cpuprofile reader.
 * Figures are printed, never asserted.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { Agent } from 'node:http'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { chunks, postBatch, putMasterRecords } from '../../mock-feeds/feed.ts'
import { createSuperstore, historyMovements, historyPeriod } from '../../mock-feeds/history.ts'
import { API_PREFIX } from '../../protocol/api.ts'
import type { Query } from '../../protocol/query.ts'
import { buildApp } from '../../server/app.ts'
import { loadConfig } from '../../server/config.ts'
import { freePort } from '../helpers/private-redis.ts'
import { postJson, waitReady } from './history.ts'

const MOVEMENTS = Number(process.env.PROFILE_MOVEMENTS ?? 30_000)
const RUNS = Number(process.env.PROFILE_RUNS ?? 300)
const ONLY = process.env.PROFILE_ONLY
const CPU_DIR = process.env.PROFILE_CPU
/** PROFILE_QUERY=revenueByMonthCategory (a name of QUERIES): that query alone */
const QUERY = process.env.PROFILE_QUERY
const LOAD_HTTP = process.env.PROFILE_HTTP_LOAD === '1'
/** PROFILE_ORIGIN=1: the `http` queries carry `Origin` (the server's own), as a browser's do */
const ORIGIN = process.env.PROFILE_ORIGIN === '1'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const iso = (t: number) => `${new Date(t + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`
const { from, to } = historyPeriod()
const period = { from: iso(from), to: iso(to) }
/** the wall's queries, as tests/bench/history.ts asks them */
const WALL: Record<string, Query> = {
  revenueByMonthCategory: { metric: 'sales.revenue', ...period, interval: 'month', groupBy: 'category' } as Query,
  top10Skus: { metric: 'sales.revenue', ...period, groupBy: 'sku', top: 10 } as Query,
  stockByWarehouse: { metric: 'stock.qty', groupBy: 'warehouse' } as Query,
}
const QUERIES = QUERY ? { [QUERY]: WALL[QUERY]! } : WALL

interface Timing {
  cpuMs: number
  p50: number
  p99: number
}

/** CPU seconds of a process (user + system, from /proc: 10 ms ticks) */
function processCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

async function time(label: string, runs: number, once: () => Promise<unknown>, cpuUsed: () => number = () => processCpuMs()): Promise<Timing> {
  for (let i = 0; i < Math.min(50, runs); i++) await once()
  const session = CPU_DIR ? new Session() : undefined
  if (session) {
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.start')
  }
  const walls: number[] = []
  const cpu0 = cpuUsed()
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now()
    await once()
    walls.push(performance.now() - t0)
  }
  const cpuMs = cpuUsed() - cpu0
  if (session) {
    const { profile } = await session.post('Profiler.stop')
    mkdirSync(CPU_DIR!, { recursive: true })
    writeFileSync(join(CPU_DIR!, `${label}.cpuprofile`), JSON.stringify(profile))
    session.disconnect()
  }
  walls.sort((a, b) => a - b)
  const at = (q: number) => walls[Math.min(walls.length - 1, Math.floor(q * walls.length))]!
  return { cpuMs: cpuMs / runs, p50: at(0.5), p99: at(0.99) }
}

function processCpuMs(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

const show = (t: Timing) => `CPU ${t.cpuMs.toFixed(3)} ms · p50 ${t.p50.toFixed(2)} · p99 ${t.p99.toFixed(2)} ms`

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cockpit-query-profile-'))
  const redisPort = 16_000 + Math.floor(Math.random() * 1_000)
  const redisProc = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  const redisUrl = `redis://127.0.0.1:${redisPort}`
  const probe = new Redis(redisUrl, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 })
  probe.on('error', () => {})
  for (let i = 0; ; i++) {
    if (redisProc.exitCode !== null) throw new Error(`redis-server on port ${redisPort} exited (port taken?)`)
    try {
      await probe.connect()
      if ((await probe.ping()) === 'PONG') break
    } catch {
      if (i > 100) throw new Error('redis-server did not start')
      await sleep(50)
    }
  }
  probe.disconnect()
  const ingestKey = 'ik_profile'
  const adminKey = 'ak_profile'
  const app = await buildApp({
    config: loadConfig({ REDIS_URL: redisUrl, COCKPIT_KEY_PREFIX: 'prof:', COCKPIT_INGEST_KEYS: ingestKey, COCKPIT_ADMIN_KEY: adminKey }),
    logger: false,
  })
  try {
    const url = await app.listen({ port: 0, host: '127.0.0.1' })
    for (let i = 0; i < 100 && !app.aggregator.ready; i++) await sleep(20)
    const store = createSuperstore(42)
    await putMasterRecords(url, adminKey, store.master)
    const t0 = performance.now()
    const stats = { sent: 0, accepted: 0, duplicates: 0, retries: 0, history: 0 }
    for (const batch of chunks([...historyMovements({ movements: MOVEMENTS }, store)], 1_000)) await postBatch(url, ingestKey, batch, stats)
    console.log(`loaded ${stats.accepted.toLocaleString('en-US')} movements in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${RUNS} runs each`)

    const engine = app.queryEngine
    for (const [name, q] of Object.entries(QUERIES)) {
      // the engine learns from when year buckets are kept beside its first queries
      for (let i = 0; i < 3; i++) await engine.run(q)
      await sleep(100)
      const result = await engine.run(q)
      const bytes = JSON.stringify(result).length
      console.log(`${name} (${result.groups?.length ?? 0} groups, ${bytes.toLocaleString('en-US')} bytes of JSON)`)
      if (!ONLY || ONLY === 'inject') {
        const inject = await time(`${name}-inject`, RUNS, async () => {
          const res = await app.inject({ method: 'POST', url: '/api/v1/query', payload: q })
          if (res.statusCode !== 200) throw new Error(`${name}: ${res.statusCode} ${res.body}`)
        })
        console.log(`  inject     ${show(inject)}`)
      }
      if (!ONLY || ONLY === 'engine') console.log(`  engine     ${show(await time(`${name}-engine`, RUNS, () => engine.run(q)))}`)
      if (!ONLY || ONLY === 'stringify') console.log(`  stringify  ${show(await time(`${name}-stringify`, RUNS, async () => JSON.stringify(result)))}`)
    }
    if (!ONLY || ONLY === 'http') await timeHttp(redisUrl, ingestKey, adminKey)
  } finally {
    await app.close()
    redisProc.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}

/** the wall queries through HTTP to a cockpit process of its own, on the loaded Redis and prefix */
async function timeHttp(redisUrl: string, ingestKey: string, adminKey: string): Promise<void> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const root = new URL('../../', import.meta.url).pathname
  // PROFILE_HTTP_LOAD=1: the server loads the history itself (a prefix of its own), as the history bench's does
  const prefix = LOAD_HTTP ? 'prof-http:' : 'prof:'
  const env = { ...process.env, NODE_OPTIONS: '', PORT: String(port), HOST: '127.0.0.1', REDIS_URL: redisUrl, COCKPIT_KEY_PREFIX: prefix, LOG_LEVEL: 'warn' }
  // PROFILE_CPU: the server's profile (from its start, written as it exits) beside the in-process ones
  const prof = CPU_DIR ? ['--cpu-prof', `--cpu-prof-dir=${join(CPU_DIR, 'http')}`] : []
  const server = spawn(process.execPath, [...prof, '--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    env: { ...env, COCKPIT_INGEST_KEYS: ingestKey, COCKPIT_ADMIN_KEY: adminKey },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  try {
    await waitReady(server, url)
    if (LOAD_HTTP) {
      const store = createSuperstore(42)
      await putMasterRecords(url, adminKey, store.master)
      const stats = { sent: 0, accepted: 0, duplicates: 0, retries: 0, history: 0 }
      for (const batch of chunks([...historyMovements({ movements: MOVEMENTS }, store)], 1_000)) await postBatch(url, ingestKey, batch, stats)
      console.log(`the http server loaded ${stats.accepted.toLocaleString('en-US')} movements itself`)
    }
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    // what the process spends with no query (timers, background jobs) is in every figure below, by the wall time
    await sleep(1_000)
    const idle0 = processCpu(server.pid!)
    await sleep(3_000)
    const idle = ((processCpu(server.pid!) - idle0) * 1000) / 3
    console.log(`http (a cockpit process of its own; ${idle.toFixed(1)} ms CPU per second idle${ORIGIN ? '; with Origin' : ''})`)
    const headers: Record<string, string> = ORIGIN ? { origin: url } : {}
    for (const [name, q] of Object.entries(QUERIES)) {
      const body = JSON.stringify(q)
      for (let i = 0; i < 3; i++) await postJson(`${url}${API_PREFIX}/query`, body, agent, headers)
      await sleep(100)
      const t = await time(
        `${name}-http`,
        RUNS,
        async () => {
          const res = await postJson(`${url}${API_PREFIX}/query`, body, agent, headers)
          if (res.status !== 200) throw new Error(`${name}: ${res.status} ${res.text}`)
        },
        () => processCpu(server.pid!) * 1000,
      )
      console.log(`  ${name.padEnd(24)} ${show(t)}`)
    }
    agent.destroy()
  } finally {
    // a graceful stop writes the profile
    const exited = new Promise((resolve) => server.once('exit', resolve))
    server.kill('SIGTERM')
    const timer = setTimeout(() => server.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
}

await main()
