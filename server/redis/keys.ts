/**
 * The one place that builds Redis key names and channels (BullMQ's queue-keys habit).
 * Layout and the reasons for it: docs/architecture.md#redis-key-layout.
 */
import { createHash } from 'node:crypto'
import type { Dimension } from '../../protocol/metrics.ts'
import type { Resolution } from '../domain/time.ts'

// The calendar owns resolutions; key builders take one, so their callers find it here too.
export type { Resolution } from '../domain/time.ts'
export { RESOLUTIONS } from '../domain/time.ts'

/**
 * Shards of the final movements' id markers (docs/architecture.md "Effect records and final movements"): enough that a
 * shard holds at most ~128 markers (Redis keeps such a hash as one compact listpack) up to ~30 M markers in the window.
 */
export const MARKER_SHARDS = 262_144

/** The shard of a movement id's marker: the first 20 bits of its SHA-1, modulo MARKER_SHARDS (apply-batch.lua markerKey does the same). */
export function markerShard(id: string): number {
  return Number.parseInt(createHash('sha1').update(id).digest('hex').slice(0, 5), 16) % MARKER_SHARDS
}

const RES_CODE: Record<Resolution, string> = { minute: 'm', hour: 'h', day: 'd', month: 'M', year: 'Y' }

/** Counter dimension: `all` (the total, field `_`) or a dimension; `pair` is sku|warehouse for levels. */
export type CounterDim = 'all' | Dimension | 'pair'
export const ALL_FIELD = '_'

export interface Keys {
  readonly prefix: string
  /** hash of one counter in one bucket by one dimension: field = member (or `_` for all) */
  counter(resolution: Resolution, bucket: string, counter: string, dim: CounterDim): string
  /**
   * sorted set mirroring one counter hash member by member (score = the hash's value), kept by the
   * apply script for the buckets whose members are ranked over long periods (SKU years): read
   * best first instead of summing every member (docs/architecture.md "Reading long periods")
   */
  ranking(resolution: Resolution, bucket: string, counter: string, dim: CounterDim): string
  /** hash of one running level ("now") by one dimension */
  level(counter: string, dim: CounterDim): string
  /** moving-average unit cost per sku|warehouse (1e-6 of the base currency per unit) */
  readonly avgCost: string
  /** last movement time (epoch seconds) per sku|warehouse: stockout rate counts active pairs */
  readonly lastMoved: string
  /** stock movements applied and not cancelled per sku|warehouse: a pair whose every movement was cancelled is forgotten */
  readonly liveMoves: string
  /** list of the latest movements applied, newest first: `id TAB effect record` */
  readonly recent: string
  /** FIFO receipt layers, deficit and outbound days per sku|warehouse (stock ageing, slow-moving; server/aggregate/ageing.ts) */
  readonly layers: string
  /** open order qty per `ref|sku`: `bs` sales orders, `bp` purchase orders */
  backlog(kind: 'bs' | 'bp'): string
  /** a partner's open items (receivables `ar`, payables `ap`): field `YYYY-MM-DD|document` (due date, invoice) → amount invoiced */
  openItems(side: 'ar' | 'ap', partner: string): string
  /** a partner's settlements: field document → amount paid or credited against it; field `` (empty) → not against a document */
  settlements(side: 'ar' | 'ap', partner: string): string
  /**
   * documents of a side by when a batch last invoiced or settled them: sorted set `partner|document` scored by that
   * time (epoch ms). Documents settled in full and unchanged for longer than effect records live are compacted away
   * (server/aggregate/credit-compaction.ts)
   */
  creditChanged(side: 'ar' | 'ap'): string
  /** set once the documents stored before `creditChanged` was kept have been listed in it */
  readonly creditListed: string
  /** a lease held by the one process that runs a periodic task (`SET NX PX`): value the holder's id */
  lease(task: string): string
  /**
   * open order qty per `ref|sku` of the lines also counted by sku|warehouse (`c:now:{bs|bp}:pair`):
   * every line opened since open quantities are kept by pair; `backlog` keeps the lines opened before, until they close
   */
  pairBacklog(kind: 'bs' | 'bp'): string
  /** order lines of a side (`s` sales, `p` purchase): hash `ref|sku` → the line's record (docs/metrics.md "Order lines") */
  line(side: 's' | 'p'): string
  /** lines of a side still open with a promised date: sorted set `ref|sku` scored by that date (epoch ms) */
  lineOpen(side: 's' | 'p'): string
  /** lines of a side fulfilled in full but late: sorted set `ref|sku` scored by the promised date, pruned after 62 days */
  lineLate(side: 's' | 'p'): string
  /** lines of a side with nothing open: sorted set `ref|sku` scored by when they may be forgotten (epoch ms) */
  lineClosed(side: 's' | 'p'): string
  /** effect record of an applied movement: its idempotency key */
  effect(movementId: string): string
  /**
   * hash holding the id marker of a final movement (one that keeps no effect record): field id → arrival day
   * (epoch days); `marker('')` is the prefix the apply script extends with the shard (see markerShard)
   */
  marker(movementId: string): string
  /** exists while any id marker may (`marker('')` + `on`: the apply script builds it from that prefix) */
  readonly markersOn: string
  /** master data hash of one kind: field = code, value = JSON */
  master(kind: string): string
  /** pub/sub channel of change notices */
  readonly changed: string
  /**
   * pub/sub channel nobody listens to: publishing on it (which Redis replicates) moves a connection's
   * replication offset to the current one before WAIT (server/plugins/redis.ts, ReplicaWait)
   */
  readonly replicationMark: string
  /** key prefix of the Socket.IO Redis adapter channels */
  readonly socketIo: string
  /** hash of one stored screen: `def` (definition JSON), `version`, `updatedAt`, `title`, `kind` */
  screen(id: string): string
  /** sorted set of screen ids, scored by creation time (the order GET /api/v1/screens lists) */
  readonly screenIndex: string
  /** list of a screen's saved versions, newest first, each JSON {version, updatedAt, title, def} (the last SCREEN_HISTORY_LENGTH) */
  screenVersions(id: string): string
  /** a screen's draft: JSON {def, baseVersion, updatedAt}, edited without changing what walls show until published */
  screenDraft(id: string): string
  /** exchange rates: field `CUR|YYYY-MM-DD` → rate × 1e10 (server/ingest/currency.ts) */
  readonly fxRates: string
  /** incremented on every rate change: processes reload their rate cache when it moves */
  readonly fxVersion: string
  /** set once the templates were stored as screens (seed runs once per cockpit) */
  readonly screensSeeded: string
  /** an editor sign-in: `session:<SHA-256 of the cookie's id>` → JSON {csrf, expiresAt}, expiring with the session */
  session(idDigest: string): string
  /** prefix of the failed-authentication counters, one per client IP (@fastify/rate-limit appends the IP) */
  readonly authFailures: string
  /**
   * epoch ms from which year buckets hold every movement (0: all of them; absent: not known yet,
   * years are not read): a cockpit that ran before year buckets existed has them from the next
   * New Year on, and from the start once `npm run years:rollup` summed its older months and days
   */
  readonly yearsFrom: string
  /** hash of one alert rule (`def`, `version`, `updatedAt`, `title`, `kind`), saved like a screen */
  alertRule(id: string): string
  /** sorted set of alert rule ids by creation time */
  readonly alertRules: string
  /** hash of one alert channel (`def`, `version`, `updatedAt`, `title`, `kind`) */
  alertChannel(id: string): string
  /** sorted set of alert channel ids by creation time */
  readonly alertChannels: string
  /** a rule's evaluation state (JSON: state, groups, last data, next check) */
  alertState(id: string): string
  /** list of the latest alert transitions (JSON), newest first, at most 1,000 */
  readonly alertTransitions: string
  /** outbox: sorted set delivery id → when it is due (epoch ms); a claimed delivery is pushed past its lease */
  readonly alertOutbox: string
  /** hash delivery id → JSON of a delivery still in the outbox (transition, channel, attempts) */
  readonly alertPending: string
  /** list of delivery attempts (JSON), newest first, at most 1,000 */
  readonly alertLog: string
  /** pub/sub channel of committed alert transitions: each process tells its own sockets, within their scope */
  readonly alertEvents: string
  /** hash of one report subscription (`def`, `version`, `updatedAt`, `title`, `kind`), saved like a screen */
  reportSubscription(id: string): string
  /** sorted set of report subscription ids by creation time */
  readonly reportSubscriptions: string
  /** hash subscription id → the last scheduled minute taken (epoch ms), compared-and-set by report-due.lua */
  readonly reportLast: string
  /** sorted set run id → when the run is due to render (epoch ms); a claimed run is pushed past its lease */
  readonly reportJobs: string
  /** hash run id → the run's job JSON */
  readonly reportJob: string
  /** list of the latest report runs (JSON), newest first */
  readonly reportRuns: string
  /** the picture of a run while its deliveries wait (with a time to live) */
  reportFile(run: string): string
  /** counters of a message-bus intake summed over every process: hash counter → total (server/plugins/intake.ts) */
  intake(name: string): string
  /** hash of one database source (server/sources/store.ts): `def` (definition JSON), `version`, `updatedAt` */
  source(id: string): string
  /** sorted set of source ids, scored by creation time */
  readonly sourceIndex: string
  /** hash of a source's watermarks: field = stream name, value = JSON {modified, key} */
  sourceWatermarks(id: string): string
  /** hash of a source's status and counters, written by the process that runs it */
  sourceStatus(id: string): string
  /** list of a source's latest rejected rows, newest first (at most 100) */
  sourceRejects(id: string): string
  /** hash of a source's rows that gave movements (server/sources/line-state.ts): field = stream TAB row key, value = document TAB last read TAB generation TAB counted */
  sourceLines(id: string): string
  /** key pattern that matches everything of this cockpit (for cleanup in tests) */
  readonly all: string
}

export function createKeys(prefix: string): Keys {
  return {
    prefix,
    counter: (res, bucket, counter, dim) => `${prefix}c:${RES_CODE[res]}:${bucket}:${counter}:${dim}`,
    ranking: (res, bucket, counter, dim) => `${prefix}rk:${RES_CODE[res]}:${bucket}:${counter}:${dim}`,
    level: (counter, dim) => `${prefix}c:now:${counter}:${dim}`,
    avgCost: `${prefix}lv:avg`,
    lastMoved: `${prefix}lv:last`,
    liveMoves: `${prefix}lv:moves`,
    recent: `${prefix}recent`,
    layers: `${prefix}lv:layers`,
    backlog: (kind) => `${prefix}bk:${kind}`,
    openItems: (side, partner) => `${prefix}oi:${side}:${partner}`,
    settlements: (side, partner) => `${prefix}os:${side}:${partner}`,
    creditChanged: (side) => `${prefix}cr:${side}`,
    creditListed: `${prefix}cr:listed`,
    lease: (task) => `${prefix}lease:${task}`,
    pairBacklog: (kind) => `${prefix}bkp:${kind}`,
    line: (side) => `${prefix}ln:${side}`,
    lineOpen: (side) => `${prefix}ln:${side}:open`,
    lineLate: (side) => `${prefix}ln:${side}:late`,
    lineClosed: (side) => `${prefix}ln:${side}:closed`,
    effect: (id) => `${prefix}e:${id}`,
    marker: (id) => (id === '' ? `${prefix}dd:` : `${prefix}dd:${markerShard(id)}`),
    markersOn: `${prefix}dd:on`,
    master: (kind) => `${prefix}md:${kind}`,
    changed: `${prefix}changed`,
    replicationMark: `${prefix}replicated`,
    socketIo: `${prefix}sio`,
    screen: (id) => `${prefix}screen:${id}`,
    screenIndex: `${prefix}screens`,
    screenVersions: (id) => `${prefix}screen:${id}:versions`,
    screenDraft: (id) => `${prefix}screen:${id}:draft`,
    fxRates: `${prefix}fx:rates`,
    fxVersion: `${prefix}fx:ver`,
    screensSeeded: `${prefix}screens:seeded`,
    session: (digest) => `${prefix}session:${digest}`,
    authFailures: `${prefix}authfail:`,
    yearsFrom: `${prefix}meta:years`,
    alertRule: (id) => `${prefix}alert:rule:${id}`,
    alertRules: `${prefix}alert:rules`,
    alertChannel: (id) => `${prefix}alert:channel:${id}`,
    alertChannels: `${prefix}alert:channels`,
    alertState: (id) => `${prefix}alert:state:${id}`,
    alertTransitions: `${prefix}alert:transitions`,
    alertOutbox: `${prefix}alert:outbox`,
    alertPending: `${prefix}alert:pending`,
    alertLog: `${prefix}alert:log`,
    alertEvents: `${prefix}alert:events`,
    reportSubscription: (id) => `${prefix}report:sub:${id}`,
    reportSubscriptions: `${prefix}report:subs`,
    reportLast: `${prefix}report:last`,
    reportJobs: `${prefix}report:jobs`,
    reportJob: `${prefix}report:job`,
    reportRuns: `${prefix}report:runs`,
    reportFile: (run) => `${prefix}report:file:${run}`,
    intake: (name) => `${prefix}intake:${name}`,
    source: (id) => `${prefix}src:${id}`,
    sourceIndex: `${prefix}srcs`,
    sourceWatermarks: (id) => `${prefix}src:${id}:wm`,
    sourceStatus: (id) => `${prefix}src:${id}:st`,
    sourceRejects: (id) => `${prefix}src:${id}:rej`,
    sourceLines: (id) => `${prefix}src:${id}:ln`,
    all: `${prefix}*`,
  }
}
