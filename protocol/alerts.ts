/**
 * Alert rules, channels and transitions (protocol v1, docs/alerts.md and docs/api.md "Alerts").
 * A rule is a query of the one query shape (protocol/query.ts) plus a condition; the server
 * evaluates it whenever the figures it reads change, keeps its state in Redis and notifies the
 * channels it names once per transition.
 */
import Type from 'typebox'
import type { Static } from 'typebox'
import { Query } from './query.ts'

/** Rule and channel ids are URL-safe slugs, like screen ids: `low-stock`, `wecom-ops`. */
export const ALERT_ID_PATTERN = '^[a-z0-9][a-z0-9_-]{0,63}$'
/**
 * Environment variable names (the only way a secret reaches the server): `WECOM_OPS_KEY`. Not the
 * cockpit's own (`COCKPIT_…`, `REDIS_…`): a channel must not send the admin key or the Redis password anywhere.
 */
export const ENV_NAME_PATTERN = '^(?!COCKPIT_|REDIS_)[A-Z_][A-Z0-9_]{0,127}$'
/** `HH:MM`, 24-hour clock. */
export const CLOCK_PATTERN = '^([01][0-9]|2[0-3]):[0-5][0-9]$'
/** Most transitions `GET /api/v1/alerts` keeps and lists, newest first. */
export const MAX_TRANSITIONS = 1000
/** Most alert rules and channels a cockpit stores: a new one past it is refused `COCKPIT_ERR_LIMIT_REACHED` (409). */
export const MAX_ALERT_RULES = 1000
export const MAX_ALERT_CHANNELS = 100
/** Most groups one notification lists by name (the rest are counted). */
export const MAX_LISTED_GROUPS = 50

const Num = (description: string) => Type.Number({ minimum: -1e15, maximum: 1e15, description })

/** `above` / `below`: the figure (the query's total) crosses `threshold`; it clears at `clear` (hysteresis, default the threshold). */
export const ThresholdCondition = Type.Object(
  {
    kind: Type.Union([Type.Literal('above'), Type.Literal('below')]),
    threshold: Num("the level, in the metric's unit (ratios: 0.9 = 90 %)"),
    clear: Type.Optional(Num('the level at which a firing alert clears (above: ≤ threshold, below: ≥ threshold) @default threshold')),
  },
  { additionalProperties: false },
)

/** `change`: the total differs from the previous period of equal length by more than `percent` %. */
export const ChangeCondition = Type.Object(
  {
    kind: Type.Literal('change'),
    percent: Type.Number({ exclusiveMinimum: 0, maximum: 1e6, description: 'change in % that fires (10 = 10 %)' }),
    /** @default "either" */
    direction: Type.Optional(Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('either')])),
    clear: Type.Optional(Type.Number({ minimum: 0, maximum: 1e6, description: 'change in % at or under which a firing alert clears @default percent' })),
  },
  { additionalProperties: false },
)

/**
 * `anyGroup`: each group of the result is watched on its own (the query needs `groupBy`, or is a
 * list such as `stock.belowSafety` whose rows are sku × warehouse pairs). With a list and no
 * `threshold`, every listed row is crossing (the list is the crossing: on hand < safety stock).
 */
export const AnyGroupCondition = Type.Object(
  {
    kind: Type.Literal('anyGroup'),
    op: Type.Union([Type.Literal('above'), Type.Literal('below')]),
    threshold: Type.Optional(Num('the level each group is compared with; lists without it: every listed row')),
    clear: Type.Optional(Num('the level at which a firing group clears @default threshold')),
  },
  { additionalProperties: false },
)

/** `noData`: no change notice touched the rule's metric for `minutes` (a silent feed). */
export const NoDataCondition = Type.Object(
  { kind: Type.Literal('noData'), minutes: Type.Integer({ minimum: 1, maximum: 10_080, description: 'minutes without a change of the figure' }) },
  { additionalProperties: false },
)

export const AlertCondition = Type.Union([ThresholdCondition, ChangeCondition, AnyGroupCondition, NoDataCondition])
export type AlertCondition = Static<typeof AlertCondition>
export const CONDITION_KINDS = ['above', 'below', 'change', 'anyGroup', 'noData'] as const
export type ConditionKind = (typeof CONDITION_KINDS)[number]

export const QuietHours = Type.Object(
  {
    from: Type.String({ pattern: CLOCK_PATTERN, description: 'start, HH:MM in COCKPIT_TZ' }),
    to: Type.String({ pattern: CLOCK_PATTERN, description: 'end, HH:MM in COCKPIT_TZ (before `from`: over midnight)' }),
  },
  { additionalProperties: false, description: 'notifications are held (states still tracked) and sent when quiet hours end' },
)
export type QuietHours = Static<typeof QuietHours>

export const SEVERITIES = ['info', 'warning', 'critical'] as const
export type Severity = (typeof SEVERITIES)[number]

export const AlertRuleDefinition = Type.Object(
  {
    id: Type.String({ pattern: ALERT_ID_PATTERN }),
    title: Type.String({ minLength: 1, maxLength: 120 }),
    query: Query,
    condition: AlertCondition,
    /** seconds the condition must hold before the alert fires @default 0 */
    forSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 * 86_400, description: 'seconds the condition must hold before firing' })),
    quietHours: Type.Optional(QuietHours),
    /** channel ids notified of each transition */
    channels: Type.Array(Type.String({ pattern: ALERT_ID_PATTERN }), { maxItems: 10, description: 'channel ids notified of each transition' }),
    /** the screen the message links to */
    screen: Type.Optional(Type.String({ pattern: ALERT_ID_PATTERN, description: 'screen id the message links to' })),
    /** @default "warning" */
    severity: Type.Optional(Type.Enum(SEVERITIES)),
    /** false: kept, not evaluated @default true */
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
export type AlertRuleDefinition = Static<typeof AlertRuleDefinition>
export type StoredAlertRule = AlertRuleDefinition & { version: number; updatedAt: string }

export const CHANNEL_KINDS = ['wecom', 'dingtalk', 'feishu', 'webhook', 'email'] as const
export type ChannelKind = (typeof CHANNEL_KINDS)[number]

const EnvName = (description: string) => Type.String({ pattern: ENV_NAME_PATTERN, description })

/**
 * A channel. Secrets are never given to the API: `…Env` fields name the environment variables
 * that hold them (the webhook URL with its key, a signing secret, the SMTP password).
 */
export const AlertChannelDefinition = Type.Object(
  {
    id: Type.String({ pattern: ALERT_ID_PATTERN }),
    kind: Type.Enum(CHANNEL_KINDS),
    title: Type.Optional(Type.String({ maxLength: 80 })),
    /** environment variable holding the webhook URL (it carries the bot's key or token): wecom, dingtalk, feishu, webhook */
    urlEnv: Type.Optional(EnvName('environment variable holding the webhook URL')),
    /** environment variable holding the signing secret: dingtalk (加签 SEC…), feishu (签名校验), webhook (HMAC-SHA256 key) */
    secretEnv: Type.Optional(EnvName('environment variable holding the signing secret')),
    /** feishu: `interactive` card or `post` rich text @default "interactive" */
    format: Type.Optional(Type.Union([Type.Literal('interactive'), Type.Literal('post')])),
    /** email: recipients */
    to: Type.Optional(Type.Array(Type.String({ pattern: '^[^\\s@<>]+@[^\\s@<>]+$', maxLength: 254 }), { minItems: 1, maxItems: 50 })),
    /** email: sender address @default the SMTP user */
    from: Type.Optional(Type.String({ pattern: '^[^\\s<>]+@[^\\s<>]+$', maxLength: 254 })),
    /** email: environment variable holding the SMTP URL (`smtp://user:pass@host:587`) */
    smtpEnv: Type.Optional(EnvName('environment variable holding the SMTP URL')),
  },
  { additionalProperties: false },
)
export type AlertChannelDefinition = Static<typeof AlertChannelDefinition>
export type StoredAlertChannel = AlertChannelDefinition & { version: number; updatedAt: string }

/** A rule's state: `resolved` is `ok` after having fired. */
export const ALERT_STATES = ['ok', 'pending', 'firing', 'resolved'] as const
export type AlertStateName = (typeof ALERT_STATES)[number]

/** One watched group of a rule (`_` for a rule on the total). */
export interface AlertGroupState {
  key: string
  label?: string
  state: AlertStateName
  /** the figure at the last evaluation; null: no value */
  value: number | null
  /** the level it was compared with (per row for safety-stock lists) */
  threshold?: number
  /** when the current state began, RFC 3339 */
  since: string
}

export interface AlertRuleState {
  rule: string
  title: string
  severity: Severity
  metric: Query['metric']
  screen?: string
  state: AlertStateName
  since: string
  /** groups not `ok` (firing, pending, recently resolved), at most 1,000 */
  groups: AlertGroupState[]
  /** last evaluation, RFC 3339 */
  evaluatedAt: string
}

/** A transition of a rule: `firing` or `resolved` of one or many groups at once (one notification). */
export interface AlertTransition {
  id: string
  rule: string
  title: string
  severity: Severity
  metric: Query['metric']
  to: 'firing' | 'resolved'
  /** the groups that moved together (`_`: the rule's total) */
  groups: { key: string; label?: string; value: number | null; threshold?: number }[]
  /** human description of the condition: `< safety stock`, `> 100000`, `change > 10 %` */
  condition: string
  /** the period the figure covers (the query's window, or "now") */
  period: string
  screen?: string
  at: string
  /** notifications are held until this instant (quiet hours), RFC 3339 */
  heldUntil?: string
}

export const DELIVERY_STATUSES = ['pending', 'sent', 'retrying', 'failed'] as const
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number]

/** One delivery attempt (`GET /api/v1/alert-deliveries`), newest first. */
export interface DeliveryAttempt {
  delivery: string
  transition: string
  rule: string
  channel: string
  /** `unknown`: the channel was deleted before the delivery was sent */
  kind: ChannelKind | 'unknown'
  attempt: number
  /** set on a scheduled report's delivery: its subscription (`rule` names it too, `transition` its run) */
  subscription?: string
  status: DeliveryStatus
  /** HTTP status or SMTP reply, and why it failed */
  detail?: string
  at: string
}

/** `GET /api/v1/alerts`. */
export interface AlertsOverview {
  states: AlertRuleState[]
  transitions: AlertTransition[]
}
