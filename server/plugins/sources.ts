/**
 * Database sources (docs/connectors.md, docs/api.md "Sources"): their definitions in Redis
 * (declared in COCKPIT_SOURCES_FILE or through the API), their runners in this process when
 * COCKPIT_SOURCES is on (server/sources/manager.ts), and what each reports: state, counters, lag,
 * last error, backfill progress and the latest rejected rows.
 */
import { readFile } from 'node:fs/promises'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import Type from 'typebox'
import { DATE_PATTERN } from '../../protocol/movement.ts'
import { CockpitError } from '../errors.ts'
import { SOURCE_ID_PATTERN, parseSource, parseSourcesFile } from '../sources/config.ts'
import type { SourceDefinition, StoredSource } from '../sources/config.ts'
import { createSourceStore, sourceNotFound } from '../sources/store.ts'
import type { RejectedRow, SourceStore } from '../sources/store.ts'
import { createSourceManager, holderId } from '../sources/manager.ts'
import type { SourceManager } from '../sources/manager.ts'
import type { RunnerDeps } from '../sources/runner.ts'
import { statusOf } from '../sources/status.ts'
import { SourceDetailSchema, SourceSummarySchema, publicSourceView } from '../../protocol/sources.ts'
import type { SourceStatus, SourceView } from '../../protocol/sources.ts'
import { scopeOf } from '../auth/scope.ts'
import type { Principal } from '../auth/scope.ts'
import { MAPPINGS } from '../sources/registry.ts'
import { validateMasterRecords } from './master-data.ts'

export type { SourceState, SourceStatus } from '../../protocol/sources.ts'
export { statusOf } from '../sources/status.ts'

export interface Sources {
  readonly store: SourceStore
  /** the runners of this process; undefined when COCKPIT_SOURCES=off */
  readonly manager: SourceManager | undefined
  status(source: StoredSource): Promise<SourceStatus>
  /** every source with its status, in the order of the index */
  list(): Promise<{ source: StoredSource; status: SourceStatus }[]>
  /** what the runner of a process needs (npm run connect builds its own with the same parts) */
  readonly runnerDeps: RunnerDeps
}

declare module 'fastify' {
  interface FastifyInstance {
    sources: Sources
  }
}

export const sourcesPlugin = fp(
  async (fastify) => {
    const { redis, keys, config, aggregator, masterData } = fastify
    const store = createSourceStore(redis, keys)
    const runnerDeps: RunnerDeps = {
      redis,
      keys,
      store,
      apply: (movements) => aggregator.apply(movements),
      upsertMaster: (kind, records) => masterData.upsert(kind, records),
      checkMaster: validateMasterRecords,
      timeZone: config.timeZone,
      currency: config.currency,
      env: process.env,
      log: fastify.log,
      mappings: MAPPINGS,
      holder: holderId(),
    }

    /** COCKPIT_SOURCES_FILE: each declared source is stored when it differs from the stored one (the file wins at start). */
    async function declare(defs: SourceDefinition[]): Promise<void> {
      for (const def of defs) {
        const current = await store.get(def.id)
        if (current) {
          const { version: _v, updatedAt: _u, ...stored } = current
          if (JSON.stringify(stored) === JSON.stringify(def)) continue
        }
        await store.save(def, undefined)
        fastify.log.info({ source: def.id, kind: def.kind }, 'source declared from COCKPIT_SOURCES_FILE')
      }
    }

    let manager: SourceManager | undefined
    const sources: Sources = {
      store,
      get manager() {
        return manager
      },
      runnerDeps,
      async status(source) {
        return statusOf(source, await store.status(source.id), Date.now())
      },
      async list() {
        const list = await store.list()
        if (list.length === 0) return []
        const pipe = redis.pipeline()
        for (const s of list) pipe.hgetall(keys.sourceStatus(s.id))
        const replies = (await pipe.exec()) ?? []
        const now = Date.now()
        return list.map((source, i) => {
          const [err, st] = replies[i] ?? [new Error('missing reply'), null]
          if (err) throw err
          return { source, status: statusOf(source, (st ?? {}) as Record<string, string>, now) }
        })
      },
    }
    fastify.decorate('sources', sources)

    // a bad file stops the start (like a bad variable): a source silently missing would look like an idle ERP
    if (config.sources.file) {
      const defs = parseSourcesFile(await readFile(config.sources.file, 'utf8'), config.sources.file)
      // again after a reconnection: a Redis that restarted empty has lost them
      fastify.redisState.on('change', (up) => {
        if (up) declare(defs).catch((err: unknown) => fastify.log.error({ err }, 'COCKPIT_SOURCES_FILE not stored; stored at the next reconnection'))
      })
      if (fastify.redisState.up) await declare(defs)
    }
    if (config.sources.run) {
      fastify.addHook('onReady', async () => {
        manager = createSourceManager(runnerDeps)
      })
      fastify.addHook('preClose', async () => {
        await manager?.stop()
      })
    }
  },
  { name: 'sources', dependencies: ['redis', 'aggregate', 'master-data'] },
)

const FieldIssue = Type.Object({ path: Type.String(), message: Type.String() })
const ErrorBody = Type.Object({ error: Type.String(), message: Type.String(), errors: Type.Optional(Type.Array(FieldIssue)) })
const IdParams = Type.Object({ id: Type.String({ pattern: SOURCE_ID_PATTERN, description: 'source id (lowercase slug)' }) })
/** a definition as stored: the admin sees every field (the schema of the definition itself is the validator's job) */
const StoredSchema = Type.Object({ id: Type.String(), kind: Type.String(), version: Type.Integer(), updatedAt: Type.String() }, { additionalProperties: true })

/**
 * What a reader may see of a source (docs/api.md "Sources"): the admin key (or the editor's
 * session) gets the definition whole; anyone else its id, kind, title, paused and backfill date —
 * not `connectionEnv` (which variable holds a database URL), the mapping or the schedule.
 */
function viewFor(principal: Principal | null, source: StoredSource): SourceView {
  return principal?.kind === 'admin' ? source : publicSourceView(source)
}

/** A scoped token's reader sees statuses, not rows: a rejected row or a watermark key may name what its scope hides. */
const seesRows = (principal: Principal | null): boolean => principal === null || scopeOf(principal) === undefined

/** the version an edit is based on: If-Match (`"3"`, `3`, `W/"3"`) over the body's `version`; 0 (create) when neither */
function baseVersion(ifMatch: string | undefined, body: unknown): number {
  if (ifMatch !== undefined) {
    const m = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(ifMatch)
    if (!m)
      throw new CockpitError('COCKPIT_ERR_INVALID_SOURCE', 'If-Match must be the version the edit is based on, e.g. "3"', [
        { path: 'If-Match', message: 'must be a version number' },
      ])
    return Number(m[1])
  }
  const v = body !== null && typeof body === 'object' ? (body as { version?: unknown }).version : undefined
  if (v === undefined) return 0
  if (!Number.isInteger(v) || (v as number) < 0)
    throw new CockpitError('COCKPIT_ERR_INVALID_SOURCE', 'invalid source: /version must be an integer ≥ 0', [{ path: '/version', message: 'must be an integer ≥ 0' }])
  return v as number
}

/** `/sources` (under API_PREFIX): list, read, declare, delete, pause, resume, re-sync. */
export async function sourcesRoutes(fastify: FastifyInstance): Promise<void> {
  const { sources } = fastify
  const { store } = sources
  const reading = fastify.requireRole('viewer')
  const admin = fastify.requireRole('admin')

  async function mustGet(id: string): Promise<StoredSource> {
    const s = await store.get(id)
    if (!s) throw sourceNotFound(id)
    return s
  }

  /** applies `change` to the stored definition, retrying when another edit came first */
  async function edit(id: string, change: (def: SourceDefinition) => SourceDefinition, resync = false): Promise<StoredSource> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const { version, updatedAt: _u, ...def } = await mustGet(id)
      const out = await store.save(change(def), version, { resync })
      if (out.ok) {
        void sources.manager?.scan()
        return out.source
      }
    }
    throw new CockpitError('COCKPIT_ERR_SOURCE_CONFLICT', `source "${id}" keeps changing; try again`)
  }

  fastify.get(
    '/sources',
    {
      onRequest: reading,
      schema: { description: 'Every source with its status', response: { 200: Type.Array(SourceSummarySchema), 401: ErrorBody, 403: ErrorBody, 503: ErrorBody } },
    },
    async (request) => {
      const list = await sources.list()
      return list.map(({ source, status }) => ({ source: viewFor(request.principal, source), status }))
    },
  )

  fastify.get(
    '/sources/:id',
    {
      onRequest: reading,
      schema: {
        description: 'One source: definition, status, watermarks and latest rejected rows',
        params: IdParams,
        response: { 200: SourceDetailSchema, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string }
      const source = await mustGet(id)
      const rows = seesRows(request.principal)
      const [status, marks, rejects] = await Promise.all([sources.status(source), rows ? store.watermarks(id) : undefined, rows ? store.rejects(id) : undefined])
      reply.header('ETag', `"${source.version}"`)
      const view = viewFor(request.principal, source)
      return marks && rejects ? { source: view, status, watermarks: Object.fromEntries(marks), rejects: rejects satisfies RejectedRow[] } : { source: view, status }
    },
  )

  fastify.put(
    '/sources/:id',
    {
      onRequest: admin,
      bodyLimit: 64 * 1024,
      schema: {
        description: 'Declare or replace a source: body = definition (+ `version` it is based on, or If-Match; 0 or absent: create)',
        params: IdParams,
        body: Type.Unknown(),
        response: {
          200: StoredSchema,
          400: ErrorBody,
          401: ErrorBody,
          409: Type.Object({ error: Type.String(), message: Type.String(), current: Type.Integer() }),
          503: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string }
      const base = baseVersion(request.headers['if-match'], request.body)
      const def = parseSource(request.body, id)
      const out = await store.save(def, base)
      if (!out.ok) {
        const message =
          base === 0
            ? `source "${id}" already exists (version ${out.current}): resend with version ${out.current} (or If-Match: "${out.current}") to replace it`
            : `source "${id}" is at version ${out.current}, the edit was based on version ${base}: reload it, or resend with version ${out.current}`
        return reply.status(409).send({ error: 'COCKPIT_ERR_SOURCE_CONFLICT', message, current: out.current })
      }
      void sources.manager?.scan()
      reply.header('ETag', `"${out.source.version}"`)
      return out.source
    },
  )

  fastify.delete(
    '/sources/:id',
    { onRequest: admin, schema: { params: IdParams, response: { 204: Type.Null(), 401: ErrorBody, 404: ErrorBody, 503: ErrorBody } } },
    async (request, reply) => {
      const { id } = request.params as { id: string }
      if (!(await store.remove(id))) throw sourceNotFound(id)
      return reply.status(204).send()
    },
  )

  for (const action of ['pause', 'resume'] as const) {
    fastify.post(
      `/sources/:id/${action}`,
      { onRequest: admin, schema: { params: IdParams, response: { 200: StoredSchema, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody } } },
      async (request) => {
        const { id } = request.params as { id: string }
        return edit(id, (def) => ({ ...def, paused: action === 'pause' }))
      },
    )
  }

  fastify.post(
    '/sources/:id/resync',
    {
      onRequest: admin,
      schema: {
        description: 'Read the source again from `since` (YYYY-MM-DD): its watermarks are reset; movements already applied come back as duplicates',
        params: IdParams,
        body: Type.Object({ since: Type.String({ pattern: DATE_PATTERN }) }, { additionalProperties: false }),
        response: { 200: StoredSchema, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string }
      const { since } = request.body as { since: string }
      return edit(id, (def) => parseSource({ ...def, backfill: { ...def.backfill, since } }, id), true)
    },
  )
}
