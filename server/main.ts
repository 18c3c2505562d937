/** Production entry: read configuration, listen, shut down gracefully on SIGTERM/SIGINT. */
import { buildApp } from './app.ts'
import { loadConfig } from './config.ts'

const config = loadConfig()
if (config.ingestKeys.length === 0 || !config.adminKey) {
  process.stderr.write(
    'erp-cockpit: COCKPIT_INGEST_KEYS and COCKPIT_ADMIN_KEY must be set (see README "Configuration").\n' + '  `npm run demo` generates both for a local trial.\n',
  )
  process.exit(2)
}
const app = await buildApp({ config })
let closing = false
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down: finishing in-flight requests')
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  })
}
try {
  await app.listen({ port: config.port, host: config.host })
} catch (err) {
  app.log.error({ err }, 'cannot listen')
  process.exit(1)
}
