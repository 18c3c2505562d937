import Type from 'typebox'
import { METRICS } from '../../protocol/metrics.ts'
import type { MetricName } from '../../protocol/metrics.ts'
import { defineWidget } from '../define-widget.ts'

/** Flow metrics kept by minute for the whole company: what the ticker can follow. */
export const TICKER_METRICS = (Object.keys(METRICS) as MetricName[]).filter((m) => METRICS[m].kind === 'flow')

/**
 * The latest activity, minute by minute: for each followed flow (sales, receipts, payments,
 * transfers …) every minute of the last `minutes` in which it moved, newest first. The query API
 * has no list of individual movements, so this reads per-minute series of the whole company
 * (`interval: "minute"`), which the counters keep exactly; the row of the current minute grows
 * as movements arrive.
 */
export const movementTicker = defineWidget({
  id: 'movement-ticker',
  version: 1,
  title: { 'zh-CN': '实时动态', en: 'Live activity' },
  options: Type.Object({
    metrics: Type.Array(Type.Enum(TICKER_METRICS), { minItems: 1, maxItems: 6, description: 'flows followed' }),
    /** how far back the list reaches */
    minutes: Type.Integer({ minimum: 5, maximum: 120, description: 'how far back the list reaches' }),
    /** rows at most (fewer when the box is small) */
    limit: Type.Integer({ minimum: 3, maximum: 60, description: 'rows at most (fewer when the box is small)' }),
    title: Type.Optional(Type.String({ maxLength: 40 })),
  }),
  defaults: { metrics: ['sales.revenue', 'purchase.receiptAmount', 'cash.in', 'cash.out', 'transfer.qty'], minutes: 30, limit: 30 },
  migrations: {},
  queries: (o) => Object.fromEntries(o.metrics.map((metric, i) => [`m${i}`, { metric, window: `PT${o.minutes}M`, interval: 'minute' as const }])),
})
