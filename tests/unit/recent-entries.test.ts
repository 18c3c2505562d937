/**
 * Entries of the latest-movements list (server/query/recent.ts): one the cockpit cannot read —
 * written before ids had a pattern, or by hand — costs its row, never the answer.
 */
import { DEFAULT_MONEY } from '../../server/domain/money.ts'
import { describe, expect, test } from 'vitest'
import { parseEntry, recentRows } from '../../server/query/recent.ts'

const d = { sku: 'S1', category: '-', warehouse: 'W1', partner: '-', region: '-', channel: '-' }
const record = (t = 'sales_order') => JSON.stringify({ t, at: Date.parse('2026-11-25T10:00:00Z'), n: [2000, 5_000_000, null, null], d })
const src = { format: (ms: number) => new Date(ms).toISOString(), names: () => undefined, money: DEFAULT_MONEY }

describe('latest-movements entries', () => {
  test('an id holding TABs is read up to the last TAB (the JSON record never holds one)', () => {
    expect(parseEntry(`a\tb\t${record()}`)?.id).toBe('a\tb')
    expect(parseEntry(`plain\t${record()}`)?.id).toBe('plain')
  })

  test.each([
    ['no tab', 'no tab'],
    ['empty id', `\t${record()}`],
    ['not JSON', 'x\t{not json'],
    ['JSON but no record', 'x\t[1,2]'],
    ['unknown type', `x\t${record('teleport')}`],
    ['no members', `x\t${JSON.stringify({ t: 'sales_order', at: 0, n: [1] })}`],
    ['time out of range', `x\t${JSON.stringify({ t: 'cancel', at: 1e300, cancels: 'y' })}`],
    ['cancel without target', `x\t${JSON.stringify({ t: 'cancel', at: 0 })}`],
  ])('%s: skipped', (_, entry) => {
    expect(parseEntry(entry)).toBeUndefined()
  })

  test('rows come from the readable entries; the others are counted', () => {
    const r = recentRows([`m2\t${record()}`, 'garbage\t{', `m1\t${record('sales_shipment')}`, 'nothing'], {}, undefined, 50, src)
    expect(r.rows.map((x) => x.id)).toEqual(['m2', 'm1'])
    expect(r).toMatchObject({ matched: 2, skipped: 2 })
  })
})
