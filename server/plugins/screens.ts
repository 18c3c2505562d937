/**
 * Screens (docs/api.md "Screens"): layouts stored in Redis, versioned with optimistic concurrency
 * decided atomically by a Lua script, validated against protocol/screen.ts and every widget's
 * manifest, and announced to every socket of every process (`screenChanged`, through the
 * Socket.IO Redis adapter). The templates are served as they are, and stored as screens once
 * when a cockpit has none, so a fresh wall has something to show.
 */
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import Type from 'typebox'
import { SCREEN_ID_PATTERN, ScreenDefinition } from '../../protocol/screen.ts'
import type { ScreenSummary, StoredScreen } from '../../protocol/screen.ts'
import { TEMPLATES } from '../../widgets/templates/index.ts'
import { CockpitError } from '../errors.ts'
import type { FieldError } from '../errors.ts'
import { checkScreenBody } from '../screens/validate.ts'
import type { DerivedQuery, ScreenIssue } from '../screens/validate.ts'
import { EMBED_SOCKETS_ROOM } from './realtime.ts'
import { screenDeleteCall, screenSaveCall, screensSeedCall } from '../redis/screen-scripts.ts'
import type { ScreenSaveReply } from '../redis/screen-scripts.ts'

const script = (name: string) => readFileSync(new URL(`../redis/scripts/${name}.lua`, import.meta.url), 'utf8')
const SAVE_LUA = script('screen-save')
const DELETE_LUA = script('screen-delete')
const SEED_LUA = script('screens-seed')

/** Largest screen body accepted (60 widgets with generous options fit in a few dozen KB). */
const SCREEN_BODY_LIMIT = 1024 * 1024

export type SaveResult = { ok: true; screen: StoredScreen } | { ok: false; current: StoredScreen; baseVersion: number }

export interface ScreenStore {
  list(): Promise<ScreenSummary[]>
  get(id: string): Promise<StoredScreen | undefined>
  /** validates (400 COCKPIT_ERR_INVALID_SCREEN) and saves when `version` matches; announces the change */
  save(id: string, body: unknown): Promise<SaveResult>
  /** true when it existed; announces the change */
  remove(id: string): Promise<boolean>
  /** stores the templates as screens when the cockpit never had any; returns the ids stored */
  seed(): Promise<string[]>
  /** true once seed() has run since Redis last came up: a fresh cockpit lists its templates (/readyz waits for it) */
  readonly seeded: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    screens: ScreenStore
  }
}

const FieldIssue = Type.Object({ path: Type.String(), message: Type.String(), widget: Type.Optional(Type.String()) })
export const StoredScreenSchema = Type.Object({ ...ScreenDefinition.properties, version: Type.Integer({ minimum: 1 }), updatedAt: Type.String() }, { additionalProperties: false })
const ScreenSummarySchema = Type.Object({
  id: Type.String(),
  title: Type.String(),
  version: Type.Integer(),
  updatedAt: Type.String(),
  kind: Type.Optional(Type.String()),
})
const ErrorBody = Type.Object({ error: Type.String(), message: Type.String(), errors: Type.Optional(Type.Array(FieldIssue)) })
const ConflictBody = Type.Object({ error: Type.String(), message: Type.String(), current: StoredScreenSchema })
const IdParams = Type.Object({ id: Type.String({ pattern: SCREEN_ID_PATTERN, description: 'screen id (lowercase slug)' }) })

function stored(def: string, version: string | number, updatedAt: string): StoredScreen {
  return { ...(JSON.parse(def) as ScreenDefinition), version: Number(version), updatedAt }
}

function invalidScreen(issues: ScreenIssue[]): CockpitError {
  const first = issues[0]!
  const where = first.widget ? `widget "${first.widget}" ` : ''
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''
  return new CockpitError('COCKPIT_ERR_INVALID_SCREEN', `invalid screen: ${where}${first.path} ${first.message}${more}`, issues as FieldError[])
}

export const screensPlugin = fp(
  async (fastify) => {
    const { redis, keys, queryEngine } = fastify

    /** a widget whose query the engine refuses for one of these makes the screen invalid (a 400 naming the widget) */
    const SCREEN_QUERY_ERRORS = new Set(['COCKPIT_ERR_UNSUPPORTED_QUERY', 'COCKPIT_ERR_INVALID_QUERY', 'COCKPIT_ERR_QUERY_TOO_COSTLY'])

    /** Runs each distinct derived query once: what the engine cannot answer makes the screen invalid. */
    async function dryRun(derived: DerivedQuery[]): Promise<ScreenIssue[]> {
      const byKey = new Map<string, DerivedQuery[]>()
      for (const d of derived) {
        const key = queryEngine.key(d.query)
        byKey.set(key, [...(byKey.get(key) ?? []), d])
      }
      const issues: ScreenIssue[] = []
      await Promise.all(
        [...byKey.values()].map(async (users) => {
          try {
            await queryEngine.run(users[0]!.query)
          } catch (err) {
            if (!(err instanceof CockpitError) || !SCREEN_QUERY_ERRORS.has(err.code)) throw err
            for (const d of users)
              issues.push({ path: `/widgets/${d.index}/options`, widget: d.instance, message: `derives a query the cockpit cannot answer ("${d.name}"): ${err.message}` })
          }
        }),
      )
      return issues.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    }

    // not to embed sockets: an embed token shows one widget, not screens
    const announce = (id: string, version: number | null) => fastify.io.except(EMBED_SOCKETS_ROOM).emit('screenChanged', { id, version })

    let seeded = false
    const store: ScreenStore = {
      get seeded() {
        return seeded
      },
      async list() {
        const ids = await redis.zrange(keys.screenIndex, '0', '-1')
        if (ids.length === 0) return []
        const pipe = redis.pipeline()
        for (const id of ids) pipe.hmget(keys.screen(id), 'version', 'updatedAt', 'title', 'kind')
        const rows = (await pipe.exec()) ?? []
        const out: ScreenSummary[] = []
        ids.forEach((id, i) => {
          const [err, fields] = rows[i] ?? [new Error('missing reply'), null]
          if (err) throw err
          const [version, updatedAt, title, kind] = fields as (string | null)[]
          if (version === null || version === undefined) return // deleted meanwhile
          out.push({ id, title: title ?? id, version: Number(version), updatedAt: updatedAt ?? '', ...(kind ? { kind } : {}) })
        })
        return out
      },
      async get(id) {
        const [def, version, updatedAt] = await redis.hmget(keys.screen(id), 'def', 'version', 'updatedAt')
        if (def == null || version == null) return undefined
        return stored(def, version, updatedAt ?? '')
      },
      async save(id, body) {
        const check = checkScreenBody(body, id, queryEngine.parse)
        if (!check.ok) throw invalidScreen(check.errors)
        const unanswerable = await dryRun(check.derived)
        if (unanswerable.length > 0) throw invalidScreen(unanswerable)
        const { screen, baseVersion } = check
        const updatedAt = fastify.aggregator.calendar.format(Date.now())
        const def = JSON.stringify(screen)
        const reply = (await redis.eval(
          SAVE_LUA,
          ...screenSaveCall(keys, { baseVersion, definition: def, updatedAt, id, title: screen.title, kind: screen.kind ?? '', createdAt: Date.now() }),
        )) as ScreenSaveReply
        if (reply[0] === 'conflict') return { ok: false, current: stored(reply[2]!, reply[1]!, reply[3] ?? ''), baseVersion }
        const version = Number(reply[1])
        announce(id, version)
        return { ok: true, screen: { ...screen, version, updatedAt } }
      },
      async remove(id) {
        const existed = (await redis.eval(DELETE_LUA, ...screenDeleteCall(keys, { id }))) === 1
        if (existed) announce(id, null)
        return existed
      },
      async seed() {
        const ready: ScreenDefinition[] = []
        for (const template of TEMPLATES) {
          const check = checkScreenBody(template, template.id, queryEngine.parse)
          if (check.ok) ready.push(check.screen)
          else fastify.log.error({ template: template.id, errors: check.errors }, 'template is not a valid screen; not stored')
        }
        const updatedAt = fastify.aggregator.calendar.format(Date.now())
        const templates = ready.map((s) => ({ id: s.id, definition: JSON.stringify(s), title: s.title, kind: s.kind ?? '' }))
        const ids = (await redis.eval(SEED_LUA, ...screensSeedCall(keys, { updatedAt, baseScore: Date.now() }, templates))) as string[]
        for (const id of ids) announce(id, 1)
        if (ids.length > 0) fastify.log.info({ screens: ids }, 'stored the template screens (first start of this cockpit)')
        return ids
      },
    }
    fastify.decorate('screens', store)

    // seed on the first connection to Redis (the server may start before Redis is up); again
    // after a reconnection, as a Redis restarted empty has neither the templates nor the flag
    const seedQuietly = () =>
      store.seed().then(
        () => {
          seeded = true
        },
        (err: unknown) => fastify.log.warn({ err }, 'template seeding failed; retried on reconnect'),
      )
    fastify.redisState.on('change', (up) => {
      seeded = false
      if (up) void seedQuietly()
    })
    if (fastify.redisState.up) await seedQuietly()
  },
  { name: 'screens', dependencies: ['redis', 'aggregate', 'query', 'realtime'] },
)

/** `/screens` (list, read, save, delete) and `/templates` (under API_PREFIX). */
export async function screensRoutes(fastify: FastifyInstance): Promise<void> {
  const { screens } = fastify
  const reading = fastify.requireRole('viewer')
  const admin = fastify.requireRole('admin')

  fastify.get(
    '/screens',
    {
      onRequest: reading,
      schema: { description: 'Stored screens, oldest first', response: { 200: Type.Array(ScreenSummarySchema), 401: ErrorBody, 403: ErrorBody, 503: ErrorBody } },
    },
    async () => screens.list(),
  )

  fastify.get(
    '/screens/:id',
    {
      onRequest: reading,
      schema: {
        description: 'One stored screen; ?download=1 serves it as a file to import elsewhere',
        params: IdParams,
        querystring: Type.Object({ download: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('true'), Type.Literal('0'), Type.Literal('false')])) }),
        response: { 200: StoredScreenSchema, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string }
      const { download } = request.query as { download?: string }
      const screen = await screens.get(id)
      if (!screen) throw new CockpitError('COCKPIT_ERR_SCREEN_NOT_FOUND', `no screen "${id}"`)
      if (download === '1' || download === 'true') reply.header('Content-Disposition', `attachment; filename="${id}.screen.json"`)
      return screen
    },
  )

  fastify.put(
    '/screens/:id',
    {
      onRequest: admin,
      bodyLimit: SCREEN_BODY_LIMIT,
      schema: {
        description: 'Create or replace a screen: body = screen definition + `version` it was based on (0 or absent: create). Validated in full (docs/api.md#screens)',
        params: IdParams,
        body: Type.Unknown({ description: 'ScreenDefinition + version (an exported file is accepted unchanged)' }),
        response: { 200: StoredScreenSchema, 400: ErrorBody, 401: ErrorBody, 409: ConflictBody, 413: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string }
      const result = await screens.save(id, request.body)
      if (result.ok) return result.screen
      const { current, baseVersion } = result
      const message =
        baseVersion === 0
          ? `screen "${id}" already exists (version ${current.version}): choose another id, or resend with version ${current.version} to replace it`
          : `screen "${id}" is at version ${current.version}, the edit was based on version ${baseVersion}: reload it, or resend with version ${current.version} to overwrite`
      return reply.status(409).send({ error: 'COCKPIT_ERR_SCREEN_CONFLICT', message, current })
    },
  )

  fastify.delete(
    '/screens/:id',
    {
      onRequest: admin,
      schema: { params: IdParams, response: { 204: Type.Null(), 401: ErrorBody, 404: ErrorBody, 503: ErrorBody } },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string }
      if (!(await screens.remove(id))) throw new CockpitError('COCKPIT_ERR_SCREEN_NOT_FOUND', `no screen "${id}"`)
      return reply.status(204).send()
    },
  )

  fastify.get(
    '/templates',
    {
      onRequest: reading,
      schema: { description: 'The ready template screens (manufacturing, retail, e-commerce)', response: { 200: Type.Array(ScreenDefinition), 401: ErrorBody } },
    },
    async () => TEMPLATES,
  )
}
