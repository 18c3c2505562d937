/** Route counters of transfers in the fold, including the cancel of a transfer recorded before routes existed. */
import { DEFAULT_MONEY } from '../../server/domain/money.ts'
import { describe, expect, test } from 'vitest'
import { foldBatch } from '../../server/aggregate/fold.ts'
import { decodeEffect } from '../../server/aggregate/effect-record.ts'
import type { CancelTarget, EffectRecord } from '../../server/aggregate/fold.ts'
import { validateBatch } from '../../server/ingest/validate.ts'
import { createCalendar } from '../../server/domain/time.ts'
import { createKeys } from '../../server/redis/keys.ts'

const now = Date.parse('2026-03-20T12:00:00+08:00')
const opts = {
  keys: createKeys('t:'),
  calendar: createCalendar('Asia/Shanghai'),
  retention: { minute: 0, hour: 0, day: 0, month: 0, year: 0 },
  effectTtl: 60,
  dims: { categoryOf: () => undefined, regionOf: () => undefined },
  now,
  expiring: new Set<string>(),
  money: DEFAULT_MONEY,
}

/** the fixed (state-independent) deltas of a payload, as `key field` → delta */
function cells(payload: string): Map<string, number> {
  const P = JSON.parse(payload) as { K: string[]; T: (number | string)[]; fixed: (number | string)[] }
  const out = new Map<string, number>()
  for (let j = 0; j < P.fixed.length; j += 2) {
    const t = P.fixed[j] as number
    out.set(`${P.K[(P.T[2 * t - 2] as number) - 1]} ${P.T[2 * t - 1]}`, Number(P.fixed[j + 1]))
  }
  return out
}

const transfer = { id: 'tr-1', type: 'transfer', occurredAt: '2026-03-10T09:00:00+08:00', sku: 'S', warehouse: 'A', toWarehouse: 'B', qty: 2 }
const { movements } = validateBatch([transfer, { id: 'x-1', type: 'cancel', occurredAt: '2026-03-12T09:00:00+08:00', cancels: 'tr-1' }], { baseCurrency: 'CNY', now })

describe('transfer routes in the fold', () => {
  test('a transfer feeds transfer.qty by route A→B in every bucket, and its record says so', () => {
    const folded = foldBatch([movements[0]!], opts)
    const c = cells(folded.payload)
    for (const bucket of ['m:202603100900', 'h:2026031009', 'd:20260310', 'M:202603']) expect(c.get(`t:c:${bucket}:tr.q:route A→B`)).toBe(2000)
    expect(decodeEffect(folded.records[1]!)).toMatchObject({ t: 'transfer', to: ['B', '-'], rt: 1 })
  })

  test('its cancel takes the route cells back', () => {
    const record = decodeEffect(foldBatch([movements[0]!], opts).records[1]!) as EffectRecord
    record.x = [[0, -2000, 0, 2000, 0]]
    const target: CancelTarget = { id: 'tr-1', raw: JSON.stringify(record), effect: record }
    const c = cells(foldBatch([movements[1]!], opts, new Map([['x-1', target]])).payload)
    expect(c.get('t:c:d:20260310:tr.q:route A→B')).toBe(-2000)
    expect(c.get('t:c:d:20260310:tr.q:warehouse A')).toBe(-2000)
  })

  test('the cancel of a transfer recorded before routes existed leaves route counters alone', () => {
    const record = decodeEffect(foldBatch([movements[0]!], opts).records[1]!) as EffectRecord
    delete record.rt
    record.x = [[0, -2000, 0, 2000, 0]]
    const target: CancelTarget = { id: 'tr-1', raw: JSON.stringify(record), effect: record }
    const c = cells(foldBatch([movements[1]!], opts, new Map([['x-1', target]])).payload)
    expect([...c.keys()].filter((k) => k.includes(':route'))).toEqual([])
    expect(c.get('t:c:d:20260310:tr.q:warehouse A')).toBe(-2000)
  })
})
