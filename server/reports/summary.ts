/**
 * The one-line summary of a screen's KPIs that goes with a scheduled report's picture
 * (docs/reports.md "Snapshots"): each KPI card and gauge of the screen, in layout order, as
 * "title figure (change)", formatted as the screen formats it (widgets/common/format.ts), e.g.
 * `今日销售收入 ¥4,305（▲ 12.5%） · 毛利率 32.1%`. Pure: the caller runs the queries.
 */
import type { Query, QueryResult } from '../../protocol/query.ts'
import type { Locale, ScreenDefinition, WidgetInstance } from '../../protocol/screen.ts'
import { titleFor } from '../../protocol/screen.ts'
import { migrateOptions } from '../../widgets/define-widget.ts'
import { isWidgetId, manifestOf } from '../../widgets/manifests.ts'
import { change, formatChange, formatPoints, formatValue } from '../../widgets/common/format.ts'
import { metricTitle } from '../../widgets/common/i18n.ts'

/** Widgets that show one headline figure: their `value` query is what the summary names. */
const HEADLINE_WIDGETS: readonly string[] = ['kpi-card', 'gauge']

/** At most this many figures: a chat message's first line stays readable. */
export const MAX_SUMMARY_FIGURES = 8

export interface HeadlineFigure {
  instance: WidgetInstance
  title: string
  query: Query
}

/** The headline widgets of a screen in reading order (y, then x), with their title in `locale` and their `value` query. */
export function headlineFigures(screen: ScreenDefinition, locale: Locale): HeadlineFigure[] {
  const out: HeadlineFigure[] = []
  const ordered = [...screen.widgets].sort((a, b) => a.y - b.y || a.x - b.x)
  for (const instance of ordered) {
    if (!HEADLINE_WIDGETS.includes(instance.widget) || !isWidgetId(instance.widget)) continue
    const manifest = manifestOf(instance.widget)
    const options = migrateOptions(manifest, instance.options, instance.optionsVersion ?? manifest.version) as { title?: string }
    const query = manifest.queries(options).value
    if (!query) continue
    const title = titleFor(instance.titles, locale) ?? options.title ?? metricTitle(query.metric, locale)
    out.push({ instance, title, query })
    if (out.length === MAX_SUMMARY_FIGURES) break
  }
  return out
}

/** One figure as the KPI card shows it: value, and the change against the previous period when the result has one. */
export function formatHeadline(title: string, result: QueryResult, locale: Locale): string {
  const value = formatValue(result.total, result.unit, result.currency, locale)
  let delta = ''
  if (result.previous) {
    // a ratio changes by percentage points, like the card shows it
    const text =
      result.unit === 'ratio'
        ? formatPoints(result.total !== null && result.previous.total !== null ? result.total - result.previous.total : undefined, locale)
        : formatChange(change(result.total, result.previous.total), locale)
    if (text !== '—') delta = locale === 'zh-CN' ? `（${text}）` : ` (${text})`
  }
  return `${title} ${value}${delta}`
}

/** The line: figures joined by " · "; failed ones are left out (undefined result). */
export function summaryLine(figures: readonly { title: string; result: QueryResult | undefined }[], locale: Locale): string {
  return figures
    .filter((f): f is { title: string; result: QueryResult } => f.result !== undefined)
    .map((f) => formatHeadline(f.title, f.result, locale))
    .join(' · ')
}
