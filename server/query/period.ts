/** Resolves a query's period (from/to or a rolling window) in the business time zone. */
import type { Query } from '../../protocol/query.ts'
import type { BusinessCalendar } from '../domain/time.ts'
import { CockpitError } from '../errors.ts'
import { assertInBusinessRange } from './cost.ts'

export interface Period {
  from: number
  to: number
}

const DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/

/** Length in ms of an ISO 8601 duration of days/hours/minutes, or undefined when not one. */
export function durationMs(window: string): number | undefined {
  const m = DURATION.exec(window)
  if (!m || window === 'P' || window.endsWith('T')) return undefined
  const [, d, h, min] = m
  const ms = (Number(d ?? 0) * 24 * 60 + Number(h ?? 0) * 60 + Number(min ?? 0)) * 60_000
  return ms > 0 ? ms : undefined
}

/**
 * The period of a query in epoch ms. Throws COCKPIT_ERR_INVALID_QUERY (400) naming the field when
 * the period is missing, malformed, empty or outside the business range (1970–2100).
 */
export function resolvePeriod(query: Pick<Query, 'from' | 'to' | 'window'>, cal: BusinessCalendar, now: number): Period {
  const { from, to, window } = query
  if (window !== undefined) {
    if (from !== undefined || to !== undefined) throw new CockpitError('COCKPIT_ERR_INVALID_QUERY', 'give either window or from/to, not both')
    switch (window) {
      case 'today':
        return { from: cal.startOf('day', now), to: now }
      case 'yesterday': {
        const today = cal.startOf('day', now)
        return { from: cal.startOf('day', today - 1), to: today }
      }
      case 'thisMonth':
        return { from: cal.startOf('month', now), to: now }
      default: {
        const ms = durationMs(window)
        if (ms === undefined) throw new CockpitError('COCKPIT_ERR_INVALID_QUERY', `window "${window}" is not a duration like PT1H or P7D`)
        return { from: now - ms, to: now }
      }
    }
  }
  if (from === undefined || to === undefined) throw new CockpitError('COCKPIT_ERR_INVALID_QUERY', 'a period is needed: from and to, or window')
  const f = Date.parse(from)
  const t = Date.parse(to)
  if (Number.isNaN(f) || Number.isNaN(t)) throw new CockpitError('COCKPIT_ERR_INVALID_QUERY', 'from/to must be real RFC 3339 date-times')
  // before any bucket maths: a period in year 9999 would make every later bound meaningless
  assertInBusinessRange('from', f)
  assertInBusinessRange('to', t)
  if (t <= f) throw new CockpitError('COCKPIT_ERR_INVALID_QUERY', 'to must be after from')
  return { from: f, to: t }
}

/** The period of equal length just before (for "change against the previous period"). */
export function previousPeriod(p: Period, window: string | undefined, cal: BusinessCalendar): Period {
  if (window === 'today' || window === 'thisMonth') {
    // same part of the previous day / month: today 00:00–now ↔ yesterday 00:00–same time
    const unit = window === 'today' ? 'day' : 'month'
    const prevStart = cal.startOf(unit, p.from - 1)
    return { from: prevStart, to: Math.min(prevStart + (p.to - p.from), p.from) }
  }
  return { from: p.from - (p.to - p.from), to: p.from }
}
