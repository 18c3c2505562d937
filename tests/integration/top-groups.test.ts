/**
 * top-groups.lua against a real Redis: sums by member over several hashes with weights, the
 * candidates for a top N (ties at the cut included), ratios ranked with members without a
 * denominator last, member filters, and a refusal to read more fields than allowed.
 */
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { TOP_GROUPS_LUA, parseTopGroupsReply, topGroupsCall } from '../../server/redis/top-groups.ts'
import type { TopGroupsArgs, WeightedKey } from '../../server/redis/top-groups.ts'
import { deletePrefix } from '../helpers/redis-prefix.ts'

const prefix = `test:${randomUUID().slice(0, 8)}:`
let redis: Redis

beforeAll(async () => {
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
  // revenue and COGS of three years, by member
  await redis.hset(`${prefix}rev:1`, { a: 100, b: 300, c: 50, d: 7 })
  await redis.hset(`${prefix}rev:2`, { a: 200, b: 0, c: 250, e: -40 })
  await redis.hset(`${prefix}rev:3`, { a: 9_007_199_254_740, b: 1, c: 1 })
  await redis.hset(`${prefix}cogs:1`, { a: 60, b: 100, c: 50, d: 7 })
  await redis.hset(`${prefix}cogs:2`, { a: 100, c: 100, e: -20, f: 5 })
})

afterAll(async () => {
  await deletePrefix(redis, prefix)
  redis.disconnect()
})

const FLOW: Omit<TopGroupsArgs, 'members' | 'top'> = { ratio: 0, factor: 1, complement: 0, maxFields: 1_000 }
async function run(hashes: WeightedKey[], args: Omit<TopGroupsArgs, 'members'>, members?: string[]) {
  const call = topGroupsCall(
    hashes.map((h) => ({ ...h, key: prefix + h.key })),
    args,
    members,
  )
  return parseTopGroupsReply(await redis.eval(TOP_GROUPS_LUA, ...(call as [number, ...(string | number)[]])))
}
const sorted = <T extends { member: string }>(list: T[]) => [...list].sort((x, y) => (x.member < y.member ? -1 : 1))

describe('top-groups.lua', () => {
  test('sums every member over the hashes, exact up to 2^53, and answers the top N with ties at the cut', async () => {
    const hashes = ['rev:1', 'rev:2', 'rev:3'].map((key) => ({ key, a: 1, b: 0 }))
    const all = await run(hashes, { ...FLOW, top: 0 })
    expect(all).toMatchObject({ ok: true, fields: 11, a: 9_007_199_254_740 + (100 + 200) + (300 + 0 + 1) + (50 + 250 + 1) + 7 - 40, b: 0, candidates: [] })
    const top1 = await run(hashes, { ...FLOW, top: 1 })
    expect(top1.ok && top1.candidates).toEqual([{ member: 'a', a: 9_007_199_255_040, b: 0 }])
    // b and c both 301 after a: the second and third place tie, both are candidates for a top 2
    const top2 = await run(hashes, { ...FLOW, top: 2 })
    expect(top2.ok && sorted(top2.candidates).map((c) => [c.member, c.a])).toEqual([
      ['a', 9_007_199_255_040],
      ['b', 301],
      ['c', 301],
    ])
    // more places than members: every member
    const top9 = await run(hashes, { ...FLOW, top: 9 })
    expect(top9.ok && sorted(top9.candidates).map((c) => c.member)).toEqual(['a', 'b', 'c', 'd', 'e'])
  })

  test('a formula of several counters: weights per hash (revenue − COGS)', async () => {
    const hashes = [
      { key: 'rev:1', a: 1, b: 0 },
      { key: 'rev:2', a: 1, b: 0 },
      { key: 'cogs:1', a: -1, b: 0 },
      { key: 'cogs:2', a: -1, b: 0 },
    ]
    const r = await run(hashes, { ...FLOW, top: 2 })
    expect(r.ok && sorted(r.candidates).map((c) => [c.member, c.a])).toEqual([
      ['b', 200],
      ['c', 150],
    ])
    // f has only COGS: it is a member, below zero
    expect(r.ok && r.a).toBe(140 + 200 + 150 + 0 - 20 - 5)
  })

  test('ratios rank by a·factor/b, members without a denominator last; sums of both parts', async () => {
    const hashes = [
      { key: 'rev:1', a: 1, b: 1 },
      { key: 'rev:2', a: 1, b: 1 },
      { key: 'cogs:1', a: -1, b: 0 },
      { key: 'cogs:2', a: -1, b: 0 },
    ]
    // margins: a 140/300, b 200/300, c 150/300, d 0/7, e −20/−40, f −5/0 (no denominator)
    const r = await run(hashes, { ratio: 1, factor: 1, complement: 0, maxFields: 1_000, top: 2 })
    // c and e tie at 0.5 for the second place: both are candidates
    expect(r.ok && sorted(r.candidates).map((c) => c.member)).toEqual(['b', 'c', 'e'])
    expect(r.ok && [r.a, r.b]).toEqual([140 + 200 + 150 + 0 - 20 - 5, 300 + 300 + 300 + 7 - 40])
    const complement = await run(hashes, { ratio: 1, factor: 1, complement: 1, maxFields: 1_000, top: 1 })
    expect(complement.ok && complement.candidates.map((c) => c.member)).toEqual(['d'])
    // every member ranked: f, without a denominator, is still a candidate when all are
    const all = await run(hashes, { ratio: 1, factor: 1, complement: 0, maxFields: 1_000, top: 6 })
    expect(all.ok && sorted(all.candidates).map((c) => c.member)).toEqual(['a', 'b', 'c', 'd', 'e', 'f'])
  })

  test('members: only those fields are read and ranked', async () => {
    const hashes = ['rev:1', 'rev:2'].map((key) => ({ key, a: 1, b: 0 }))
    const r = await run(hashes, { ...FLOW, top: 1 }, ['c', 'd', 'zz'])
    expect(r).toMatchObject({ ok: true, fields: 6, a: 307, candidates: [{ member: 'c', a: 300, b: 0 }] })
  })

  test('more fields than allowed: nothing is read and it says how many there are', async () => {
    const hashes = ['rev:1', 'rev:2', 'rev:3'].map((key) => ({ key, a: 1, b: 0 }))
    expect(await run(hashes, { ...FLOW, maxFields: 10, top: 1 })).toEqual({ ok: false, fields: 11 })
  })

  test('runs as a read-only script (EVAL_RO), as on a replica', async () => {
    const call = topGroupsCall([{ key: `${prefix}rev:1`, a: 1, b: 0 }], { ...FLOW, top: 1 }, undefined)
    const reply = parseTopGroupsReply(await redis.call('EVAL_RO', TOP_GROUPS_LUA, ...call.map(String)))
    expect(reply).toMatchObject({ ok: true, a: 457, candidates: [{ member: 'b', a: 300 }] })
  })
})
