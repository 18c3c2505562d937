/**
 * A screen as a file (import/export) and the checks the editor runs before it saves: the frame
 * against protocol/screen.ts, every instance's options against its widget's schema, ids unique,
 * widgets inside the grid. The server runs the same checks; doing them here puts the message
 * next to the field instead of in a failed request.
 */
import { ScreenDefinition } from '../../protocol/screen.ts'
import type { WidgetInstance } from '../../protocol/screen.ts'
import { isWidgetId, manifestOf } from '../../widgets/manifests.ts'
import type { Locale } from '../../widgets/define-widget.ts'
import { message } from '../../widgets/common/messages.ts'
import { optionErrors, problems } from './validate.ts'

/** instance id → field → message (`''` for the instance itself) */
export type InstanceErrors = Record<string, Record<string, string>>

export function instanceErrors(instance: WidgetInstance, screen: Pick<ScreenDefinition, 'grid'>, locale: Locale): Record<string, string> {
  if (!isWidgetId(instance.widget)) return { '': message(locale, 'check.unknownWidget', { widget: instance.widget }) }
  const manifest = manifestOf(instance.widget)
  const errors = optionErrors(manifest.options, instance.options, locale)
  if (instance.x + instance.w > screen.grid.columns || instance.y + instance.h > screen.grid.rows) {
    errors[''] ??= message(locale, 'check.outsideGrid')
  }
  return errors
}

export function screenErrors(screen: ScreenDefinition, locale: Locale): InstanceErrors {
  const out: InstanceErrors = {}
  const seen = new Set<string>()
  for (const w of screen.widgets) {
    const errors = instanceErrors(w, screen, locale)
    if (seen.has(w.id)) errors[''] ??= message(locale, 'check.duplicateId', { id: w.id })
    seen.add(w.id)
    if (Object.keys(errors).length) out[w.id] = errors
  }
  return out
}

/** The JSON a screen is exported as: the definition only (no server version). */
export function exportScreen(screen: ScreenDefinition): string {
  const { id, title, kind, design, theme, fit, dwellSeconds, linking, grid, widgets } = screen
  const clean: ScreenDefinition = {
    id,
    title,
    ...(kind ? { kind } : {}),
    design,
    theme,
    ...(fit ? { fit } : {}),
    ...(dwellSeconds ? { dwellSeconds } : {}),
    ...(linking !== undefined ? { linking } : {}),
    grid,
    widgets,
  }
  return `${JSON.stringify(clean, null, 2)}\n`
}

export type ParsedScreen = { ok: true; screen: ScreenDefinition } | { ok: false; problems: string[] }

/** Reads an exported screen; what the server adds (version, updatedAt) is dropped. */
export function parseScreenFile(text: string, locale: Locale): ParsedScreen {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    return { ok: false, problems: [`${message(locale, 'check.notJson')}: ${(err as Error).message}`] }
  }
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    const { version: _v, updatedAt: _u, ...rest } = raw as Record<string, unknown>
    raw = rest
  }
  const frame = problems(ScreenDefinition, raw, locale)
  if (frame.length) return { ok: false, problems: frame }
  const screen = raw as ScreenDefinition
  const errors = screenErrors(screen, locale)
  const lines = Object.entries(errors).flatMap(([id, fields]) => Object.entries(fields).map(([field, msg]) => `${id}${field ? `.${field}` : ''}: ${msg}`))
  return lines.length ? { ok: false, problems: lines } : { ok: true, screen }
}

/**
 * Maps the server's 400 errors (`{path: "/widgets/2/options/top", widget?, message}`) onto
 * instances and fields; errors of the screen itself land under `''`.
 */
export function serverErrors(screen: ScreenDefinition, errors: readonly { path: string; message: string; widget?: string }[]): InstanceErrors {
  const out: InstanceErrors = {}
  for (const e of errors) {
    const m = /^\/widgets\/(\d+)(?:\/options\/([^/]+))?/.exec(e.path)
    const id = e.widget ?? (m ? screen.widgets[Number(m[1])]?.id : undefined) ?? ''
    const field = m?.[2] ?? (m ? '' : e.path)
    ;(out[id] ??= {})[field] ??= e.message
  }
  return out
}

/** Problems of the screen's own fields (title, design, grid, dwell, id), by field; widgets are checked by screenErrors. */
export function settingsErrors(screen: ScreenDefinition, locale: Locale): Record<string, string> {
  const { widgets: _w, ...frame } = screen
  const errors = optionErrors(ScreenDefinition, { ...frame, widgets: [] }, locale)
  return errors
}

/** A blank screen to start from when an id names nothing yet. */
export function blankScreen(id: string, title: string): ScreenDefinition {
  return { id, title, design: { width: 1920, height: 1080 }, theme: 'dark', fit: 'fit', dwellSeconds: 30, grid: { columns: 12, rows: 12 }, widgets: [] }
}
