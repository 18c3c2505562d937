/**
 * npm run simulate -- --url http://127.0.0.1:3000 --key <ingest key> [--admin-key <key>]
 *                     [--scenario manufacturing|retail|ecommerce] [--rate <per s: retail 1.2, ecommerce 0.3, manufacturing 0.015>] [--seed 42]
 *                     [--history-hours 30] [--history-rate 3] [--profile daily|flat]
 * Streams a simulated business's movements into a cockpit until Ctrl-C (master data first when
 * an admin key is given). The rate is the week's average movements per second; with the daily
 * profile the business is busier at its peak hours and quiet at night, with `--profile flat` it
 * posts the rate at every hour.
 */
import { parseArgs } from 'node:util'
import { FeedRejectedError, runFeed } from './feed.ts'
import { SCENARIO_NAMES, SCENARIO_RATES, buildScenario, isScenarioName } from './scenario-registry.ts'

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.COCKPIT_URL ?? 'http://127.0.0.1:3000' },
    key: { type: 'string', default: process.env.COCKPIT_INGEST_KEY },
    'admin-key': { type: 'string', default: process.env.COCKPIT_ADMIN_KEY },
    scenario: { type: 'string', default: 'retail' },
    rate: { type: 'string' },
    seed: { type: 'string', default: '42' },
    'history-hours': { type: 'string', default: '0' },
    'history-rate': { type: 'string', default: '3' },
    profile: { type: 'string', default: 'daily' },
  },
})
const profile = values.profile
if (!values.key || !isScenarioName(values.scenario!) || (profile !== 'daily' && profile !== 'flat')) {
  process.stderr.write(
    `usage: npm run simulate -- --key <ingest key> [--admin-key <key>] [--url http://127.0.0.1:3000] [--scenario ${SCENARIO_NAMES.join('|')}] [--rate <per s; retail 1.2, ecommerce 0.3, manufacturing 0.015>] [--profile daily|flat]\n`,
  )
  process.exit(2)
}
const scenarioName = values.scenario
const rate = values.rate === undefined ? SCENARIO_RATES[scenarioName].typical : Number(values.rate)
const controller = new AbortController()
process.once('SIGINT', () => controller.abort())
process.once('SIGTERM', () => controller.abort())
const historyHours = Number(values['history-hours'])
try {
  const stats = await runFeed({
    url: values.url!,
    ingestKey: values.key,
    ...(values['admin-key'] ? { adminKey: values['admin-key'] } : {}),
    scenario: buildScenario(scenarioName, Number(values.seed), { rate }),
    seed: Number(values.seed),
    rate,
    profile,
    ...(historyHours > 0 ? { historyFrom: Date.now() - historyHours * 3600_000, historyRate: Number(values['history-rate']) } : {}),
    signal: controller.signal,
    log: (line) => process.stdout.write(`${line}\n`),
  })
  process.stdout.write(`stopped: ${stats.sent} movements sent, ${stats.duplicates} duplicates\n`)
} catch (err) {
  process.stderr.write(`${err instanceof FeedRejectedError ? err.message : String(err)}\n`)
  process.exit(1)
}
