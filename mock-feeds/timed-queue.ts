/** Something due at `at` (ms); `seq` keeps the order of things due at the same moment. */
export interface Timed {
  at: number
  seq: number
}

const earlier = (x: Timed, y: Timed) => x.at < y.at || (x.at === y.at && x.seq < y.seq)

/** A binary min-heap of things by when they are due, ties by `seq`: the generators' event queue. */
export class TimedQueue<T extends Timed> {
  private items: T[] = []
  get size() {
    return this.items.length
  }
  peek(): T | undefined {
    return this.items[0]
  }
  push(p: T): void {
    const a = this.items
    a.push(p)
    let i = a.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!earlier(a[i]!, a[parent]!)) break
      ;[a[i], a[parent]] = [a[parent]!, a[i]!]
      i = parent
    }
  }
  pop(): T | undefined {
    const a = this.items
    const top = a[0]
    const last = a.pop()
    if (a.length > 0 && last) {
      a[0] = last
      for (let i = 0; ;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && earlier(a[l]!, a[m]!)) m = l
        if (r < a.length && earlier(a[r]!, a[m]!)) m = r
        if (m === i) break
        ;[a[i], a[m]] = [a[m]!, a[i]!]
        i = m
      }
    }
    return top
  }
}
