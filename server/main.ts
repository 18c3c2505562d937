/**
 * Production entry: read configuration, listen, shut down gracefully on SIGTERM/SIGINT.
 * With COCKPIT_WORKERS=N (or `--workers N`), N > 1, this process becomes the primary of N worker
 * processes on the same port (server/cli/workers.ts); each worker runs this file again as a server.
 */
import cluster from 'node:cluster'
import type { Socket } from 'node:net'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { buildApp, redactingLogOptions } from './app.ts'
import { loadConfig } from './config.ts'
import { superviseWorkers } from './cli/workers.ts'

/** Longest a shutdown waits for open connections before closing them (the primary kills a worker after 30 s). */
const SHUTDOWN_DRAIN_MS = 12_000

function fail(message: string, code: number): never {
  process.stderr.write(`erp-cockpit: ${message}\n`)
  process.exit(code)
}

let workersArg: string | undefined
try {
  workersArg = parseArgs({ options: { workers: { type: 'string' } }, allowPositionals: false }).values.workers
} catch (err) {
  fail(`${(err as Error).message}\n  usage: npm start [-- --workers N]`, 2)
}
let config
try {
  config = loadConfig(workersArg === undefined ? process.env : { ...process.env, COCKPIT_WORKERS: workersArg })
} catch (err) {
  fail((err as Error).message, 2)
}
if (config.ingestKeys.length === 0 || !config.adminKey) {
  fail('COCKPIT_INGEST_KEYS and COCKPIT_ADMIN_KEY must be set (see README "Configuration").\n' + '  `npm run demo` generates both for a local trial.', 2)
}

if (config.workers > 1 && cluster.isPrimary) {
  superviseWorkers({ workers: config.workers, log: pino({ ...redactingLogOptions(config.logLevel), name: 'primary' }) })
} else {
  const app = await buildApp({ config })
  // every open connection, so a shutdown can end the ones that hold it up past SHUTDOWN_DRAIN_MS
  const connections = new Set<Socket>()
  app.server.on('connection', (socket: Socket) => {
    connections.add(socket)
    socket.once('close', () => connections.delete(socket))
  })
  let closing = false
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      if (closing) return
      closing = true
      app.log.info({ signal }, 'shutting down: finishing in-flight requests')
      // Fastify closes idle connections at once and waits for busy ones; a connection that never sent a
      // request (a worker may be handed one while it closes) would otherwise hold the exit until Node's
      // header timeout. In-flight batches end well before this: a Redis command times out at 10 s.
      setTimeout(() => {
        if (connections.size > 0) app.log.warn({ connections: connections.size }, `connections still open ${SHUTDOWN_DRAIN_MS} ms after ${signal}: closed`)
        for (const socket of connections) socket.destroy()
      }, SHUTDOWN_DRAIN_MS).unref()
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
}
