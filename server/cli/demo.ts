/**
 * npm run demo [-- --scenario manufacturing|retail|ecommerce] — everything on one machine after
 * `npm ci`: a Redis (the one at REDIS_URL, or a local redis-server started with its data under
 * .data/), the built screen, the server, and a simulated business feeding it live (retail chain
 * unless COCKPIT_DEMO_SCENARIO or --scenario says otherwise). Prints the URL and the keys; Ctrl-C
 * stops it all.
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { runFeed } from '../../mock-feeds/feed.ts'
import { API_PREFIX } from '../../protocol/api.ts'
import { SCENARIO_NAMES, SCENARIO_RATES, buildScenario, isScenarioName } from '../../mock-feeds/scenario-registry.ts'
import { createCalendar } from '../domain/time.ts'

const root = resolve(import.meta.dirname, '../..')
const out = (line = ''): void => void process.stdout.write(`${line}\n`)
const children: ChildProcess[] = []

async function reachable(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false })
  client.on('error', () => {})
  try {
    await client.connect()
    return (await client.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0
}

async function ensureRedis(url: string): Promise<void> {
  if (await reachable(url)) return out(`redis: using ${url}`)
  if (!onPath('redis-server')) {
    process.stderr.write(
      `No Redis answers at ${url}, and redis-server is not installed.\n` +
        '  Install it (Debian/Ubuntu: sudo apt-get install redis-server) or set REDIS_URL to a reachable Redis.\n',
    )
    process.exit(1)
  }
  const port = new URL(url).port || '6379'
  const dir = join(root, '.data', 'redis')
  mkdirSync(dir, { recursive: true })
  out(`redis: starting redis-server on port ${port} (data in .data/redis, append-only file, fsync every second)`)
  const redis = spawn(
    'redis-server',
    ['--port', port, '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--hash-max-listpack-entries', '32'],
    { stdio: 'ignore' },
  )
  children.push(redis)
  for (let i = 0; i < 100; i++) {
    if (await reachable(url)) return
    await new Promise((r) => setTimeout(r, 100))
  }
  process.stderr.write('redis-server did not start\n')
  process.exit(1)
}

function newest(dir: string): number {
  let t = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return t
}

function ensureScreenBuilt(): string {
  const dist = join(root, 'dist', 'screen')
  const index = join(dist, 'index.html')
  const sources = Math.max(...['screen', 'widgets', 'protocol'].map((d) => newest(join(root, d))))
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return dist
  out('screen: building (vite build)…')
  const build = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' })
  if (build.status !== 0) {
    process.stderr.write('screen build failed\n')
    process.exit(1)
  }
  return dist
}

async function waitReady(url: string, server: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (server.exitCode !== null) throw new Error(`the server exited (${server.exitCode})`)
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('the server did not become ready in 30 s')
}

const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379'
const port = process.env.PORT || '3000'
const host = process.env.HOST || '127.0.0.1'
const url = `http://${host}:${port}`
const ingestKey = process.env.COCKPIT_INGEST_KEYS?.split(',')[0] || `ik_${randomBytes(12).toString('hex')}`
const adminKey = process.env.COCKPIT_ADMIN_KEY || `ak_${randomBytes(12).toString('hex')}`
// signs viewer and embed tokens (POST /api/v1/tokens, npm run token)
const tokenSecret = process.env.COCKPIT_TOKEN_SECRET || randomBytes(32).toString('hex')
const profile = process.env.DEMO_PROFILE || 'daily'
if (profile !== 'daily' && profile !== 'flat') {
  process.stderr.write(`DEMO_PROFILE is daily (the business's day and week) or flat (DEMO_RATE at every hour), not "${profile}"\n`)
  process.exit(2)
}
const timeZone = process.env.COCKPIT_TZ || 'Asia/Shanghai'
const { values: args } = parseArgs({ options: { scenario: { type: 'string' } }, allowPositionals: false })
const scenarioName = args.scenario ?? (process.env.COCKPIT_DEMO_SCENARIO || 'retail')
if (!isScenarioName(scenarioName)) {
  process.stderr.write(`unknown scenario "${scenarioName}" (--scenario or COCKPIT_DEMO_SCENARIO): use one of ${SCENARIO_NAMES.join(', ')}\n`)
  process.exit(2)
}
// the week's average: the simulated business is busier at its peak hours and quiet at night
const rate = Number(process.env.DEMO_RATE || SCENARIO_RATES[scenarioName].typical)
const SCENARIO_TITLES = { manufacturing: 'manufacturer', retail: 'retail chain', ecommerce: 'e-commerce shop' } as const

await ensureRedis(redisUrl)
const screenDir = ensureScreenBuilt()
const server = spawn(process.execPath, ['--import', 'tsx', join(root, 'server/main.ts')], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
  env: {
    ...process.env,
    PORT: port,
    HOST: host,
    REDIS_URL: redisUrl,
    COCKPIT_INGEST_KEYS: process.env.COCKPIT_INGEST_KEYS || ingestKey,
    COCKPIT_ADMIN_KEY: adminKey,
    COCKPIT_TOKEN_SECRET: tokenSecret,
    COCKPIT_SCREEN_DIR: screenDir,
    COCKPIT_KEY_PREFIX: process.env.COCKPIT_KEY_PREFIX ?? 'cockpit:demo:',
    LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
  },
})
children.push(server)

const controller = new AbortController()
let stopping = false
const stop = () => {
  if (stopping) return
  stopping = true
  out('\nstopping…')
  controller.abort()
  for (const child of children.reverse()) child.kill('SIGTERM')
  setTimeout(() => process.exit(0), 1500).unref()
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
server.once('exit', (code) => {
  if (!stopping) {
    process.stderr.write(`the server exited (${code}); stopping the demo\n`)
    stop()
  }
})

await waitReady(url, server)
// history from the start of yesterday (DEMO_HISTORY_DAYS days back), so "today vs yesterday" has
// something to compare and weeks of history give payments on terms and ageing their shape; the
// simulator books its opening stock (weeks of demand) just before it, as a backfill would
const cal = createCalendar(timeZone)
const historyDays = Math.max(1, Math.min(400, Math.floor(Number(process.env.DEMO_HISTORY_DAYS || 1)) || 1))
let historyFrom = cal.startOf('day', Date.now())
for (let d = 0; d < historyDays; d++) historyFrom = cal.startOf('day', historyFrom - 1)
out('')
out('  erp-cockpit demo')
out(`  wall:        ${url}/wall`)
out(`  ingest key:  ${ingestKey}`)
out(`  admin key:   ${adminKey}`)
out(`  simulator:   ${SCENARIO_TITLES[scenarioName]} since ${cal.format(historyFrom)} (loads in seconds), then live at ${rate} movements/s`)
out(
  profile === 'daily'
    ? `               on average over the week, following the business's day (quiet at night; DEMO_PROFILE=flat for ${rate}/s at every hour)`
    : '               at every hour (DEMO_PROFILE=flat)',
)
out('  try:')
out(`    curl -s -XPOST ${url}${API_PREFIX}/movements -H 'authorization: Bearer ${ingestKey}' -H 'content-type: application/json' \\`)
out(`      -d '[{"id":"try-1","type":"payment_in","occurredAt":"${new Date().toISOString()}","amount":100}]'`)
out(`    curl -s -XPOST ${url}${API_PREFIX}/query -H 'content-type: application/json' -d '{"metric":"sales.revenue","window":"today"}'`)
out('  embed one widget (docs/embedding.md):')
out(`    curl -s -XPOST ${url}${API_PREFIX}/tokens -H 'authorization: Bearer ${adminKey}' -H 'content-type: application/json' \\`)
out(`      -d '{"kind":"embed","widget":{"widget":"kpi-card","options":{"metric":"sales.revenue","window":"today","compare":true}},"expiresIn":604800}'`)
out(`    then open ${url}/embed?token=<token>&theme=light`)
out(`  token secret: ${tokenSecret}  (COCKPIT_TOKEN_SECRET=… npm run token -- --help)`)
out('  Ctrl-C to stop')
out('')
runFeed({
  url,
  ingestKey,
  adminKey,
  scenario: buildScenario(scenarioName, 42, { rate }),
  seed: 42,
  rate,
  profile,
  historyFrom,
  historyRate: Number(process.env.DEMO_HISTORY_RATE || 2),
  signal: controller.signal,
  log: (line) => out(line),
}).catch((err: unknown) => {
  process.stderr.write(`simulator stopped: ${String(err)}\n`)
  stop()
})
