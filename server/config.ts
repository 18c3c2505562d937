/**
 * Configuration from environment variables (README lists them all).
 * Parsed once, validated, and passed down explicitly: nothing else reads process.env.
 */
import { CockpitError } from './errors.ts'
import { MAX_JSON_BATCH } from '../protocol/movement.ts'
import { SOURCE_STALE_MS } from '../protocol/sources.ts'
import { DEFAULT_MONEY } from './domain/money.ts'
import type { MoneyRules } from './domain/money.ts'
import { parseRateList } from './ingest/currency.ts'
import type { ScaledRate } from './ingest/currency.ts'
import { MIN_SECRET_LENGTH } from './auth/tokens.ts'
import { normalizeOrigin } from './auth/origin.ts'
import { FINAL_GRACE_S } from './aggregate/fold.ts'
import { hashTagOf } from './redis/connect.ts'
import type { HostPort, RedisAuth, RedisTopology } from './redis/connect.ts'

export interface RetentionConfig {
  /** seconds a minute bucket is kept after it closes @default 2 days */
  minute: number
  /** @default 90 days */
  hour: number
  /** 0 = forever @default 0 */
  day: number
  /** 0 = forever @default 0 */
  month: number
  /** 0 = forever @default 0 */
  year: number
}

export interface CockpitConfig {
  port: number
  host: string
  redisUrl: string
  /** how to reach Redis: REDIS_URL, or Sentinels (REDIS_SENTINELS, REDIS_SENTINEL_NAME), or a Cluster (REDIS_CLUSTER) @default REDIS_URL */
  redis: RedisTopology
  /**
   * after each applied batch, WAIT until this many replicas have it (or `timeoutMs` passed: then 503
   * COCKPIT_ERR_NOT_REPLICATED) before acknowledging @default 0: no WAIT (COCKPIT_REDIS_WAIT_REPLICAS, COCKPIT_REDIS_WAIT_TIMEOUT_MS)
   */
  redisWait: { replicas: number; timeoutMs: number }
  /** server processes sharing the port (node:cluster); 1 = one process, no cluster @default 1 (COCKPIT_WORKERS, `--workers`) */
  workers: number
  /** prefix of every Redis key and channel @default "cockpit:" */
  keyPrefix: string
  ingestKeys: string[]
  adminKey: string | undefined
  viewerToken: string | undefined
  /** reading (query, subscribe, screens) needs no token @default true unless COCKPIT_VIEWER_TOKEN is set (COCKPIT_READ_ACCESS) */
  readingOpen: boolean
  /** HS256 secret of signed viewer/embed tokens (≥ 32 characters); tokens are disabled without it */
  tokenSecret: string | undefined
  /** IANA business time zone @default "Asia/Shanghai" */
  timeZone: string
  /** ISO 4217 base currency @default "CNY" */
  currency: string
  /** how each line's money is rounded (COCKPIT_MONEY_DECIMALS, COCKPIT_MONEY_ROUNDING) */
  money: MoneyRules
  retention: RetentionConfig
  /** seconds an effect record (dedupe id) is kept @default 35 days */
  effectTtl: number
  /**
   * seconds after which a movement is final when it arrives (COCKPIT_FINAL_AFTER_S): one that occurred longer ago
   * keeps only an id marker, not an effect record, so it cannot be cancelled; 0: never @default effectTtl
   */
  finalAfter: number
  /** seconds a final movement's effect record is still kept (COCKPIT_FINAL_GRACE_S) @default 600 (FINAL_GRACE_S) */
  finalGrace: number
  /** minimum milliseconds between two pushes of one subscription @default 250 */
  pushIntervalMs: number
  /** largest request body in bytes (NDJSON) @default 64 MiB */
  bodyLimit: number
  /** directory of the built screen; served when it exists */
  screenDir: string | undefined
  logLevel: string
  /** exchange rates seeded at start from COCKPIT_FX_RATES (`USD:2026-01-01:7.12,…`) @default [] */
  fxRates: ScaledRate[]
  security: SecurityConfig
  snapshots: SnapshotConfig
  alerts: AlertsConfig
  /** the NATS JetStream intake (server/intake/nats.ts); undefined unless COCKPIT_NATS_URL is set */
  nats: NatsIntakeConfig | undefined
  /** database sources (docs/connectors.md) */
  sources: SourcesConfig
}

/** Screen snapshots rendered in headless Chromium (docs/reports.md "Snapshots"). */
export interface SnapshotConfig {
  /** the Chromium executable @default "/usr/bin/chromium" (COCKPIT_CHROMIUM_PATH; Debian package `chromium`) */
  chromiumPath: string
  /** a render still running after this is stopped: 504 @default 30,000 (COCKPIT_SNAPSHOT_TIMEOUT_MS) */
  timeoutMs: number
  /** renders that may wait behind the running one; one more is 503 with Retry-After @default 4 (COCKPIT_SNAPSHOT_QUEUE) */
  queueLimit: number
  /** the browser is closed after this long without a render @default 60,000 (COCKPIT_SNAPSHOT_IDLE_MS) */
  idleMs: number
  /** where Chromium opens the screen @default the server's own address (COCKPIT_SNAPSHOT_BASE_URL) */
  baseUrl: string | undefined
}

/** Alert delivery (docs/alerts.md). */
export interface AlertsConfig {
  /** base URL of the cockpit as people reach it, for links in messages @default http://HOST:PORT (COCKPIT_PUBLIC_URL) */
  publicUrl: string
  /** attempts of one delivery before it is given up @default 8 (COCKPIT_ALERT_MAX_ATTEMPTS) */
  maxAttempts: number
  /** first retry delay; doubled each attempt, at most 10 min @default 5,000 (COCKPIT_ALERT_RETRY_MS) */
  retryBaseMs: number
  /** time limit of one send @default 10,000 (COCKPIT_ALERT_SEND_TIMEOUT_MS) */
  sendTimeoutMs: number
  /** reads the environment variable a channel names (its webhook URL, signing secret or SMTP URL); never logged */
  secret(name: string): string | undefined
  /** a scheduled report missed while no server ran is still sent when one is back within this many minutes @default 60 (COCKPIT_REPORT_GRACE_MIN) */
  reportGraceMin: number
}

/** The message-bus intake on NATS JetStream (docs/connectors.md "NATS JetStream"). */
export interface NatsIntakeConfig {
  /** broker URLs, without credentials (COCKPIT_NATS_URL, comma-separated) */
  servers: string[]
  /** stream holding the movements @default "COCKPIT_MOVEMENTS" (COCKPIT_NATS_STREAM) */
  stream: string
  /** subject the consumer reads, wildcards allowed @default "cockpit.movements" (COCKPIT_NATS_SUBJECT) */
  subject: string
  /** durable pull consumer shared by every process of this cockpit @default from COCKPIT_KEY_PREFIX (COCKPIT_NATS_DURABLE) */
  durable: string
  /** where invalid messages go with their reasons @default "<durable>.dead-letter" (COCKPIT_NATS_DEAD_LETTER_SUBJECT) */
  deadLetterSubject: string
  /** create the stream when it is absent @default false (COCKPIT_NATS_CREATE_STREAM) */
  createStream: boolean
  /** messages fetched at once @default 100 (COCKPIT_NATS_BATCH) */
  batch: number
  /** delay of a redelivery asked for while Redis is unavailable, ms @default 2000 (COCKPIT_NATS_NAK_DELAY_MS) */
  nakDelayMs: number
  /** how long the broker waits for an ack before redelivering, ms @default 30000 (COCKPIT_NATS_ACK_WAIT_MS) */
  ackWaitMs: number
  /** credentials, from COCKPIT_NATS_USER / COCKPIT_NATS_PASSWORD or COCKPIT_NATS_TOKEN: never logged */
  user?: string
  password?: string
  token?: string
}

/** Database sources (docs/connectors.md). */
export interface SourcesConfig {
  /** this process runs sources (each under a Redis lease) @default true (COCKPIT_SOURCES=on|off) */
  run: boolean
  /** JSON file of source definitions stored at start (COCKPIT_SOURCES_FILE) */
  file: string | undefined
  /** a source failing this long marks the figures on screens stale @default 60 000 (COCKPIT_SOURCE_STALE_MS) */
  staleMs: number
}

/** Limits and protections against hostile input (docs/operations.md, "Security"). */
export interface SecurityConfig {
  /** most counter fields one query may read (buckets × terms × members), checked before any read @default 200,000 (COCKPIT_QUERY_MAX_COST) */
  queryMaxCost: number
  /** a query still running after this answers 408 @default 5,000 (COCKPIT_QUERY_TIMEOUT_MS) */
  queryTimeoutMs: number
  /** distinct live queries (subscription rooms) one server process holds @default 5,000 (COCKPIT_MAX_LIVE_QUERIES) */
  maxLiveQueries: number
  /** distinct live queries one client (token, or IP when anonymous) holds @default 300 (COCKPIT_MAX_LIVE_QUERIES_PER_CLIENT) */
  maxLiveQueriesPerClient: number
  /** open sockets of one client (token, or IP when anonymous) @default 100 (COCKPIT_MAX_SOCKETS_PER_CLIENT) */
  maxSocketsPerClient: number
  /** bytes a connection may leave unread before it is closed (server/realtime/fanout.ts) @default 8 MiB (COCKPIT_SOCKET_BACKLOG_BYTES) */
  socketBacklogBytes: number
  /** packets a connection's Engine.IO queue may hold (a long-polling client between polls) before it is closed @default 1,000 (COCKPIT_SOCKET_BACKLOG_PACKETS) */
  socketBacklogPackets: number
  /** origins besides the server's own that may call the API and open sockets (`https://intranet.example.com`) @default [] (COCKPIT_ALLOWED_ORIGINS) */
  allowedOrigins: string[]
  /** origins whose pages may frame `/embed` @default [] (COCKPIT_EMBED_ORIGINS) */
  embedOrigins: string[]
  /** failed authentications one IP may make per minute before 429 @default 20 (COCKPIT_AUTH_FAILURES_PER_MINUTE) */
  authFailuresPerMinute: number
  /** seconds an editor sign-in (admin session cookie) lasts @default 12 h (COCKPIT_SESSION_TTL_S) */
  sessionTtl: number
  /** the server sits behind a reverse proxy: client IPs come from X-Forwarded-For (Fastify `trustProxy`) @default false (COCKPIT_TRUST_PROXY) */
  trustProxy: boolean | string
}

const DAY = 86_400

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min) throw new CockpitError('COCKPIT_ERR_CONFIG', `${name} must be an integer ≥ ${min}, got "${raw}"`)
  return n
}

function intIn(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const n = int(env, name, fallback, min)
  if (n > max) throw new CockpitError('COCKPIT_ERR_CONFIG', `${name} must be at most ${max}, got ${n}`)
  return n
}

function list(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

function assertTimeZone(tz: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
  } catch {
    throw new CockpitError('COCKPIT_ERR_CONFIG', `COCKPIT_TZ "${tz}" is not an IANA time zone`)
  }
  return tz
}

function readAccess(env: NodeJS.ProcessEnv): boolean {
  const raw = env.COCKPIT_READ_ACCESS || (env.COCKPIT_VIEWER_TOKEN ? 'token' : 'open')
  if (raw !== 'open' && raw !== 'token') throw new CockpitError('COCKPIT_ERR_CONFIG', `COCKPIT_READ_ACCESS must be "open" or "token", got "${raw}"`)
  if (raw === 'open' && env.COCKPIT_VIEWER_TOKEN) {
    throw new CockpitError('COCKPIT_ERR_CONFIG', 'COCKPIT_READ_ACCESS=open contradicts COCKPIT_VIEWER_TOKEN: a viewer token only means something when reading needs a token')
  }
  return raw === 'open'
}

function tokenSecret(env: NodeJS.ProcessEnv): string | undefined {
  const secret = env.COCKPIT_TOKEN_SECRET || undefined
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) {
    throw new CockpitError('COCKPIT_ERR_CONFIG', `COCKPIT_TOKEN_SECRET must be at least ${MIN_SECRET_LENGTH} characters (e.g. \`openssl rand -hex 32\`)`)
  }
  return secret
}

/** Reads the configuration; throws COCKPIT_ERR_CONFIG with a message naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): CockpitConfig {
  const currency = env.COCKPIT_CURRENCY || 'CNY'
  if (!/^[A-Z]{3}$/.test(currency)) throw new CockpitError('COCKPIT_ERR_CONFIG', `COCKPIT_CURRENCY must be an ISO 4217 code, got "${currency}"`)
  const redisUrl = env.REDIS_URL || 'redis://127.0.0.1:6379'
  const keyPrefix = env.COCKPIT_KEY_PREFIX ?? 'cockpit:'
  const redis = redisTopology(env, redisUrl, keyPrefix)
  return {
    port: int(env, 'PORT', 3000),
    host: env.HOST || '127.0.0.1',
    redisUrl,
    redis,
    redisWait: redisWait(env, redis),
    workers: intIn(env, 'COCKPIT_WORKERS', 1, 1, MAX_WORKERS),
    keyPrefix,
    ingestKeys: list(env.COCKPIT_INGEST_KEYS),
    adminKey: env.COCKPIT_ADMIN_KEY || undefined,
    viewerToken: env.COCKPIT_VIEWER_TOKEN || undefined,
    readingOpen: readAccess(env),
    tokenSecret: tokenSecret(env),
    timeZone: assertTimeZone(env.COCKPIT_TZ || 'Asia/Shanghai'),
    currency,
    money: moneyRules(env),
    retention: {
      minute: int(env, 'COCKPIT_RETAIN_MINUTE_S', 2 * DAY, 3600),
      hour: int(env, 'COCKPIT_RETAIN_HOUR_S', 90 * DAY, DAY),
      day: int(env, 'COCKPIT_RETAIN_DAY_S', 0),
      month: int(env, 'COCKPIT_RETAIN_MONTH_S', 0),
      year: int(env, 'COCKPIT_RETAIN_YEAR_S', 0),
    },
    effectTtl: int(env, 'COCKPIT_EFFECT_TTL_S', 35 * DAY, 60),
    finalAfter: int(env, 'COCKPIT_FINAL_AFTER_S', int(env, 'COCKPIT_EFFECT_TTL_S', 35 * DAY, 60)),
    finalGrace: int(env, 'COCKPIT_FINAL_GRACE_S', FINAL_GRACE_S, 1),
    pushIntervalMs: int(env, 'COCKPIT_PUSH_INTERVAL_MS', 250, 50),
    bodyLimit: int(env, 'COCKPIT_BODY_LIMIT', 64 * 1024 * 1024, 1024),
    screenDir: env.COCKPIT_SCREEN_DIR || undefined,
    logLevel: env.LOG_LEVEL || 'info',
    fxRates: fxRates(env.COCKPIT_FX_RATES, currency),
    security: {
      queryMaxCost: int(env, 'COCKPIT_QUERY_MAX_COST', 200_000, 1000),
      queryTimeoutMs: int(env, 'COCKPIT_QUERY_TIMEOUT_MS', 5000, 100),
      maxLiveQueries: int(env, 'COCKPIT_MAX_LIVE_QUERIES', 5000, 1),
      maxLiveQueriesPerClient: int(env, 'COCKPIT_MAX_LIVE_QUERIES_PER_CLIENT', 300, 1),
      maxSocketsPerClient: int(env, 'COCKPIT_MAX_SOCKETS_PER_CLIENT', 100, 1),
      socketBacklogBytes: int(env, 'COCKPIT_SOCKET_BACKLOG_BYTES', 8 * 1024 * 1024, 64 * 1024),
      socketBacklogPackets: int(env, 'COCKPIT_SOCKET_BACKLOG_PACKETS', 1000, 100),
      allowedOrigins: origins(env, 'COCKPIT_ALLOWED_ORIGINS'),
      embedOrigins: origins(env, 'COCKPIT_EMBED_ORIGINS'),
      authFailuresPerMinute: int(env, 'COCKPIT_AUTH_FAILURES_PER_MINUTE', 20, 1),
      sessionTtl: int(env, 'COCKPIT_SESSION_TTL_S', 12 * 3600, 60),
      trustProxy: trustProxy(env.COCKPIT_TRUST_PROXY),
    },
    snapshots: {
      chromiumPath: env.COCKPIT_CHROMIUM_PATH || '/usr/bin/chromium',
      timeoutMs: int(env, 'COCKPIT_SNAPSHOT_TIMEOUT_MS', 30_000, 1000),
      queueLimit: int(env, 'COCKPIT_SNAPSHOT_QUEUE', 4, 0),
      idleMs: int(env, 'COCKPIT_SNAPSHOT_IDLE_MS', 60_000, 1000),
      baseUrl: snapshotBaseUrl(env.COCKPIT_SNAPSHOT_BASE_URL),
    },
    alerts: alertsConfig(env),
    nats: natsIntake(env, keyPrefix),
    sources: { run: onOff(env, 'COCKPIT_SOURCES', true), file: env.COCKPIT_SOURCES_FILE || undefined, staleMs: int(env, 'COCKPIT_SOURCE_STALE_MS', SOURCE_STALE_MS, 100) },
  }
}

/** NATS names (streams, consumers) may not hold whitespace, `.`, `*`, `>`, `/` or `\\` */
const NATS_NAME = /^[^\s.*>/\\]{1,64}$/
/** a subject: tokens separated by dots, `*` and a final `>` as wildcards */
const NATS_SUBJECT = /^(?:[^\s.*>]+|\*)(?:\.(?:[^\s.*>]+|\*))*(?:\.>)?$|^>$/

/** COCKPIT_NATS_*: undefined without COCKPIT_NATS_URL */
function natsIntake(env: NodeJS.ProcessEnv, keyPrefix: string): NatsIntakeConfig | undefined {
  const raw = env.COCKPIT_NATS_URL
  if (!raw) return undefined
  const servers = list(raw).map((s) => {
    let u: URL
    try {
      u = new URL(s.includes('://') ? s : `nats://${s}`)
    } catch {
      throw new CockpitError('COCKPIT_ERR_CONFIG', `COCKPIT_NATS_URL: "${s}" is not a URL like nats://host:4222`)
    }
    if (!['nats:', 'tls:', 'ws:', 'wss:'].includes(u.protocol)) throw new CockpitError('COCKPIT_ERR_CONFIG', `COCKPIT_NATS_URL: "${u.protocol}" is not nats:, tls:, ws: or wss:`)
    // credentials sit in their own variables, so the URL can be shown and logged
    if (u.username || u.password)
      throw new CockpitError('COCKPIT_ERR_CONFIG', 'COCKPIT_NATS_URL must not hold credentials: use COCKPIT_NATS_USER and COCKPIT_NATS_PASSWORD, or COCKPIT_NATS_TOKEN')
    return `${u.protocol}//${u.host}`
  })
  if (servers.length === 0) throw new CockpitError('COCKPIT_ERR_CONFIG', 'COCKPIT_NATS_URL is set but names no server')
  const name = (variable: string, fallback: string) => {
    const v = env[variable] || fallback
    if (!NATS_NAME.test(v)) throw new CockpitError('COCKPIT_ERR_CONFIG', `${variable} "${v}" is not a NATS name (1–64 characters, no spaces, ".", "*", ">", "/" or "\\")`)
    return v
  }
  const subjectOf = (variable: string, fallback: string, wildcards: boolean) => {
    const v = env[variable] || fallback
    if (!NATS_SUBJECT.test(v) || (!wildcards && /(^|\.)[*>]($|\.)/.test(v))) {
      throw new CockpitError('COCKPIT_ERR_CONFIG', `${variable} "${v}" is not a NATS subject${wildcards ? '' : ' without wildcards'} (e.g. erp.movements)`)
    }
    return v
  }
  const durable = name(
    'COCKPIT_NATS_DURABLE',
    keyPrefix
      .replace(/[^A-Za-z0-9_-]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 64) || 'cockpit',
  )
  const bool = (variable: string) => {
    const v = env[variable]
    if (v === undefined || v === '' || v === 'false' || v === '0') return false
    if (v === 'true' || v === '1') return true
    throw new CockpitError('COCKPIT_ERR_CONFIG', `${variable} must be true or false, got "${v}"`)
  }
  const user = env.COCKPIT_NATS_USER || undefined
  const password = env.COCKPIT_NATS_PASSWORD || undefined
  const token = env.COCKPIT_NATS_TOKEN || undefined
  if ((user === undefined) !== (password === undefined)) throw new CockpitError('COCKPIT_ERR_CONFIG', 'COCKPIT_NATS_USER and COCKPIT_NATS_PASSWORD go together')
  if (token && user) throw new CockpitError('COCKPIT_ERR_CONFIG', 'COCKPIT_NATS_TOKEN excludes COCKPIT_NATS_USER and COCKPIT_NATS_PASSWORD')
  return {
    servers,
    stream: name('COCKPIT_NATS_STREAM', 'COCKPIT_MOVEMENTS'),
    subject: subjectOf('COCKPIT_NATS_SUBJECT', 'cockpit.movements', true),
    durable,
    deadLetterSubject: subjectOf('COCKPIT_NATS_DEAD_LETTER_SUBJECT', `${durable}.dead-letter`, false),
    createStream: bool('COCKPIT_NATS_CREATE_STREAM'),
    batch: intIn(env, 'COCKPIT_NATS_BATCH', 100, 1, MAX_JSON_BATCH),
    nakDelayMs: intIn(env, 'COCKPIT_NATS_NAK_DELAY_MS', 2000, 10, 600_000),
    ackWaitMs: intIn(env, 'COCKPIT_NATS_ACK_WAIT_MS', 30_000, 1000, 3_600_000),
    ...(user && password ? { user, password } : {}),
    ...(token ? { token } : {}),
  }
}

function alertsConfig(env: NodeJS.ProcessEnv): AlertsConfig {
  const raw = env.COCKPIT_PUBLIC_URL || `http://${env.HOST || '127.0.0.1'}:${env.PORT || '3000'}`
  let publicUrl: string
  try {
    const u = new URL(raw)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http')
    publicUrl = raw.replace(/\/+$/, '')
  } catch {
    throw new CockpitError('COCKPIT_ERR_CONFIG', `COCKPIT_PUBLIC_URL must be an http(s) URL like https://cockpit.example.com, got "${raw}"`)
  }
  return {
    publicUrl,
    maxAttempts: intIn(env, 'COCKPIT_ALERT_MAX_ATTEMPTS', 8, 1, 50),
    retryBaseMs: intIn(env, 'COCKPIT_ALERT_RETRY_MS', 5000, 10, 600_000),
    sendTimeoutMs: intIn(env, 'COCKPIT_ALERT_SEND_TIMEOUT_MS', 10_000, 100, 120_000),
    reportGraceMin: intIn(env, 'COCKPIT_REPORT_GRACE_MIN', 60, 0, 1440),
    // a function, not a copy of the environment: a logged config shows no secret
    secret: (name) => env[name] || undefined,
  }
}

function snapshotBaseUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new CockpitError('COCKPIT_ERR_CONFIG', `COCKPIT_SNAPSHOT_BASE_URL must be an http(s) URL, got "${raw}"`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CockpitError('COCKPIT_ERR_CONFIG', `COCKPIT_SNAPSHOT_BASE_URL must be an http(s) URL, got "${raw}"`)
  return url.origin
}

function onOff(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (raw === 'on' || raw === 'true' || raw === '1') return true
  if (raw === 'off' || raw === 'false' || raw === '0') return false
  throw new CockpitError('COCKPIT_ERR_CONFIG', `${name} must be on or off, got "${raw}"`)
}

/** COCKPIT_MONEY_DECIMALS (0–4, default 2) and COCKPIT_MONEY_ROUNDING (half-away | half-even) */
function moneyRules(env: NodeJS.ProcessEnv): MoneyRules {
  const decimals = int(env, 'COCKPIT_MONEY_DECIMALS', DEFAULT_MONEY.decimals, 0)
  if (decimals > 4) throw new CockpitError('COCKPIT_ERR_CONFIG', `COCKPIT_MONEY_DECIMALS must be 0 to 4 (the cockpit keeps money to 1/10,000), got ${decimals}`)
  const rounding = env.COCKPIT_MONEY_ROUNDING || DEFAULT_MONEY.rounding
  if (rounding !== 'half-away' && rounding !== 'half-even') {
    throw new CockpitError('COCKPIT_ERR_CONFIG', `COCKPIT_MONEY_ROUNDING must be half-away or half-even, got "${rounding}"`)
  }
  return { decimals, rounding }
}

/** `https://a.example.com,https://b.example.com` → normalised origins; anything else names the variable */
function origins(env: NodeJS.ProcessEnv, name: string): string[] {
  return list(env[name]).map((raw) => {
    const origin = normalizeOrigin(raw)
    if (origin === undefined) throw new CockpitError('COCKPIT_ERR_CONFIG', `${name}: "${raw}" is not an origin like https://intranet.example.com`)
    return origin
  })
}

/** `true`/`false`, a hop count, or addresses/CIDRs of the proxies (Fastify's trustProxy) */
function trustProxy(raw: string | undefined): boolean | string {
  if (raw === undefined || raw === '' || raw === 'false') return false
  if (raw === 'true') return true
  return raw
}

function fxRates(raw: string | undefined, currency: string): ScaledRate[] {
  if (!raw) return []
  try {
    return parseRateList(raw, currency)
  } catch (err) {
    throw new CockpitError('COCKPIT_ERR_CONFIG', `COCKPIT_FX_RATES: ${(err as Error).message}`)
  }
}

/** Most server processes COCKPIT_WORKERS may ask for (a process per core is the useful most). */
export const MAX_WORKERS = 64
/** Most COCKPIT_REDIS_WAIT_TIMEOUT_MS: WAIT holds the command connection, whose commands time out at 10 s. */
export const MAX_WAIT_TIMEOUT_MS = 5000

/** `host:port` or `[v6]:port` → HostPort; the variable is named in the error. */
function hostPorts(name: string, raw: string): HostPort[] {
  const nodes = list(raw).map((item) => {
    const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(item)
    const port = m ? Number(m[3]) : NaN
    if (!m || port < 1 || port > 65535) throw new CockpitError('COCKPIT_ERR_CONFIG', `${name}: "${item}" is not host:port (e.g. 10.0.0.5:26379)`)
    return { host: m[1] ?? m[2]!, port }
  })
  if (nodes.length === 0) throw new CockpitError('COCKPIT_ERR_CONFIG', `${name} is set but lists no host:port`)
  return nodes
}

/** user, password and database of REDIS_URL: with Sentinels or a Cluster they apply to the data nodes (its host is not used). */
function redisAuth(url: string): RedisAuth {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new CockpitError('COCKPIT_ERR_CONFIG', 'REDIS_URL is not a URL like redis://[user:password@]host:port[/db]')
  }
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0
  if (!Number.isInteger(db) || db < 0) throw new CockpitError('COCKPIT_ERR_CONFIG', `REDIS_URL: "${u.pathname.slice(1)}" is not a database number`)
  return {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db,
  }
}

function redisTopology(env: NodeJS.ProcessEnv, url: string, prefix: string): RedisTopology {
  const sentinels = env.REDIS_SENTINELS || undefined
  const cluster = env.REDIS_CLUSTER || undefined
  if (sentinels && cluster) throw new CockpitError('COCKPIT_ERR_CONFIG', 'REDIS_SENTINELS and REDIS_CLUSTER exclude each other: a Cluster fails over by itself')
  if (sentinels) {
    const name = env.REDIS_SENTINEL_NAME
    if (!name)
      throw new CockpitError('COCKPIT_ERR_CONFIG', 'REDIS_SENTINELS needs REDIS_SENTINEL_NAME: the name the Sentinels monitor the primary under (`sentinel monitor <name> …`)')
    return { kind: 'sentinel', sentinels: hostPorts('REDIS_SENTINELS', sentinels), name, auth: redisAuth(url) }
  }
  if (env.REDIS_SENTINEL_NAME) throw new CockpitError('COCKPIT_ERR_CONFIG', 'REDIS_SENTINEL_NAME is set without REDIS_SENTINELS')
  if (cluster) {
    const nodes = hostPorts('REDIS_CLUSTER', cluster)
    if (hashTagOf(prefix) === undefined) {
      throw new CockpitError(
        'COCKPIT_ERR_CONFIG',
        `REDIS_CLUSTER needs a hash tag in COCKPIT_KEY_PREFIX (e.g. "cockpit:{acme}:"), got "${prefix}": every key of one cockpit must be in one slot, since one script applies a batch to all of them`,
      )
    }
    const auth = redisAuth(url)
    if (auth.db !== 0) throw new CockpitError('COCKPIT_ERR_CONFIG', `REDIS_URL names database ${auth.db}, but a Redis Cluster has only database 0`)
    return { kind: 'cluster', nodes, auth }
  }
  redisAuth(url)
  return { kind: 'standalone', url }
}

function redisWait(env: NodeJS.ProcessEnv, topology: RedisTopology): { replicas: number; timeoutMs: number } {
  const replicas = int(env, 'COCKPIT_REDIS_WAIT_REPLICAS', 0, 0)
  const timeoutMs = intIn(env, 'COCKPIT_REDIS_WAIT_TIMEOUT_MS', 1000, 1, MAX_WAIT_TIMEOUT_MS)
  if (replicas > 0 && topology.kind === 'cluster') {
    // WAIT counts the replicas of the node the connection wrote to; a Cluster client sends a key-less command to any node
    throw new CockpitError('COCKPIT_ERR_CONFIG', 'COCKPIT_REDIS_WAIT_REPLICAS is not supported with REDIS_CLUSTER (see docs/operations.md "Redis Cluster")')
  }
  return { replicas, timeoutMs }
}
