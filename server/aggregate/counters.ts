/**
 * The counters the aggregator keeps, by code (short: a code is part of every counter key).
 * Which metric reads which counters is server/query/formulas.ts; docs/metrics.md explains both.
 */
import type { CounterDim, Resolution } from '../redis/keys.ts'

export type Scale = 'money' | 'qty' | 'count'

export interface CounterDef {
  scale: Scale
  /** resolutions it is bucketed at */
  res: readonly Resolution[]
  dims: readonly CounterDim[]
}

const ALL_RES: readonly Resolution[] = ['minute', 'hour', 'day', 'month']
const FLOW_DIMS: readonly CounterDim[] = ['all', 'sku', 'category', 'warehouse', 'partner', 'region', 'channel']
const STOCK_DIMS: readonly CounterDim[] = ['all', 'sku', 'category', 'warehouse', 'region']
const flow = (scale: Scale): CounterDef => ({ scale, res: ALL_RES, dims: FLOW_DIMS })

export const COUNTERS = {
  /** sales order amount, lines, qty */
  'so.amt': flow('money'),
  'so.n': flow('count'),
  'so.q': flow('qty'),
  /** revenue, units and COGS recognised at shipment (less returns) */
  's.rev': flow('money'),
  's.q': flow('qty'),
  's.cogs': flow('money'),
  /** sales returns: amount refunded, qty */
  's.ret': flow('money'),
  'sr.q': flow('qty'),
  /** shipments with a promised date, and those on time */
  'sh.due': flow('count'),
  'sh.ot': flow('count'),
  'po.amt': flow('money'),
  'po.q': flow('qty'),
  'pr.amt': flow('money'),
  'pr.q': flow('qty'),
  /** receipts with a promised date, and those on time */
  'rc.due': flow('count'),
  'rc.ot': flow('count'),
  'pt.amt': flow('money'),
  'pt.q': flow('qty'),
  'tr.q': { scale: 'qty', res: ALL_RES, dims: ['all', 'sku', 'category', 'warehouse', 'region'] },
  ci: flow('money'),
  co: flow('money'),
  /** stock value change by day: closing stock value of a past day = value now − later changes */
  sv: { scale: 'money', res: ['day', 'month'], dims: STOCK_DIMS },
  sq: { scale: 'qty', res: ['day', 'month'], dims: STOCK_DIMS },
} as const satisfies Record<string, CounterDef>

export type CounterCode = keyof typeof COUNTERS

/** Running levels ("now"): stock qty and value by dimension; `pair` is sku|warehouse. */
export const LEVELS = {
  q: { scale: 'qty', dims: [...STOCK_DIMS, 'pair'] },
  v: { scale: 'money', dims: [...STOCK_DIMS, 'pair'] },
} as const satisfies Record<string, { scale: Scale; dims: readonly CounterDim[] }>

export type LevelCode = keyof typeof LEVELS
export const STOCK_LEVEL_DIMS = STOCK_DIMS

/** Member recorded when a movement has no value for a dimension (so groups add up to the total). */
export const UNSPECIFIED = '-'

export function pairField(sku: string, warehouse: string): string {
  return `${sku}|${warehouse}`
}
