// @vitest-environment happy-dom
/**
 * Every widget of the registry, mounted with hostile data (names and codes that are HTML): no
 * element comes out of the data, neither in the widget's DOM nor in any ECharts tooltip, whose
 * formatter output ECharts sets as innerHTML. A widget added to the registry is covered without
 * touching this file; one whose formatter builds HTML without widgets/common/html.ts fails here.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { URL as NodeURL, fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { nextTick } from 'vue'
import { charts, hostileResult, mountWidget, XSS, XSS_PAYLOADS } from './widget-kit.ts'
import type { FakeChart } from './widget-kit.ts'
import { COMPONENTS, MANIFESTS } from '../../widgets/registry.ts'
import type { WidgetId } from '../../widgets/registry.ts'
import type { Locale, WidgetManifest } from '../../widgets/define-widget.ts'
import type { QueryResult } from '../../protocol/query.ts'

vi.mock('../../widgets/common/charts/echarts.ts', async () => (await import('./widget-kit.ts')).echartsStandIn)

beforeEach(() => {
  charts.length = 0
})
afterEach(() => {
  document.body.innerHTML = ''
})

/** ECharts' colour dot as it hands it to a formatter */
const MARKER = '<span style="display:inline-block;margin-right:4px;border-radius:10px;width:10px;height:10px;background-color:#3be8ff;"></span>'
/** what a tooltip may contain: line breaks, bold figures and ECharts' marker */
const TOOLTIP_TAGS = new Set(['BR', 'B', 'SPAN'])
/** option fields that name members by code (the heatmap's rows), hostile too */
const HOSTILE_OPTIONS: Partial<Record<WidgetId, Record<string, unknown>>> = {
  'stock-heatmap': { members: [XSS.img, XSS.svg, 'K3'] },
  'title-clock': { heading: XSS.img },
}
const WIDGETS = Object.keys(COMPONENTS) as WidgetId[]
const LOCALES: Locale[] = ['zh-CN', 'en']

async function mountHostile(id: WidgetId, locale: Locale) {
  const manifest = MANIFESTS[id] as unknown as WidgetManifest
  const options = { ...(manifest.defaults as Record<string, unknown>), title: XSS.script, ...HOSTILE_OPTIONS[id] }
  const data: Record<string, QueryResult> = Object.fromEntries(Object.entries(manifest.queries(options)).map(([name, q]) => [name, hostileResult(q)]))
  const component = (await COMPONENTS[id]()).default
  const wrapper = mountWidget(component, manifest, data, { options, locale, width: 900, height: 520 })
  await nextTick()
  await nextTick()
  return wrapper
}

/** elements, and attributes that run script, anywhere under `root` that the widget did not mean */
function injected(root: Element): string[] {
  const found: string[] = []
  for (const el of root.querySelectorAll('*')) {
    if (['IMG', 'SCRIPT', 'IFRAME', 'OBJECT', 'EMBED'].includes(el.tagName)) found.push(el.tagName)
    for (const a of el.getAttributeNames()) if (a.toLowerCase().startsWith('on')) found.push(`${el.tagName}[${a}]`)
  }
  return found
}

function parse(markup: string): HTMLElement {
  const div = document.createElement('div')
  div.innerHTML = markup
  return div
}

type Params = Record<string, unknown>

type Option = any

/** what ECharts hands a formatter for one data item of a series (the fields our formatters read) */
function itemParams(option: Option, seriesIndex: number, dataIndex: number): Params {
  const s = option.series[seriesIndex]
  const d = s.data?.[dataIndex]
  const category = [option.xAxis, option.yAxis].flat().find((a: Option) => a?.type === 'category')
  const name = d !== null && typeof d === 'object' && 'name' in d ? d.name : (category?.data?.[dataIndex] ?? '')
  const value = d !== null && typeof d === 'object' && !Array.isArray(d) ? d.value : d
  return {
    componentType: 'series',
    seriesType: s.type,
    seriesIndex,
    seriesId: s.id,
    seriesName: s.name ?? '',
    name,
    dataIndex,
    data: d,
    value,
    color: '#3be8ff',
    marker: MARKER,
    axisValue: name,
    axisValueLabel: name,
    ...(s.type === 'sankey' ? { dataType: 'node' } : {}),
  }
}

/** the same fields, every string among them (data's included) replaced by a payload */
function hostileParams(p: Params, k: number): Params {
  const keep = new Set(['componentType', 'seriesType', 'seriesId', 'marker', 'dataType', 'color'])
  const swap = (v: unknown, key: string, i: number): unknown => {
    if (typeof v === 'string' && !keep.has(key)) return XSS_PAYLOADS[(k + i) % XSS_PAYLOADS.length]
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).map(([kk, vv], j) => [kk, swap(vv, kk, i + j)]))
    return v
  }
  return swap(p, '', 0) as Params
}

/**
 * Calls ECharts could make of each tooltip formatter of a chart's last option: with the params of
 * its data items (names from the hostile results), and unless `fromDataOnly`, with the same params
 * whose every string is a payload (what a formatter reads from params must be escaped too).
 */
function tooltipCalls(chart: FakeChart, fromDataOnly = false): { formatter: (p: unknown) => unknown; params: unknown }[] {
  const o: Option = chart.option
  const calls: { formatter: (p: unknown) => unknown; params: unknown }[] = []
  const series: Option[] = o.series ?? []
  const items = series.flatMap((s, si) => {
    const n = Math.min(5, s.data?.length ?? 0)
    const nodes = Array.from({ length: n }, (_, di) => itemParams(o, si, di))
    const edges = (s.links ?? [])
      .slice(0, 5)
      .map((l: Params, di: number) => ({ ...itemParams(o, si, 0), dataType: 'edge', dataIndex: di, data: l, value: l.value, name: `${l.source} > ${l.target}` }))
    return [...nodes, ...edges]
  })
  const all = fromDataOnly ? items : [...items, ...items.map(hostileParams)]
  const root = o.tooltip
  if (typeof root?.formatter === 'function') {
    if (root.trigger === 'axis') {
      const shown = series.map((s, si) => (s.tooltip?.show === false ? -1 : si)).filter((si) => si >= 0)
      const longest = Math.max(0, ...series.map((s) => s.data?.length ?? 0))
      for (let di = 0; di < Math.min(5, longest); di++) {
        const group = shown.map((si) => itemParams(o, si, di))
        calls.push({ formatter: root.formatter, params: group })
        if (!fromDataOnly) calls.push({ formatter: root.formatter, params: group.map(hostileParams) })
      }
    } else for (const p of all) calls.push({ formatter: root.formatter, params: p })
  }
  series.forEach((s, si) => {
    if (typeof s.tooltip?.formatter === 'function') for (const p of all.filter((x) => x.seriesIndex === si)) calls.push({ formatter: s.tooltip.formatter, params: p })
  })
  return calls
}

/** any `rich` text style in an option: names in it would need `{`, `|`, `}` escaped */
function hasRich(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false
  return Object.entries(value).some(([k, v]) => k === 'rich' || hasRich(v))
}

describe.each(WIDGETS)('%s with names and codes that are HTML', (id) => {
  test.each(LOCALES)('%s: no element from data in its DOM, its tooltips escape what they name', async (locale) => {
    await mountHostile(id, locale)
    expect(injected(document.body)).toEqual([])

    const tooltipTexts: string[] = []
    for (const chart of charts) {
      const o = chart.option
      // text ECharts draws (axis, series, legend labels) is not HTML: handed over as is, never escaped
      expect(JSON.stringify(o)).not.toMatch(/&lt;|&gt;|&amp;|&quot;/)
      expect(hasRich(o), 'ECharts rich text: escape `{|}` in names before using it').toBe(false)
      for (const t of [o.tooltip, ...(o.series ?? []).map((s: Option) => s.tooltip)]) {
        // string templates ({b}) would put names into HTML unescaped
        if (t?.formatter !== undefined) expect(typeof t.formatter).toBe('function')
      }
      for (const { formatter, params } of tooltipCalls(chart)) {
        const out = formatter(params)
        expect(typeof out).toBe('string')
        const markup = out as string
        expect(markup).not.toMatch(/<(img|script|svg|iframe)/i)
        const div = parse(markup)
        expect(injected(div)).toEqual([])
        for (const el of div.querySelectorAll('*')) {
          expect(TOOLTIP_TAGS.has(el.tagName), `<${el.tagName.toLowerCase()}> in a tooltip: ${markup}`).toBe(true)
          expect(el.getAttributeNames().filter((a) => a !== 'style')).toEqual([])
        }
        tooltipTexts.push(div.textContent ?? '')
      }
    }
    // a widget with a tooltip formatter was called with hostile names, and shows them as text
    if (tooltipTexts.length) expect(tooltipTexts.some((t) => XSS_PAYLOADS.some((p) => t.includes(p)))).toBe(true)
  })
})

describe('what the widgets show from hostile data is literal text', () => {
  test.each([
    ['stock-alerts', XSS.img],
    ['reorder-list', XSS.img],
    ['stock-heatmap', XSS.img],
    ['supplier-scorecard', XSS.script],
    ['movement-ticker', XSS.img],
    ['title-clock', XSS.img],
  ] as const)('%s', async (id, payload) => {
    await mountHostile(id, 'zh-CN')
    expect(document.body.textContent).toContain(payload)
    expect(injected(document.body)).toEqual([])
  })

  test.each([
    ['ranking-bar', XSS.img],
    ['share-donut', XSS.script],
    ['margin-by-category', XSS.svg],
    ['transfer-flow', XSS.img],
  ] as const)('%s: a tooltip names a member as text, the chart draws the name as is', async (id, payload) => {
    await mountHostile(id, 'zh-CN')
    const texts = tooltipCalls(charts[0]!, true).map((c) => parse(c.formatter(c.params) as string).textContent)
    expect(texts.some((t) => t?.includes(payload))).toBe(true)
    expect(JSON.stringify(charts[0]!.option)).toContain(JSON.stringify(payload).slice(1, -1))
  })

  test('the donut legend (drawn text) keeps a name as it is', async () => {
    await mountHostile('share-donut', 'zh-CN')
    const legend = charts[0]!.option.legend.formatter(XSS.script)
    expect(legend.startsWith(XSS.script)).toBe(true)
  })
})

describe('no HTML written from script anywhere in widgets/ and screen/', () => {
  // node's URL: happy-dom's global one does not resolve file: URLs
  const root = fileURLToPath(new NodeURL('../../', import.meta.url))
  const sources = ['widgets', 'screen'].flatMap((dir) =>
    (readdirSync(join(root, dir), { recursive: true }) as string[]).filter((f) => /\.(vue|ts)$/.test(f)).map((f) => join(dir, f)),
  )

  test.each(sources)('%s', (file) => {
    const text = readFileSync(join(root, file), 'utf8')
    // only the helper itself names these, in its documentation
    const code = file === join('widgets', 'common', 'html.ts') ? '' : text
    expect(code).not.toMatch(/v-html|\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\.srcdoc|new Function\(|\beval\(/)
  })
})
