/**
 * A database source's configuration (docs/connectors.md): which ERP, where its database is (the
 * NAME of an environment variable holding the URL — the URL itself, with its password, is never
 * stored in Redis or logged), the mapping's options, the schedule and the backfill date.
 * Declared in COCKPIT_SOURCES_FILE or through `PUT /api/v1/sources/:id`; validated here so both
 * ways refuse the same things with the same field names.
 */
import Type from 'typebox'
import type { Static } from 'typebox'
import { Compile } from 'typebox/compile'
import { CODE_PATTERN, schemaErrorMessage } from '../../protocol/codes.ts'
import { DATE_PATTERN } from '../../protocol/movement.ts'
import { CockpitError } from '../errors.ts'
import type { FieldError } from '../errors.ts'
import type { ErpKind } from './mapping.ts'
import { NOTIFY_CHANNEL_PATTERN } from './sql.ts'

/** A source id: a lowercase slug, like a screen id. */
export const SOURCE_ID_PATTERN = '^[a-z0-9][a-z0-9_-]{0,63}$'
/** An environment variable name. */
export const ENV_NAME_PATTERN = '^[A-Z_][A-Z0-9_]{0,127}$'

/** The database kinds: each has a ready-made mapping (server/sources/registry.ts). */
export const SOURCE_KINDS = ['erpnext', 'odoo', 'jsherp'] as const satisfies readonly ErpKind[]

export const SCHEDULE_DEFAULTS = { pollIntervalMs: 1000, pageSize: 1000, queryTimeoutMs: 30_000, settleMs: 10_000 } as const

export const SourceDefinition = Type.Object(
  {
    id: Type.String({ pattern: SOURCE_ID_PATTERN, description: 'source id (lowercase slug)' }),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    kind: Type.Union([Type.Literal('erpnext'), Type.Literal('odoo'), Type.Literal('jsherp')], {
      description: 'the ERP whose database this is: erpnext (MariaDB/MySQL), odoo (PostgreSQL), jsherp (MySQL)',
    }),
    connectionEnv: Type.String({
      pattern: ENV_NAME_PATTERN,
      description: 'NAME of the environment variable holding the database URL (mysql://… or postgres://…); the URL is never stored',
    }),
    mapping: Type.Optional(
      Type.Object(
        {
          company: Type.Optional(
            Type.String({ minLength: 1, maxLength: 140, description: "read only this company's documents (ERPNext company, Odoo company_id, jshERP tenant_id)" }),
          ),
          idPrefix: Type.Optional(Type.String({ maxLength: 16, pattern: `^$|${CODE_PATTERN}`, description: 'prefix of every movement id and code of this source @default ""' })),
        },
        { additionalProperties: false },
      ),
    ),
    schedule: Type.Optional(
      Type.Object(
        {
          pollIntervalMs: Type.Optional(
            Type.Integer({ minimum: 100, maximum: 3_600_000, description: `pause between polls once caught up @default ${SCHEDULE_DEFAULTS.pollIntervalMs}` }),
          ),
          pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, description: `rows read per query @default ${SCHEDULE_DEFAULTS.pageSize}` })),
          queryTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000, description: `longest one query may run @default ${SCHEDULE_DEFAULTS.queryTimeoutMs}` })),
          settleMs: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 3_600_000,
              description: `rows modified less than this long ago are applied, and read again next poll in case an older row commits late @default ${SCHEDULE_DEFAULTS.settleMs}`,
            }),
          ),
          notifyChannel: Type.Optional(
            Type.String({
              pattern: NOTIFY_CHANNEL_PATTERN,
              description: 'PostgreSQL sources: LISTEN on this channel and poll at once on a NOTIFY (the schedule still polls as a fallback)',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    backfill: Type.Optional(
      Type.Object(
        { since: Type.Optional(Type.String({ pattern: DATE_PATTERN, description: 'first business date read on the first run (YYYY-MM-DD)' })) },
        { additionalProperties: false },
      ),
    ),
    paused: Type.Optional(Type.Boolean({ description: 'a paused source is not read @default false' })),
  },
  { additionalProperties: false },
)
export type SourceDefinition = Static<typeof SourceDefinition>

/** A definition as stored: with its version and when it was saved. */
export type StoredSource = SourceDefinition & { version: number; updatedAt: string }

/** The schedule with its defaults filled in. */
export function scheduleOf(def: SourceDefinition): { pollIntervalMs: number; pageSize: number; queryTimeoutMs: number; settleMs: number; notifyChannel?: string } {
  return { ...SCHEDULE_DEFAULTS, ...def.schedule }
}

const validator = Compile(SourceDefinition)

function isRealDate(date: string): boolean {
  const d = new Date(`${date}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === date
}

/** Field errors of a definition (empty when valid); `id` is the id of the URL it must match. */
export function sourceErrors(body: unknown, id?: string): FieldError[] {
  const errors: FieldError[] = []
  for (const e of validator.Errors(body)) {
    if (e.keyword === 'boolean' && e.schemaPath.endsWith('additionalProperties')) {
      errors.push({ path: e.instancePath, message: 'is not a field of a source' })
      continue
    }
    if (e.keyword === 'additionalProperties' || e.keyword === 'anyOf') continue
    if (e.keyword === 'required') {
      for (const name of (e.params as { requiredProperties?: string[] }).requiredProperties ?? []) errors.push({ path: `${e.instancePath}/${name}`, message: 'is required' })
      continue
    }
    errors.push({ path: e.instancePath || '/', message: schemaErrorMessage(e) })
  }
  // a union of literals reports each literal: say once which kinds there are
  const kindAt = errors.findIndex((e) => e.path === '/kind')
  if (kindAt !== -1) {
    const rest = errors.filter((e) => e.path !== '/kind')
    rest.splice(kindAt, 0, { path: '/kind', message: `must be one of ${SOURCE_KINDS.join(', ')}` })
    errors.splice(0, errors.length, ...rest)
  }
  if (errors.length === 0) {
    const def = body as SourceDefinition
    if (id !== undefined && def.id !== id) errors.push({ path: '/id', message: `must be the id of the URL ("${id}")` })
    const since = def.backfill?.since
    if (since !== undefined && !isRealDate(since)) errors.push({ path: '/backfill/since', message: 'is not a calendar date' })
    // LISTEN/NOTIFY is PostgreSQL's: the MySQL/MariaDB ERPs have no such thing
    if (def.schedule?.notifyChannel !== undefined && def.kind !== 'odoo') errors.push({ path: '/schedule/notifyChannel', message: 'is only for PostgreSQL sources (kind odoo)' })
  }
  return errors
}

/** The definition, or a 400 COCKPIT_ERR_INVALID_SOURCE naming the first bad field. */
export function parseSource(body: unknown, id?: string): SourceDefinition {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new CockpitError('COCKPIT_ERR_INVALID_SOURCE', 'a source must be a JSON object', [{ path: '/', message: 'must be an object' }])
  const { version: _v, updatedAt: _u, ...rest } = body as Record<string, unknown>
  const errors = sourceErrors(rest, id)
  if (errors.length > 0) {
    const first = errors[0]!
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''
    throw new CockpitError('COCKPIT_ERR_INVALID_SOURCE', `invalid source: ${first.path} ${first.message}${more}`, errors)
  }
  return rest as SourceDefinition
}

/** The sources of COCKPIT_SOURCES_FILE's JSON: an array of definitions, or `{ "sources": [...] }`. */
export function parseSourcesFile(text: string, file: string): SourceDefinition[] {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new CockpitError('COCKPIT_ERR_CONFIG', `COCKPIT_SOURCES_FILE ${file} is not JSON: ${(err as Error).message}`)
  }
  const list = Array.isArray(json) ? json : (json as { sources?: unknown } | null)?.sources
  if (!Array.isArray(list)) throw new CockpitError('COCKPIT_ERR_CONFIG', `COCKPIT_SOURCES_FILE ${file} must hold an array of sources or {"sources": [...]}`)
  const seen = new Set<string>()
  return list.map((item, i) => {
    try {
      const def = parseSource(item)
      if (seen.has(def.id)) throw new CockpitError('COCKPIT_ERR_CONFIG', `source "${def.id}" is declared twice`)
      seen.add(def.id)
      return def
    } catch (err) {
      throw new CockpitError('COCKPIT_ERR_CONFIG', `COCKPIT_SOURCES_FILE ${file}, source ${i}: ${(err as Error).message}`)
    }
  })
}
