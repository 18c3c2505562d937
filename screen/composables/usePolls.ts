/**
 * Polls the cockpit API endpoints a widget's manifest names (`polls`): each read again after its
 * interval once the previous one has answered (never two in flight), with the page's viewer token
 * when it has one; everything stops with the scope. Only paths under `/api/v1` are read.
 */
import { onScopeDispose, shallowRef, watch } from 'vue'
import type { ShallowRef } from 'vue'
import { API_PREFIX } from '../../protocol/api.ts'
import type { PolledResult, WidgetPoll } from '../../widgets/define-widget.ts'

/** A read that has not answered after this is given up (and tried again at the next turn). */
export const POLL_TIMEOUT_MS = 10_000
/** The shortest interval honoured, whatever a manifest asks. */
export const MIN_POLL_MS = 1000

/** Whether a manifest's path is one of the cockpit's own API paths (`/sources`, not `//host` or `../`). */
export function isApiPath(path: string): boolean {
  return /^\/[A-Za-z0-9/_-]*(\?[A-Za-z0-9=&_.-]*)?$/.test(path) && !path.startsWith('//')
}

async function read(path: string, signal: AbortSignal): Promise<PolledResult> {
  const token = new URLSearchParams(window.location.search).get('token')
  try {
    const res = await fetch(`${API_PREFIX}${path}`, { headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, signal })
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { error?: string; message?: string }
      return { error: body.error ? `${body.error}: ${body.message ?? ''}`.trim() : `HTTP ${res.status}` }
    }
    return { body: (await res.json()) as unknown, at: Date.now() }
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) }
  }
}

export function usePolls(source: () => Record<string, WidgetPoll>): ShallowRef<Record<string, PolledResult>> {
  const results = shallowRef<Record<string, PolledResult>>({})
  let stops: (() => void)[] = []

  function start(name: string, poll: WidgetPoll): () => void {
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    let inflight: AbortController | undefined
    const turn = async () => {
      inflight = new AbortController()
      const giveUp = setTimeout(() => inflight?.abort(), POLL_TIMEOUT_MS)
      const answer = await read(poll.path, inflight.signal)
      clearTimeout(giveUp)
      inflight = undefined
      if (stopped) return
      const before = results.value[name]
      // a failed read keeps the last body on screen, with the reason beside it
      results.value = { ...results.value, [name]: answer.error ? { ...before, error: answer.error } : answer }
      timer = setTimeout(() => void turn(), Math.max(MIN_POLL_MS, poll.everyMs))
    }
    void turn()
    return () => {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
      inflight?.abort()
    }
  }

  function stopAll(): void {
    for (const stop of stops) stop()
    stops = []
  }

  watch(
    () => JSON.stringify(source()),
    () => {
      stopAll()
      const polls = Object.entries(source()).filter(([, p]) => isApiPath(p.path))
      results.value = Object.fromEntries(polls.map(([name]) => [name, results.value[name] ?? {}]))
      stops = polls.map(([name, poll]) => start(name, poll))
    },
    { immediate: true },
  )
  onScopeDispose(stopAll)
  return results
}
