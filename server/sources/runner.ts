/**
 * The runner of one database source (docs/connectors.md "How a source is read"). While it holds the
 * source's lease it polls each stream of the ERP mapping page by page after the stream's watermark,
 * applies the mapped movements through the applier (the write path of POST /movements, validated
 * by server/ingest/validate.ts), and only then moves the watermark, in one script that also checks
 * the lease is still its own and the source's version unchanged — so a runner that lost its lease,
 * or whose source was edited or re-synced meanwhile, never writes a position.
 *
 * - Duplicates are harmless: movement ids come from the ERP's line ids.
 * - A `cancel` of an id never applied (a line cancelled before the cockpit saw it, or the reversing
 *   entry ERPNext writes on cancel) is counted as skipped, not as an error.
 * - A row the mapping rejects (or whose movement the validation refuses) is recorded with its
 *   reason (the last MAX_REJECTS per source) and skipped; the rest go on.
 * - A driver error (database gone, query timed out) or Redis away: the page is not committed, the
 *   connection is dropped, and the runner retries after an exponential back-off (capped at 30 s)
 *   from the committed watermark: nothing lost, nothing doubled.
 * - Rows younger than `settleMs` are applied but the watermark stays before them, so they are read
 *   again next poll: a row written by a transaction that commits after a younger row was read is not
 *   passed over (the modification time is set when a transaction writes, not when it commits).
 * - A stream with `lines` (jshERP) has the runner remember each row that gave movements: a row
 *   counting again after its movements were cancelled gets new ids (server/sources/line-state.ts);
 *   with `lines.current`, every `lines.everyMs` the runner asks the ERP for the remembered
 *   documents' lines and cancels the movements of the lines gone (deleted with an edit).
 * - A PostgreSQL source naming `schedule.notifyChannel` also LISTENs on a connection of its own: a
 *   NOTIFY ends the pause between polls at once (the schedule still polls, should a notification
 *   be lost with its connection).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Redis } from 'ioredis'
import type { FastifyBaseLogger } from 'fastify'
import { MAX_JSON_BATCH } from '../../protocol/movement.ts'
import type { Movement } from '../../protocol/movement.ts'
import type { MasterKind } from '../../protocol/master.ts'
import { SOURCE_COUNTERS } from '../../protocol/sources.ts'
import type { SourceCounter } from '../../protocol/sources.ts'
import type { Keys } from '../redis/keys.ts'
import { RejectedMovementsError } from '../errors.ts'
import { validateMovement } from '../ingest/validate.ts'
import type { NormalizedMovement } from '../ingest/validate.ts'
import type { ApplyResult } from '../aggregate/applier.ts'
import { scheduleOf } from './config.ts'
import type { StoredSource } from './config.ts'
import type { DocumentLines, ErpMapping, MapContext, MasterStream, RowResult, StreamMapping, Watermark } from './mapping.ts'
import { cancelIdOf } from './mapping-kit.ts'
import { generationId, inGeneration, lineStateText, parseLineState } from './line-state.ts'
import type { LineState } from './line-state.ts'
import { createSqlClient, listenPostgres } from './sql.ts'
import type { PgListener, SqlClient, SqlClientOptions, SqlRow } from './sql.ts'
import { MAX_REJECTS } from './store.ts'
import type { RejectedRow, SourceStore } from './store.ts'
import { LEASE_RENEW_LUA, releaseLease } from '../redis/lease.ts'

/** What a runner needs from the cockpit: the applier's entry, master data, Redis and the configuration. */
export interface RunnerDeps {
  redis: Redis
  keys: Keys
  store: SourceStore
  apply(movements: readonly NormalizedMovement[]): Promise<ApplyResult>
  upsertMaster(kind: MasterKind, records: unknown[]): Promise<number>
  /** the records of `records` the master-data schema refuses, by index, with their field errors */
  checkMaster(kind: MasterKind, records: unknown[]): { index: number; errors: { path: string; message: string }[] }[]
  timeZone: string
  currency: string
  /** where connection URLs are looked up by name @default process.env */
  env: NodeJS.ProcessEnv
  log: FastifyBaseLogger
  mappings: Partial<Record<string, ErpMapping>>
  /** this process, as the lease holder (`host:pid:random`) */
  holder: string
  /** @default Date.now */
  now?: () => number
  /** opens the ERP database (tests wrap it) @default createSqlClient */
  connect?: (o: SqlClientOptions) => SqlClient
  /** lease time-to-live, renewed every third of it @default 15 000 */
  leaseMs?: number
  /** first back-off after a failure, doubled each further failure @default 1000 */
  backoffMs?: number
  /** longest back-off @default 30 000 */
  maxBackoffMs?: number
}

/** Counters of a source's status hash: rows read, movements applied / already applied / skipped / rejected (and rows rejected), master records upserted */
export const COUNTERS = SOURCE_COUNTERS
export type Counter = SourceCounter

/**
 * Commits a page: KEYS source, watermarks, status, rejects, lease. ARGV: version, holder, stream,
 * watermark JSON ('' = keep), newest ERP time (epoch ms, '' = none), counters (6 numbers in
 * COUNTERS order), then status fields as name/value pairs, then '--' and reject JSONs.
 * Reply: 1 committed, 0 version changed, -1 lease lost.
 */
const COMMIT_LUA = `
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then return 0 end
if redis.call('GET', KEYS[5]) ~= ARGV[2] then return -1 end
if ARGV[4] ~= '' then redis.call('HSET', KEYS[2], ARGV[3], ARGV[4]) end
if ARGV[5] ~= '' then
  local cur = tonumber(redis.call('HGET', KEYS[3], 'newestAt') or '0')
  if tonumber(ARGV[5]) > cur then redis.call('HSET', KEYS[3], 'newestAt', ARGV[5]) end
end
local names = {'read', 'applied', 'duplicate', 'skipped', 'rejected', 'master'}
for i = 1, 6 do
  local n = tonumber(ARGV[5 + i])
  if n ~= 0 then redis.call('HINCRBY', KEYS[3], names[i], n) end
end
local i = 12
while i <= #ARGV and ARGV[i] ~= '--' do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  i = i + 2
end
i = i + 1
if i <= #ARGV then
  for j = i, #ARGV do redis.call('LPUSH', KEYS[4], ARGV[j]) end
  redis.call('LTRIM', KEYS[4], 0, ${MAX_REJECTS - 1})
end
return 1
`

/** The source changed (edited, paused, re-synced, deleted) or the lease was lost: start over. */
class Superseded extends Error {
  override readonly name = 'Superseded'
}

/** Outcome of one page, for counting. */
type PageCounts = Record<Counter, number>

/** how often a runner between polls checks whether its source was edited, paused or re-synced */
const IDLE_CHECK_MS = 2000
/** documents asked about in one query of their current lines */
const DOCS_PER_QUERY = 500
/** fields per HSET/HDEL of the remembered lines */
const LINES_PER_CALL = 1000
/** how stale a remembered row's last-read time may get before a re-read rewrites it (forgetting takes `keepMs`, days) */
const SEEN_REFRESH_MS = 86_400_000

const zero = (): PageCounts => ({ read: 0, applied: 0, duplicate: 0, skipped: 0, rejected: 0, master: 0 })

/** Epoch ms of a watermark's modification time (RFC 3339), NaN when it is not one. */
export function watermarkTime(w: Watermark): number {
  return Date.parse(w.modified)
}

/** Unknown cancel targets are skips: the applier says "unknown movement id …" at `/cancels`. */
function isNeverApplied(e: { path: string; message: string }): boolean {
  return e.path === '/cancels' && /^unknown movement id/.test(e.message)
}

export class SourceRunner {
  private readonly abort = new AbortController()
  private client: SqlClient | undefined
  /** the LISTEN connection of a source with `notifyChannel`, opened by a poll */
  private listener: PgListener | undefined
  /** a notification arrived since the last poll started: the next pause is skipped */
  private woken = false
  /** ends the pause in progress */
  private wake: (() => void) | undefined
  private renewTimer: NodeJS.Timeout | undefined
  private readonly now: () => number
  private readonly leaseMs: number
  /** rows read since the backfill started */
  private bfRows = 0
  /** the last failure, until a commit has recorded it (Redis may be the thing that failed) */
  private unreported: Record<string, string> | undefined
  /** resolves when the loop has ended and the lease is released */
  readonly done: Promise<void>

  private constructor(
    readonly id: string,
    private readonly d: RunnerDeps,
  ) {
    this.now = d.now ?? Date.now
    this.leaseMs = d.leaseMs ?? 15_000
    this.done = this.loop()
  }

  /** Starts a runner when this process can take the source's lease; undefined when another holds it. */
  static async start(id: string, d: RunnerDeps): Promise<SourceRunner | undefined> {
    const got = await d.redis.set(d.keys.lease(`source:${id}`), d.holder, 'PX', d.leaseMs ?? 15_000, 'NX')
    if (got !== 'OK') return undefined
    return new SourceRunner(id, d)
  }

  get stopped(): boolean {
    return this.abort.signal.aborted
  }

  /** Stops after the page in flight (never committed half) and releases the lease. */
  async stop(): Promise<void> {
    this.abort.abort()
    await this.done
  }

  private get leaseKey(): string {
    return this.d.keys.lease(`source:${this.id}`)
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.abort.signal }).catch(() => undefined)
  }

  /**
   * The pause between polls: ended early by a NOTIFY (or one that came during the poll), by stop(),
   * or by an edit, pause or re-sync of the source (its version, checked every IDLE_CHECK_MS, so a
   * long poll interval does not delay them).
   */
  private async idle(ms: number, version: number): Promise<void> {
    // real time: an injected clock (this.now) stands for the ERP's timestamps, not for how long to sleep
    const until = Date.now() + ms
    const ac = new AbortController()
    const onStop = () => ac.abort()
    this.abort.signal.addEventListener('abort', onStop, { once: true })
    this.wake = () => ac.abort()
    try {
      for (;;) {
        if (this.woken || ac.signal.aborted) return
        const left = until - Date.now()
        if (left <= 0) return
        await sleep(Math.min(left, IDLE_CHECK_MS), undefined, { signal: ac.signal }).catch(() => undefined)
        if (ac.signal.aborted || Date.now() >= until) return
        const current = await this.d.store.get(this.id).catch(() => undefined)
        if (current?.version !== version) return
      }
    } finally {
      this.wake = undefined
      this.abort.signal.removeEventListener('abort', onStop)
    }
  }

  private notified(): void {
    this.woken = true
    this.wake?.()
  }

  /** Opens the LISTEN connection when the source names a channel and none is open. */
  private async ensureListener(url: string, channel: string | undefined): Promise<void> {
    if (channel === undefined || this.listener) return
    const listener = await listenPostgres({
      url,
      channel,
      onNotify: () => this.notified(),
      onLost: (err) => {
        if (this.listener !== listener) return
        this.listener = undefined
        this.d.log.warn({ source: this.id, error: err ? errorMessage(err) : 'closed' }, 'source LISTEN connection lost; reopened at the next poll')
        // a NOTIFY may have been lost with it: poll now
        this.notified()
      },
    })
    this.listener = listener
  }

  private async loop(): Promise<void> {
    const { d } = this
    this.renewTimer = setInterval(
      () => {
        d.redis.eval(LEASE_RENEW_LUA, 1, this.leaseKey, d.holder, String(this.leaseMs)).then(
          (ok) => {
            if (ok === 0) {
              d.log.warn({ source: this.id }, 'source lease lost to another process; stopping')
              this.abort.abort()
            }
          },
          // Redis away: the page commit will fail too; the lease may lapse, then whoever takes it resumes from the watermark
          () => undefined,
        )
      },
      Math.floor(this.leaseMs / 3),
    )
    this.renewTimer.unref()
    let failures = 0
    let version: number | undefined
    try {
      while (!this.stopped) {
        let source: StoredSource | undefined
        try {
          source = await d.store.get(this.id)
          if (!source || source.paused) {
            if (source) await this.writeStatus(source.version, { state: 'paused' }).catch(() => undefined)
            break
          }
          if (version !== source.version) {
            await this.closeClient()
            version = source.version
          }
          const caughtUp = await this.poll(source)
          failures = 0
          if (caughtUp) await this.idle(scheduleOf(source).pollIntervalMs, source.version)
        } catch (err) {
          if (err instanceof Superseded) {
            await this.closeClient()
            continue
          }
          if (this.stopped) break
          failures++
          const wait = Math.min(d.maxBackoffMs ?? 30_000, (d.backoffMs ?? 1000) * 2 ** Math.min(failures - 1, 20))
          const message = errorMessage(err)
          d.log.warn({ source: this.id, attempt: failures, retryInMs: wait, error: message }, 'source read failed; retrying from its watermark')
          await this.closeClient()
          const at = new Date(this.now()).toISOString()
          // failingSince: the first failure of this streak (a wall marks what the source feeds stale after a while)
          this.unreported = { ...(failures === 1 ? { failingSince: at } : this.unreported), lastError: message, lastErrorAt: at, failures: String(failures) }
          if (source) await this.writeStatus(source.version, { state: 'failing' }).catch(() => undefined)
          await this.pause(wait)
        }
      }
    } finally {
      clearInterval(this.renewTimer)
      await this.closeClient()
      await releaseLease(d.redis, this.leaseKey, d.holder)
    }
  }

  private async closeClient(): Promise<void> {
    const c = this.client
    const l = this.listener
    this.client = undefined
    this.listener = undefined
    if (c) await c.close()
    if (l) await l.close()
  }

  /** Status fields outside a page commit (paused, failing): written only while the lease and the version are ours. */
  private async writeStatus(version: number, fields: Record<string, string>): Promise<void> {
    await this.commit(version, '', null, undefined, zero(), fields, [])
  }

  private async commit(version: number, stream: string, wm: Watermark | null, newest: number | undefined, c: PageCounts, fields: Record<string, string>, rejects: RejectedRow[]) {
    const { d } = this
    const unreported = this.unreported
    if (unreported) fields = { ...unreported, ...fields }
    const args = [
      String(version),
      d.holder,
      stream,
      wm ? JSON.stringify(wm) : '',
      newest === undefined || Number.isNaN(newest) ? '' : String(newest),
      ...COUNTERS.map((k) => String(c[k])),
      ...Object.entries({ heartbeatAt: String(this.now()), holder: d.holder, ...fields }).flat(),
      '--',
      ...rejects.map((r) => JSON.stringify(r)),
    ]
    const reply = (await d.redis.eval(
      COMMIT_LUA,
      5,
      d.keys.source(this.id),
      d.keys.sourceWatermarks(this.id),
      d.keys.sourceStatus(this.id),
      d.keys.sourceRejects(this.id),
      this.leaseKey,
      ...args,
    )) as number
    if (reply === -1) {
      this.abort.abort()
      throw new Superseded('lease lost')
    }
    if (reply === 0) throw new Superseded('source changed')
    if (this.unreported === unreported) this.unreported = undefined
  }

  /**
   * One poll: every master stream, then every movement stream, each read page by page until a
   * page is not full. True when every stream was caught up.
   */
  private async poll(source: StoredSource): Promise<boolean> {
    const { d } = this
    const mapping = d.mappings[source.kind]
    if (!mapping) throw new Error(`no mapping for kind "${source.kind}" in this build`)
    const url = d.env[source.connectionEnv]
    if (!url) throw new Error(`${source.connectionEnv} is not set in this process: it must hold the database URL`)
    const schedule = scheduleOf(source)
    if (!this.client) this.client = (d.connect ?? createSqlClient)({ dialect: mapping.dialect, url, queryTimeoutMs: schedule.queryTimeoutMs })
    // listening before reading: a NOTIFY of a row committed after its stream was read wakes the next poll
    this.woken = false
    if (mapping.dialect === 'postgres') await this.ensureListener(url, schedule.notifyChannel)
    const ctx: MapContext = {
      tz: d.timeZone,
      baseCurrency: d.currency,
      idPrefix: source.mapping?.idPrefix ?? '',
      ...(source.mapping?.company !== undefined && { company: source.mapping.company }),
    }
    const started = this.now()
    const [marks, status] = await Promise.all([d.store.watermarks(this.id), d.store.status(this.id)])
    const backfilling = status.bfDoneAt === undefined
    this.bfRows = Number(status.bfRows ?? 0)
    if (backfilling && status.bfStartedAt === undefined) await this.writeStatus(source.version, { bfStartedAt: String(started), bfRows: '0' })

    for (const stream of mapping.master) await this.drain(source, stream, marks.get(stream.name) ?? null, ctx, backfilling, true)
    for (const stream of mapping.streams) {
      await this.drain(source, stream, marks.get(stream.name) ?? null, ctx, backfilling, false)
      if (stream.lines?.current) await this.checkLines(source, stream.name, stream.lines, ctx)
    }

    const fields: Record<string, string> = { state: 'running', caughtUpAt: String(started), failures: '0', failingSince: '' }
    if (backfilling) fields.bfDoneAt = String(this.now())
    await this.writeStatus(source.version, fields)
    return true
  }

  /**
   * Reads one stream until a page comes back short, committing after each page. While a full page
   * is applied the next one is already being read (the database and Redis work side by side); a
   * page read ahead is dropped when the one before it fails, and read again from the watermark.
   */
  private async drain(source: StoredSource, stream: StreamMapping | MasterStream, committed: Watermark | null, ctx: MapContext, backfilling: boolean, master: boolean) {
    const { pageSize: limit, settleMs } = scheduleOf(source)
    const read = (after: Watermark | null) =>
      this.client!.query(master ? (stream as MasterStream).page(after, limit, ctx) : (stream as StreamMapping).page(after, limit, source.backfill?.since, ctx))
    let next: Promise<SqlRow[]> = read(committed)
    for (;;) {
      if (this.stopped) {
        next.catch(() => undefined)
        throw new Superseded('stopping')
      }
      const rows = await next
      // the position after this page: where the next page starts
      // each row's position, read once: its key names a reject, its time settles the watermark
      const marks = rows.map((row) => stream.watermark(row, ctx))
      const cursor = marks[marks.length - 1] ?? null
      const full = rows.length >= limit
      if (full) {
        next = read(cursor)
        // settled below, or dropped with this page's failure
        next.catch(() => undefined)
      }
      const counts = zero()
      counts.read = rows.length
      const rejects: RejectedRow[] = []
      if (master) await this.applyMaster(stream as MasterStream, rows, marks, ctx, counts, rejects)
      else await this.applyRows(stream as StreamMapping, rows, marks, ctx, counts, rejects)

      // the furthest the watermark may move: before the first young row
      const settledBefore = this.now() - settleMs
      let newest: number | undefined
      let settled: Watermark | null = null
      let young = false
      for (const w of marks) {
        const t = watermarkTime(w)
        if (!Number.isNaN(t) && (newest === undefined || t > newest)) newest = t
        // a time the runner cannot read cannot be judged young: it must not hold the watermark back forever
        if (!young && t > settledBefore) young = true
        if (!young) settled = w
      }
      const fields: Record<string, string> = { state: backfilling ? 'backfilling' : 'running' }
      if (backfilling) {
        this.bfRows += rows.length
        fields.bfRows = String(this.bfRows)
      }
      await this.commit(source.version, stream.name, settled, newest, counts, fields, rejects)
      if (!full) return
    }
  }

  private async applyMaster(stream: MasterStream, rows: SqlRow[], marks: Watermark[], ctx: MapContext, counts: PageCounts, rejects: RejectedRow[]) {
    const records: unknown[] = []
    const keysOf: string[] = []
    rows.forEach((row, i) => {
      const r = stream.map(row, ctx)
      if ('skip' in r) counts.skipped++
      else {
        records.push(r.record)
        keysOf.push(marks[i]!.key)
      }
    })
    if (records.length === 0) return
    const bad = new Map(this.d.checkMaster(stream.kind, records).map((b) => [b.index, b]))
    const good = records.filter((_, i) => !bad.has(i))
    for (const [i, b] of bad) {
      counts.rejected++
      rejects.push(this.rejectRow(stream.name, keysOf[i]!, b.errors.map((e) => `${e.path} ${e.message}`).join('; ')))
    }
    if (good.length > 0) counts.master += await this.d.upsertMaster(stream.kind, good)
  }

  private rejectRow(stream: string, key: string, reason: string): RejectedRow {
    return { stream, key, reason, at: new Date(this.now()).toISOString() }
  }

  private async applyRows(stream: StreamMapping, rows: SqlRow[], marks: Watermark[], ctx: MapContext, counts: PageCounts, rejects: RejectedRow[]) {
    const now = this.now()
    const firsts: { n: NormalizedMovement; key: string }[] = []
    const cancels: { n: NormalizedMovement; key: string }[] = []
    const results = rows.map((row): RowResult => {
      try {
        return stream.map(row, ctx)
      } catch (err) {
        return { reject: `the mapping failed on this row: ${errorMessage(err)}` }
      }
    })
    // a stream whose ERP deletes lines with an edit: the lines that gave movements, their state as remembered
    const linesKey = this.d.keys.sourceLines(this.id)
    const at = results.map((r, i) => (stream.lines && 'movements' in r && r.movements.length > 0 ? stream.lines.of(rows[i]!) : undefined))
    const fields = at.map((a) => (a ? `${stream.name}\t${a.line}` : ''))
    const asked = fields.filter((f) => f !== '')
    const known = new Map<string, LineState>()
    if (asked.length > 0) (await this.d.redis.hmget(linesKey, ...asked)).forEach((v, j) => v !== null && known.set(asked[j]!, parseLineState(v)))
    // field, value, …: the lines' state after this page
    const seen: string[] = []
    for (const [i, result] of results.entries()) {
      const key = marks[i]!.key
      if ('skip' in result) {
        counts.skipped++
        continue
      }
      if ('reject' in result) {
        counts.rejected++
        rejects.push(this.rejectRow(stream.name, key, result.reject))
        continue
      }
      let movements = result.movements
      const line = at[i]
      if (line) {
        const prev = known.get(fields[i]!)
        const g = inGeneration(movements, prev)
        movements = g.movements
        // a re-scan re-reads the window's rows every cycle: an unchanged row's state is rewritten once a day, not once a cycle
        const unchanged = prev !== undefined && prev.doc === line.doc && prev.gen === g.gen && prev.counted === g.counted && now - prev.seenAt < SEEN_REFRESH_MS
        if (!unchanged) seen.push(fields[i]!, lineStateText({ doc: line.doc, seenAt: now, gen: g.gen, counted: g.counted }))
      }
      for (const m of movements) {
        const v = validateMovement(m, 0, { baseCurrency: this.d.currency, now })
        if (!v.ok) {
          counts.rejected++
          rejects.push(this.rejectRow(stream.name, key, `${m.id}: ${v.rejected.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`))
          continue
        }
        // a cancel goes after the movements of its page: it may reverse one of them
        ;(m.type === 'cancel' ? cancels : firsts).push({ n: v.movement, key })
      }
    }
    await this.applyAll(stream.name, firsts, counts, rejects)
    await this.applyAll(stream.name, cancels, counts, rejects)
    // after the movements: a process stopped in between reads the same state again and gives the same ids
    for (let i = 0; i < seen.length; i += 2 * LINES_PER_CALL) await this.d.redis.hset(linesKey, ...seen.slice(i, i + 2 * LINES_PER_CALL))
  }

  /** when each stream's documents were last checked for lines gone (in this process: a new runner checks at once) */
  private readonly linesCheckedAt = new Map<string, number>()

  /**
   * The lines the runner remembers for a stream that the ERP no longer has (deleted with an edit of
   * their document): their movements are cancelled, then the lines forgotten; lines not read
   * again for `keepMs` are forgotten too. Each document's lines are asked in one query, so an edit
   * (old lines deleted, new ones inserted, in one transaction) is seen whole or not at all.
   */
  private async checkLines(source: StoredSource, streamName: string, lines: DocumentLines, ctx: MapContext) {
    const now = this.now()
    if (now - (this.linesCheckedAt.get(streamName) ?? -Infinity) < lines.everyMs) return
    const key = this.d.keys.sourceLines(this.id)
    const prefix = `${streamName}\t`
    const forget: string[] = []
    // document → its lines and their state
    const byDoc = new Map<string, [line: string, state: LineState][]>()
    for (const [field, value] of Object.entries(await this.d.redis.hgetall(key))) {
      if (!field.startsWith(prefix)) continue
      const state = parseLineState(value)
      if (now - state.seenAt > lines.keepMs) forget.push(field)
      else {
        const entry: [string, LineState] = [field.slice(prefix.length), state]
        const list = byDoc.get(state.doc)
        if (list) list.push(entry)
        else byDoc.set(state.doc, [entry])
      }
    }
    const docs = [...byDoc.keys()]
    const present = new Set<string>()
    for (let i = 0; i < docs.length; i += DOCS_PER_QUERY) {
      for (const row of await this.client!.query(lines.current!(docs.slice(i, i + DOCS_PER_QUERY), ctx))) present.add(`${String(row.doc)}\t${String(row.line)}`)
    }
    const counts = zero()
    const rejects: RejectedRow[] = []
    const cancels: { n: NormalizedMovement; key: string }[] = []
    const occurredAt = new Date(now).toISOString()
    for (const [doc, list] of byDoc) {
      for (const [line, state] of list) {
        if (present.has(`${doc}\t${line}`)) continue
        forget.push(prefix + line)
        // movements already cancelled (the bill un-approved) have nothing left to take back
        if (!state.counted) continue
        for (const id of lines.movementIds(line, ctx).map((m) => generationId(m, state.gen))) {
          const v = validateMovement({ type: 'cancel', id: cancelIdOf(id), occurredAt, cancels: id }, 0, { baseCurrency: this.d.currency, now })
          if (v.ok) cancels.push({ n: v.movement, key: line })
          else {
            counts.rejected++
            rejects.push(this.rejectRow(streamName, line, `${id}: ${v.rejected.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`))
          }
        }
      }
    }
    await this.applyAll(streamName, cancels, counts, rejects)
    await this.commit(source.version, streamName, null, undefined, counts, {}, rejects)
    for (let i = 0; i < forget.length; i += LINES_PER_CALL) await this.d.redis.hdel(key, ...forget.slice(i, i + LINES_PER_CALL))
    this.linesCheckedAt.set(streamName, now)
  }

  /** Applies in batches of at most MAX_JSON_BATCH; refused movements are taken out and the rest applied. */
  private async applyAll(stream: string, items: { n: NormalizedMovement; key: string }[], counts: PageCounts, rejects: RejectedRow[]) {
    for (let i = 0; i < items.length; i += MAX_JSON_BATCH) {
      let batch = items.slice(i, i + MAX_JSON_BATCH)
      while (batch.length > 0) {
        batch.forEach((it, j) => (it.n.index = j))
        try {
          const r = await this.d.apply(batch.map((it) => it.n))
          counts.applied += r.accepted
          counts.duplicate += r.duplicates
          break
        } catch (err) {
          if (!(err instanceof RejectedMovementsError)) throw err
          const out = new Set<number>()
          for (const rej of err.rejected) {
            out.add(rej.index)
            const it = batch[rej.index]!
            if (rej.errors.every(isNeverApplied)) counts.skipped++
            else {
              counts.rejected++
              rejects.push(this.rejectRow(stream, it.key, `${(it.n.m as Movement).id}: ${rej.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`))
            }
          }
          batch = batch.filter((_, j) => !out.has(j))
        }
      }
    }
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message
  }
  return String(err)
}
