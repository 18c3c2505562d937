/**
 * A load balancer's view of a server under test: GET /healthz one probe after another while some
 * work runs. Every probe must answer 200 (a failed probe fails the test when the probe stops).
 */
import { expect } from 'vitest'

/** A few requests first: the first pays for connecting and compiling, a load balancer sees a warm server. */
export async function warmHealth(url: string): Promise<void> {
  for (let i = 0; i < 3; i++) await (await fetch(`${url}/healthz`)).arrayBuffer()
}

export interface HealthProbe {
  /** ends the probing once at least `min` probes were made; every probe's time in ms */
  stop(): Promise<number[]>
}

/** Probes `url`/healthz, `everyMs` between one answer and the next probe, until `stop()`; `onProbe` runs after each. */
export function probeHealth(url: string, o: { everyMs?: number; min?: number; onProbe?: () => void } = {}): HealthProbe {
  const { everyMs = 20, min = 0 } = o
  const ms: number[] = []
  let running = true
  const loop = (async () => {
    while (running || ms.length < min) {
      const t = performance.now()
      const res = await fetch(`${url}/healthz`)
      await res.arrayBuffer()
      expect(res.status).toBe(200)
      ms.push(performance.now() - t)
      o.onProbe?.()
      await new Promise((r) => setTimeout(r, everyMs))
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return ms
    },
  }
}

/** Runs `work` while probing; its result and the probes' times in ms (the probing ends with the work). */
export async function whileProbing<T>(
  url: string,
  work: () => Promise<T>,
  o: { everyMs?: number; min?: number; onProbe?: () => void } = {},
): Promise<{ result: T; probes: number[] }> {
  const probe = probeHealth(url, o)
  try {
    const result = await work()
    return { result, probes: await probe.stop() }
  } finally {
    // stopped in any case; when the work failed, its error is the one reported
    await probe.stop().catch(() => {})
  }
}
