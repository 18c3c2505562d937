/**
 * Year buckets of a cockpit that already held figures when they were introduced: from when they
 * can be read (`keys.yearsFrom`), and summing the older ones from the months and days that hold
 * them (`npm run years:rollup`). docs/architecture.md "Reading long periods".
 */
import type { Redis } from 'ioredis'
import type { BusinessCalendar, Resolution } from '../domain/time.ts'
import { createKeys } from '../redis/keys.ts'
import type { CounterDim, Keys } from '../redis/keys.ts'
import { readFileSync } from 'node:fs'
import { ROLLUP_YEAR_LUA, parseRollupYearReply, rollupYearCall } from '../redis/rollup-year.ts'
import { COUNTERS, DIM_RESOLUTIONS } from './counters.ts'
import type { CounterCode } from './counters.ts'

/**
 * Records from when year buckets hold every movement, once per cockpit (`SET … NX`: the first
 * process to start decides): a cockpit that never applied a movement has them all along (0); one
 * that did, before its batches wrote years, from the next New Year on — until `rollUpYears` has
 * summed the years before. Returns the instant in force.
 */
export async function markYearBuckets(redis: Redis, keys: Keys, cal: BusinessCalendar, now: number): Promise<number> {
  const known = await redis.get(keys.yearsFrom)
  if (known !== null) return Number(known)
  // every applied batch leaves its movements in the `recent` list; stock state outlives a trimmed list
  const hasFigures = (await redis.exists(keys.recent, keys.level('q', 'pair'), keys.liveMoves)) > 0
  const from = hasFigures ? cal.nextStart('year', now) : 0
  await redis.set(keys.yearsFrom, String(from), 'NX')
  return Number(await redis.get(keys.yearsFrom))
}

const REBUILD_RANKING_LUA = readFileSync(new URL('../redis/scripts/rebuild-ranking.lua', import.meta.url), 'utf8')

/**
 * Rebuilds every ranking (`rk:`) that does not hold each member of its SKU year bucket (`ZCARD` ≠
 * `HLEN`): year buckets written before rankings were kept, or summed by the roll-up. One atomic
 * call per bucket, so batches applied meanwhile are mirrored once. Returns how many it rebuilt.
 */
export async function rebuildRankings(redis: Redis, keys: Keys): Promise<number> {
  const head = keys.counter('year', '\u0000', 'c', 'sku').split('\u0000')[0]!
  let rebuilt = 0
  let cursor = '0'
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${head}*:sku`, 'COUNT', 5_000)
    cursor = next
    for (const key of found) {
      const parsed = parseCounterKey(key.slice(keys.prefix.length))
      if (!parsed || parsed.dim !== 'sku') continue
      const ranking = keys.ranking('year', parsed.bucket, parsed.code, 'sku')
      const [[, zcard], [, hlen]] = (await redis.pipeline().zcard(ranking).hlen(key).exec()) as [[null, number], [null, number]]
      if (zcard === hlen) continue
      await redis.eval(REBUILD_RANKING_LUA, 2, key, ranking)
      rebuilt++
    }
  } while (cursor !== '0')
  return rebuilt
}

/** What a roll-up did. */
export interface RollupReport {
  /** year buckets written */
  buckets: number
  /** fields written into them */
  fields: number
  /** year buckets that could not be summed exactly (a sum past 2^53): left as they were */
  refused: string[]
  /** the instant year buckets are read from now: 0 when every year was summed */
  yearsFrom: number
  /** rankings (`rk:`) rebuilt from their year bucket: written before rankings were kept, or by the roll-up */
  rankings: number
}

export interface RollupOptions {
  /** seconds year buckets are kept after they close (config.retention.year; 0 = forever) */
  retainYearS: number
  /** called after each year bucket */
  onProgress?: (done: number, total: number) => void
}

/** `c:{res}:{bucket}:{counter}:{dim}` after the prefix → its parts, when it is one */
function parseCounterKey(rest: string): { bucket: string; code: CounterCode; dim: CounterDim } | undefined {
  const parts = rest.split(':')
  if (parts.length !== 5) return undefined
  const [, , bucket, code, dim] = parts as [string, string, string, string, string]
  if (!Object.hasOwn(COUNTERS, code) || !Object.hasOwn(DIM_RESOLUTIONS, dim)) return undefined
  return { bucket, code: code as CounterCode, dim: dim as CounterDim }
}

/** the finest resolution below years a counter is kept at for a dimension that the year sums: months where kept, else days */
function sourceOf(code: CounterCode, dim: CounterDim): Resolution | undefined {
  const kept = (res: Resolution) => (COUNTERS[code].res as readonly Resolution[]).includes(res) && DIM_RESOLUTIONS[dim].includes(res)
  if (!kept('year')) return undefined
  if (kept('month')) return 'month'
  return kept('day') ? 'day' : undefined
}

/**
 * Sums every year before `keys.yearsFrom` from its months (days for SKUs and partners, which keep
 * no months), one year bucket per script call — atomic, so batches applied meanwhile are counted
 * once — then records that year buckets hold everything (0). Each call blocks Redis for as long
 * as it reads its sources (a year of SKU days: 365 hashes): run it when ingest is quiet.
 */
export async function rollUpYears(redis: Redis, prefix: string, cal: BusinessCalendar, opts: RollupOptions): Promise<RollupReport> {
  const keys = createKeys(prefix)
  const marker = await redis.get(keys.yearsFrom)
  const report: RollupReport = { buckets: 0, fields: 0, refused: [], yearsFrom: marker === null ? 0 : Number(marker), rankings: 0 }
  if (marker === '0') {
    report.rankings = await rebuildRankings(redis, keys)
    return report
  }
  const until = marker === null ? Infinity : Number(marker)
  // year bucket → its sources, from the month and day buckets that exist
  const groups = new Map<string, { year: number; sources: string[] }>()
  for (const res of ['month', 'day'] as const) {
    const head = keys.counter(res, '\u0000', 'c', 'all').split('\u0000')[0]!
    let cursor = '0'
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${head}*`, 'COUNT', 5_000)
      cursor = next
      for (const key of found) {
        const parsed = parseCounterKey(key.slice(prefix.length))
        if (!parsed || sourceOf(parsed.code, parsed.dim) !== res) continue
        const year = Number(parsed.bucket.slice(0, 4))
        if (!(cal.fromLocal({ year, month: 1, day: 1, hour: 0, minute: 0 }) < until)) continue
        const yearKey = keys.counter('year', String(year), parsed.code, parsed.dim)
        const g = groups.get(yearKey) ?? { year, sources: [] }
        g.sources.push(key)
        groups.set(yearKey, g)
      }
    } while (cursor !== '0')
  }
  let done = 0
  for (const [yearKey, g] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const end = cal.fromLocal({ year: g.year + 1, month: 1, day: 1, hour: 0, minute: 0 })
    const expireAt = opts.retainYearS === 0 ? 0 : Math.ceil(end / 1000) + opts.retainYearS
    if (expireAt !== 0 && expireAt * 1000 <= Date.now()) continue
    const reply = parseRollupYearReply(
      await redis.eval(ROLLUP_YEAR_LUA, ...(rollupYearCall({ year: yearKey }, g.sources.sort(), { expireAt }) as [number, ...(string | number)[]])),
    )
    if (reply.ok) {
      report.buckets++
      report.fields += reply.written
    } else report.refused.push(`${yearKey.slice(prefix.length)} (${reply.member})`)
    opts.onProgress?.(++done, groups.size)
  }
  // after the years they mirror, before the years are read
  report.rankings = await rebuildRankings(redis, keys)
  if (report.refused.length === 0) {
    await redis.set(keys.yearsFrom, '0')
    report.yearsFrom = 0
  }
  return report
}
