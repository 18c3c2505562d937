/**
 * The code, id and name patterns (protocol/codes.ts) and how movement, master-data and query
 * schemas apply them: markup, control characters and separators refused with a message that
 * says which characters, letters of any script accepted.
 */
import { Compile } from 'typebox/compile'
import { describe, expect, test } from 'vitest'
import { CODE_PATTERN, ID_PATTERN, NAME_PATTERN } from '../../protocol/codes.ts'
import { MASTER_SCHEMAS } from '../../protocol/master.ts'
import { Query } from '../../protocol/query.ts'
import { validateMasterRecords } from '../../server/plugins/master-data.ts'
import { validateMovement } from '../../server/ingest/validate.ts'

const code = new RegExp(CODE_PATTERN, 'u')
const id = new RegExp(ID_PATTERN, 'u')
const name = new RegExp(NAME_PATTERN, 'u')

const XSS = '<img src=x onerror=alert(1)>'
/** one of each kind of character no code, id or name may hold */
const CONTROLS = ['\u0000', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u009f', '\u2028', '\u2029', '\u202e', '\u2066', '\ufeff', '\ud800']

describe('patterns', () => {
  test.each(['SKU-0001', '上海仓', '华东', 'W 01', 'A/B.c_d:e', 'Ünïcødé', 'رمز', 'x', '→', 'C&A', "O'Brien", '𠀀字'])('code %j is accepted', (c) => {
    expect(code.test(c)).toBe(true)
    expect(id.test(c)).toBe(true)
  })

  test.each([XSS, '<', '>', 'a|b', ' A', 'A ', '\u3000A', 'A\u00a0', ''])('code %j is refused', (c) => {
    expect(code.test(c)).toBe(false)
  })

  test.each(CONTROLS)('control character %j is refused in codes, ids and names, at any place', (ch) => {
    for (const s of [`${ch}A`, `A${ch}B`, `A${ch}`]) {
      expect(code.test(s)).toBe(false)
      expect(id.test(s)).toBe(false)
      expect(name.test(s)).toBe(false)
    }
  })

  test('ids may hold | and blanks; not < or >', () => {
    expect(id.test('SO-1|line 2 ')).toBe(true)
    expect(id.test('a<b')).toBe(false)
    expect(id.test('a>b')).toBe(false)
  })

  test('names are free text without control characters', () => {
    expect(name.test(`${XSS} & "quotes" 矿泉水 550ml`)).toBe(true)
    expect(name.test('two\nlines')).toBe(false)
  })
})

const now = Date.parse('2026-11-25T12:00:00+08:00')
const opts = { baseCurrency: 'CNY', now }
const at = '2026-11-25T10:00:00+08:00'
const transfer = { id: 't-1', type: 'transfer', occurredAt: at, sku: 'A1', warehouse: 'W1', toWarehouse: 'W2', qty: 1, category: 'c', region: 'r', channel: 'ch' }
const errorsOf = (m: unknown) => {
  const r = validateMovement(m, 0, opts)
  return r.ok ? [] : r.rejected.errors
}

describe('movement schemas', () => {
  test.each(['sku', 'warehouse', 'toWarehouse', 'category', 'region', 'channel'])('markup in %s is refused naming the field, in words', (field) => {
    expect(errorsOf({ ...transfer, [field]: XSS })).toEqual([
      { path: `/${field}`, message: 'must be printable, without control characters, <, > or |, and without spaces at either end' },
    ])
  })

  test('partner, ref, id and cancels', () => {
    const pay = { id: 'p-1', type: 'payment_in', occurredAt: at, amount: 1 }
    expect(errorsOf({ ...pay, partner: XSS })).toEqual([{ path: '/partner', message: expect.stringContaining('printable') }])
    expect(errorsOf({ ...pay, ref: 'INV\t7' })).toEqual([{ path: '/ref', message: 'must be printable, without control characters (tab included), < or >' }])
    expect(errorsOf({ ...pay, id: 'a\tb' })).toEqual([{ path: '/id', message: expect.stringContaining('tab') }])
    expect(errorsOf({ id: 'c-1', type: 'cancel', occurredAt: at, cancels: '<x>' })).toEqual([{ path: '/cancels', message: expect.stringContaining('<') }])
  })

  test('Chinese codes and ids are accepted', () => {
    expect(
      errorsOf({ ...transfer, id: '调拨单-2026-001', sku: '矿泉水550', warehouse: '上海仓', toWarehouse: '杭州店', category: '饮料', region: '华东', channel: '门店' }),
    ).toEqual([])
  })

  test('a refused id is echoed only when it is short', () => {
    const r = validateMovement({ id: 'i'.repeat(10_000), type: 'payment_in', occurredAt: at, amount: 1 }, 0, opts)
    expect(r.ok ? undefined : r.rejected.id).toBeNull()
  })
})

describe('master data and query schemas', () => {
  test.each(['skus', 'warehouses', 'partners', 'categories', 'regions', 'channels'] as const)(
    'a %s code with markup is refused; names may hold it but no control character',
    (kind) => {
      const base = { code: 'K1', name: 'n', ...(kind === 'partners' ? { kind: 'both' } : {}) }
      expect(validateMasterRecords(kind, [{ ...base, code: XSS }])).toEqual([
        { index: 0, code: XSS, errors: [{ path: '/code', message: expect.stringContaining('without control characters, <, > or |') }] },
      ])
      expect(validateMasterRecords(kind, [{ ...base, name: XSS, nameEn: XSS }])).toEqual([])
      expect(validateMasterRecords(kind, [{ ...base, name: 'a\u0000b' }])[0]!.errors).toEqual([{ path: '/name', message: 'must not contain control characters' }])
      expect(Compile(MASTER_SCHEMAS[kind]).Check({ ...base, code: '华东' })).toBe(true)
    },
  )

  test('sku category and warehouse region are codes too', () => {
    expect(validateMasterRecords('skus', [{ code: 'S', name: 'n', category: 'a\tb' }])[0]!.errors[0]!.path).toBe('/category')
    expect(validateMasterRecords('warehouses', [{ code: 'W', name: 'n', region: '<r>' }])[0]!.errors[0]!.path).toBe('/region')
  })

  test('query filter members follow the code pattern (a route joins two codes)', () => {
    const q = Compile(Query)
    expect(q.Check({ metric: 'stock.qty', filter: { warehouse: ['上海仓', 'W-1'] } })).toBe(true)
    expect(q.Check({ metric: 'transfer.qty', window: 'today', filter: { route: 'DC-1→ST-9' } })).toBe(true)
    expect(q.Check({ metric: 'stock.qty', filter: { sku: XSS } })).toBe(false)
    expect(q.Check({ metric: 'stock.qty', filter: { sku: ['ok', 'a\tb'] } })).toBe(false)
  })
})
