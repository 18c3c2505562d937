/**
 * top-ranked.lua against a real Redis: the top N of a weighted sum of rankings (sorted sets that
 * mirror counter hashes), read best first, must be exactly what summing every member gives —
 * ties at the cut, negative figures, members missing from some years, negative weights — and it
 * must refuse a ranking that does not hold every member of its hash.
 */
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { TOP_RANKED_LUA, parseTopRankedReply, topRankedCall } from '../../server/redis/top-groups.ts'
import type { WeightedRanking } from '../../server/redis/top-groups.ts'
import { deletePrefix } from '../helpers/redis-prefix.ts'

const prefix = `test:${randomUUID().slice(0, 8)}:`
let redis: Redis

/** mulberry32: the same data every run */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** counter name → member → value, as the hashes hold them */
const data = new Map<string, Map<string, number>>()

/** a counter hash, its ranking and its `all` total, written as the apply script leaves them */
async function put(name: string, values: Map<string, number>): Promise<void> {
  data.set(name, values)
  const flat = [...values].flatMap(([m, v]) => [m, v])
  await redis.hset(`${prefix}h:${name}`, ...flat)
  await redis.zadd(`${prefix}z:${name}`, ...[...values].flatMap(([m, v]) => [v, m]))
  await redis.hset(
    `${prefix}all:${name}`,
    '_',
    [...values.values()].reduce((s, v) => s + v, 0),
  )
}

beforeAll(async () => {
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
  const rand = rng(7)
  // four "years" of revenue and of COGS over 600 members: skewed like sales, one member in five
  // absent from a year, one in ten below zero; a block of members tie exactly
  for (const year of [1, 2, 3, 4]) {
    for (const counter of ['rev', 'cogs']) {
      const values = new Map<string, number>()
      for (let i = 0; i < 600; i++) {
        if (rand() < 0.2) continue
        const big = Math.floor(1_000_000 / (1 + i * (0.5 + rand())))
        values.set(`M${String(i).padStart(3, '0')}`, rand() < 0.1 ? -Math.floor(rand() * 5_000) : big)
      }
      // T0…T5 sell exactly alike every year: wherever the cut falls among them, all of them count
      for (let t = 0; t < 6; t++) values.set(`T${t}`, counter === 'rev' ? 40_000 : 10_000)
      await put(`${counter}:${year}`, values)
    }
  }
  // a tiny one: fewer members than the top asked for
  await put(
    'tiny',
    new Map([
      ['a', 5],
      ['b', -3],
    ]),
  )
})

afterAll(async () => {
  await deletePrefix(redis, prefix)
  redis.disconnect()
})

const rankingOf = (name: string, weight: number): WeightedRanking => ({ ranking: `${prefix}z:${name}`, hash: `${prefix}h:${name}`, weight })

async function run(parts: [string, number][], top: number) {
  const call = topRankedCall(
    parts.map(([name, w]) => rankingOf(name, w)),
    parts.map(([name, w]) => ({ key: `${prefix}all:${name}`, weight: w })),
    top,
  )
  return parseTopRankedReply(await redis.eval(TOP_RANKED_LUA, ...(call as [number, ...(string | number)[]])))
}

/** every member's weighted sum, summed the plain way */
function brute(parts: [string, number][]): Map<string, number> {
  const sums = new Map<string, number>()
  for (const [name, w] of parts) for (const [m, v] of data.get(name)!) sums.set(m, (sums.get(m) ?? 0) + w * v)
  return sums
}

/** the members a top N must be chosen from: every one at or above the N-th largest sum */
function atOrAboveCut(sums: Map<string, number>, top: number): [string, number][] {
  const sorted = [...sums.values()].sort((a, b) => b - a)
  const cut = sorted.length > top ? sorted[top - 1]! : -Infinity
  return [...sums].filter(([, s]) => s >= cut).sort(([a], [b]) => (a < b ? -1 : 1))
}

const YEARS = [1, 2, 3, 4]
const FORMULAS: Record<string, [string, number][]> = {
  'revenue over four years': YEARS.map((y) => [`rev:${y}`, 1]),
  'revenue − COGS over four years (negative weights read ascending)': YEARS.flatMap((y): [string, number][] => [
    [`rev:${y}`, 1],
    [`cogs:${y}`, -1],
  ]),
  'one year': [['rev:3', 1]],
  'COGS ranked upside down (every weight negative)': YEARS.map((y) => [`cogs:${y}`, -1]),
}

describe('top-ranked.lua', () => {
  test.each(Object.entries(FORMULAS))('%s: the candidates are exactly the members at or above the cut, with their sums', async (_, parts) => {
    const sums = brute(parts)
    for (const top of [1, 3, 10, 25, 100, 700]) {
      const r = await run(parts, top)
      expect(r.ok).toBe(true)
      if (!r.ok) return
      expect(r.total).toBe([...sums.values()].reduce((s, v) => s + v, 0))
      const got = r.candidates.map((c): [string, number] => [c.member, c.sum]).sort(([a], [b]) => (a < b ? -1 : 1))
      expect(got, `top ${top}`).toEqual(atOrAboveCut(sums, top))
    }
  })

  test('ties at the cut: all six twins are candidates whichever place the cut falls on', async () => {
    const parts: [string, number][] = YEARS.map((y) => [`rev:${y}`, 1])
    const sums = brute(parts)
    const twinsSum = sums.get('T0')!
    const above = [...sums.values()].filter((s) => s > twinsSum).length
    const r = await run(parts, above + 2)
    expect(
      r.ok &&
        r.candidates
          .filter((c) => c.member.startsWith('T'))
          .map((c) => c.member)
          .sort(),
    ).toEqual(['T0', 'T1', 'T2', 'T3', 'T4', 'T5'])
  })

  test('fewer members than places: every member', async () => {
    const r = await run([['tiny', 1]], 10)
    expect(r.ok && r.candidates.sort((x, y) => (x.member < y.member ? -1 : 1))).toEqual([
      { member: 'a', sum: 5 },
      { member: 'b', sum: -3 },
    ])
  })

  test('a ranking missing a member of its hash (written before rankings were kept) is refused, not read', async () => {
    await redis.zrem(`${prefix}z:rev:2`, 'T3')
    try {
      const r = await run(
        YEARS.map((y) => [`rev:${y}`, 1]),
        10,
      )
      expect(r).toEqual({ ok: false, incomplete: `${prefix}z:rev:2` })
    } finally {
      await redis.zadd(`${prefix}z:rev:2`, data.get('rev:2')!.get('T3')!, 'T3')
    }
  })
})
