/**
 * Which master-data records a scoped viewer sees (`masterInScope`, docs/api.md "Scoped master
 * data"): a record is shown when a scoped dimension names it and none excludes it; a kind whose
 * dimensions the scope does not mention is empty.
 */
import { describe, expect, test } from 'vitest'
import { hasScope, masterInScope } from '../../server/auth/scope.ts'
import type { MasterRelations } from '../../server/auth/scope.ts'

const warehouses = [
  { code: 'WH-SH', name: '上海', region: 'East' },
  { code: 'WH-HZ', name: '杭州', region: 'East' },
  { code: 'WH-BJ', name: '北京', region: 'North' },
  { code: 'WH-X', name: '无区域' },
]
const skus = [
  { code: 'A1', name: 'water', category: 'drinks' },
  { code: 'B1', name: 'soap', category: 'household' },
  { code: 'C1', name: 'loose' },
]
const regions = [
  { code: 'East', name: '华东' },
  { code: 'North', name: '华北' },
]
const categories = [
  { code: 'drinks', name: '饮料' },
  { code: 'household', name: '日化' },
]
const partners = [
  { code: 'S1', name: 's', kind: 'supplier' },
  { code: 'C1', name: 'c', kind: 'customer' },
]
const channels = [
  { code: 'pos', name: 'pos' },
  { code: 'web', name: 'web' },
]
const related: MasterRelations = { warehouses, skus }
const codes = (r: unknown[]) => r.map((x) => (x as { code: string }).code)

describe('masterInScope', () => {
  test('warehouse scope: that warehouse and its region, nothing of other dimensions', () => {
    const scope = { warehouse: ['WH-SH'] }
    expect(codes(masterInScope('warehouses', warehouses, scope, related))).toEqual(['WH-SH'])
    expect(codes(masterInScope('regions', regions, scope, related))).toEqual(['East'])
    for (const [kind, records] of [
      ['skus', skus],
      ['categories', categories],
      ['partners', partners],
      ['channels', channels],
    ] as const) {
      expect(masterInScope(kind, records, scope, related), kind).toEqual([])
    }
  })

  test('region scope: its warehouses (a warehouse without region is outside) and the region', () => {
    const scope = { region: ['East'] }
    expect(codes(masterInScope('warehouses', warehouses, scope, related))).toEqual(['WH-SH', 'WH-HZ'])
    expect(codes(masterInScope('regions', regions, scope, related))).toEqual(['East'])
  })

  test('warehouse and region together must both hold', () => {
    const scope = { warehouse: ['WH-SH', 'WH-BJ'], region: ['East'] }
    expect(codes(masterInScope('warehouses', warehouses, scope, related))).toEqual(['WH-SH'])
    expect(codes(masterInScope('regions', regions, scope, related))).toEqual(['East'])
  })

  test('category and sku scopes', () => {
    expect(codes(masterInScope('skus', skus, { category: ['drinks'] }, related))).toEqual(['A1'])
    expect(codes(masterInScope('categories', categories, { category: ['drinks'] }, related))).toEqual(['drinks'])
    expect(codes(masterInScope('categories', categories, { sku: ['B1', 'C1'] }, related))).toEqual(['household'])
    expect(codes(masterInScope('skus', skus, { sku: ['B1', 'C1'] }, related))).toEqual(['B1', 'C1'])
  })

  test('partners and channels only by their own dimension', () => {
    expect(codes(masterInScope('partners', partners, { partner: ['S1'] }, related))).toEqual(['S1'])
    expect(codes(masterInScope('channels', channels, { channel: ['web'] }, related))).toEqual(['web'])
    expect(masterInScope('partners', partners, { channel: ['web'] }, related)).toEqual([])
  })

  test('hasScope: only a dimension with members restricts', () => {
    expect(hasScope(undefined)).toBe(false)
    expect(hasScope({})).toBe(false)
    expect(hasScope({ warehouse: [] })).toBe(false)
    expect(hasScope({ warehouse: ['WH-SH'] })).toBe(true)
  })
})
