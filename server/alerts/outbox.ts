/**
 * The delivery worker of one process (docs/alerts.md "Delivery guarantees"). Deliveries wait in
 * a Redis outbox (a sorted set by due time, written with the transition that caused them). A
 * worker claims the earliest due one atomically (`alert-claim.lua` pushes it past a lease), sends
 * it, then removes it (sent, or given up) or puts it back after a back-off; every attempt goes
 * to the delivery log. Two processes never send one delivery at once; a process that dies while
 * sending leaves its claim to expire, and another sends it then.
 *
 * A worker sends up to DELIVERY_CONCURRENCY deliveries at once, one per channel: a channel that
 * answers slowly (up to COCKPIT_ALERT_SEND_TIMEOUT_MS) holds back its own deliveries, not the other
 * channels'. The claim passes over the channels with a delivery in flight, so one process sends a
 * channel's deliveries one at a time, in the order they came due. It looks at a bounded number of due
 * deliveries a call, and the next call goes on where it stopped: another channel's delivery is found
 * behind any backlog of the busy channels'.
 */
import { readFileSync } from 'node:fs'
import type { Redis } from 'ioredis'
import type { FastifyBaseLogger } from 'fastify'
import type { AlertChannelDefinition, DeliveryAttempt, DeliveryStatus } from '../../protocol/alerts.ts'
import { MAX_TRANSITIONS } from '../../protocol/alerts.ts'
import type { Keys } from '../redis/keys.ts'
import type { AlertsConfig } from '../config.ts'
import type { BusinessCalendar } from '../domain/time.ts'
import { DeliveryError, sendThrough } from './channels.ts'
import type { Delivery } from './evaluator.ts'
import { sendReport } from './report-messages.ts'
import type { ReportDelivery } from './report-messages.ts'

/** What the outbox holds: an alert transition's delivery, or a scheduled report's (docs/reports.md "Scheduled reports"). */
type Queued = Delivery | ReportDelivery

const CLAIM_LUA = readFileSync(new URL('../redis/scripts/alert-claim.lua', import.meta.url), 'utf8')

/** Longest wait between two retries of a delivery. */
export const MAX_BACKOFF_MS = 10 * 60_000
/** A worker with nothing due looks again after at most this (a claim of a process that died may come due). */
const IDLE_LOOK_MS = 30_000
/** Deliveries one worker sends at once (each to another channel). */
export const DELIVERY_CONCURRENCY = 4

/** Delay before attempt `attempts + 1`: base × 2^(attempts − 1), at most MAX_BACKOFF_MS. */
export function backoffMs(attempts: number, baseMs: number): number {
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attempts - 1))
}

export interface OutboxOptions {
  redis: Redis
  keys: Keys
  log: FastifyBaseLogger
  config: AlertsConfig
  calendar: BusinessCalendar
}

export class DeliveryWorker {
  private running = false
  private again = false
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  private lastWarnAt = -Infinity
  /** channels with a delivery in flight in this process */
  private readonly busy = new Set<string>()

  constructor(private readonly o: OutboxOptions) {}

  start(): void {
    this.kick()
  }

  stop(): void {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
  }

  /** sends what is due now (a commit queued deliveries, or a timer came due) */
  kick(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    this.running = true
    void this.drain()
      .catch((err: unknown) => {
        // Redis away: one line a minute, and a look every few seconds until it is back
        const now = Date.now()
        if (now - this.lastWarnAt > 60_000) {
          this.lastWarnAt = now
          this.o.log.warn({ err }, 'alert delivery worker failed; retried shortly')
        }
        this.wakeAt(now + 5000)
      })
      .finally(() => {
        this.running = false
        if (this.again) {
          this.again = false
          this.kick()
        }
      })
  }

  private wakeAt(at: number): void {
    if (this.stopped) return
    if (this.timer) clearTimeout(this.timer)
    const wait = Math.min(IDLE_LOOK_MS, Math.max(0, at - Date.now()))
    this.timer = setTimeout(() => this.kick(), wait)
    this.timer.unref()
  }

  /** the claim's lease: longer than a send may take */
  private get leaseMs(): number {
    return this.o.config.sendTimeoutMs * 2 + 5000
  }

  private async drain(): Promise<void> {
    const { redis, keys } = this.o
    const inFlight = new Set<Promise<void>>()
    let failure: unknown
    // where the claim's look through the due range goes on (it stopped after so many entries of busy channels), and
    // every channel busy since that look began: one freed meanwhile keeps its place (its earlier entries are behind)
    let from = 0
    const passedOver = new Set<string>()
    const loop = async (): Promise<void> => {
      for (;;) {
        if (this.stopped || failure !== undefined) return
        if (inFlight.size >= DELIVERY_CONCURRENCY) {
          await Promise.race(inFlight)
          continue
        }
        if (from === 0) passedOver.clear()
        for (const channel of this.busy) passedOver.add(channel)
        const now = Date.now()
        const [id, payload, next] = (await redis.eval(CLAIM_LUA, 2, keys.alertOutbox, keys.alertPending, now, now + this.leaseMs, from, ...passedOver)) as [string, string, number?]
        // more due behind the entries looked at: look on from there
        from = next ?? 0
        if (next !== undefined) continue
        if (id === '') {
          // nothing due but for busy channels: once a send in flight is done (it may retry, or free its channel), look again
          if (inFlight.size > 0) {
            await Promise.race(inFlight)
            continue
          }
          this.wakeAt(payload === '' ? now + IDLE_LOOK_MS : Number(payload))
          return
        }
        const d = JSON.parse(payload) as Queued
        this.busy.add(d.channel)
        const sending: Promise<void> = this.deliver(d)
          .catch((err: unknown) => void (failure ??= err))
          .finally(() => {
            this.busy.delete(d.channel)
            inFlight.delete(sending)
          })
        inFlight.add(sending)
      }
    }
    try {
      await loop()
    } finally {
      // a failure (Redis away) ends the pass once the sends in flight are done
      await Promise.all(inFlight)
    }
    if (failure !== undefined) throw failure
  }

  private attempt(d: Queued, kind: DeliveryAttempt['kind'], status: DeliveryStatus, detail: string): DeliveryAttempt {
    return {
      delivery: d.id,
      // a report's delivery names its run and subscription
      transition: 'report' in d ? d.report.run : d.transition.id,
      rule: 'report' in d ? d.report.subscription : d.transition.rule,
      ...('report' in d ? { subscription: d.report.subscription } : {}),
      channel: d.channel,
      kind,
      attempt: d.attempts + 1,
      status,
      detail,
      at: this.o.calendar.format(Date.now()),
    }
  }

  private async deliver(d: Queued): Promise<void> {
    const { redis, keys, config } = this.o
    const raw = await redis.hget(keys.alertChannel(d.channel), 'def')
    const channel = raw ? (JSON.parse(raw) as AlertChannelDefinition) : undefined
    let status: DeliveryStatus
    let detail: string
    if (!channel) {
      status = 'failed'
      detail = `channel "${d.channel}" does not exist (deleted?)`
    } else {
      try {
        const ctx = { secret: config.secret, publicUrl: config.publicUrl, timeoutMs: config.sendTimeoutMs, now: Date.now() }
        if ('report' in d) {
          // the picture waits in Redis beside the outbox (with a time to live), not in every delivery
          const picture = d.report.file ? ((await redis.getBuffer(d.report.file.key)) ?? undefined) : undefined
          const report = d.report.file && !picture && d.report.part !== 'image' ? { ...d.report, note: 'the picture is no longer kept (the delivery waited too long)' } : d.report
          detail = await sendReport(channel, report, picture, ctx)
        } else {
          detail = await sendThrough(channel, d.transition, ctx)
        }
        status = 'sent'
      } catch (err) {
        const e = err instanceof DeliveryError ? err : new DeliveryError((err as Error).message, true)
        detail = e.message
        status = e.retry && d.attempts + 1 < config.maxAttempts ? 'retrying' : 'failed'
      }
    }
    const entry = this.attempt(d, channel?.kind ?? 'unknown', status, detail)
    const tx = redis.multi()
    if (status === 'retrying') {
      const next: Queued = { ...d, attempts: d.attempts + 1 }
      tx.hset(keys.alertPending, d.id, JSON.stringify(next)).zadd(keys.alertOutbox, Date.now() + backoffMs(next.attempts, config.retryBaseMs), d.id)
    } else {
      tx.zrem(keys.alertOutbox, d.id).hdel(keys.alertPending, d.id)
    }
    tx.lpush(keys.alertLog, JSON.stringify(entry)).ltrim(keys.alertLog, 0, MAX_TRANSITIONS - 1)
    await tx.exec()
    if (status !== 'sent') this.o.log.warn({ rule: entry.rule, channel: d.channel, attempt: entry.attempt, status, detail }, 'alert delivery not sent')
  }
}
