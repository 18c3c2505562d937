/**
 * `npx tsx tests/bench/socket-flood.ts` — issue #13's socket flood against a real server process:
 * 500 sockets (50 clients with their own signed tokens × 10) each try 200 distinct subscriptions,
 * then stay connected for a while (rolling windows refresh meanwhile). Reports the rooms the
 * server took, its RSS, and /healthz latency while subscribing and while holding.
 *
 * Options (environment): FLOOD_CLIENTS (0 = anonymous sockets from this one address) · FLOOD_SOCKETS
 * (per client) · FLOOD_SUBS (per socket) · FLOOD_HOLD_S (seconds connected after subscribing,
 * default 65: a 15 s timer and a minute boundary both fall in it) · COCKPIT_MAX_* and
 * COCKPIT_ALLOWED_ORIGINS are passed to the server (e.g. COCKPIT_MAX_LIVE_QUERIES).
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Redis } from 'ioredis'
import { signToken } from '../../server/auth/tokens.ts'
import { spawnServerProcess } from '../helpers/server.ts'
import { deletePrefix } from '../helpers/redis-prefix.ts'
import { forkFlood } from '../helpers/socket-flood.ts'

const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback)
const CLIENTS = num('FLOOD_CLIENTS', 50)
const SOCKETS = num('FLOOD_SOCKETS', 10)
const SUBS = num('FLOOD_SUBS', 200)
const HOLD_S = num('FLOOD_HOLD_S', 65)
const SECRET = randomUUID() + randomUUID()
const prefix = `bench:flood:${randomUUID().slice(0, 8)}:`

const passThrough = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('COCKPIT_MAX') || k === 'COCKPIT_ALLOWED_ORIGINS')) as Record<string, string>
const server = await spawnServerProcess({ COCKPIT_KEY_PREFIX: prefix, COCKPIT_INGEST_KEYS: 'ik', COCKPIT_ADMIN_KEY: 'ak', COCKPIT_TOKEN_SECRET: SECRET, ...passThrough })
const pid = server.child.pid!
const proc = (file: string) => {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8')
  } catch {
    return '' // the server process is gone
  }
}
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(proc('status'))?.[1] ?? NaN) / 1024
/** CPU seconds the server process has used (user + system) */
const cpuS = () => {
  const fields = (proc('stat').split(') ')[1] ?? '').split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** /healthz latencies while `phase` runs, and the peak RSS */
async function probed<T>(phase: () => Promise<T>): Promise<{ value: T; ms: number[]; peakRss: number }> {
  const ms: number[] = []
  let peakRss = rssMb()
  let on = true
  const loop = (async () => {
    while (on) {
      const t = performance.now()
      try {
        await (await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(30_000) })).arrayBuffer()
        ms.push(performance.now() - t)
      } catch {
        ms.push(Infinity) // no answer within 30 s
      }
      peakRss = Math.max(peakRss, rssMb())
      await new Promise((r) => setTimeout(r, 25))
    }
  })()
  try {
    return { value: await phase(), ms, peakRss }
  } finally {
    on = false
    await loop
  }
}

const stats = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b)
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(1)
  return `p50 ${q(0.5)} · p99 ${q(0.99)} · max ${s.at(-1)!.toFixed(1)} ms (${s.length} probes)`
}

try {
  await new Promise((r) => setTimeout(r, 1000))
  const rssStart = rssMb()
  const tokens = CLIENTS === 0 ? [undefined] : await Promise.all(Array.from({ length: CLIENTS }, async () => (await signToken(SECRET, { kind: 'viewer' }, 3600)).token))
  const socketsPerToken = CLIENTS === 0 ? SOCKETS * 50 : SOCKETS
  const t0 = performance.now()
  const cpu0 = cpuS()
  const flood = forkFlood({ url: server.url, tokens, socketsPerToken, subscriptionsPerSocket: SUBS })
  const attempt = await probed(() => flood.result)
  const attemptMs = performance.now() - t0
  const r = attempt.value
  const rssAfterAttempt = rssMb()
  const cpu1 = cpuS()
  const hold = await probed(() => new Promise((resolve) => setTimeout(resolve, HOLD_S * 1000)))
  const cpu2 = cpuS()
  await flood.close()
  await new Promise((r) => setTimeout(r, 3000))
  const rssEnd = rssMb()

  console.log(`socket flood: ${r.sockets} sockets (${tokens.length} client${tokens.length > 1 ? 's' : ''}) × ${SUBS} distinct subscriptions`)
  console.log(`  connected ${r.connected}, refused ${JSON.stringify(r.refused)} in ${Math.round(r.connectMs)} ms`)
  console.log(`  server process ${server.child.exitCode === null ? 'alive' : `exited ${server.child.exitCode}`}; unanswered subscribes ${r.unanswered}`)
  console.log(
    `  subscribes ${r.acks}: ok ${r.ok} → rooms held ${r.distinctOk}; refused ${JSON.stringify(r.codes)}; ${Math.round(r.subscribeMs)} ms (${Math.round(attemptMs)} ms with connecting)`,
  )
  console.log(
    `  /healthz while attempting: ${stats(attempt.ms)}; server CPU ${(cpu1 - cpu0).toFixed(1)} s (${(((cpu1 - cpu0) / r.acks) * 1e6).toFixed(0)} µs per subscribe, connecting included)`,
  )
  console.log(`  /healthz while holding ${HOLD_S} s: ${stats(hold.ms)}; server CPU ${(cpu2 - cpu1).toFixed(1)} s (${(((cpu2 - cpu1) / HOLD_S) * 100).toFixed(1)} % of a core)`)
  console.log(
    `  server RSS: start ${rssStart.toFixed(0)} MB → after the attempt ${rssAfterAttempt.toFixed(0)} MB → peak ${Math.max(attempt.peakRss, hold.peakRss).toFixed(0)} MB → 3 s after the sockets left ${rssEnd.toFixed(0)} MB`,
  )
} finally {
  await server.stop('SIGKILL')
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
  await deletePrefix(redis, prefix)
  redis.disconnect()
}
