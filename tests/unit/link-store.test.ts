/**
 * The linked-filter store: clicks toggle filters and bring the member's names, names are learnt
 * from results for filters that came from a URL, and what a long-running wall keeps is bounded.
 * A screen file keeps its linking switch.
 */
import { beforeEach, describe, expect, test } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import type { QueryResult } from '../../protocol/query.ts'
import { MAX_NAMES, memberNamesIn, useLinkStore } from '../../screen/stores/links.ts'
import { linksFromQuery, queryWithLinks } from '../../screen/composables/linking.ts'
import { exportScreen, parseScreenFile } from '../../screen/editor/screen-file.ts'
import { retailTemplate } from '../../widgets/templates/retail.ts'

const result = (patch: Partial<QueryResult>): QueryResult => ({ metric: 'sales.revenue', unit: 'money', currency: 'CNY', total: 0, asOf: '2026-12-06T10:00:00+08:00', ...patch })

beforeEach(() => setActivePinia(createPinia()))

describe('useLinkStore', () => {
  test('a click sets, replaces and clears; the store follows the URL it yields', () => {
    const store = useLinkStore()
    let next = store.picked({ dimension: 'category', key: 'drinks', label: '饮料', labelEn: 'Drinks' })
    expect(next).toEqual([{ dimension: 'category', key: 'drinks' }])
    // the URL is the source: the page navigates, then the store reads the URL back
    let url = queryWithLinks({ lang: 'en' }, next)
    store.setLinks(linksFromQuery(url))
    expect(store.links).toEqual(next)
    expect(store.nameOf(store.links[0]!, 'zh-CN')).toBe('饮料')
    expect(store.nameOf(store.links[0]!, 'en')).toBe('Drinks')

    next = store.picked({ dimension: 'warehouse', key: 'WH-SH' })
    url = queryWithLinks(url, next)
    store.setLinks(linksFromQuery(url))
    expect(url).toEqual({ lang: 'en', 'f.category': 'drinks', 'f.warehouse': 'WH-SH' })
    // no name known: the code
    expect(store.nameOf(store.links[1]!, 'en')).toBe('WH-SH')

    next = store.picked({ dimension: 'category', key: 'drinks' })
    store.setLinks(linksFromQuery(queryWithLinks(url, next)))
    expect(store.links).toEqual([{ dimension: 'warehouse', key: 'WH-SH' }])
  })

  test('English falls back to the Chinese name, then the code', () => {
    const store = useLinkStore()
    store.learn('region', '华东', { label: '华东大区' })
    expect(store.nameOf({ dimension: 'region', key: '华东' }, 'en')).toBe('华东大区')
    expect(store.nameOf({ dimension: 'region', key: '华北' }, 'en')).toBe('华北')
  })

  test(`at most ${MAX_NAMES} names are kept, the oldest go first`, () => {
    const store = useLinkStore()
    for (let i = 0; i < MAX_NAMES + 50; i++) store.learn('sku', `S${i}`, { label: `商品${i}` })
    expect(store.names.size).toBe(MAX_NAMES)
    expect(store.knows({ dimension: 'sku', key: 'S0' })).toBe(false)
    expect(store.nameOf({ dimension: 'sku', key: `S${MAX_NAMES + 49}` }, 'zh-CN')).toBe(`商品${MAX_NAMES + 49}`)
  })
})

describe('names from results', () => {
  test('a group of the dimension, or a row about the member', () => {
    const groups = result({ groupBy: 'category', groups: [{ key: 'drinks', label: '饮料', labelEn: 'Drinks', total: 1 }] })
    expect(memberNamesIn(groups, 'category', 'drinks')).toEqual({ label: '饮料', labelEn: 'Drinks' })
    expect(memberNamesIn(groups, 'warehouse', 'drinks')).toBeUndefined()
    const rows = result({
      metric: 'stock.belowSafety',
      rows: [
        {
          sku: 'A1',
          skuName: '矿泉水',
          warehouse: 'W1',
          warehouseName: '上海仓',
          warehouseNameEn: 'Shanghai',
          category: 'drinks',
          categoryName: '饮料',
          qty: 1,
          safetyStock: 5,
          coverage: 0.2,
        },
      ],
    })
    expect(memberNamesIn(rows, 'warehouse', 'W1')).toEqual({ label: '上海仓', labelEn: 'Shanghai' })
    expect(memberNamesIn(rows, 'category', 'drinks')).toEqual({ label: '饮料' })
    expect(memberNamesIn(rows, 'sku', 'A1')).toEqual({ label: '矿泉水' })
    expect(memberNamesIn(rows, 'sku', 'B2')).toBeUndefined()
    // regions and channels are named by groups only
    expect(memberNamesIn(rows, 'region', '华东')).toBeUndefined()
    expect(memberNamesIn(undefined, 'sku', 'A1')).toBeUndefined()
  })
})

describe('screen files', () => {
  test('keep the linking switch through export and import', () => {
    const parsed = parseScreenFile(exportScreen({ ...retailTemplate, linking: false }), 'en')
    expect(parsed).toMatchObject({ ok: true, screen: { linking: false } })
    expect(exportScreen(retailTemplate)).not.toContain('linking')
  })
})
