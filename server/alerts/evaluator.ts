/**
 * The alert evaluator of one server process (docs/alerts.md "Evaluation"). Every process hears
 * every change notice (server/plugins/changes.ts); for each rule whose figures the notice may
 * move, the process that takes the rule's lease (`SET NX PX`) evaluates it — reads the stored
 * state, runs the rule's query, applies evaluateRule — and commits state, transitions and outbox
 * entries in one script that checks the lease is still its own. A rule is thus evaluated by one
 * process at a time however many run, and a transition is recorded once.
 *
 * Without a change, a rule is looked at again only when something expires: a `for` duration,
 * a `noData` silence, a rolling window's boundary, a resolved group leaving the list. The
 * process that committed arms a timer for it; a sweep every SWEEP_MS in every process catches
 * what a process that died had armed (the stored state says when the next check is due).
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import type { Redis } from 'ioredis'
import type { FastifyBaseLogger } from 'fastify'
import type { AlertRuleDefinition, AlertTransition, StoredAlertRule } from '../../protocol/alerts.ts'
import { MAX_TRANSITIONS } from '../../protocol/alerts.ts'
import type { Query, QueryResult } from '../../protocol/query.ts'
import type { Keys } from '../redis/keys.ts'
import type { BusinessCalendar } from '../domain/time.ts'
import type { PeriodRules } from '../realtime/periods.ts'
import { createChangeMatcher, nextRefreshAt, spanOf } from '../realtime/periods.ts'
import { emptyMemory, evaluateRule, quietUntil } from './evaluate.ts'
import type { RuleMemory } from './evaluate.ts'
import { LIST_METRICS } from './validate.ts'
import { releaseLease } from '../redis/lease.ts'

const COMMIT_LUA = readFileSync(new URL('../redis/scripts/alert-commit.lua', import.meta.url), 'utf8')

/** How long a rule's lease lasts: longer than a query may run (its time limit is 5 s by default). */
export const RULE_LEASE_MS = 30_000
/** Each process looks for rules whose next check is due (another process armed it and died) this often. */
export const SWEEP_MS = 5_000
/** A rule whose lease another process holds is tried again after this. */
const BUSY_RETRY_MS = 250
/** Least time between two evaluations of one rule by one process (COCKPIT_PUSH_INTERVAL_MS' default for live queries). */
export const MIN_INTERVAL_MS = 250
/** After a master data notice, rules are evaluated this much later (the master data cache reloads first). */
const MASTER_DATA_SETTLE_MS = 300
/** Rules are read again from Redis when older than this (a rule saved by another process). */
const RULES_MAX_AGE_MS = 2_000

type Reply = [Error | null, string | null]

/** What is stored per rule: the memory of evaluateRule and when to look again. */
export interface StoredState extends RuleMemory {
  nextCheckAt?: number
  ruleVersion: number
}

/** What the evaluator reads of a change notice (server/plugins/changes.ts `ChangeNotice`, a layer above). */
export interface ChangeNotice {
  metrics: readonly string[]
  from?: string
  to?: string
  masterData?: boolean
}

/** One delivery in the outbox: a transition for one channel. */
export interface Delivery {
  id: string
  channel: string
  transition: AlertTransition
  /** attempts made so far */
  attempts: number
}

export interface EvaluatorOptions {
  redis: Redis
  keys: Keys
  log: FastifyBaseLogger
  calendar: BusinessCalendar
  timeZone: string
  periodRules: PeriodRules
  run(query: Query): Promise<QueryResult>
  /** every stored rule (read from Redis) */
  loadRules(): Promise<StoredAlertRule[]>
  /** after a commit with transitions: announce them and wake the delivery worker */
  onTransitions(transitions: AlertTransition[], rule: AlertRuleDefinition): void
}

/** The query a rule runs: lists fetch every row, `change` needs the previous period. */
export function ruleQuery(rule: AlertRuleDefinition): Query {
  const q: Query = { ...rule.query }
  if (LIST_METRICS.has(q.metric) && q.top === undefined) q.top = 1000
  if (rule.condition.kind === 'change') q.compare = 'previous'
  return q
}

export class AlertEvaluator {
  private readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
  private rules = new Map<string, StoredAlertRule>()
  private rulesAt = 0
  private loading: Promise<void> | undefined
  /** rules being evaluated by this process, and those to evaluate again once that ends */
  private readonly running = new Set<string>()
  private readonly again = new Set<string>()
  private readonly timers = new Map<string, NodeJS.Timeout>()
  /** rules waiting for a deferred evaluation (lease busy, or too soon after the last one) */
  private readonly deferred = new Map<string, NodeJS.Timeout>()
  /** when this process last started evaluating each rule, epoch ms */
  private readonly startedAt = new Map<string, number>()
  /** latest change notice per rule seen by this process, epoch ms (noData) */
  private readonly dataAt = new Map<string, number>()
  private readonly touches: ReturnType<typeof createChangeMatcher>
  private sweeper: NodeJS.Timeout | undefined
  private stopped = false
  private seq = 0
  private lastWarnAt = -Infinity

  constructor(private readonly o: EvaluatorOptions) {
    this.touches = createChangeMatcher(o.periodRules)
  }

  start(): void {
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_MS)
    this.sweeper.unref()
    // figures may have moved while this process was not listening: every rule once (the stored states keep what already fired)
    void this.onResync().catch(() => this.sweep())
  }

  stop(): void {
    this.stopped = true
    if (this.sweeper) clearInterval(this.sweeper)
    for (const t of [...this.timers.values(), ...this.deferred.values()]) clearTimeout(t)
    this.timers.clear()
    this.deferred.clear()
  }

  /** forget the cached rules (one was saved or deleted here) and evaluate `id` now */
  ruleChanged(id: string): void {
    this.rulesAt = 0
    this.request(id)
  }

  /** a change notice: evaluate each rule whose figures it may move */
  async onChange(notice: ChangeNotice): Promise<void> {
    await this.refreshRules()
    const metrics = new Set<string>(notice.metrics)
    const span = spanOf(notice)
    const now = Date.now()
    for (const rule of this.rules.values()) {
      if (rule.enabled === false) continue
      const q = rule.query
      const moved = notice.masterData ? q.metric.startsWith('stock.') : metrics.has(q.metric) && (span === undefined || this.touches(q, span, now))
      if (!moved) continue
      if (notice.masterData) {
        // every process reloads master data on this notice too: read thresholds once it has
        setTimeout(() => this.request(rule.id), MASTER_DATA_SETTLE_MS).unref()
        continue
      }
      this.dataAt.set(rule.id, now)
      this.request(rule.id)
    }
  }

  /** notices may have been missed: evaluate every rule */
  async onResync(): Promise<void> {
    await this.refreshRules(true)
    for (const id of this.rules.keys()) this.request(id)
  }

  private async refreshRules(force = false): Promise<void> {
    if (!force && Date.now() - this.rulesAt < RULES_MAX_AGE_MS) return
    this.loading ??= this.o
      .loadRules()
      .then((list) => {
        this.rules = new Map(list.map((r) => [r.id, r]))
        this.rulesAt = Date.now()
        // what was kept per rule goes with a deleted rule (timers fire, find no rule and stop)
        for (const per of [this.startedAt, this.dataAt]) for (const id of per.keys()) if (!this.rules.has(id)) per.delete(id)
      })
      .finally(() => (this.loading = undefined))
    await this.loading
  }

  /** evaluates rules due for a check: never evaluated, or past the next check their state asks for */
  private async sweep(): Promise<void> {
    if (this.stopped) return
    try {
      await this.refreshRules(true)
      const ids = [...this.rules.keys()]
      if (ids.length === 0) return
      const raw = await this.o.redis.mget(...ids.map((id) => this.o.keys.alertState(id)))
      const now = Date.now()
      ids.forEach((id, i) => {
        const rule = this.rules.get(id)!
        if (rule.enabled === false) return
        const state = raw[i] ? (JSON.parse(raw[i]!) as StoredState) : undefined
        if (!state || state.ruleVersion !== rule.version || (state.nextCheckAt !== undefined && state.nextCheckAt <= now)) this.request(id)
      })
    } catch (err) {
      // Redis away: one line a minute
      const now = Date.now()
      if (now - this.lastWarnAt > 60_000) {
        this.lastWarnAt = now
        this.o.log.warn({ err }, 'alert sweep failed; retried at the next')
      }
    }
  }

  /**
   * evaluates a rule soon: at most one evaluation per rule at a time in this process, one more
   * queued, and starts at least MIN_INTERVAL_MS apart (a burst of notices is one evaluation, as a
   * burst of ingest is one push of a live query); a deferred rule waits for its timer
   */
  request(id: string): void {
    if (this.stopped || this.deferred.has(id)) return
    if (this.running.has(id)) {
      this.again.add(id)
      return
    }
    const wait = (this.startedAt.get(id) ?? -Infinity) + MIN_INTERVAL_MS - Date.now()
    if (wait > 0) return this.defer(id, wait)
    this.startedAt.set(id, Date.now())
    this.running.add(id)
    void this.evaluate(id)
      .catch((err: unknown) => this.o.log.warn({ err, rule: id }, 'alert evaluation failed'))
      .finally(() => {
        this.running.delete(id)
        if (this.again.delete(id)) this.request(id)
      })
  }

  /** evaluates `id` after `ms` (once, however often it is asked for meanwhile) */
  private defer(id: string, ms: number): void {
    if (this.deferred.has(id) || this.stopped) return
    const timer = setTimeout(() => {
      this.deferred.delete(id)
      this.request(id)
    }, ms)
    timer.unref()
    this.deferred.set(id, timer)
  }

  private arm(id: string, at: number | undefined): void {
    const old = this.timers.get(id)
    if (old) clearTimeout(old)
    this.timers.delete(id)
    if (at === undefined || this.stopped) return
    const wait = Math.min(Math.max(0, at - Date.now()), 2 ** 31 - 1)
    const timer = setTimeout(() => {
      this.timers.delete(id)
      this.request(id)
    }, wait)
    timer.unref()
    this.timers.set(id, timer)
  }

  /** one evaluation under the rule's lease; returns the transitions committed */
  async evaluate(id: string): Promise<AlertTransition[]> {
    const { redis, keys } = this.o
    const lease = keys.lease(`alert:${id}`)
    const token = `${this.holder}:${++this.seq}`
    if ((await redis.set(lease, token, 'PX', RULE_LEASE_MS, 'NX')) !== 'OK') {
      // another process evaluates it now, perhaps from figures older than this notice's: look again shortly
      this.defer(id, BUSY_RETRY_MS)
      return []
    }
    let committed = false
    try {
      const [[, defRaw], [, versionRaw], [, stateRaw]] = (await redis
        .multi()
        .hget(keys.alertRule(id), 'def')
        .hget(keys.alertRule(id), 'version')
        .get(keys.alertState(id))
        .exec()) as unknown as [Reply, Reply, Reply]
      if (!defRaw || !versionRaw) return []
      const rule = JSON.parse(defRaw) as AlertRuleDefinition
      if (rule.enabled === false) return []
      const now = Date.now()
      const stored = stateRaw ? (JSON.parse(stateRaw) as StoredState) : undefined
      const memory: RuleMemory = stored ?? emptyMemory(now)
      const seen = this.dataAt.get(id)
      if (seen !== undefined && seen > memory.lastDataAt) memory.lastDataAt = seen
      const query = ruleQuery(rule)
      const result = rule.condition.kind === 'noData' ? undefined : await this.o.run(query)
      const ev = evaluateRule(rule, result, memory, Date.now())
      const refresh = rule.condition.kind === 'noData' ? undefined : nextRefreshAt(query, now, this.o.periodRules)
      const nextCheckAt = Math.min(ev.nextCheckAt ?? Infinity, refresh ?? Infinity)
      const state: StoredState = { ...ev.memory, ruleVersion: Number(versionRaw), ...(Number.isFinite(nextCheckAt) ? { nextCheckAt } : {}) }
      const at = this.o.calendar.format(ev.memory.evaluatedAt)
      const held = quietUntil(ev.memory.evaluatedAt, rule.quietHours, this.o.timeZone)
      const transitions: AlertTransition[] = ev.transitions.map((t) => ({
        id: randomUUID(),
        rule: rule.id,
        title: rule.title,
        severity: rule.severity ?? 'warning',
        metric: rule.query.metric,
        ...(rule.screen ? { screen: rule.screen } : {}),
        ...t,
        at,
        ...(held !== undefined ? { heldUntil: this.o.calendar.format(held) } : {}),
      }))
      const deliveries: Delivery[] = transitions.flatMap((transition) => rule.channels.map((channel) => ({ id: randomUUID(), channel, transition, attempts: 0 })))
      const due = held ?? now
      const args: (string | number)[] = [token, JSON.stringify(state), MAX_TRANSITIONS, versionRaw, transitions.length, ...transitions.map((t) => JSON.stringify(t))]
      for (const d of deliveries) args.push(d.id, JSON.stringify(d), due)
      const ok = await redis.eval(COMMIT_LUA, 6, lease, keys.alertState(id), keys.alertTransitions, keys.alertOutbox, keys.alertPending, keys.alertRule(id), ...args)
      committed = true
      if (ok !== 1) {
        // the lease ran out (this process stalled), or the rule was saved meanwhile: evaluated again from what is stored
        if (ok === 0) this.o.log.warn({ rule: id }, 'alert rule lease lost during evaluation; nothing committed, evaluated again')
        this.defer(id, BUSY_RETRY_MS)
        return []
      }
      this.arm(id, state.nextCheckAt)
      if (transitions.length > 0) this.o.onTransitions(transitions, rule)
      return transitions
    } finally {
      // the commit gives the lease back; without one (nothing to do, an error) it is given back here if still ours
      if (!committed) await releaseLease(redis, lease, token)
    }
  }
}
