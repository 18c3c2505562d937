/**
 * The contract of server/redis/scripts/read-hashes.lua, run by the query engine
 * (server/query/shared.ts readFlow): its ARGV as a record, the call the encoder builds and the
 * reply. The script's header lists the same fields in the same order;
 * tests/unit/read-hashes-contract.test.ts fails when they drift apart.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fieldList } from './script-fields.ts'

/** The script's text and SHA-1 (EVALSHA, with EVAL when Redis has not seen it yet). */
export const READ_HASHES_LUA = readFileSync(new URL('./scripts/read-hashes.lua', import.meta.url), 'utf8')
export const READ_HASHES_SHA = createHash('sha1').update(READ_HASHES_LUA).digest('hex')

/** ARGV of read-hashes.lua. */
export interface ReadHashesArgs {
  /** the script reads nothing and answers `too-many` when the hashes hold more fields */
  maxFields: number
}

export const READ_HASHES_FIELDS = {
  ReadHashesArgs: fieldList<ReadHashesArgs>()(['maxFields']),
} as const

/** `numkeys, key…, arg…` for EVALSHA. */
export function readHashesCall(keys: readonly string[], args: ReadHashesArgs): (string | number)[] {
  return [keys.length, ...keys, ...READ_HASHES_FIELDS.ReadHashesArgs.map((f) => args[f])]
}

/**
 * What the script answers: each key's `[field, value, …]` in the order of the keys (empty for a
 * key that does not exist), or that the hashes hold too many fields.
 */
export type ReadHashesReply = { ok: true; hashes: string[][] } | { ok: false; fields: number }

export function parseReadHashesReply(reply: unknown, keys: number): ReadHashesReply {
  const r = reply as [string, string | number]
  if (r[0] === 'too-many') return { ok: false, fields: Number(r[1]) }
  if (r[0] !== 'ok') throw new Error(`read-hashes.lua answered ${String(r[0])}`)
  const parsed = JSON.parse(String(r[1])) as unknown
  // an empty Lua table (a key that does not exist) encodes as {}, and so does an empty list of keys
  const hashes = Array.isArray(parsed) ? parsed.map((h: unknown) => (Array.isArray(h) ? (h as string[]) : [])) : []
  if (hashes.length !== keys) throw new Error(`read-hashes.lua answered ${hashes.length} hashes for ${keys} keys`)
  return { ok: true, hashes }
}
