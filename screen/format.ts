/** Number formatting for the wall: 万/亿 in Chinese, K/M in English, currency from the result. */
import type { Unit } from '../protocol/metrics.ts'

export type Locale = 'zh-CN' | 'en'

const SYMBOLS: Record<string, string> = { CNY: '¥', USD: '$', EUR: '€', HKD: 'HK$', JPY: '¥', GBP: '£' }

/** Splits a number into a short figure and a magnitude suffix (`digits`: decimals kept; default 2, 1 from 100). */
export function compact(value: number, locale: Locale, digits?: number): { figure: string; suffix: string } {
  const abs = Math.abs(value)
  const steps: [number, string][] = locale === 'zh-CN' ? [[1e8, '亿'], [1e4, '万']] : [[1e9, 'B'], [1e6, 'M'], [1e3, 'K']]
  for (const [size, suffix] of steps) {
    if (abs >= size) {
      const scaled = value / size
      const d = digits ?? (Math.abs(scaled) >= 100 ? 1 : 2)
      return { figure: scaled.toLocaleString(locale, { minimumFractionDigits: digits === undefined ? d : 0, maximumFractionDigits: d }), suffix }
    }
  }
  return { figure: value.toLocaleString(locale, { maximumFractionDigits: 2, minimumFractionDigits: Number.isInteger(value) ? 0 : 2 }), suffix: '' }
}

export function currencySymbol(currency: string): string {
  return SYMBOLS[currency] ?? `${currency} `
}

/** A figure with its unit, e.g. "¥1,234.50万", "98.5%", "12.3 天". */
export function formatValue(value: number | null | undefined, unit: Unit, currency: string, locale: Locale): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—'
  if (unit === 'ratio') return `${(value * 100).toLocaleString(locale, { maximumFractionDigits: 1, minimumFractionDigits: 1 })}%`
  if (unit === 'days') return `${value.toLocaleString(locale, { maximumFractionDigits: 1 })}${locale === 'zh-CN' ? ' 天' : ' d'}`
  if (unit === 'times') return `${value.toLocaleString(locale, { maximumFractionDigits: 2 })}${locale === 'zh-CN' ? ' 次' : '×'}`
  const { figure, suffix } = compact(value, locale)
  return unit === 'money' ? `${value < 0 ? '-' : ''}${currencySymbol(currency)}${figure.replace(/^-/, '')}${suffix}` : `${figure}${suffix}`
}

/** Relative change of a figure against a previous one, or undefined when not meaningful. */
export function change(current: number | null | undefined, previous: number | null | undefined): number | undefined {
  if (current === null || current === undefined || previous === null || previous === undefined || previous === 0) return undefined
  return (current - previous) / Math.abs(previous)
}

export function formatChange(ratio: number | undefined, locale: Locale): string {
  if (ratio === undefined) return '—'
  const pct = Math.abs(ratio * 100)
  return `${ratio >= 0 ? '▲' : '▼'} ${pct.toLocaleString(locale, { maximumFractionDigits: pct >= 100 ? 0 : 1 })}%`
}

const clockFormats = new Map<string, Intl.DateTimeFormat>()

/** hh:mm:ss of an instant in a time zone (the business zone on the wall). */
export function clockTime(at: Date | number, timeZone = 'Asia/Shanghai'): string {
  let f = clockFormats.get(timeZone)
  if (!f) clockFormats.set(timeZone, (f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })))
  return f.format(at)
}

/** The date and weekday of an instant in a time zone, e.g. 2026年11月25日 星期三. */
export function longDate(at: Date | number, timeZone = 'Asia/Shanghai', locale: Locale = 'zh-CN'): string {
  return new Intl.DateTimeFormat(locale, { timeZone, year: 'numeric', month: 'long', day: 'numeric', weekday: 'long' }).format(at)
}
