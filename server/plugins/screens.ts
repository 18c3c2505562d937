/**
 * Screens (docs/api.md "Screens"): layouts stored in Redis, versioned with optimistic concurrency
 * decided atomically by a Lua script, validated against protocol/screen.ts and every widget's
 * manifest, and announced to every socket of every process (`screenChanged`, through the
 * Socket.IO Redis adapter). The templates are served as they are, and stored as screens once
 * when a cockpit has none, so a fresh wall has something to show.
 */
import { readFileSync } from 'node:fs'
import type { FastifyInstance, FastifyReply } from 'fastify'
import fp from 'fastify-plugin'
import Type from 'typebox'
import { MAX_SCREENS, SCREEN_HISTORY_LENGTH, SCREEN_ID_PATTERN, ScreenDefinition } from '../../protocol/screen.ts'
import type { ScreenSummary, ScreenVersionSummary, StoredDraft, StoredScreen } from '../../protocol/screen.ts'
import { TEMPLATES } from '../../widgets/templates/index.ts'
import { CockpitError } from '../errors.ts'
import type { FieldError } from '../errors.ts'
import { checkScreenBody } from '../screens/validate.ts'
import type { DerivedQuery, ScreenIssue } from '../screens/validate.ts'
import { EMBED_SOCKETS_ROOM } from './realtime.ts'
import { screenDeleteCall, screenSaveCall, screensSeedCall } from '../redis/screen-scripts.ts'
import { limitReached } from '../redis/screen-scripts.ts'
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
  /** true when it existed (its history and draft go with it); announces the change */
  remove(id: string): Promise<boolean>
  /** the kept versions, newest first; undefined when there is no such screen */
  versions(id: string): Promise<ScreenVersionSummary[] | undefined>
  /** one kept version (the current one included) */
  version(id: string, version: number): Promise<StoredScreen | undefined>
  /** saves a kept version again as a new version on top of the current one; announces it (404 when not kept) */
  rollback(id: string, version: number): Promise<SaveResult>
  draft(id: string): Promise<StoredDraft | undefined>
  /** validates like save() and keeps the edit as the draft, without a new version nor an announcement */
  saveDraft(id: string, body: unknown): Promise<StoredDraft>
  /** true when there was a draft */
  discardDraft(id: string): Promise<boolean>
  /** saves the draft as the next version (on `version` when given, else on the version the draft started from) and drops it */
  publish(id: string, version?: number): Promise<SaveResult>
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
const VersionSummarySchema = Type.Object({ version: Type.Integer(), updatedAt: Type.String(), title: Type.String(), current: Type.Boolean() })
const StoredDraftSchema = Type.Object({ ...ScreenDefinition.properties, version: Type.Integer({ minimum: 0 }), updatedAt: Type.String() }, { additionalProperties: false })
// `current` with a stale version; without it, COCKPIT_ERR_LIMIT_REACHED (a new screen past MAX_SCREENS)
const ConflictBody = Type.Object({ error: Type.String(), message: Type.String(), current: Type.Optional(StoredScreenSchema) })
const IdParams = Type.Object({ id: Type.String({ pattern: SCREEN_ID_PATTERN, description: 'screen id (lowercase slug)' }) })

/** one entry of the history list (screen-save.lua) */
interface VersionEntry {
  version: number
  updatedAt: string
  title: string
  def: string
}
/** the draft key's JSON */
interface DraftEntry {
  def: ScreenDefinition
  baseVersion: number
  updatedAt: string
}

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

    /** the body checked in full (400 naming the widget and field), every derived query answerable */
    async function checked(id: string, body: unknown): Promise<{ screen: ScreenDefinition; baseVersion: number }> {
      const check = checkScreenBody(body, id, queryEngine.parse)
      if (!check.ok) throw invalidScreen(check.errors)
      const unanswerable = await dryRun(check.derived)
      if (unanswerable.length > 0) throw invalidScreen(unanswerable)
      return { screen: check.screen, baseVersion: check.baseVersion }
    }

    /** `draft`: the stored draft JSON this save publishes ('' = none) */
    async function save(id: string, body: unknown, draft: string): Promise<SaveResult> {
      const { screen, baseVersion } = await checked(id, body)
      const updatedAt = fastify.aggregator.calendar.format(Date.now())
      const def = JSON.stringify(screen)
      const reply = (await redis.eval(
        SAVE_LUA,
        ...screenSaveCall(keys, {
          baseVersion,
          definition: def,
          updatedAt,
          id,
          title: screen.title,
          kind: screen.kind ?? '',
          createdAt: Date.now(),
          keep: SCREEN_HISTORY_LENGTH,
          draft,
          max: MAX_SCREENS,
        }),
      )) as ScreenSaveReply
      if (reply[0] === 'full') throw limitReached('screens', reply[1])
      if (reply[0] === 'conflict') return { ok: false, current: stored(reply[2]!, reply[1]!, reply[3] ?? ''), baseVersion }
      const version = Number(reply[1])
      announce(id, version)
      return { ok: true, screen: { ...screen, version, updatedAt } }
    }

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
      save: (id, body) => save(id, body, ''),
      async remove(id) {
        const existed = (await redis.eval(DELETE_LUA, ...screenDeleteCall(keys, { id }))) === 1
        if (existed) announce(id, null)
        return existed
      },
      async versions(id) {
        const replies = (await redis.multi().hmget(keys.screen(id), 'version', 'updatedAt', 'title').lrange(keys.screenVersions(id), 0, -1).exec()) ?? []
        for (const [err] of replies) if (err) throw err
        const [version, updatedAt, title] = replies[0]![1] as (string | null)[]
        const entries = replies[1]![1] as string[]
        if (version == null) return undefined
        const currentVersion = Number(version)
        const rows: ScreenVersionSummary[] = entries.map((raw) => {
          const e = JSON.parse(raw) as VersionEntry
          return { version: e.version, updatedAt: e.updatedAt, title: e.title, current: e.version === currentVersion }
        })
        // screens stored before the history existed (the seeded templates too) have their current version only in the hash
        if (rows[0]?.version !== currentVersion) rows.unshift({ version: currentVersion, updatedAt: updatedAt ?? '', title: title ?? id, current: true })
        return rows.slice(0, SCREEN_HISTORY_LENGTH)
      },
      async version(id, version) {
        const current = await store.get(id)
        if (!current) return undefined
        if (current.version === version) return current
        for (const raw of await redis.lrange(keys.screenVersions(id), 0, -1)) {
          const e = JSON.parse(raw) as VersionEntry
          if (e.version === version) return stored(e.def, e.version, e.updatedAt)
        }
        return undefined
      },
      async rollback(id, version) {
        const current = await store.get(id)
        if (!current) throw new CockpitError('COCKPIT_ERR_SCREEN_NOT_FOUND', `no screen "${id}"`)
        const old = await store.version(id, version)
        if (!old) {
          throw new CockpitError('COCKPIT_ERR_VERSION_NOT_FOUND', `screen "${id}" has no version ${version} (the last ${SCREEN_HISTORY_LENGTH} are kept)`, [
            { path: '/version', message: `no version ${version} of screen "${id}" is kept` },
          ])
        }
        const { version: _old, updatedAt: _at, ...definition } = old
        return save(id, { ...definition, version: current.version }, '')
      },
      async draft(id) {
        const raw = await redis.get(keys.screenDraft(id))
        if (raw == null) return undefined
        const d = JSON.parse(raw) as DraftEntry
        return { ...d.def, version: d.baseVersion, updatedAt: d.updatedAt }
      },
      async saveDraft(id, body) {
        const { screen, baseVersion } = await checked(id, body)
        const updatedAt = fastify.aggregator.calendar.format(Date.now())
        const entry: DraftEntry = { def: screen, baseVersion, updatedAt }
        await redis.set(keys.screenDraft(id), JSON.stringify(entry))
        return { ...screen, version: baseVersion, updatedAt }
      },
      async discardDraft(id) {
        return (await redis.del(keys.screenDraft(id))) === 1
      },
      async publish(id, version) {
        const raw = await redis.get(keys.screenDraft(id))
        if (raw == null) throw new CockpitError('COCKPIT_ERR_DRAFT_NOT_FOUND', `screen "${id}" has no draft to publish`)
        const d = JSON.parse(raw) as DraftEntry
        return save(id, { ...d.def, version: version ?? d.baseVersion }, raw)
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

/** The `version` of a publish body: none, or a whole number ≥ 0 (a 400 naming the field otherwise). */
function publishVersion(body: unknown): number | undefined {
  if (body === undefined || body === null || body === '') return undefined
  const bad = (path: string, message: string) => new CockpitError('COCKPIT_ERR_INVALID_SCREEN', `invalid publish request: ${path} ${message}`, [{ path, message }])
  if (typeof body !== 'object' || Array.isArray(body)) throw bad('/', 'must be an object like {"version": 3}')
  const { version, ...rest } = body as Record<string, unknown>
  const unknown = Object.keys(rest)[0]
  if (unknown !== undefined) throw bad(`/${unknown}`, 'is not a field of a publish request (only version)')
  if (version === undefined) return undefined
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) throw bad('/version', 'must be a whole number ≥ 0')
  return version
}

/** The saved screen, or 409 with the screen as it stands and what to do. */
function answer(id: string, result: SaveResult, reply: FastifyReply): StoredScreen | FastifyReply {
  if (result.ok) return result.screen
  const { current, baseVersion } = result
  const message =
    baseVersion === 0
      ? `screen "${id}" already exists (version ${current.version}): choose another id, or resend with version ${current.version} to replace it`
      : `screen "${id}" is at version ${current.version}, the edit was based on version ${baseVersion}: reload it, or resend with version ${current.version} to overwrite`
  return reply.status(409).send({ error: 'COCKPIT_ERR_SCREEN_CONFLICT', message, current })
}

/** `/screens` (list, read, save, delete, history, draft) and `/templates` (under API_PREFIX). */
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
      return answer(id, await screens.save(id, request.body), reply)
    },
  )

  fastify.get(
    '/screens/:id/versions',
    {
      onRequest: admin,
      schema: {
        description: `The kept versions of a screen (the last ${SCREEN_HISTORY_LENGTH}), newest first`,
        params: IdParams,
        response: { 200: Type.Array(VersionSummarySchema), 401: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string }
      const versions = await screens.versions(id)
      if (!versions) throw new CockpitError('COCKPIT_ERR_SCREEN_NOT_FOUND', `no screen "${id}"`)
      return versions
    },
  )

  fastify.get(
    '/screens/:id/versions/:version',
    {
      onRequest: admin,
      schema: {
        description: 'One kept version of a screen, to preview it',
        params: Type.Object({ ...IdParams.properties, version: Type.Integer({ minimum: 1, description: 'a version number' }) }),
        response: { 200: StoredScreenSchema, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const { id, version } = request.params as { id: string; version: number }
      const screen = await screens.version(id, version)
      if (!screen) {
        if (!(await screens.get(id))) throw new CockpitError('COCKPIT_ERR_SCREEN_NOT_FOUND', `no screen "${id}"`)
        throw new CockpitError('COCKPIT_ERR_VERSION_NOT_FOUND', `screen "${id}" has no version ${version} (the last ${SCREEN_HISTORY_LENGTH} are kept)`)
      }
      return screen
    },
  )

  fastify.post(
    '/screens/:id/rollback',
    {
      onRequest: admin,
      schema: {
        description: 'Save a kept version again as the newest version (walls show it at once)',
        params: IdParams,
        body: Type.Object({ version: Type.Integer({ minimum: 1, description: 'the kept version to go back to' }) }, { additionalProperties: false }),
        response: { 200: StoredScreenSchema, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ConflictBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string }
      const { version } = request.body as { version: number }
      return answer(id, await screens.rollback(id, version), reply)
    },
  )

  fastify.get(
    '/screens/:id/draft',
    {
      onRequest: admin,
      schema: { description: "The screen's draft", params: IdParams, response: { 200: StoredDraftSchema, 401: ErrorBody, 404: ErrorBody, 503: ErrorBody } },
    },
    async (request) => {
      const { id } = request.params as { id: string }
      const draft = await screens.draft(id)
      if (!draft) throw new CockpitError('COCKPIT_ERR_DRAFT_NOT_FOUND', `screen "${id}" has no draft`)
      return draft
    },
  )

  fastify.put(
    '/screens/:id/draft',
    {
      onRequest: admin,
      bodyLimit: SCREEN_BODY_LIMIT,
      schema: {
        description: 'Keep an edit as the draft: validated like PUT /screens/:id, walls go on showing the published version until publish',
        params: IdParams,
        body: Type.Unknown({ description: 'ScreenDefinition + `version`: the published version the draft starts from (0 or absent: a new screen)' }),
        response: { 200: StoredDraftSchema, 400: ErrorBody, 401: ErrorBody, 413: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string }
      return screens.saveDraft(id, request.body)
    },
  )

  fastify.delete(
    '/screens/:id/draft',
    { onRequest: admin, schema: { params: IdParams, response: { 204: Type.Null(), 401: ErrorBody, 404: ErrorBody, 503: ErrorBody } } },
    async (request, reply) => {
      const { id } = request.params as { id: string }
      if (!(await screens.discardDraft(id))) throw new CockpitError('COCKPIT_ERR_DRAFT_NOT_FOUND', `screen "${id}" has no draft`)
      return reply.status(204).send()
    },
  )

  fastify.post(
    '/screens/:id/publish',
    {
      onRequest: admin,
      schema: {
        description: 'Publish the draft as the next version (walls show it at once); 409 when the screen moved on since the draft started, unless `version` names the current one',
        params: IdParams,
        // optional: a POST without a body publishes on the version the draft started from
        body: Type.Unknown({ description: '{"version"?: n}: publish on this version instead of the one the draft started from' }),
        response: { 200: StoredScreenSchema, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ConflictBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string }
      return answer(id, await screens.publish(id, publishVersion(request.body)), reply)
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
