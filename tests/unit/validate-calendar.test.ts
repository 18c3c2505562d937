/** Calendar checks of timestamps (validate.ts checks digits by character arithmetic, not Date). */
import { describe, expect, test } from 'vitest'
import { validateMovement } from '../../server/ingest/validate.ts'

const now = Date.parse('2026-11-25T12:00:00+08:00')
const order = { id: 'o-1', type: 'sales_order', occurredAt: '2026-11-25T10:00:00+08:00', sku: 'A1', warehouse: 'W1', qty: 1, unitPrice: 1 }
const pathsOf = (value: unknown) => {
  const r = validateMovement(value, 0, { baseCurrency: 'CNY', now })
  return r.ok ? [] : r.rejected.errors.map((e) => e.path)
}

describe('calendar validity of timestamps', () => {
  test.each([
    ['2024-02-29T10:00:00+08:00', true], // leap year
    ['2000-02-29T10:00:00Z', true], // divisible by 400
    ['2026-02-29T10:00:00+08:00', false],
    ['2026-04-31T10:00:00+08:00', false],
    ['2026-12-31T23:59:59.999+08:00', false], // valid, but more than a day ahead of `now`
    ['2026-11-25T24:00:00+08:00', false],
    ['2026-11-25T10:60:00+08:00', false],
    ['2026-11-25T10:00:60+08:00', false],
    ['2026-00-10T10:00:00+08:00', false],
    ['2026-11-00T10:00:00+08:00', false],
    ['2026-01-31T23:59:59-05:00', true],
  ])('occurredAt %s accepted: %s', (occurredAt, ok) => {
    expect(pathsOf({ ...order, occurredAt }).includes('/occurredAt')).toBe(!ok)
  })

  test.each([
    ['2096-02-29T00:00:00+08:00', true],
    ['2100-02-29T00:00:00+08:00', false], // divisible by 100, not by 400
    ['2027-06-30T00:00:00+08:00', true],
  ])('dueAt %s (may lie in the future) accepted: %s', (dueAt, ok) => {
    const shipment = { ...order, type: 'sales_shipment', dueAt }
    expect(pathsOf(shipment).includes('/dueAt')).toBe(!ok)
  })
})
