/**
 * Screen definitions for the wall: loaded from `GET /api/v1/screens/:id`, falling back to the
 * built-in template of that id when the cockpit has no such stored screen (or no screen API),
 * so a fresh cockpit shows its templates. Reloaded when the server says a screen changed.
 * Holds only the screens asked for (a playlist and what was shown), bounded by `retain()`.
 */
import { defineStore } from 'pinia'
import { shallowReactive } from 'vue'
import type { ScreenChanged } from '../../protocol/events.ts'
import type { ScreenDefinition, ScreenSummary, StoredScreen } from '../../protocol/screen.ts'
import { TEMPLATES } from '../../widgets/templates/index.ts'
import { useSocket } from '../socket.ts'
import { API_PREFIX } from '../../protocol/api.ts'

/** Screen shown when none is named and the cockpit stores none. */
export const DEFAULT_SCREEN_ID = 'retail'

export interface ScreenEntry {
  definition?: ScreenDefinition
  /** where the definition came from */
  source?: 'stored' | 'template'
  /** stored version; 0 for a template */
  version: number
  /** 'not-found', or the failure's message when neither the API nor a template had it */
  error?: string
  loading: boolean
}

class ScreenLoadError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'ScreenLoadError'
  }
}

function authHeaders(): Record<string, string> {
  const token = new URLSearchParams(window.location.search).get('token')
  return token ? { authorization: `Bearer ${token}` } : {}
}

async function fetchStored(id: string): Promise<StoredScreen | undefined> {
  const res = await fetch(`${API_PREFIX}/screens/${encodeURIComponent(id)}`, { headers: { accept: 'application/json', ...authHeaders() } })
  if (res.status === 404) return undefined // no such screen (or a server without the screen API yet)
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: string; message?: string }
    throw new ScreenLoadError(body.error ?? `HTTP_${res.status}`, body.message ?? res.statusText)
  }
  return (await res.json()) as StoredScreen
}

export function templateScreen(id: string): ScreenDefinition | undefined {
  return TEMPLATES.find((t) => t.id === id)
}

export const useScreensStore = defineStore('screens', () => {
  const entries = shallowReactive(new Map<string, ScreenEntry>())
  const inflight = new Map<string, Promise<void>>()

  function set(id: string, entry: ScreenEntry): void {
    entries.set(id, entry)
  }

  async function load(id: string): Promise<void> {
    const previous = entries.get(id)
    set(id, { ...(previous ?? { version: 0 }), loading: true })
    try {
      const stored = await fetchStored(id)
      if (stored) {
        const { version, updatedAt: _updatedAt, ...definition } = stored
        set(id, { definition, source: 'stored', version, loading: false })
        return
      }
      const template = templateScreen(id)
      set(id, template ? { definition: template, source: 'template', version: 0, loading: false } : { version: 0, error: 'not-found', loading: false })
    } catch (err) {
      // server unreachable or failing: keep what is on screen; else the template; else say why
      if (previous?.definition) return set(id, { ...previous, loading: false })
      const template = templateScreen(id)
      const reason = err instanceof Error ? err.message : String(err)
      set(id, template ? { definition: template, source: 'template', version: 0, loading: false } : { version: 0, error: reason, loading: false })
    }
  }

  /** loads a screen once (concurrent callers share the request) */
  function ensure(id: string): Promise<void> {
    if (entries.get(id)?.definition || entries.get(id)?.error) return Promise.resolve()
    return reload(id)
  }
  function reload(id: string): Promise<void> {
    let p = inflight.get(id)
    if (!p) {
      p = load(id).finally(() => inflight.delete(id))
      inflight.set(id, p)
    }
    return p
  }

  /** forgets every screen but these (a wall rotating for weeks keeps only its playlist) */
  function retain(ids: Iterable<string>): void {
    const keep = new Set(ids)
    for (const id of [...entries.keys()]) if (!keep.has(id)) entries.delete(id)
  }

  /** the screen to show when the URL names none: the first stored screen, else the retail template */
  async function defaultId(): Promise<string> {
    try {
      const res = await fetch(`${API_PREFIX}/screens`, { headers: { accept: 'application/json', ...authHeaders() } })
      if (res.ok) {
        const list = (await res.json()) as ScreenSummary[]
        if (Array.isArray(list) && list[0]?.id) return list[0].id
      }
    } catch {
      // no server answer: the template
    }
    return DEFAULT_SCREEN_ID
  }

  const socket = useSocket()
  const onChanged = (change: ScreenChanged) => {
    if (!entries.has(change.id)) return
    const current = entries.get(change.id)
    if (change.version !== null && current?.source === 'stored' && current.version >= change.version) return
    void reload(change.id)
  }
  socket.on('screenChanged', onChanged)
  // edits made while disconnected produced no notice: reload what is shown
  let connectedBefore = socket.connected
  const onConnect = () => {
    if (connectedBefore) for (const id of entries.keys()) void reload(id)
    connectedBefore = true
  }
  socket.on('connect', onConnect)

  function $reset(): void {
    entries.clear()
  }
  return { entries, ensure, reload, retain, defaultId, $reset, stop: () => (socket.off('screenChanged', onChanged), socket.off('connect', onConnect)) }
})
