/**
 * Sources in Redis (docs/connectors.md "Where a source's state lives"): each definition in a hash
 * with its version (optimistic concurrency, like screens), its watermarks, its status and its
 * latest rejected rows in keys of their own. A save and a re-sync are one script each, so a
 * runner that read the old version can never write a watermark of it afterwards (the runner's
 * commit checks the version: server/sources/runner.ts).
 */
import type { Redis } from 'ioredis'
import type { Keys } from '../redis/keys.ts'
import { CockpitError } from '../errors.ts'
import type { SourceDefinition, StoredSource } from './config.ts'
import type { Watermark } from './mapping.ts'

/** Rejected rows kept per source (newest first). */
export const MAX_REJECTS = 100

/**
 * KEYS: source hash, index, watermarks, status. ARGV: base version (-1: any), definition JSON,
 * updatedAt, index score, id, clear watermarks ("1"/"0").
 * Reply: {"ok", version} or {"conflict", current version}.
 */
const SAVE_LUA = `
local cur = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
local base = tonumber(ARGV[1])
if base >= 0 and cur ~= base then return {'conflict', tostring(cur)} end
local v = cur + 1
redis.call('HSET', KEYS[1], 'def', ARGV[2], 'version', v, 'updatedAt', ARGV[3])
redis.call('ZADD', KEYS[2], 'NX', ARGV[4], ARGV[5])
if ARGV[6] == '1' then
  redis.call('DEL', KEYS[3])
  redis.call('HDEL', KEYS[4], 'bfRows', 'bfStartedAt', 'bfDoneAt', 'newestAt')
end
return {'ok', tostring(v)}
`

const DELETE_LUA = `
local existed = redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[3], KEYS[4], KEYS[5], KEYS[6])
redis.call('ZREM', KEYS[2], ARGV[1])
return existed
`

export type SaveOutcome = { ok: true; source: StoredSource } | { ok: false; current: number }

/** One rejected row, as GET /sources/:id lists it. */
export interface RejectedRow {
  stream: string
  /** the row's key in the ERP (its primary key) */
  key: string
  reason: string
  at: string
}

export interface SourceStore {
  list(): Promise<StoredSource[]>
  get(id: string): Promise<StoredSource | undefined>
  /**
   * Saves when `baseVersion` is the stored version (0: the source must not exist; undefined: any).
   * `resync`: the watermarks are dropped in the same step, so the next read starts again from
   * `backfill.since`.
   */
  save(def: SourceDefinition, baseVersion: number | undefined, opts?: { resync?: boolean }): Promise<SaveOutcome>
  remove(id: string): Promise<boolean>
  watermarks(id: string): Promise<Map<string, Watermark>>
  status(id: string): Promise<Record<string, string>>
  rejects(id: string, limit?: number): Promise<RejectedRow[]>
  /** the version stored now, or undefined when the source is gone */
  version(id: string): Promise<number | undefined>
}

export function createSourceStore(redis: Redis, keys: Keys, now: () => number = Date.now): SourceStore {
  const parse = (id: string, def: string | null, version: string | null, updatedAt: string | null): StoredSource | undefined => {
    if (def === null || version === null) return undefined
    return { ...(JSON.parse(def) as SourceDefinition), id, version: Number(version), updatedAt: updatedAt ?? '' }
  }
  const store: SourceStore = {
    async list() {
      const ids = await redis.zrange(keys.sourceIndex, '0', '-1')
      if (ids.length === 0) return []
      const pipe = redis.pipeline()
      for (const id of ids) pipe.hmget(keys.source(id), 'def', 'version', 'updatedAt')
      const rows = (await pipe.exec()) ?? []
      const out: StoredSource[] = []
      ids.forEach((id, i) => {
        const [err, fields] = rows[i] ?? [new Error('missing reply'), null]
        if (err) throw err
        const [def, version, updatedAt] = fields as (string | null)[]
        const s = parse(id, def ?? null, version ?? null, updatedAt ?? null)
        if (s) out.push(s)
      })
      return out
    },
    async get(id) {
      const [def, version, updatedAt] = await redis.hmget(keys.source(id), 'def', 'version', 'updatedAt')
      return parse(id, def ?? null, version ?? null, updatedAt ?? null)
    },
    async version(id) {
      const v = await redis.hget(keys.source(id), 'version')
      return v === null ? undefined : Number(v)
    },
    async save(def, baseVersion, opts = {}) {
      const updatedAt = new Date(now()).toISOString()
      const reply = (await redis.eval(
        SAVE_LUA,
        4,
        keys.source(def.id),
        keys.sourceIndex,
        keys.sourceWatermarks(def.id),
        keys.sourceStatus(def.id),
        String(baseVersion ?? -1),
        JSON.stringify(def),
        updatedAt,
        String(now()),
        def.id,
        opts.resync ? '1' : '0',
      )) as [string, string]
      if (reply[0] === 'conflict') return { ok: false, current: Number(reply[1]) }
      return { ok: true, source: { ...def, version: Number(reply[1]), updatedAt } }
    },
    async remove(id) {
      const n = (await redis.eval(
        DELETE_LUA,
        6,
        keys.source(id),
        keys.sourceIndex,
        keys.sourceWatermarks(id),
        keys.sourceStatus(id),
        keys.sourceRejects(id),
        keys.sourceLines(id),
        id,
      )) as number
      return n === 1
    },
    async watermarks(id) {
      const raw = await redis.hgetall(keys.sourceWatermarks(id))
      return new Map(Object.entries(raw).map(([stream, json]) => [stream, JSON.parse(json) as Watermark]))
    },
    async status(id) {
      return redis.hgetall(keys.sourceStatus(id))
    },
    async rejects(id, limit = MAX_REJECTS) {
      const raw = await redis.lrange(keys.sourceRejects(id), 0, limit - 1)
      return raw.map((r) => JSON.parse(r) as RejectedRow)
    },
  }
  return store
}

/** Throws 404 COCKPIT_ERR_SOURCE_NOT_FOUND. */
export function sourceNotFound(id: string): CockpitError {
  return new CockpitError('COCKPIT_ERR_SOURCE_NOT_FOUND', `no source "${id}"`)
}
