/**
 * npm run publish:nats -- [--url nats://127.0.0.1:4222] [--subject cockpit.movements] [--stream COCKPIT_MOVEMENTS --create-stream]
 *                         [--scenario retail] [--rate 20] [--seed 42] [--per-message 1] [--count N]
 *
 * An ERP that emits events, simulated: the scenario's movements (the same generators as `npm run
 * simulate`) published to a NATS JetStream subject as they happen, one movement per message by
 * default (`--per-message N`: JSON arrays of up to N). The cockpit's intake pulls them from its
 * durable consumer (docs/connectors.md "NATS JetStream"). Each message carries `Nats-Msg-Id` (the
 * movement id, or the first of the array), so JetStream itself drops a publish retried within its
 * duplicate window; past it, the cockpit's idempotent ids do.
 */
import { parseArgs } from 'node:util'
import { connect, JSONCodec, StorageType } from 'nats'
import type { Movement } from '../protocol/movement.ts'
import { SCENARIO_NAMES, buildScenario, isScenarioName } from './scenario-registry.ts'
import { createSimulator } from './simulator.ts'
import { sleep } from './feed.ts'

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.COCKPIT_NATS_URL ?? 'nats://127.0.0.1:4222' },
    subject: { type: 'string', default: process.env.COCKPIT_NATS_SUBJECT ?? 'cockpit.movements' },
    stream: { type: 'string', default: process.env.COCKPIT_NATS_STREAM ?? 'COCKPIT_MOVEMENTS' },
    'create-stream': { type: 'boolean', default: false },
    scenario: { type: 'string', default: 'retail' },
    rate: { type: 'string', default: '20' },
    seed: { type: 'string', default: '42' },
    'per-message': { type: 'string', default: '1' },
    count: { type: 'string' },
  },
})
const rate = Number(values.rate)
const perMessage = Number(values['per-message'])
const limit = values.count === undefined ? Infinity : Number(values.count)
if (!isScenarioName(values.scenario!) || !(rate > 0) || !(Number.isInteger(perMessage) && perMessage >= 1 && perMessage <= 5000) || !(limit > 0)) {
  process.stderr.write(
    `usage: npm run publish:nats -- [--url nats://127.0.0.1:4222] [--subject cockpit.movements] [--stream COCKPIT_MOVEMENTS --create-stream]\n` +
      `                              [--scenario ${SCENARIO_NAMES.join('|')}] [--rate <movements/s>] [--seed 42] [--per-message 1..5000] [--count N]\n`,
  )
  process.exit(2)
}

const nc = await connect({
  servers: values.url!.split(','),
  name: 'erp-cockpit publisher',
  maxReconnectAttempts: -1,
  ...(process.env.COCKPIT_NATS_USER ? { user: process.env.COCKPIT_NATS_USER, pass: process.env.COCKPIT_NATS_PASSWORD ?? '' } : {}),
  ...(process.env.COCKPIT_NATS_TOKEN ? { token: process.env.COCKPIT_NATS_TOKEN } : {}),
})
if (values['create-stream']) {
  const jsm = await nc.jetstreamManager()
  try {
    await jsm.streams.info(values.stream!)
  } catch {
    await jsm.streams.add({ name: values.stream!, subjects: [values.subject!], storage: StorageType.File })
    process.stdout.write(`stream ${values.stream} created for ${values.subject}\n`)
  }
}
const js = nc.jetstream()
const codec = JSONCodec<Movement | Movement[]>()
const controller = new AbortController()
process.once('SIGINT', () => controller.abort())
process.once('SIGTERM', () => controller.abort())

const seed = Number(values.seed)
const sim = createSimulator({ scenario: buildScenario(values.scenario, seed, { rate }), seed, rate, profile: 'flat', idPrefix: `nats-${seed}-${Date.now().toString(36)}` })
let published = 0
let messages = 0
let lastLog = Date.now()

/** publishes until the broker acknowledges (it may be restarting: JetStream keeps what it acknowledged) */
async function publish(body: Movement | Movement[], id: string): Promise<void> {
  for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
    try {
      await js.publish(values.subject!, codec.encode(body), { msgID: id })
      return
    } catch (err) {
      if (controller.signal.aborted) throw err
      process.stderr.write(`publish failed (${(err as Error).message}); retried in ${delay} ms\n`)
      await sleep(delay, controller.signal).catch(() => {})
    }
  }
}

try {
  while (!controller.signal.aborted && published < limit) {
    const started = Date.now()
    const due = sim.step(started).slice(0, limit - published)
    for (let i = 0; i < due.length && !controller.signal.aborted; i += perMessage) {
      const chunk = due.slice(i, i + perMessage)
      await publish(perMessage === 1 ? chunk[0]! : chunk, chunk[0]!.id)
      published += chunk.length
      messages++
    }
    if (started - lastLog >= 5000) {
      process.stdout.write(`published ${published} movements in ${messages} messages to ${values.subject}\n`)
      lastLog = started
    }
    await sleep(Math.max(0, 250 - (Date.now() - started)), controller.signal).catch(() => {})
  }
} finally {
  process.stdout.write(`stopped: ${published} movements in ${messages} messages published to ${values.subject}\n`)
  await nc.drain()
}
