/**
 * The editor's side of `POST /api/v1/import/preview` and `POST /api/v1/import` (docs/api.md): the
 * chosen file is sent as the body, its name telling the format; the editor's session cookie and
 * CSRF token make it an admin request.
 */
import { API_PREFIX } from '../../protocol/api.ts'
import type { FieldError } from '../../protocol/movement.ts'
import { CSRF_HEADER, adminCsrf } from './admin-key.ts'
import { ApiError } from './screen-api.ts'

/** What importing the file would apply (server/ingest/spreadsheet.ts ImportPreview). */
export interface ImportPreview {
  format: 'xlsx' | 'csv' | 'ndjson'
  mapping: { mode: 'fields' | 'mapped'; columns: { header: string; target: string | null }[]; warnings: string[] } | null
  rows: { row: number; movement: Record<string, unknown> }[]
  rejected: { index: number; row: number; id: string | null; errors: FieldError[] }[]
  total: number
  valid: number
  rejectedCount: number
}

export interface ImportResult {
  accepted: number
  duplicates: number
  rows: number
}

async function upload<T>(path: string, file: File): Promise<T> {
  const headers = new Headers({ 'content-type': 'application/octet-stream' })
  const csrf = adminCsrf()
  if (csrf) headers.set(CSRF_HEADER, csrf)
  const res = await fetch(`${API_PREFIX}${path}?filename=${encodeURIComponent(file.name)}`, { method: 'POST', headers, body: file, credentials: 'same-origin' })
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>
  if (!res.ok)
    throw new ApiError(res.status, typeof body.error === 'string' ? body.error : `HTTP_${res.status}`, typeof body.message === 'string' ? body.message : res.statusText, body)
  return body as T
}

/** The mapping, the first 20 rows as movements and the rejects; nothing is applied. */
export const previewImport = (file: File) => upload<ImportPreview>('/import/preview', file)

/** Applies the whole file, or nothing when a row is refused (ApiError 400 `invalid_movements`). */
export const applyImport = (file: File) => upload<ImportResult>('/import', file)
