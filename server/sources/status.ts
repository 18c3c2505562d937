/**
 * A source's status as the API reports it, read from its status hash (written by the runner,
 * server/sources/runner.ts), and which sources have failed long enough for the screens to mark
 * their figures stale (docs/connectors.md "Seeing sources work"). Pure: the time is an argument.
 */
import { SOURCE_COUNTERS } from '../../protocol/sources.ts'
import type { SourceCounter, SourceState, SourceStatus, StaleSource } from '../../protocol/sources.ts'
import type { StoredSource } from './config.ts'

/** A source no process has reported on for this long is `idle`: nobody runs it. */
export const IDLE_AFTER_MS = 60_000

const iso = (ms: string | undefined): string | null => (ms ? new Date(Number(ms)).toISOString() : null)

/** The status of `source` from the fields of its status hash, at `now` (epoch ms). */
export function statusOf(source: StoredSource, st: Record<string, string>, now: number): SourceStatus {
  const heartbeat = Number(st.heartbeatAt ?? 0)
  const alive = now - heartbeat < IDLE_AFTER_MS
  let state: SourceState
  if (source.paused) state = 'paused'
  else if (!alive) state = 'idle'
  else state = (st.state as SourceState | undefined) ?? 'running'
  if (state === 'paused' && !source.paused) state = 'idle'
  const counters = Object.fromEntries(SOURCE_COUNTERS.map((c) => [c, Number(st[c] ?? 0)])) as Record<SourceCounter, number>
  const caughtUp = st.caughtUpAt ? Number(st.caughtUpAt) : undefined
  const newest = st.newestAt ? Number(st.newestAt) : undefined
  const behind = state === 'backfilling' || caughtUp === undefined
  const lagFrom = behind ? newest : caughtUp
  return {
    state,
    holder: alive && st.holder ? st.holder : null,
    counters,
    lagMs: lagFrom === undefined ? null : Math.max(0, now - lagFrom),
    newestAt: iso(st.newestAt),
    caughtUpAt: iso(st.caughtUpAt),
    lastError: st.lastError ? { message: st.lastError, at: st.lastErrorAt ?? '' } : null,
    failingSince: st.failingSince || null,
    failures: Number(st.failures ?? 0),
    backfill: {
      since: source.backfill?.since ?? null,
      startedAt: iso(st.bfStartedAt),
      rows: Number(st.bfRows ?? 0),
      reachedAt: iso(st.newestAt),
      doneAt: iso(st.bfDoneAt),
    },
  }
}

/**
 * The sources whose figures count as stale at `now`: state `failing` with a streak that began at
 * least `staleMs` ago, sorted by id. A paused or idle source is not failing (nobody tries it); a
 * source that reads again leaves the list at its next successful poll.
 */
export function staleSources(list: readonly { source: StoredSource; status: SourceStatus }[], now: number, staleMs: number): StaleSource[] {
  const out: StaleSource[] = []
  for (const { source, status } of list) {
    if (status.state !== 'failing' || !status.failingSince) continue
    const since = Date.parse(status.failingSince)
    if (!Number.isFinite(since) || now - since < staleMs) continue
    out.push({ id: source.id, ...(source.title !== undefined && { title: source.title }), failingSince: status.failingSince })
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}
