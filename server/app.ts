/**
 * buildApp: the whole server as one Fastify instance, plugins registered in an explicit
 * order (external → services → routes) so the flow ingest → aggregate → publish → realtime
 * reads top to bottom.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { CockpitConfig } from './config.ts'
import { redisPlugin } from './redis/plugin.ts'
import { changesPlugin } from './plugins/changes.ts'
import { errorsPlugin } from './plugins/errors.ts'
import { authPlugin } from './plugins/auth.ts'
import { masterDataPlugin } from './plugins/master-data.ts'
import { aggregatePlugin } from './plugins/aggregate.ts'
import { fxRatesPlugin } from './plugins/fx-rates.ts'
import { ingestRoutes } from './plugins/ingest.ts'
import { queryPlugin } from './plugins/query.ts'
import { healthRoutes } from './plugins/health.ts'
import { realtimePlugin } from './plugins/realtime.ts'
import { screenStatic } from './plugins/screen-static.ts'
import { tokensRoutes } from './plugins/tokens.ts'
import { screensPlugin } from './plugins/screens.ts'
import { wallsRoutes } from './plugins/walls.ts'

export interface BuildAppOptions {
  config: CockpitConfig
  /** pino options or false @default { level: config.logLevel } */
  logger?: boolean | { level: string }
}

export async function buildApp({ config, logger }: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logger ?? { level: config.logLevel },
    bodyLimit: config.bodyLimit,
    // graceful shutdown: refuse new requests, let in-flight batches finish
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<TypeBoxTypeProvider>()

  // external services
  await app.register(redisPlugin, { config })
  await app.register(changesPlugin)
  await app.register(errorsPlugin)
  // app services
  await app.register(authPlugin)
  await app.register(masterDataPlugin)
  await app.register(aggregatePlugin)
  await app.register(fxRatesPlugin)
  await app.register(queryPlugin)
  // routes and gateways
  await app.register(healthRoutes)
  await app.register(ingestRoutes)
  await app.register(realtimePlugin)
  // screens announce changes and walls are driven through the socket gateway
  await app.register(tokensRoutes)
  await app.register(screensPlugin)
  await app.register(wallsRoutes)
  await app.register(screenStatic)
  return app
}
