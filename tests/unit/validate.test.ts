import { describe, expect, test } from 'vitest'
import { validateBatch, validateMovement } from '../../server/ingest/validate.ts'

const now = Date.parse('2026-11-25T12:00:00+08:00')
const opts = { baseCurrency: 'CNY', now }
const shipment = { id: 's-1', type: 'sales_shipment', occurredAt: '2026-11-25T10:00:00+08:00', sku: 'A1', warehouse: 'W1', qty: 2, unitPrice: 9.9 }

function errorsOf(value: unknown) {
  const r = validateMovement(value, 0, opts)
  return r.ok ? [] : r.rejected.errors
}

describe('movement validation', () => {
  test('a valid movement becomes exact integers', () => {
    const r = validateMovement({ ...shipment, unitCost: 5.123456, dueAt: '2026-11-26T00:00:00+08:00' }, 0, opts)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.movement).toMatchObject({ qty: 2000, price: 9_900_000, cost: 5_123_456, at: Date.parse(shipment.occurredAt) })
  })

  test.each([
    ['negative qty', { ...shipment, qty: -1 }, '/qty'],
    ['zero qty', { ...shipment, qty: 0 }, '/qty'],
    ['absurd qty', { ...shipment, qty: 1e308 }, '/qty'],
    ['qty as string', { ...shipment, qty: '2' }, '/qty'],
    ['too many decimals', { ...shipment, qty: 1.0001 }, '/qty'],
    ['missing price', { ...shipment, unitPrice: undefined }, '/unitPrice'],
    ['unknown field', { ...shipment, colour: 'red' }, '/colour'],
    ['no offset', { ...shipment, occurredAt: '2026-11-25T10:00:00' }, '/occurredAt'],
    ['impossible date', { ...shipment, occurredAt: '2026-02-30T10:00:00+08:00' }, '/occurredAt'],
    ['far future', { ...shipment, occurredAt: '2027-11-25T10:00:00+08:00' }, '/occurredAt'],
    ['unknown currency', { ...shipment, currency: 'USD' }, '/currency'],
    ['empty id', { ...shipment, id: '' }, '/id'],
  ])('%s is refused at its field', (_name, value, path) => {
    const paths = errorsOf(value).map((e) => e.path)
    expect(paths).toContain(path)
  })

  test('unknown type and non-objects are refused clearly', () => {
    expect(errorsOf({ ...shipment, type: 'sales_teleport' })).toEqual([{ path: '/type', message: expect.stringContaining('must be one of') }])
    expect(errorsOf('hello')).toEqual([{ path: '/', message: 'must be an object' }])
  })

  test('transfer to the same warehouse is refused', () => {
    const t = { id: 't', type: 'transfer', occurredAt: shipment.occurredAt, sku: 'A1', warehouse: 'W1', toWarehouse: 'W1', qty: 1 }
    expect(errorsOf(t).map((e) => e.path)).toEqual(['/toWarehouse'])
  })

  test('a batch reports every bad item with its index and id', () => {
    const r = validateBatch([shipment, { ...shipment, id: 'bad', qty: -3 }, shipment, { id: 7 }], opts)
    expect(r.movements).toHaveLength(2)
    expect(r.rejected.map((x) => [x.index, x.id])).toEqual([
      [1, 'bad'],
      [3, null],
    ])
  })
})
