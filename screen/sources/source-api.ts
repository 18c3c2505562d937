/**
 * The Sources page's side of the sources API (docs/api.md "Sources"). Reading goes like a wall's:
 * with the page's `?token=` when it has one, else — signed in — as the editor's session, else
 * anonymously (open reading). Pause, resume and re-sync are the administrator's: session cookie
 * plus CSRF header, like the screen editor and the alerts page (screen/editor/admin-key.ts);
 * never the page's token, which would win over the session and be refused.
 */
import { API_PREFIX } from '../../protocol/api.ts'
import type { SourceDetail, SourceStatus, SourceSummary, SourceView } from '../../protocol/sources.ts'
import { CSRF_HEADER, adminCsrf, sessionLost } from '../editor/admin-key.ts'
import { ApiError } from '../editor/screen-api.ts'

async function call<T>(method: string, path: string, opts: { admin?: boolean; body?: unknown } = {}): Promise<T> {
  const headers = new Headers({ accept: 'application/json' })
  const token = opts.admin ? null : new URLSearchParams(window.location.search).get('token')
  const csrf = adminCsrf()
  if (token) headers.set('authorization', `Bearer ${token}`)
  else if (csrf) headers.set(CSRF_HEADER, csrf)
  if (opts.body !== undefined) headers.set('content-type', 'application/json')
  const res = await fetch(`${API_PREFIX}${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  })
  const text = await res.text()
  let parsed: unknown
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    parsed = undefined
  }
  if (!res.ok) {
    const b = (parsed ?? {}) as Record<string, unknown>
    // the session expired or was signed out elsewhere: the page asks for the key again
    if (opts.admin && res.status === 401) sessionLost()
    throw new ApiError(res.status, typeof b.error === 'string' ? b.error : `HTTP_${res.status}`, typeof b.message === 'string' ? b.message : res.statusText, b)
  }
  return parsed as T
}

const at = (id: string) => `/sources/${encodeURIComponent(id)}`

export const sourceApi = {
  list: () => call<SourceSummary[]>('GET', '/sources'),
  detail: (id: string) => call<SourceDetail>('GET', at(id)),
  pause: (id: string) => call<SourceView>('POST', `${at(id)}/pause`, { admin: true }),
  resume: (id: string) => call<SourceView>('POST', `${at(id)}/resume`, { admin: true }),
  resync: (id: string, since: string) => call<SourceView>('POST', `${at(id)}/resync`, { admin: true, body: { since } }),
}

/** Start of a business date (`YYYY-MM-DD`) as epoch ms, near enough for a progress bar (UTC midnight). */
function dayStart(date: string): number {
  return Date.parse(`${date}T00:00:00Z`)
}

/**
 * How far a backfill has come, 0…1, measured in time: from `backfill.since` to now, the share up
 * to the newest ERP modification applied. Undefined when it cannot be told (no `since`: all
 * history, or nothing applied yet); 1 once it is done.
 */
export function backfillProgress(status: SourceStatus, now: number): number | undefined {
  const b = status.backfill
  if (b.doneAt) return 1
  if (!b.since || !b.reachedAt) return undefined
  const from = dayStart(b.since)
  const reached = Date.parse(b.reachedAt)
  if (!Number.isFinite(from) || !Number.isFinite(reached) || now <= from) return undefined
  return Math.min(1, Math.max(0, (reached - from) / (now - from)))
}
