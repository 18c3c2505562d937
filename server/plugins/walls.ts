/**
 * Wall control: a wall's browser names itself with Socket.IO `joinWall(name)`;
 * `POST /walls/:wall/show` (admin, under API_PREFIX) tells every wall of that name, on every
 * server process (Socket.IO Redis adapter), to put up a screen now.
 */
import type { FastifyInstance } from 'fastify'
import Type from 'typebox'
import { SCREEN_ID_PATTERN } from '../../protocol/screen.ts'
import { CockpitError } from '../errors.ts'
import { WALL_NAME_PATTERN, wallRoom } from './realtime.ts'

const ErrorBody = Type.Object({ error: Type.String(), message: Type.String() })

export async function wallsRoutes(fastify: FastifyInstance): Promise<void> {
  const { io, screens } = fastify
  fastify.post(
    '/walls/:wall/show',
    {
      onRequest: fastify.requireRole('admin'),
      schema: {
        description: 'Show a stored screen on every wall that joined this name now',
        params: Type.Object({ wall: Type.String({ pattern: WALL_NAME_PATTERN, description: 'wall name, as the wall passed to joinWall' }) }),
        body: Type.Object({ screen: Type.String({ pattern: SCREEN_ID_PATTERN, description: 'id of a stored screen' }) }, { additionalProperties: false }),
        response: {
          200: Type.Object({ delivered: Type.Integer({ description: 'sockets of that wall name that were sent the command, over all server processes' }) }),
          400: ErrorBody,
          401: ErrorBody,
          404: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request) => {
      const { wall } = request.params as { wall: string }
      const { screen } = request.body as { screen: string }
      if (!(await screens.get(screen))) throw new CockpitError('COCKPIT_ERR_SCREEN_NOT_FOUND', `no screen "${screen}"`)
      const room = wallRoom(wall)
      // counts the wall's sockets on every process (the adapter asks the others), then tells them
      let delivered: number
      try {
        delivered = (await io.in(room).fetchSockets()).length
      } catch (err) {
        request.log.warn({ err }, 'wall sockets could not be counted across processes')
        throw new CockpitError('COCKPIT_ERR_REDIS_UNAVAILABLE', 'the other server processes did not answer in time; nothing was sent, retry')
      }
      io.to(room).emit('show', { wall, screen, at: fastify.aggregator.calendar.format(Date.now()) })
      return { delivered }
    },
  )
}
