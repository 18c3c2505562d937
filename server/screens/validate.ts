/**
 * Screen and widget validation (pure): the frame against protocol/screen.ts, then what a schema
 * cannot say — instance ids unique, widgets inside the grid, known widget types, each instance's
 * options against its manifest's option schema after migrations, and the queries the options
 * derive. Every error names the JSON path and, inside a widget, the instance id.
 */
import { Compile } from 'typebox/compile'
import type { Validator } from 'typebox/compile'
import type { TSchema } from 'typebox'
import { ScreenDefinition } from '../../protocol/screen.ts'
import type { WidgetInstance } from '../../protocol/screen.ts'
import type { Query } from '../../protocol/query.ts'
import { schemaErrorMessage } from '../../protocol/codes.ts'
import { migrateOptions } from '../../widgets/define-widget.ts'
import type { WidgetManifest } from '../../widgets/define-widget.ts'
import { MANIFESTS, isWidgetId } from '../../widgets/manifests.ts'

/** One problem of a screen: JSON path (RFC 6901), message, and the widget instance id when inside one. */
export interface ScreenIssue {
  path: string
  message: string
  widget?: string
}

interface PathError {
  path: string
  message: string
}

const screenValidator = Compile(ScreenDefinition)
const optionValidators = new Map<string, Validator>()

function optionValidator(manifest: WidgetManifest): Validator {
  let v = optionValidators.get(manifest.id)
  if (!v) {
    v = Compile(manifest.options as TSchema)
    optionValidators.set(manifest.id, v)
  }
  return v
}

/** Schema errors with paths that name the field: a missing property is reported at its own path. */
export function schemaErrors(validator: Validator, value: unknown): PathError[] {
  const out: PathError[] = []
  for (const e of validator.Errors(value)) {
    if (e.keyword === 'boolean') continue
    const params = e.params as { requiredProperties?: string[]; allowedValues?: unknown[]; additionalProperties?: string[] }
    if (e.keyword === 'required' && params.requiredProperties) {
      for (const p of params.requiredProperties) out.push({ path: `${e.instancePath}/${p}`, message: 'is required' })
    } else if (e.keyword === 'additionalProperties' && params.additionalProperties) {
      for (const p of params.additionalProperties) out.push({ path: `${e.instancePath}/${p}`, message: 'is not a known property' })
    } else if (e.keyword === 'enum' && Array.isArray(params.allowedValues) && params.allowedValues.length <= 12) {
      out.push({ path: e.instancePath || '/', message: `must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}` })
    } else {
      out.push({ path: e.instancePath || '/', message: schemaErrorMessage(e) })
    }
  }
  return out
}

export type ResolvedWidget =
  | {
      ok: true
      manifest: WidgetManifest
      /** options brought to the manifest's version, defaults filled */
      options: Record<string, unknown>
      /** the queries the options derive, by name */
      queries: Record<string, Query>
    }
  | { ok: false; /** paths relative to the instance: `/widget`, `/optionsVersion`, `/options/top` */ errors: PathError[] }

/**
 * Resolves a widget type and options: known type, migrations from `optionsVersion`, option
 * schema, derived queries (checked with `parseQuery`, which throws errors with `errors`).
 */
export function resolveWidget(widget: string, options: Record<string, unknown>, optionsVersion: number | undefined, parseQuery: (q: unknown) => Query): ResolvedWidget {
  if (!isWidgetId(widget)) {
    return { ok: false, errors: [{ path: '/widget', message: `unknown widget type "${widget}" (known: ${Object.keys(MANIFESTS).join(', ')})` }] }
  }
  const manifest = MANIFESTS[widget] as unknown as WidgetManifest
  const from = optionsVersion ?? manifest.version
  if (from > manifest.version) {
    return { ok: false, errors: [{ path: '/optionsVersion', message: `options of version ${from} are newer than this server's ${widget} (version ${manifest.version})` }] }
  }
  let migrated: Record<string, unknown>
  try {
    migrated = migrateOptions(manifest, options, from) as Record<string, unknown>
  } catch (err) {
    return { ok: false, errors: [{ path: '/options', message: `options of version ${from} cannot be migrated: ${(err as Error).message}` }] }
  }
  const bad = schemaErrors(optionValidator(manifest), migrated)
  if (bad.length > 0) return { ok: false, errors: bad.map((e) => ({ path: `/options${e.path === '/' ? '' : e.path}`, message: e.message })) }
  const queries: Record<string, Query> = {}
  const errors: PathError[] = []
  for (const [name, query] of Object.entries(manifest.queries(migrated))) {
    try {
      queries[name] = parseQuery(query)
    } catch (err) {
      errors.push({ path: '/options', message: `derives an invalid query "${name}": ${(err as Error).message}` })
    }
  }
  if (errors.length > 0) return { ok: false, errors }
  return { ok: true, manifest, options: migrated, queries }
}

/** A query a screen's widget derives, for the server's dry run. */
export interface DerivedQuery {
  /** index of the instance in `widgets` */
  index: number
  instance: string
  name: string
  query: Query
}

export type ScreenCheck = { ok: true; screen: ScreenDefinition; baseVersion: number; derived: DerivedQuery[] } | { ok: false; errors: ScreenIssue[] }

/**
 * Validates a `PUT /api/v1/screens/:id` body: a screen definition plus `version` (the version
 * the edit was based on; absent = 0, create) and an ignored `updatedAt` (an exported file is
 * accepted unchanged). The screen returned has every instance's options migrated to its
 * manifest's version (`optionsVersion` set accordingly).
 */
export function checkScreenBody(input: unknown, id: string, parseQuery: (q: unknown) => Query): ScreenCheck {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, errors: [{ path: '/', message: 'must be a screen object' }] }
  }
  const { version, updatedAt: _ignored, ...definition } = input as Record<string, unknown>
  const errors: ScreenIssue[] = []
  if (version !== undefined && !(Number.isSafeInteger(version) && (version as number) >= 0)) {
    errors.push({ path: '/version', message: 'must be the version the edit was based on: an integer ≥ 0 (0 creates a new screen)' })
  }
  const widgetIdAt = (path: string): string | undefined => {
    const m = /^\/widgets\/(\d+)(\/|$)/.exec(path)
    if (!m) return undefined
    const w = (definition.widgets as unknown[] | undefined)?.[Number(m[1])] as { id?: unknown } | undefined
    return typeof w?.id === 'string' ? w.id : undefined
  }
  for (const e of schemaErrors(screenValidator, definition)) {
    const widget = widgetIdAt(e.path)
    errors.push(widget === undefined ? e : { ...e, widget })
  }
  if (errors.length > 0) return { ok: false, errors }
  const screen = definition as ScreenDefinition
  if (screen.id !== id) errors.push({ path: '/id', message: `must equal the screen id in the URL ("${id}")` })

  const seen = new Map<string, number>()
  const widgets: WidgetInstance[] = []
  const derived: DerivedQuery[] = []
  screen.widgets.forEach((w, i) => {
    const at = `/widgets/${i}`
    const issue = (path: string, message: string) => errors.push({ path: `${at}${path}`, message, widget: w.id })
    const first = seen.get(w.id)
    if (first !== undefined) issue('/id', `duplicate instance id "${w.id}" (also /widgets/${first})`)
    else seen.set(w.id, i)
    if (w.x + w.w > screen.grid.columns) issue('/w', `reaches past the grid's ${screen.grid.columns} columns (x + w = ${w.x + w.w})`)
    if (w.y + w.h > screen.grid.rows) issue('/h', `reaches past the grid's ${screen.grid.rows} rows (y + h = ${w.y + w.h})`)
    const resolved = resolveWidget(w.widget, w.options, w.optionsVersion, parseQuery)
    if (!resolved.ok) {
      for (const e of resolved.errors) issue(e.path, e.message)
      return
    }
    widgets.push({
      id: w.id,
      widget: w.widget,
      optionsVersion: resolved.manifest.version,
      options: resolved.options,
      ...(w.titles ? { titles: w.titles } : {}),
      x: w.x,
      y: w.y,
      w: w.w,
      h: w.h,
    })
    for (const [name, query] of Object.entries(resolved.queries)) derived.push({ index: i, instance: w.id, name, query })
  })
  if (errors.length > 0) return { ok: false, errors }
  return { ok: true, screen: { ...screen, widgets }, baseVersion: (version as number | undefined) ?? 0, derived }
}
