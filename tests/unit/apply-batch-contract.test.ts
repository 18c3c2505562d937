/**
 * The apply script's header and its TypeScript contract (server/redis/apply-batch.ts) list the
 * same records with the same fields in the same order, and the encoder writes exactly those.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { counterKeyHead, foldBatch } from '../../server/aggregate/fold.ts'
import { decodeEffect } from '../../server/aggregate/effect-record.ts'
import type { CancelTarget, EffectRecord } from '../../server/aggregate/fold.ts'
import { validateBatch } from '../../server/ingest/validate.ts'
import { DEFAULT_MONEY } from '../../server/domain/money.ts'
import { createCalendar } from '../../server/domain/time.ts'
import { createKeys } from '../../server/redis/keys.ts'
import { APPLY_BATCH_FIELDS, APPLY_BATCH_KEYS, APPLY_BATCH_REPLIES, OP_RECORD, applyBatchKeys } from '../../server/redis/apply-batch.ts'
import type { ApplyBatchPayload, ScriptOp } from '../../server/redis/apply-batch.ts'
import { luaHeaderLists } from '../helpers/lua-header.ts'

const lua = readFileSync(new URL('../../server/redis/scripts/apply-batch.lua', import.meta.url), 'utf8')

const lists = luaHeaderLists(lua)
const records = Object.keys(APPLY_BATCH_FIELDS) as (keyof typeof APPLY_BATCH_FIELDS)[]

describe('apply-batch.lua header ↔ server/redis/apply-batch.ts', () => {
  test('the header documents every record of the contract, and nothing else', () => {
    expect([...lists.keys()].sort()).toEqual([...records, 'APPLY_BATCH_KEYS', 'ApplyBatchReply'].sort())
  })

  test.each(records)('%s: the same fields in the same order', (name) => {
    expect(lists.get(name)).toEqual([...APPLY_BATCH_FIELDS[name]])
  })

  test('KEYS: the same names in the same order, each line naming the key it is', () => {
    expect(lists.get('APPLY_BATCH_KEYS')).toEqual([...APPLY_BATCH_KEYS])
    const built = applyBatchKeys(createKeys('t:'))
    APPLY_BATCH_KEYS.forEach((name, j) => {
      const line = lua.split('\n').find((l) => l.startsWith(`--   ${name} `))
      expect(line, name).toContain(`(${built[j]!.slice('t:'.length)})`)
    })
  })

  test('replies: the same kinds', () => {
    expect(lists.get('ApplyBatchReply')!.map((r) => /^\{"(\w+)"/.exec(r)?.[1])).toEqual([...APPLY_BATCH_REPLIES])
  })
})

describe('the encoder writes the contract', () => {
  const now = Date.parse('2026-03-20T12:00:00+08:00')
  const keys = createKeys('t:')
  const opts = {
    keys,
    calendar: createCalendar('Asia/Shanghai'),
    retention: { minute: 0, hour: 0, day: 0, month: 0, year: 0 },
    effectTtl: 60,
    dims: { categoryOf: () => undefined, regionOf: () => undefined },
    now,
    expiring: new Set<string>(),
    money: DEFAULT_MONEY,
  }
  const at = '2026-03-10T09:00:00+08:00'
  const line = { occurredAt: at, sku: 'S', warehouse: 'A' }
  // one movement of every kind that becomes a script operation
  const { movements, rejected } = validateBatch(
    [
      { ...line, id: 'po', type: 'purchase_order', qty: 5, unitCost: 2, ref: 'PO-1' },
      { ...line, id: 'pr', type: 'purchase_receipt', qty: 5, unitCost: 2, ref: 'PO-1' },
      { ...line, id: 'pt', type: 'purchase_return', qty: 1, returnOf: 'pr' },
      { ...line, id: 'sh', type: 'sales_shipment', qty: 1, unitPrice: 3, unitCost: 2 },
      { ...line, id: 'sr', type: 'sales_return', qty: 1, unitPrice: 3, returnOf: 'sh' },
      { ...line, id: 'tr', type: 'transfer', qty: 1, toWarehouse: 'B' },
      { ...line, id: 'st', type: 'stocktake', countedQty: 4, bookQty: 5 },
      { id: 'cx', type: 'cancel', occurredAt: at, cancels: 'sh' },
    ],
    { baseCurrency: 'CNY', now },
  )
  const shipment = decodeEffect(foldBatch([movements[3]!], opts).records[1]!) as EffectRecord
  // a StockOutput: line 2.00, qty −1, value −2.00, no revaluation, from 5 units worth 10.00, and
  // its LayerChange: no deficit opened, 1 unit consumed from the layer of business day 20522
  const output: unknown[] = [20_000, -1000, -20_000, 0, 5000, 100_000, 2_000_000, [0, 20_522, 1000]]
  shipment.x = [output as number[]]
  const target: CancelTarget = { id: 'sh', raw: JSON.stringify(shipment), effect: shipment }
  const folded = foldBatch(movements, opts, new Map([['cx', target]]))
  const payload = JSON.parse(folded.payload) as ApplyBatchPayload

  test('the sample batch is valid', () => {
    expect(rejected).toEqual([])
    expect(movements).toHaveLength(8)
  })

  test('the payload has the fields of ApplyBatchPayload, in order', () => {
    expect(Object.keys(payload)).toEqual([...APPLY_BATCH_FIELDS.ApplyBatchPayload])
  })

  test('each cancel mark has the fields of CancelMark, in order', () => {
    expect(payload.cx).toHaveLength(1)
    for (const mark of payload.cx) expect(Object.keys(mark)).toEqual([...APPLY_BATCH_FIELDS.CancelMark])
  })

  test('every operation has the fields of its record, in order; optional ones may be absent', () => {
    const kinds = new Set<ScriptOp['k']>()
    const optionalSeen = new Set<string>()
    for (const op of payload.ops) {
      kinds.add(op.k)
      const listed = APPLY_BATCH_FIELDS[OP_RECORD[op.k]] as readonly string[]
      const present = new Set(Object.keys(op))
      for (const f of listed) if (f.endsWith('?') && present.has(f.slice(0, -1))) optionalSeen.add(`${op.k}.${f}`)
      const expected = listed.map((f) => f.replace(/\?$/, '')).filter((f, j) => !listed[j]!.endsWith('?') || present.has(f))
      expect(Object.keys(op), `${op.k} op`).toEqual(expected)
    }
    // the sample reaches every kind and every optional field, so none of them goes unchecked
    expect([...kinds].sort()).toEqual(Object.keys(OP_RECORD).sort())
    expect([...optionalSeen].sort()).toEqual([
      'in.c?',
      'in.cs?',
      'in.l?',
      'in.rd?',
      'in.ri?',
      'in.rn?',
      'out.c?',
      'out.l?',
      'out.rd?',
      'out.ri?',
      'out.rn?',
      'rev.o?',
      'rev.rd?',
      'rev.rn?',
      'rev.s?',
      'rev.y?',
      'set.b?',
    ])
  })

  test('order lines: each side has the fields of LineHash, the upkeep those of LineUpkeep, in order', () => {
    expect(payload.N.map((n) => [n.h, n.f, n.r])).toEqual([[keys.line('p'), ['PO-1|S'], [false]]])
    for (const n of payload.N) expect(Object.keys(n)).toEqual([...APPLY_BATCH_FIELDS.LineHash])
    expect(Object.keys(payload.LC)).toEqual([...APPLY_BATCH_FIELDS.LineUpkeep])
  })

  test('order-line counters are fixed deltas in keys built as keys.ts builds them', () => {
    for (const res of ['day', 'month'] as const) {
      expect(keys.counter(res, '20260310', 'pl.k', 'partner')).toBe(`${counterKeyHead(keys, res)}20260310:pl.k:partner`)
    }
    // PO-1 is received at the instant it was ordered: one receipt timed, a lead time of 0 s (no cell)
    const cells = new Map<string, number>()
    for (let j = 0; j < payload.fixed.length; j += 2) {
      const t = payload.fixed[j] as number
      cells.set(`${payload.K[(payload.T[2 * t - 2] as number) - 1]} ${payload.T[2 * t - 1]}`, Number(payload.fixed[j + 1]))
    }
    expect(cells.get(`${keys.counter('day', '20260310', 'lt.n', 'partner')} -`)).toBe(1)
    expect(cells.get(`${keys.counter('month', '202603', 'lt.n', 'all')} _`)).toBe(1)
    expect(cells.has(`${keys.counter('day', '20260310', 'lt.s', 'all')} _`)).toBe(false)
  })

  test('the records after the payload: id, effect record (a JSON object), … in arrival order', () => {
    expect(folded.records.filter((_, j) => j % 2 === 0)).toEqual(movements.map((n) => n.m.id))
    for (let j = 1; j < folded.records.length; j += 2) expect(folded.records[j]).toMatch(/^\{.*\}$/)
  })
})
