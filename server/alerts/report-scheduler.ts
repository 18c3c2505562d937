/**
 * The report scheduler of one process (docs/reports.md "Scheduled reports").
 *
 * **Ticks.** Every process looks at the subscriptions once a minute (a second after the minute
 * starts, and once at start). For each enabled one it finds the latest minute of its cron
 * schedule in (last minute taken, now], no further back than the grace, and takes it with
 * `report-due.lua`: compared-and-set against the last minute taken, and the run queued in the
 * same step — so however many processes tick, one queues it, and a restarted process finds the
 * minute taken and sends nothing again. A minute missed for longer than the grace (every server
 * was down) is recorded as `skipped`, not sent late; of several missed minutes only the latest
 * within the grace runs (no burst of stale reports after an outage).
 *
 * **Runs.** Queued runs wait in Redis (`report:jobs`), claimed by any process under a lease
 * (`alert-claim.lua`), one at a time per process. A run renders the snapshot through the
 * renderer's own bounded queue: `503` busy puts it back for the renderer's Retry-After; a time-out
 * or a Chromium failure is tried again after a back-off, up to RENDER_ATTEMPTS; a failure that
 * retrying cannot fix (no Chromium, screen or widget gone) and the last failed attempt send the
 * summary and the link without the picture, saying why. `report-finish.lua` then stores the
 * picture (with a time to live), queues one delivery per channel (two for WeCom: the picture,
 * then the text) in the alert outbox, and logs the run — only while this process's claim holds.
 */
import { createHash, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'
import type { AlertChannelDefinition } from '../../protocol/alerts.ts'
import type { ReportRun, ReportSubscriptionDefinition } from '../../protocol/report-subscriptions.ts'
import type { BusinessCalendar } from '../domain/time.ts'
import { CockpitError } from '../errors.ts'
import type { Keys } from '../redis/keys.ts'
import { latestRun, minuteOf, nextRun, parseCron } from '../reports/cron.ts'
import type { ReportDelivery, ReportFile, ReportMessage } from './report-messages.ts'
import { pictureRefusal } from './report-messages.ts'
import { RenderBusyError } from '../reports/snapshot.ts'

const script = (name: string) => readFileSync(new URL(`../redis/scripts/${name}.lua`, import.meta.url), 'utf8')
const CLAIM_LUA = script('alert-claim')
const DUE_LUA = script('report-due')
const FINISH_LUA = script('report-finish')

const MINUTE = 60_000
/** Runs `GET /api/v1/report-runs` keeps, newest first. */
export const MAX_REPORT_RUNS = 500
/** Renders of one run before it is sent without its picture. */
export const RENDER_ATTEMPTS = 3
/** A run still waiting for the renderer after this is sent without its picture. */
const MAX_RUN_WAIT_MS = 60 * MINUTE
/** How long a run's picture is kept for its deliveries (retries back off up to 10 min × attempts). */
export const FILE_TTL_MS = 24 * 3600_000
/** A worker with nothing due looks again after at most this (a claim of a process that died may come due). */
const IDLE_LOOK_MS = 30_000
/** The back-off of a failed render. */
const RENDER_RETRY_MS = 30_000

/** A queued run. */
export interface ReportJob {
  run: string
  subscription: string
  trigger: ReportRun['trigger']
  /** the scheduled minute, or the instant of a manual run, epoch ms */
  slot: number
  /** renders tried */
  attempts: number
  /** when it was queued, epoch ms */
  queuedAt: number
}

export interface RenderedFile {
  body: Buffer
  contentType: string
  filename: string
}

export interface SchedulerOptions {
  redis: Redis
  keys: Keys
  log: FastifyBaseLogger
  calendar: BusinessCalendar
  graceMin: number
  /** the claim of a run: longer than it may wait in the renderer's queue and render */
  leaseMs: number
  publicUrl: string
  load(id: string): Promise<ReportSubscriptionDefinition | undefined>
  list(): Promise<ReportSubscriptionDefinition[]>
  channel(id: string): Promise<AlertChannelDefinition | undefined>
  render(sub: ReportSubscriptionDefinition): Promise<RenderedFile>
  summarize(sub: ReportSubscriptionDefinition): Promise<string>
  /** deliveries were queued: the delivery worker looks now */
  onQueued(): void
}

/** Error codes a new render would not change: the run goes without its picture at once. */
const FINAL_RENDER_ERRORS = new Set(['COCKPIT_ERR_CHROMIUM_MISSING', 'COCKPIT_ERR_INVALID_SNAPSHOT', 'COCKPIT_ERR_SCREEN_NOT_FOUND'])

export class ReportScheduler {
  private tickTimer: NodeJS.Timeout | undefined
  private workTimer: NodeJS.Timeout | undefined
  private running = false
  private again = false
  private stopped = false
  private lastWarnAt = -Infinity

  constructor(private readonly o: SchedulerOptions) {}

  start(): void {
    this.stopped = false
    void this.tickSafely()
    this.kick()
  }

  stop(): void {
    this.stopped = true
    if (this.tickTimer) clearTimeout(this.tickTimer)
    if (this.workTimer) clearTimeout(this.workTimer)
  }

  private warn(err: unknown, what: string): void {
    const now = Date.now()
    if (now - this.lastWarnAt > 60_000) {
      this.lastWarnAt = now
      this.o.log.warn({ err }, what)
    }
  }

  private async tickSafely(): Promise<void> {
    try {
      await this.tick(Date.now())
    } catch (err) {
      this.warn(err, 'report schedule not read; looked at again next minute')
    }
    if (this.stopped) return
    const now = Date.now()
    // a second into the next minute: its runs are due
    this.tickTimer = setTimeout(() => void this.tickSafely(), minuteOf(now) + MINUTE + 1000 - now)
    this.tickTimer.unref()
  }

  /** Takes the due minutes of every enabled subscription at `now`; resolves with the runs this process queued. */
  async tick(now: number): Promise<string[]> {
    const { redis, keys, calendar } = this.o
    const subs = (await this.o.list()).filter((s) => s.enabled !== false)
    if (subs.length === 0) return []
    const lasts = await redis.hmget(keys.reportLast, ...subs.map((s) => s.id))
    const graceStart = minuteOf(now) - this.o.graceMin * MINUTE
    const queued: string[] = []
    for (const [i, sub] of subs.entries()) {
      let schedule
      try {
        schedule = parseCron(sub.cron)
      } catch {
        continue // validated on save; a stored one from an older syntax is skipped, not fatal
      }
      // a subscription saved before has its last minute; one never saved by this version starts now
      const last = lasts[i] ? Number(lasts[i]) : minuteOf(now) - MINUTE
      const slot = latestRun(schedule, calendar, Math.max(last, graceStart - MINUTE), now)
      if (slot !== undefined) {
        const run = randomUUID()
        const trigger = slot < minuteOf(now) ? 'late' : 'schedule'
        const job: ReportJob = { run, subscription: sub.id, trigger, slot, attempts: 0, queuedAt: now }
        if (await this.take(sub.id, slot, job, this.entry(job, 'queued', trigger === 'late' ? `sent late: no server ran at ${calendar.format(slot)}` : undefined))) {
          queued.push(run)
        }
        continue
      }
      if (last < graceStart - MINUTE) {
        // a minute missed beyond the grace (looked for a week back at most; nextRun skips whole days): recorded once, not sent
        const first = nextRun(schedule, calendar, Math.max(last, graceStart - 7 * 24 * 60 * MINUTE))
        const missed = first !== undefined && first < graceStart ? latestRun(schedule, calendar, first - MINUTE, graceStart - MINUTE) : undefined
        if (missed !== undefined) {
          const job: ReportJob = { run: randomUUID(), subscription: sub.id, trigger: 'schedule', slot: missed, attempts: 0, queuedAt: now }
          const taken = await this.take(sub.id, missed, undefined, this.entry(job, 'skipped', `missed: no server ran within ${this.o.graceMin} min of it`))
          if (taken) this.o.log.warn({ subscription: sub.id, slot: calendar.format(missed) }, 'scheduled report missed beyond the grace; not sent')
        }
      }
    }
    if (queued.length > 0) this.kick()
    return queued
  }

  private entry(job: ReportJob, status: ReportRun['status'], detail?: string, bytes?: number): ReportRun {
    return {
      run: job.run,
      subscription: job.subscription,
      trigger: job.trigger,
      slot: this.o.calendar.format(job.slot),
      status,
      ...(detail ? { detail } : {}),
      ...(bytes !== undefined ? { bytes } : {}),
      at: this.o.calendar.format(Date.now()),
    }
  }

  private async take(id: string, slot: number, job: ReportJob | undefined, entry: ReportRun): Promise<boolean> {
    const { redis, keys } = this.o
    const taken = await redis.eval(
      DUE_LUA,
      5,
      keys.reportLast,
      keys.reportJobs,
      keys.reportJob,
      keys.reportRuns,
      keys.reportSubscription(id),
      id,
      slot,
      entry.run,
      job ? JSON.stringify(job) : '',
      JSON.stringify(entry),
      MAX_REPORT_RUNS,
      Date.now(),
    )
    return taken === 1
  }

  /** Queues a run now, outside the schedule (POST …/run); resolves with its id. */
  async runNow(id: string): Promise<string> {
    const { redis, keys } = this.o
    const now = Date.now()
    const job: ReportJob = { run: randomUUID(), subscription: id, trigger: 'manual', slot: now, attempts: 0, queuedAt: now }
    await redis
      .multi()
      .hset(keys.reportJob, job.run, JSON.stringify(job))
      .zadd(keys.reportJobs, now, job.run)
      .lpush(keys.reportRuns, JSON.stringify(this.entry(job, 'queued')))
      .ltrim(keys.reportRuns, 0, MAX_REPORT_RUNS - 1)
      .exec()
    this.kick()
    return job.run
  }

  /** Renders what is due now (a run was queued, or a timer came due). */
  kick(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    this.running = true
    void this.drain()
      .catch((err: unknown) => {
        this.warn(err, 'report runs not read; retried shortly')
        this.wakeAt(Date.now() + 5000)
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
    if (this.workTimer) clearTimeout(this.workTimer)
    this.workTimer = setTimeout(() => this.kick(), Math.min(IDLE_LOOK_MS, Math.max(0, at - Date.now())))
    this.workTimer.unref()
  }

  private async drain(): Promise<void> {
    const { redis, keys } = this.o
    for (;;) {
      if (this.stopped) return
      const now = Date.now()
      const lease = now + this.o.leaseMs
      const [run, payload] = (await redis.eval(CLAIM_LUA, 2, keys.reportJobs, keys.reportJob, now, lease)) as [string, string]
      if (run === '') {
        this.wakeAt(payload === '' ? now + IDLE_LOOK_MS : Number(payload))
        return
      }
      await this.process(JSON.parse(payload) as ReportJob, lease)
    }
  }

  private async finish(job: ReportJob, lease: number, args: (string | number | Buffer)[]): Promise<boolean> {
    const { redis, keys } = this.o
    const ok = await redis.eval(
      FINISH_LUA,
      6,
      keys.reportJobs,
      keys.reportJob,
      keys.reportRuns,
      keys.alertOutbox,
      keys.alertPending,
      keys.reportFile(job.run),
      job.run,
      lease,
      ...args,
    )
    if (ok !== 1) this.o.log.warn({ run: job.run, subscription: job.subscription }, 'report run claim lost (this process stalled); another process runs it')
    return ok === 1
  }

  private async process(job: ReportJob, lease: number): Promise<void> {
    const sub = await this.o.load(job.subscription)
    if (!sub) {
      await this.finish(job, lease, ['done', JSON.stringify(this.entry(job, 'skipped', 'the subscription was deleted')), MAX_REPORT_RUNS, '', 0])
      return
    }
    const summary = await this.o.summarize(sub).catch((err: unknown) => {
      this.o.log.warn({ err, subscription: sub.id }, 'report summary left out')
      return ''
    })
    let file: RenderedFile | undefined
    let note: string | undefined
    try {
      file = await this.o.render(sub)
    } catch (err) {
      const code = err instanceof CockpitError ? err.code : undefined
      const why = (err as Error).message
      const waited = Date.now() - job.queuedAt
      if (err instanceof RenderBusyError && waited < MAX_RUN_WAIT_MS) {
        // the renderer is full (walls' snapshots, other reports): back in the queue for its Retry-After
        await this.finish(job, lease, ['retry', JSON.stringify(job), Date.now() + err.retryAfterS * 1000])
        return
      }
      if (!FINAL_RENDER_ERRORS.has(code ?? '') && !(err instanceof RenderBusyError) && job.attempts + 1 < RENDER_ATTEMPTS && waited < MAX_RUN_WAIT_MS) {
        this.o.log.warn({ err, subscription: sub.id, attempt: job.attempts + 1 }, 'report render failed; tried again')
        await this.finish(job, lease, ['retry', JSON.stringify({ ...job, attempts: job.attempts + 1 }), Date.now() + RENDER_RETRY_MS])
        return
      }
      note = `the picture could not be rendered (${why})`
      this.o.log.warn({ err, subscription: sub.id }, 'report sent without its picture')
    }
    const stored: ReportFile | undefined = file
      ? {
          key: this.o.keys.reportFile(job.run),
          contentType: file.contentType,
          filename: file.filename,
          bytes: file.body.length,
          md5: createHash('md5').update(file.body).digest('hex'),
        }
      : undefined
    const base: ReportMessage = {
      run: job.run,
      subscription: sub.id,
      title: sub.title,
      screen: sub.screen,
      ...(sub.widget ? { widget: sub.widget } : {}),
      summary,
      link: `${this.o.publicUrl.replace(/\/+$/, '')}/wall/${encodeURIComponent(sub.screen)}`,
      at: this.o.calendar.format(job.slot),
      ...(note ? { note } : {}),
    }
    const now = Date.now()
    const deliveries: [ReportDelivery, number][] = []
    const omitted: string[] = []
    for (const id of sub.channels) {
      const channel = await this.o.channel(id)
      // a deleted channel still gets its delivery: the outbox logs it as failed, naming the channel
      const refusal = stored && channel ? pictureRefusal(channel.kind, stored) : undefined
      // DingTalk and Feishu bots never take the picture (documented); the others say why when they go without it
      const carries = channel?.kind === 'wecom' || channel?.kind === 'webhook' || channel?.kind === 'email'
      if (refusal && carries) {
        omitted.push(`${id}: ${refusal}`)
        this.o.log.warn({ subscription: sub.id, channel: id, reason: refusal }, 'report sent to a channel without its picture')
      }
      const message: ReportMessage = refusal ? { ...base, ...(carries ? { note: refusal } : {}) } : { ...base, ...(stored ? { file: stored } : {}) }
      if (channel?.kind === 'wecom' && stored && !refusal) {
        // the picture first, then the text, each its own delivery (retried alone)
        deliveries.push([{ id: randomUUID(), channel: id, report: { ...message, part: 'image' }, attempts: 0 }, now])
        deliveries.push([{ id: randomUUID(), channel: id, report: { ...base, part: 'text' }, attempts: 0 }, now + 1])
      } else {
        deliveries.push([{ id: randomUUID(), channel: id, report: message, attempts: 0 }, now])
      }
    }
    const detail = [note, ...omitted].filter(Boolean).join('; ') || undefined
    const entry = this.entry(job, stored ? 'rendered' : 'summary-only', detail, stored?.bytes)
    // the picture is kept only when a delivery carries it (a DingTalk-only subscription keeps none)
    const carried = file !== undefined && deliveries.some(([d]) => d.report.file !== undefined)
    const args: (string | number | Buffer)[] = ['done', JSON.stringify(entry), MAX_REPORT_RUNS, carried && file ? file.body : '', FILE_TTL_MS]
    for (const [d, due] of deliveries) args.push(d.id, JSON.stringify(d), due)
    if (await this.finish(job, lease, args)) this.o.onQueued()
  }
}
