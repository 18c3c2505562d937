/**
 * How many messages a connection may send: a token bucket. A screen sends a burst when it
 * connects or changes screen (a subscribe per query, an unsubscribe per query it lets go) and
 * then next to nothing; a connection that keeps sending faster than the bucket refills is not a
 * screen, and is closed (docs/operations.md, "Live queries and sockets").
 */
export class MessageBudget {
  private tokens: number
  private at: number

  /** `burst` messages at once, then `perSecond` on average; `now` in ms */
  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    now: number,
  ) {
    this.tokens = burst
    this.at = now
  }

  /** spends one message at `now` (ms); false when none is left */
  take(now: number): boolean {
    if (now > this.at) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.perSecond) / 1000)
      this.at = now
    }
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}
