/**
 * Serves the built screen (dist/screen) on the API's port, with the SPA's routes
 * (/wall, /tablet, /embed/..., /editor) answered by index.html.
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import fp from 'fastify-plugin'
import fastifyStatic from '@fastify/static'

export const screenStatic = fp(
  async (fastify) => {
    const dir = resolve(fastify.config.screenDir ?? 'dist/screen')
    if (!existsSync(resolve(dir, 'index.html'))) {
      fastify.log.warn({ dir }, 'no built screen found (run `npm run build`); serving the API only')
      return
    }
    await fastify.register(fastifyStatic, { root: dir, wildcard: false, index: ['index.html'] })
    fastify.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0] ?? '/'
      if (request.method === 'GET' && !path.startsWith('/api/') && !path.startsWith('/socket.io') && !/\.[a-z0-9]+$/i.test(path)) {
        return reply.sendFile('index.html')
      }
      return reply.status(404).send({ error: 'COCKPIT_ERR_NOT_FOUND', message: `no route ${request.method} ${path}` })
    })
  },
  { name: 'screen-static', dependencies: ['redis'] },
)
