/**
 * How each metric of the catalogue is computed from counters (docs/metrics.md "Metric reference").
 * A flow metric is a signed sum of flow counters; a ratio divides two such sums (null when the
 * denominator is 0); a level reads running stock levels; a list builds rows.
 */
import type { MetricName } from '../../protocol/metrics.ts'
import { METRIC_NAMES } from '../../protocol/metrics.ts'
import type { CounterCode, LevelCode, Scale } from './counters.ts'

/** Signed sum of counters: [[code, +1], [code, -1]] */
export type Terms = readonly (readonly [CounterCode, 1 | -1])[]

export type Formula =
  | { kind: 'flow'; scale: Scale; terms: Terms }
  /** num / den, or 1 − num / den when `complement` */
  | { kind: 'ratio'; num: Terms; den: Terms; complement?: boolean }
  /** level at the end of each bucket: level now − changes after it */
  | { kind: 'closing'; scale: Scale; level: 'q' | 'v'; delta: 'sq' | 'sv' }
  /** turnover = COGS / average daily closing value; days on hand = average value / daily COGS */
  | { kind: 'turnover'; result: 'turnover' | 'daysOnHand' }
  | { kind: 'level'; scale: Scale; level: LevelCode }
  | { kind: 'stockout' }
  | { kind: 'list'; list: 'belowSafety' | 'recent' | 'slowMoving' }
  /** stock by age bucket from the FIFO layers (server/query/ageing.ts) */
  | { kind: 'ageing' }

const sum = (scale: Scale, ...codes: CounterCode[]): Formula => ({ kind: 'flow', scale, terms: codes.map((c) => [c, 1] as const) })

export const FORMULAS: Record<MetricName, Formula> = {
  'sales.orderAmount': sum('money', 'so.amt'),
  'sales.orders': sum('count', 'so.n'),
  'sales.revenue': sum('money', 's.rev'),
  'sales.qty': sum('qty', 's.q'),
  'sales.cogs': sum('money', 's.cogs'),
  'sales.grossProfit': {
    kind: 'flow',
    scale: 'money',
    terms: [
      ['s.rev', 1],
      ['s.cogs', -1],
    ],
  },
  'sales.grossMargin': {
    kind: 'ratio',
    num: [
      ['s.rev', 1],
      ['s.cogs', -1],
    ],
    den: [['s.rev', 1]],
  },
  'sales.returns': sum('money', 's.ret'),
  'sales.returnQty': sum('qty', 'sr.q'),
  'sales.orderQty': sum('qty', 'so.q'),
  'sales.backlogQty': { kind: 'level', scale: 'qty', level: 'bs' },
  'purchase.orderAmount': sum('money', 'po.amt'),
  'purchase.receiptAmount': sum('money', 'pr.amt'),
  'purchase.receiptQty': sum('qty', 'pr.q'),
  'purchase.orderQty': sum('qty', 'po.q'),
  'purchase.returnAmount': sum('money', 'pt.amt'),
  'purchase.returnQty': sum('qty', 'pt.q'),
  'purchase.returnRate': { kind: 'ratio', num: [['pt.q', 1]], den: [['pr.q', 1]] },
  'purchase.backlogQty': { kind: 'level', scale: 'qty', level: 'bp' },
  'stock.qty': { kind: 'level', scale: 'qty', level: 'q' },
  'stock.value': { kind: 'level', scale: 'money', level: 'v' },
  'stock.belowSafety': { kind: 'list', list: 'belowSafety' },
  'movements.recent': { kind: 'list', list: 'recent' },
  'stock.stockoutRate': { kind: 'stockout' },
  'stock.closingQty': { kind: 'closing', scale: 'qty', level: 'q', delta: 'sq' },
  'stock.closingValue': { kind: 'closing', scale: 'money', level: 'v', delta: 'sv' },
  'stock.turnover': { kind: 'turnover', result: 'turnover' },
  'stock.daysOnHand': { kind: 'turnover', result: 'daysOnHand' },
  'stock.accuracy': { kind: 'ratio', num: [['st.ok', 1]], den: [['st.n', 1]] },
  'stock.valueAccuracy': { kind: 'ratio', num: [['st.adv', 1]], den: [['st.bv', 1]], complement: true },
  'stock.countedLines': sum('count', 'st.n'),
  'stock.gainQty': sum('qty', 'adj.qp'),
  'stock.lossQty': sum('qty', 'adj.qn'),
  'stock.gainValue': sum('money', 'adj.vp'),
  'stock.revaluation': sum('money', 'rv'),
  'stock.lossValue': sum('money', 'adj.vn'),
  'transfer.qty': sum('qty', 'tr.q'),
  'cash.in': sum('money', 'ci'),
  'cash.out': sum('money', 'co'),
  'cash.net': {
    kind: 'flow',
    scale: 'money',
    terms: [
      ['ci', 1],
      ['co', -1],
    ],
  },
  'fulfilment.onTimeRate': { kind: 'ratio', num: [['sh.ot', 1]], den: [['sh.due', 1]] },
  'fulfilment.shipmentsDue': sum('count', 'sh.due'),
  'supplier.onTimeRate': { kind: 'ratio', num: [['rc.ot', 1]], den: [['rc.due', 1]] },
  'stock.ageing': { kind: 'ageing' },
  'stock.slowMoving': { kind: 'list', list: 'slowMoving' },
}

/** Counter and level codes a metric reads. */
export function countersOf(metric: MetricName): string[] {
  const f = FORMULAS[metric]
  switch (f.kind) {
    case 'flow':
      return f.terms.map(([c]) => c)
    case 'ratio':
      return [...f.num, ...f.den].map(([c]) => c)
    case 'closing':
      return [f.level, f.delta]
    case 'turnover':
      return ['s.cogs', 'v', 'sv']
    case 'level':
      return [f.level]
    case 'stockout':
      return ['q']
    case 'ageing':
      // layers move with qty; a value change alone (revaluation) moves the bucket values
      return ['q', 'v']
    case 'list':
      // 'mv': every applied batch (see RECENT_CODE in server/aggregate/fold.ts)
      return f.list === 'recent' ? ['mv'] : ['q']
  }
}

const metricsByCounter = new Map<string, MetricName[]>()
for (const metric of METRIC_NAMES) {
  for (const code of countersOf(metric)) {
    const list = metricsByCounter.get(code) ?? []
    if (!list.includes(metric)) list.push(metric)
    metricsByCounter.set(code, list)
  }
}

/** Metrics whose figures change when these counters change (for change notices). */
export function metricsOfCounters(codes: Iterable<string>): MetricName[] {
  const out = new Set<MetricName>()
  for (const code of codes) for (const m of metricsByCounter.get(code) ?? []) out.add(m)
  return [...out]
}
