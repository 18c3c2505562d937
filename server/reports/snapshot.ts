/**
 * Screen snapshots (docs/reports.md "Snapshots"): a screen, or one widget of it, rendered by
 * headless Chromium (playwright-core driving the system's Chromium) from the running server's own
 * pages — the wall (`/wall/:id?kiosk=1`) for a screen, `/snapshot/:id/:widget` for a widget — once
 * every widget has its first data (WidgetHost's `data-loaded`).
 *
 * Rendering is bounded so reports cannot take the wall down: one render at a time per process, a
 * queue of at most `queueLimit` waiting renders (one more is COCKPIT_ERR_RENDER_BUSY, 503), each
 * stopped after `timeoutMs` (504), one browser reused across renders and closed after `idleMs`
 * without one. Without Chromium the answer is 501 naming the Debian package, never a crash.
 */
import { constants } from 'node:fs'
import { access } from 'node:fs/promises'
import type { Browser, BrowserContext } from 'playwright-core'
import type { FastifyBaseLogger } from 'fastify'
import type { Locale } from '../../protocol/screen.ts'
import { CockpitError } from '../errors.ts'

export const SNAPSHOT_FORMATS = ['png', 'pdf'] as const
export type SnapshotFormat = (typeof SNAPSHOT_FORMATS)[number]

/** Size limits of a snapshot, CSS px: up to 4K (3840×2160) either way round. */
export const SNAPSHOT_SIZE = { minWidth: 320, minHeight: 240, maxWidth: 3840, maxHeight: 3840, maxPixels: 3840 * 2160 } as const
export const DEFAULT_SNAPSHOT_SIZE = { width: 1920, height: 1080 } as const

/** Why a size has too many pixels (the message of its `width` field), or undefined when it fits SNAPSHOT_SIZE.maxPixels. */
export function oversizeMessage(width: number, height: number): string | undefined {
  return width * height > SNAPSHOT_SIZE.maxPixels ? `× height must be at most ${SNAPSHOT_SIZE.maxPixels} pixels (3840 × 2160)` : undefined
}

/** Chromium's flags: headless in a container (no sandbox as root, no GPU), nothing phoning home. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

/** After the widgets have their data: charts animate in (ECharts' first draw takes ~1 s). */
const SETTLE_MS = 1200

export interface SnapshotRequest {
  /** screen id */
  screen: string
  /** one widget instance of it; the whole screen when absent */
  widget?: string | undefined
  width: number
  height: number
  locale: Locale
  format: SnapshotFormat
  /** the credential the page reads with (`?token=`), when reading needs one */
  token?: string | undefined
  /** widget instances the page must show loaded (the screen's, or 1) */
  widgets: number
}

export interface SnapshotRendererOptions {
  chromiumPath: string
  timeoutMs: number
  queueLimit: number
  idleMs: number
  /** origin of the server's pages, e.g. `http://127.0.0.1:3000` (asked at each render: the port is known once listening) */
  baseUrl: () => string
  log: FastifyBaseLogger
  /** seconds a refused caller is told to wait @default timeoutMs / 1000 */
  retryAfterS?: number
}

export interface SnapshotRenderer {
  render(request: SnapshotRequest): Promise<Buffer>
  /** renders running or waiting */
  readonly pending: number
  /** true while a browser is open */
  readonly browserOpen: boolean
  close(): Promise<void>
}

/** The 503 of a full queue, with the seconds to wait. */
export class RenderBusyError extends CockpitError {
  constructor(readonly retryAfterS: number) {
    super('COCKPIT_ERR_RENDER_BUSY', `the server is rendering other snapshots; retry in ${retryAfterS} s`)
  }
}

/** The page a request renders, relative to the server's origin. */
export function snapshotPath(request: Pick<SnapshotRequest, 'screen' | 'widget' | 'locale' | 'token'>): string {
  const params = new URLSearchParams({ kiosk: '1', lang: request.locale })
  if (request.token) params.set('token', request.token)
  const path = request.widget ? `/snapshot/${encodeURIComponent(request.screen)}/${encodeURIComponent(request.widget)}` : `/wall/${encodeURIComponent(request.screen)}`
  return `${path}?${params.toString()}`
}

/** The little of the DOM the page functions below use (this file is compiled without the DOM's types). */
interface PageGlobals {
  document: { querySelectorAll(selector: string): ArrayLike<{ getAttribute(name: string): string | null }>; fonts: { ready: Promise<unknown> } }
}

/**
 * In the page: true once `count` widget hosts of the shown screen (or of the snapshot view) say
 * they are loaded. A function, not a string: the screen's CSP forbids eval.
 */
export function widgetsLoaded(count: number): boolean {
  const { document } = globalThis as unknown as PageGlobals
  const hosts = Array.from(document.querySelectorAll('[data-snapshot-scope] [data-instance], [data-testid="screen"][data-active="true"] [data-instance]'))
  return hosts.length >= count && hosts.every((h) => h.getAttribute('data-loaded') === 'true')
}

/** In the page: resolves once web fonts are loaded. */
function fontsReady(): Promise<unknown> {
  return (globalThis as unknown as PageGlobals).document.fonts.ready
}

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

export function createSnapshotRenderer(opts: SnapshotRendererOptions): SnapshotRenderer {
  const retryAfterS = opts.retryAfterS ?? Math.max(1, Math.ceil(opts.timeoutMs / 1000))
  let running = 0
  let waiting = 0
  /** the renders in order: each starts when the one before it settled */
  let tail: Promise<unknown> = Promise.resolve()
  let browser: Promise<Browser> | undefined
  let idleTimer: ReturnType<typeof setTimeout> | undefined
  let closed = false

  /** the browser of this process, launched on first use and after it closed or crashed */
  function getBrowser(): Promise<Browser> {
    if (closed) return Promise.reject(new CockpitError('COCKPIT_ERR_RENDER_BUSY', 'the server is shutting down'))
    if (!browser) {
      const launching = (async () => {
        const { chromium } = await import('playwright-core')
        const b = await chromium.launch({ executablePath: opts.chromiumPath, headless: true, args: CHROMIUM_ARGS })
        opts.log.info({ chromium: opts.chromiumPath }, 'snapshot browser started')
        return b
      })()
      browser = launching
      const forget = () => {
        if (browser === launching) browser = undefined
      }
      launching.then((b) => b.on('disconnected', forget), forget)
    }
    return browser
  }

  async function closeBrowser(): Promise<void> {
    const b = browser
    browser = undefined
    await b?.then((x) => x.close()).catch(() => undefined)
  }

  function armIdle(): void {
    if (idleTimer) clearTimeout(idleTimer)
    idleTimer = setTimeout(() => {
      idleTimer = undefined
      if (running === 0 && waiting === 0) {
        opts.log.info('snapshot browser closed (idle)')
        void closeBrowser()
      }
    }, opts.idleMs)
    idleTimer.unref?.()
  }

  async function renderNow(request: SnapshotRequest): Promise<Buffer> {
    if (closed) throw new CockpitError('COCKPIT_ERR_RENDER_BUSY', 'the server is shutting down')
    if (!(await executable(opts.chromiumPath))) {
      throw new CockpitError(
        'COCKPIT_ERR_CHROMIUM_MISSING',
        `snapshots need Chromium on the server, not found at ${opts.chromiumPath}: install the Debian package "chromium" (apt-get install chromium) or set COCKPIT_CHROMIUM_PATH`,
      )
    }
    if (idleTimer) clearTimeout(idleTimer)
    let context: BrowserContext | undefined
    let timer: ReturnType<typeof setTimeout> | undefined
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new CockpitError('COCKPIT_ERR_RENDER_TIMEOUT', `the snapshot did not render within ${opts.timeoutMs} ms (COCKPIT_SNAPSHOT_TIMEOUT_MS)`)),
        opts.timeoutMs,
      )
    })
    const work = (async () => {
      const b = await getBrowser()
      context = await b.newContext({ viewport: { width: request.width, height: request.height }, deviceScaleFactor: 1, locale: request.locale })
      const page = await context.newPage()
      await page.goto(opts.baseUrl() + snapshotPath(request), { waitUntil: 'load' })
      // every widget of the page has its first result (or its error): WidgetHost's data-loaded
      await page.waitForFunction(widgetsLoaded, request.widgets, { timeout: 0, polling: 100 })
      await page.evaluate(fontsReady)
      await page.waitForTimeout(SETTLE_MS)
      if (request.format === 'pdf') {
        await page.emulateMedia({ media: 'screen' })
        return page.pdf({ width: `${request.width}px`, height: `${request.height}px`, printBackground: true, pageRanges: '1' })
      }
      return page.screenshot({ type: 'png', fullPage: false })
    })()
    try {
      return await Promise.race([work, timedOut])
    } catch (err) {
      if (err instanceof CockpitError) throw err
      opts.log.warn({ err }, 'snapshot failed')
      throw new CockpitError('COCKPIT_ERR_RENDER_FAILED', `the snapshot could not be rendered: ${(err as Error).message.split('\n')[0]}`)
    } finally {
      clearTimeout(timer)
      work.catch(() => undefined) // settled after a time-out: nobody waits for it any more
      await (context as BrowserContext | undefined)?.close().catch(() => undefined)
    }
  }

  return {
    get pending() {
      return running + waiting
    },
    get browserOpen() {
      return browser !== undefined
    },
    render(request) {
      if (closed) return Promise.reject(new CockpitError('COCKPIT_ERR_RENDER_BUSY', 'the server is shutting down'))
      if (running + waiting > opts.queueLimit) return Promise.reject(new RenderBusyError(retryAfterS))
      waiting++
      const turn = tail.then(async () => {
        waiting--
        running++
        try {
          return await renderNow(request)
        } finally {
          running--
          if (!closed) armIdle()
        }
      })
      tail = turn.catch(() => undefined)
      return turn
    },
    // shutting down does not wait for the queue (up to queueLimit × timeoutMs): the browser goes
    // now, the render in progress fails, the waiting ones are refused
    async close() {
      closed = true
      if (idleTimer) clearTimeout(idleTimer)
      await closeBrowser()
    },
  }
}
