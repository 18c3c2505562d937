import { DEFAULT_MONEY } from '../../server/domain/money.ts'
import { describe, expect, test } from 'vitest'
import { createCalendar } from '../../server/domain/time.ts'
import { validateBatch, validateMovement } from '../../server/ingest/validate.ts'
import { RATE_SCALE, buildRateTable, convertBatch, convertScaled, parseRateList, rateOn, validateRates } from '../../server/ingest/currency.ts'
import { businessDate } from '../../server/domain/time.ts'

const cal = createCalendar('Asia/Shanghai')
const table = buildRateTable([
  { currency: 'USD', from: '2026-03-01', rate: 7.2 * RATE_SCALE },
  { currency: 'USD', from: '2026-01-01', rate: 7.1 * RATE_SCALE },
  { currency: 'USD', from: '2026-02-01', rate: 7.15 * RATE_SCALE },
  { currency: 'EUR', from: '2026-01-01', rate: 7.8 * RATE_SCALE },
])
const now = Date.parse('2026-11-25T12:00:00+08:00')

describe('rate lookup by date', () => {
  test('the record with the latest from ≤ the date, until the next one', () => {
    expect(rateOn(table, 'USD', '2025-12-31')).toBeUndefined()
    expect(rateOn(table, 'USD', '2026-01-01')?.rate).toBe(7.1 * RATE_SCALE)
    expect(rateOn(table, 'USD', '2026-01-31')?.rate).toBe(7.1 * RATE_SCALE)
    expect(rateOn(table, 'USD', '2026-02-01')?.rate).toBe(7.15 * RATE_SCALE)
    expect(rateOn(table, 'USD', '2026-02-28')?.rate).toBe(7.15 * RATE_SCALE)
    expect(rateOn(table, 'USD', '2030-01-01')?.rate).toBe(7.2 * RATE_SCALE)
    expect(rateOn(table, 'EUR', '2026-06-01')?.rate).toBe(7.8 * RATE_SCALE)
    expect(rateOn(table, 'JPY', '2026-06-01')).toBeUndefined()
  })

  test('the date is the business date of the instant, not the UTC date', () => {
    // 2026-01-31T17:00Z is 2026-02-01 01:00 in Shanghai
    expect(businessDate(cal, Date.parse('2026-01-31T17:00:00Z'))).toBe('2026-02-01')
    expect(businessDate(cal, Date.parse('2026-02-01T00:30:00+08:00'))).toBe('2026-02-01')
    expect(businessDate(cal, Date.parse('2026-01-31T23:59:59+08:00'))).toBe('2026-01-31')
  })
})

describe('exact conversion', () => {
  test('rounds once, half away from zero, at the figure’s own scale', () => {
    expect(convertScaled(1, RATE_SCALE / 2)).toBe(1) // 0.5 → 1
    expect(convertScaled(-1, RATE_SCALE / 2)).toBe(-1)
    expect(convertScaled(1, RATE_SCALE / 2 - 1)).toBe(0)
    expect(convertScaled(3, RATE_SCALE / 2)).toBe(2) // 1.5 → 2
    // 1.000001 USD × 7.12 = 7.12000712 → 7.120007 (unit prices keep 6 decimals)
    expect(convertScaled(1_000_001, 7.12 * RATE_SCALE)).toBe(7_120_007)
  })

  test('stays exact far outside float precision', () => {
    // 1e9 per unit (price limit) at a rate with 10 decimals: the product needs ~70 bits
    const price = 1e9 * 1e6
    expect(convertScaled(price, 1_234_567_891)).toBe(123_456_789_100_000)
    expect(convertScaled(999_999_999_999_999, 3)).toBe(300_000)
  })

  test('a batch: unit price, cost and amount become base currency at the rate of their business date', () => {
    const items = [
      { id: 'a', type: 'sales_shipment', occurredAt: '2026-01-31T23:00:00+08:00', sku: 'S', warehouse: 'W', qty: 3, unitPrice: 10.01, unitCost: 4, currency: 'USD' },
      { id: 'b', type: 'sales_shipment', occurredAt: '2026-01-31T17:00:00Z', sku: 'S', warehouse: 'W', qty: 3, unitPrice: 10.01, currency: 'USD' },
      { id: 'c', type: 'payment_in', occurredAt: '2026-03-02T10:00:00+08:00', amount: 100.0001, currency: 'USD' },
      { id: 'd', type: 'payment_in', occurredAt: '2026-03-02T10:00:00+08:00', amount: 5 },
      { id: 'e', type: 'payment_in', occurredAt: '2026-03-02T10:00:00+08:00', amount: 5, currency: 'CNY' },
    ]
    const { movements, rejected } = validateBatch(items, { baseCurrency: 'CNY', now, foreignCurrencies: true })
    expect(rejected).toEqual([])
    const out = convertBatch(movements, table, { baseCurrency: 'CNY', calendar: cal, money: DEFAULT_MONEY })
    expect(out.rejected).toEqual([])
    expect(out.movements.map((n) => [n.m.id, n.price, n.cost, n.amount])).toEqual([
      ['a', 71_071_000, 28_400_000, undefined], // 10.01 × 7.1, 4 × 7.1
      ['b', 71_571_500, undefined, undefined], // 10.01 × 7.15: already 1 February in Shanghai
      ['c', undefined, undefined, 7_200_000], // 100.0001 × 7.2 = 720.00072 → 720.00, rounded once to the cent
      ['d', undefined, undefined, 50_000],
      ['e', undefined, undefined, 50_000],
    ])
  })

  test('no rate for the date, or no rate at all, rejects naming /currency', () => {
    const items = [
      { id: 'early', type: 'payment_out', occurredAt: '2025-12-31T10:00:00+08:00', amount: 1, currency: 'USD' },
      { id: 'jpy', type: 'payment_out', occurredAt: '2026-05-01T10:00:00+08:00', amount: 1, currency: 'JPY' },
      { id: 'ok', type: 'payment_out', occurredAt: '2026-05-01T10:00:00+08:00', amount: 1, currency: 'EUR' },
    ]
    const { movements } = validateBatch(items, { baseCurrency: 'CNY', now, foreignCurrencies: true })
    const out = convertBatch(movements, table, { baseCurrency: 'CNY', calendar: cal, money: DEFAULT_MONEY })
    expect(out.movements.map((n) => n.m.id)).toEqual(['ok'])
    expect(out.rejected).toEqual([
      { index: 0, id: 'early', errors: [{ path: '/currency', message: expect.stringContaining('rates start 2026-01-01') }] },
      { index: 1, id: 'jpy', errors: [{ path: '/currency', message: expect.stringContaining('unknown currency JPY') }] },
    ])
  })

  test('a converted figure beyond the limits is refused, not wrapped', () => {
    const big = buildRateTable([{ currency: 'BTC', from: '2026-01-01', rate: 90_000 * RATE_SCALE }])
    const { movements } = validateBatch([{ id: 'x', type: 'payment_in', occurredAt: '2026-05-01T10:00:00+08:00', amount: 1e11, currency: 'BTC' }], {
      baseCurrency: 'CNY',
      now,
      foreignCurrencies: true,
    })
    const out = convertBatch(movements, big, { baseCurrency: 'CNY', calendar: cal, money: DEFAULT_MONEY })
    expect(out.rejected[0]?.errors[0]?.path).toBe('/amount')
  })

  test('without the option, validation still refuses other currencies', () => {
    const m = { id: 'x', type: 'payment_in', occurredAt: '2026-05-01T10:00:00+08:00', amount: 1, currency: 'USD' }
    expect(validateMovement(m, 0, { baseCurrency: 'CNY', now }).ok).toBe(false)
    expect(validateMovement(m, 0, { baseCurrency: 'CNY', now, foreignCurrencies: true }).ok).toBe(true)
  })
})

describe('rate records', () => {
  test('valid records are scaled; every bad field is named', () => {
    const { rates, errors } = validateRates(
      [
        { currency: 'USD', from: '2026-01-01', rate: 7.1234567891 },
        { currency: 'usd', from: '2026-02-30', rate: 0 },
        { currency: 'CNY', from: '2026-02-30', rate: 1.00000000001 },
        { currency: 'EUR', from: '2026-01-01' },
      ],
      'CNY',
    )
    expect(rates).toEqual([{ currency: 'USD', from: '2026-01-01', rate: 71_234_567_891 }])
    const paths = errors.map((e) => e.path)
    expect(paths).toEqual(expect.arrayContaining(['/1/currency', '/1/rate', '/2/currency', '/2/from', '/2/rate', '/3/rate']))
  })

  test('COCKPIT_FX_RATES lists parse, and a bad entry is named', () => {
    expect(parseRateList('USD:2026-01-01:7.12, EUR:2026-01-01:7.8', 'CNY')).toEqual([
      { currency: 'USD', from: '2026-01-01', rate: 71_200_000_000 },
      { currency: 'EUR', from: '2026-01-01', rate: 78_000_000_000 },
    ])
    expect(() => parseRateList('USD:2026-01-01:7.12,EUR:2026-13-01:7.8', 'CNY')).toThrow(/EUR:2026-13-01:7.8.*from/)
    expect(() => parseRateList('USD=7.1', 'CNY')).toThrow(/CUR:YYYY-MM-DD:rate/)
  })
})
