/**
 * The contract of server/redis/scripts/rollup-year.lua, run by server/aggregate/years.ts: its
 * KEYS and ARGV as records, the call and the reply. The script's header lists the same fields in
 * the same order; tests/unit/top-groups-contract.test.ts fails when they drift apart.
 */
import { readFileSync } from 'node:fs'
import { fieldList } from './script-fields.ts'

export const ROLLUP_YEAR_LUA = readFileSync(new URL('./scripts/rollup-year.lua', import.meta.url), 'utf8')

/** KEYS of rollup-year.lua, before the source hashes. */
export interface RollupYearKeys {
  /** the year bucket's hash (`c:Y:{YYYY}:{counter}:{dim}`), replaced */
  year: string
}

/** ARGV of rollup-year.lua. */
export interface RollupYearArgs {
  /** unix seconds the year bucket expires at (0: kept forever) */
  expireAt: number
}

export const ROLLUP_YEAR_FIELDS = {
  RollupYearKeys: fieldList<RollupYearKeys>()(['year']),
  RollupYearArgs: fieldList<RollupYearArgs>()(['expireAt']),
} as const

/** `numkeys, key…, arg…` for EVAL. */
export function rollupYearCall(keys: RollupYearKeys, sources: readonly string[], args: RollupYearArgs): (string | number)[] {
  const k = [...ROLLUP_YEAR_FIELDS.RollupYearKeys.map((f) => keys[f]), ...sources]
  return [k.length, ...k, ...ROLLUP_YEAR_FIELDS.RollupYearArgs.map((f) => args[f])]
}

/** `written`: fields of the year bucket; `range`: a member whose sum a double cannot hold exactly (nothing written). */
export type RollupYearReply = { ok: true; written: number } | { ok: false; member: string }

export function parseRollupYearReply(reply: unknown): RollupYearReply {
  const r = reply as (string | number)[]
  if (r[0] === 'ok') return { ok: true, written: Number(r[1]) }
  if (r[0] === 'range') return { ok: false, member: String(r[1]) }
  throw new Error(`rollup-year.lua answered ${String(r[0])}`)
}
