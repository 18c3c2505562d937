/**
 * Linked widgets: which widgets of the templates follow which filter, how filters combine and
 * toggle, and the URL form of the filters (a linked view is shared and survives reload by it).
 */
import { describe, expect, test } from 'vitest'
import { acceptsFilter } from '../../protocol/filters.ts'
import type { Query } from '../../protocol/query.ts'
import type { ScreenDefinition } from '../../protocol/screen.ts'
import { linkQueries, linksFromQuery, queryWithLinks, toggleLink, unfollowed } from '../../screen/composables/linking.ts'
import type { LinkFilter, LinkState } from '../../screen/composables/linking.ts'
import { deriveQueries } from '../../screen/composables/widgetQueries.ts'
import { migrateOptions } from '../../widgets/define-widget.ts'
import { isWidgetId, manifestOf } from '../../widgets/manifests.ts'
import { TEMPLATES } from '../../widgets/templates/index.ts'

const retail = TEMPLATES.find((t) => t.id === 'retail')!

function queriesOf(screen: ScreenDefinition, id: string): Record<string, Query> {
  const instance = screen.widgets.find((w) => w.id === id)!
  if (!isWidgetId(instance.widget)) throw new Error(instance.widget)
  const m = manifestOf(instance.widget)
  return m.queries(migrateOptions(m, instance.options, instance.optionsVersion ?? m.version) as never)
}

/** every widget of a screen → its state for one linked filter */
function statesFor(screen: ScreenDefinition, links: LinkFilter[]): Record<string, Partial<Record<string, LinkState>>> {
  return Object.fromEntries(screen.widgets.map((w) => [w.id, linkQueries(queriesOf(screen, w.id), links).states]))
}

const drinks: LinkFilter = { dimension: 'category', key: 'drinks' }
const shanghai: LinkFilter = { dimension: 'warehouse', key: 'WH-SH' }

describe('which widgets of the retail wall take which filter', () => {
  test('a category: KPIs, the trend, the SKU ranking and the stock lists narrow; the category chart shows it selected', () => {
    const states = statesFor(retail, [drinks])
    expect(states).toEqual({
      revenue: { category: 'filtered' },
      profit: { category: 'filtered' },
      margin: { category: 'filtered' },
      receipts: { category: 'filtered' },
      'days-on-hand': { category: 'filtered' },
      // cash is not kept by category
      cash: { category: 'unfiltered' },
      'sales-vs-purchases': { category: 'filtered' },
      // counters of channels cannot be narrowed to a category at the same time
      channels: { category: 'unfiltered' },
      alerts: { category: 'filtered' },
      reorder: { category: 'filtered' },
      'top-skus': { category: 'filtered' },
      transfers: { category: 'unfiltered' },
      'category-margin': { category: 'selected' },
    })
  })

  test('the SKU ranking narrowed to a category asks for that category’s SKUs, the trend for its series', () => {
    const top = linkQueries(queriesOf(retail, 'top-skus'), [drinks])
    expect(top.queries.ranking).toEqual({ metric: 'sales.revenue', window: 'today', groupBy: 'sku', top: 8, filter: { category: 'drinks' } })
    const trend = linkQueries(queriesOf(retail, 'sales-vs-purchases'), [drinks])
    expect(Object.values(trend.queries).map((q) => q.filter)).toEqual([{ category: 'drinks' }, { category: 'drinks' }])
    expect(Object.values(trend.queries).map((q) => q.interval)).toEqual(['hour', 'hour'])
  })

  test('the widget grouped by the dimension keeps its groups and marks the member selected', () => {
    const linked = linkQueries(queriesOf(retail, 'category-margin'), [drinks])
    expect(linked.queries).toEqual(queriesOf(retail, 'category-margin'))
    expect(linked.selected).toEqual({ category: 'drinks' })
    const channel = linkQueries(queriesOf(retail, 'channels'), [{ dimension: 'channel', key: 'pos' }])
    expect(channel.states).toEqual({ channel: 'selected' })
    expect(channel.selected).toEqual({ channel: 'pos' })
  })

  test('a channel: the cash KPI follows it, the stock lists cannot', () => {
    const states = statesFor(retail, [{ dimension: 'channel', key: 'pos' }])
    expect(states.cash).toEqual({ channel: 'filtered' })
    expect(states.alerts).toEqual({ channel: 'unfiltered' })
    expect(states['top-skus']).toEqual({ channel: 'unfiltered' })
    expect(states.revenue).toEqual({ channel: 'filtered' })
  })

  test('a partner: a KPI whose sparkline is by hour cannot follow it (partners are kept by day), one without can', () => {
    const partner: LinkFilter = { dimension: 'partner', key: 'C-001' }
    expect(statesFor(retail, [partner]).revenue).toEqual({ partner: 'unfiltered' })
    expect(statesFor(retail, [partner]).profit).toEqual({ partner: 'filtered' })
  })

  test('a widget with no queries (a clock) has no state', () => {
    expect(linkQueries({}, [drinks]).states).toEqual({})
  })

  test('every template widget’s linked queries are ones the server answers', () => {
    const dims = ['sku', 'category', 'warehouse', 'partner', 'region', 'channel'] as const
    for (const screen of TEMPLATES) {
      for (const w of screen.widgets) {
        for (const a of dims) {
          for (const b of dims) {
            const links: LinkFilter[] =
              a === b
                ? [{ dimension: a, key: 'K1' }]
                : [
                    { dimension: a, key: 'K1' },
                    { dimension: b, key: 'K2' },
                  ]
            const linked = linkQueries(queriesOf(screen, w.id), links)
            for (const q of Object.values(linked.queries)) expect(acceptsFilter(q), `${screen.id}/${w.id} ${JSON.stringify(q)}`).toBe(true)
          }
        }
      }
    }
  })
})

describe('filters on several dimensions', () => {
  test('pair sums (stock lists) take a category and a warehouse together', () => {
    const linked = linkQueries(queriesOf(retail, 'alerts'), [drinks, shanghai])
    expect(linked.states).toEqual({ category: 'filtered', warehouse: 'filtered' })
    expect(linked.queries.alerts!.filter).toEqual({ category: 'drinks', warehouse: 'WH-SH' })
  })

  test('counter figures take the first dimension picked and mark the second unfollowed', () => {
    const linked = linkQueries(queriesOf(retail, 'revenue'), [drinks, shanghai])
    expect(linked.states).toEqual({ category: 'filtered', warehouse: 'unfiltered' })
    expect(Object.values(linked.queries).every((q) => JSON.stringify(q.filter) === '{"category":"drinks"}')).toBe(true)
    expect(unfollowed([drinks, shanghai], linked.states)).toEqual(['warehouse'])
    // picked the other way round, the warehouse wins
    expect(linkQueries(queriesOf(retail, 'revenue'), [shanghai, drinks]).states).toEqual({ warehouse: 'filtered', category: 'unfiltered' })
  })

  test('a query already filtered by the dimension (own options, a scope) narrows within its members only', () => {
    const scoped = deriveQueries(queriesOf(retail, 'alerts'), undefined, { warehouse: ['WH-SH', 'WH-BJ'] })
    expect(linkQueries(scoped, [shanghai]).queries.alerts!.filter).toEqual({ warehouse: 'WH-SH' })
    expect(linkQueries(scoped, [{ dimension: 'warehouse', key: 'WH-GZ' }]).states).toEqual({ warehouse: 'unfiltered' })
    // a scope on a warehouse leaves no room for a category on counter figures
    const revenue = deriveQueries(queriesOf(retail, 'revenue'), undefined, { warehouse: 'WH-SH' })
    expect(linkQueries(revenue, [drinks]).states).toEqual({ category: 'unfiltered' })
  })
})

describe('picking members', () => {
  test('a new dimension is added, another member replaces, the same member clears', () => {
    let links = toggleLink([], drinks)
    expect(links).toEqual([drinks])
    links = toggleLink(links, shanghai)
    expect(links).toEqual([drinks, shanghai])
    links = toggleLink(links, { dimension: 'category', key: 'snacks' })
    expect(links).toEqual([{ dimension: 'category', key: 'snacks' }, shanghai])
    links = toggleLink(links, { dimension: 'category', key: 'snacks' })
    expect(links).toEqual([shanghai])
    expect(toggleLink(links, shanghai)).toEqual([])
  })
})

describe('the URL form', () => {
  test('round trip keeps the order, other parameters and Chinese codes', () => {
    const links: LinkFilter[] = [{ dimension: 'region', key: '华东' }, shanghai, { dimension: 'sku', key: 'SKU 001&2' }]
    const query = queryWithLinks({ lang: 'en', period: 'P7D' }, links)
    expect(query).toEqual({ lang: 'en', period: 'P7D', 'f.region': '华东', 'f.warehouse': 'WH-SH', 'f.sku': 'SKU 001&2' })
    // through a real URL and back
    const url = new URL('http://x/wall/retail')
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v)
    expect(linksFromQuery(Object.fromEntries(url.searchParams))).toEqual(links)
  })

  test('clearing removes only the link parameters', () => {
    expect(queryWithLinks({ 'f.category': 'drinks', kiosk: '1', 'f.channel': 'pos' }, [])).toEqual({ kiosk: '1' })
  })

  test('unknown dimensions, bad codes and repeats are ignored', () => {
    expect(
      linksFromQuery({
        'f.route': 'A→B',
        'f.category': ['drinks', 'snacks'],
        'f.warehouse': '<script>',
        'f.sku': '',
        'f.region': ' 华东',
        'f.channel': 'x'.repeat(65),
        'f.partner': 'C|1',
        category: 'plain',
      }),
    ).toEqual([drinks])
  })
})
