/**
 * Rule evaluation as a pure function (docs/alerts.md "Evaluation"): a rule, the result of its
 * query, the state kept from the last evaluation and the time → the next state, the transitions
 * to notify and when to look again without a change (a `for` or `noData` expiry). No I/O here:
 * server/alerts/evaluator.ts reads and commits.
 *
 * Every condition is watched per group: the rule's total is the one group `_`; `anyGroup` watches
 * each group (or each row of a list such as `stock.belowSafety`) on its own, with its own `for`
 * and hysteresis, and the groups that fire (or resolve) in one evaluation make one transition —
 * one message listing 37 SKUs, not 37 messages.
 */
import type { AlertRuleDefinition, AlertStateName, AlertTransition, QuietHours } from '../../protocol/alerts.ts'
import type { QueryResult } from '../../protocol/query.ts'

/** Key of the one group of a rule on the query's total. */
export const TOTAL_GROUP = '_'
/** Resolved groups are shown (wall, `GET /api/v1/alerts`) this long, then forgotten. */
export const RESOLVED_KEPT_MS = 10 * 60_000
/** Most groups one rule tracks (a list query returns at most 1,000 rows). */
export const MAX_GROUPS = 1000

export interface GroupMemory {
  state: AlertStateName
  /** epoch ms the state began */
  since: number
  value: number | null
  threshold?: number
  label?: string
}

/** What is kept in Redis between evaluations of one rule. */
export interface RuleMemory {
  state: AlertStateName
  since: number
  groups: Record<string, GroupMemory>
  /** epoch ms of the last change notice that touched the rule's figures (noData) */
  lastDataAt: number
  evaluatedAt: number
}

/** One group as read from a result. */
export interface Observation {
  value: number | null
  threshold?: number
  label?: string
  /** the condition holds */
  breached: boolean
  /** a firing group clears (hysteresis: past the clear level, not merely back under the threshold) */
  cleared: boolean
}

export type TransitionDraft = Omit<AlertTransition, 'id' | 'at' | 'heldUntil' | 'title' | 'severity' | 'metric' | 'screen' | 'rule'>

export interface Evaluation {
  memory: RuleMemory
  transitions: TransitionDraft[]
  /** epoch ms at which the rule must be evaluated again even without a change, if any */
  nextCheckAt?: number
}

export function emptyMemory(now: number): RuleMemory {
  return { state: 'ok', since: now, groups: {}, lastDataAt: now, evaluatedAt: now }
}

/** `stock.belowSafety` and other list metrics: their rows are the groups. */
function rowGroups(result: QueryResult): { key: string; label: string; qty: number; safetyStock: number }[] | undefined {
  if (!result.rows) return undefined
  return result.rows.map((r) => ({
    key: `${r.sku}|${r.warehouse}`,
    label: `${r.skuName ?? r.sku} @ ${r.warehouseName ?? r.warehouse}`,
    qty: r.qty,
    safetyStock: r.safetyStock,
  }))
}

function compare(op: 'above' | 'below', value: number, level: number): boolean {
  return op === 'above' ? value > level : value < level
}

/** past the clear level: above → at or under it, below → at or over it */
function clears(op: 'above' | 'below', value: number, level: number): boolean {
  return op === 'above' ? value <= level : value >= level
}

/** The relative change of `result` against its previous period, in %, or null when it has none. */
export function changePercent(result: QueryResult): number | null {
  const prev = result.previous?.total
  if (prev === null || prev === undefined || prev === 0 || result.total === null) return null
  return ((result.total - prev) / Math.abs(prev)) * 100
}

/** Reads each watched group of a result. */
export function observe(rule: AlertRuleDefinition, result: QueryResult | undefined, now: number, lastDataAt: number): Map<string, Observation> {
  const c = rule.condition
  const out = new Map<string, Observation>()
  if (c.kind === 'noData') {
    const silentMin = (now - lastDataAt) / 60_000
    const breached = silentMin >= c.minutes
    out.set(TOTAL_GROUP, { value: Math.floor(silentMin), threshold: c.minutes, breached, cleared: !breached })
    return out
  }
  if (!result) return out
  if (c.kind === 'above' || c.kind === 'below') {
    const v = result.total
    const clear = c.clear ?? c.threshold
    out.set(TOTAL_GROUP, { value: v, threshold: c.threshold, breached: v !== null && compare(c.kind, v, c.threshold), cleared: v !== null && clears(c.kind, v, clear) })
    return out
  }
  if (c.kind === 'change') {
    const pct = changePercent(result)
    const dir = c.direction ?? 'either'
    const measure = pct === null ? null : dir === 'up' ? pct : dir === 'down' ? -pct : Math.abs(pct)
    const clear = c.clear ?? c.percent
    out.set(TOTAL_GROUP, {
      value: pct === null ? null : Math.round(pct * 100) / 100,
      threshold: c.percent,
      breached: measure !== null && measure > c.percent,
      cleared: measure !== null && measure <= clear,
    })
    return out
  }
  return observeGroups(c as Extract<AlertRuleDefinition['condition'], { kind: 'anyGroup' }>, result, out)
}

function observeGroups(c: Extract<AlertRuleDefinition['condition'], { kind: 'anyGroup' }>, result: QueryResult, out: Map<string, Observation>): Map<string, Observation> {
  const rows = rowGroups(result)
  if (rows) {
    for (const r of rows.slice(0, MAX_GROUPS)) {
      const level = c.threshold ?? r.safetyStock
      const breached = c.threshold === undefined ? true : compare(c.op, r.qty, c.threshold)
      const cleared = c.threshold === undefined ? false : clears(c.op, r.qty, c.clear ?? c.threshold)
      out.set(r.key, { value: r.qty, threshold: level, label: r.label, breached, cleared })
    }
    return out
  }
  for (const g of (result.groups ?? []).slice(0, MAX_GROUPS)) {
    if (c.threshold === undefined) continue
    const v = g.total
    out.set(g.key, {
      value: v,
      threshold: c.threshold,
      ...(g.label ? { label: g.label } : {}),
      breached: v !== null && compare(c.op, v, c.threshold),
      cleared: v !== null && clears(c.op, v, c.clear ?? c.threshold),
    })
  }
  return out
}

/** A group no longer in the result (a row left the list): it has cleared. */
const ABSENT: Observation = { value: null, breached: false, cleared: true }

/**
 * One evaluation. `result` is the query's result now (undefined for `noData`, which reads no
 * figure); `memory` what the last evaluation kept.
 */
export function evaluateRule(rule: AlertRuleDefinition, result: QueryResult | undefined, memory: RuleMemory, now: number): Evaluation {
  const forMs = (rule.forSeconds ?? 0) * 1000
  const observed = observe(rule, result, now, memory.lastDataAt)
  const groups: Record<string, GroupMemory> = {}
  const fired: TransitionDraft['groups'] = []
  const resolved: TransitionDraft['groups'] = []
  let nextCheckAt = Infinity
  const keys = new Set([...Object.keys(memory.groups), ...observed.keys()])
  for (const key of keys) {
    const before = memory.groups[key]
    const o = observed.get(key) ?? ABSENT
    const label = o.label ?? before?.label
    const figure = { value: o.value, ...(o.threshold !== undefined ? { threshold: o.threshold } : before?.threshold !== undefined ? { threshold: before.threshold } : {}) }
    const entry = (state: AlertStateName, since: number): GroupMemory => ({ state, since, ...figure, ...(label ? { label } : {}) })
    const brief = { key, ...(label ? { label } : {}), ...figure }
    const was = before?.state ?? 'ok'
    let next: GroupMemory | undefined
    if (was === 'firing') {
      if (o.cleared) {
        next = entry('resolved', now)
        resolved.push(brief)
        nextCheckAt = Math.min(nextCheckAt, now + RESOLVED_KEPT_MS)
      } else next = entry('firing', before!.since)
    } else if (was === 'pending') {
      if (!o.breached) next = undefined
      else if (now - before!.since >= forMs) {
        next = entry('firing', now)
        fired.push(brief)
      } else {
        next = entry('pending', before!.since)
        nextCheckAt = Math.min(nextCheckAt, before!.since + forMs)
      }
    } else if (o.breached) {
      if (forMs === 0) {
        next = entry('firing', now)
        fired.push(brief)
      } else {
        next = entry('pending', now)
        nextCheckAt = Math.min(nextCheckAt, now + forMs)
      }
    } else if (was === 'resolved' && now - before!.since < RESOLVED_KEPT_MS) {
      next = entry('resolved', before!.since)
      nextCheckAt = Math.min(nextCheckAt, before!.since + RESOLVED_KEPT_MS)
    }
    if (next) groups[key] = next
  }
  const states = Object.values(groups).map((g) => g.state)
  const state: AlertStateName = states.includes('firing')
    ? 'firing'
    : states.includes('pending')
      ? 'pending'
      : memory.state === 'firing' || memory.state === 'resolved' || resolved.length > 0
        ? 'resolved'
        : 'ok'
  // a rule back in its old state keeps when that began
  const since = state === memory.state ? memory.since : now
  if (rule.condition.kind === 'noData' && !(groups[TOTAL_GROUP]?.state === 'firing')) {
    nextCheckAt = Math.min(nextCheckAt, Math.max(now, memory.lastDataAt + rule.condition.minutes * 60_000))
  }
  const transitions: TransitionDraft[] = []
  const described = { condition: describeCondition(rule), period: describePeriod(rule) }
  if (fired.length > 0) transitions.push({ to: 'firing', groups: fired, ...described })
  if (resolved.length > 0) transitions.push({ to: 'resolved', groups: resolved, ...described })
  return {
    memory: { state, since, groups, lastDataAt: memory.lastDataAt, evaluatedAt: now },
    transitions,
    ...(Number.isFinite(nextCheckAt) ? { nextCheckAt } : {}),
  }
}

/** The condition in a few words, for messages: `< safety stock`, `> 100000 (clears ≤ 90000)`, `change > 10 %`. */
export function describeCondition(rule: AlertRuleDefinition): string {
  const c = rule.condition
  const sign = (op: 'above' | 'below') => (op === 'above' ? '>' : '<')
  const clear = (op: 'above' | 'below', level: number | undefined) => (level === undefined ? '' : ` (clears ${op === 'above' ? '≤' : '≥'} ${level})`)
  switch (c.kind) {
    case 'above':
    case 'below':
      return `${sign(c.kind)} ${c.threshold}${clear(c.kind, c.clear)}`
    case 'change': {
      const dir = c.direction ?? 'either'
      return `change ${dir === 'up' ? '>' : dir === 'down' ? '< −' : '> ±'}${c.percent} %${c.clear !== undefined ? ` (clears ≤ ${c.clear} %)` : ''}`
    }
    case 'anyGroup':
      return c.threshold === undefined ? 'any row listed (< safety stock)' : `any group ${sign(c.op)} ${c.threshold}${clear(c.op, c.clear)}`
    case 'noData':
      return `no data for ${c.minutes} min`
  }
}

/** The period the figure covers: the query's window, its from–to, or `now`. */
export function describePeriod(rule: AlertRuleDefinition): string {
  const q = rule.query
  if (q.window) return q.window
  if (q.from || q.to) return `${q.from ?? '…'} – ${q.to ?? '…'}`
  return 'now'
}

const clockFormats = new Map<string, Intl.DateTimeFormat>()

/** Minutes since local midnight of an instant in a time zone. */
export function localMinutes(at: number, timeZone: string): number {
  let dtf = clockFormats.get(timeZone)
  if (!dtf) {
    dtf = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    clockFormats.set(timeZone, dtf)
  }
  const parts = dtf.formatToParts(at)
  const h = Number(parts.find((p) => p.type === 'hour')?.value)
  const m = Number(parts.find((p) => p.type === 'minute')?.value)
  return h * 60 + m
}

const clockMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))

/**
 * When quiet hours that hold `at` end (epoch ms), or undefined when `at` is outside them.
 * `from` after `to` spans midnight (22:00–07:00); `from` equal to `to` is never quiet.
 */
export function quietUntil(at: number, quiet: QuietHours | undefined, timeZone: string): number | undefined {
  if (!quiet) return undefined
  const f = clockMinutes(quiet.from)
  const t = clockMinutes(quiet.to)
  if (f === t) return undefined
  const m = localMinutes(at, timeZone)
  const inside = f < t ? m >= f && m < t : m >= f || m < t
  if (!inside) return undefined
  const remaining = (t - m + 1440) % 1440
  return at - (at % 60_000) + remaining * 60_000
}
