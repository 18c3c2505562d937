/**
 * Configuration from environment variables (README lists them all).
 * Parsed once, validated, and passed down explicitly: nothing else reads process.env.
 */
import { CockpitError } from './errors.ts'
import { parseRateList } from './ingest/currency.ts'
import type { ScaledRate } from './ingest/currency.ts'
import { MIN_SECRET_LENGTH } from './auth/tokens.ts'

export interface RetentionConfig {
  /** seconds a minute bucket is kept after it closes @default 2 days */
  minute: number
  /** @default 90 days */
  hour: number
  /** 0 = forever @default 0 */
  day: number
  /** 0 = forever @default 0 */
  month: number
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
  return (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean)
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
    retention: {
      minute: int(env, 'COCKPIT_RETAIN_MINUTE_S', 2 * DAY, 3600),
      hour: int(env, 'COCKPIT_RETAIN_HOUR_S', 90 * DAY, DAY),
      day: int(env, 'COCKPIT_RETAIN_DAY_S', 0),
      month: int(env, 'COCKPIT_RETAIN_MONTH_S', 0),
    },
    effectTtl: int(env, 'COCKPIT_EFFECT_TTL_S', 35 * DAY, 60),
    pushIntervalMs: int(env, 'COCKPIT_PUSH_INTERVAL_MS', 250, 50),
    bodyLimit: int(env, 'COCKPIT_BODY_LIMIT', 64 * 1024 * 1024, 1024),
    screenDir: env.COCKPIT_SCREEN_DIR || undefined,
    logLevel: env.LOG_LEVEL || 'info',
    fxRates: fxRates(env.COCKPIT_FX_RATES, currency),
  }
}

function fxRates(raw: string | undefined, currency: string): ScaledRate[] {
  if (!raw) return []
  try {
    return parseRateList(raw, currency)
  } catch (err) {
    throw new CockpitError('COCKPIT_ERR_CONFIG', `COCKPIT_FX_RATES: ${(err as Error).message}`)
  }
}
