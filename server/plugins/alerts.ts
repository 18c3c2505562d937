/**
 * Alerts (docs/alerts.md, docs/api.md "Alerts"): rules and channels stored in Redis and versioned
 * like screens (the same save script), the evaluator that follows change notices, the delivery
 * worker that empties the outbox, the `alert` socket event, and the routes under API_PREFIX.
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import Type from 'typebox'
import { ALERT_ID_PATTERN, MAX_ALERT_CHANNELS, MAX_ALERT_RULES, MAX_TRANSITIONS } from '../../protocol/alerts.ts'
import type {
  AlertChannelDefinition,
  AlertGroupState,
  AlertRuleDefinition,
  AlertRuleState,
  AlertTransition,
  AlertsOverview,
  DeliveryAttempt,
  StoredAlertChannel,
  StoredAlertRule,
} from '../../protocol/alerts.ts'
import { CockpitError } from '../errors.ts'
import { definitionSaveCall, limitReached } from '../redis/screen-scripts.ts'
import type { ScreenSaveReply } from '../redis/screen-scripts.ts'
import type { FieldError } from '../errors.ts'
import { AlertEvaluator, ruleQuery } from '../alerts/evaluator.ts'
import type { StoredState } from '../alerts/evaluator.ts'
import { DeliveryWorker } from '../alerts/outbox.ts'
import { DeliveryError, sendThrough } from '../alerts/channels.ts'
import { describeCondition, describePeriod } from '../alerts/evaluate.ts'
import { checkChannelBody, checkRuleBody } from '../alerts/validate.ts'
import type { Checked } from '../alerts/validate.ts'
import { EMBED_SOCKETS_ROOM } from './realtime.ts'
import { scopeOf, scopeViolation } from '../auth/scope.ts'
import type { TokenScope } from '../../protocol/tokens.ts'
import type { Query } from '../../protocol/query.ts'

/** What `alert:events` carries: the transitions of one commit and their rule's query (for scopes). */
interface AlertEvents {
  transitions: AlertTransition[]
  query: Query
}

const script = (name: string) => readFileSync(new URL(`../redis/scripts/${name}.lua`, import.meta.url), 'utf8')
// rules and channels are saved and deleted exactly as screens are: a hash with def/version and an index
const SAVE_LUA = script('screen-save')
const DELETE_LUA = script('screen-delete')

type Kind = 'rule' | 'channel'
type SaveResult<T> = { ok: true; value: T & { version: number; updatedAt: string } } | { ok: false; current: T & { version: number; updatedAt: string }; baseVersion: number }

export interface AlertService {
  listRules(): Promise<StoredAlertRule[]>
  getRule(id: string): Promise<StoredAlertRule | undefined>
  saveRule(id: string, body: unknown): Promise<SaveResult<AlertRuleDefinition>>
  removeRule(id: string): Promise<boolean>
  listChannels(): Promise<StoredAlertChannel[]>
  getChannel(id: string): Promise<StoredAlertChannel | undefined>
  saveChannel(id: string, body: unknown): Promise<SaveResult<AlertChannelDefinition>>
  removeChannel(id: string): Promise<boolean>
  /** every rule's state and the latest transitions; with a scope, only the rules whose query lies inside it */
  overview(scope?: TokenScope): Promise<AlertsOverview>
  deliveries(): Promise<{ attempts: DeliveryAttempt[]; queued: number }>
  /** sends a sample transition through a channel now; resolves with the platform's answer */
  test(id: string): Promise<string>
  evaluator: AlertEvaluator
  worker: DeliveryWorker
}

declare module 'fastify' {
  interface FastifyInstance {
    alerts: AlertService
  }
}

function invalid(kind: Kind, errors: FieldError[]): CockpitError {
  const first = errors[0]!
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''
  return new CockpitError('COCKPIT_ERR_INVALID_ALERT', `invalid alert ${kind}: ${first.path} ${first.message}${more}`, errors)
}

export const alertsPlugin = fp(
  async (fastify) => {
    const { redis, keys, queryEngine, config } = fastify
    const calendar = fastify.aggregator.calendar
    const hashOf = (kind: Kind, id: string) => (kind === 'rule' ? keys.alertRule(id) : keys.alertChannel(id))
    const indexOf = (kind: Kind) => (kind === 'rule' ? keys.alertRules : keys.alertChannels)

    async function list<T>(kind: Kind): Promise<(T & { version: number; updatedAt: string })[]> {
      const ids = await redis.zrange(indexOf(kind), '0', '-1')
      if (ids.length === 0) return []
      const pipe = redis.pipeline()
      for (const id of ids) pipe.hmget(hashOf(kind, id), 'def', 'version', 'updatedAt')
      const rows = (await pipe.exec()) ?? []
      const out: (T & { version: number; updatedAt: string })[] = []
      for (const [err, fields] of rows) {
        if (err) throw err
        const [def, version, updatedAt] = fields as (string | null)[]
        if (def && version) out.push({ ...(JSON.parse(def) as T), version: Number(version), updatedAt: updatedAt ?? '' })
      }
      return out
    }

    async function get<T>(kind: Kind, id: string): Promise<(T & { version: number; updatedAt: string }) | undefined> {
      const [def, version, updatedAt] = await redis.hmget(hashOf(kind, id), 'def', 'version', 'updatedAt')
      return def && version ? { ...(JSON.parse(def) as T), version: Number(version), updatedAt: updatedAt ?? '' } : undefined
    }

    async function save<T extends { id: string; title?: string }>(kind: Kind, id: string, checked: Checked<T>): Promise<SaveResult<T>> {
      if (!checked.ok) throw invalid(kind, checked.errors)
      const { value, baseVersion } = checked
      const updatedAt = calendar.format(Date.now())
      const reply = (await redis.eval(
        SAVE_LUA,
        ...definitionSaveCall(hashOf(kind, id), indexOf(kind), {
          baseVersion,
          definition: JSON.stringify(value),
          updatedAt,
          id,
          title: value.title ?? id,
          kind,
          createdAt: Date.now(),
          max: kind === 'rule' ? MAX_ALERT_RULES : MAX_ALERT_CHANNELS,
        }),
      )) as ScreenSaveReply
      if (reply[0] === 'full') throw limitReached(kind === 'rule' ? 'alert rules' : 'alert channels', reply[1])
      if (reply[0] === 'conflict') return { ok: false, current: { ...(JSON.parse(reply[2]!) as T), version: Number(reply[1]), updatedAt: reply[3] ?? '' }, baseVersion }
      return { ok: true, value: { ...value, version: Number(reply[1]), updatedAt } }
    }

    /** what a schema cannot check of a rule: its query is one the engine answers, its channels exist */
    async function checkRuleAgainstCockpit(rule: AlertRuleDefinition): Promise<void> {
      try {
        const query = queryEngine.parse(ruleQuery(rule))
        if (rule.condition.kind !== 'noData') await queryEngine.run(query)
      } catch (err) {
        if (!(err instanceof CockpitError) || !/QUERY/.test(err.code)) throw err
        const errors = (err.errors ?? [{ path: '', message: err.message }]).map((e) => ({ path: `/query${e.path}`, message: e.message }))
        throw invalid('rule', errors)
      }
      if (rule.channels.length > 0) {
        const exists = await Promise.all(rule.channels.map((c) => redis.exists(keys.alertChannel(c))))
        const missing = rule.channels.map((c, i) => ({ c, i })).filter(({ i }) => exists[i] === 0)
        if (missing.length > 0)
          throw invalid(
            'rule',
            missing.map(({ c, i }) => ({ path: `/channels/${i}`, message: `no channel "${c}" (PUT /api/v1/alert-channels/${c} first)` })),
          )
      }
    }

    // transitions reach every process through Redis; each tells its own sockets the ones their scope covers
    // (a warehouse manager's wall hears of its warehouses' alerts only; embed tokens hear of none)
    const announce = (transitions: AlertTransition[], query: Query) => {
      worker.kick()
      redis.publish(keys.alertEvents, JSON.stringify({ transitions, query } satisfies AlertEvents)).catch((err: unknown) => fastify.log.warn({ err }, 'alert event not published'))
    }
    const tellSockets = ({ transitions, query }: AlertEvents) => {
      for (const socket of fastify.io.of('/').sockets.values()) {
        if (socket.rooms.has(EMBED_SOCKETS_ROOM)) continue
        if (socket.data.scope && scopeViolation(socket.data.scope, query)) continue
        for (const t of transitions) socket.emit('alert', t)
      }
    }
    fastify.redisSub.on('message', (channel: string, message: string) => {
      if (channel !== keys.alertEvents) return
      try {
        tellSockets(JSON.parse(message) as AlertEvents)
      } catch (err) {
        fastify.log.error({ err }, 'malformed alert event ignored')
      }
    })
    const subscribe = () =>
      void fastify.redisSub.subscribe(keys.alertEvents).catch((err: unknown) => fastify.log.warn({ err }, 'alert events subscribe failed; retried on reconnect'))
    fastify.redisSub.on('ready', subscribe)
    if (fastify.redisSub.status === 'ready') subscribe()

    const worker = new DeliveryWorker({ redis, keys, log: fastify.log, config: config.alerts, calendar })
    const evaluator = new AlertEvaluator({
      redis,
      keys,
      log: fastify.log,
      calendar,
      timeZone: config.timeZone,
      periodRules: { calendar, retention: config.retention },
      run: (q) => queryEngine.run(q),
      loadRules: () => list<AlertRuleDefinition>('rule'),
      onTransitions: (transitions, rule) => announce(transitions, rule.query),
    })

    const service: AlertService = {
      evaluator,
      worker,
      listRules: () => list<AlertRuleDefinition>('rule'),
      getRule: (id) => get<AlertRuleDefinition>('rule', id),
      async saveRule(id, body) {
        const checked = checkRuleBody(body, id)
        if (checked.ok) await checkRuleAgainstCockpit(checked.value)
        const result = await save('rule', id, checked)
        if (result.ok) {
          // a disabled rule shows nothing (the wall stops showing it); enabled again, it starts from ok
          if (result.value.enabled === false) await redis.del(keys.alertState(id))
          evaluator.ruleChanged(id)
        }
        return result
      },
      async removeRule(id) {
        const existed = (await redis.eval(DELETE_LUA, 2, keys.alertRule(id), keys.alertRules, id)) === 1
        if (existed) await redis.del(keys.alertState(id))
        evaluator.ruleChanged(id)
        return existed
      },
      listChannels: () => list<AlertChannelDefinition>('channel'),
      getChannel: (id) => get<AlertChannelDefinition>('channel', id),
      saveChannel: (id, body) => save('channel', id, checkChannelBody(body, id)),
      async removeChannel(id) {
        return (await redis.eval(DELETE_LUA, 2, keys.alertChannel(id), keys.alertChannels, id)) === 1
      },
      async overview(scope) {
        const rules = (await service.listRules()).filter((r) => !scope || scopeViolation(scope, r.query) === undefined)
        const shown = new Set(rules.map((r) => r.id))
        const [states, transitions] = await Promise.all([
          rules.length > 0 ? redis.mget(...rules.map((r) => keys.alertState(r.id))) : Promise.resolve([] as (string | null)[]),
          redis.lrange(keys.alertTransitions, 0, MAX_TRANSITIONS - 1),
        ])
        const out: AlertRuleState[] = rules.map((rule, i) => {
          const s = states[i] ? (JSON.parse(states[i]!) as StoredState) : undefined
          const groups: AlertGroupState[] = Object.entries(s?.groups ?? {}).map(([key, g]) => ({
            key,
            ...(g.label ? { label: g.label } : {}),
            state: g.state,
            value: g.value,
            ...(g.threshold !== undefined ? { threshold: g.threshold } : {}),
            since: calendar.format(g.since),
          }))
          return {
            rule: rule.id,
            title: rule.title,
            severity: rule.severity ?? 'warning',
            metric: rule.query.metric,
            ...(rule.screen ? { screen: rule.screen } : {}),
            state: s?.state ?? 'ok',
            since: calendar.format(s?.since ?? Date.parse(rule.updatedAt)),
            groups,
            evaluatedAt: s ? calendar.format(s.evaluatedAt) : '',
          }
        })
        return { states: out, transitions: transitions.map((t) => JSON.parse(t) as AlertTransition).filter((t) => shown.has(t.rule)) }
      },
      async deliveries() {
        const [attempts, queued] = await Promise.all([redis.lrange(keys.alertLog, 0, MAX_TRANSITIONS - 1), redis.zcard(keys.alertOutbox)])
        return { attempts: attempts.map((a) => JSON.parse(a) as DeliveryAttempt), queued }
      },
      async test(id) {
        const channel = await service.getChannel(id)
        if (!channel) throw new CockpitError('COCKPIT_ERR_ALERT_NOT_FOUND', `no alert channel "${id}"`)
        const sample: AlertRuleDefinition = {
          id: 'test',
          title: '测试消息 Test message',
          query: { metric: 'stock.belowSafety' },
          condition: { kind: 'anyGroup', op: 'below' },
          channels: [id],
        }
        const transition: AlertTransition = {
          id: `test-${randomUUID()}`,
          rule: sample.id,
          title: sample.title,
          severity: 'info',
          metric: sample.query.metric,
          to: 'firing',
          groups: [{ key: 'SAMPLE-SKU|SAMPLE-WH', label: '示例商品 Sample SKU @ 示例仓 Sample warehouse', value: 3, threshold: 10 }],
          condition: describeCondition(sample),
          period: describePeriod(sample),
          at: calendar.format(Date.now()),
        }
        const attempt: DeliveryAttempt = {
          delivery: transition.id,
          transition: transition.id,
          rule: 'test',
          channel: id,
          kind: channel.kind,
          attempt: 1,
          status: 'sent',
          at: transition.at,
        }
        try {
          attempt.detail = await sendThrough(channel, transition, {
            secret: config.alerts.secret,
            publicUrl: config.alerts.publicUrl,
            timeoutMs: config.alerts.sendTimeoutMs,
            now: Date.now(),
          })
          return attempt.detail
        } catch (err) {
          attempt.status = 'failed'
          attempt.detail = err instanceof DeliveryError ? err.message : 'send failed'
          throw new CockpitError('COCKPIT_ERR_DELIVERY_FAILED', `the test message was not delivered: ${attempt.detail}`)
        } finally {
          await redis
            .multi()
            .lpush(keys.alertLog, JSON.stringify(attempt))
            .ltrim(keys.alertLog, 0, MAX_TRANSITIONS - 1)
            .exec()
        }
      },
    }
    fastify.decorate('alerts', service)

    fastify.changes.on('change', (notice) => void evaluator.onChange(notice).catch((err: unknown) => fastify.log.warn({ err }, 'alert rules not read')))
    fastify.changes.on('resync', () => void evaluator.onResync().catch((err: unknown) => fastify.log.warn({ err }, 'alert rules not read')))
    fastify.redisState.on('change', (up) => {
      if (up) {
        void evaluator.onResync().catch(() => undefined)
        worker.kick()
      }
    })
    fastify.addHook('onReady', async () => {
      evaluator.start()
      worker.start()
    })
    fastify.addHook('preClose', async () => {
      evaluator.stop()
      worker.stop()
    })
  },
  { name: 'alerts', dependencies: ['redis', 'changes', 'aggregate', 'query', 'realtime'] },
)

const FieldIssue = Type.Object({ path: Type.String(), message: Type.String() })
const ErrorBody = Type.Object({ error: Type.String(), message: Type.String(), errors: Type.Optional(Type.Array(FieldIssue)) })
const IdParams = Type.Object({ id: Type.String({ pattern: ALERT_ID_PATTERN, description: 'rule or channel id (lowercase slug)' }) })
const Anything = Type.Unknown()

/** `/alert-rules`, `/alert-channels`, `/alerts`, `/alert-deliveries` (under API_PREFIX). */
export async function alertsRoutes(fastify: FastifyInstance): Promise<void> {
  const { alerts } = fastify
  const admin = fastify.requireRole('admin')
  const reading = fastify.requireRole('viewer')
  const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 503: ErrorBody }

  for (const kind of ['rule', 'channel'] as const) {
    const path = `/alert-${kind}s`
    const label = kind === 'rule' ? 'alert rule' : 'alert channel'
    const listAll = kind === 'rule' ? () => alerts.listRules() : () => alerts.listChannels()
    const getOne = kind === 'rule' ? (id: string) => alerts.getRule(id) : (id: string) => alerts.getChannel(id)
    const saveOne = kind === 'rule' ? (id: string, b: unknown) => alerts.saveRule(id, b) : (id: string, b: unknown) => alerts.saveChannel(id, b)
    const removeOne = kind === 'rule' ? (id: string) => alerts.removeRule(id) : (id: string) => alerts.removeChannel(id)

    fastify.get(path, { onRequest: admin, schema: { description: `Every ${label}, oldest first`, response: { 200: Type.Array(Anything), ...errors } } }, async () => listAll())

    fastify.get(`${path}/:id`, { onRequest: admin, schema: { params: IdParams, response: { 200: Anything, ...errors } } }, async (request) => {
      const { id } = request.params as { id: string }
      const found = await getOne(id)
      if (!found) throw new CockpitError('COCKPIT_ERR_ALERT_NOT_FOUND', `no ${label} "${id}"`)
      return found
    })

    fastify.put(
      `${path}/:id`,
      {
        onRequest: admin,
        bodyLimit: 64 * 1024,
        schema: {
          description: `Create or replace an ${label}: body = definition + \`version\` it was based on (0 or absent: create); docs/api.md#alerts`,
          params: IdParams,
          body: Anything,
          response: { 200: Anything, 409: Type.Object({ error: Type.String(), message: Type.String(), current: Type.Optional(Anything) }), ...errors },
        },
      },
      async (request, reply) => {
        const { id } = request.params as { id: string }
        const result = await saveOne(id, request.body)
        if (result.ok) return result.value
        const { current, baseVersion } = result
        const message =
          baseVersion === 0
            ? `${label} "${id}" already exists (version ${current.version}): resend with version ${current.version} to replace it`
            : `${label} "${id}" is at version ${current.version}, the edit was based on version ${baseVersion}: reload it, or resend with version ${current.version}`
        return reply.status(409).send({ error: 'COCKPIT_ERR_ALERT_CONFLICT', message, current })
      },
    )

    fastify.delete(`${path}/:id`, { onRequest: admin, schema: { params: IdParams, response: { 204: Type.Null(), ...errors } } }, async (request, reply) => {
      const { id } = request.params as { id: string }
      if (!(await removeOne(id))) throw new CockpitError('COCKPIT_ERR_ALERT_NOT_FOUND', `no ${label} "${id}"`)
      return reply.status(204).send()
    })
  }

  fastify.post(
    '/alert-channels/:id/test',
    {
      onRequest: admin,
      schema: {
        description: 'Send a sample message through a channel now',
        params: IdParams,
        response: { 200: Type.Object({ delivered: Type.Boolean(), detail: Type.String() }), 502: ErrorBody, ...errors },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string }
      return { delivered: true, detail: await alerts.test(id) }
    },
  )

  fastify.get(
    '/alerts',
    { onRequest: reading, schema: { description: 'Current state of every rule and the latest 1,000 transitions, newest first', response: { 200: Anything, ...errors } } },
    // a scoped token (a warehouse manager) sees the rules whose query lies inside its scope
    async (request) => alerts.overview(request.principal ? scopeOf(request.principal) : undefined),
  )

  fastify.get(
    '/alert-deliveries',
    {
      onRequest: admin,
      schema: { description: 'The latest 1,000 delivery attempts, newest first, and how many deliveries wait in the outbox', response: { 200: Anything, ...errors } },
    },
    async () => alerts.deliveries(),
  )
}
