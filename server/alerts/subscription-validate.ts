/**
 * Checks of a report subscription body (`PUT /api/v1/report-subscriptions/:id`): the schema of
 * protocol/report-subscriptions.ts, then what a schema cannot say — the cron expression parses,
 * the size fits a snapshot. Every problem names its field (`/cron`), like alert rules do; what
 * needs the stored cockpit (the screen, its widget, the channels) is checked by the plugin.
 */
import { Compile } from 'typebox/compile'
import { ReportSubscriptionDefinition } from '../../protocol/report-subscriptions.ts'
import type { FieldError } from '../errors.ts'
import { splitEdit } from './validate.ts'
import type { Checked } from './validate.ts'
import { schemaErrors } from '../screens/validate.ts'
import { CronError, parseCron } from '../reports/cron.ts'
import { DEFAULT_SNAPSHOT_SIZE, oversizeMessage } from '../reports/snapshot.ts'

const subscriptionSchema = Compile(ReportSubscriptionDefinition)

/** A subscription body (`version`: the base of an edit, 0 or absent to create); `id` must match the URL's. */
export function checkSubscriptionBody(body: unknown, id: string): Checked<ReportSubscriptionDefinition> {
  const { def, baseVersion, errors } = splitEdit(body, ['lastSlot', 'nextRunAt'])
  if (errors.length > 0) return { ok: false, errors }
  const withId = { ...def, id: def.id ?? id }
  const found = schemaErrors(subscriptionSchema, withId)
    .slice(0, 20)
    .map((e) => ({ path: e.path, message: e.message }))
  if (found.length > 0) return { ok: false, errors: found }
  const sub = withId as ReportSubscriptionDefinition
  const out: FieldError[] = []
  if (sub.id !== id) out.push({ path: '/id', message: `must equal the id in the URL ("${id}")` })
  try {
    parseCron(sub.cron)
  } catch (err) {
    if (!(err instanceof CronError)) throw err
    out.push({ path: '/cron', message: `${err.message} (e.g. "0 8 * * *": every day at 08:00 in the business time zone)` })
  }
  const oversize = oversizeMessage(sub.width ?? DEFAULT_SNAPSHOT_SIZE.width, sub.height ?? DEFAULT_SNAPSHOT_SIZE.height)
  if (oversize) out.push({ path: '/width', message: oversize })
  if (new Set(sub.channels).size !== sub.channels.length) out.push({ path: '/channels', message: 'must not name a channel twice' })
  return out.length > 0 ? { ok: false, errors: out } : { ok: true, value: sub, baseVersion }
}
