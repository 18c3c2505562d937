/** A small seeded PRNG (mulberry32) and helpers: the same seed gives the same world and stream. */

export interface Random {
  /** uniform in [0, 1) */
  next(): number
  /** integer in [min, max] */
  int(min: number, max: number): number
  /** uniform in [min, max) */
  between(min: number, max: number): number
  pick<T>(items: readonly T[]): T
  /** item chosen with probability proportional to its weight */
  weighted<T>(items: readonly T[], weight: (item: T) => number): T
  chance(p: number): boolean
  /** exponential waiting time with the given mean */
  exponential(mean: number): number
  /** number of events of a Poisson process with this mean */
  poisson(mean: number): number
}

export function createRandom(seed: number): Random {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const r: Random = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    between: (min, max) => min + next() * (max - min),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    weighted(items, weight) {
      let total = 0
      for (const item of items) total += weight(item)
      let x = next() * total
      for (const item of items) {
        x -= weight(item)
        if (x < 0) return item
      }
      return items[items.length - 1]!
    },
    chance: (p) => next() < p,
    exponential: (mean) => -Math.log(1 - next()) * mean,
    poisson(mean) {
      if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * (next() + next() + next() - 1.5) * 2))
      const limit = Math.exp(-mean)
      let k = 0
      let p = next()
      while (p > limit) {
        k++
        p *= next()
      }
      return k
    },
  }
  return r
}
