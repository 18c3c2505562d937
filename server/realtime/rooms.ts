/**
 * Subscription rooms: one per distinct query, shared by every socket that asked for it, with
 * one computation per push (never one per client). Pushes are coalesced per room: the first
 * change after a quiet period is computed at once (leading edge), later ones at most once per
 * interval (trailing edge), and a room is never computed twice at the same time.
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
}

export interface RoomRegistryOptions {
  compute(query: Query): Promise<QueryResult>
  /** called when a room's result changed; emit it to the room */
  publish(room: Room): void
  /** minimum ms between two computations of one room @default 250 */
  intervalMs: number
  onError(err: unknown, room: Room): void
  now?: () => number
}

/** Stable subscription id of a query key. */
export function subscriptionId(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 16)
}

/** The part of a result that clients display: a push is needed only when this changes. */
export function figuresOf(result: QueryResult): string {
  return JSON.stringify([result.total, result.series, result.groups, result.rows, result.movements, result.previous?.total, result.from])
}

export class RoomRegistry {
  private readonly rooms = new Map<string, Room>()
  private readonly now: () => number
  private stopped = false

  constructor(private readonly o: RoomRegistryOptions) {
    this.now = o.now ?? Date.now
  }

  get size(): number {
    return this.rooms.size
  }

  get(id: string): Room | undefined {
    return this.rooms.get(id)
  }

  all(): IterableIterator<Room> {
    return this.rooms.values()
  }

  /** adds a member to the room of a query (creating it) */
  join(query: Query, key: string): Room {
    const id = subscriptionId(key)
    let room = this.rooms.get(id)
    if (room === undefined) {
      room = { id, key, query, version: 0, result: undefined, figures: undefined, members: 0, dirty: true, computing: undefined, lastRun: 0, timer: undefined }
      this.rooms.set(id, room)
    }
    room.members++
    return room
  }

  /** removes a member; an empty room is dropped with its timer */
  leave(id: string): void {
    const room = this.rooms.get(id)
    if (room === undefined) return
    room.members--
    if (room.members > 0) return
    if (room.timer) clearTimeout(room.timer)
    this.rooms.delete(id)
  }

  /** the room's current result, computing it first when there is none yet */
  async current(room: Room): Promise<{ version: number; result: QueryResult }> {
    while (room.result === undefined) {
      if (room.computing === undefined) {
        room.dirty = true
        this.run(room)
      }
      await room.computing // rejects when the computation failed
    }
    return { version: room.version, result: room.result }
  }

  /** marks rooms dirty and schedules their push */
  invalidate(match: (room: Room) => boolean): void {
    for (const room of this.rooms.values()) {
      if (!match(room)) continue
      room.dirty = true
      this.schedule(room)
    }
  }

  stop(): void {
    this.stopped = true
    for (const room of this.rooms.values()) if (room.timer) clearTimeout(room.timer)
    this.rooms.clear()
  }

  private schedule(room: Room): void {
    if (this.stopped || room.computing || room.timer) return
    const wait = room.lastRun + this.o.intervalMs - this.now()
    if (wait <= 0) {
      this.run(room)
      return
    }
    room.timer = setTimeout(() => {
      room.timer = undefined
      this.run(room)
    }, wait)
    room.timer.unref?.()
  }

  private run(room: Room): void {
    if (!room.dirty || room.computing) return
    room.dirty = false
    room.lastRun = this.now()
    room.computing = this.o
      .compute(room.query)
      .then(
        (result) => {
          const figures = figuresOf(result)
          const changed = figures !== room.figures
          const first = room.result === undefined
          room.result = result
          room.figures = figures
          if (changed && !first) {
            room.version++
            if (this.rooms.get(room.id) === room) this.o.publish(room)
          }
        },
        (err: unknown) => {
          // keep the last good result; try again on the next change or refresh
          this.o.onError(err, room)
          if (room.result === undefined) room.dirty = true
          throw err
        },
      )
      .finally(() => {
        room.computing = undefined
        if (room.dirty && room.result !== undefined) this.schedule(room)
      })
    room.computing.catch(() => {})
  }
}
