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
 * SOAK_WARMUP_SECONDS (900: V8 compiles and optimises the wall's code for ~15 min, docs/wall.md) ·
 * SOAK_MAX_GROWTH percent (10) · SOAK_TRACE_SECONDS (0: off) · REDIS_URL
 */
import type { CDPSession } from 'playwright-core'
import { screenshot } from '../helpers/chromium.ts'
import { WALL_MOUNTS, eachNode, heapSnapshot, mb, readPage, runMain, sleep, soakScreens, storeScreens, untilFirstScreen, withLiveCockpit } from './live-wall.ts'

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10)
const RATE = Number(process.env.SOAK_RATE ?? 1000)
const DWELL = Math.max(5, Number(process.env.SOAK_DWELL_SECONDS ?? 15))
const WARMUP_S = Number(process.env.SOAK_WARMUP_SECONDS ?? 900)
const MAX_GROWTH = Number(process.env.SOAK_MAX_GROWTH ?? 10)
/** 0: leave the page alone while it runs; else a heap snapshot every so many seconds */
const TRACE_SECONDS = Number(process.env.SOAK_TRACE_SECONDS ?? 0) > 0 ? Math.max(30, Number(process.env.SOAK_TRACE_SECONDS)) : 0
const out = (s = '') => process.stdout.write(`${s}\n`)
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

/**
 * One measurement at the same carousel phase every time: the first screen just came up with
 * nothing preloading, its data arrived; then two forced GCs.
 */
async function measure(cdp: CDPSession, first: string): Promise<Sample> {
  await untilFirstScreen(cdp, first, DWELL)
  await cdp.send('HeapProfiler.collectGarbage')
  await sleep(200)
  await cdp.send('HeapProfiler.collectGarbage')
  const heap = await cdp.send('Runtime.getHeapUsage')
  const { metrics } = await cdp.send('Performance.getMetrics')
  const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? 0
  const domElements = await readPage<number>(cdp, `document.getElementsByTagName('*').length`)
  return { at: Date.now(), heapUsed: heap.usedSize, domElements, nodes: metric('Nodes'), listeners: metric('JSEventListeners'), documents: metric('Documents') }
}

/** the smallest of three consecutive measurements: a transient allocation does not count as growth */
async function baseline(cdp: CDPSession, first: string): Promise<Sample> {
  const samples: Sample[] = []
  for (let i = 0; i < 3; i++) samples.push(await measure(cdp, first))
  const least = (key: 'heapUsed' | 'domElements' | 'nodes' | 'listeners') => Math.min(...samples.map((x) => x[key]))
  return { ...samples[samples.length - 1]!, heapUsed: least('heapUsed'), domElements: least('domElements'), nodes: least('nodes'), listeners: least('listeners') }
}

/** how much the simulator put in: today's sales-order count, read back through the query API */
async function movementsToday(url: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ metric: 'sales.orders', window: 'today' }),
  })
  if (!res.ok) return '?'
  return String(((await res.json()) as { total: number | null }).total ?? '?')
}

/**
 * Bytes of objects in a heap snapshot: JS objects with V8's compiled code left out (code grows for
 * a long while as functions get optimised, and levels off), and the browser's own objects the page
 * keeps (DOM, layout, text shaping: the growth that JS figures do not see).
 */
async function objectBytes(cdp: CDPSession): Promise<{ js: number; code: number; native: number }> {
  const bytes = { js: 0, code: 0, native: 0 }
  eachNode(await heapSnapshot(cdp), (type, _name, size) => {
    if (type === 'native') bytes.native += size
    else if (type === 'code') bytes.code += size
    else if (type !== 'synthetic') bytes.js += size
  })
  return bytes
}

function line(label: string, s: Sample): string {
  return `${label.padEnd(8)} heap ${mb(s.heapUsed).padStart(9)} · DOM elements ${String(s.domElements).padStart(5)} · nodes ${String(s.nodes).padStart(6)} · listeners ${String(s.listeners).padStart(5)} · documents ${s.documents}`
}

async function main(): Promise<number> {
  return withLiveCockpit(RATE, async ({ server, prefix, adminKey, browser, feed, stopFeed }) => {
    const errors: string[] = []
    out(`soak: server ${server.url} (prefix ${prefix}), simulator ${RATE}/s, ${MINUTES} min after ${WARMUP_S} s warm-up, dwell ${DWELL} s`)
    feed.catch((err: unknown) => errors.push(`feed: ${String(err)}`))

    const screens = soakScreens(DWELL)
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
    const start = await baseline(cdp, playlist[0]!)
    const startObjects = await objectBytes(cdp)
    out(line('start', start))
    // left alone while it runs: polling the page from here would add objects of its own to what
    // is measured; the wall counts its screen mountings (data-mounts), read at both ends
    const mounts = () => readPage<number>(cdp, WALL_MOUNTS)
    const startMounts = await mounts()
    const endAt = start.at + MINUTES * 60_000
    while (Date.now() < endAt) {
      await sleep(Math.min((TRACE_SECONDS || 60) * 1000, endAt - Date.now()))
      const minutes = ((Date.now() - start.at) / 60_000).toFixed(0).padStart(3)
      if (!TRACE_SECONDS) {
        out(`  +${minutes} min  heap ${mb((await cdp.send('Runtime.getHeapUsage')).usedSize)} (no GC)`)
        continue
      }
      // the split tells a leak (objects) from the JIT tiering up and flushing code (compiled code);
      // each reading forces GCs and a snapshot, so it is off unless asked for
      const bytes = await objectBytes(cdp)
      out(`  +${minutes} min  objects ${mb(bytes.js)} · compiled code ${mb(bytes.code)} · browser objects ${mb(bytes.native)} (any carousel phase)`)
    }
    const rotations = (await mounts()) - startMounts
    const end = await baseline(cdp, playlist[0]!)
    const endObjects = await objectBytes(cdp)
    out(line('end', end))
    await screenshot(page, 'soak-end')
    await stopFeed()
    const movements = await movementsToday(server.url)

    const heapGrowth = pct(start.heapUsed, end.heapUsed)
    const domGrowth = pct(start.domElements, end.domElements)
    const nodeGrowth = pct(start.nodes, end.nodes)
    out(`soak: ${((end.at - start.at) / 60_000).toFixed(1)} min, ${rotations} screen changes, ${movements} sales orders today in the cockpit`)
    out(`soak: JS heap ${mb(start.heapUsed)} → ${mb(end.heapUsed)} (${heapGrowth >= 0 ? '+' : ''}${heapGrowth.toFixed(2)} %)`)
    const objectGrowth = pct(startObjects.js, endObjects.js)
    const nativeGrowth = pct(startObjects.native, endObjects.native)
    out(`soak: JS objects without compiled code (heap snapshot) ${mb(startObjects.js)} → ${mb(endObjects.js)} (${objectGrowth >= 0 ? '+' : ''}${objectGrowth.toFixed(2)} %)`)
    const codeGrowth = pct(startObjects.code, endObjects.code)
    out(`soak: compiled code (heap snapshot) ${mb(startObjects.code)} → ${mb(endObjects.code)} (${codeGrowth >= 0 ? '+' : ''}${codeGrowth.toFixed(2)} %)`)
    out(`soak: browser objects (DOM, layout, text shaping) ${mb(startObjects.native)} → ${mb(endObjects.native)} (${nativeGrowth >= 0 ? '+' : ''}${nativeGrowth.toFixed(2)} %)`)
    out(
      `soak: DOM elements ${start.domElements} → ${end.domElements} (${domGrowth >= 0 ? '+' : ''}${domGrowth.toFixed(2)} %), nodes ${start.nodes} → ${end.nodes} (${nodeGrowth >= 0 ? '+' : ''}${nodeGrowth.toFixed(2)} %), listeners ${start.listeners} → ${end.listeners}`,
    )
    if (errors.length) out(`soak: ${errors.length} errors, first: ${errors.slice(0, 5).join(' | ')}`)
    const failed = heapGrowth > MAX_GROWTH || domGrowth > MAX_GROWTH || rotations === 0
    out(failed ? `soak: FAIL (limit ${MAX_GROWTH} %)` : `soak: ok (limit ${MAX_GROWTH} %)`)
    return failed ? 1 : 0
  })
}

runMain('soak', main)
