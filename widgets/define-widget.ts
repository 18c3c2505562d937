/**
 * A widget declares itself (Grafana panel-plugin habit): id, titles, an option schema with its
 * defaults side by side, migrations of stored options, and the named queries it needs. The
 * component only renders what it is given: `{ data, options, width, height }`; it never fetches.
 * Manifests import no .vue file, so the server can validate screens with them.
 */
import type { Static, TSchema } from 'typebox'
import type { Query, QueryResult } from '../protocol/query.ts'

export type Locale = 'zh-CN' | 'en'
export type Titles = Readonly<Record<Locale, string>>

export interface WidgetManifest<S extends TSchema = TSchema> {
  readonly id: string
  /** version of the options shape; stored options of older versions go through `migrations` */
  readonly version: number
  readonly title: Titles
  readonly options: S
  readonly defaults: Static<S>
  /** migrations[v] turns options of version v into version v + 1 */
  readonly migrations: Readonly<Record<number, (old: Record<string, unknown>) => Record<string, unknown>>>
  /** the queries this widget needs, by name; their results arrive as `data[name]` */
  queries(options: Static<S>): Record<string, Query>
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
}

/**
 * What a widget may emit: `drill` when the user taps a member (a category bar, a warehouse row);
 * the tablet answers with a drill-down view, the wall ignores it.
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
