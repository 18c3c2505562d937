/**
 * The contract of server/redis/scripts/top-groups.lua, run by the query engine
 * (server/query/top-groups.ts): its ARGV as a record, the call the encoder builds and the reply.
 * The script's header lists the same fields in the same order; tests/unit/top-groups-contract.test.ts
 * fails when they drift apart.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fieldList } from './script-fields.ts'

/** The script's text and SHA-1 (EVALSHA, with EVAL when Redis has not seen it yet). */
export const TOP_GROUPS_LUA = readFileSync(new URL('./scripts/top-groups.lua', import.meta.url), 'utf8')
export const TOP_GROUPS_SHA = createHash('sha1').update(TOP_GROUPS_LUA).digest('hex')

/** ARGV of top-groups.lua, before the member fields and the weight pairs. */
export interface TopGroupsArgs {
  /** how many groups to rank (0: only the sums over every member) */
  top: number
  /** 1: rank by a·factor/b (b = 0 ranks last), 0: by a */
  ratio: 0 | 1
  /** a ratio's factor (1 when it has none) */
  factor: number
  /** 1: a ratio ranks by 1 − a·factor/b */
  complement: 0 | 1
  /** the script reads nothing and answers `too-many` when the hashes hold more fields */
  maxFields: number
  /** how many member fields follow (0: every member of each hash) */
  members: number
}

export const TOP_GROUPS_FIELDS = {
  TopGroupsArgs: fieldList<TopGroupsArgs>()(['top', 'ratio', 'factor', 'complement', 'maxFields', 'members']),
} as const

/** One hash to sum, with the weights its values count into the two sums. */
export interface WeightedKey {
  key: string
  /** weight into the `a` sum (a flow's value, a ratio's numerator) */
  a: number
  /** weight into the `b` sum (a ratio's denominator) */
  b: number
}

/** `numkeys, key…, arg…` for EVALSHA. */
export function topGroupsCall(hashes: readonly WeightedKey[], args: Omit<TopGroupsArgs, 'members'>, members: readonly string[] | undefined): (string | number)[] {
  const record: TopGroupsArgs = { ...args, members: members?.length ?? 0 }
  return [hashes.length, ...hashes.map((h) => h.key), ...TOP_GROUPS_FIELDS.TopGroupsArgs.map((f) => record[f]), ...(members ?? []), ...hashes.flatMap((h) => [h.a, h.b])]
}

/** A member the script answered with: its two sums. */
export interface TopCandidate {
  member: string
  a: number
  b: number
}

/** What the script answers: the sums over every member and the candidates for the top, or that the hashes hold too many fields. */
export type TopGroupsReply = { ok: true; fields: number; a: number; b: number; candidates: TopCandidate[] } | { ok: false; fields: number }

export function parseTopGroupsReply(reply: unknown): TopGroupsReply {
  const r = reply as (string | number)[]
  if (r[0] === 'too-many') return { ok: false, fields: Number(r[1]) }
  if (r[0] !== 'ok') throw new Error(`top-groups.lua answered ${String(r[0])}`)
  const candidates: TopCandidate[] = []
  for (let i = 4; i < r.length; i += 3) candidates.push({ member: String(r[i]), a: Number(r[i + 1]), b: Number(r[i + 2]) })
  return { ok: true, fields: Number(r[1]), a: Number(r[2]), b: Number(r[3]), candidates }
}

/** top-ranked.lua: the top N of a weighted sum of rankings (`rk:` sorted sets), read best first. */
export const TOP_RANKED_LUA = readFileSync(new URL('./scripts/top-ranked.lua', import.meta.url), 'utf8')
export const TOP_RANKED_SHA = createHash('sha1').update(TOP_RANKED_LUA).digest('hex')

/** ARGV of top-ranked.lua, before the weights. */
export interface TopRankedArgs {
  /** how many members to rank (≥ 1) */
  top: number
  /** how many rankings (and the hashes they mirror) lead KEYS */
  rankings: number
}

export const TOP_RANKED_FIELDS = {
  TopRankedArgs: fieldList<TopRankedArgs>()(['top', 'rankings']),
} as const

/** One ranking to sum: the sorted set, the counter hash it mirrors, and its weight. */
export interface WeightedRanking {
  ranking: string
  hash: string
  weight: number
}

/** A hash whose field `_` holds the sum over every member, with its weight. */
export interface WeightedTotal {
  key: string
  weight: number
}

/** `numkeys, key…, arg…` for EVALSHA: the rankings, their hashes, the total hashes; top, n, then the weights. */
export function topRankedCall(rankings: readonly WeightedRanking[], totals: readonly WeightedTotal[], top: number): (string | number)[] {
  const record: TopRankedArgs = { top, rankings: rankings.length }
  return [
    2 * rankings.length + totals.length,
    ...rankings.map((r) => r.ranking),
    ...rankings.map((r) => r.hash),
    ...totals.map((t) => t.key),
    ...TOP_RANKED_FIELDS.TopRankedArgs.map((f) => record[f]),
    ...rankings.map((r) => r.weight),
    ...totals.map((t) => t.weight),
  ]
}

/** What top-ranked.lua answers: the sum over every member and the candidates for the top, or that a ranking is incomplete. */
export type TopRankedReply = { ok: true; total: number; candidates: { member: string; sum: number }[] } | { ok: false; incomplete: string }

export function parseTopRankedReply(reply: unknown): TopRankedReply {
  const r = reply as (string | number)[]
  if (r[0] === 'incomplete') return { ok: false, incomplete: String(r[1]) }
  if (r[0] !== 'ok') throw new Error(`top-ranked.lua answered ${String(r[0])}`)
  const candidates: { member: string; sum: number }[] = []
  for (let i = 2; i < r.length; i += 2) candidates.push({ member: String(r[i]), sum: Number(r[i + 1]) })
  return { ok: true, total: Number(r[1]), candidates }
}
