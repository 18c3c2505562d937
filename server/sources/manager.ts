/**
 * Runs the sources stored in Redis in this process: every `scanMs` it lists them and starts a
 * runner for each one that is not paused, whose connection variable this process has, and whose
 * lease it can take. Any number of server
 * processes and `npm run connect` workers can do the same against one Redis: the lease lets one
 * of them run a source at a time, and when that one stops (or dies: the lease lapses) another
 * takes over from the committed watermark.
 */
import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import { SourceRunner } from './runner.ts'
import type { RunnerDeps } from './runner.ts'

export interface SourceManager {
  /** ids of the sources this process runs now */
  running(): string[]
  /** one scan now (tests, and after a PUT so a new source starts without waiting) */
  scan(): Promise<void>
  stop(): Promise<void>
}

/** This process's identity as a lease holder. */
export function holderId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
}

export function createSourceManager(deps: RunnerDeps, opts: { scanMs?: number } = {}): SourceManager {
  const runners = new Map<string, SourceRunner>()
  /** sources this process leaves to others for want of their connection variable (said once each) */
  const unreachable = new Set<string>()
  let stopped = false
  let scanning: Promise<void> | undefined

  async function scanOnce(): Promise<void> {
    const sources = await deps.store.list()
    for (const s of sources) {
      if (stopped || s.paused || runners.has(s.id)) continue
      // a process without the URL must not take the lease from one that has it
      if (!deps.env[s.connectionEnv]) {
        if (!unreachable.has(s.id)) deps.log.info({ source: s.id, connectionEnv: s.connectionEnv }, 'source left to other processes: its connection variable is not set here')
        unreachable.add(s.id)
        continue
      }
      unreachable.delete(s.id)
      const runner = await SourceRunner.start(s.id, deps)
      if (!runner) continue
      deps.log.info({ source: s.id, kind: s.kind }, 'running source')
      runners.set(s.id, runner)
      void runner.done.finally(() => {
        if (runners.get(s.id) === runner) runners.delete(s.id)
      })
    }
  }

  const scan = () => {
    scanning ??= scanOnce()
      .catch((err: unknown) => deps.log.warn({ err }, 'source scan failed; retried at the next scan'))
      .finally(() => {
        scanning = undefined
      })
    return scanning
  }

  const timer = setInterval(() => void scan(), opts.scanMs ?? 2000)
  timer.unref()
  void scan()

  return {
    running: () => [...runners.keys()],
    scan,
    async stop() {
      stopped = true
      clearInterval(timer)
      await scanning
      await Promise.all([...runners.values()].map((r) => r.stop()))
    },
  }
}
