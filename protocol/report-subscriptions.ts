/**
 * Report subscriptions (protocol v1, docs/reports.md "Scheduled reports", docs/api.md "Report
 * subscriptions"): a screen (or one widget of it) rendered as a PNG or PDF on a cron schedule in
 * COCKPIT_TZ and sent, with a one-line summary of its KPIs, through alert channels.
 */
import Type from 'typebox'
import type { Static } from 'typebox'
import { ALERT_ID_PATTERN } from './alerts.ts'
import { SCREEN_ID_PATTERN } from './screen.ts'

/** Most report subscriptions a cockpit stores: a new one past it is refused `COCKPIT_ERR_LIMIT_REACHED` (409). */
export const MAX_REPORT_SUBSCRIPTIONS = 200

export const ReportSubscriptionDefinition = Type.Object(
  {
    id: Type.String({ pattern: ALERT_ID_PATTERN }),
    title: Type.String({ minLength: 1, maxLength: 120 }),
    /** the screen rendered */
    screen: Type.String({ pattern: SCREEN_ID_PATTERN, description: 'screen id' }),
    /** one widget instance of the screen instead of the whole screen */
    widget: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'widget instance id of the screen' })),
    /** CSS px @default 1920 */
    width: Type.Optional(Type.Integer({ minimum: 320, maximum: 3840 })),
    /** CSS px @default 1080 */
    height: Type.Optional(Type.Integer({ minimum: 240, maximum: 3840 })),
    /** @default "zh" */
    lang: Type.Optional(Type.Union([Type.Literal('zh'), Type.Literal('en')])),
    /** @default "png" */
    format: Type.Optional(Type.Union([Type.Literal('png'), Type.Literal('pdf')])),
    /** five-field cron in COCKPIT_TZ: `0 8 * * *` = every day at 08:00 */
    cron: Type.String({ minLength: 1, maxLength: 120, description: 'minute hour day-of-month month day-of-week, in COCKPIT_TZ' }),
    /** alert channel ids the report goes to */
    channels: Type.Array(Type.String({ pattern: ALERT_ID_PATTERN }), { minItems: 1, maxItems: 10, description: 'alert channel ids' }),
    /** false: kept, not run on schedule (a manual run still sends) @default true */
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
export type ReportSubscriptionDefinition = Static<typeof ReportSubscriptionDefinition>

/** A stored subscription as `GET` answers it: with its version and schedule state. */
export type StoredReportSubscription = ReportSubscriptionDefinition & {
  version: number
  updatedAt: string
  /** the last scheduled minute taken (run or skipped), RFC 3339; absent before the first */
  lastSlot?: string
  /** the next scheduled minute, RFC 3339; absent when disabled or never */
  nextRunAt?: string
}

/**
 * `queued`: waiting to render; `rendered`: the picture taken and a message queued to every channel (each
 * delivery is in GET /api/v1/alert-deliveries); `summary-only`: messages queued without the picture (it could not
 * be rendered, `detail` says why); `skipped`: a scheduled minute missed beyond the grace.
 */
export const REPORT_RUN_STATUSES = ['queued', 'rendered', 'summary-only', 'skipped'] as const
export type ReportRunStatus = (typeof REPORT_RUN_STATUSES)[number]

/** One run of a subscription (`GET /api/v1/report-runs`), newest first. */
export interface ReportRun {
  run: string
  subscription: string
  /** `schedule`: its minute came; `late`: run after a restart within the grace; `manual`: POST …/run */
  trigger: 'schedule' | 'late' | 'manual'
  /** the scheduled minute (RFC 3339), or the instant of a manual run */
  slot: string
  status: ReportRunStatus
  /** why: render error, missed slot, picture left out */
  detail?: string
  /** bytes of the picture, when rendered */
  bytes?: number
  at: string
}
