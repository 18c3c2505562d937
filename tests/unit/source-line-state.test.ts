import { describe, expect, test } from 'vitest'
import type { Movement } from '../../protocol/movement.ts'
import { generationId, inGeneration, lineStateText, parseLineState } from '../../server/sources/line-state.ts'

const shipment: Movement = { type: 'sales_shipment', id: 'dl:17', occurredAt: '2026-12-06T10:00:00+08:00', sku: '5', warehouse: '1', qty: 2, unitPrice: 8 }
const cancel: Movement = { type: 'cancel', id: 'dl:17:x', occurredAt: '2026-12-06T10:00:00+08:00', cancels: 'dl:17' }
const ids = (ms: Movement[]) => ms.map((m) => (m.type === 'cancel' ? `${m.id}→${m.cancels}` : m.id))

describe('generations of a document line', () => {
  test('first read: the mapping’s own ids', () => {
    expect(inGeneration([shipment], undefined)).toEqual({ movements: [shipment], gen: 0, counted: true })
    expect(inGeneration([cancel], undefined)).toEqual({ movements: [cancel], gen: 0, counted: false })
  })
  test('approved, un-approved, approved again, un-approved again: each approval a new generation, each cancel the one that counts', () => {
    let state = { doc: '9', seenAt: 0, ...inGeneration([shipment], undefined) }
    const steps: string[][] = []
    for (const row of [[cancel], [shipment], [shipment], [cancel], [shipment]]) {
      const g = inGeneration(row, state)
      steps.push(ids(g.movements))
      state = { ...state, gen: g.gen, counted: g.counted }
    }
    expect(steps).toEqual([['dl:17:x→dl:17'], ['dl:17:r1'], ['dl:17:r1'], ['dl:17:r1:x→dl:17:r1'], ['dl:17:r2']])
  })
  test('state text round-trips, and a value without generation reads as generation 0, counted', () => {
    const s = { doc: '42', seenAt: 1_765_000_000_000, gen: 3, counted: false }
    expect(parseLineState(lineStateText(s))).toEqual(s)
    expect(parseLineState('42\t1765000000000')).toEqual({ doc: '42', seenAt: 1_765_000_000_000, gen: 0, counted: true })
    expect(generationId('dl:17', 0)).toBe('dl:17')
  })
})
