/**
 * Master data (SKUs, warehouses, partners; names of categories, regions and channels): stored in
 * Redis hashes (code → JSON), cached in each process for display names, alert thresholds and the
 * dimensions movements leave out. A write publishes a change notice; every process then reloads
 * its cache.
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import Type from 'typebox'
import { Compile } from 'typebox/compile'
import type { Validator } from 'typebox/compile'
import { schemaErrorMessage } from '../../protocol/codes.ts'
import { DIMENSION_KINDS, MASTER_KINDS, MASTER_SCHEMAS, MAX_MASTER_BATCH } from '../../protocol/master.ts'
import type { MasterKind, MasterRecord, Partner, Sku, Warehouse } from '../../protocol/master.ts'
import { METRIC_NAMES } from '../../protocol/metrics.ts'
import type { DimensionSource } from '../aggregate/fold.ts'
import type { MasterLookup } from '../domain/master-lookup.ts'
import { CockpitError } from '../errors.ts'
import type { FieldError } from '../errors.ts'
import { hasScope, masterInScope, scopeOf } from '../auth/scope.ts'

export interface MasterData extends DimensionSource, MasterLookup {
  partner(code: string): Partner | undefined
  list<K extends MasterKind>(kind: K): Promise<unknown[]>
  upsert(kind: MasterKind, records: unknown[]): Promise<number>
  /** reload the cache from Redis */
  reload(): Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    masterData: MasterData
  }
}

const validators = Object.fromEntries(MASTER_KINDS.map((k) => [k, Compile(MASTER_SCHEMAS[k])])) as unknown as Record<MasterKind, Validator>

export function validateMasterRecords(kind: MasterKind, records: unknown[]): { index: number; code: string | null; errors: FieldError[] }[] {
  const bad: { index: number; code: string | null; errors: FieldError[] }[] = []
  const v = validators[kind]
  records.forEach((r, index) => {
    if (v.Check(r)) return
    const code = r !== null && typeof r === 'object' && typeof (r as { code?: unknown }).code === 'string' ? (r as { code: string }).code : null
    bad.push({
      index,
      code,
      errors: v
        .Errors(r)
        .filter((e) => e.keyword !== 'boolean')
        .map((e) => ({ path: e.instancePath || '/', message: schemaErrorMessage(e) })),
    })
  })
  return bad
}

export const masterDataPlugin = fp(
  async (fastify) => {
    const { redis, keys, changes } = fastify
    type Cache = { [K in MasterKind]: Map<string, MasterRecord<K>> }
    const empty = (): Cache => Object.fromEntries(MASTER_KINDS.map((k) => [k, new Map()])) as unknown as Cache
    let cache = empty()

    async function readAll<T>(kind: MasterKind): Promise<Map<string, T>> {
      const raw = await redis.hgetall(keys.master(kind))
      return new Map(Object.entries(raw).map(([code, json]) => [code, JSON.parse(json) as T]))
    }

    const service: MasterData = {
      sku: (code) => cache.skus.get(code),
      warehouse: (code) => cache.warehouses.get(code),
      partner: (code) => cache.partners.get(code),
      categoryOf: (sku) => cache.skus.get(sku)?.category,
      regionOf: (wh) => cache.warehouses.get(wh)?.region,
      termsOf: (partner) => cache.partners.get(partner)?.paymentTermsDays,
      isInternal: (partner) => cache.partners.get(partner)?.kind === 'internal',
      names(dim, code) {
        const kind = Object.hasOwn(DIMENSION_KINDS, dim) ? DIMENSION_KINDS[dim as keyof typeof DIMENSION_KINDS] : undefined
        const record = kind ? cache[kind].get(code) : undefined
        if (!record) return undefined
        return record.nameEn === undefined ? { name: record.name } : { name: record.name, nameEn: record.nameEn }
      },
      async list(kind) {
        return [...(await readAll<unknown>(kind)).values()]
      },
      async upsert(kind, records) {
        const bad = validateMasterRecords(kind, records)
        if (bad.length > 0) {
          throw new CockpitError(
            'COCKPIT_ERR_INVALID_MASTER_DATA',
            `${bad.length} invalid ${kind} record(s); nothing was written`,
            bad.flatMap((b) => b.errors.map((e) => ({ path: `/${b.index}${e.path === '/' ? '' : e.path}`, message: e.message }))),
          )
        }
        if (records.length === 0) return 0
        const fields: string[] = []
        for (const r of records as { code: string }[]) fields.push(r.code, JSON.stringify(r))
        await redis.hset(keys.master(kind), ...fields)
        await service.reload()
        await changes.publish({ metrics: [...METRIC_NAMES], masterData: true })
        return records.length
      },
      async reload() {
        const maps = await Promise.all(MASTER_KINDS.map((k) => readAll(k)))
        cache = Object.fromEntries(MASTER_KINDS.map((k, i) => [k, maps[i]])) as unknown as Cache
      },
    }
    fastify.decorate('masterData', service)

    const reloadQuietly = () => service.reload().catch((err: unknown) => fastify.log.warn({ err }, 'master data reload failed'))
    changes.on('change', (notice) => {
      if (notice.masterData) void reloadQuietly()
    })
    // load on every (re)connection: the server may start before Redis
    fastify.redisState.on('change', (up) => {
      if (up) void reloadQuietly()
    })
    if (fastify.redisState.up) await reloadQuietly()
  },
  { name: 'master-data', dependencies: ['redis', 'changes'] },
)

/** `PUT /master/:kind` (admin) and `GET /master/:kind` (under API_PREFIX). */
export async function masterDataRoutes(fastify: FastifyInstance): Promise<void> {
  const { masterData } = fastify
  const Kind = Type.Object({ kind: Type.Union(MASTER_KINDS.map((k) => Type.Literal(k))) })
  fastify.put(
    '/master/:kind',
    {
      onRequest: fastify.requireRole('admin'),
      schema: {
        params: Kind,
        body: Type.Array(Type.Unknown(), { maxItems: MAX_MASTER_BATCH }),
        response: { 200: Type.Object({ upserted: Type.Integer() }) },
      },
    },
    async (request) => {
      const { kind } = request.params as { kind: MasterKind }
      return { upserted: await masterData.upsert(kind, request.body as unknown[]) }
    },
  )
  fastify.get('/master/:kind', { onRequest: fastify.requireRole('viewer'), schema: { params: Kind } }, async (request) => {
    const { kind } = request.params as { kind: MasterKind }
    const records = await masterData.list(kind)
    // a scoped viewer sees the members of its scope only (embed tokens are refused by requireRole)
    const scope = request.principal ? scopeOf(request.principal) : undefined
    if (!hasScope(scope)) return records
    const related = {
      warehouses: kind === 'regions' ? ((await masterData.list('warehouses')) as Warehouse[]) : [],
      skus: kind === 'categories' ? ((await masterData.list('skus')) as Sku[]) : [],
    }
    return masterInScope(kind, records, scope, related)
  })
}
