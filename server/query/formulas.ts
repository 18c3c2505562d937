/**
 * The metric formulas live in server/aggregate/formulas.ts, next to the counters they read, so
 * that folding (which announces the metrics a batch changed) needs nothing from the query layer.
 * query/engine.ts still imports them from here; this file goes once it imports them from there.
 */
export { FORMULAS, countersOf } from '../aggregate/formulas.ts'
export type { Terms } from '../aggregate/formulas.ts'
