/**
 * What the soak and the heap diff share: a cockpit server process on the shared Redis under its
 * own key prefix, the retail simulator feeding it at a flat rate (no daily curve), Chromium, heap snapshots through the DevTools
 * protocol, and a clean-up that deletes the prefix whatever happened.
 */
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { Redis } from 'ioredis'
import type { CDPSession } from 'playwright-core'
import { runFeed } from '../../mock-feeds/feed.ts'
import type { FeedStats } from '../../mock-feeds/feed.ts'
import { retailScenario } from '../../mock-feeds/scenarios/retail.ts'
import type { ScreenDefinition, StoredScreen } from '../../protocol/screen.ts'
import { TEMPLATES } from '../../widgets/templates/index.ts'
import { launchChromium } from '../helpers/chromium.ts'
import type { Browser } from '../helpers/chromium.ts'
import { deletePrefix } from '../helpers/redis-prefix.ts'
import { spawnServerProcess } from '../helpers/server.ts'
import type { ServerProcess } from '../helpers/server.ts'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const root = new URL('../../', import.meta.url).pathname

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
export const mb = (bytes: number) => `${(bytes / 1048576).toFixed(2)} MB`

export interface LiveCockpit {
  server: ServerProcess
  prefix: string
  adminKey: string
  browser: Browser
  /** the simulator's run; rejects only on a feed error before `stopFeed()` */
  feed: Promise<FeedStats | undefined>
  stopFeed(): Promise<void>
}

/** Runs `body` against a live cockpit fed at `rate` movements/s, then stops and deletes everything. */
export async function withLiveCockpit<T>(rate: number, body: (c: LiveCockpit) => Promise<T>): Promise<T> {
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
  const abort = new AbortController()
  let browser: Browser | undefined
  const feed = runFeed({ url: server.url, ingestKey, adminKey, scenario: retailScenario(7, { rate }), seed: 7, rate, profile: 'flat', signal: abort.signal }).catch(
    (err: unknown) => {
      if (abort.signal.aborted) return undefined
      throw err
    },
  )
  feed.catch(() => undefined) // observed by whoever awaits it; never an unhandled rejection
  const stopFeed = async () => {
    abort.abort()
    await feed.catch(() => undefined)
  }
  try {
    browser = await launchChromium()
    return await body({ server, prefix, adminKey, browser, feed, stopFeed })
  } finally {
    await stopFeed()
    await browser?.close()
    await server.stop()
    const redis = new Redis(REDIS_URL)
    await deletePrefix(redis, prefix).catch(() => 0)
    redis.disconnect()
  }
}

/** the carousel's screens: the templates, plus a variant of the first with rolling windows (other subscriptions) */
export function soakScreens(dwellSeconds: number): ScreenDefinition[] {
  const base = TEMPLATES.map((t) => ({ ...t, dwellSeconds }))
  const first = base[0]!
  const variant: ScreenDefinition = {
    ...first,
    id: 'soak-rolling',
    title: `${first.title}（滚动窗口）`,
    widgets: first.widgets.map((w) => ({ ...w, options: { ...w.options, ...('window' in w.options ? { window: w.widget === 'kpi-card' ? 'PT1H' : 'PT24H' } : {}) } })),
  }
  return [...base, variant]
}

/** stores screens through the API (the seeded templates are replaced) */
export async function storeScreens(url: string, adminKey: string, screens: ScreenDefinition[]): Promise<void> {
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

/**
 * Reads a figure off the page with one fixed expression through the DevTools protocol. Fixed:
 * every distinct script evaluated stays in the page's heap while DevTools is attached
 * (Playwright's own calls each leave ~2 KB behind), which a soak would count as the wall's growth.
 */
export async function readPage<T>(cdp: CDPSession, expression: string): Promise<T> {
  const { result } = await cdp.send('Runtime.evaluate', { expression, returnByValue: true })
  return result.value as T
}

export const MOUNTED_SCREENS = `[...document.querySelectorAll('[data-testid="screen"]')].map((e) => e.getAttribute('data-screen')).join()`
/** screens the wall has mounted so far (its carousel turns) */
export const WALL_MOUNTS = `Number(document.querySelector('[data-testid="wall"]')?.getAttribute('data-mounts') ?? 0)`

/** The same carousel phase every time: the first screen just came up, nothing preloading, ~2 s for its data. */
export async function untilFirstScreen(cdp: CDPSession, first: string, dwellSeconds: number): Promise<void> {
  const deadline = Date.now() + (dwellSeconds * 10 + 60) * 1000
  const mounted = () => readPage<string>(cdp, MOUNTED_SCREENS)
  // wait for the first screen to leave (if up), then to come up again; once a second, as each read costs the page
  while ((await mounted()) === first && Date.now() < deadline) await sleep(1000)
  while ((await mounted()) !== first) {
    if (Date.now() > deadline) throw new Error('the carousel did not come back to its first screen')
    await sleep(1000)
  }
  await sleep(1500)
}

export interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }
  nodes: number[]
  strings: string[]
}

/** A heap snapshot after two forced collections. */
export async function heapSnapshot(cdp: CDPSession): Promise<HeapSnapshot> {
  await cdp.send('HeapProfiler.collectGarbage')
  await sleep(200)
  await cdp.send('HeapProfiler.collectGarbage')
  const chunks: string[] = []
  const onChunk = (e: { chunk: string }) => void chunks.push(e.chunk)
  cdp.on('HeapProfiler.addHeapSnapshotChunk', onChunk)
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false })
  cdp.off('HeapProfiler.addHeapSnapshotChunk', onChunk)
  return JSON.parse(chunks.join('')) as HeapSnapshot
}

/** Calls `visit` with each node's type, name and own size. */
export function eachNode(snap: HeapSnapshot, visit: (type: string, name: string, size: number) => void): void {
  const fields = snap.snapshot.meta.node_fields
  const types = snap.snapshot.meta.node_types[0]
  const typeAt = fields.indexOf('type')
  const nameAt = fields.indexOf('name')
  const sizeAt = fields.indexOf('self_size')
  for (let i = 0; i < snap.nodes.length; i += fields.length) visit(types[snap.nodes[i + typeAt]!]!, snap.strings[snap.nodes[i + nameAt]!]!, snap.nodes[i + sizeAt]!)
}

/** Runs a CLI's main: its exit code, or 1 with the error on stderr. */
export function runMain(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
      process.exit(1)
    },
  )
}
