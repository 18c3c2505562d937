/**
 * The stored form of effect records (server/aggregate/effect-record.ts): every movement type reads back as the fold
 * wrote it, records in the long form written before it still read the same, and the short form is what it says.
 */
import { describe, expect, test } from 'vitest'
import { MOVEMENT_DIMENSIONS } from '../../protocol/metrics.ts'
import { MOVEMENT_TYPES } from '../../protocol/movement.ts'
import { RECORD_DIMS, TYPE_CODES, decodeEffect, encodeEffect } from '../../server/aggregate/effect-record.ts'
import { effectOf } from '../../server/aggregate/fold.ts'
import type { EffectRecord } from '../../server/aggregate/fold.ts'
import { createCalendar } from '../../server/domain/time.ts'
import { validateBatch } from '../../server/ingest/validate.ts'

const now = Date.parse('2026-03-20T12:00:00+08:00')
const at = '2026-03-10T09:00:00+08:00'
const line = { occurredAt: at, sku: 'SKU-0192', warehouse: 'ST-SZ01', partner: 'MEM-0155', channel: 'pos' }
const dims = { categoryOf: () => 'snacks', regionOf: (w: string) => (w === 'DC-GZ' ? '华南' : '华北'), termsOf: () => 30 }
const calendar = createCalendar('Asia/Shanghai')
const { movements, rejected } = validateBatch(
  [
    { ...line, id: 'so', type: 'sales_order', qty: 1, unitPrice: 46.66, ref: 'SO-1', dueDate: '2026-03-12' },
    { ...line, id: 'sh', type: 'sales_shipment', qty: 2, unitPrice: 33.08, ref: 'SO-1' },
    { ...line, id: 'sh2', type: 'sales_shipment', qty: 2, unitPrice: 33.08 },
    { ...line, id: 'sr', type: 'sales_return', qty: 1, unitPrice: 33.08, returnOf: 'sh', ref: 'SO-1' },
    { ...line, id: 'po', type: 'purchase_order', qty: 5, unitCost: 2, ref: 'PO-1' },
    { ...line, id: 'pr', type: 'purchase_receipt', qty: 5, unitCost: 2, ref: 'PO-1', lineAmount: 10 },
    { ...line, id: 'pt', type: 'purchase_return', qty: 1, returnOf: 'pr' },
    { ...line, id: 'tr', type: 'transfer', qty: 1, toWarehouse: 'DC-GZ' },
    { ...line, id: 'st', type: 'stocktake', countedQty: 4, bookQty: 5 },
    { id: 'pi', type: 'payment_in', occurredAt: at, partner: 'MEM-0155', amount: 9.97, ref: 'SO-1' },
    { id: 'pu', type: 'payment_out', occurredAt: at, partner: 'SUP-1', amount: 12 },
  ],
  { baseCurrency: 'CNY', now },
)
const records = movements.map((n) => effectOf(n, dims, calendar, n.m.id === 'sr' ? { line: 19_920, qty: 1000 } : undefined))

/** the record the fold kept before the short form: members by name, the full type, every field spelled out */
const longForm = (e: EffectRecord) => JSON.stringify(e)

describe('stored effect records', () => {
  test('the sample covers every movement type but cancel, and is valid', () => {
    expect(rejected).toEqual([])
    expect(new Set(records.map((e) => e.t))).toEqual(new Set(MOVEMENT_TYPES.filter((t) => t !== 'cancel')))
  })

  test.each(records.map((e) => [e.t, e] as const))('%s: the short form reads back as written, with outputs and a cancel mark appended', (_, e) => {
    expect(decodeEffect(encodeEffect(e))).toEqual(e)
    // what the apply script appends to the text
    const applied = `${encodeEffect(e).slice(0, -1)},"x":[[1000,-2000,"123456789012345678901"]]}`
    const cancelled = `${applied.slice(0, -1)},"c":"cx-1"}`
    expect(decodeEffect(cancelled)).toEqual({ ...e, x: [[1000, -2000, '123456789012345678901']], c: 'cx-1' })
  })

  test.each(records.map((e) => [e.t, e] as const))('%s: a record in the long form reads the same', (_, e) => {
    expect(decodeEffect(longForm(e))).toEqual(e)
  })

  test('the short form is shorter: positional members, type codes, no trailing nulls, no repeated document', () => {
    const shipment = records[1]!
    expect(JSON.parse(encodeEffect(shipment))).toEqual({
      t: 'ss',
      at: Date.parse(at),
      n: [2000, 33_080_000],
      d: ['SKU-0192', 'snacks', 'ST-SZ01', 'MEM-0155', '华北', 'pos'],
      ref: 'SO-1',
      oi: ['2026-04-09'],
    })
    // a document that is not the ref (a shipment without one is its own document) is kept
    expect(JSON.parse(encodeEffect(records[2]!)).oi).toEqual(['sh2', '2026-04-09'])
    expect(JSON.parse(encodeEffect(records[9]!)).os).toBe(1)
    const long = records.reduce((s, e) => s + longForm(e).length, 0)
    const short = records.reduce((s, e) => s + encodeEffect(e).length, 0)
    expect(short).toBeLessThan(long * 0.75)
  })

  test('codes and member order are a stored format: complete and unambiguous', () => {
    expect([...RECORD_DIMS].sort()).toEqual([...MOVEMENT_DIMENSIONS].sort())
    const codes = Object.values(TYPE_CODES)
    expect(new Set(codes).size).toBe(codes.length)
    for (const code of codes) expect(code === 'cancel' || !(MOVEMENT_TYPES as readonly string[]).includes(code)).toBe(true)
  })

  test.each([
    ['not JSON', '{not json'],
    ['not an object', '[1,2]'],
    ['unknown type', JSON.stringify({ t: 'xx', at: 0, n: [1], d: ['a', 'b', 'c', 'd', 'e', 'f'] })],
    ['no members', JSON.stringify({ t: 'so', at: 0, n: [1] })],
    ['members short of one', JSON.stringify({ t: 'so', at: 0, n: [1], d: ['a', 'b', 'c', 'd', 'e'] })],
    ['a member not text', JSON.stringify({ t: 'so', at: 0, n: [1], d: ['a', 'b', 'c', 'd', 'e', 6] })],
    ['no qty', JSON.stringify({ t: 'so', at: 0, n: [], d: ['a', 'b', 'c', 'd', 'e', 'f'] })],
    ['time out of range', JSON.stringify({ t: 'cancel', at: 1e300, cancels: 'y' })],
    ['cancel without target', JSON.stringify({ t: 'cancel', at: 0 })],
  ])('%s: not a record', (_, text) => {
    expect(decodeEffect(text)).toBeUndefined()
  })
})
