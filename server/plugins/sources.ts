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
import { COUNTERS } from '../sources/runner.ts'
import type { Counter, RunnerDeps } from '../sources/runner.ts'
import { MAPPINGS } from '../sources/registry.ts'
import { validateMasterRecords } from './master-data.ts'

/** A source no process has reported on for this long is `idle`: nobody runs it. */
const IDLE_AFTER_MS = 60_000

export type SourceState = 'running' | 'backfilling' | 'failing' | 'paused' | 'idle'

/** What GET /sources/:id reports about a source. */
export interface SourceStatus {
  state: SourceState
  /** the process running it (`host:pid:…`), when one does */
  holder: string | null
  counters: Record<Counter, number>
  /** now − the time up to which every ERP change is applied (the start of the last poll that caught up), or now − the newest ERP modification applied while behind */
  lagMs: number | null
  /** newest ERP modification time applied */
  newestAt: string | null
  /** start of the last poll that read every stream to its end */
  caughtUpAt: string | null
  lastError: { message: string; at: string } | null
  /** when the current streak of failures began (null while reads succeed): a wall marks what the source feeds stale after 60 s */
  failingSince: string | null
  /** consecutive failed attempts (0 while reads succeed) */
  failures: number
  backfill: { since: string | null; startedAt: string | null; rows: number; reachedAt: string | null; doneAt: string | null }
}

export interface Sources {
  readonly store: SourceStore
  /** the runners of this process; undefined when COCKPIT_SOURCES=off */
  readonly manager: SourceManager | undefined
  status(source: StoredSource): Promise<SourceStatus>
  /** what the runner of a process needs (npm run connect builds its own with the same parts) */
  readonly runnerDeps: RunnerDeps
}

declare module 'fastify' {
  interface FastifyInstance {
    sources: Sources
  }
}

const iso = (ms: string | undefined): string | null => (ms ? new Date(Number(ms)).toISOString() : null)

export function statusOf(source: StoredSource, st: Record<string, string>, now: number): SourceStatus {
  const heartbeat = Number(st.heartbeatAt ?? 0)
  const alive = now - heartbeat < IDLE_AFTER_MS
  let state: SourceState
  if (source.paused) state = 'paused'
  else if (!alive) state = 'idle'
  else state = (st.state as SourceState | undefined) ?? 'running'
  if (state === 'paused' && !source.paused) state = 'idle'
  const counters = Object.fromEntries(COUNTERS.map((c) => [c, Number(st[c] ?? 0)])) as Record<Counter, number>
  const caughtUp = st.caughtUpAt ? Number(st.caughtUpAt) : undefined
  const newest = st.newestAt ? Number(st.newestAt) : undefined
  const behind = state === 'backfilling' || caughtUp === undefined
  const lagFrom = behind ? newest : caughtUp
  return {
    state,
    holder: alive && st.holder ? st.holder : null,
    counters,
    lagMs: lagFrom === undefined ? null : Math.max(0, now - lagFrom),
    newestAt: iso(st.newestAt),
    caughtUpAt: iso(st.caughtUpAt),
    lastError: st.lastError ? { message: st.lastError, at: st.lastErrorAt ?? '' } : null,
    failingSince: st.failingSince || null,
    failures: Number(st.failures ?? 0),
    backfill: {
      since: source.backfill?.since ?? null,
      startedAt: iso(st.bfStartedAt),
      rows: Number(st.bfRows ?? 0),
      reachedAt: iso(st.newestAt),
      doneAt: iso(st.bfDoneAt),
    },
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
const Counters = Type.Object(Object.fromEntries(COUNTERS.map((c) => [c, Type.Integer()])) as Record<Counter, ReturnType<typeof Type.Integer>>)
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()])
const StatusSchema = Type.Object({
  state: Type.Union(['running', 'backfilling', 'failing', 'paused', 'idle'].map((s) => Type.Literal(s))),
  holder: Nullable(Type.String()),
  counters: Counters,
  lagMs: Type.Union([Type.Integer(), Type.Null()]),
  newestAt: Nullable(Type.String()),
  caughtUpAt: Nullable(Type.String()),
  lastError: Type.Union([Type.Object({ message: Type.String(), at: Type.String() }), Type.Null()]),
  failingSince: Nullable(Type.String()),
  failures: Type.Integer(),
  backfill: Type.Object({
    since: Nullable(Type.String()),
    startedAt: Nullable(Type.String()),
    rows: Type.Integer(),
    reachedAt: Nullable(Type.String()),
    doneAt: Nullable(Type.String()),
  }),
})
/** a definition as stored; additional properties are allowed here because the schema of the definition itself is the validator's job */
const StoredSchema = Type.Object({ id: Type.String(), kind: Type.String(), version: Type.Integer(), updatedAt: Type.String() }, { additionalProperties: true })
const SummarySchema = Type.Object({ source: StoredSchema, status: StatusSchema })
const RejectSchema = Type.Object({ stream: Type.String(), key: Type.String(), reason: Type.String(), at: Type.String() })
const DetailSchema = Type.Object({
  source: StoredSchema,
  status: StatusSchema,
  watermarks: Type.Record(Type.String(), Type.Object({ modified: Type.String(), key: Type.String() })),
  rejects: Type.Array(RejectSchema),
})

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
    { onRequest: reading, schema: { description: 'Every source with its status', response: { 200: Type.Array(SummarySchema), 401: ErrorBody, 403: ErrorBody, 503: ErrorBody } } },
    async () => {
      const list = await store.list()
      return Promise.all(list.map(async (source) => ({ source, status: await sources.status(source) })))
    },
  )

  fastify.get(
    '/sources/:id',
    {
      onRequest: reading,
      schema: {
        description: 'One source: definition, status, watermarks and latest rejected rows',
        params: IdParams,
        response: { 200: DetailSchema, 401: ErrorBody, 404: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string }
      const source = await mustGet(id)
      const [status, marks, rejects] = await Promise.all([sources.status(source), store.watermarks(id), store.rejects(id)])
      reply.header('ETag', `"${source.version}"`)
      return { source, status, watermarks: Object.fromEntries(marks), rejects: rejects satisfies RejectedRow[] }
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
