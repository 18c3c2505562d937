/**
 * Spreads a burst over turns of the event loop: at most `perTurn` jobs start per turn, the rest
 * wait in arrival order, and at most `maxWaiting` wait. New connections pass through it: a few
 * hundred walls reconnecting at once (a server restart, a network coming back) otherwise start
 * their handshakes — upgrade, session, token check, first messages — in the same turn, and
 * `/healthz` and every other socket wait behind them all (docs/operations.md, "Live queries and
 * sockets").
 */
export class TurnGate {
  private waiting: (() => void)[] = []
  private next = 0
  private scheduled = false

  constructor(
    private readonly perTurn: number,
    private readonly maxWaiting: number,
    private readonly defer: (fn: () => void) => void = (fn) => void setImmediate(fn),
  ) {}

  /** jobs waiting for a turn */
  get size(): number {
    return this.waiting.length - this.next
  }

  /** queues `job` for a later turn; false (nothing queued) when `maxWaiting` already wait */
  admit(job: () => void): boolean {
    if (this.size >= this.maxWaiting) return false
    this.waiting.push(job)
    if (!this.scheduled) {
      this.scheduled = true
      this.defer(this.turn)
    }
    return true
  }

  private readonly turn = (): void => {
    const batch = this.waiting.slice(this.next, this.next + this.perTurn)
    this.next += batch.length
    if (this.next === this.waiting.length) {
      this.waiting = []
      this.next = 0
      this.scheduled = false
    } else {
      // the next turn is booked before these run: a job that throws does not strand the rest
      if (this.next >= 1024) {
        this.waiting = this.waiting.slice(this.next)
        this.next = 0
      }
      this.defer(this.turn)
    }
    for (const job of batch) job()
  }
}
