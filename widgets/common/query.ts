/** Helpers manifests share to derive queries (no Vue: the server imports manifests). */
import { METRICS, PERIOD_KINDS } from '../../protocol/metrics.ts'
import type { MetricName } from '../../protocol/metrics.ts'
import type { Query } from '../../protocol/query.ts'

/** Whether a metric is summed over a period (flows, ratios, closings) rather than a figure "now". */
export function needsPeriod(metric: MetricName): boolean {
  return PERIOD_KINDS.includes(METRICS[metric].kind)
}

/**
 * A query for a metric over a window: the window (and `compare`) only for metrics that take a
 * period; a stock level or a list is read "now", and the server refuses a period for it.
 */
export function metricQuery(metric: MetricName, window: string, extra: Omit<Query, 'metric' | 'window'> = {}): Query {
  if (!needsPeriod(metric)) {
    const { compare: _c, interval: _i, ...rest } = extra
    return { metric, ...rest }
  }
  return { metric, window, ...extra }
}

/**
 * A bucket size that gives a readable series for a window: minutes for up to two hours, hours
 * up to two days, days beyond (a month by hour would be 720 points on a small card).
 */
export function intervalFor(window: string): 'minute' | 'hour' | 'day' {
  if (window === 'today' || window === 'yesterday') return 'hour'
  if (window === 'thisMonth') return 'day'
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(window)
  const minutes = m ? Number(m[1] ?? 0) * 1440 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) : 1440
  if (minutes <= 120) return 'minute'
  if (minutes <= 2880) return 'hour'
  return 'day'
}
