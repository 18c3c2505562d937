/**
 * A 400 names the first rejected movements and counts them all: a body of 200,000 bad lines
 * must not build (nor send) 200,000 error objects.
 */
import { MAX_LISTED_REJECTIONS } from '../../protocol/movement.ts'
import type { RejectedMovement } from '../../protocol/movement.ts'

/** Rejections kept up to a cap, counted in full. */
export class RejectionList {
  /** the first `cap` rejections added */
  readonly first: RejectedMovement[] = []
  /** how many were added in all */
  count = 0

  /** @param cap rejections kept in full @default MAX_LISTED_REJECTIONS */
  constructor(readonly cap: number = MAX_LISTED_REJECTIONS) {}

  /** true while a rejection added now would be kept: its details are worth building */
  get listing(): boolean {
    return this.first.length < this.cap
  }

  add(r: RejectedMovement): void {
    this.count++
    if (this.first.length < this.cap) this.first.push(r)
  }

  /** adds every rejection of `all` (only the first `cap` are kept) */
  addAll(all: readonly RejectedMovement[]): void {
    for (const r of all) this.add(r)
  }
}

/** What a 400 carries: the `cap` rejections of lowest index over all lists, and the total count. */
export interface RejectionSummary {
  rejected: RejectedMovement[]
  rejectedCount: number
}

/**
 * Merges lists whose rejections were each added in index order: the lowest `cap` indexes overall
 * are among the first `cap` of each list, so the merge is exact although each list kept only those.
 */
export function summarizeRejections(lists: readonly RejectionList[], cap: number = MAX_LISTED_REJECTIONS): RejectionSummary {
  const rejected = lists
    .flatMap((l) => l.first)
    .sort((a, b) => a.index - b.index)
    .slice(0, cap)
  return { rejected, rejectedCount: lists.reduce((n, l) => n + l.count, 0) }
}
