/**
 * Checks of alert rule and channel bodies (`PUT /api/v1/alert-rules/:id`, `PUT /api/v1/alert-channels/:id`):
 * the schema of protocol/alerts.ts, then what a schema cannot say — a group condition needs
 * groups, a clear level lies on the right side of its threshold, a channel names the variables
 * its kind needs. Every problem names its field (`/condition/clear`), like screens do.
 */
import Type from 'typebox'
import { Compile } from 'typebox/compile'
import { AlertChannelDefinition, AlertRuleDefinition, AnyGroupCondition, ChangeCondition, CONDITION_KINDS, NoDataCondition, ThresholdCondition } from '../../protocol/alerts.ts'
import type { AlertRuleDefinition as RuleDefinition } from '../../protocol/alerts.ts'
import { METRICS, PERIOD_KINDS } from '../../protocol/metrics.ts'
import type { FieldError } from '../errors.ts'
import { schemaErrors as pathErrors } from '../screens/validate.ts'

// the condition is checked against the schema of its own kind: a union's errors would list every branch
const ruleSchema = Compile(Type.Object({ ...AlertRuleDefinition.properties, condition: Type.Unknown() }, { additionalProperties: false }))
const CONDITION_SCHEMAS = {
  above: Compile(ThresholdCondition),
  below: Compile(ThresholdCondition),
  change: Compile(ChangeCondition),
  anyGroup: Compile(AnyGroupCondition),
  noData: Compile(NoDataCondition),
} as const
const channelSchema = Compile(AlertChannelDefinition)

/** List metrics whose rows are the groups of an `anyGroup` rule. */
export const LIST_METRICS = new Set(['stock.belowSafety'])

export type Checked<T> = { ok: true; value: T; baseVersion: number } | { ok: false; errors: FieldError[] }

type Validator = Parameters<typeof pathErrors>[0]
function schemaErrors(schema: Validator, body: unknown, prefix = ''): FieldError[] {
  return pathErrors(schema, body)
    .slice(0, 20)
    .map((e) => ({ path: prefix + (e.path === '/' && prefix ? '' : e.path), message: e.message }))
}

function conditionErrors(condition: unknown): FieldError[] {
  const kind = (condition as { kind?: unknown } | null)?.kind
  if (condition === null || typeof condition !== 'object') return [{ path: '/condition', message: 'must be an object' }]
  if (typeof kind !== 'string' || !Object.hasOwn(CONDITION_SCHEMAS, kind)) {
    return [{ path: '/condition/kind', message: `must be one of ${CONDITION_KINDS.map((k) => `"${k}"`).join(', ')}` }]
  }
  return schemaErrors(CONDITION_SCHEMAS[kind as keyof typeof CONDITION_SCHEMAS], condition, '/condition')
}

/** Splits `version` (the base of an edit) from the definition, dropping the fields a GET adds (`updatedAt`, and `readOnly`). */
export function splitEdit(body: unknown, readOnly: readonly string[] = []): { def: Record<string, unknown>; baseVersion: number; errors: FieldError[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { def: {}, baseVersion: 0, errors: [{ path: '/', message: 'must be an object' }] }
  const { version, updatedAt: _ignored, ...def } = body as Record<string, unknown>
  for (const field of readOnly) delete def[field]
  if (version !== undefined && (!Number.isInteger(version) || (version as number) < 0)) {
    return { def, baseVersion: 0, errors: [{ path: '/version', message: 'must be the integer version the edit was based on (0 or absent: create)' }] }
  }
  return { def, baseVersion: (version as number | undefined) ?? 0, errors: [] }
}

/** A rule body; `id` must match the URL's. */
export function checkRuleBody(body: unknown, id: string): Checked<AlertRuleDefinition> {
  const { def, baseVersion, errors } = splitEdit(body)
  if (errors.length > 0) return { ok: false, errors }
  const withId = { ...def, id: def.id ?? id }
  const found = [...schemaErrors(ruleSchema, withId), ...conditionErrors((withId as { condition?: unknown }).condition)]
  if (found.length > 0) return { ok: false, errors: found }
  const rule = withId as RuleDefinition
  const out: FieldError[] = []
  if (rule.id !== id) out.push({ path: '/id', message: `must equal the id in the URL ("${id}")` })
  const c = rule.condition
  const q = rule.query
  const list = LIST_METRICS.has(q.metric)
  if (c.kind === 'anyGroup') {
    if (!q.groupBy && !list) out.push({ path: '/query/groupBy', message: 'an "anyGroup" condition needs groups: set groupBy (or use a list metric such as stock.belowSafety)' })
    if (c.threshold === undefined && !list) out.push({ path: '/condition/threshold', message: 'is required unless the metric is a list (stock.belowSafety: every listed row)' })
    if (c.clear !== undefined && c.threshold === undefined) out.push({ path: '/condition/clear', message: 'needs a threshold to clear against' })
    if (c.clear !== undefined && c.threshold !== undefined && (c.op === 'above' ? c.clear > c.threshold : c.clear < c.threshold)) {
      out.push({ path: '/condition/clear', message: `must be ${c.op === 'above' ? 'at or under' : 'at or over'} the threshold (${c.threshold}) for hysteresis` })
    }
  } else if (list && c.kind !== 'noData') {
    out.push({ path: '/condition/kind', message: `${q.metric} lists rows: use "anyGroup" (every listed row) or "noData"` })
  }
  if ((c.kind === 'above' || c.kind === 'below') && c.clear !== undefined && (c.kind === 'above' ? c.clear > c.threshold : c.clear < c.threshold)) {
    out.push({ path: '/condition/clear', message: `must be ${c.kind === 'above' ? 'at or under' : 'at or over'} the threshold (${c.threshold}) for hysteresis` })
  }
  if (c.kind === 'change') {
    if (!PERIOD_KINDS.includes(METRICS[q.metric].kind) || (!q.window && !q.from)) {
      out.push({
        path: '/query/window',
        message: 'a "change" condition compares with the previous period: the query needs a period (window, or from/to) on a flow or ratio metric',
      })
    }
    if (c.clear !== undefined && c.clear > c.percent) out.push({ path: '/condition/clear', message: `must be at or under percent (${c.percent}) for hysteresis` })
  }
  if ((c.kind === 'above' || c.kind === 'below' || c.kind === 'change') && q.groupBy) {
    out.push({ path: '/query/groupBy', message: `a "${c.kind}" condition watches the total: drop groupBy, or use "anyGroup"` })
  }
  if (new Set(rule.channels).size !== rule.channels.length) out.push({ path: '/channels', message: 'must not name a channel twice' })
  return out.length > 0 ? { ok: false, errors: out } : { ok: true, value: rule, baseVersion }
}

/** A channel body; `id` must match the URL's. */
export function checkChannelBody(body: unknown, id: string): Checked<AlertChannelDefinition> {
  const { def, baseVersion, errors } = splitEdit(body)
  if (errors.length > 0) return { ok: false, errors }
  const withId = { ...def, id: def.id ?? id }
  const found = schemaErrors(channelSchema, withId)
  if (found.length > 0) return { ok: false, errors: found }
  const ch = withId as AlertChannelDefinition
  const out: FieldError[] = []
  if (ch.id !== id) out.push({ path: '/id', message: `must equal the id in the URL ("${id}")` })
  if (ch.kind === 'email') {
    if (!ch.smtpEnv) out.push({ path: '/smtpEnv', message: 'an email channel needs the name of the environment variable holding the SMTP URL' })
    if (!ch.to) out.push({ path: '/to', message: 'an email channel needs recipients' })
    if (ch.urlEnv) out.push({ path: '/urlEnv', message: 'an email channel sends through SMTP: use smtpEnv' })
  } else {
    if (!ch.urlEnv) out.push({ path: '/urlEnv', message: `a ${ch.kind} channel needs the name of the environment variable holding its webhook URL` })
    if (ch.smtpEnv || ch.to || ch.from) out.push({ path: ch.smtpEnv ? '/smtpEnv' : ch.to ? '/to' : '/from', message: `only email channels take SMTP settings` })
    if (ch.kind === 'wecom' && ch.secretEnv) out.push({ path: '/secretEnv', message: 'a WeCom group bot is authorised by the key in its URL: it takes no signing secret' })
  }
  if (ch.format && ch.kind !== 'feishu') out.push({ path: '/format', message: 'only feishu channels choose a format (interactive or post)' })
  return out.length > 0 ? { ok: false, errors: out } : { ok: true, value: ch, baseVersion }
}
