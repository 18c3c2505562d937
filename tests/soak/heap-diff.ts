/**
 * Diagnostic: which objects does a wall keep alive while updates flow? One screen (no carousel),
 * the retail simulator, two heap snapshots HEAPDIFF_MINUTES apart after a warm-up; prints the
 * constructors whose count or bytes grew most, plus the size of the results the page holds.
 *
 * HEAPDIFF_SCREEN (retail) · HEAPDIFF_MINUTES (5) · HEAPDIFF_WARMUP_SECONDS (120) · SOAK_RATE (1000)
 */
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { Redis } from 'ioredis'
import type { CDPSession, Page } from 'playwright-core'
import { runFeed } from '../../mock-feeds/feed.ts'
import { retailScenario } from '../../mock-feeds/scenarios/retail.ts'
import { launchChromium } from '../helpers/chromium.ts'
import { deletePrefix } from '../helpers/redis-prefix.ts'
import { spawnServerProcess } from '../helpers/server.ts'

const SCREEN = process.env.HEAPDIFF_SCREEN ?? 'retail'
const MINUTES = Number(process.env.HEAPDIFF_MINUTES ?? 5)
const WARMUP_S = Number(process.env.HEAPDIFF_WARMUP_SECONDS ?? 120)
const RATE = Number(process.env.SOAK_RATE ?? 1000)
const FEED = process.env.HEAPDIFF_FEED !== '0'
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const root = new URL('../../', import.meta.url).pathname
const out = (s = '') => process.stdout.write(`${s}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Group {
  count: number
  bytes: number
}

async function snapshot(cdp: CDPSession, file: string): Promise<Map<string, Group>> {
  await cdp.send('HeapProfiler.collectGarbage')
  await sleep(200)
  await cdp.send('HeapProfiler.collectGarbage')
  const chunks: string[] = []
  const onChunk = (e: { chunk: string }) => void chunks.push(e.chunk)
  cdp.on('HeapProfiler.addHeapSnapshotChunk', onChunk)
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false })
  cdp.off('HeapProfiler.addHeapSnapshotChunk', onChunk)
  const text = chunks.join('')
  writeFileSync(file, text)
  const snap = JSON.parse(text) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] }
  const fields = snap.snapshot.meta.node_fields
  const types = snap.snapshot.meta.node_types[0]
  const typeAt = fields.indexOf('type')
  const nameAt = fields.indexOf('name')
  const sizeAt = fields.indexOf('self_size')
  const groups = new Map<string, Group>()
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + typeAt]!]!
    if (type === 'code' || type === 'synthetic') continue
    let name = type === 'string' || type === 'concatenated string' || type === 'sliced string' ? '(string)' : snap.strings[snap.nodes[i + nameAt]!]!
    if (type === 'closure') name = `closure ${name}`
    if (type === 'array') name = `(array) ${name}`
    if (type === 'hidden') name = `(hidden) ${name}`
    if (type === 'number') name = '(number)'
    const key = `${type}|${name.slice(0, 80)}`
    const g = groups.get(key) ?? { count: 0, bytes: 0 }
    g.count++
    g.bytes += snap.nodes[i + sizeAt]!
    groups.set(key, g)
  }
  return groups
}

async function resultsSize(page: Page): Promise<string> {
  return page.evaluate(() => {
    const app = (document.querySelector('#app') as unknown as { __vue_app__?: { config: { globalProperties: { $pinia?: { state: { value: Record<string, unknown> } } } } } }).__vue_app__
    const state = app?.config.globalProperties.$pinia?.state.value ?? {}
    const parts = Object.entries(state).map(([k, v]) => [k, JSON.stringify(v).length] as const)
    const total = parts.reduce((s, [, n]) => s + n, 0)
    return `${parts.length} stores, ${total} bytes of JSON; largest: ${parts
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([k, n]) => `${k.slice(0, 90)}=${n}`)
      .join(' | ')}`
  })
}

async function main(): Promise<void> {
  const prefix = `soak:${randomUUID().slice(0, 8)}:`
  const ingestKey = `ik_${randomUUID()}`
  const adminKey = `ak_${randomUUID()}`
  const server = await spawnServerProcess({ REDIS_URL, COCKPIT_KEY_PREFIX: prefix, COCKPIT_INGEST_KEYS: ingestKey, COCKPIT_ADMIN_KEY: adminKey, COCKPIT_SCREEN_DIR: `${root}dist/screen` })
  const abort = new AbortController()
  const browser = await launchChromium()
  try {
    const feed = runFeed({ url: server.url, ingestKey, adminKey, scenario: retailScenario(7, { rate: RATE }), seed: 7, rate: RATE, signal: abort.signal })
    feed.catch(() => undefined)
    const page = await browser.context.newPage()
    await page.goto(`${server.url}/wall/${SCREEN}?kiosk=1`)
    const cdp = await browser.context.newCDPSession(page)
    await sleep(WARMUP_S * 1000)
    if (!FEED) abort.abort()
    out(`A: ${await resultsSize(page)}`)
    const a = await snapshot(cdp, '/tmp/heap-a.heapsnapshot')
    await sleep(MINUTES * 60_000)
    out(`B: ${await resultsSize(page)}`)
    const b = await snapshot(cdp, '/tmp/heap-b.heapsnapshot')
    const rows = [...new Set([...a.keys(), ...b.keys()])].map((k) => {
      const x = a.get(k) ?? { count: 0, bytes: 0 }
      const y = b.get(k) ?? { count: 0, bytes: 0 }
      return { k, dc: y.count - x.count, db: y.bytes - x.bytes, c: y.count, bytes: y.bytes }
    })
    const total = (m: Map<string, Group>) => [...m.values()].reduce((s, g) => s + g.bytes, 0)
    out(`objects ${total(a)} → ${total(b)} bytes (${total(b) - total(a)})`)
    out('top growth by bytes:')
    for (const r of rows.sort((p, q) => q.db - p.db).slice(0, 40)) out(`  ${String(r.db).padStart(9)} B ${String(r.dc).padStart(7)} #  (now ${r.c}, ${r.bytes} B)  ${r.k}`)
    out('top growth by count:')
    for (const r of rows.sort((p, q) => q.dc - p.dc).slice(0, 25)) out(`  ${String(r.dc).padStart(7)} # ${String(r.db).padStart(9)} B  ${r.k}`)
  } finally {
    abort.abort()
    await browser.close()
    await server.stop()
    const redis = new Redis(REDIS_URL)
    await deletePrefix(redis, prefix).catch(() => 0)
    redis.disconnect()
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`heap-diff: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exit(1)
  },
)
