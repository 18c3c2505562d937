/**
 * npm run soak — the wall left running: a server (own process, Redis-backed, own key prefix), the
 * retail simulator at a high rate (flat profile: SOAK_RATE whatever the hour), and Chromium on
 * the wall with the carousel rotating through
 * the templates, stored with the soak's dwell (plus a variant with other windows, so
 * subscriptions come and go). After a
 * warm-up it measures the page's JS heap (after forced GC, through the DevTools protocol) and
 * its DOM at the same carousel phase, again after SOAK_MINUTES, prints the growth and exits 1
 * when either grew more than SOAK_MAX_GROWTH percent.
 *
 * SOAK_MINUTES (10) · SOAK_RATE movements/s (1000) · SOAK_DWELL_SECONDS (15) ·
 * SOAK_WARMUP_SECONDS (180) · SOAK_MAX_GROWTH percent (10) · REDIS_URL
 */
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { Redis } from 'ioredis'
import type { CDPSession, Page } from 'playwright-core'
import { runFeed } from '../../mock-feeds/feed.ts'
import type { FeedStats } from '../../mock-feeds/feed.ts'
import { retailScenario } from '../../mock-feeds/scenarios/retail.ts'
import type { ScreenDefinition, StoredScreen } from '../../protocol/screen.ts'
import { TEMPLATES } from '../../widgets/templates/index.ts'
import { launchChromium, screenshot } from '../helpers/chromium.ts'
import { deletePrefix } from '../helpers/redis-prefix.ts'
import { spawnServerProcess } from '../helpers/server.ts'

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10)
const RATE = Number(process.env.SOAK_RATE ?? 1000)
const DWELL = Math.max(5, Number(process.env.SOAK_DWELL_SECONDS ?? 15))
const WARMUP_S = Number(process.env.SOAK_WARMUP_SECONDS ?? 180)
const MAX_GROWTH = Number(process.env.SOAK_MAX_GROWTH ?? 10)
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const root = new URL('../../', import.meta.url).pathname
const out = (s = '') => process.stdout.write(`${s}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(2)} MB`
const pct = (a: number, b: number) => (a === 0 ? 0 : ((b - a) / a) * 100)

interface Sample {
  at: number
  heapUsed: number
  domElements: number
  /** DOM nodes alive in the renderer, detached ones included */
  nodes: number
  listeners: number
  documents: number
}

/** the carousel's screens: the templates, plus a variant of the first with other windows */
function soakScreens(): ScreenDefinition[] {
  const base = TEMPLATES.map((t) => ({ ...t, dwellSeconds: DWELL }))
  const first = base[0]!
  const variant: ScreenDefinition = {
    ...first,
    id: 'soak-rolling',
    title: `${first.title}（滚动窗口）`,
    widgets: first.widgets.map((w) => ({ ...w, options: { ...w.options, ...('window' in w.options ? { window: w.widget === 'kpi-card' ? 'PT1H' : 'PT24H' } : {}) } })),
  }
  return [...base, variant]
}

/** stores the carousel's screens through the API (the templates are already there: replaced with the soak's dwell) */
async function storeScreens(url: string, adminKey: string, screens: ScreenDefinition[]): Promise<void> {
  for (const screen of screens) {
    const current = await fetch(`${url}/api/v1/screens/${screen.id}`)
    const version = current.ok ? ((await current.json()) as StoredScreen).version : 0
    const res = await fetch(`${url}/api/v1/screens/${screen.id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...screen, version }),
    })
    if (!res.ok) throw new Error(`storing screen ${screen.id}: ${res.status} ${await res.text()}`)
  }
}

async function mountedScreens(page: Page): Promise<string[]> {
  return page.locator('[data-testid="screen"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-screen') ?? ''))
}

/**
 * One measurement at the same carousel phase every time: the first screen just came up with
 * nothing preloading, its data arrived; then two forced GCs.
 */
async function measure(page: Page, cdp: CDPSession, first: string): Promise<Sample> {
  const deadline = Date.now() + (DWELL * 10 + 60) * 1000
  // wait for the first screen to leave (if up), then to come up again
  while ((await mountedScreens(page)).join() === first && Date.now() < deadline) await sleep(200)
  while ((await mountedScreens(page)).join() !== first) {
    if (Date.now() > deadline) throw new Error('the carousel did not come back to its first screen')
    await sleep(100)
  }
  await sleep(2000)
  await cdp.send('HeapProfiler.collectGarbage')
  await sleep(200)
  await cdp.send('HeapProfiler.collectGarbage')
  const heap = await cdp.send('Runtime.getHeapUsage')
  const { metrics } = await cdp.send('Performance.getMetrics')
  const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? 0
  const domElements = await page.evaluate(() => document.getElementsByTagName('*').length)
  return { at: Date.now(), heapUsed: heap.usedSize, domElements, nodes: metric('Nodes'), listeners: metric('JSEventListeners'), documents: metric('Documents') }
}

/** the smallest of three consecutive measurements: a transient allocation does not count as growth */
async function baseline(page: Page, cdp: CDPSession, first: string): Promise<Sample> {
  const samples: Sample[] = []
  for (let i = 0; i < 3; i++) samples.push(await measure(page, cdp, first))
  const least = (key: 'heapUsed' | 'domElements' | 'nodes' | 'listeners') => Math.min(...samples.map((x) => x[key]))
  return { ...samples[samples.length - 1]!, heapUsed: least('heapUsed'), domElements: least('domElements'), nodes: least('nodes'), listeners: least('listeners') }
}

/** how much the simulator put in: today's sales-order count, read back through the query API */
async function movementsToday(url: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metric: 'sales.orders', window: 'today' }) })
  if (!res.ok) return '?'
  return String(((await res.json()) as { total: number | null }).total ?? '?')
}

/**
 * Bytes of JS objects in a heap snapshot, V8's compiled code excluded: code grows for a long
 * while as functions get optimised (and levels off), so it blurs what the heap figure says about
 * objects the wall keeps alive.
 */
async function objectBytes(cdp: CDPSession): Promise<number> {
  const chunks: string[] = []
  const onChunk = (e: { chunk: string }) => void chunks.push(e.chunk)
  cdp.on('HeapProfiler.addHeapSnapshotChunk', onChunk)
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false })
  cdp.off('HeapProfiler.addHeapSnapshotChunk', onChunk)
  const snap = JSON.parse(chunks.join('')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[] }
  const fields = snap.snapshot.meta.node_fields
  const types = snap.snapshot.meta.node_types[0]
  const typeAt = fields.indexOf('type')
  const sizeAt = fields.indexOf('self_size')
  let bytes = 0
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + typeAt]!]
    if (type !== 'code' && type !== 'native' && type !== 'synthetic') bytes += snap.nodes[i + sizeAt]!
  }
  return bytes
}

function line(label: string, s: Sample): string {
  return `${label.padEnd(8)} heap ${mb(s.heapUsed).padStart(9)} · DOM elements ${String(s.domElements).padStart(5)} · nodes ${String(s.nodes).padStart(6)} · listeners ${String(s.listeners).padStart(5)} · documents ${s.documents}`
}

async function main(): Promise<number> {
  if (!existsSync(`${root}dist/screen/index.html`)) throw new Error('no built screen: run `npm run build` first')
  const prefix = `soak:${randomUUID().slice(0, 8)}:`
  const ingestKey = `ik_${randomUUID()}`
  const adminKey = `ak_${randomUUID()}`
  const server = await spawnServerProcess({
    REDIS_URL,
    COCKPIT_KEY_PREFIX: prefix,
    COCKPIT_INGEST_KEYS: ingestKey,
    COCKPIT_ADMIN_KEY: adminKey,
    COCKPIT_SCREEN_DIR: `${root}dist/screen`,
  })
  const feedAbort = new AbortController()
  let feed: Promise<FeedStats> | undefined
  const browser = await launchChromium()
  const errors: string[] = []
  try {
    out(`soak: server ${server.url} (prefix ${prefix}), simulator ${RATE}/s, ${MINUTES} min after ${WARMUP_S} s warm-up, dwell ${DWELL} s`)
    feed = runFeed({ url: server.url, ingestKey, adminKey, scenario: retailScenario(7, { rate: RATE }), seed: 7, rate: RATE, profile: 'flat', signal: feedAbort.signal })
    feed.catch((err: unknown) => {
      if (!feedAbort.signal.aborted) errors.push(`feed: ${String(err)}`)
    })

    const screens = soakScreens()
    await storeScreens(server.url, adminKey, screens)
    const playlist = screens.map((s) => s.id)
    const page = await browser.context.newPage()
    page.on('pageerror', (e) => errors.push(`page: ${e.message}`))
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`)
    })
    await page.goto(`${server.url}/wall?playlist=${playlist.join(',')}&kiosk=1`)
    const cdp = await browser.context.newCDPSession(page)
    await cdp.send('Performance.enable')
    out(`soak: carousel ${playlist.join(' → ')}`)

    await sleep(WARMUP_S * 1000)
    const start = await baseline(page, cdp, playlist[0]!)
    const startObjects = await objectBytes(cdp)
    out(line('start', start))
    const endAt = start.at + MINUTES * 60_000
    let rotations = 0
    let last = await page.locator('[data-testid="wall"]').getAttribute('data-shown')
    let nextReport = Date.now() + 60_000
    while (Date.now() < endAt) {
      await sleep(1000)
      const shown = await page.locator('[data-testid="wall"]').getAttribute('data-shown')
      if (shown !== last) {
        rotations++
        last = shown
      }
      if (Date.now() >= nextReport) {
        nextReport += 60_000
        const heap = await cdp.send('Runtime.getHeapUsage')
        out(`  +${Math.round((Date.now() - start.at) / 60_000)} min  heap ${mb(heap.usedSize)} (no GC) · ${rotations} screen changes`)
      }
    }
    const end = await baseline(page, cdp, playlist[0]!)
    const endObjects = await objectBytes(cdp)
    out(line('end', end))
    await screenshot(page, 'soak-end')
    feedAbort.abort()
    await feed.catch(() => undefined)
    const movements = await movementsToday(server.url)

    const heapGrowth = pct(start.heapUsed, end.heapUsed)
    const domGrowth = pct(start.domElements, end.domElements)
    const nodeGrowth = pct(start.nodes, end.nodes)
    out(`soak: ${((end.at - start.at) / 60_000).toFixed(1)} min, ${rotations} screen changes, ${movements} sales orders today in the cockpit`)
    out(`soak: JS heap ${mb(start.heapUsed)} → ${mb(end.heapUsed)} (${heapGrowth >= 0 ? '+' : ''}${heapGrowth.toFixed(2)} %)`)
    const objectGrowth = pct(startObjects, endObjects)
    out(`soak: JS objects without compiled code (heap snapshot) ${mb(startObjects)} → ${mb(endObjects)} (${objectGrowth >= 0 ? '+' : ''}${objectGrowth.toFixed(2)} %)`)
    out(`soak: DOM elements ${start.domElements} → ${end.domElements} (${domGrowth >= 0 ? '+' : ''}${domGrowth.toFixed(2)} %), nodes ${start.nodes} → ${end.nodes} (${nodeGrowth >= 0 ? '+' : ''}${nodeGrowth.toFixed(2)} %), listeners ${start.listeners} → ${end.listeners}`)
    if (errors.length) out(`soak: ${errors.length} errors, first: ${errors.slice(0, 5).join(' | ')}`)
    const failed = heapGrowth > MAX_GROWTH || domGrowth > MAX_GROWTH || rotations === 0
    out(failed ? `soak: FAIL (limit ${MAX_GROWTH} %)` : `soak: ok (limit ${MAX_GROWTH} %)`)
    return failed ? 1 : 0
  } finally {
    feedAbort.abort()
    await feed?.catch(() => undefined)
    await browser.close()
    await server.stop()
    const redis = new Redis(REDIS_URL)
    await deletePrefix(redis, prefix).catch(() => 0)
    redis.disconnect()
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exit(1)
  },
)
