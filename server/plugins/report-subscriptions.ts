/**
 * Report subscriptions (docs/reports.md "Scheduled reports", docs/api.md "Report subscriptions"):
 * stored in Redis and versioned like screens and alert rules (the same save script), the
 * scheduler that takes each scheduled minute once across processes and renders the runs, and the
 * routes under API_PREFIX. Messages go through the alert channels and their outbox.
 */
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import Type from 'typebox'
import { ALERT_ID_PATTERN } from '../../protocol/alerts.ts'
import type { AlertChannelDefinition } from '../../protocol/alerts.ts'
import { MAX_REPORT_SUBSCRIPTIONS } from '../../protocol/report-subscriptions.ts'
import type { ReportRun, ReportSubscriptionDefinition, StoredReportSubscription } from '../../protocol/report-subscriptions.ts'
import { CockpitError } from '../errors.ts'
import { definitionSaveCall, limitReached } from '../redis/screen-scripts.ts'
import type { ScreenSaveReply } from '../redis/screen-scripts.ts'
import type { FieldError } from '../errors.ts'
import { minuteOf, nextRun, parseCron } from '../reports/cron.ts'
import { MAX_REPORT_RUNS, ReportScheduler } from '../alerts/report-scheduler.ts'
import { checkSubscriptionBody } from '../alerts/subscription-validate.ts'

const script = (name: string) => readFileSync(new URL(`../redis/scripts/${name}.lua`, import.meta.url), 'utf8')
const SAVE_LUA = script('screen-save')
const DELETE_LUA = script('screen-delete')
/** Raises a subscription's last minute taken to ARGV[2] (never lowers it): minutes before a save are not run late. */
const RAISE_LAST_LUA = `local v = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')
if v < tonumber(ARGV[2]) then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1`

type Stored = ReportSubscriptionDefinition & { version: number; updatedAt: string }
type SaveResult = { ok: true; value: StoredReportSubscription } | { ok: false; current: Stored; baseVersion: number }

export interface ReportSubscriptionService {
  list(): Promise<StoredReportSubscription[]>
  get(id: string): Promise<StoredReportSubscription | undefined>
  save(id: string, body: unknown): Promise<SaveResult>
  remove(id: string): Promise<boolean>
  /** queues a run now; resolves with its id (404 when the subscription does not exist) */
  run(id: string): Promise<string>
  /** the latest runs, newest first */
  runs(): Promise<ReportRun[]>
  scheduler: ReportScheduler
}

declare module 'fastify' {
  interface FastifyInstance {
    reportSubscriptions: ReportSubscriptionService
  }
}

function invalid(errors: FieldError[]): CockpitError {
  const first = errors[0]!
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''
  return new CockpitError('COCKPIT_ERR_INVALID_REPORT', `invalid report subscription: ${first.path} ${first.message}${more}`, errors)
}

export const reportSubscriptionsPlugin = fp(
  async (fastify) => {
    const { redis, keys, config } = fastify
    const calendar = fastify.aggregator.calendar

    async function readAll(): Promise<Stored[]> {
      const ids = await redis.zrange(keys.reportSubscriptions, '0', '-1')
      if (ids.length === 0) return []
      const pipe = redis.pipeline()
      for (const id of ids) pipe.hmget(keys.reportSubscription(id), 'def', 'version', 'updatedAt')
      const out: Stored[] = []
      for (const [err, fields] of (await pipe.exec()) ?? []) {
        if (err) throw err
        const [def, version, updatedAt] = fields as (string | null)[]
        if (def && version) out.push({ ...(JSON.parse(def) as ReportSubscriptionDefinition), version: Number(version), updatedAt: updatedAt ?? '' })
      }
      return out
    }

    async function readOne(id: string): Promise<Stored | undefined> {
      const [def, version, updatedAt] = await redis.hmget(keys.reportSubscription(id), 'def', 'version', 'updatedAt')
      return def && version ? { ...(JSON.parse(def) as ReportSubscriptionDefinition), version: Number(version), updatedAt: updatedAt ?? '' } : undefined
    }

    /** with its schedule state: the last minute taken and the next one */
    async function withState(subs: Stored[]): Promise<StoredReportSubscription[]> {
      if (subs.length === 0) return []
      const lasts = await redis.hmget(keys.reportLast, ...subs.map((s) => s.id))
      const now = Date.now()
      return subs.map((s, i) => {
        // after the last minute taken: a minute already sent (or skipped) is not the next one
        const next = s.enabled === false ? undefined : nextRun(parseCron(s.cron), calendar, Math.max(now, lasts[i] ? Number(lasts[i]) : now))
        return { ...s, ...(lasts[i] ? { lastSlot: calendar.format(Number(lasts[i])) } : {}), ...(next !== undefined ? { nextRunAt: calendar.format(next) } : {}) }
      })
    }

    async function channel(id: string): Promise<AlertChannelDefinition | undefined> {
      const raw = await redis.hget(keys.alertChannel(id), 'def')
      return raw ? (JSON.parse(raw) as AlertChannelDefinition) : undefined
    }

    /** what the schema cannot check: the screen and its widget exist, the channels exist */
    async function checkAgainstCockpit(sub: ReportSubscriptionDefinition): Promise<void> {
      const errors: FieldError[] = []
      const screen = await fastify.screens.get(sub.screen)
      if (!screen) errors.push({ path: '/screen', message: `no screen "${sub.screen}"` })
      else if (sub.widget !== undefined && !screen.widgets.some((w) => w.id === sub.widget)) {
        errors.push({ path: '/widget', message: `is not a widget of screen "${sub.screen}" (it has ${screen.widgets.map((w) => w.id).join(', ') || 'none'})` })
      }
      const exists = await Promise.all(sub.channels.map((c) => redis.exists(keys.alertChannel(c))))
      sub.channels.forEach((c, i) => {
        if (exists[i] === 0) errors.push({ path: `/channels/${i}`, message: `no channel "${c}" (PUT /api/v1/alert-channels/${c} first)` })
      })
      if (errors.length > 0) throw invalid(errors)
    }

    const scheduler = new ReportScheduler({
      redis,
      keys,
      log: fastify.log.child({ module: 'reports' }),
      calendar,
      graceMin: config.alerts.reportGraceMin,
      // longer than a run may wait behind the renderer's queue and render
      leaseMs: (config.snapshots.queueLimit + 1) * config.snapshots.timeoutMs + 30_000,
      publicUrl: config.alerts.publicUrl,
      load: (id) => readOne(id),
      list: () => readAll(),
      channel,
      render: (sub) =>
        fastify.snapshots.renderSnapshot({ screen: sub.screen, widget: sub.widget, width: sub.width, height: sub.height, lang: sub.lang ?? 'zh', format: sub.format ?? 'png' }),
      summarize: (sub) => fastify.snapshots.summarize(sub.screen, sub.lang ?? 'zh'),
      onQueued: () => fastify.alerts.worker.kick(),
    })

    const service: ReportSubscriptionService = {
      scheduler,
      list: async () => withState(await readAll()),
      async get(id) {
        const found = await readOne(id)
        return found ? (await withState([found]))[0] : undefined
      },
      async save(id, body) {
        const checked = checkSubscriptionBody(body, id)
        if (!checked.ok) throw invalid(checked.errors)
        await checkAgainstCockpit(checked.value)
        const { value, baseVersion } = checked
        const updatedAt = calendar.format(Date.now())
        const reply = (await redis.eval(
          SAVE_LUA,
          ...definitionSaveCall(keys.reportSubscription(id), keys.reportSubscriptions, {
            baseVersion,
            definition: JSON.stringify(value),
            updatedAt,
            id,
            title: value.title,
            kind: 'report',
            createdAt: Date.now(),
            max: MAX_REPORT_SUBSCRIPTIONS,
          }),
        )) as ScreenSaveReply
        if (reply[0] === 'full') throw limitReached('report subscriptions', reply[1])
        if (reply[0] === 'conflict') {
          return { ok: false, current: { ...(JSON.parse(reply[2]!) as ReportSubscriptionDefinition), version: Number(reply[1]), updatedAt: reply[3] ?? '' }, baseVersion }
        }
        // minutes before this save are not owed (a new or re-enabled subscription does not send a report from this morning); this minute is
        await redis.eval(RAISE_LAST_LUA, 1, keys.reportLast, id, minuteOf(Date.now()) - 60_000)
        const [stored] = await withState([{ ...value, version: Number(reply[1]), updatedAt }])
        return { ok: true, value: stored! }
      },
      async remove(id) {
        const existed = (await redis.eval(DELETE_LUA, 2, keys.reportSubscription(id), keys.reportSubscriptions, id)) === 1
        await redis.hdel(keys.reportLast, id)
        return existed
      },
      async run(id) {
        if (!(await redis.exists(keys.reportSubscription(id)))) throw new CockpitError('COCKPIT_ERR_REPORT_NOT_FOUND', `no report subscription "${id}"`)
        return scheduler.runNow(id)
      },
      async runs() {
        return (await redis.lrange(keys.reportRuns, 0, MAX_REPORT_RUNS - 1)).map((r) => JSON.parse(r) as ReportRun)
      },
    }
    fastify.decorate('reportSubscriptions', service)

    fastify.redisState.on('change', (up) => {
      if (up) scheduler.kick()
    })
    fastify.addHook('onReady', async () => scheduler.start())
    fastify.addHook('preClose', async () => scheduler.stop())
  },
  { name: 'report-subscriptions', dependencies: ['redis', 'aggregate', 'screens', 'reports', 'alerts'] },
)

const ErrorBody = Type.Object({ error: Type.String(), message: Type.String(), errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))) })
const IdParams = Type.Object({ id: Type.String({ pattern: ALERT_ID_PATTERN, description: 'subscription id (lowercase slug)' }) })
const Anything = Type.Unknown()

/** `/report-subscriptions`, `/report-runs` (under API_PREFIX). */
export async function reportSubscriptionsRoutes(fastify: FastifyInstance): Promise<void> {
  const subs = fastify.reportSubscriptions
  const admin = fastify.requireRole('admin')
  const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 503: ErrorBody }
  const notFound = (id: string) => new CockpitError('COCKPIT_ERR_REPORT_NOT_FOUND', `no report subscription "${id}"`)

  fastify.get(
    '/report-subscriptions',
    {
      onRequest: admin,
      schema: { description: 'Every report subscription with its last and next scheduled minute, oldest first', response: { 200: Type.Array(Anything), ...errors } },
    },
    async () => subs.list(),
  )

  fastify.get('/report-subscriptions/:id', { onRequest: admin, schema: { params: IdParams, response: { 200: Anything, ...errors } } }, async (request) => {
    const { id } = request.params as { id: string }
    const found = await subs.get(id)
    if (!found) throw notFound(id)
    return found
  })

  fastify.put(
    '/report-subscriptions/:id',
    {
      onRequest: admin,
      bodyLimit: 16 * 1024,
      schema: {
        description: 'Create or replace a report subscription: body = definition + `version` it was based on (0 or absent: create); docs/api.md#report-subscriptions',
        params: IdParams,
        body: Anything,
        response: { 200: Anything, 409: Type.Object({ error: Type.String(), message: Type.String(), current: Type.Optional(Anything) }), ...errors },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string }
      const result = await subs.save(id, request.body)
      if (result.ok) return result.value
      const { current, baseVersion } = result
      const message =
        baseVersion === 0
          ? `report subscription "${id}" already exists (version ${current.version}): resend with version ${current.version} to replace it`
          : `report subscription "${id}" is at version ${current.version}, the edit was based on version ${baseVersion}: reload it, or resend with version ${current.version}`
      return reply.status(409).send({ error: 'COCKPIT_ERR_REPORT_CONFLICT', message, current })
    },
  )

  fastify.delete('/report-subscriptions/:id', { onRequest: admin, schema: { params: IdParams, response: { 204: Type.Null(), ...errors } } }, async (request, reply) => {
    const { id } = request.params as { id: string }
    if (!(await subs.remove(id))) throw notFound(id)
    return reply.status(204).send()
  })

  fastify.post(
    '/report-subscriptions/:id/run',
    {
      onRequest: admin,
      schema: { description: 'Render and send the report now (queued: see GET /report-runs)', params: IdParams, response: { 202: Type.Object({ run: Type.String() }), ...errors } },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string }
      return reply.status(202).send({ run: await subs.run(id) })
    },
  )

  fastify.get(
    '/report-runs',
    { onRequest: admin, schema: { description: `The latest ${MAX_REPORT_RUNS} report runs, newest first`, response: { 200: Type.Array(Anything), ...errors } } },
    async () => subs.runs(),
  )
}
