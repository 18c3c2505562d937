/**
 * Number formatting for the screen: 万/亿 in Chinese, K/M/B in English, the currency a result names.
 * Every figure a widget shows goes through here, so a wall reads the same in every widget.
 */
import type { Unit } from '../../protocol/metrics.ts'

import type { Locale } from '../../protocol/screen.ts'
export type { Locale }

const SYMBOLS: Record<string, string> = { CNY: '¥', USD: '$', EUR: '€', HKD: 'HK$', JPY: '¥', GBP: '£', TWD: 'NT$', SGD: 'S$', KRW: '₩' }
const MINUS = '-'

const numberFormats = new Map<string, Intl.NumberFormat>()
/** Intl.NumberFormat instances are costly to build and a wall formats thousands of figures a minute. */
function numberFormat(locale: Locale, min: number, max: number): Intl.NumberFormat {
  const key = `${locale}|${min}|${max}`
  let f = numberFormats.get(key)
  if (!f) numberFormats.set(key, (f = new Intl.NumberFormat(locale, { minimumFractionDigits: min, maximumFractionDigits: max })))
  return f
}

function magnitudes(locale: Locale): readonly (readonly [number, string])[] {
  return locale === 'zh-CN'
    ? [
        [1e8, '亿'],
        [1e4, '万'],
      ]
    : [
        [1e9, 'B'],
        [1e6, 'M'],
        [1e3, 'K'],
      ]
}

/**
 * Splits a number into a short figure and a magnitude suffix: 12,345,678 → "1,234.57" + "万" (zh-CN)
 * or "12.35" + "M" (en). `digits`: decimals kept (fixed); by default 2, or 1 from 100 on.
 * A figure that rounds up to the next magnitude moves there (99,999,999 → "1.00亿", not "10,000.0万").
 */
export function compact(value: number, locale: Locale, digits?: number): { figure: string; suffix: string } {
  if (!Number.isFinite(value)) return { figure: '—', suffix: '' }
  const steps = magnitudes(locale)
  // steps run largest first; -1 means "no magnitude"
  let i = steps.findIndex(([size]) => Math.abs(value) >= size)
  for (;;) {
    const size = i === -1 ? 1 : steps[i]![0]
    const scaled = value / size
    const d = digits ?? (i === -1 ? 2 : Math.abs(scaled) >= 99.95 ? 1 : 2)
    const limit = i === -1 ? steps[steps.length - 1]![0] : i > 0 ? steps[i - 1]![0] / size : Infinity
    if (Math.abs(round(scaled, d)) >= limit) {
      i = i === -1 ? steps.length - 1 : i - 1
      continue
    }
    const min = i === -1 && digits === undefined && Number.isInteger(value) ? 0 : d
    return { figure: signed(numberFormat(locale, min, d).format(scaled)), suffix: i === -1 ? '' : steps[i]![1] }
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/** "-0" never shows; ASCII minus everywhere. */
function signed(text: string): string {
  const t = text.replace('\u2212', MINUS)
  return /^-0([.,]0*)?$/.test(t) ? t.slice(1) : t
}

export function currencySymbol(currency: string): string {
  return SYMBOLS[currency] ?? `${currency} `
}

function withCurrency(figure: string, suffix: string, currency: string): string {
  const negative = figure.startsWith(MINUS)
  return `${negative ? MINUS : ''}${currencySymbol(currency)}${negative ? figure.slice(1) : figure}${suffix}`
}

/** Unit words after a figure. */
const UNIT_WORDS: Record<'days' | 'times', Record<Locale, (n: number) => string>> = {
  days: { 'zh-CN': () => ' 天', en: (n) => (Math.abs(n) === 1 ? ' day' : ' days') },
  times: { 'zh-CN': () => ' 次', en: () => '×' },
}

/** A figure with its unit, e.g. "¥1,234.57万", "98.5%", "12.3 天", "4.2×". Missing or non-finite values give "—". */
export function formatValue(value: number | null | undefined, unit: Unit, currency: string, locale: Locale): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—'
  if (unit === 'ratio') return `${signed(numberFormat(locale, 1, 1).format(value * 100))}%`
  if (unit === 'days' || unit === 'times') {
    const text = signed(numberFormat(locale, 0, 1).format(value))
    return `${text}${UNIT_WORDS[unit][locale](value)}`
  }
  if (unit === 'count') {
    const { figure, suffix } = Math.abs(value) < 1e4 ? { figure: signed(numberFormat(locale, 0, 0).format(value)), suffix: '' } : compact(value, locale)
    return `${figure}${suffix}`
  }
  if (unit === 'qty' && compact(value, locale).suffix === '') return signed(numberFormat(locale, 0, 2).format(value))
  const { figure, suffix } = compact(value, locale)
  return unit === 'money' ? withCurrency(figure, suffix, currency) : `${figure}${suffix}`
}

/**
 * A short axis or data label: at most one decimal, trailing zeros dropped ("¥1.2万", "¥30万",
 * "45%", "12 天"), so tick labels stay narrow at any size.
 */
export function formatAxis(value: number, unit: Unit, currency: string, locale: Locale): string {
  if (!Number.isFinite(value)) return ''
  if (unit === 'ratio') return `${signed(numberFormat(locale, 0, 1).format(value * 100))}%`
  // below one, ticks such as 0.15 and 0.2 need two decimals to stay apart
  const short = compact(value, locale, Math.abs(value) < 1 && value !== 0 ? 2 : 1)
  const figure = short.figure.replace(/\.0+$/, '').replace(/(\.\d)0$/, '$1')
  const suffix = short.suffix
  if (unit === 'money') return withCurrency(figure, suffix, currency)
  if (unit === 'days') return `${figure}${suffix}${locale === 'zh-CN' ? '天' : 'd'}`
  if (unit === 'times') return `${figure}${suffix}${locale === 'zh-CN' ? '次' : '×'}`
  return `${figure}${suffix}`
}

/** A change with its sign: "+¥1.20万", "-350", "+2.5%" (for ratios: the difference in percentage points). */
export function formatDelta(value: number | null | undefined, unit: Unit, currency: string, locale: Locale): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—'
  if (unit === 'ratio') return formatPoints(value, locale)
  const text = formatValue(value, unit, currency, locale)
  return value > 0 ? `+${text}` : text
}

/** Relative change of a figure against a previous one, or undefined when not meaningful. */
export function change(current: number | null | undefined, previous: number | null | undefined): number | undefined {
  if (current === null || current === undefined || previous === null || previous === undefined || previous === 0) return undefined
  if (!Number.isFinite(current) || !Number.isFinite(previous)) return undefined
  return (current - previous) / Math.abs(previous)
}

/** "▲ 3.1%" / "▼ 50%"; "—" when there is nothing to compare with. */
export function formatChange(ratio: number | undefined, locale: Locale): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return '—'
  const pct = Math.abs(ratio * 100)
  const d = pct >= 100 ? 0 : 1
  const text = numberFormat(locale, 0, d).format(pct)
  if (text === '0') return locale === 'zh-CN' ? '持平' : 'flat'
  return `${ratio >= 0 ? '▲' : '▼'} ${text}%`
}

/** A difference of two ratios in percentage points: "▲ 2.1pp" / "▲ 2.1个百分点". */
export function formatPoints(difference: number | undefined, locale: Locale): string {
  if (difference === undefined || !Number.isFinite(difference)) return '—'
  const text = numberFormat(locale, 1, 1).format(Math.abs(difference * 100))
  if (Number(text.replace(/,/g, '')) === 0) return locale === 'zh-CN' ? '持平' : 'flat'
  return `${difference >= 0 ? '▲' : '▼'} ${text}${locale === 'zh-CN' ? '个百分点' : 'pp'}`
}

const clockFormats = new Map<string, Intl.DateTimeFormat>()
function dateFormat(key: string, make: () => Intl.DateTimeFormat): Intl.DateTimeFormat {
  let f = clockFormats.get(key)
  if (!f) clockFormats.set(key, (f = make()))
  return f
}

/** hh:mm:ss of an instant in a time zone (the business zone on the wall). */
export function clockTime(at: Date | number, timeZone = 'Asia/Shanghai'): string {
  return dateFormat(`t|${timeZone}`, () => new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })).format(at)
}

/** hh:mm of an instant in a time zone. */
export function clockMinute(at: Date | number, timeZone = 'Asia/Shanghai'): string {
  return dateFormat(`m|${timeZone}`, () => new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })).format(at)
}

/** The date and weekday of an instant in a time zone, e.g. "2026年11月25日星期三" / "Wednesday, 25 November 2026". */
export function longDate(at: Date | number, timeZone = 'Asia/Shanghai', locale: Locale = 'zh-CN'): string {
  return dateFormat(
    `d|${timeZone}|${locale}`,
    () => new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : locale, { timeZone, year: 'numeric', month: 'long', day: 'numeric', weekday: 'long' }),
  ).format(at)
}

/**
 * Short label of a bucket start such as "2026-11-25T13:00:00+08:00", read as the business zone's
 * wall clock (the offset in the string is that zone's): "13:00" by hour, "13:05" by minute,
 * "11-25" / "25 Nov" by day, "2026-11" / "Nov 2026" by month.
 */
export function bucketLabel(start: string, interval: 'minute' | 'hour' | 'day' | 'month', locale: Locale): string {
  if (interval === 'hour') return `${start.slice(11, 13)}:00`
  if (interval === 'minute') return start.slice(11, 16)
  const month = Number(start.slice(5, 7))
  if (interval === 'day') return locale === 'zh-CN' ? `${month}/${Number(start.slice(8, 10))}` : `${Number(start.slice(8, 10))} ${MONTHS[month - 1]}`
  return locale === 'zh-CN' ? `${start.slice(0, 4)}年${month}月` : `${MONTHS[month - 1]} ${start.slice(0, 4)}`
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
