/**
 * How each metric of the catalogue is computed from counters (docs/metrics.md "Metric reference").
 * A flow metric is a signed sum of flow counters; a ratio divides two such sums (null when the
 * denominator is 0); a level reads running stock levels; a list builds rows.
 */
import type { MetricName } from '../../protocol/metrics.ts'
import { METRIC_NAMES } from '../../protocol/metrics.ts'
import { CREDIT, LINE_CHANGE_CODE, LINE_CODES } from './counters.ts'
import type { CounterCode, CreditSide, LevelCode, LineSide, Scale } from './counters.ts'

/** Signed sum of counters: [[code, +1], [code, -1]] */
export type Terms = readonly (readonly [CounterCode, 1 | -1])[]
/** Signed sum of running levels */
export type LevelTerms = readonly (readonly [LevelCode, 1 | -1])[]

export type Formula =
  | { kind: 'flow'; scale: Scale; terms: Terms }
  /**
   * num / den, or 1 − num / den when `complement`; × `factor` when the terms are in different
   * units (money units per qty unit, seconds per day). `settle`: OTIF of that side's order lines
   * — a bucket not yet ended counts as due only the lines in full on time and those whose
   * promised instant has passed (server/query/order-lines.ts)
   */
  | { kind: 'ratio'; num: Terms; den: Terms; complement?: boolean; factor?: number; settle?: LineSide }
  /** order lines still open after their promised instant, now: how many, or their open value */
  | { kind: 'overdue'; side: LineSide; result: 'count' | 'value' }
  /** level at the end of each bucket: level now − changes after it */
  | { kind: 'closing'; scale: Scale; level: 'q' | 'v'; delta: 'sq' | 'sv' }
  /**
   * over the days of a period, a balance (levels now − `changes` after each day) against a flow:
   * `turnover` = flow / average daily closing balance; `days` = average balance / daily flow
   * over the period's complete business days (days on hand, DSO, DPO)
   */
  | { kind: 'turnover'; result: 'turnover' | 'days'; balance: LevelTerms; changes: Terms; flow: Terms }
  | { kind: 'level'; scale: Scale; level: LevelCode }
  | { kind: 'stockout' }
  /** receivables or payables now: invoiced − settled */
  | { kind: 'balance'; side: CreditSide }
  /** open items by age now (docs/metrics.md "Receivables and payables") */
  | { kind: 'creditAgeing'; side: CreditSide }
  | { kind: 'list'; list: 'belowSafety' | 'reorder' | 'recent' | 'slowMoving' }
  /** stock by age bucket from the FIFO layers (server/query/ageing.ts) */
  | { kind: 'ageing' }

const sum = (scale: Scale, ...codes: CounterCode[]): Formula => ({ kind: 'flow', scale, terms: codes.map((c) => [c, 1] as const) })
const STOCK_VALUE = { balance: [['v', 1]], changes: [['sv', 1]], flow: [['s.cogs', 1]] } as const
const RECEIVABLES = {
  balance: [
    ['ari', 1],
    ['ars', -1],
  ],
  changes: [
    ['ar.i', 1],
    ['ar.s', -1],
  ],
  flow: [['ar.i', 1]],
} as const
const PAYABLES = {
  balance: [
    ['api', 1],
    ['aps', -1],
  ],
  changes: [
    ['ap.i', 1],
    ['ap.s', -1],
  ],
  flow: [['ap.i', 1]],
} as const

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
  'stock.reorder': { kind: 'list', list: 'reorder' },
  'movements.recent': { kind: 'list', list: 'recent' },
  'stock.stockoutRate': { kind: 'stockout' },
  'stock.closingQty': { kind: 'closing', scale: 'qty', level: 'q', delta: 'sq' },
  'stock.closingValue': { kind: 'closing', scale: 'money', level: 'v', delta: 'sv' },
  'stock.turnover': { kind: 'turnover', result: 'turnover', ...STOCK_VALUE },
  'stock.daysOnHand': { kind: 'turnover', result: 'days', ...STOCK_VALUE },
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
  'receivables.balance': { kind: 'balance', side: 'ar' },
  'receivables.ageing': { kind: 'creditAgeing', side: 'ar' },
  'receivables.dso': { kind: 'turnover', result: 'days', ...RECEIVABLES },
  'payables.balance': { kind: 'balance', side: 'ap' },
  'payables.ageing': { kind: 'creditAgeing', side: 'ap' },
  'payables.dpo': { kind: 'turnover', result: 'days', ...PAYABLES },
  'sales.returnRate': {
    kind: 'ratio',
    num: [['sr.q', 1]],
    // units shipped: s.q is shipped − returned
    den: [
      ['s.q', 1],
      ['sr.q', 1],
    ],
  },
  // money units (1e-4) per qty unit (1e-3): × 0.1 is currency per stock unit
  'purchase.avgPrice': { kind: 'ratio', num: [['pr.amt', 1]], den: [['pr.q', 1]], factor: 0.1 },
  'supplier.leadTimeDays': { kind: 'ratio', num: [['lt.s', 1]], den: [['lt.n', 1]], factor: 1 / 86_400 },
  'fulfilment.otif': { kind: 'ratio', num: [[LINE_CODES.s.ok, 1]], den: [[LINE_CODES.s.due, 1]], settle: 's' },
  'supplier.otif': { kind: 'ratio', num: [[LINE_CODES.p.ok, 1]], den: [[LINE_CODES.p.due, 1]], settle: 'p' },
  'sales.openOrderValue': { kind: 'level', scale: 'money', level: 'ovs' },
  'purchase.openOrderValue': { kind: 'level', scale: 'money', level: 'ovp' },
  'sales.overdueLines': { kind: 'overdue', side: 's', result: 'count' },
  'sales.overdueValue': { kind: 'overdue', side: 's', result: 'value' },
  'purchase.overdueLines': { kind: 'overdue', side: 'p', result: 'count' },
  'purchase.overdueValue': { kind: 'overdue', side: 'p', result: 'value' },
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
      // OTIF also reads the open and late lines of its side (a line's promised instant passing)
      return [...[...f.num, ...f.den].map(([c]) => c), ...(f.settle ? [LINE_CHANGE_CODE[f.settle]] : [])]
    case 'overdue':
      return [LINE_CHANGE_CODE[f.side]]
    case 'closing':
      return [f.level, f.delta]
    case 'turnover':
      return [...new Set([...f.flow, ...f.balance, ...f.changes].map(([c]) => c))]
    case 'balance':
    case 'creditAgeing':
      return [CREDIT[f.side].invoicedLevel, CREDIT[f.side].settledLevel]
    case 'level':
      return [f.level]
    case 'stockout':
      return ['q']
    case 'ageing':
      // layers move with qty; a value change alone (revaluation) moves the bucket values
      return ['q', 'v']
    case 'list':
      // 'mv': every applied batch (see RECENT_CODE in server/aggregate/fold.ts)
      // reorder: on hand and the open order qty by pair (fed by the backlog ops of the same levels)
      return f.list === 'recent' ? ['mv'] : f.list === 'reorder' ? ['q', 'bs', 'bp'] : ['q']
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
