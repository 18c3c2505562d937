/**
 * A widget declares itself (Grafana panel-plugin habit): id, titles, an option schema with its
 * defaults side by side, migrations of stored options, the named queries it needs, and what the
 * editor shows of it (palette icon and group, start and least size, option labels). The component
 * only renders what it is given: `{ data, options, width, height }`; it never fetches.
 * Manifests import no .vue file, so the server can validate screens with them.
 */
import type { Static, TSchema } from 'typebox'
import type { Query, QueryResult } from '../protocol/query.ts'

import type { Locale } from '../protocol/screen.ts'
export type { Locale }
export type Titles = Readonly<Record<Locale, string>>

/** Groups of the editor's palette, in the order it shows them. */
export const WIDGET_GROUPS = {
  general: { 'zh-CN': '通用', en: 'General' },
  sales: { 'zh-CN': '销售', en: 'Sales' },
  purchasing: { 'zh-CN': '采购', en: 'Purchasing' },
  stock: { 'zh-CN': '库存', en: 'Stock' },
  cash: { 'zh-CN': '资金', en: 'Cash' },
  layout: { 'zh-CN': '版面', en: 'Layout' },
} as const satisfies Record<string, Titles>
export type WidgetGroup = keyof typeof WIDGET_GROUPS

/** Size in cells of a 12 × 12 grid (the editor scales it to the screen's grid). */
export interface WidgetSize {
  /** what a new instance starts with */
  readonly w: number
  readonly h: number
  /** the least the editor lets it be resized to */
  readonly minW: number
  readonly minH: number
}

/** Form labels of a widget's own options, by option name. */
export type OptionLabels<O> = Readonly<Partial<Record<Extract<keyof O, string>, Titles>>>

export interface WidgetManifest<S extends TSchema = TSchema> {
  readonly id: string
  /** version of the options shape; stored options of older versions go through `migrations` */
  readonly version: number
  readonly title: Titles
  /** the editor palette's glyph: one character */
  readonly icon: string
  /** the palette group it is listed under */
  readonly group: WidgetGroup
  readonly size: WidgetSize
  readonly options: S
  readonly defaults: Static<S>
  /**
   * form labels of options the shared vocabulary (widgets/common/option-labels.ts) does not name;
   * a label here wins over the shared one
   */
  readonly labels: OptionLabels<Static<S>>
  /** migrations[v] turns options of version v into version v + 1 */
  readonly migrations: Readonly<Record<number, (old: Record<string, unknown>) => Record<string, unknown>>>
  /** the queries this widget needs, by name; their results arrive as `data[name]` */
  queries(options: Static<S>): Record<string, Query>
  /**
   * status endpoints of the cockpit's own API this widget reads (figures that are not queries, such
   * as the ERP sources' state), by name; the host polls each and hands the answers over as
   * `polled[name]` @default none
   */
  readonly polls?: (options: Static<S>) => Record<string, WidgetPoll>
}

/** An endpoint of the cockpit's API a widget's host reads again and again. */
export interface WidgetPoll {
  /** path under `/api/v1`, starting with `/` (e.g. `/sources`): only the cockpit's own API */
  readonly path: string
  /** time between two reads, ms */
  readonly everyMs: number
}

/** The last answer of a polled endpoint. */
export interface PolledResult {
  /** the JSON body of the last successful read */
  body?: unknown
  /** why the last read failed (`HTTP 404`, the server's error code, a network error) */
  error?: string
  /** when the body was last read, ms since epoch */
  at?: number
}

/** Props every widget component receives. */
export interface WidgetProps<O> {
  data: Record<string, QueryResult | undefined>
  options: O
  width: number
  height: number
  /** display language (titles, number magnitudes 万/亿 or K/M) @default "zh-CN" */
  locale?: Locale
  /** colour scheme of the surrounding screen @default "dark" */
  theme?: 'dark' | 'light'
  /**
   * members picked by a linked filter on a dimension this widget groups by (docs/views.md
   * "Linked widgets"): it shows them selected, the others dimmed @default none
   */
  selected?: Readonly<Partial<Record<WidgetDrill['dimension'], string>>>
  /** the answers of the endpoints the manifest's `polls` names, by name @default none */
  polled?: Readonly<Record<string, PolledResult>>
}

/**
 * What a widget may emit: `drill` when the user clicks or taps a member (a category bar, a
 * warehouse row). The wall, the tablet and the editor's canvas answer with a linked filter on
 * that member (docs/views.md "Linked widgets"); the tablet's chip then opens its drill-down.
 */
export interface WidgetDrill {
  dimension: 'sku' | 'category' | 'warehouse' | 'partner' | 'region' | 'channel'
  key: string
  /** the member's master-data name (zh-CN), when known */
  label?: string
  /** its English name, when known */
  labelEn?: string
}

export function defineWidget<S extends TSchema>(manifest: WidgetManifest<S>): WidgetManifest<S> {
  return manifest
}

/** Brings stored options up to the manifest's version and fills defaults. */
export function migrateOptions<S extends TSchema>(manifest: WidgetManifest<S>, stored: Record<string, unknown>, fromVersion: number): Static<S> {
  let options = stored
  for (let v = fromVersion; v < manifest.version; v++) {
    const step = manifest.migrations[v]
    if (step) options = step(options)
  }
  return { ...(manifest.defaults as Record<string, unknown>), ...options } as Static<S>
}
