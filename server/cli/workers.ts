/**
 * The primary of `COCKPIT_WORKERS=N` (or `--workers N`): forks N server processes that share
 * one port through node:cluster (the primary accepts connections and hands them to the workers
 * in turn), restarts a worker that dies with a growing back-off, and turns SIGTERM/SIGINT into a
 * graceful shutdown of every worker. It serves nothing itself. docs/operations.md "Worker processes".
 */
import cluster from 'node:cluster'
import type { Worker } from 'node:cluster'
import type { Logger } from 'pino'

/** First restart delay; it doubles with each quick death in a row, up to MAX_RESTART_DELAY_MS. */
export const FIRST_RESTART_DELAY_MS = 100
export const MAX_RESTART_DELAY_MS = 10_000
/** A worker that ran at least this long before dying resets the back-off. */
export const STABLE_AFTER_MS = 10_000
/** Workers still running this long after SIGTERM are killed. */
export const SHUTDOWN_GRACE_MS = 30_000

/** Delay before restarting a worker after `quickDeaths` deaths in a row (0 = the first). */
export function restartDelay(quickDeaths: number): number {
  return Math.min(FIRST_RESTART_DELAY_MS * 2 ** Math.min(quickDeaths, 20), MAX_RESTART_DELAY_MS)
}

export interface SuperviseOptions {
  workers: number
  log: Logger
  /** extra environment of every worker */
  env?: Record<string, string>
}

/**
 * Runs the primary until every worker has exited after a shutdown signal; then exits 0 when
 * all of them exited 0, else 1. Exits 1 at once if the first workers cannot start (a worker
 * that exits before any worker ever listened: bad port, bad configuration).
 */
export function superviseWorkers({ workers, log, env = {} }: SuperviseOptions): void {
  let stopping = false
  let everListened = false
  let quickDeaths = 0
  let failed = false
  const startedAt = new Map<Worker, number>()
  const pendingRestarts = new Set<NodeJS.Timeout>()

  const fork = () => {
    const worker = cluster.fork({ ...env, COCKPIT_WORKERS: String(workers) })
    startedAt.set(worker, Date.now())
    worker.once('listening', () => {
      everListened = true
    })
  }

  const stop = (reason: string) => {
    if (stopping) return
    stopping = true
    log.info({ reason, workers: Object.keys(cluster.workers ?? {}).length }, 'shutting down the workers')
    for (const t of pendingRestarts) clearTimeout(t)
    pendingRestarts.clear()
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM')
    setTimeout(() => {
      for (const worker of Object.values(cluster.workers ?? {})) {
        log.warn({ pid: worker?.process.pid }, `worker still running ${SHUTDOWN_GRACE_MS} ms after SIGTERM: killed`)
        worker?.process.kill('SIGKILL')
      }
    }, SHUTDOWN_GRACE_MS).unref()
    exitWhenDone()
  }

  const exitWhenDone = () => {
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failed ? 1 : 0)
  }

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker) ?? Date.now())
    startedAt.delete(worker)
    if (stopping) {
      // a worker still starting when SIGTERM came has no handler yet: ended by the signal, not failed
      if (code !== 0 && signal !== 'SIGTERM') failed = true
      return exitWhenDone()
    }
    if (!everListened) {
      log.error({ pid: worker.process.pid, code, signal }, 'a worker exited before the server listened: stopping')
      failed = true
      return stop('startup failure')
    }
    quickDeaths = lived >= STABLE_AFTER_MS ? 0 : quickDeaths + 1
    const delay = restartDelay(Math.max(0, quickDeaths - 1))
    log.error({ pid: worker.process.pid, code, signal, livedMs: lived, restartInMs: delay }, 'a worker died: restarting it')
    const timer = setTimeout(() => {
      pendingRestarts.delete(timer)
      if (!stopping) fork()
    }, delay)
    pendingRestarts.add(timer)
  })

  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => stop(signal))
  log.info({ workers }, 'starting worker processes')
  for (let i = 0; i < workers; i++) fork()
}
