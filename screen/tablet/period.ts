/**
 * The tablet's period switcher: preset rolling windows or a custom range of whole days in the
 * business time zone. The chosen period replaces the window/from/to of every query a widget
 * derives (WidgetHost's `period` prop) and lives in the URL, so reload and back keep it.
 */
import { METRICS, PERIOD_KINDS } from '../../protocol/metrics.ts'
import type { WidgetInstance } from '../../protocol/screen.ts'
import { migrateOptions } from '../../widgets/define-widget.ts'
import { isWidgetId, manifestOf } from '../../widgets/manifests.ts'

export type Period = { window: string } | { from: string; to: string }

export const PERIOD_PRESETS = ['today', 'P7D', 'P30D', 'thisMonth'] as const
export type PeriodPreset = (typeof PERIOD_PRESETS)[number]

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/** `+08:00` for an instant in an IANA time zone (RFC 3339 offset). */
export function zoneOffset(at: Date, timeZone: string): string {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT'
  const m = /GMT([+-]\d{2}):?(\d{2})?/.exec(name)
  return m ? `${m[1]}:${m[2] ?? '00'}` : '+00:00'
}

/** Midnight starting a calendar day in a time zone, as RFC 3339 with that zone's offset. */
export function startOfDay(date: string, timeZone: string): string {
  const m = DATE.exec(date)
  if (!m) throw new RangeError(`not a date: ${date}`)
  // the offset in force at noon UTC of that day is the one at its midnight except on DST days,
  // where a second look at the candidate instant settles it
  let offset = zoneOffset(new Date(`${date}T12:00:00Z`), timeZone)
  const candidate = new Date(`${date}T00:00:00${offset}`)
  offset = zoneOffset(candidate, timeZone)
  return `${date}T00:00:00${offset}`
}

/** The day after a calendar date (`2026-02-28` → `2026-03-01`). */
export function nextDay(date: string): string {
  const d = new Date(`${date}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + 1)
  return d.toISOString().slice(0, 10)
}

/** Today's calendar date in a time zone, `YYYY-MM-DD`. */
export function todayIn(timeZone: string, at = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at)
}

/** A custom period of whole days, `from` and `to` inclusive; undefined when the dates are not a valid range. */
export function customPeriod(from: string, to: string, timeZone: string): { from: string; to: string } | undefined {
  if (!DATE.test(from) || !DATE.test(to) || Number.isNaN(Date.parse(from)) || Number.isNaN(Date.parse(to)) || from > to) return undefined
  return { from: startOfDay(from, timeZone), to: startOfDay(nextDay(to), timeZone) }
}

/** Reads the period from the route query: `?period=P7D`, or `?from=2026-11-01&to=2026-11-20`; default today. */
export function periodFromQuery(query: Record<string, unknown>, timeZone: string): { preset: PeriodPreset | 'custom'; period: Period; from?: string; to?: string } {
  const from = typeof query.from === 'string' ? query.from : undefined
  const to = typeof query.to === 'string' ? query.to : undefined
  if (from && to) {
    const custom = customPeriod(from, to, timeZone)
    if (custom) return { preset: 'custom', period: custom, from, to }
  }
  const preset = (PERIOD_PRESETS as readonly string[]).includes(String(query.period)) ? (query.period as PeriodPreset) : 'today'
  return { preset, period: { window: preset } }
}

/**
 * Whether a widget follows the period switcher: it does when one of its queries is over a
 * period (flows, ratios, closing levels); a widget showing only "now" figures (stock levels,
 * stock alerts) stays as it is — a period means nothing to it and the server refuses one.
 */
export function followsPeriod(instance: WidgetInstance): boolean {
  if (!isWidgetId(instance.widget)) return false
  const manifest = manifestOf(instance.widget)
  const options = migrateOptions(manifest, instance.options, instance.optionsVersion ?? manifest.version)
  return Object.values(manifest.queries(options)).some((q) => PERIOD_KINDS.includes(METRICS[q.metric].kind))
}
