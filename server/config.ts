/**
 * Configuration from environment variables (README lists them all).
 * Parsed once, validated, and passed down explicitly: nothing else reads process.env.
 */
import { CockpitError } from './errors.ts'
import { DEFAULT_MONEY } from './domain/money.ts'
import type { MoneyRules } from './domain/money.ts'
import { parseRateList } from './ingest/currency.ts'
import type { ScaledRate } from './ingest/currency.ts'
import { MIN_SECRET_LENGTH } from './auth/tokens.ts'
import { normalizeOrigin } from './auth/origin.ts'

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
  return {
    port: int(env, 'PORT', 3000),
    host: env.HOST || '127.0.0.1',
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    keyPrefix: env.COCKPIT_KEY_PREFIX ?? 'cockpit:',
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
      allowedOrigins: origins(env, 'COCKPIT_ALLOWED_ORIGINS'),
      embedOrigins: origins(env, 'COCKPIT_EMBED_ORIGINS'),
      authFailuresPerMinute: int(env, 'COCKPIT_AUTH_FAILURES_PER_MINUTE', 20, 1),
      sessionTtl: int(env, 'COCKPIT_SESSION_TTL_S', 12 * 3600, 60),
      trustProxy: trustProxy(env.COCKPIT_TRUST_PROXY),
    },
  }
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
