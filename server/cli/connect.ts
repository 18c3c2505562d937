/**
 * npm run connect — a worker process that runs database sources without serving HTTP
 * (docs/connectors.md). It shares the cockpit's Redis (REDIS_URL, COCKPIT_KEY_PREFIX) and
 * configuration; every source runs in one process at a time (a Redis lease), so any number of
 * workers and servers may run side by side: when one stops, another takes its sources over from
 * their watermarks. Database URLs come from the environment variables the sources name.
 */
import { buildApp } from '../app.ts'
import { loadConfig } from '../config.ts'

function fail(message: string): never {
  process.stderr.write(`erp-cockpit connect: ${message}\n`)
  process.exit(2)
}

let config
try {
  config = loadConfig(process.env)
} catch (err) {
  fail((err as Error).message)
}
// the worker exists to run sources: COCKPIT_SOURCES applies to servers
const app = await buildApp({ config: { ...config, sources: { ...config.sources, run: true } } })
await app.ready()
app.log.info({ holder: app.sources.runnerDeps.holder }, 'connect worker running sources (no HTTP)')

let closing = false
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'stopping: finishing the pages in flight, releasing the leases')
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  })
}
