/**
 * The one place widgets build HTML from. ECharts sets what a tooltip formatter returns as the
 * tooltip's innerHTML (`tooltip.renderMode` 'html', the default), and everything a tooltip names
 * came from data: SKU, warehouse, partner and category names are free text in master data, codes
 * stand in for missing names (and codes stored before ingest refused `<>` may hold anything).
 * So every tooltip formatter returns `tooltipFormatter(params => html`…`)`: each interpolated
 * value is escaped unless it is HTML built here (or ECharts' own series marker).
 *
 * Text that is not HTML must not go through here, or it would show `&lt;`: Vue's `{{ }}` and
 * attribute bindings, and text ECharts draws itself (axis, series and legend labels: canvas, or
 * SVG text nodes set as textContent). No widget uses ECharts rich text (`rich` + `{a|…}`); one that
 * does needs its own escaping of `{`, `|` and `}` in data. docs/widgets.md#html-from-data.
 */

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/**
 * Text as HTML that shows it literally, in element content and in quoted attribute values;
 * null and undefined become ''.
 */
export function escapeHtml(text: string | number | null | undefined): string {
  return text === null || text === undefined ? '' : String(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!)
}

/** HTML whose every part from data was escaped: only `html` and `echartsMarker` make one. */
export interface SafeHtml {
  readonly html: string
}

/** What `html` interpolates: text (escaped), safe HTML (as is), lists of either (concatenated). */
export type HtmlValue = SafeHtml | string | number | null | undefined | readonly HtmlValue[]

// an object that merely looks like SafeHtml (say, a parsed JSON label) is not trusted
const made = new WeakSet<SafeHtml>()

function safe(html: string): SafeHtml {
  const s = Object.freeze({ html })
  made.add(s)
  return s
}

/** True for HTML made by `html` or `echartsMarker`. */
export function isSafeHtml(value: unknown): value is SafeHtml {
  return typeof value === 'object' && value !== null && made.has(value as SafeHtml)
}

function piece(value: HtmlValue): string {
  if (Array.isArray(value)) return value.map(piece).join('')
  if (isSafeHtml(value)) return value.html
  return escapeHtml(value as string | number | null | undefined)
}

/**
 * A tagged template of HTML: the literal parts are markup, every `${value}` is escaped text
 * unless it is SafeHtml. `html`${name}<br/><b>${figure}</b>`` shows a name `<img onerror=…>`
 * as those characters.
 */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0]!
  values.forEach((v, i) => (out += piece(v) + strings[i + 1]!))
  return safe(out)
}

/** ECharts' series marker: `<span style="…background-color:…;"></span>`, its colour escaped by ECharts. */
const MARKER = /^<span style="[^"<>]*"><\/span>$/

/**
 * The `marker` ECharts hands a formatter (the series' colour dot) as SafeHtml. Anything else (the
 * rich-text marker object, a string not of that form) gives no marker rather than markup.
 */
export function echartsMarker(marker: unknown): SafeHtml {
  return safe(typeof marker === 'string' && MARKER.test(marker) ? marker : '')
}

/**
 * An ECharts tooltip formatter from a builder of HTML. A builder that returns a plain string has
 * it escaped whole: a formatter that forgot `html` shows its tags as text, it never runs them.
 */
export function tooltipFormatter<P>(build: (params: P) => SafeHtml | string): (params: P) => string {
  return (params) => {
    const out = build(params)
    return isSafeHtml(out) ? out.html : escapeHtml(out)
  }
}
