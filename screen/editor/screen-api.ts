/**
 * The screen app's side of the screens API (docs/api.md): read a screen (falling back to the
 * built-in templates), list templates, save with the version an edit was based on. Errors keep the
 * server's code, status and body so the views can explain a 409 or a 400 precisely.
 */
import type { ScreenDefinition, ScreenSummary, ScreenVersionSummary, StoredDraft, StoredScreen } from '../../protocol/screen.ts'
import { API_PREFIX } from '../../protocol/api.ts'
import { TEMPLATES } from '../../widgets/templates/index.ts'
import type { Category, Channel, MasterKind, Partner, Region, Sku, Warehouse } from '../../protocol/master.ts'
import { CSRF_HEADER, adminCsrf } from './admin-key.ts'

export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** the server's error code, e.g. `COCKPIT_ERR_SCREEN_CONFLICT` */
    readonly code: string,
    message: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

/** An error as one line for a notice: a 400's field errors (`path message; …`), else the server's code and message. */
export function explainError(err: unknown): string {
  if (err instanceof ApiError) {
    const fields = (err.body.errors as { path: string; message: string }[] | undefined)?.map((e) => `${e.path} ${e.message}`)
    return fields && fields.length > 0 ? fields.join('; ') : `${err.code}: ${err.message}`
  }
  return err instanceof Error ? err.message : String(err)
}

export const SCREEN_NOT_FOUND = 'COCKPIT_ERR_SCREEN_NOT_FOUND'
export const SCREEN_CONFLICT = 'COCKPIT_ERR_SCREEN_CONFLICT'
export const INVALID_SCREEN = 'COCKPIT_ERR_INVALID_SCREEN'
export const UNAUTHORIZED = 'COCKPIT_ERR_UNAUTHORIZED'
export const DRAFT_NOT_FOUND = 'COCKPIT_ERR_DRAFT_NOT_FOUND'

/** A screen as the app holds it: stored ones carry their version; a template or a new screen has version 0. */
export type LoadedScreen = ScreenDefinition & { version: number; updatedAt?: string; source: 'server' | 'template' }

/**
 * One API call. A `bearer` token (the page's `?token=`) is sent as such; without one, the editor's
 * session cookie goes along (same origin only) with its CSRF token, which makes it act as admin.
 */
async function request<T>(path: string, init: RequestInit & { bearer?: string | null } = {}): Promise<T> {
  const { bearer, ...rest } = init
  const headers = new Headers(rest.headers)
  const csrf = adminCsrf()
  if (bearer) headers.set('authorization', `Bearer ${bearer}`)
  else if (csrf) headers.set(CSRF_HEADER, csrf)
  if (rest.body !== undefined) headers.set('content-type', 'application/json')
  const res = await fetch(path, { ...rest, headers, credentials: 'same-origin' })
  const text = await res.text()
  let body: unknown
  try {
    body = text ? JSON.parse(text) : undefined
  } catch {
    body = undefined
  }
  if (!res.ok) {
    const b = (body ?? {}) as Record<string, unknown>
    throw new ApiError(res.status, typeof b.error === 'string' ? b.error : `HTTP_${res.status}`, typeof b.message === 'string' ? b.message : res.statusText, b)
  }
  return body as T
}

/** The viewer token the page was opened with (`?token=`), sent with reads when the server requires one. */
export function pageToken(): string | null {
  return new URLSearchParams(window.location.search).get('token')
}

function template(id: string): ScreenDefinition | undefined {
  return TEMPLATES.find((t) => t.id === id)
}

/** Default screen: the first stored one, else `retail`. */
export async function defaultScreenId(bearer: string | null = pageToken()): Promise<string> {
  try {
    const list = await request<ScreenSummary[]>(`${API_PREFIX}/screens`, { bearer })
    if (Array.isArray(list) && list[0]) return list[0].id
  } catch {
    // no stored screens API (or unreachable): the built-in default
  }
  return 'retail'
}

/**
 * A screen by id: the stored one, else the template of that id (templates are screens too).
 * Throws ApiError 404 when neither exists.
 */
export async function loadScreen(id: string, bearer: string | null = pageToken()): Promise<LoadedScreen> {
  try {
    const stored = await request<StoredScreen>(`${API_PREFIX}/screens/${encodeURIComponent(id)}`, { bearer })
    return { ...stored, source: 'server' }
  } catch (err) {
    // a 404 (not stored, or a server without the screens API) falls back to a template; 401/403/5xx are real errors
    if (!(err instanceof ApiError) || err.status !== 404) throw err
  }
  const t = template(id)
  if (!t) throw new ApiError(404, SCREEN_NOT_FOUND, `no screen "${id}"`)
  return { ...structuredClone(t), version: 0, source: 'template' }
}

/** The ready templates from the server, else the built-in ones. */
export async function loadTemplates(bearer: string | null = pageToken()): Promise<ScreenDefinition[]> {
  try {
    const list = await request<ScreenDefinition[]>(`${API_PREFIX}/templates`, { bearer })
    if (Array.isArray(list) && list.length > 0) return list
  } catch {
    // older server: the templates compiled into the app
  }
  return structuredClone([...TEMPLATES])
}

/**
 * PUT with the version the edit was based on (0 creates), as the signed-in administrator (session
 * cookie + CSRF header). 409 → ApiError with `body.current`; 401/403 → the session is gone.
 */
export async function saveScreen(screen: ScreenDefinition, baseVersion: number): Promise<StoredScreen> {
  return request<StoredScreen>(`${API_PREFIX}/screens/${encodeURIComponent(screen.id)}`, {
    method: 'PUT',
    body: JSON.stringify({ ...screen, version: baseVersion }),
  })
}

/** The kept versions of a screen, newest first (admin). */
export async function listVersions(id: string): Promise<ScreenVersionSummary[]> {
  return request<ScreenVersionSummary[]>(`${API_PREFIX}/screens/${encodeURIComponent(id)}/versions`)
}

/** One kept version, to preview it (admin). */
export async function loadVersion(id: string, version: number): Promise<StoredScreen> {
  return request<StoredScreen>(`${API_PREFIX}/screens/${encodeURIComponent(id)}/versions/${version}`)
}

/** Saves a kept version again as the newest (admin); walls show it at once. */
export async function rollbackScreen(id: string, version: number): Promise<StoredScreen> {
  return request<StoredScreen>(`${API_PREFIX}/screens/${encodeURIComponent(id)}/rollback`, { method: 'POST', body: JSON.stringify({ version }) })
}

/** The screen's draft, or undefined when it has none (admin). */
export async function loadDraft(id: string): Promise<StoredDraft | undefined> {
  try {
    return await request<StoredDraft>(`${API_PREFIX}/screens/${encodeURIComponent(id)}/draft`)
  } catch (err) {
    if (err instanceof ApiError && err.code === DRAFT_NOT_FOUND) return undefined
    throw err
  }
}

/** Keeps the edit as the screen's draft, started from `baseVersion` (admin): walls do not see it. */
export async function saveDraft(screen: ScreenDefinition, baseVersion: number): Promise<StoredDraft> {
  return request<StoredDraft>(`${API_PREFIX}/screens/${encodeURIComponent(screen.id)}/draft`, { method: 'PUT', body: JSON.stringify({ ...screen, version: baseVersion }) })
}

/** Publishes the draft as the next version (admin); `overVersion` publishes over a screen that moved on. 409 like a save. */
export async function publishDraft(id: string, overVersion?: number): Promise<StoredScreen> {
  return request<StoredScreen>(`${API_PREFIX}/screens/${encodeURIComponent(id)}/publish`, {
    method: 'POST',
    ...(overVersion !== undefined ? { body: JSON.stringify({ version: overVersion }) } : {}),
  })
}

/** A code the editor knows, with its master-data names. */
export interface KnownCode {
  code: string
  name?: string
  nameEn?: string
}

/** Known codes per dimension, with names, for the option form's code lists. */
export type KnownCodes = Partial<Record<'sku' | 'category' | 'warehouse' | 'partner' | 'region' | 'channel', KnownCode[]>>

/** The records' codes and names, plus codes only used by other records (a SKU's category), sorted by code. */
export function mergeKnownCodes(named: readonly { code: string; name: string; nameEn?: string }[], used: readonly (string | undefined)[]): KnownCode[] {
  const out = new Map<string, KnownCode>(named.map((r) => [r.code, { code: r.code, name: r.name, ...(r.nameEn ? { nameEn: r.nameEn } : {}) }]))
  for (const code of used) if (code && !out.has(code)) out.set(code, { code })
  return [...out.values()].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))
}

/** Master data codes the editor offers (at most a few thousand SKUs are offered; any code may be typed). */
export async function loadKnownCodes(bearer: string | null): Promise<KnownCodes> {
  const get = <T>(kind: MasterKind) => request<T[]>(`${API_PREFIX}/master/${kind}`, { bearer }).catch(() => [] as T[])
  const [skus, warehouses, partners, categories, regions, channels] = await Promise.all([
    get<Sku>('skus'),
    get<Warehouse>('warehouses'),
    get<Partner>('partners'),
    get<Category>('categories'),
    get<Region>('regions'),
    get<Channel>('channels'),
  ])
  const named = (r: { code: string; name: string; nameEn?: string }): KnownCode => ({ code: r.code, name: r.name, ...(r.nameEn ? { nameEn: r.nameEn } : {}) })
  return {
    sku: skus.slice(0, 5000).map(named),
    category: mergeKnownCodes(
      categories,
      skus.map((s) => s.category),
    ),
    warehouse: warehouses.map(named),
    region: mergeKnownCodes(
      regions,
      warehouses.map((w) => w.region),
    ),
    partner: partners.map(named),
    channel: mergeKnownCodes(channels, []),
  }
}
