/**
 * Subscription rooms: one per distinct query, shared by every socket that asked for it, with
 * one computation per push (never one per client). Pushes are coalesced per room: the first
 * change after a quiet period is computed at once (leading edge), later ones at most once per
 * interval (trailing edge), and a room is never computed twice at the same time.
 *
 * Computations go through one queue, so that invalidating thousands of rooms at once (a
 * minute boundary, Redis coming back, master data) never blocks the event loop or floods
 * Redis: at most `concurrency` run at once and at most `startsPerTurn` start per turn of the
 * event loop. The queue serves first results (a subscriber waits for its ack) before changes
 * from ingest, and those before background refreshes (time, recovery, master data).
 *
 * Rolling windows are refreshed at the instant their figures can next change without ingest
 * (`nextRefreshAt`, e.g. the next minute for `PT1H`, the next midnight for `today`), on one
 * timer for all rooms.
 */
import { createHash } from 'node:crypto'
import type { Query, QueryResult } from '../../protocol/query.ts'

export interface Room {
  /** subscription id sent to clients (short hash of the query key) */
  readonly id: string
  readonly key: string
  readonly query: Query
  version: number
  result: QueryResult | undefined
  /** hash of the figures (not of `asOf`/period ends), to skip pushes that change nothing */
  figures: string | undefined
  members: number
  dirty: boolean
  computing: Promise<void> | undefined
  lastRun: number
  timer: NodeJS.Timeout | undefined
  /** when the figures may next change without ingest (epoch ms), if ever */
  refreshAt: number | undefined
  /** queue the room waits in, if any */
  queued: Priority | undefined
  /** subscribers waiting for the first result */
  waiters: { resolve(): void; reject(err: unknown): void }[]
}

/** Queue order: first results, then changes from ingest, then background refreshes. */
export const PRIORITIES = ['first', 'change', 'background'] as const
export type Priority = (typeof PRIORITIES)[number]

export interface RoomRegistryOptions {
  compute(query: Query): Promise<QueryResult>
  /** called when a room's result changed; emit it to the room */
  publish(room: Room): void
  /** minimum ms between two computations of one room @default 250 */
  intervalMs: number
  onError(err: unknown, room: Room): void
  now?: () => number
  /** when a query's figures can next change without ingest (rolling windows); undefined: only on invalidation */
  nextRefreshAt?: (query: Query, now: number) => number | undefined
  /** computations in flight at once @default 8 */
  concurrency?: number
  /** computations started per turn of the event loop @default 4 */
  startsPerTurn?: number
  /** runs `fn` on a later turn of the event loop @default setImmediate */
  defer?: (fn: () => void) => void
  /** a failed refresh of a rolling window is retried after this many ms @default 5000 */
  retryMs?: number
}

/** Stable subscription id of a query key. */
export function subscriptionId(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 16)
}

/** The part of a result that clients display: a push is needed only when this changes. */
export function figuresOf(result: QueryResult): string {
  return JSON.stringify([result.total, result.series, result.groups, result.rows, result.reorder, result.movements, result.previous?.total, result.from])
}

/** Longest single wait of the refresh timer: it re-reads the clock, so a wall-clock jump is caught within this. */
const MAX_TIMER_WAIT = 60_000

/** Thrown to subscribers still waiting for a first result when their room is dropped. */
export class RoomDroppedError extends Error {
  override readonly name = 'RoomDroppedError'
}

export class RoomRegistry {
  private readonly rooms = new Map<string, Room>()
  private readonly now: () => number
  private readonly concurrency: number
  private readonly startsPerTurn: number
  private readonly defer: (fn: () => void) => void
  private readonly queues: Record<Priority, Set<Room>> = { first: new Set(), change: new Set(), background: new Set() }
  private inFlight = 0
  private startedThisTurn = 0
  private turnPending = false
  /** rooms by the instant of their next rolling refresh */
  private readonly refreshes = new Map<number, Set<Room>>()
  private refreshTimer: NodeJS.Timeout | undefined
  private refreshTimerAt = Infinity
  private stopped = false
  private computations = 0

  constructor(private readonly o: RoomRegistryOptions) {
    this.now = o.now ?? Date.now
    this.concurrency = o.concurrency ?? 8
    this.startsPerTurn = o.startsPerTurn ?? 4
    this.defer = o.defer ?? ((fn) => void setImmediate(fn))
  }

  get size(): number {
    return this.rooms.size
  }

  /** computations started since the registry was created (for tests and measurements) */
  get computed(): number {
    return this.computations
  }

  /** rooms waiting in the queue, and computations running */
  get pending(): { queued: number; running: number } {
    return { queued: this.queues.first.size + this.queues.change.size + this.queues.background.size, running: this.inFlight }
  }

  /** rooms with a rolling refresh scheduled */
  get scheduled(): number {
    let n = 0
    for (const set of this.refreshes.values()) n += set.size
    return n
  }

  get(id: string): Room | undefined {
    return this.rooms.get(id)
  }

  has(id: string): boolean {
    return this.rooms.has(id)
  }

  all(): IterableIterator<Room> {
    return this.rooms.values()
  }

  /** adds a member to the room of a query (creating it) */
  join(query: Query, key: string, id: string = subscriptionId(key)): Room {
    let room = this.rooms.get(id)
    if (room === undefined) {
      room = {
        id,
        key,
        query,
        version: 0,
        result: undefined,
        figures: undefined,
        members: 0,
        dirty: true,
        computing: undefined,
        lastRun: 0,
        timer: undefined,
        refreshAt: undefined,
        queued: undefined,
        waiters: [],
      }
      this.rooms.set(id, room)
    }
    room.members++
    return room
  }

  /** removes a member; an empty room is dropped with its timers, its place in the queue and its waiters */
  leave(id: string): void {
    const room = this.rooms.get(id)
    if (room === undefined) return
    room.members--
    if (room.members > 0) return
    this.drop(room)
  }

  /** the room's current result, computing it first (ahead of other work) when there is none yet */
  async current(room: Room): Promise<{ version: number; result: QueryResult }> {
    if (room.result === undefined) {
      if (!this.rooms.has(room.id)) throw new RoomDroppedError('the subscription was dropped')
      await new Promise<void>((resolve, reject) => {
        room.waiters.push({ resolve, reject })
        if (room.computing === undefined) {
          room.dirty = true
          this.enqueue(room, 'first')
        }
      })
    }
    return { version: room.version, result: room.result! }
  }

  /**
   * Marks the matching rooms dirty and schedules their computation: `change` for what ingest
   * moved, `background` for refreshes that may wait behind it (recovery, master data).
   */
  invalidate(match: (room: Room) => boolean, priority: Exclude<Priority, 'first'> = 'change'): number {
    let n = 0
    for (const room of this.rooms.values()) {
      if (!match(room)) continue
      n++
      room.dirty = true
      this.schedule(room, priority)
    }
    return n
  }

  stop(): void {
    this.stopped = true
    if (this.refreshTimer) clearTimeout(this.refreshTimer)
    for (const room of [...this.rooms.values()]) this.drop(room)
  }

  private drop(room: Room): void {
    if (room.timer) clearTimeout(room.timer)
    room.timer = undefined
    if (room.queued) this.queues[room.queued].delete(room)
    room.queued = undefined
    this.unscheduleRefresh(room)
    this.rooms.delete(room.id)
    const waiters = room.waiters
    room.waiters = []
    for (const w of waiters) w.reject(new RoomDroppedError('the subscription was dropped'))
  }

  /** queues the room now, or when its coalescing interval has passed */
  private schedule(room: Room, priority: Priority): void {
    if (this.stopped || room.computing) return
    if (room.queued) {
      this.enqueue(room, priority) // may move it ahead
      return
    }
    if (room.timer) return
    const wait = room.lastRun + this.o.intervalMs - this.now()
    if (wait <= 0) {
      this.enqueue(room, priority)
      return
    }
    room.timer = setTimeout(() => {
      room.timer = undefined
      this.enqueue(room, priority)
    }, wait)
    room.timer.unref?.()
  }

  private enqueue(room: Room, priority: Priority): void {
    if (this.stopped || !this.rooms.has(room.id) || room.computing) return
    if (room.queued !== undefined) {
      if (PRIORITIES.indexOf(priority) >= PRIORITIES.indexOf(room.queued)) return
      this.queues[room.queued].delete(room)
    }
    if (room.timer) {
      clearTimeout(room.timer)
      room.timer = undefined
    }
    room.queued = priority
    this.queues[priority].add(room)
    this.pump()
  }

  private dequeue(): Room | undefined {
    for (const p of PRIORITIES) {
      const queue = this.queues[p]
      for (const room of queue) {
        queue.delete(room)
        room.queued = undefined
        return room
      }
    }
    return undefined
  }

  /** starts queued computations within the concurrency and the per-turn budget */
  private pump(): void {
    while (this.inFlight < this.concurrency) {
      if (this.startedThisTurn >= this.startsPerTurn) {
        this.nextTurn()
        return
      }
      const room = this.dequeue()
      if (room === undefined) return
      if (!room.dirty) continue
      this.startedThisTurn++
      this.nextTurn()
      this.run(room)
    }
  }

  /** the budget is per turn of the event loop: reset it (and carry on) on the next one */
  private nextTurn(): void {
    if (this.turnPending) return
    this.turnPending = true
    this.defer(() => {
      this.turnPending = false
      this.startedThisTurn = 0
      if (!this.stopped) this.pump()
    })
  }

  private run(room: Room): void {
    if (!room.dirty || room.computing) return
    room.dirty = false
    const startedAt = this.now()
    room.lastRun = startedAt
    this.inFlight++
    this.computations++
    room.computing = this.o
      .compute(room.query)
      .then(
        (result) => {
          const figures = figuresOf(result)
          const changed = figures !== room.figures
          const first = room.result === undefined
          room.result = result
          room.figures = figures
          const live = this.rooms.get(room.id) === room
          if (changed && !first) {
            room.version++
            if (live) this.o.publish(room)
          }
          const waiters = room.waiters
          room.waiters = []
          for (const w of waiters) w.resolve()
          // measured from when this computation began: a boundary crossed meanwhile is not skipped
          if (live) this.scheduleRefresh(room, this.o.nextRefreshAt?.(room.query, startedAt))
        },
        (err: unknown) => {
          // keep the last good result; try again on the next change or refresh
          this.o.onError(err, room)
          if (room.result === undefined) {
            room.dirty = true
            const waiters = room.waiters
            room.waiters = []
            for (const w of waiters) w.reject(err)
          } else if (this.rooms.get(room.id) === room) {
            const next = this.o.nextRefreshAt?.(room.query, startedAt)
            if (next !== undefined) this.scheduleRefresh(room, Math.min(next, this.now() + (this.o.retryMs ?? 5000)))
          }
          throw err
        },
      )
      .finally(() => {
        room.computing = undefined
        this.inFlight--
        if (room.dirty && room.result !== undefined && this.rooms.get(room.id) === room) this.schedule(room, 'change')
        this.pump()
      })
    room.computing.catch(() => {})
  }

  private scheduleRefresh(room: Room, at: number | undefined): void {
    this.unscheduleRefresh(room)
    if (at === undefined || !Number.isFinite(at) || this.stopped) return
    room.refreshAt = at
    let set = this.refreshes.get(at)
    if (set === undefined) {
      set = new Set()
      this.refreshes.set(at, set)
    }
    set.add(room)
    if (at < this.refreshTimerAt) this.armRefreshTimer(at)
  }

  private unscheduleRefresh(room: Room): void {
    if (room.refreshAt === undefined) return
    const set = this.refreshes.get(room.refreshAt)
    set?.delete(room)
    if (set?.size === 0) this.refreshes.delete(room.refreshAt)
    room.refreshAt = undefined
  }

  private armRefreshTimer(at: number): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer)
    this.refreshTimerAt = at
    this.refreshTimer = setTimeout(() => this.refreshDue(), Math.min(MAX_TIMER_WAIT, Math.max(0, at - this.now())))
    this.refreshTimer.unref?.()
  }

  /** rooms whose boundary has passed are refreshed (through the queue, behind changes from ingest) */
  private refreshDue(): void {
    this.refreshTimer = undefined
    this.refreshTimerAt = Infinity
    if (this.stopped) return
    const now = this.now()
    let earliest = Infinity
    for (const [at, set] of this.refreshes) {
      if (at > now) {
        earliest = Math.min(earliest, at)
        continue
      }
      this.refreshes.delete(at)
      for (const room of set) {
        room.refreshAt = undefined
        room.dirty = true
        this.schedule(room, 'background')
      }
    }
    if (earliest !== Infinity) this.armRefreshTimer(earliest)
  }
}
