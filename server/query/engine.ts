/**
 * The query engine: one query object (docs/api.md "POST /api/v1/query") → one result, read from counters with
 * pipelined round trips. Cost depends on the number of buckets the period tiles into (years,
 * months, days, hours, minutes), never on the number of movements behind them; it is estimated from the
 * request and bounded before anything is read, and a query runs under a time limit
 * (server/query/cost.ts).
 *
 * This module validates a query, sends it to the module of its kind and puts the header every
 * result shares (metric, unit, currency, period, asOf, interval, groupBy) around the figures
 * that module computed. The modules of server/query/:
 * - flow.ts          flow and ratio metrics over a period: total, series, ranked groups, previous
 * - evaluate.ts      flow and ratio formulas over tile sets; ratios of sums over several members
 * - top-groups.ts    ranked groups and sums over every member, summed in Redis (one script call)
 * - stock-period.ts  closing stock, turnover and days on hand over a period
 * - level.ts         running levels now: stock on hand, its value, backlogs
 * - stockout.ts      stock-out rate now
 * - below-safety.ts  stock below safety now (rows)
 * - reorder.ts       pairs to reorder now: projected stock at or below the reorder point (rows)
 * - pair-rows.ts     what those two stock lists share: filters, virtual warehouses, names
 * - recent.ts        the latest movements (rows)
 * - credit.ts        receivables and payables now: balances, open items by age
 * - order-lines.ts   overdue open order lines now; OTIF misses of a bucket not yet ended
 * - ageing.ts        stock ageing by FIFO layer and slow-moving stock now
 * - shared.ts        the context a query runs in, filter → counters to read, kept resolutions,
 *                    the pipelined read of counter buckets, display names
 * - formulas.ts, period.ts, cost.ts  metric formulas, periods, cost and time limits
 */
import { DEFAULT_MONEY } from '../domain/money.ts'
import type { MoneyRules } from '../domain/money.ts'
import { Compile } from 'typebox/compile'
import type { Redis } from 'ioredis'
import { METRICS, PERIOD_KINDS } from '../../protocol/metrics.ts'
import { Query, queryKey } from '../../protocol/query.ts'
import { schemaErrorMessage } from '../../protocol/codes.ts'
import type { QueryResult } from '../../protocol/query.ts'
import type { MasterLookup } from '../domain/master-lookup.ts'
import type { BusinessCalendar } from '../domain/time.ts'
import { CockpitError } from '../errors.ts'
import type { Keys, Resolution } from '../redis/keys.ts'
import { runAgeing, runSlowMoving } from './ageing.ts'
import { runBelowSafety } from './below-safety.ts'
import { runBalance, runCreditAgeing } from './credit.ts'
import { runWithinLimits } from './cost.ts'
import type { QueryBudget, QueryLimits } from './cost.ts'
import { runFlow } from './flow.ts'
import { FORMULAS } from '../aggregate/formulas.ts'
import { runLevel } from './level.ts'
import { resolvePeriod } from './period.ts'
import type { Period } from './period.ts'
import { runOverdue } from './order-lines.ts'
import { runRecent } from './recent.ts'
import { runReorder } from './reorder.ts'
import type { QueryContext, QueryFigures } from './shared.ts'
import { runStockPeriod } from './stock-period.ts'
import { runStockout } from './stockout.ts'

export interface QueryEngine {
  /** validates unknown input against the Query schema; throws COCKPIT_ERR_INVALID_QUERY */
  parse(input: unknown): Query
  /**
   * computes the current result, under the cost and time limits (server/query/cost.ts): throws
   * COCKPIT_ERR_QUERY_TOO_COSTLY (400) before reading when the query would cost too much, and
   * COCKPIT_ERR_QUERY_TIMEOUT (408) when it runs longer than `limits.timeoutMs`
   */
  run(query: Query): Promise<QueryResult>
  /** stable key: identical queries (any key order) give the same key */
  key(query: Query): string
}

export interface QueryEngineOptions {
  redis: Redis
  keys: Keys
  calendar: BusinessCalendar
  masterData: MasterLookup
  currency: string
  /** how line money is rounded (config.money) @default 2 decimals, half away from zero */
  money?: MoneyRules
  retention: Record<Resolution, number>
  /** cost and time limits of one query @default 200,000 fields, 5,000 ms (config.security) */
  limits?: QueryLimits
  now?: () => number
}

const queryValidator = Compile(Query)
const DEFAULT_LIMITS: QueryLimits = { maxCost: 200_000, timeoutMs: 5_000 }
/** How often the engine reads again from when year buckets hold every movement. */
const YEARS_RECHECK_MS = 10_000

export function createQueryEngine(o: QueryEngineOptions): QueryEngine {
  const now = o.now ?? Date.now
  const cal = o.calendar
  const limits = o.limits ?? DEFAULT_LIMITS
  // from when year buckets hold every movement (server/aggregate/years.ts), read beside the queries
  // every few seconds, so a finished roll-up is used without a restart. Never awaited: until it is
  // known (the first query of a process) years are not read, which costs time, never a figure.
  let yearsFrom = Infinity
  let yearsReadAt = -Infinity
  let yearsReading = false
  function refreshYears(): void {
    if (yearsReading || performance.now() - yearsReadAt < YEARS_RECHECK_MS) return
    yearsReading = true
    o.redis
      .get(o.keys.yearsFrom)
      .then(
        (v) => {
          yearsFrom = v === null ? Infinity : Number(v)
          yearsReadAt = performance.now()
        },
        // Redis unreachable: the query itself fails and says so; this keeps what was known and tries again
        () => undefined,
      )
      .finally(() => {
        yearsReading = false
      })
  }
  const ctx: QueryContext = {
    redis: o.redis,
    keys: o.keys,
    cal,
    masterData: o.masterData,
    retention: o.retention,
    limits,
    money: o.money ?? DEFAULT_MONEY,
    now,
    yearsFrom: () => yearsFrom,
  }

  function parse(input: unknown): Query {
    if (!queryValidator.Check(input)) {
      const errors = queryValidator
        .Errors(input)
        .filter((e) => e.keyword !== 'boolean')
        .map((e) => ({ path: e.instancePath || '/', message: schemaErrorMessage(e) }))
      throw new CockpitError('COCKPIT_ERR_INVALID_QUERY', `invalid query: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, errors)
    }
    return input
  }

  /** the header every result shares, around the figures of its kind (`figures.from` and `figures.to` give the period really read when its ends widened) */
  function resultOf(q: Query, at: number, period: Period | undefined, figures: QueryFigures): QueryResult {
    const result: QueryResult = {
      metric: q.metric,
      unit: METRICS[q.metric].unit,
      currency: o.currency,
      ...(period ? { from: cal.format(period.from), to: cal.format(period.to) } : {}),
      total: figures.total,
      asOf: cal.format(at),
    }
    if (q.interval) result.interval = q.interval
    if (q.groupBy) result.groupBy = q.groupBy
    return Object.assign(result, figures)
  }

  /** one query → its result, read under `budget` (figures "now" read whole hashes: only the time limit applies) */
  async function dispatch(query: Query, budget: QueryBudget): Promise<QueryResult> {
    const at = now()
    const info = METRICS[query.metric]
    const f = FORMULAS[query.metric]
    if (!(PERIOD_KINDS as readonly string[]).includes(info.kind)) {
      if (query.interval || query.window || query.from || query.to || query.compare) {
        throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${query.metric} is a figure "now": period, interval and compare do not apply`)
      }
      if (f.kind === 'stockout') return resultOf(query, at, undefined, await runStockout(ctx, query, at))
      if (f.kind === 'balance') return resultOf(query, at, undefined, await runBalance(ctx, query))
      if (f.kind === 'creditAgeing') return resultOf(query, at, undefined, await runCreditAgeing(ctx, query, at, budget))
      if (query.types && !(f.kind === 'list' && f.list === 'recent')) throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', 'types applies to movements.recent only')
      if (query.days !== undefined && !(f.kind === 'list' && f.list === 'slowMoving'))
        throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', 'days applies to stock.slowMoving only')
      if (f.kind === 'ageing') return resultOf(query, at, undefined, await runAgeing(ctx, query, at))
      if (f.kind === 'list' && f.list === 'slowMoving') return resultOf(query, at, undefined, await runSlowMoving(ctx, query, at))
      if (f.kind === 'level') return resultOf(query, at, undefined, await runLevel(ctx, query))
      if (f.kind === 'overdue') return resultOf(query, at, undefined, await runOverdue(ctx, query, budget, at))
      const list = f.kind === 'list' ? f.list : 'belowSafety'
      const rows = list === 'recent' ? await runRecent(ctx, query) : list === 'reorder' ? await runReorder(ctx, query) : await runBelowSafety(ctx, query)
      return resultOf(query, at, undefined, rows)
    }
    if (query.top && !query.groupBy) throw new CockpitError('COCKPIT_ERR_INVALID_QUERY', 'top needs groupBy')
    if (query.types) throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', 'types applies to movements.recent only')
    if (query.days !== undefined) throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', 'days applies to stock.slowMoving only')
    const period = resolvePeriod(query, cal, at)
    const figures = f.kind === 'closing' || f.kind === 'turnover' ? await runStockPeriod(ctx, query, period, at, budget) : await runFlow(ctx, query, period, at, budget)
    return resultOf(query, at, period, figures)
  }

  return {
    parse,
    key: queryKey,
    // every query runs under the cost and time limits, whoever asks: HTTP, a socket's subscribe,
    // a room's recomputation, a screen's dry run (all call run)
    run: (query) =>
      runWithinLimits(limits, (budget) => {
        refreshYears()
        return dispatch(query, budget)
      }),
  }
}
