/**
 * npm run token — mints a signed viewer or embed token offline, with the server's
 * COCKPIT_TOKEN_SECRET and the same checks as POST /api/v1/tokens. The embed widget's scoped
 * queries are dry-run against the cockpit's Redis (REDIS_URL, COCKPIT_KEY_PREFIX) when it is
 * reachable; otherwise a warning says they were not.
 *
 *   npm run token -- --kind embed --widget ranking-bar \
 *     --options '{"metric":"sales.revenue","groupBy":"category","top":10,"window":"today"}' \
 *     --scope warehouse=WH-SH --expires 7d
 *   npm run token -- --kind viewer --scope warehouse=WH-SH,WH-BJ --expires 30d --label wh-manager
 */
import { parseArgs } from 'node:util'
import { Compile } from 'typebox/compile'
import { DIMENSIONS } from '../../protocol/metrics.ts'
import type { Dimension } from '../../protocol/metrics.ts'
import { Query } from '../../protocol/query.ts'
import { MAX_TOKEN_TTL_S, MIN_TOKEN_TTL_S, withScope } from '../../protocol/tokens.ts'
import type { EmbedWidget, TokenScope } from '../../protocol/tokens.ts'
import { MIN_SECRET_LENGTH, parseDuration, signToken } from '../auth/tokens.ts'
import { resolveWidget, schemaErrors } from '../screens/validate.ts'
import { Redis } from 'ioredis'
import { loadConfig } from '../config.ts'
import { createKeys } from '../redis/keys.ts'
import { createCalendar } from '../domain/time.ts'
import { createQueryEngine } from '../query/engine.ts'
import { CockpitError } from '../errors.ts'

const USAGE = `usage: npm run token -- --kind viewer|embed [--widget <type> --options '<json>'] [--scope dim=a,b ...] --expires 7d [--label name] [--url http://host:3000] [--theme dark|light|transparent]
  COCKPIT_TOKEN_SECRET must be set (the server's secret).`

function fail(message: string): never {
  process.stderr.write(`token: ${message}\n${USAGE}\n`)
  process.exit(2)
}

const { values } = parseArgs({
  options: {
    kind: { type: 'string' },
    widget: { type: 'string' },
    options: { type: 'string' },
    scope: { type: 'string', multiple: true },
    expires: { type: 'string' },
    label: { type: 'string' },
    url: { type: 'string' },
    theme: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
})
if (values.help) {
  process.stdout.write(`${USAGE}\n`)
  process.exit(0)
}

const secret = process.env.COCKPIT_TOKEN_SECRET
if (!secret) fail('COCKPIT_TOKEN_SECRET is not set')
if (secret.length < MIN_SECRET_LENGTH) fail(`COCKPIT_TOKEN_SECRET must be at least ${MIN_SECRET_LENGTH} characters`)
const kind = values.kind
if (kind !== 'viewer' && kind !== 'embed') fail('--kind must be viewer or embed')
if (!values.expires) fail('--expires is required (e.g. 7d)')
let expiresIn: number
try {
  expiresIn = parseDuration(values.expires)
} catch (err) {
  fail((err as Error).message)
}
if (expiresIn < MIN_TOKEN_TTL_S || expiresIn > MAX_TOKEN_TTL_S) fail(`--expires must lie between ${MIN_TOKEN_TTL_S} s and ${MAX_TOKEN_TTL_S / 86_400} days`)

const scope: TokenScope = {}
for (const entry of values.scope ?? []) {
  const match = /^([a-z]+)=(.+)$/.exec(entry)
  if (!match || !(DIMENSIONS as readonly string[]).includes(match[1]!))
    fail(`--scope "${entry}" must be <dimension>=<member>[,<member>…] with a dimension of ${DIMENSIONS.join(', ')}`)
  const members = match[2]!
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean)
  const dim = match[1] as Dimension
  scope[dim] = [...new Set([...(scope[dim] ?? []), ...members])]
}

const queryValidator = Compile(Query)
const parseQuery = (q: unknown): Query => {
  const bad = schemaErrors(queryValidator, q)
  if (bad.length > 0) throw new Error(bad.map((e) => `${e.path} ${e.message}`).join('; '))
  return q as Query
}

/** Runs the scoped queries with the server's engine, as POST /api/v1/tokens does. */
async function dryRun(queries: [string, Query][]): Promise<void> {
  const config = loadConfig({ ...process.env, COCKPIT_TOKEN_SECRET: '' })
  const redis = new Redis(config.redisUrl, { lazyConnect: true, connectTimeout: 1500, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false })
  redis.on('error', () => {})
  try {
    await redis.connect()
  } catch {
    process.stderr.write(`token: warning: Redis at ${config.redisUrl} is unreachable; the widget's queries were not checked against the cockpit\n`)
    redis.disconnect()
    return
  }
  const engine = createQueryEngine({
    redis,
    keys: createKeys(config.keyPrefix),
    calendar: createCalendar(config.timeZone),
    masterData: { names: () => undefined, sku: () => undefined, warehouse: () => undefined },
    currency: config.currency,
    money: config.money,
    retention: config.retention,
  })
  try {
    for (const [name, query] of queries) {
      try {
        await engine.run(query)
      } catch (err) {
        if (err instanceof CockpitError && err.statusCode === 400) fail(`the widget's query "${name}" cannot be restricted to this scope: ${err.message}`)
        throw err
      }
    }
  } finally {
    redis.disconnect()
  }
}

let widget: EmbedWidget | undefined
if (kind === 'embed') {
  if (!values.widget) fail('an embed token needs --widget (and usually --options)')
  let options: Record<string, unknown> = {}
  if (values.options) {
    try {
      options = JSON.parse(values.options) as Record<string, unknown>
    } catch (err) {
      fail(`--options is not JSON: ${(err as Error).message}`)
    }
    if (options === null || typeof options !== 'object' || Array.isArray(options)) fail('--options must be a JSON object')
  }
  const resolved = resolveWidget(values.widget, options, undefined, parseQuery)
  if (!resolved.ok) fail(resolved.errors.map((e) => `widget${e.path}: ${e.message}`).join('\n  '))
  for (const [name, query] of Object.entries(resolved.queries)) {
    if (!withScope(query, scope)) fail(`the scope leaves nothing of the widget's query "${name}"`)
  }
  widget = { widget: values.widget, options }
  await dryRun(Object.entries(resolved.queries).map(([name, q]) => [name, withScope(q, scope)!]))
} else if (values.widget || values.options) {
  fail('only embed tokens name a widget')
}

const { token, expiresAt, claims } = await signToken(secret, { kind, scope, widget, label: values.label }, expiresIn)
const out = (line = '') => process.stdout.write(`${line}\n`)
out(token)
out()
out(`kind:     ${kind}${values.label ? ` (${values.label})` : ''}`)
out(`expires:  ${expiresAt.toISOString()}`)
if (claims.scope) out(`scope:    ${JSON.stringify(claims.scope)}`)
if (widget) out(`widget:   ${widget.widget} ${JSON.stringify(widget.options)}`)
if (kind === 'embed') {
  const base = (values.url ?? 'http://127.0.0.1:3000').replace(/\/$/, '')
  const theme = values.theme ?? 'light'
  out()
  out('iframe:')
  out(`  <iframe src="${base}/embed?token=${token}&theme=${theme}" width="480" height="320" style="border:0" loading="lazy"></iframe>`)
}
