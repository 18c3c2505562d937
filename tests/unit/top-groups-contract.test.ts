/**
 * top-groups.lua's, top-ranked.lua's and rollup-year.lua's headers and their TypeScript contracts
 * (server/redis/top-groups.ts, rollup-year.ts) list the same fields in the same order, and the
 * encoders write them so.
 */
import { describe, expect, test } from 'vitest'
import { ROLLUP_YEAR_FIELDS, ROLLUP_YEAR_LUA, rollupYearCall } from '../../server/redis/rollup-year.ts'
import { TOP_GROUPS_FIELDS, TOP_GROUPS_LUA, TOP_RANKED_FIELDS, TOP_RANKED_LUA, topGroupsCall, topRankedCall } from '../../server/redis/top-groups.ts'
import { luaHeaderLists } from '../helpers/lua-header.ts'

// the first line is the script's shebang (`#!lua flags=no-writes`), the header follows it
const lists = luaHeaderLists(TOP_GROUPS_LUA.slice(TOP_GROUPS_LUA.indexOf('\n') + 1))

describe('top-groups.lua header ↔ server/redis/top-groups.ts', () => {
  test('declares itself read-only, so it may run on a replica', () => {
    expect(TOP_GROUPS_LUA.split('\n')[0]).toBe('#!lua flags=no-writes')
  })

  test('documents the records of its contract, and nothing else', () => {
    expect([...lists.keys()]).toEqual(Object.keys(TOP_GROUPS_FIELDS))
  })

  test('TopGroupsArgs: the same fields in the same order', () => {
    expect(lists.get('TopGroupsArgs')).toEqual([...TOP_GROUPS_FIELDS.TopGroupsArgs])
  })

  test('the encoder writes numkeys, KEYS, the args, the members, then a weight pair per key', () => {
    const hashes = [
      { key: 'k1', a: 1, b: 0 },
      { key: 'k2', a: -1, b: 1 },
    ]
    const args = { top: 10, ratio: 1 as const, factor: 100, complement: 0 as const, maxFields: 500 }
    expect(topGroupsCall(hashes, args, ['m1', 'm2'])).toEqual([2, 'k1', 'k2', 10, 1, 100, 0, 500, 2, 'm1', 'm2', 1, 0, -1, 1])
    expect(topGroupsCall(hashes, args, undefined)).toEqual([2, 'k1', 'k2', 10, 1, 100, 0, 500, 0, 1, 0, -1, 1])
  })
})

describe('top-ranked.lua header ↔ server/redis/top-groups.ts', () => {
  const ranked = luaHeaderLists(TOP_RANKED_LUA.slice(TOP_RANKED_LUA.indexOf('\n') + 1))

  test('declares itself read-only, so it may run on a replica', () => {
    expect(TOP_RANKED_LUA.split('\n')[0]).toBe('#!lua flags=no-writes')
  })

  test('documents the records of its contract, and nothing else', () => {
    expect([...ranked.keys()]).toEqual(Object.keys(TOP_RANKED_FIELDS))
  })

  test('TopRankedArgs: the same fields in the same order', () => {
    expect(ranked.get('TopRankedArgs')).toEqual([...TOP_RANKED_FIELDS.TopRankedArgs])
  })

  test('the encoder writes numkeys, the rankings, their hashes, the totals, the args, then the weights', () => {
    const rankings = [
      { ranking: 'rk:Y:2024:s.rev:sku', hash: 'c:Y:2024:s.rev:sku', weight: 1 },
      { ranking: 'rk:Y:2024:s.cogs:sku', hash: 'c:Y:2024:s.cogs:sku', weight: -1 },
    ]
    const totals = [
      { key: 'c:Y:2024:s.rev:all', weight: 1 },
      { key: 'c:Y:2024:s.cogs:all', weight: -1 },
    ]
    expect(topRankedCall(rankings, totals, 10)).toEqual([
      6,
      'rk:Y:2024:s.rev:sku',
      'rk:Y:2024:s.cogs:sku',
      'c:Y:2024:s.rev:sku',
      'c:Y:2024:s.cogs:sku',
      'c:Y:2024:s.rev:all',
      'c:Y:2024:s.cogs:all',
      10,
      2,
      1,
      -1,
      1,
      -1,
    ])
  })
})

describe('rollup-year.lua header ↔ server/redis/rollup-year.ts', () => {
  const rollup = luaHeaderLists(ROLLUP_YEAR_LUA)

  test('documents the records of its contract, and nothing else', () => {
    expect([...rollup.keys()]).toEqual(Object.keys(ROLLUP_YEAR_FIELDS))
  })

  test.each(Object.keys(ROLLUP_YEAR_FIELDS) as (keyof typeof ROLLUP_YEAR_FIELDS)[])('%s: the same fields in the same order', (record) => {
    expect(rollup.get(record)).toEqual([...ROLLUP_YEAR_FIELDS[record]])
  })

  test('the encoder writes numkeys, the year bucket, its sources, then the args', () => {
    expect(rollupYearCall({ year: 'c:Y:2024:s.rev:sku' }, ['c:d:20240101:s.rev:sku', 'c:d:20240102:s.rev:sku'], { expireAt: 0 })).toEqual([
      3,
      'c:Y:2024:s.rev:sku',
      'c:d:20240101:s.rev:sku',
      'c:d:20240102:s.rev:sku',
      0,
    ])
  })
})
