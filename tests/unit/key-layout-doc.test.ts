/**
 * docs/architecture.md#redis-key-layout lists every key family server/redis/keys.ts builds: each
 * builder is called with sample arguments, and every key it gives must match a row of the table.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { RESOLUTIONS, createKeys } from '../../server/redis/keys.ts'
import type { CounterDim, Keys } from '../../server/redis/keys.ts'
import { COUNTERS, DIM_RESOLUTIONS, LEVELS } from '../../server/aggregate/counters.ts'
import { MASTER_KINDS } from '../../protocol/master.ts'

const PREFIX = 'cockpit:'
const keys = createKeys(PREFIX)

type BuilderName = { [K in keyof Keys]: Keys[K] extends (...args: never[]) => string ? K : never }[keyof Keys]
type ValueName = Exclude<keyof Keys, BuilderName>

const BUCKETS = { minute: '202603100900', hour: '2026031009', day: '20260310', month: '202603', year: '2026' } as const

/** Sample arguments of every builder: a builder added to keys.ts does not compile here until it gets some. */
const SAMPLES: { [K in BuilderName]: Parameters<Keys[K]>[] } = {
  // the keys the fold writes: each counter by its dimensions, at the resolutions each keeps
  counter: RESOLUTIONS.flatMap((res) =>
    Object.entries(COUNTERS).flatMap(([code, def]) =>
      (def.dims as readonly CounterDim[]).filter((dim) => DIM_RESOLUTIONS[dim].includes(res)).map((dim): Parameters<Keys['counter']> => [res, BUCKETS[res], code, dim]),
    ),
  ),
  // the rankings the fold asks the script to keep: every counter kept by SKU, in year buckets
  ranking: Object.entries(COUNTERS)
    .filter(([, def]) => (def.dims as readonly CounterDim[]).includes('sku') && (def.res as readonly string[]).includes('year'))
    .map(([code]): Parameters<Keys['ranking']> => ['year', BUCKETS.year, code, 'sku']),
  // every level by its dimensions, and by pair: stock (the apply script's KEYS) and backlogs
  level: Object.entries(LEVELS).flatMap(([code, def]) => [...def.dims, 'pair' as const].map((dim): Parameters<Keys['level']> => [code, dim])),
  backlog: [['bs'], ['bp']],
  openItems: [
    ['ar', 'C1'],
    ['ap', 'SUP1'],
  ],
  settlements: [
    ['ar', 'C1'],
    ['ap', 'SUP1'],
  ],
  creditChanged: [['ar'], ['ap']],
  lease: [['credit-compaction'], ['alert:low-stock'], ['source:erpnext-main']],
  pairBacklog: [['bs'], ['bp']],
  line: [['s'], ['p']],
  lineOpen: [['s'], ['p']],
  lineLate: [['s'], ['p']],
  lineClosed: [['s'], ['p']],
  effect: [['mv-20260310-0001']],
  marker: [['mv-20260310-0001']],
  master: MASTER_KINDS.map((kind) => [kind]),
  screen: [['ops-wall']],
  screenVersions: [['ops-wall']],
  screenDraft: [['ops-wall']],
  session: [['9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08']],
  alertRule: [['low-stock']],
  alertChannel: [['wecom-ops']],
  alertState: [['low-stock']],
  reportSubscription: [['daily-retail']],
  reportFile: [['6f1c…run']],
  intake: [['nats']],
  source: [['erpnext-main']],
  sourceWatermarks: [['erpnext-main']],
  sourceStatus: [['erpnext-main']],
  sourceRejects: [['erpnext-main']],
  sourceLines: [['jsherp-main']],
}

/** Values that are not keys themselves. */
const NOT_KEYS: Partial<Record<ValueName, string>> = { prefix: 'the prefix every key starts with', all: 'a match pattern (tests clean up with it)' }
/** Values that are a prefix others append to, with what they append. */
const APPENDED: Partial<Record<ValueName, string>> = { authFailures: '203.0.113.7', socketIo: '#/#' }

/** Every key keys.ts builds (prefix removed), with the member that built it. */
function builtKeys(): { by: string; key: string }[] {
  const out: { by: string; key: string }[] = []
  for (const [name, value] of Object.entries(keys) as [keyof Keys, unknown][]) {
    if (typeof value === 'function') {
      const samples = (SAMPLES as Record<string, unknown[][]>)[name]
      expect(samples, `sample arguments for keys.${name}`).toBeDefined()
      for (const args of samples!) out.push({ by: `keys.${name}(${args.join(', ')})`, key: (value as (...a: unknown[]) => string)(...args) })
    } else if (NOT_KEYS[name as ValueName] === undefined) {
      out.push({ by: `keys.${name}`, key: String(value) + (APPENDED[name as ValueName] ?? '') })
    }
  }
  return out.map(({ by, key }) => {
    expect(key.startsWith(PREFIX), `${by} starts with the prefix`).toBe(true)
    return { by, key: key.slice(PREFIX.length) }
  })
}

/** The key patterns of the table: `{a|b}` one of those, `{name}` anything, `*` anything. */
function documentedPatterns(): { pattern: string; re: RegExp }[] {
  const doc = readFileSync(new URL('../../docs/architecture.md', import.meta.url), 'utf8')
  const section = /\n## Redis key layout\n([\s\S]*?)\n## /.exec(doc)?.[1] ?? ''
  const rows = section.split('\n').filter((l) => l.startsWith('| `'))
  return rows.map((row) => {
    const cell = row.split(/(?<!\\)\|/)[1]!.trim()
    const pattern = cell.replace(/^`|`$/g, '').replace(/\\\|/g, '|')
    const source = pattern
      .split(/(\{[^}]*\}|\*)/)
      .map((part) => {
        if (part === '*') return '.*'
        if (part.startsWith('{')) return part.includes('|') ? `(?:${part.slice(1, -1).split('|').map(escape).join('|')})` : '.+'
        return escape(part)
      })
      .join('')
    return { pattern, re: new RegExp(`^${source}$`) }
  })
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

describe('docs/architecture.md key table ↔ server/redis/keys.ts', () => {
  const built = builtKeys()
  const patterns = documentedPatterns()

  test('the table is found', () => {
    expect(patterns.length).toBeGreaterThan(10)
  })

  test('every key keys.ts builds has a row', () => {
    const missing = built.filter(({ key }) => !patterns.some((p) => p.re.test(key))).map(({ by, key }) => `${key} (${by})`)
    expect(missing).toEqual([])
  })

  test('every row is a key keys.ts builds', () => {
    const stale = patterns.filter((p) => !built.some(({ key }) => p.re.test(key))).map((p) => p.pattern)
    expect(stale).toEqual([])
  })
})
