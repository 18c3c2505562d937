/**
 * npm run simulate -- --url http://127.0.0.1:3000 --key <ingest key> [--admin-key <key>]
 *                     [--rate 200] [--seed 42] [--history-hours 30] [--history-rate 3]
 * Streams a simulated retail chain's movements into a cockpit until Ctrl-C.
 */
import { parseArgs } from 'node:util'
import { FeedRejectedError, runFeed } from './feed.ts'
import { retailScenario } from './scenarios/retail.ts'

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.COCKPIT_URL ?? 'http://127.0.0.1:3000' },
    key: { type: 'string', default: process.env.COCKPIT_INGEST_KEY },
    'admin-key': { type: 'string', default: process.env.COCKPIT_ADMIN_KEY },
    rate: { type: 'string', default: '200' },
    seed: { type: 'string', default: '42' },
    'history-hours': { type: 'string', default: '0' },
    'history-rate': { type: 'string', default: '3' },
  },
})
if (!values.key) {
  process.stderr.write('usage: npm run simulate -- --key <ingest key> [--admin-key <key>] [--url http://127.0.0.1:3000] [--rate 200]\n')
  process.exit(2)
}
const rate = Number(values.rate)
const controller = new AbortController()
process.once('SIGINT', () => controller.abort())
process.once('SIGTERM', () => controller.abort())
const historyHours = Number(values['history-hours'])
try {
  const stats = await runFeed({
    url: values.url!,
    ingestKey: values.key,
    ...(values['admin-key'] ? { adminKey: values['admin-key'] } : {}),
    scenario: retailScenario(Number(values.seed), { rate }),
    seed: Number(values.seed),
    rate,
    ...(historyHours > 0 ? { historyFrom: Date.now() - historyHours * 3600_000, historyRate: Number(values['history-rate']) } : {}),
    signal: controller.signal,
    log: (line) => process.stdout.write(`${line}\n`),
  })
  process.stdout.write(`stopped: ${stats.sent} movements sent, ${stats.duplicates} duplicates\n`)
} catch (err) {
  process.stderr.write(`${err instanceof FeedRejectedError ? err.message : String(err)}\n`)
  process.exit(1)
}
