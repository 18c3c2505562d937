/**
 * The counters the aggregator keeps, by code (short: a code is part of every counter key).
 * Which metric reads which counters is server/aggregate/formulas.ts; docs/metrics.md explains both.
 */
import type { CounterDim, Resolution } from '../redis/keys.ts'

export type Scale = 'money' | 'qty' | 'count'

export interface CounterDef {
  scale: Scale
  /** resolutions it is bucketed at (further limited per dimension by DIM_RESOLUTIONS) */
  res: readonly Resolution[]
  dims: readonly CounterDim[]
}

const ALL_RES: readonly Resolution[] = ['minute', 'hour', 'day', 'month', 'year']

/**
 * Resolutions kept per dimension. Every distinct (bucket, counter, dimension, member) costs one
 * HINCRBY per batch, and SKUs and partners are the many-membered dimensions (4 in 5 counter
 * writes): SKUs keep hour, day and year buckets, partners day buckets. Queries by them read days
 * instead of months and are answered at hour (SKU) or day (partner) granularity; SKU years keep
 * rankings over long periods flat (+10 % distinct cells on the retail stream), partner years
 * would cost as much again and are left out. docs/architecture.md explains the trades.
 */
export const DIM_RESOLUTIONS: Record<CounterDim, readonly Resolution[]> = {
  all: ALL_RES,
  category: ALL_RES,
  warehouse: ALL_RES,
  region: ALL_RES,
  channel: ALL_RES,
  sku: ['hour', 'day', 'year'],
  partner: ['day'],
  /** transfers between warehouses: few members (routes actually used), like warehouses */
  route: ALL_RES,
  pair: [],
}

const FLOW_DIMS: readonly CounterDim[] = ['all', 'sku', 'category', 'warehouse', 'partner', 'region', 'channel']
const NO_SKU: readonly CounterDim[] = ['all', 'category', 'warehouse', 'partner', 'region', 'channel']
const NO_PARTNER: readonly CounterDim[] = ['all', 'sku', 'category', 'warehouse', 'region', 'channel']
const STOCK_DIMS: readonly CounterDim[] = ['all', 'sku', 'category', 'warehouse', 'region']
const BACKLOG_DIMS: readonly CounterDim[] = ['all', 'sku', 'category', 'warehouse', 'partner']
const PARTNER_DIMS: readonly CounterDim[] = ['all', 'partner']
const flow = (scale: Scale, dims = FLOW_DIMS): CounterDef => ({ scale, res: ALL_RES, dims })
/** Resolutions of the order-line counters: the script builds their keys from day and month bucket ids. */
export const LINE_RESOLUTIONS = ['day', 'month'] as const satisfies readonly Resolution[]
/** The dimensions of an order line: those of the backlog (a line has one SKU, warehouse and partner). */
export const LINE_DIMS = BACKLOG_DIMS
const LINE_COUNTER: CounterDef = { scale: 'count', res: LINE_RESOLUTIONS, dims: BACKLOG_DIMS }

export const COUNTERS = {
  /** sales order amount, lines, qty */
  'so.amt': flow('money'),
  'so.n': flow('count', NO_SKU),
  'so.q': flow('qty', NO_PARTNER),
  /** revenue, units and COGS recognised at shipment (less returns) */
  's.rev': flow('money'),
  's.q': flow('qty', NO_PARTNER),
  's.cogs': flow('money'),
  /** sales returns: amount refunded, qty */
  's.ret': flow('money'),
  'sr.q': flow('qty', NO_PARTNER),
  /** shipments with a promised date, and those on time */
  'sh.due': flow('count', NO_SKU),
  'sh.ot': flow('count', NO_SKU),
  'po.amt': flow('money'),
  'po.q': flow('qty'),
  'pr.amt': flow('money'),
  'pr.q': flow('qty'),
  /** receipts with a promised date, and those on time */
  'rc.due': flow('count', NO_SKU),
  'rc.ot': flow('count', NO_SKU),
  'pt.amt': flow('money'),
  'pt.q': flow('qty'),
  /** transfers by source warehouse (and its region, …) and by route `FROM→TO` (sankey of transfers) */
  'tr.q': { scale: 'qty', res: ALL_RES, dims: [...STOCK_DIMS, 'route'] },
  ci: flow('money', ['all', 'partner', 'region', 'channel']),
  co: flow('money', ['all', 'partner', 'region', 'channel']),
  /** stock value change by day: closing stock value of a past day = value now − later changes */
  sv: { scale: 'money', res: ['day', 'month'], dims: STOCK_DIMS },
  sq: { scale: 'qty', res: ['day', 'month'], dims: STOCK_DIMS },
  /** stocktakes: lines counted, lines exact, Σ|difference value|, Σ book value */
  'st.n': flow('count', STOCK_DIMS),
  'st.ok': flow('count', STOCK_DIMS),
  'st.adv': flow('money', STOCK_DIMS),
  'st.bv': flow('money', STOCK_DIMS),
  /** stocktake adjustments, gains and losses kept apart */
  'adj.qp': flow('qty', STOCK_DIMS),
  'adj.qn': flow('qty', STOCK_DIMS),
  'adj.vp': flow('money', STOCK_DIMS),
  'adj.vn': flow('money', STOCK_DIMS),
  /** stock revaluation: what the valuation invariants changed beyond the lines' own values (docs/metrics.md "Valuation") */
  rv: flow('money', STOCK_DIMS),
  /**
   * receivables and payables (docs/metrics.md "Receivables and payables"), by day: invoiced
   * (a shipment's revenue, a receipt's amount) and settled (payments, returns); the balance at the
   * end of a past day is the balance now − later changes
   */
  'ar.i': { scale: 'money', res: ['day', 'month'], dims: PARTNER_DIMS },
  'ar.s': { scale: 'money', res: ['day', 'month'], dims: PARTNER_DIMS },
  'ap.i': { scale: 'money', res: ['day', 'month'], dims: PARTNER_DIMS },
  'ap.s': { scale: 'money', res: ['day', 'month'], dims: PARTNER_DIMS },
  /**
   * Order lines (`ref|sku`), written by the apply script into the buckets of the line, not of the
   * movement being applied (docs/metrics.md "Order lines"): lines with a promised date and those
   * fulfilled in full on or before it, in the buckets of that date (sales `sl.*`, purchase `pl.*`);
   * supplier lead time, seconds from the line's order to each receipt, and receipts timed, in the
   * receipt's buckets. Day and month buckets only (LINE_RESOLUTIONS).
   */
  'sl.d': LINE_COUNTER,
  'sl.k': LINE_COUNTER,
  'pl.d': LINE_COUNTER,
  'pl.k': LINE_COUNTER,
  'lt.s': LINE_COUNTER,
  'lt.n': LINE_COUNTER,
} as const satisfies Record<string, CounterDef>

export type CounterCode = keyof typeof COUNTERS

/** Sides of the order lines: `s` sales orders and shipments, `p` purchase orders and receipts. */
export type LineSide = 's' | 'p'

/** Counter codes of each side's order lines: lines due, lines on time in full (and supplier lead time). */
export const LINE_CODES = {
  s: { due: 'sl.d', ok: 'sl.k', value: 'ovs' },
  p: { due: 'pl.d', ok: 'pl.k', value: 'ovp' },
} as const satisfies Record<LineSide, { due: CounterCode; ok: CounterCode; value: string }>

/** Pseudo counter code a batch touches when it changes an order line of a side (overdue lines). */
export const LINE_CHANGE_CODE: Record<LineSide, string> = { s: 'ln.s', p: 'ln.p' }

/** Running levels ("now"): stock qty and value by dimension; `pair` is sku|warehouse. */
export const LEVELS = {
  q: { scale: 'qty', dims: STOCK_DIMS },
  v: { scale: 'money', dims: STOCK_DIMS },
  /**
   * open order quantity (ordered − shipped / received against the same ref); also kept by `pair`
   * (sku|warehouse: projected stock, `stock.reorder`) for the lines opened since it is (fold.ts `backlog`)
   */
  bs: { scale: 'qty', dims: BACKLOG_DIMS },
  bp: { scale: 'qty', dims: BACKLOG_DIMS },
  /** receivables and payables ever invoiced and ever settled: the balance is invoiced − settled */
  ari: { scale: 'money', dims: PARTNER_DIMS },
  ars: { scale: 'money', dims: PARTNER_DIMS },
  api: { scale: 'money', dims: PARTNER_DIMS },
  aps: { scale: 'money', dims: PARTNER_DIMS },
  /** open order value: Σ over lines of open qty × the line's ordered amount / ordered qty (sales, purchase) */
  ovs: { scale: 'money', dims: BACKLOG_DIMS },
  ovp: { scale: 'money', dims: BACKLOG_DIMS },
} as const satisfies Record<string, { scale: Scale; dims: readonly CounterDim[] }>

export type LevelCode = keyof typeof LEVELS
export const STOCK_LEVEL_DIMS = STOCK_DIMS

/** Member recorded when a movement has no value for a dimension (so groups add up to the total). */
export const UNSPECIFIED = '-'

/** The two sides of trade credit: `ar` receivables (customers), `ap` payables (suppliers). */
export type CreditSide = 'ar' | 'ap'

/** Counters and levels of one side: invoiced and settled, by day and ever. */
export const CREDIT = {
  ar: { invoiced: 'ar.i', settled: 'ar.s', invoicedLevel: 'ari', settledLevel: 'ars' },
  ap: { invoiced: 'ap.i', settled: 'ap.s', invoicedLevel: 'api', settledLevel: 'aps' },
} as const satisfies Record<CreditSide, { invoiced: CounterCode; settled: CounterCode; invoicedLevel: LevelCode; settledLevel: LevelCode }>

export function pairField(sku: string, warehouse: string): string {
  return `${sku}|${warehouse}`
}
