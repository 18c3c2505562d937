/**
 * The screen scripts' headers and their TypeScript contract (server/redis/screen-scripts.ts) list
 * the same records with the same fields in the same order, and the encoders write them so.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { createKeys } from '../../server/redis/keys.ts'
import { SCREEN_SCRIPT_FIELDS, SCREEN_SCRIPT_RECORDS, definitionSaveCall, screenDeleteCall, screenSaveCall, screensSeedCall } from '../../server/redis/screen-scripts.ts'
import { luaHeaderLists } from '../helpers/lua-header.ts'

const scripts = Object.keys(SCREEN_SCRIPT_RECORDS) as (keyof typeof SCREEN_SCRIPT_RECORDS)[]
const keys = createKeys('t:')

describe.each(scripts)('%s.lua header ↔ server/redis/screen-scripts.ts', (script) => {
  const lists = luaHeaderLists(readFileSync(new URL(`../../server/redis/scripts/${script}.lua`, import.meta.url), 'utf8'))

  test('documents the records of its contract, and nothing else', () => {
    expect([...lists.keys()].sort()).toEqual([...SCREEN_SCRIPT_RECORDS[script]].sort())
  })

  test.each([...SCREEN_SCRIPT_RECORDS[script]])('%s: the same fields in the same order', (record) => {
    expect(lists.get(record)).toEqual([...SCREEN_SCRIPT_FIELDS[record]])
  })
})

describe('the encoders write the fields in the order of the contract', () => {
  test('screen-save: numkeys, KEYS, ARGV', () => {
    const args = {
      baseVersion: 3,
      definition: '{"id":"w"}',
      updatedAt: '2026-03-10 09:00',
      id: 'w',
      title: 'Wall',
      kind: '',
      createdAt: 1_700_000_000_000,
      keep: 50,
      draft: '',
      max: 1000,
    }
    expect(screenSaveCall(keys, args)).toEqual([
      4,
      't:screen:w',
      't:screens',
      't:screen:w:versions',
      't:screen:w:draft',
      ...SCREEN_SCRIPT_FIELDS.ScreenSaveArgs.map((f) => args[f]),
    ])
  })

  test('screen-save for another definition: its hash and index, no history, no draft', () => {
    const args = { baseVersion: 0, definition: '{"id":"r"}', updatedAt: '2026-03-10 09:00', id: 'r', title: 'Rule', kind: 'rule', createdAt: 1_700_000_000_000, max: 1000 }
    expect(definitionSaveCall('t:alert:rule:r', 't:alert:rules', args)).toEqual([
      2,
      't:alert:rule:r',
      't:alert:rules',
      0,
      '{"id":"r"}',
      '2026-03-10 09:00',
      'r',
      'Rule',
      'rule',
      1_700_000_000_000,
      0,
      '',
      1000,
    ])
  })

  test('screen-delete: numkeys, KEYS, ARGV', () => {
    expect(screenDeleteCall(keys, { id: 'w' })).toEqual([4, 't:screen:w', 't:screens', 't:screen:w:versions', 't:screen:w:draft', 'w'])
  })

  test('screens-seed: numkeys, KEYS then a hash per template, ARGV then each template', () => {
    const templates = [
      { id: 'a', definition: '{"id":"a"}', title: 'A', kind: 'wall' },
      { id: 'b', definition: '{"id":"b"}', title: 'B', kind: '' },
    ]
    const args = { updatedAt: '2026-03-10 09:00', baseScore: 1_700_000_000_000 }
    expect(screensSeedCall(keys, args, templates)).toEqual([
      4,
      't:screens:seeded',
      't:screens',
      't:screen:a',
      't:screen:b',
      ...SCREEN_SCRIPT_FIELDS.ScreensSeedArgs.map((f) => args[f]),
      ...templates.flatMap((t) => SCREEN_SCRIPT_FIELDS.SeedTemplate.map((f) => t[f])),
    ])
  })
})
