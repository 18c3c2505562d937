/**
 * `npx tsx tests/bench/workers.ts` — fan-out across worker processes: the server with
 * COCKPIT_WORKERS against a private redis-server, CLIENTS Socket.IO clients (spread over the
 * workers by the primary, opened by CLIENT_PROCS load-generator processes) each subscribed to one
 * live query, and a steady feed of ingests. Prints messages delivered, ingest → client latency
 * p50/p99, CPU per delivered message of the server processes (primary + workers), their memory,
 * and how the clients were spread.
 *
 * Environment: WORKERS (default 2) · CLIENTS (20000) · CLIENT_PROCS (one per 4000 clients) ·
 * RATE ingests per second (2: below the 4 pushes/s a subscription gets, so every push goes out on the leading edge and the latency is the fan-out's, not the coalescing's) · DURATION_S of the measured feed (30).
 * Each load generator holds one file descriptor per client, each worker one per client it serves:
 * check `ulimit -n` (and raise it, e.g. `ulimit -n 65536`, in the shell that runs this).
 */
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnServerProcess } from '../helpers/server.ts'
import { startPrivateRedis } from '../helpers/private-redis.ts'

const num = (name: string, fallback: number) => {
  const raw = process.env[name]
  const n = raw ? Number(raw) : fallback
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`)
  return n
}
const WORKERS = num('WORKERS', 2)
const CLIENTS = num('CLIENTS', 20_000)
const CLIENT_PROCS = num('CLIENT_PROCS', Math.max(1, Math.ceil(CLIENTS / 4000)))
const RATE = num('RATE', 2)
const DURATION_S = num('DURATION_S', 30)
const QUERY = { metric: 'cash.in', window: 'today' }
const root = new URL('../../', import.meta.url).pathname
const out = (line = '') => void process.stdout.write(`${line}\n`)

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

function percentile(histogram: number[], p: number): number {
  const total = histogram.reduce((a, b) => a + b, 0)
  let seen = 0
  for (let ms = 0; ms < histogram.length; ms++) {
    seen += histogram[ms]!
    if (seen >= (p / 100) * total) return ms
  }
  return NaN
}

const redis = await startPrivateRedis()
const loadGens: ChildProcess[] = []
let server: Awaited<ReturnType<typeof spawnServerProcess>> | undefined
try {
  out(
    `fan-out across workers: ${WORKERS} workers, ${CLIENTS} clients in ${CLIENT_PROCS} load generators, ${RATE} ingests/s for ${DURATION_S} s (ulimit -n ${proc(process.pid, 'limits').match(/Max open files\s+(\d+)/)?.[1]})`,
  )
  server = await spawnServerProcess({
    COCKPIT_WORKERS: String(WORKERS),
    REDIS_URL: redis.url,
    COCKPIT_KEY_PREFIX: 'bench:workers:',
    COCKPIT_INGEST_KEYS: 'ik',
    COCKPIT_ADMIN_KEY: 'ak',
    // every client comes from this one address
    COCKPIT_MAX_SOCKETS_PER_CLIENT: String(CLIENTS + 100),
  })
  const primary = server.child.pid!
  for (let i = 0; i < 300 && childrenOf(primary).length < WORKERS; i++) await new Promise((r) => setTimeout(r, 100))
  await new Promise((r) => setTimeout(r, 3000)) // every worker listening and ready
  const workers = childrenOf(primary)
  const serverPids = [primary, ...workers]

  const t0 = performance.now()
  const readies = await Promise.all(
    Array.from({ length: CLIENT_PROCS }, (_, k) => {
      const n = Math.floor(CLIENTS / CLIENT_PROCS) + (k < CLIENTS % CLIENT_PROCS ? 1 : 0)
      const child = fork(join(root, 'tests/bench/worker-clients.ts'), [server!.url, String(n), JSON.stringify(QUERY)], {
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, NODE_OPTIONS: '' },
      })
      loadGens.push(child)
      return new Promise<{ ready: number; failed: number; perPid: Record<string, number> }>((resolve, reject) => {
        child.once('message', (m) => resolve(m as { ready: number; failed: number; perPid: Record<string, number> }))
        child.once('exit', (code) => reject(new Error(`a load generator exited ${code} before its clients were open`)))
      })
    }),
  )
  const connected = readies.reduce((a, r) => a + r.ready, 0)
  const perPid: Record<string, number> = {}
  for (const r of readies) for (const [pid, n] of Object.entries(r.perPid)) perPid[pid] = (perPid[pid] ?? 0) + n
  out(
    `clients: ${connected} connected (${readies.reduce((a, r) => a + r.failed, 0)} failed) in ${((performance.now() - t0) / 1000).toFixed(1)} s; per worker ${JSON.stringify(perPid)}`,
  )
  await new Promise((r) => setTimeout(r, 2000))
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
  for (let k = 0; performance.now() - start < DURATION_S * 1000; k++) {
    const due = start + (k * 1000) / RATE
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())))
    const sentAt = performance.timeOrigin + performance.now()
    await ingest()
    total += 1
    probes.push({ sentAt, expected: total })
    if (k % RATE === 0) peakRss = serverPids.map((p, i) => Math.max(peakRss[i]!, rssMb(p)))
  }
  await new Promise((r) => setTimeout(r, 2000)) // the last pushes arrive
  const elapsed = (performance.now() - start) / 1000
  const cpu = serverPids.map((p, i) => cpuS(p) - cpu0[i]!)
  const loadCpu = loadGens.map((g, i) => cpuS(g.pid!) - loadCpu0[i]!)

  const results = await Promise.all(
    loadGens.map(
      (g) =>
        new Promise<{ histogram: number[]; missed: number; updates: number }>((resolve) => {
          g.once('message', (m) => resolve(m as { histogram: number[]; missed: number; updates: number }))
          g.send({ cmd: 'collect', probes })
        }),
    ),
  )
  const histogram = new Array<number>(60_001).fill(0)
  for (const r of results) r.histogram.forEach((n, ms) => (histogram[ms]! += n))
  const delivered = results.reduce((a, r) => a + r.updates, 0)
  const missed = results.reduce((a, r) => a + r.missed, 0)
  const serverCpu = cpu.reduce((a, b) => a + b, 0)

  out()
  out(`feed: ${probes.length} ingests in ${elapsed.toFixed(1)} s (${(probes.length / elapsed).toFixed(1)}/s)`)
  out(`delivered: ${delivered} messages (${(delivered / elapsed).toFixed(0)}/s); ${missed} (client, ingest) pairs never seen`)
  out(`ingest → client: p50 ${percentile(histogram, 50)} ms · p99 ${percentile(histogram, 99)} ms · max ${histogram.findLastIndex((n) => n > 0)} ms (target p99 ≤ 250 ms)`)
  out(
    `server CPU: ${serverCpu.toFixed(1)} s = ${((serverCpu / elapsed) * 100).toFixed(0)} % of a core; ${((serverCpu * 1e6) / Math.max(1, delivered)).toFixed(1)} µs per delivered message`,
  )
  out(
    `  primary ${cpu[0]!.toFixed(1)} s; workers ${cpu
      .slice(1)
      .map((c) => c.toFixed(1))
      .join(' / ')} s`,
  )
  out(`load generators CPU: ${loadCpu.reduce((a, b) => a + b, 0).toFixed(1)} s`)
  out(
    `memory (peak RSS): primary ${peakRss[0]!.toFixed(0)} MB; workers ${peakRss
      .slice(1)
      .map((m) => m.toFixed(0))
      .join(' / ')} MB`,
  )
  out(`machine load average: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`)
} finally {
  for (const g of loadGens) if (g.exitCode === null) g.kill('SIGKILL')
  await server?.stop('SIGTERM')
  await redis.destroy()
}
