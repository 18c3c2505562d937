/**
 * readFlow (server/query/shared.ts) against a real Redis: whole hashes read by read-hashes.lua give
 * the figures HGETALL gives — members of any spelling, keys missing, a key read twice, several terms
 * and tile sets, a `keep` predicate — and a chunk holding more fields than one script call may
 * read falls back to the pipeline with the same figures. The budget counts the same fields.
 */
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Terms } from '../../server/aggregate/formulas.ts'
import type { QueryBudget } from '../../server/query/cost.ts'
import { READ_HASHES_MAX_FIELDS, readFlow } from '../../server/query/shared.ts'
import type { Plan, QueryContext } from '../../server/query/shared.ts'
import { createCalendar } from '../../server/domain/time.ts'
import type { Tile } from '../../server/domain/time.ts'
import { createKeys } from '../../server/redis/keys.ts'
import { deletePrefix } from '../helpers/redis-prefix.ts'

const prefix = `test:${randomUUID().slice(0, 8)}:`
const keys = createKeys(prefix)
let redis: Redis

/** members that JSON, Lua and JS objects could each spell differently */
const ODD = ['plain', 'with "quotes"', 'back\\slash', 'a/b', '中文类别', 'emoji 📦', '123', '007', '__proto__', 'constructor', 'tab\there', 'new\nline', 'A→B', '']

const tile = (res: Tile['res'], bucket: string): Tile => ({ res, bucket, start: 0, end: 0 })
const TERMS: Terms = [
  ['s.rev', 1],
  ['s.ret', -1],
]

beforeAll(async () => {
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
  let n = 0
  for (const bucket of ['202401', '202402', '202403']) {
    for (const [code] of TERMS) {
      // field, value pairs: an object would take `__proto__` for its prototype
      const fields = ODD.flatMap((m) => [m, String(++n * (n % 3 === 0 ? -1 : 1) * 1_000_003)])
      await redis.hset(keys.counter('month', bucket, code, 'category'), ...fields)
    }
  }
  await redis.hset(keys.counter('year', '2023', 's.rev', 'category'), { plain: '9007199000000000', '123': '-5' })
})

afterAll(async () => {
  await deletePrefix(redis, prefix)
  redis.disconnect()
})

function context(): QueryContext {
  return { redis, keys, cal: createCalendar('Asia/Shanghai') } as unknown as QueryContext
}

function budget(): QueryBudget & { spent: number } {
  const b = { spent: 0, spend: (n: number) => void (b.spent += n), check: () => undefined, pace: () => undefined }
  return b
}

/** what HGETALL gives, summed the plain way */
async function expected(tileSets: Tile[][], plan: Plan): Promise<Map<string, number>[][]> {
  const out: Map<string, number>[][] = []
  for (const tiles of tileSets) {
    const byTerm: Map<string, number>[] = []
    for (const [code] of TERMS) {
      const sum = new Map<string, number>()
      for (const t of tiles) {
        for (const [m, v] of Object.entries(await redis.hgetall(keys.counter(t.res, t.bucket, code, 'category')))) {
          if (!plan.keep || plan.keep(m)) sum.set(m, (sum.get(m) ?? 0) + Number(v))
        }
      }
      byTerm.push(sum)
    }
    out.push(byTerm)
  }
  return out
}

const sorted = (sums: Map<string, number>[][]) => sums.map((s) => s.map((m) => [...m].sort(([a], [b]) => (a < b ? -1 : 1))))

describe('readFlow, whole hashes', () => {
  test('the figures of HGETALL, whatever the members are spelt like; a missing key adds nothing, a key read twice counts twice', async () => {
    const tileSets = [
      [tile('year', '2023'), tile('month', '202401'), tile('month', '202402'), tile('month', '202403')],
      [tile('month', '202401')],
      [tile('month', '202401'), tile('month', '202312')],
      [tile('month', '202312')],
      [],
    ]
    const plan: Plan = { dim: 'category', members: undefined }
    const b = budget()
    const sums = await readFlow(context(), b, TERMS, tileSets, plan)
    expect(sorted(sums)).toEqual(sorted(await expected(tileSets, plan)))
    // exact integers: the year, then the three months (n = 1, 29, 57: every third negative)
    expect(sums[0]![0]!.get('plain')).toBe(9_007_199_000_000_000 + 1_000_003 + 29_000_087 - 57_000_171)
    expect([...sums[3]![0]!.keys()]).toEqual([])
    // every field read counts; a key without fields (missing) counts one
    expect(b.spent).toBe(2 + 1 + 6 * ODD.length + 2 * ODD.length + 2 * ODD.length + 2 + 2)
  })

  test('a keep predicate (a category drill to its SKUs) keeps only the members it accepts', async () => {
    const tileSets = [[tile('month', '202401'), tile('month', '202402')]]
    const plan: Plan = { dim: 'category', members: undefined, keep: (m) => m.length > 5 }
    expect(sorted(await readFlow(context(), budget(), TERMS, tileSets, plan))).toEqual(sorted(await expected(tileSets, plan)))
  })

  test('more fields than one script call may read: the same figures, read by pipeline', async () => {
    const big = keys.counter('month', '209901', 's.rev', 'category')
    const fields: Record<string, string> = {}
    for (let i = 0; i <= READ_HASHES_MAX_FIELDS; i++) fields[`m${i}`] = String(i)
    await redis.hset(big, fields)
    const tileSets = [[tile('month', '209901')], [tile('month', '202401')]]
    const plan: Plan = { dim: 'category', members: undefined }
    const sums = await readFlow(context(), budget(), TERMS, tileSets, plan)
    expect(sums[0]![0]!.size).toBe(READ_HASHES_MAX_FIELDS + 1)
    expect(sorted(sums)).toEqual(sorted(await expected(tileSets, plan)))
  })
})
