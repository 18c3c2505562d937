/**
 * The alert editor's side of the alerts API (docs/api.md "Alerts"): rules, channels, states and
 * the delivery log, as the signed-in administrator (session cookie + CSRF header, like the
 * screen editor). Errors keep the server's code and field errors, so a 400 can name the field.
 */
import { API_PREFIX } from '../../protocol/api.ts'
import type { AlertChannelDefinition, AlertRuleDefinition, AlertsOverview, DeliveryAttempt, StoredAlertChannel, StoredAlertRule } from '../../protocol/alerts.ts'
import type { ReportRun, ReportSubscriptionDefinition, StoredReportSubscription } from '../../protocol/report-subscriptions.ts'
import { CSRF_HEADER, adminCsrf } from '../editor/admin-key.ts'
import { ApiError } from '../editor/screen-api.ts'

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers = new Headers({ accept: 'application/json' })
  const csrf = adminCsrf()
  if (csrf) headers.set(CSRF_HEADER, csrf)
  if (body !== undefined) headers.set('content-type', 'application/json')
  const res = await fetch(`${API_PREFIX}${path}`, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
  const text = await res.text()
  let parsed: unknown
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    parsed = undefined
  }
  if (!res.ok) {
    const b = (parsed ?? {}) as Record<string, unknown>
    throw new ApiError(res.status, typeof b.error === 'string' ? b.error : `HTTP_${res.status}`, typeof b.message === 'string' ? b.message : res.statusText, b)
  }
  return parsed as T
}

export const alertApi = {
  rules: () => call<StoredAlertRule[]>('GET', '/alert-rules'),
  saveRule: (rule: AlertRuleDefinition, version = 0) => call<StoredAlertRule>('PUT', `/alert-rules/${encodeURIComponent(rule.id)}`, { ...rule, version }),
  deleteRule: (id: string) => call<void>('DELETE', `/alert-rules/${encodeURIComponent(id)}`),
  channels: () => call<StoredAlertChannel[]>('GET', '/alert-channels'),
  saveChannel: (channel: AlertChannelDefinition, version = 0) => call<StoredAlertChannel>('PUT', `/alert-channels/${encodeURIComponent(channel.id)}`, { ...channel, version }),
  deleteChannel: (id: string) => call<void>('DELETE', `/alert-channels/${encodeURIComponent(id)}`),
  testChannel: (id: string) => call<{ delivered: boolean; detail: string }>('POST', `/alert-channels/${encodeURIComponent(id)}/test`),
  overview: () => call<AlertsOverview>('GET', '/alerts'),
  deliveries: () => call<{ attempts: DeliveryAttempt[]; queued: number }>('GET', '/alert-deliveries'),
  subscriptions: () => call<StoredReportSubscription[]>('GET', '/report-subscriptions'),
  saveSubscription: (sub: ReportSubscriptionDefinition, version = 0) =>
    call<StoredReportSubscription>('PUT', `/report-subscriptions/${encodeURIComponent(sub.id)}`, { ...sub, version }),
  deleteSubscription: (id: string) => call<void>('DELETE', `/report-subscriptions/${encodeURIComponent(id)}`),
  runSubscription: (id: string) => call<{ run: string }>('POST', `/report-subscriptions/${encodeURIComponent(id)}/run`),
  reportRuns: () => call<ReportRun[]>('GET', '/report-runs'),
}

/** `HH:MM` → the daily cron `M H * * *` (in COCKPIT_TZ on the server). */
export function dailyCron(time: string): string {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(time.trim())
  if (!m) return time.trim()
  return `${Number(m[2])} ${Number(m[1])} * * *`
}

/** What the rule form asks; `ruleFromForm` turns it into a rule. */
export interface RuleForm {
  id: string
  title: string
  /** a ready-made shape, or a plain condition on the total */
  preset: 'belowSafety' | 'above' | 'below' | 'change' | 'anyGroupBelow' | 'noData'
  metric: AlertRuleDefinition['query']['metric']
  window: string
  groupBy: '' | 'sku' | 'category' | 'warehouse' | 'partner' | 'region' | 'channel'
  warehouse: string
  threshold: string
  clear: string
  minutes: string
  forMinutes: string
  quietFrom: string
  quietTo: string
  channels: string[]
  screen: string
}

const num = (s: string): number | undefined => (s.trim() === '' ? undefined : Number(s))

/** The rule a filled form describes (the server checks it and names any bad field). */
export function ruleFromForm(f: RuleForm): AlertRuleDefinition {
  const filter = f.warehouse.trim() ? { filter: { warehouse: f.warehouse.trim() } } : {}
  const threshold = num(f.threshold)
  const clear = num(f.clear)
  const levels = { ...(clear !== undefined ? { clear } : {}) }
  const base = {
    id: f.id.trim(),
    title: f.title.trim(),
    channels: f.channels,
    ...(num(f.forMinutes) ? { forSeconds: Math.round(num(f.forMinutes)! * 60) } : {}),
    ...(f.quietFrom && f.quietTo ? { quietHours: { from: f.quietFrom, to: f.quietTo } } : {}),
    ...(f.screen.trim() ? { screen: f.screen.trim() } : {}),
  }
  const periodic = f.window.trim() ? { window: f.window.trim() } : {}
  switch (f.preset) {
    case 'belowSafety':
      return { ...base, query: { metric: 'stock.belowSafety', ...filter }, condition: { kind: 'anyGroup', op: 'below' } }
    case 'anyGroupBelow':
      return {
        ...base,
        query: { metric: f.metric, ...periodic, groupBy: f.groupBy || 'partner', ...filter },
        condition: { kind: 'anyGroup', op: 'below', threshold: threshold as number, ...levels },
      }
    case 'change':
      return { ...base, query: { metric: f.metric, ...periodic, ...filter }, condition: { kind: 'change', percent: threshold as number, ...levels } }
    case 'noData':
      return { ...base, query: { metric: f.metric, ...periodic }, condition: { kind: 'noData', minutes: num(f.minutes) as number } }
    default:
      return { ...base, query: { metric: f.metric, ...periodic, ...filter }, condition: { kind: f.preset, threshold: threshold as number, ...levels } }
  }
}
