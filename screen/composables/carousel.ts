/** Pure rules of the wall's carousel: which screen is up, which comes next, how long each stays. */

/** Seconds a screen stays up when its definition names none (protocol/screen.ts `dwellSeconds`). */
export const DEFAULT_DWELL_SECONDS = 30
/** The next screen is mounted hidden this long before its turn, so its data is there when it shows. */
export const PRELOAD_MS = 5000

export interface CarouselState {
  /** screen ids to rotate through, in order (may be empty: one screen, no rotation) */
  playlist: readonly string[]
  /** position in the playlist the rotation continues from */
  index: number
  /** the screen up now (a `show` may put up one that is not in the playlist) */
  current: string
}

/** `?playlist=a,b,,c` → ['a','b','c'] (blank entries dropped). */
export function parsePlaylist(value: unknown): string[] {
  if (typeof value !== 'string') return []
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

export function startCarousel(playlist: readonly string[], first?: string): CarouselState {
  if (first === undefined) return { playlist, index: 0, current: playlist[0] ?? '' }
  const at = playlist.indexOf(first)
  // a first screen outside the playlist takes one turn, then the playlist plays from its start
  return { playlist, index: at >= 0 ? at : playlist.length - 1, current: first }
}

/** The screen after the current one, or undefined when nothing rotates. */
export function upcoming(state: CarouselState): string | undefined {
  const n = state.playlist.length
  if (n === 0) return undefined
  const next = state.playlist[(state.index + 1) % n]
  return next === state.current ? undefined : next
}

export function advance(state: CarouselState): CarouselState {
  const next = upcoming(state)
  if (next === undefined) return state
  return { ...state, index: (state.index + 1) % state.playlist.length, current: next }
}

/**
 * An administrator's `show`: that screen goes up now, and the rotation continues from it (or,
 * for a screen outside the playlist, from where it was: the shown screen takes one turn, then
 * the screen after the one it replaced).
 */
export function showScreen(state: CarouselState, id: string): CarouselState {
  const at = state.playlist.indexOf(id)
  return { ...state, index: at >= 0 ? at : state.index, current: id }
}

export function dwellMs(dwellSeconds: number | undefined): number {
  return Math.max(1, dwellSeconds ?? DEFAULT_DWELL_SECONDS) * 1000
}

/** When (ms after the screen went up) to mount the next one hidden. */
export function preloadAt(dwell: number): number {
  return Math.max(0, dwell - Math.min(PRELOAD_MS, dwell / 2))
}
