/**
 * read-hashes.lua's header and its TypeScript contract (server/redis/read-hashes.ts) list the same
 * fields in the same order, the encoder writes them so, and the reply parser reads what the script
 * answers.
 */
import { describe, expect, test } from 'vitest'
import { READ_HASHES_FIELDS, READ_HASHES_LUA, parseReadHashesReply, readHashesCall } from '../../server/redis/read-hashes.ts'
import { luaHeaderLists } from '../helpers/lua-header.ts'

// the first line is the script's shebang (`#!lua flags=no-writes`), the header follows it
const lists = luaHeaderLists(READ_HASHES_LUA.slice(READ_HASHES_LUA.indexOf('\n') + 1))

describe('read-hashes.lua header ↔ server/redis/read-hashes.ts', () => {
  test('declares itself read-only, so it may run on a replica', () => {
    expect(READ_HASHES_LUA.split('\n')[0]).toBe('#!lua flags=no-writes')
  })

  test('documents the records of its contract, and nothing else', () => {
    expect([...lists.keys()]).toEqual(Object.keys(READ_HASHES_FIELDS))
  })

  test('ReadHashesArgs: the same fields in the same order', () => {
    expect(lists.get('ReadHashesArgs')).toEqual([...READ_HASHES_FIELDS.ReadHashesArgs])
  })

  test('the encoder writes numkeys, KEYS, then the args', () => {
    expect(readHashesCall(['k1', 'k2'], { maxFields: 500 })).toEqual([2, 'k1', 'k2', 500])
  })

  test('the parser reads each key in order, a missing key (an empty Lua table, encoded {}) as no fields', () => {
    expect(parseReadHashesReply(['ok', '[["a","1","b","-2"],{},["\\u00e9\\/x","3"]]'], 3)).toEqual({ ok: true, hashes: [['a', '1', 'b', '-2'], [], ['é/x', '3']] })
    expect(parseReadHashesReply(['ok', '{}'], 0)).toEqual({ ok: true, hashes: [] })
    expect(parseReadHashesReply(['too-many', 20_001], 4)).toEqual({ ok: false, fields: 20_001 })
    expect(() => parseReadHashesReply(['ok', '[[]]'], 2)).toThrow(/1 hashes for 2 keys/)
  })
})
