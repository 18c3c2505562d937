/**
 * The message-bus intake as a Fastify service (server/intake/nats.ts), started once the server
 * is ready when COCKPIT_NATS_URL is set and stopped before it closes; and `GET /intake` (under
 * API_PREFIX): this process's intake state, the counters summed over every process (kept in
 * Redis) and the shared consumer as the broker sees it.
 */
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import Type from 'typebox'
import { createNatsIntake, INTAKE_COUNTERS } from '../intake/nats.ts'
import type { IntakeCounters, NatsIntake } from '../intake/nats.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** the NATS JetStream intake, when configured */
    natsIntake: NatsIntake | undefined
  }
}

/** How often the counters this process gathered are added to the shared ones in Redis. */
const FLUSH_MS = 1000

export const intakePlugin = fp(
  async (fastify) => {
    const { config, redis, keys } = fastify
    const nats = config.nats
    if (!nats) {
      fastify.decorate('natsIntake', undefined)
      return
    }
    // counted here, added to Redis in one HINCRBY round trip a second (kept while Redis is down)
    let unflushed: Partial<IntakeCounters> = {}
    const intake = createNatsIntake({
      config: nats,
      validate: { baseCurrency: config.currency, foreignCurrencies: true },
      convert: (movements) => fastify.fxRates.convert(movements),
      apply: (movements) => fastify.aggregator.apply(movements),
      redisUp: () => fastify.redisState.up && fastify.aggregator.ready,
      log: fastify.log.child({ intake: 'nats' }),
      onCounts(delta) {
        for (const [k, v] of Object.entries(delta) as [keyof IntakeCounters, number][]) unflushed[k] = (unflushed[k] ?? 0) + v
      },
    })
    const flush = async () => {
      const delta = Object.entries(unflushed).filter(([, v]) => v !== 0)
      if (delta.length === 0 || !fastify.redisState.up) return
      unflushed = {}
      const tx = redis.multi()
      for (const [k, v] of delta) tx.hincrby(keys.intake('nats'), k, v)
      try {
        await tx.exec()
      } catch {
        for (const [k, v] of delta) unflushed[k as keyof IntakeCounters] = (unflushed[k as keyof IntakeCounters] ?? 0) + v
      }
    }
    const timer = setInterval(() => void flush(), FLUSH_MS)
    timer.unref()
    fastify.decorate('natsIntake', intake)
    // listening first: the intake never holds up start-up, nor readiness
    fastify.addHook('onReady', async () => intake.start())
    // before Redis closes: the group in hand is applied and acknowledged, the rest comes back to the broker
    fastify.addHook('preClose', async () => {
      await intake.stop()
      clearInterval(timer)
      await flush()
    })
  },
  { name: 'intake', dependencies: ['redis', 'aggregate', 'fx-rates', 'auth'] },
)

const Counters = Type.Object(Object.fromEntries(INTAKE_COUNTERS.map((k) => [k, Type.Integer()])) as Record<(typeof INTAKE_COUNTERS)[number], ReturnType<typeof Type.Integer>>)

const IntakeBody = Type.Object({
  nats: Type.Union([
    Type.Null(),
    Type.Object({
      state: Type.Union(['connecting', 'running', 'waiting-redis', 'failing', 'stopped'].map((s) => Type.Literal(s))),
      connected: Type.Boolean(),
      servers: Type.Array(Type.String()),
      stream: Type.String(),
      subject: Type.String(),
      durable: Type.String(),
      deadLetterSubject: Type.String(),
      pid: Type.Integer(),
      counters: Counters,
      totals: Type.Union([Counters, Type.Null()]),
      consumer: Type.Union([Type.Null(), Type.Object({ pending: Type.Integer(), ackPending: Type.Integer(), redelivered: Type.Integer(), waiting: Type.Integer() })]),
      lastAppliedAt: Type.Union([Type.String(), Type.Null()]),
      lastError: Type.Union([Type.Null(), Type.Object({ message: Type.String(), at: Type.String() })]),
    }),
  ]),
})
const ErrorBody = Type.Object({ error: Type.String(), message: Type.String() })

export async function intakeRoutes(fastify: FastifyInstance): Promise<void> {
  fastify.get(
    '/intake',
    {
      onRequest: fastify.requireRole('admin'),
      schema: { description: 'State and counters of the message-bus intake', response: { 200: IntakeBody, 401: ErrorBody, 403: ErrorBody } },
    },
    async () => {
      const intake = fastify.natsIntake
      if (!intake) return { nats: null }
      const status = intake.status()
      let totals: IntakeCounters | null = null
      if (fastify.redisState.up) {
        try {
          const raw = await fastify.redis.hgetall(fastify.keys.intake('nats'))
          totals = Object.fromEntries(INTAKE_COUNTERS.map((k) => [k, Number(raw[k] ?? 0)])) as unknown as IntakeCounters
        } catch {
          totals = null
        }
      }
      const consumer = await intake.consumerInfo().catch(() => null)
      return { nats: { ...status, pid: process.pid, totals, consumer } }
    },
  )
}
