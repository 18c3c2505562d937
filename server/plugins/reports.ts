/**
 * Screen reports (docs/reports.md): the snapshot renderer as a service (`snapshots`, whose
 * `renderSnapshot()` report subscriptions call too) and `GET /screens/:id/snapshot.png|.pdf`
 * (under API_PREFIX).
 *
 * Who may render: whoever may read screens (`viewer`: the admin key or editor session, an ingest
 * key, the viewer token, a signed viewer token; not an embed token, which reads one widget only).
 * The page Chromium opens reads with the caller's own bearer token, so a scoped viewer's snapshot
 * shows what that viewer's wall shows and the server enforces the scope as for any wall. A caller
 * signed in by the editor's session has no token to hand on: the page then reads with the
 * server's own COCKPIT_VIEWER_TOKEN, else COCKPIT_ADMIN_KEY (only when reading needs a token).
 */
import type { AddressInfo } from 'node:net'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import Type from 'typebox'
import { SCREEN_ID_PATTERN } from '../../protocol/screen.ts'
import type { Locale } from '../../protocol/screen.ts'
import { CockpitError } from '../errors.ts'
import { DEFAULT_SNAPSHOT_SIZE, RenderBusyError, SNAPSHOT_SIZE, createSnapshotRenderer, oversizeMessage } from '../reports/snapshot.ts'
import type { SnapshotFormat, SnapshotRenderer } from '../reports/snapshot.ts'
import { headlineFigures, summaryLine } from '../reports/summary.ts'

export interface RenderSnapshotOptions {
  /** screen id */
  screen: string
  /** a widget instance of the screen: only that widget, filling the image */
  widget?: string | undefined
  /** CSS px @default 1920 */
  width?: number | undefined
  /** CSS px @default 1080 */
  height?: number | undefined
  /** `zh` / `zh-CN` or `en` @default "zh-CN" */
  lang?: string | undefined
  /** @default "png" */
  format?: SnapshotFormat | undefined
  /** the credential the page reads with @default the server's own (COCKPIT_VIEWER_TOKEN, else COCKPIT_ADMIN_KEY) when reading needs one */
  token?: string | undefined
}

export interface Snapshot {
  body: Buffer
  contentType: string
  /** `retail-20261206-0800.png` */
  filename: string
}

export interface SnapshotService {
  /** validates (400 COCKPIT_ERR_INVALID_SNAPSHOT naming the field, 404 no such screen), queues and renders */
  renderSnapshot(options: RenderSnapshotOptions): Promise<Snapshot>
  /**
   * The one-line summary of the screen's KPI cards and gauges, as the screen formats them
   * (`销售收入 ¥4,305（▲ 12.5%） · 毛利率 32.1%`); '' when it has none. Read with the server's rights.
   */
  summarize(screen: string, lang?: string): Promise<string>
  readonly renderer: SnapshotRenderer
}

declare module 'fastify' {
  interface FastifyInstance {
    snapshots: SnapshotService
  }
}

const CONTENT_TYPES: Record<SnapshotFormat, string> = { png: 'image/png', pdf: 'application/pdf' }

const invalid = (path: string, message: string) => new CockpitError('COCKPIT_ERR_INVALID_SNAPSHOT', `${path} ${message}`, [{ path, message }])

function localeOf(lang: string | undefined): Locale {
  if (lang === undefined || lang === 'zh' || lang === 'zh-CN') return 'zh-CN'
  if (lang === 'en') return 'en'
  throw invalid('lang', 'must be zh or en')
}

function dimension(value: number | undefined, name: 'width' | 'height', fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < min || value > max) throw invalid(name, `must be a whole number of pixels from ${min} to ${max}`)
  return value
}

export const reportsPlugin = fp(
  async (fastify) => {
    const { config } = fastify
    const baseUrl = (): string => {
      if (config.snapshots.baseUrl) return config.snapshots.baseUrl
      const address = fastify.server.address() as AddressInfo | string | null
      if (!address || typeof address === 'string') throw new CockpitError('COCKPIT_ERR_RENDER_FAILED', 'the server is not listening on a TCP port: set COCKPIT_SNAPSHOT_BASE_URL')
      const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address
      return `http://${host}:${address.port}`
    }
    const renderer = createSnapshotRenderer({ ...config.snapshots, baseUrl, log: fastify.log.child({ module: 'snapshots' }) })
    // before the HTTP server waits for in-flight requests: a render in progress would hold its request open until its time-out
    fastify.addHook('preClose', () => renderer.close())

    const ownToken = config.readingOpen ? undefined : (config.viewerToken ?? config.adminKey)

    const service: SnapshotService = {
      renderer,
      async summarize(id, lang) {
        const locale = localeOf(lang)
        const screen = await fastify.screens.get(id)
        if (!screen) throw new CockpitError('COCKPIT_ERR_SCREEN_NOT_FOUND', `no screen "${id}"`)
        const figures = await Promise.all(
          headlineFigures(screen, locale).map(async (f) => ({
            title: f.title,
            // a figure the engine refuses (or that times out) is left out of the line, not the whole report
            result: await fastify.queryEngine.run(fastify.queryEngine.parse(f.query)).catch((err: unknown) => {
              fastify.log.warn({ err, screen: id, widget: f.instance.id }, 'summary figure left out')
              return undefined
            }),
          })),
        )
        return summaryLine(figures, locale)
      },
      async renderSnapshot(o) {
        const locale = localeOf(o.lang)
        const format = o.format ?? 'png'
        const width = dimension(o.width, 'width', DEFAULT_SNAPSHOT_SIZE.width, SNAPSHOT_SIZE.minWidth, SNAPSHOT_SIZE.maxWidth)
        const height = dimension(o.height, 'height', DEFAULT_SNAPSHOT_SIZE.height, SNAPSHOT_SIZE.minHeight, SNAPSHOT_SIZE.maxHeight)
        const oversize = oversizeMessage(width, height)
        if (oversize) throw invalid('width', oversize)
        const screen = await fastify.screens.get(o.screen)
        if (!screen) throw new CockpitError('COCKPIT_ERR_SCREEN_NOT_FOUND', `no screen "${o.screen}"`)
        if (o.widget !== undefined && !screen.widgets.some((w) => w.id === o.widget)) {
          throw invalid('widget', `is not a widget of screen "${o.screen}" (it has ${screen.widgets.map((w) => w.id).join(', ') || 'none'})`)
        }
        const body = await renderer.render({
          screen: o.screen,
          widget: o.widget,
          width,
          height,
          locale,
          format,
          token: o.token ?? ownToken,
          widgets: o.widget !== undefined ? 1 : screen.widgets.length,
        })
        const stamp = fastify.aggregator.calendar.format(Date.now()).slice(0, 16).replace(/[-:]/g, '').replace('T', '-')
        return { body, contentType: CONTENT_TYPES[format], filename: `${o.screen}${o.widget ? `-${o.widget}` : ''}-${stamp}.${format}` }
      },
    }
    fastify.decorate('snapshots', service)
  },
  { name: 'reports', dependencies: ['screens', 'aggregate', 'query'] },
)

const ErrorBody = Type.Object({ error: Type.String(), message: Type.String(), errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))) })

/** The bearer token the caller presented, handed on to the page it asked to render. */
function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
  return match?.[1]
}

/** `GET /screens/:id/snapshot.png` and `.pdf` (under API_PREFIX). */
export async function reportsRoutes(fastify: FastifyInstance): Promise<void> {
  const reading = fastify.requireRole('viewer')
  const schema = (format: SnapshotFormat) => ({
    description: `The screen (or one widget of it) as ${format === 'png' ? 'a PNG image' : 'a one-page PDF'}, rendered now by headless Chromium (docs/reports.md#snapshots)`,
    params: Type.Object({ id: Type.String({ pattern: SCREEN_ID_PATTERN }) }),
    querystring: Type.Object({
      width: Type.Optional(Type.String({ description: `CSS px, ${SNAPSHOT_SIZE.minWidth}–${SNAPSHOT_SIZE.maxWidth} (default 1920)` })),
      height: Type.Optional(Type.String({ description: `CSS px, ${SNAPSHOT_SIZE.minHeight}–${SNAPSHOT_SIZE.maxHeight} (default 1080)` })),
      lang: Type.Optional(Type.String({ description: 'zh (default) or en' })),
      widget: Type.Optional(Type.String({ description: 'a widget instance id of the screen: only that widget' })),
    }),
    response: { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 500: ErrorBody, 501: ErrorBody, 503: ErrorBody, 504: ErrorBody },
  })
  const integer = (raw: string | undefined, name: 'width' | 'height'): number | undefined => {
    if (raw === undefined) return undefined
    if (!/^\d{1,5}$/.test(raw)) throw invalid(name, 'must be a whole number of pixels')
    return Number(raw)
  }
  for (const format of ['png', 'pdf'] as const) {
    fastify.get(`/screens/:id/snapshot.${format}`, { onRequest: reading, schema: schema(format) }, async (request, reply) => {
      const { id } = request.params as { id: string }
      const q = request.query as { width?: string; height?: string; lang?: string; widget?: string }
      try {
        const shot = await fastify.snapshots.renderSnapshot({
          screen: id,
          widget: q.widget,
          width: integer(q.width, 'width'),
          height: integer(q.height, 'height'),
          lang: q.lang,
          format,
          token: bearer(request),
        })
        return reply
          .header('Content-Type', shot.contentType)
          .header('Content-Disposition', `inline; filename="${shot.filename}"`)
          .header('Cache-Control', 'no-store')
          .send(shot.body)
      } catch (err) {
        if (err instanceof RenderBusyError) reply.header('Retry-After', String(err.retryAfterS))
        throw err
      }
    })
  }
}
