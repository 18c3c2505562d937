import { describe, expect, test } from 'vitest'
import { Compile } from 'typebox/compile'
import { existsSync, readdirSync } from 'node:fs'
import { METRICS, PERIOD_KINDS } from '../../protocol/metrics.ts'
import { Query } from '../../protocol/query.ts'
import { ScreenDefinition } from '../../protocol/screen.ts'
import { MANIFESTS, isWidgetId, manifestOf } from '../../widgets/manifests.ts'
import { WIDGET_GROUPS, migrateOptions } from '../../widgets/define-widget.ts'
import type { WidgetManifest } from '../../widgets/define-widget.ts'
import { optionLabel } from '../../widgets/common/option-labels.ts'
import { componentFile } from '../../widgets/registry.ts'
import { TEMPLATES } from '../../widgets/templates/index.ts'
import { intervalFor, metricQuery } from '../../widgets/common/query.ts'
import { gaugeBand } from '../../widgets/gauge/manifest.ts'
import { ROUTE_DIMENSION, routeLinks, transferFlow } from '../../widgets/transfer-flow/manifest.ts'
import { stockAlerts } from '../../widgets/stock-alerts/manifest.ts'
import { stockHeatmap } from '../../widgets/stock-heatmap/manifest.ts'
import { supplierScorecard } from '../../widgets/supplier-scorecard/manifest.ts'

const queryValidator = Compile(Query)
const manifests = Object.entries(MANIFESTS) as [string, WidgetManifest][]
const widgetsDir = new URL('../../widgets/', import.meta.url)

/**
 * What the query engine refuses although the schema allows it (server/query/engine.ts): a period
 * on a figure "now", no period on a flow, `top` without `groupBy`, a filter on another dimension
 * than the grouped one (stock levels also take sku/category/warehouse/region filters together).
 */
function engineProblems(q: Query): string[] {
  const out: string[] = []
  const kind = METRICS[q.metric].kind
  const period = PERIOD_KINDS.includes(kind)
  if (period && !q.window && !q.from) out.push(`${q.metric} needs a period`)
  if (!period && (q.window || q.from || q.to || q.interval || q.compare)) out.push(`${q.metric} is a figure now: no period`)
  if (q.top && !q.groupBy && kind !== 'list') out.push('top needs groupBy')
  const filterDims = Object.keys(q.filter ?? {})
  if (kind !== 'list') {
    const pairs = (kind === 'level' &&
      ['stock.qty', 'stock.value'].includes(q.metric) &&
      filterDims.every((d) => ['sku', 'category', 'warehouse', 'region'].includes(d))) as boolean
    if (!pairs && filterDims.length > 1) out.push('one filter dimension at a time')
    if (!pairs && q.groupBy && filterDims.length === 1 && filterDims[0] !== q.groupBy) out.push('filter must be on the grouped dimension')
  }
  return out
}

function checkQueries(manifest: WidgetManifest, options: unknown, where: string) {
  for (const [name, q] of Object.entries(manifest.queries(options as never))) {
    expect(queryValidator.Errors(q), `${where} ${name}`).toEqual([])
    expect(engineProblems(q), `${where} ${name}`).toEqual([])
  }
}

describe.each(manifests)('widget %s', (id, manifest) => {
  test('its id matches its registry key and folder, with titles in both languages', () => {
    expect(manifest.id).toBe(id)
    expect(readdirSync(new URL(`../../widgets/${id}/`, import.meta.url))).toContain('manifest.ts')
    expect(manifest.title['zh-CN']).toMatch(/\S/)
    expect(manifest.title.en).toMatch(/^[\x20-\x7e]+$/)
  })

  test('defaults satisfy its option schema and derive queries the engine answers', () => {
    expect(Compile(manifest.options).Errors(manifest.defaults)).toEqual([])
    checkQueries(manifest, manifest.defaults, 'defaults')
  })

  test('the option schema refuses unknown types and out-of-range values', () => {
    const schema = Compile(manifest.options)
    const defaults = manifest.defaults as Record<string, unknown>
    const props = (manifest.options as unknown as { properties: Record<string, { type?: string; maximum?: number }> }).properties
    for (const [key, prop] of Object.entries(props)) {
      if (prop.type === 'integer' && prop.maximum !== undefined) {
        expect(schema.Check({ ...defaults, [key]: prop.maximum + 1 }), key).toBe(false)
      }
      if (prop.type === 'boolean') expect(schema.Check({ ...defaults, [key]: 'yes' }), key).toBe(false)
    }
  })

  test('it gives the editor everything: palette icon and group, start and least size, a label for every option', () => {
    // a manifest written without the type (plain JS, a cast) still has to carry every field
    for (const field of ['id', 'version', 'title', 'icon', 'group', 'size', 'options', 'defaults', 'labels', 'migrations', 'queries'] as const) {
      expect(manifest[field], `${id}: ${field}`).toBeDefined()
    }
    expect([...manifest.icon], `${id}: icon is one character`).toHaveLength(1)
    expect(Object.keys(WIDGET_GROUPS), `${id}: group`).toContain(manifest.group)
    const { w, h, minW, minH } = manifest.size
    for (const [name, v] of Object.entries({ w, h, minW, minH })) expect(Number.isInteger(v) && v >= 1 && v <= 12, `${id}: size.${name} = ${v}`).toBe(true)
    expect(minW <= w && minH <= h, `${id}: the least size fits in the start size`).toBe(true)
    const props = Object.keys((manifest.options as unknown as { properties: Record<string, unknown> }).properties)
    for (const key of Object.keys(manifest.labels)) expect(props, `${id}: labels.${key} names no option`).toContain(key)
    for (const key of props) {
      for (const locale of ['zh-CN', 'en'] as const) expect(optionLabel(manifest.labels, key, locale), `${id}: no ${locale} label for option ${key}`).toMatch(/\S/)
    }
  })

  test('its component is in its folder, where the screen finds it', () => {
    expect(existsSync(new URL(`${id}/${componentFile(id)}`, widgetsDir)), `widgets/${id}/${componentFile(id)}`).toBe(true)
  })

  test('migrations exist for every older version', () => {
    for (let v = 1; v < manifest.version; v++) expect(typeof manifest.migrations[v], `migration ${v}`).toBe('function')
  })
})

test('every widget folder is registered (its one line in widgets/manifests.ts)', () => {
  const folders = readdirSync(widgetsDir, { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(new URL(`${d.name}/manifest.ts`, widgetsDir)))
  expect(folders.map((d) => d.name).sort()).toEqual(Object.keys(MANIFESTS).sort())
})

describe('option migrations', () => {
  test('stock-alerts v1 → v2: one warehouse becomes a list, other options stay', () => {
    const migrated = migrateOptions(stockAlerts, { limit: 20, warehouse: 'DC-SH', scrollSeconds: 30, title: '上海仓预警' }, 1)
    expect(migrated).toEqual({ limit: 20, warehouses: ['DC-SH'], scrollSeconds: 30, title: '上海仓预警' })
    expect(Compile(stockAlerts.options).Check(migrated)).toBe(true)
    expect(stockAlerts.queries(migrated).alerts!.filter).toEqual({ warehouse: ['DC-SH'] })
  })

  test('stock-alerts v1 without a warehouse keeps every warehouse', () => {
    const migrated = migrateOptions(stockAlerts, { limit: 50, scrollSeconds: 40 }, 1)
    expect(migrated).toEqual({ limit: 50, scrollSeconds: 40 })
    expect(stockAlerts.queries(migrated).alerts!.filter).toBeUndefined()
  })

  test('options of the current version pass through', () => {
    expect(migrateOptions(stockAlerts, { limit: 10, scrollSeconds: 20, warehouses: ['A', 'B'] }, 2)).toEqual({ limit: 10, scrollSeconds: 20, warehouses: ['A', 'B'] })
  })
})

describe('derived queries', () => {
  test('figures "now" carry no period, flows do', () => {
    expect(metricQuery('stock.value', 'today', { compare: 'previous' })).toEqual({ metric: 'stock.value' })
    expect(metricQuery('sales.revenue', 'today', { compare: 'previous' })).toEqual({ metric: 'sales.revenue', window: 'today', compare: 'previous' })
    expect(metricQuery('stock.qty', 'P7D', { groupBy: 'warehouse', top: 5 })).toEqual({ metric: 'stock.qty', groupBy: 'warehouse', top: 5 })
  })

  test('series intervals follow the window', () => {
    expect(intervalFor('PT30M')).toBe('minute')
    expect(intervalFor('PT2H')).toBe('minute')
    expect(intervalFor('today')).toBe('hour')
    expect(intervalFor('PT24H')).toBe('hour')
    expect(intervalFor('P7D')).toBe('day')
    expect(intervalFor('thisMonth')).toBe('day')
  })

  test('the heat map asks one query per row (SKU or category) and one for their names', () => {
    const q = stockHeatmap.queries({ metric: 'stock.value', rows: 'sku', members: ['A', 'B'], warehouses: ['W1'], scale: 'all' })
    expect(q).toEqual({
      names: { metric: 'stock.value', groupBy: 'sku', filter: { sku: ['A', 'B'] } },
      r0: { metric: 'stock.value', groupBy: 'warehouse', filter: { sku: 'A', warehouse: ['W1'] } },
      r1: { metric: 'stock.value', groupBy: 'warehouse', filter: { sku: 'B', warehouse: ['W1'] } },
    })
    expect(stockHeatmap.queries({ metric: 'stock.qty', rows: 'category', members: ['drinks'], scale: 'row' })).toEqual({
      names: { metric: 'stock.qty', groupBy: 'category', filter: { category: ['drinks'] } },
      r0: { metric: 'stock.qty', groupBy: 'warehouse', filter: { category: 'drinks' } },
    })
  })

  test('heat map options of version 1 (SKU rows in `skus`) become SKU rows in `members`', () => {
    const migrated = migrateOptions(stockHeatmap as never, { metric: 'stock.qty', skus: ['A', 'B'], scale: 'row' }, 1)
    expect(migrated).toEqual({ metric: 'stock.qty', rows: 'sku', members: ['A', 'B'], scale: 'row' })
    checkQueries(stockHeatmap as never, migrated, 'migrated')
  })

  test('the scorecard groups three metrics by partner', () => {
    const q = supplierScorecard.queries(supplierScorecard.defaults)
    expect(Object.values(q).map((x) => [x.metric, x.groupBy])).toEqual([
      ['purchase.receiptAmount', 'partner'],
      ['supplier.onTimeRate', 'partner'],
      ['purchase.returnRate', 'partner'],
    ])
  })

  test('transfer flow asks for routes only when the catalogue has the route dimension', () => {
    const q = transferFlow.queries(transferFlow.defaults)
    if (ROUTE_DIMENSION) expect(q.routes).toMatchObject({ metric: 'transfer.qty', groupBy: 'route' })
    else expect(q).toEqual({})
  })
})

describe('widget logic', () => {
  test('route keys FROM→TO become links; malformed, self and empty routes are left out', () => {
    expect(
      routeLinks([
        { key: 'DC-SH→ST-SH01', label: '上海中心仓→上海南京路店', total: 120 },
        { key: 'DC-GZ→ST-SZ01', total: 40 },
        { key: 'DC-GZ', total: 5 },
        { key: 'A→A', total: 5 },
        { key: 'A→B→C', total: 5 },
        { key: 'B→C', total: 0 },
        { key: 'C→D', total: null },
      ]),
    ).toEqual([
      { from: 'DC-SH', to: 'ST-SH01', fromLabel: '上海中心仓', toLabel: '上海南京路店', value: 120 },
      { from: 'DC-GZ', to: 'ST-SZ01', fromLabel: 'DC-GZ', toLabel: 'ST-SZ01', value: 40 },
    ])
  })

  test("a route's English label gives the English names of its ends; an end without one keeps its name", () => {
    expect(
      routeLinks([
        { key: 'DC-SH→ST-9', label: '上海中心仓 → 南京路店', labelEn: 'Shanghai DC → 南京路店', total: 10 },
        { key: 'DC-SH→X-7', label: '上海中心仓 → X-7', labelEn: 'Shanghai DC → X-7', total: 5 },
      ]),
    ).toStrictEqual([
      { from: 'DC-SH', to: 'ST-9', fromLabel: '上海中心仓', toLabel: '南京路店', fromLabelEn: 'Shanghai DC', value: 10 },
      { from: 'DC-SH', to: 'X-7', fromLabel: '上海中心仓', toLabel: 'X-7', fromLabelEn: 'Shanghai DC', value: 5 },
    ])
  })

  test('gauge bands follow the thresholds, both ways round', () => {
    const up = { warn: 0.85, good: 0.95, higherIsBetter: true }
    expect([0.5, 0.85, 0.9, 0.95, 1].map((v) => gaugeBand(v, up))).toEqual(['bad', 'warn', 'warn', 'good', 'good'])
    const down = { warn: 40, good: 20, higherIsBetter: false }
    expect([10, 20, 30, 40, 50].map((v) => gaugeBand(v, down))).toEqual(['good', 'good', 'warn', 'warn', 'bad'])
  })
})

describe('templates', () => {
  test('there is one for each business kind of the design, and the cash and trade-credit one', () => {
    expect(TEMPLATES.map((t) => t.kind).sort()).toEqual(['ecommerce', 'finance', 'manufacturing', 'retail'])
    expect(new Set(TEMPLATES.map((t) => t.id)).size).toBe(4)
  })

  test('together they show every palette group of business figures, with registered widgets only', () => {
    const used = TEMPLATES.flatMap((t) => t.widgets.map((w) => w.widget))
    expect(used.filter((id) => !isWidgetId(id))).toEqual([])
    // layout widgets (the title clock) are for screens without the wall's own title bar; a new
    // widget need not be fitted into a template (adding one stays inside its folder)
    const groups = new Set(used.filter(isWidgetId).map((id) => MANIFESTS[id].group))
    expect([...groups].sort()).toEqual(
      Object.keys(WIDGET_GROUPS)
        .filter((g) => g !== 'layout')
        .sort(),
    )
  })
})

describe.each(TEMPLATES.map((t) => [t.id, t] as const))('template %s', (_id, screen) => {
  test('is a valid 1920×1080 screen with many widget types', () => {
    expect(Compile(ScreenDefinition).Errors(screen)).toEqual([])
    expect(screen.design).toEqual({ width: 1920, height: 1080 })
    expect(new Set(screen.widgets.map((w) => w.widget)).size).toBeGreaterThanOrEqual(7)
    expect(new Set(screen.widgets.map((w) => w.id)).size).toBe(screen.widgets.length)
  })

  test('every widget instance has valid options, answerable queries, and its own place on the grid', () => {
    const cells = new Set<string>()
    for (const w of screen.widgets) {
      if (!isWidgetId(w.widget)) throw new Error(`unknown widget ${w.widget}`)
      const manifest = manifestOf(w.widget)
      expect(w.optionsVersion ?? manifest.version, w.id).toBe(manifest.version)
      const options = migrateOptions(manifest, w.options, w.optionsVersion ?? manifest.version)
      expect(Compile(manifest.options).Errors(options), w.id).toEqual([])
      checkQueries(manifest, options, w.id)
      expect(w.x + w.w).toBeLessThanOrEqual(screen.grid.columns)
      expect(w.y + w.h).toBeLessThanOrEqual(screen.grid.rows)
      for (let x = w.x; x < w.x + w.w; x++) {
        for (let y = w.y; y < w.y + w.h; y++) {
          expect(cells.has(`${x},${y}`), `${w.id} overlaps at ${x},${y}`).toBe(false)
          cells.add(`${x},${y}`)
        }
      }
    }
    // a finished screen leaves no hole
    expect(cells.size).toBe(screen.grid.columns * screen.grid.rows)
  })
})
