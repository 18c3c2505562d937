/**
 * npm run soak:diff — which objects does a wall keep alive while updates flow? One screen (no
 * carousel), the retail simulator, two heap snapshots HEAPDIFF_MINUTES apart after a warm-up;
 * prints the constructors whose count or bytes grew most, and the size of the results the page
 * holds (so growing data can be told from objects kept per update).
 *
 * With HEAPDIFF_CAROUSEL=1 the wall rotates through the soak's screens instead (dwell
 * SOAK_DWELL_SECONDS), and both snapshots are taken as its first screen has just come up.
 *
 * With HEAPDIFF_POLL=1 it reads the page once a second meanwhile, as a watching script would
 * (that alone grows the heap: the reason the soak leaves the page alone while it runs).
 *
 * HEAPDIFF_SCREEN (retail) · HEAPDIFF_MINUTES (5) · HEAPDIFF_WARMUP_SECONDS (120) · SOAK_RATE (1000)
 */
import type { Page } from 'playwright-core'
import { eachNode, heapSnapshot, runMain, sleep, soakScreens, storeScreens, untilFirstScreen, withLiveCockpit } from './live-wall.ts'
import type { HeapSnapshot } from './live-wall.ts'

const SCREEN = process.env.HEAPDIFF_SCREEN ?? 'retail'
const MINUTES = Number(process.env.HEAPDIFF_MINUTES ?? 5)
const WARMUP_S = Number(process.env.HEAPDIFF_WARMUP_SECONDS ?? 120)
const RATE = Number(process.env.SOAK_RATE ?? 1000)
const CAROUSEL = process.env.HEAPDIFF_CAROUSEL === '1'
const DWELL = Math.max(5, Number(process.env.SOAK_DWELL_SECONDS ?? 15))
const out = (s = '') => process.stdout.write(`${s}\n`)

interface Group {
  count: number
  bytes: number
}

/**
 * bytes and counts by node type and constructor; compiled code (bytecode, optimised code, scripts,
 * function infos) by its kind, the part of its name before the function's own name
 */
function byConstructor(snap: HeapSnapshot): Map<string, Group> {
  const groups = new Map<string, Group>()
  eachNode(snap, (type, name, size) => {
    if (type === 'synthetic') return
    const label =
      type === 'code' ? codeKind(name) : type === 'object' || type === 'native' || type === 'closure' || type === 'array' || type === 'hidden' ? name.slice(0, 80) : `(${type})`
    const key = `${type}|${label}`
    const g = groups.get(key) ?? { count: 0, bytes: 0 }
    g.count++
    g.bytes += size
    groups.set(key, g)
  })
  return groups
}

/** "(code for render)" → "(code for …)", "system / Script / x.js" → "system / Script" */
function codeKind(name: string): string {
  const paren = /^\((\S+(?: \S+)?) /.exec(name)
  if (paren) return `(${paren[1]} …)`
  return name.split(' / ').slice(0, 2).join(' / ').slice(0, 60)
}

/** the results the page's subscription stores hold: if these grow, the data grows */
async function resultsSize(page: Page): Promise<string> {
  return page.evaluate(() => {
    const root = document.querySelector('#app') as unknown as { __vue_app__?: { config: { globalProperties: { $pinia?: { state: { value: Record<string, unknown> } } } } } }
    const state = root.__vue_app__?.config.globalProperties.$pinia?.state.value ?? {}
    const sizes = Object.values(state).map((v) => JSON.stringify(v).length)
    return `${sizes.length} stores, ${sizes.reduce((s, n) => s + n, 0)} bytes of results (JSON)`
  })
}

runMain('heap-diff', () =>
  withLiveCockpit(RATE, async ({ server, adminKey, browser }) => {
    const page = await browser.context.newPage()
    const screens = soakScreens(DWELL)
    if (CAROUSEL) await storeScreens(server.url, adminKey, screens)
    await page.goto(CAROUSEL ? `${server.url}/wall?playlist=${screens.map((x) => x.id).join(',')}&kiosk=1` : `${server.url}/wall/${SCREEN}?kiosk=1`)
    const cdp = await browser.context.newCDPSession(page)
    const phase = () => (CAROUSEL ? untilFirstScreen(cdp, screens[0]!.id, DWELL) : Promise.resolve())
    await sleep(WARMUP_S * 1000)
    await phase()
    out(`A: ${await resultsSize(page)}`)
    const a = byConstructor(await heapSnapshot(cdp))
    if (process.env.HEAPDIFF_POLL === '1') {
      // read the page once a second the way a watching script would (is the observer part of the growth?)
      const until = Date.now() + MINUTES * 60_000
      while (Date.now() < until) {
        await page.locator('[data-testid="wall"]').getAttribute('data-shown')
        await sleep(1000)
      }
    } else await sleep(MINUTES * 60_000)
    await phase()
    out(`B: ${await resultsSize(page)}`)
    const b = byConstructor(await heapSnapshot(cdp))
    const total = (m: Map<string, Group>, code: boolean) => [...m].reduce((s, [k, g]) => (k.startsWith('code|') === code ? s + g.bytes : s), 0)
    for (const code of [false, true]) {
      const [x, y] = [total(a, code), total(b, code)]
      out(`${code ? 'compiled code' : 'objects'} ${x} → ${y} bytes (${y - x >= 0 ? '+' : ''}${y - x}) in ${MINUTES} min`)
    }
    const rows = [...new Set([...a.keys(), ...b.keys()])].map((k) => {
      const x = a.get(k) ?? { count: 0, bytes: 0 }
      const y = b.get(k) ?? { count: 0, bytes: 0 }
      return { k, dc: y.count - x.count, db: y.bytes - x.bytes, c: y.count, bytes: y.bytes }
    })
    out('grew most, by bytes:')
    for (const r of rows.sort((p, q) => q.db - p.db).slice(0, 25)) out(`  ${String(r.db).padStart(9)} B ${String(r.dc).padStart(7)} #  (now ${r.c}, ${r.bytes} B)  ${r.k}`)
    out('grew most, by count:')
    for (const r of rows.sort((p, q) => q.dc - p.dc).slice(0, 15)) out(`  ${String(r.dc).padStart(7)} # ${String(r.db).padStart(9)} B  ${r.k}`)
    return 0
  }),
)
