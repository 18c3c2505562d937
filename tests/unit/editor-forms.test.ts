import { describe, expect, test } from 'vitest'
import { formFields, setOption } from '../../screen/editor/schema-form.ts'
import { optionErrors } from '../../screen/editor/validate.ts'
import { exportScreen, parseScreenFile, screenErrors, serverErrors } from '../../screen/editor/screen-file.ts'
import { MANIFESTS } from '../../widgets/manifests.ts'
import { retailTemplate } from '../../widgets/templates/retail.ts'

describe('options form from a widget schema', () => {
  test('enum → select with metric titles, boolean → switch, pattern string with window suggestions, optional title', () => {
    const fields = formFields(MANIFESTS['kpi-card'].options, 'zh-CN')
    const by = Object.fromEntries(fields.map((f) => [f.key, f]))
    expect(by.metric).toMatchObject({ kind: 'select', required: true, label: '指标' })
    expect(by.metric!.options).toContainEqual({ value: 'sales.revenue', label: '销售收入' })
    expect(by.compare).toMatchObject({ kind: 'switch', required: true })
    expect(by.window).toMatchObject({ kind: 'text', required: true })
    expect(by.window!.pattern).toBeTruthy()
    expect(by.window!.suggestions).toContain('P7D')
    expect(by.title).toMatchObject({ kind: 'text', required: false, maxLength: 40 })
  })

  test('integers keep their bounds; arrays of enums → multi-select with item limits; English labels', () => {
    const ranking = Object.fromEntries(formFields(MANIFESTS['ranking-bar'].options, 'en').map((f) => [f.key, f]))
    expect(ranking.top).toMatchObject({ kind: 'number', min: 3, max: 30, step: 1 })
    expect(ranking.groupBy!.options).toContainEqual({ value: 'category', label: 'Category' })
    const heat = (rows: string) => formFields(MANIFESTS['stock-heatmap'].options, 'en', { rows }).find((f) => f.key === 'members')
    expect(heat('sku')).toMatchObject({ kind: 'list', codes: 'sku' })
    expect(heat('category')).toMatchObject({ kind: 'list', codes: 'category' })
    const trend = Object.fromEntries(formFields(MANIFESTS['trend-line'].options, 'en').map((f) => [f.key, f]))
    expect(trend.metrics).toMatchObject({ kind: 'multiselect', minItems: 1, maxItems: 4 })
    expect(trend.interval).toMatchObject({ kind: 'select' })
  })

  test("a widget's own options are labelled by its manifest, shared ones by the shared vocabulary", () => {
    const gauge = MANIFESTS.gauge
    const en = Object.fromEntries(formFields(gauge.options, 'en', {}, gauge.labels).map((f) => [f.key, f.label]))
    expect(en).toMatchObject({ metric: 'Metric', window: 'Period', warn: 'Warning level', higherIsBetter: 'Higher is better' })
    const zh = Object.fromEntries(formFields(gauge.options, 'zh-CN', {}, { ...gauge.labels, metric: { 'zh-CN': '比率', en: 'Rate' } }).map((f) => [f.key, f.label]))
    expect(zh).toMatchObject({ metric: '比率', good: '良好值' })
    // without the manifest's labels a widget's own option shows its name
    expect(formFields(gauge.options, 'en').find((f) => f.key === 'warn')!.label).toBe('warn')
  })

  test('emptying an optional field removes it; a required one is left for validation to report', () => {
    const fields = formFields(MANIFESTS['kpi-card'].options, 'en')
    const title = fields.find((f) => f.key === 'title')!
    expect(setOption({ title: 'x', metric: 'sales.revenue' }, title, '')).toEqual({ metric: 'sales.revenue' })
    const metric = fields.find((f) => f.key === 'metric')!
    expect(setOption({ metric: 'sales.revenue' }, metric, 'cash.in')).toEqual({ metric: 'cash.in' })
  })
})

describe('option validation', () => {
  test('field by field, in the editor language', () => {
    const schema = MANIFESTS['ranking-bar'].options
    expect(optionErrors(schema, MANIFESTS['ranking-bar'].defaults, 'en')).toEqual({})
    const errors = optionErrors(schema, { metric: 'sales.revenue', groupBy: 'sku', top: 99, window: 'last week', title: 'x'.repeat(41) }, 'en')
    expect(errors).toEqual({ top: 'must be ≤ 30', window: 'not in the expected format', title: 'at most 40 characters' })
    expect(optionErrors(schema, { groupBy: 'sku', top: 5, window: 'today' }, 'zh-CN')).toEqual({ metric: '必填' })
    const trend = optionErrors(MANIFESTS['trend-line'].options, { ...MANIFESTS['trend-line'].defaults, metrics: [] }, 'zh-CN')
    expect(trend).toEqual({ metrics: '至少选择 1 项' })
  })
})

describe('screen files', () => {
  test('export then import gives the same screen; server fields are dropped', () => {
    const text = exportScreen(retailTemplate)
    const parsed = parseScreenFile(text, 'en')
    expect(parsed).toEqual({ ok: true, screen: JSON.parse(text) })
    const withVersion = parseScreenFile(JSON.stringify({ ...retailTemplate, version: 7, updatedAt: '2026-11-25T00:00:00+08:00' }), 'en')
    expect(withVersion.ok).toBe(true)
  })

  test('bad files are refused with every problem named', () => {
    expect(parseScreenFile('{', 'en')).toMatchObject({ ok: false })
    const bad = {
      ...retailTemplate,
      widgets: [
        ...retailTemplate.widgets,
        { id: 'x', widget: 'no-such', options: {}, x: 0, y: 0, w: 1, h: 1 },
        { ...retailTemplate.widgets[0]!, options: { metric: 'nope', window: 'today', compare: true } },
      ],
    }
    const parsed = parseScreenFile(JSON.stringify(bad), 'en')
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) {
      expect(parsed.problems).toContain('x: unknown widget type no-such')
      expect(parsed.problems.some((p) => p.startsWith('revenue') && p.includes('duplicate'))).toBe(true)
      expect(parsed.problems).toContain('revenue.metric: not one of the allowed values')
    }
    const outside = { ...retailTemplate, widgets: [{ ...retailTemplate.widgets[0]!, x: 11 }] }
    expect(screenErrors(outside, 'en')).toEqual({ revenue: { '': 'lies outside the screen grid' } })
    const missingTitle = parseScreenFile(JSON.stringify({ ...retailTemplate, title: '' }), 'en')
    expect(missingTitle.ok).toBe(false)
  })

  test("the server's 400 errors land on their instance and field", () => {
    const mapped = serverErrors(retailTemplate, [
      { path: '/widgets/5/options/top', widget: 'top-skus', message: 'must be ≤ 30' },
      { path: '/widgets/0/options/metric', message: 'unknown metric' },
      { path: '/title', message: 'must not be empty' },
    ])
    expect(mapped).toEqual({ 'top-skus': { top: 'must be ≤ 30' }, revenue: { metric: 'unknown metric' }, '': { '/title': 'must not be empty' } })
  })
})

describe('every registered widget', () => {
  test.each(Object.values(MANIFESTS).map((m) => [m.id, m] as const))('%s: one field per option, defaults valid, no option falls back to raw JSON', (_id, manifest) => {
    const schema = manifest.options as unknown as { properties: Record<string, unknown> }
    const fields = formFields(manifest.options, 'zh-CN')
    expect(fields.map((f) => f.key)).toEqual(Object.keys(schema.properties))
    expect(fields.filter((f) => f.kind === 'json').map((f) => f.key)).toEqual([])
    expect(optionErrors(manifest.options, manifest.defaults, 'zh-CN')).toEqual({})
  })
})

describe('lists of codes', () => {
  test('an array of free strings is a list of codes, tied to its master data by name', async () => {
    const Type = (await import('typebox')).default
    const schema = Type.Object({
      warehouses: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 50 })),
      tags: Type.Array(Type.String()),
    })
    const [warehouses, tags] = formFields(schema, 'en')
    expect(warehouses).toMatchObject({ kind: 'list', codes: 'warehouse', required: false, minItems: 1, maxItems: 50, maxLength: 64 })
    expect(tags).toMatchObject({ kind: 'list', required: true })
    expect(tags!.codes).toBeUndefined()
    // emptying an optional list removes it (the widget then shows every warehouse)
    expect(setOption({ warehouses: ['W1'] }, warehouses!, [])).toEqual({})
  })
})

describe('known codes', () => {
  test('named records with both names, plus codes only other records use; sorted by code', async () => {
    const { mergeKnownCodes } = await import('../../screen/editor/screen-api.ts')
    expect(
      mergeKnownCodes(
        [
          { code: 'drinks', name: '饮料' },
          { code: 'baby', name: '母婴', nameEn: 'Baby & kids' },
        ],
        ['snacks', undefined, 'baby', 'snacks'],
      ),
    ).toEqual([{ code: 'baby', name: '母婴', nameEn: 'Baby & kids' }, { code: 'drinks', name: '饮料' }, { code: 'snacks' }])
  })
})

describe('placing a new widget', () => {
  test('first free area in reading order, sized for its kind, none when full; ids never collide', async () => {
    const { freeSpot, newInstanceId, startSize } = await import('../../screen/editor/placement.ts')
    const grid = { columns: 12, rows: 12 }
    const w = (id: string, x: number, y: number, ww: number, h: number) => ({ id, widget: 'kpi-card', options: {}, x, y, w: ww, h })
    expect(startSize('kpi-card', grid)).toEqual({ w: 3, h: 2 })
    expect(startSize('kpi-card', { columns: 24, rows: 24 })).toEqual({ w: 6, h: 4 })
    expect(startSize('no-such-widget', { columns: 2, rows: 2 })).toEqual({ w: 1, h: 1 })
    expect(freeSpot({ grid, widgets: [] }, { w: 3, h: 2 })).toEqual({ x: 0, y: 0, w: 3, h: 2 })
    expect(freeSpot({ grid, widgets: [w('a', 0, 0, 3, 2), w('b', 4, 0, 8, 1)] }, { w: 3, h: 2 })).toEqual({ x: 3, y: 1, w: 3, h: 2 })
    expect(freeSpot({ grid, widgets: [w('all', 0, 0, 12, 12)] }, { w: 1, h: 1 })).toBeUndefined()
    expect(newInstanceId({ widgets: [w('kpi-card-1', 0, 0, 1, 1), w('kpi-card-3', 0, 0, 1, 1)] }, 'kpi-card')).toBe('kpi-card-2')
  })

  test('every registered widget starts at its manifest size, inside a 12×12 screen', async () => {
    const { startSize } = await import('../../screen/editor/placement.ts')
    for (const [id, m] of Object.entries(MANIFESTS)) {
      expect(startSize(id, { columns: 12, rows: 12 }), id).toEqual({ w: m.size.w, h: m.size.h })
      expect(m.size.w, id).toBeLessThanOrEqual(12)
    }
  })

  test('the least size follows the manifest; one cell stays one cell on any grid', async () => {
    const { minSize } = await import('../../screen/editor/placement.ts')
    expect(minSize('kpi-card', { columns: 24, rows: 24 })).toEqual({ w: 1, h: 1 })
    expect(minSize('no-such-widget', { columns: 12, rows: 12 })).toEqual({ w: 1, h: 1 })
  })
})

describe('editor canvas geometry', () => {
  test('the wall grid: 1080 p cells and a 4K design in the same proportions', async () => {
    const { canvasGeometry, widgetBox } = await import('../../screen/editor/geometry.ts')
    const hd = canvasGeometry({ design: { width: 1920, height: 1080 }, grid: { columns: 12, rows: 12 } })
    expect(widgetBox(hd, { x: 0, y: 0, w: 12, h: 12 })).toEqual({ left: 24, top: 96, width: 1920 - 48, height: 1080 - 96 - 24 })
    expect(widgetBox(hd, { x: 1, y: 1, w: 1, h: 1 }).left).toBeCloseTo(24 + hd.cellWidth + 16)
    const uhd = canvasGeometry({ design: { width: 3840, height: 2160 }, grid: { columns: 12, rows: 12 } })
    const a = widgetBox(hd, { x: 3, y: 2, w: 4, h: 5 })
    const b = widgetBox(uhd, { x: 3, y: 2, w: 4, h: 5 })
    for (const k of ['left', 'top', 'width', 'height'] as const) expect(b[k]).toBeCloseTo(a[k] * 2)
  })
})
