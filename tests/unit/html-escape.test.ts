// @vitest-environment happy-dom
/** The one HTML helper of the widgets: what it escapes, what it keeps, and what a browser makes of it. */
import { describe, expect, test } from 'vitest'
import { echartsMarker, escapeHtml, html, isSafeHtml, tooltipFormatter } from '../../widgets/common/html.ts'
import type { SafeHtml } from '../../widgets/common/html.ts'

const PAYLOADS = [
  '<img src=x onerror="window.__xss=1">',
  '<script>window.__xss=1</script>',
  '"><svg onload=window.__xss=1>',
  "' onmouseover='window.__xss=1",
  '&lt;b&gt; already escaped &amp;',
  '{a|rich} text',
]

/** the HTML parsed by the browser (happy-dom), as ECharts does with `innerHTML` */
function parse(markup: string): HTMLElement {
  const div = document.createElement('div')
  div.innerHTML = markup
  return div
}

describe('escapeHtml', () => {
  test('escapes the five characters that matter in content and quoted attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;')
  })

  test('leaves other text alone (CJK, currency signs, symbols ECharts rich text uses)', () => {
    for (const s of ['矿泉水 550ml', '¥12.35万', '−3.2%', '{a|b}', 'A→B', '']) expect(escapeHtml(s)).toBe(s)
  })

  test('numbers become text, null and undefined nothing', () => {
    expect(escapeHtml(12.5)).toBe('12.5')
    expect(escapeHtml(null)).toBe('')
    expect(escapeHtml(undefined)).toBe('')
  })

  test.each(PAYLOADS)('the browser shows %s as the same text, with no element made', (payload) => {
    const div = parse(escapeHtml(payload))
    expect(div.textContent).toBe(payload)
    expect(div.children).toHaveLength(0)
    // inside a quoted attribute too
    const attr = parse(`<span title="${escapeHtml(payload)}"></span>`)
    expect(attr.firstElementChild!.getAttribute('title')).toBe(payload)
    expect(attr.firstElementChild!.getAttributeNames()).toEqual(['title'])
  })
})

describe('html', () => {
  test('markup stays, interpolated text is escaped', () => {
    const name = '<img src=x onerror=alert(1)>'
    expect(html`${name}<br/><b>${'¥1.00'}</b>`.html).toBe('&lt;img src=x onerror=alert(1)&gt;<br/><b>¥1.00</b>')
  })

  test('nested html, lists of pieces, numbers, null and undefined', () => {
    const rows = ['a<b', 'c>d'].map((r) => html`<br/>${r}`)
    expect(html`${null}${undefined}${3}${rows}`.html).toBe('3<br/>a&lt;b<br/>c&gt;d')
  })

  test('an object that only looks like safe HTML is not trusted', () => {
    const forged = { html: '<img src=x onerror=alert(1)>' } as SafeHtml
    expect(isSafeHtml(forged)).toBe(false)
    expect(html`${forged}`.html).toBe('[object Object]')
    expect(isSafeHtml(html`x`)).toBe(true)
  })

  test.each(PAYLOADS)('a tooltip row naming %s parses into text and the row markup only', (payload) => {
    const div = parse(html`${payload}<br/><b>${payload}</b>`.html)
    expect([...div.querySelectorAll('*')].map((e) => e.tagName)).toEqual(['BR', 'B'])
    expect(div.textContent).toBe(payload + payload)
  })
})

describe('echartsMarker', () => {
  const marker = '<span style="display:inline-block;margin-right:4px;border-radius:10px;width:10px;height:10px;background-color:#3be8ff;"></span>'

  test("keeps ECharts' colour dot", () => {
    expect(echartsMarker(marker).html).toBe(marker)
  })

  test('anything else gives no marker', () => {
    for (const other of ['<img src=x onerror=alert(1)>', `${marker}<img src=x>`, '<span style="x" onmouseover="y"></span>', { content: '{markerX|}' }, undefined, ''])
      expect(echartsMarker(other).html).toBe('')
  })
})

describe('tooltipFormatter', () => {
  test('returns the HTML string ECharts wants', () => {
    const f = tooltipFormatter((x: { name: string }) => html`${x.name}<br/>`)
    expect(f({ name: 'a&b' })).toBe('a&amp;b<br/>')
  })

  test('a builder that forgot html has its string escaped whole: tags show, never run', () => {
    const f = tooltipFormatter((x: { name: string }) => `${x.name}<br/>`)
    const out = f({ name: '<img src=x onerror=alert(1)>' })
    expect(out).toBe('&lt;img src=x onerror=alert(1)&gt;&lt;br/&gt;')
    expect(parse(out).children).toHaveLength(0)
  })
})
