/**
 * What the cockpit says about its database sources (protocol v1, docs/api.md "Sources" and
 * docs/connectors.md "Seeing sources work"): the answer of `GET /api/v1/sources` (an array of
 * `{source, status}`), of `GET /api/v1/sources/:id`, and the Socket.IO `sources` event that tells
 * screens which sources have been failing long enough for their figures to count as stale.
 * The server builds its response schemas from these; the source-status widget and the Sources
 * page read the same types.
 */
import Type from 'typebox'
import type { Static } from 'typebox'

/** The states of a source, the ones needing attention first. */
export const SOURCE_STATES = ['failing', 'backfilling', 'paused', 'running', 'idle'] as const
export type SourceState = (typeof SOURCE_STATES)[number]

/** rows read, movements applied / already applied / skipped / rejected (and rows rejected), master records upserted */
export const SOURCE_COUNTERS = ['read', 'applied', 'duplicate', 'skipped', 'rejected', 'master'] as const
export type SourceCounter = (typeof SOURCE_COUNTERS)[number]

/** A source fails this long before the screens mark what it feeds stale @default 60 000 (COCKPIT_SOURCE_STALE_MS) */
export const SOURCE_STALE_MS = 60_000

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()])

export const SourceStatusSchema = Type.Object({
  // the literals of SOURCE_STATES, spelled out so the static type is their union (a mapped array would be `never`)
  state: Type.Union([Type.Literal('failing'), Type.Literal('backfilling'), Type.Literal('paused'), Type.Literal('running'), Type.Literal('idle')]),
  /** the process running it (`host:pid:…`), when one does */
  holder: Nullable(Type.String()),
  counters: Type.Object(Object.fromEntries(SOURCE_COUNTERS.map((c) => [c, Type.Integer()])) as Record<SourceCounter, ReturnType<typeof Type.Integer>>),
  /** now − the time up to which every ERP change is applied (the start of the last poll that caught up), or now − the newest ERP modification applied while behind */
  lagMs: Type.Union([Type.Integer(), Type.Null()]),
  /** newest ERP modification time applied */
  newestAt: Nullable(Type.String()),
  /** start of the last poll that read every stream to its end */
  caughtUpAt: Nullable(Type.String()),
  lastError: Type.Union([Type.Object({ message: Type.String(), at: Type.String() }), Type.Null()]),
  /** when the current streak of failures began (null while reads succeed) */
  failingSince: Nullable(Type.String()),
  /** consecutive failed attempts (0 while reads succeed) */
  failures: Type.Integer(),
  backfill: Type.Object({
    since: Nullable(Type.String()),
    startedAt: Nullable(Type.String()),
    rows: Type.Integer(),
    reachedAt: Nullable(Type.String()),
    doneAt: Nullable(Type.String()),
  }),
})
/** What `GET /api/v1/sources` and `GET /api/v1/sources/:id` report about a source's work. */
export type SourceStatus = Static<typeof SourceStatusSchema>
// the schema's states are exactly SOURCE_STATES
const _states: [SourceStatus['state'], SourceState] extends [SourceState, SourceStatus['state']] ? true : never = true
void _states

/**
 * A source as the API returns it. The admin key (or the editor's session) gets the whole stored
 * definition (connectionEnv, mapping, schedule …: `additionalProperties`); any other reader gets
 * these fields only, so a wall's token never learns which environment variable holds a database URL.
 */
export const SourceViewSchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.String(),
    title: Type.Optional(Type.String()),
    paused: Type.Optional(Type.Boolean()),
    backfill: Type.Optional(Type.Object({ since: Type.Optional(Type.String()) })),
    version: Type.Integer(),
    updatedAt: Type.String(),
  },
  { additionalProperties: true },
)
export type SourceView = Static<typeof SourceViewSchema>

/** One item of `GET /api/v1/sources`. */
export const SourceSummarySchema = Type.Object({ source: SourceViewSchema, status: SourceStatusSchema })
export type SourceSummary = Static<typeof SourceSummarySchema>

/** A row the source read and could not apply. */
export const RejectedRowSchema = Type.Object({ stream: Type.String(), key: Type.String(), reason: Type.String(), at: Type.String() })
export type RejectedRowView = Static<typeof RejectedRowSchema>

/** `GET /api/v1/sources/:id`. `watermarks` and `rejects` are left out for a reader whose token has a scope (a rejected row may name what the scope hides). */
export const SourceDetailSchema = Type.Object({
  source: SourceViewSchema,
  status: SourceStatusSchema,
  watermarks: Type.Optional(Type.Record(Type.String(), Type.Object({ modified: Type.String(), key: Type.String() }))),
  rejects: Type.Optional(Type.Array(RejectedRowSchema)),
})
export type SourceDetail = Static<typeof SourceDetailSchema>

/** A source failing for at least the stale threshold. */
export interface StaleSource {
  id: string
  title?: string
  /** RFC 3339: the first failure of the streak */
  failingSince: string
}

/**
 * Socket.IO `sources`: the sources failing for at least COCKPIT_SOURCE_STALE_MS (empty when none).
 * Sent on connect and whenever that list changes. While it is not empty every widget showing
 * figures (every metric is made of movements) shows stale, naming the sources.
 */
export interface SourcesHealth {
  stale: StaleSource[]
  /** RFC 3339, server time */
  at: string
}

/** The fields of a stored definition any reader may see. */
export function publicSourceView(source: SourceView): SourceView {
  const { id, kind, title, paused, backfill, version, updatedAt } = source
  return {
    id,
    kind,
    ...(title !== undefined && { title }),
    ...(paused !== undefined && { paused }),
    ...(backfill?.since !== undefined && { backfill: { since: backfill.since } }),
    version,
    updatedAt,
  }
}
