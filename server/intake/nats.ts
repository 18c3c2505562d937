/**
 * The message-bus intake on NATS JetStream (docs/connectors.md "NATS JetStream"): every server
 * process of a cockpit pulls from one durable consumer, so JetStream hands each message to one of
 * them. A message (one movement, an array or NDJSON) is validated as a whole, applied through the
 * applier with the messages that arrived with it, and acknowledged only once Redis has it:
 *
 * - Redis unavailable (503), or concurrent batches applying the same ids (409): `nak` with a delay,
 *   so JetStream redelivers it later; ids are idempotency keys, so a redelivery never counts twice;
 * - an invalid message (not JSON, a movement the schema refuses, a cancel of an unknown id, a
 *   currency without a rate): published with its reasons to the dead-letter subject, counted, and
 *   terminated (`term`: never redelivered).
 *
 * The connection reconnects by itself after a broker restart; the loop re-binds to the consumer
 * (creating it, and the stream when configured to) whenever a session ends.
 */
import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { AckPolicy, DeliverPolicy, StorageType, connect, headers, nanos } from 'nats'
import type { ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg, NatsConnection } from 'nats'
import type { FastifyBaseLogger } from 'fastify'
import { MAX_JSON_BATCH, MAX_LISTED_REJECTIONS } from '../../protocol/movement.ts'
import type { RejectedMovement } from '../../protocol/movement.ts'
import type { NatsIntakeConfig } from '../config.ts'
import { CockpitError, RejectedMovementsError } from '../errors.ts'
import type { ApplyResult } from '../aggregate/applier.ts'
import type { BatchConversion } from '../ingest/currency.ts'
import { validateMovement } from '../ingest/validate.ts'
import type { NormalizedMovement, ValidateOptions } from '../ingest/validate.ts'
import { decodeMovements } from './decode.ts'

/** What the intake counts (per process; the plugin also sums them over processes in Redis). */
export interface IntakeCounters {
  /** messages delivered to this process (redeliveries included) */
  received: number
  /** messages applied and acknowledged */
  acked: number
  /** movements applied for the first time */
  accepted: number
  /** movements whose id was applied before (a redelivery, a re-sent event) */
  duplicates: number
  /** messages sent to the dead-letter subject and terminated */
  deadLettered: number
  /** redeliveries asked for (nak) while Redis was unavailable or busy */
  naks: number
  /** messages that arrived as a redelivery */
  redelivered: number
}

export const INTAKE_COUNTERS = ['received', 'acked', 'accepted', 'duplicates', 'deadLettered', 'naks', 'redelivered'] as const satisfies readonly (keyof IntakeCounters)[]

export type IntakeState = 'connecting' | 'running' | 'waiting-redis' | 'failing' | 'stopped'

export interface IntakeStatus {
  state: IntakeState
  /** connected to a broker now */
  connected: boolean
  servers: string[]
  stream: string
  subject: string
  durable: string
  deadLetterSubject: string
  counters: IntakeCounters
  /** when a message was last applied (RFC 3339) */
  lastAppliedAt: string | null
  lastError: { message: string; at: string } | null
}

export interface NatsIntakeOptions {
  config: NatsIntakeConfig
  /** validation of each movement (base currency, foreign currencies) */
  validate: ValidateOptions
  /** converts movements in other currencies (fxRates.convert) */
  convert(movements: NormalizedMovement[]): Promise<BatchConversion>
  /** applies one batch atomically and idempotently (aggregator.apply) */
  apply(movements: readonly NormalizedMovement[]): Promise<ApplyResult>
  /** whether Redis is reachable now */
  redisUp(): boolean
  log: FastifyBaseLogger
  /** called with what each group of messages changed in the counters */
  onCounts?(delta: Partial<IntakeCounters>): void
}

export interface NatsIntake {
  /** starts the pull loop (returns at once; it runs until stop) */
  start(): void
  /** lets the group in hand finish, asks redelivery of what was fetched and not applied, drains the connection */
  stop(): Promise<void>
  status(): IntakeStatus
  /** the consumer as the broker sees it (shared by every process), or null when not connected */
  consumerInfo(): Promise<{ pending: number; ackPending: number; redelivered: number; waiting: number } | null>
}

/** A message's movements once valid; `local` is each one's position in the message. */
interface Valid {
  msg: JsMsg
  movements: NormalizedMovement[]
  local: number[]
}

/** Messages read ahead of the one group in hand: bounded, so a slow Redis never piles them up in memory. */
const READ_AHEAD_GROUPS = 2
/** Longest payload quoted in a dead letter (NATS' default max_payload is 1 MiB). */
const MAX_QUOTED_BYTES = 256 * 1024

const isNotFound = (err: unknown) => (err as { api_error?: { code?: number } }).api_error?.code === 404

/** Errors that mean "later": Redis unreachable or busy, a connection error (no code). */
function isTransient(err: unknown): boolean {
  if (err instanceof CockpitError) return err.statusCode >= 500 || err.statusCode === 409 || err.statusCode === 408
  return true
}

export function createNatsIntake(o: NatsIntakeOptions): NatsIntake {
  const cfg = o.config
  const counters: IntakeCounters = { received: 0, acked: 0, accepted: 0, duplicates: 0, deadLettered: 0, naks: 0, redelivered: 0 }
  let state: IntakeState = 'stopped'
  let connected = false
  let lastAppliedAt: string | null = null
  let lastError: { message: string; at: string } | null = null
  let stopping = false
  let loop: Promise<void> | undefined
  let nc: NatsConnection | undefined
  let jsm: JetStreamManager | undefined
  let iter: ConsumerMessages | undefined
  /** wakes the loop's sleeps when stopping */
  const stopController = new AbortController()

  const count = (delta: Partial<IntakeCounters>) => {
    for (const [k, v] of Object.entries(delta) as [keyof IntakeCounters, number][]) counters[k] += v
    o.onCounts?.(delta)
  }
  const fail = (message: string) => {
    lastError = { message, at: new Date().toISOString() }
  }
  const pause = async (ms: number) => {
    try {
      await sleep(ms, undefined, { signal: stopController.signal })
    } catch {
      // stopping
    }
  }

  /** the stream (created when absent and allowed) and the durable consumer */
  async function bind(manager: JetStreamManager): Promise<void> {
    try {
      await manager.streams.info(cfg.stream)
    } catch (err) {
      if (!isNotFound(err)) throw err
      if (!cfg.createStream) throw new Error(`stream "${cfg.stream}" does not exist on the broker: create it, or set COCKPIT_NATS_CREATE_STREAM=true`, { cause: err })
      await manager.streams.add({ name: cfg.stream, subjects: [cfg.subject], storage: StorageType.File })
      o.log.info({ stream: cfg.stream, subject: cfg.subject }, 'NATS stream created')
    }
    try {
      const info = await manager.consumers.info(cfg.stream, cfg.durable)
      if ((info.config.filter_subject ?? '') !== cfg.subject) {
        o.log.warn(
          { durable: cfg.durable, filter: info.config.filter_subject, subject: cfg.subject },
          'the durable consumer filters another subject than COCKPIT_NATS_SUBJECT; it is used as it is',
        )
      }
    } catch (err) {
      if (!isNotFound(err)) throw err
      // several processes may add it at once: JetStream answers each with the same consumer
      await manager.consumers.add(cfg.stream, {
        durable_name: cfg.durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: cfg.subject,
        ack_wait: nanos(cfg.ackWaitMs),
        // redelivered until applied: a Redis outage of any length loses nothing
        max_deliver: -1,
      })
      o.log.info({ stream: cfg.stream, durable: cfg.durable }, 'NATS durable consumer created')
    }
  }

  /** publishes a message's rejections to the dead-letter subject, then terminates it */
  async function deadLetter(js: JetStreamClient, persisted: boolean, msg: JsMsg, rejected: RejectedMovement[], message: string): Promise<void> {
    const sorted = [...rejected].sort((a, b) => a.index - b.index)
    const letter = {
      error: 'invalid_movements',
      message,
      subject: msg.subject,
      stream: cfg.stream,
      streamSequence: msg.seq,
      deliveries: msg.info.redeliveryCount,
      at: new Date().toISOString(),
      rejected: sorted.slice(0, MAX_LISTED_REJECTIONS),
      rejectedCount: sorted.length,
      ...(msg.data.length <= MAX_QUOTED_BYTES ? { payload: new TextDecoder().decode(msg.data) } : { payloadBytes: msg.data.length }),
    }
    const h = headers()
    h.set('Cockpit-Stream', cfg.stream)
    h.set('Cockpit-Stream-Sequence', String(msg.seq))
    h.set('Cockpit-Subject', msg.subject)
    const body = new TextEncoder().encode(JSON.stringify(letter))
    // kept by JetStream when a stream captures the subject; a plain publish otherwise
    if (persisted) await js.publish(cfg.deadLetterSubject, body, { headers: h, msgID: `${cfg.stream}:${msg.seq}` })
    else {
      nc!.publish(cfg.deadLetterSubject, body, { headers: h })
      await nc!.flush()
    }
    // no reason with the term: `+TERM <reason>` needs nats-server 2.10, and 2.9 leaves such a message pending
    msg.term()
    count({ deadLettered: 1 })
    o.log.warn({ subject: msg.subject, seq: msg.seq, rejectedCount: sorted.length }, 'invalid message sent to the dead-letter subject')
  }

  /**
   * One group of messages: decoded and validated each, then applied in batches of whole messages
   * (a batch closes before a cancel of one of its own ids, a repeated id, or MAX_JSON_BATCH).
   * Returns false when Redis was unavailable: the rest were nak'ed for a later redelivery.
   */
  async function processGroup(js: JetStreamClient, persisted: boolean, group: JsMsg[]): Promise<boolean> {
    count({ received: group.length, redelivered: group.filter((m) => m.redelivered).length })
    const validate = { ...o.validate, now: Date.now() }
    const valid: Valid[] = []
    for (const msg of group) {
      const decoded = decodeMovements(msg.data)
      if (!decoded.ok) {
        await deadLetter(js, persisted, msg, decoded.rejected, 'the message is not a movement, an array of movements or NDJSON')
        continue
      }
      const movements: NormalizedMovement[] = []
      const rejected: RejectedMovement[] = []
      decoded.values.forEach((value, i) => {
        const outcome = validateMovement(value, i, validate)
        if (outcome.ok) movements.push(outcome.movement)
        else rejected.push(outcome.rejected)
      })
      if (rejected.length > 0) {
        await deadLetter(js, persisted, msg, rejected, `${rejected.length} of ${decoded.values.length} movements are invalid; nothing of the message was applied`)
        continue
      }
      valid.push({ msg, movements, local: movements.map((m) => m.index) })
    }

    let batch: Valid[] = []
    let ids = new Set<string>()
    let size = 0
    const batches: Valid[][] = []
    for (const v of valid) {
      const clash = v.movements.some((n) => ids.has(n.m.id) || (n.type === 'cancel' && ids.has((n.m as { cancels: string }).cancels)))
      if (batch.length > 0 && (clash || size + v.movements.length > MAX_JSON_BATCH)) {
        batches.push(batch)
        batch = []
        ids = new Set()
        size = 0
      }
      batch.push(v)
      size += v.movements.length
      for (const n of v.movements) ids.add(n.m.id)
    }
    if (batch.length > 0) batches.push(batch)

    for (let b = 0; b < batches.length; b++) {
      const ok = await applyMessages(js, persisted, batches[b]!)
      if (!ok) {
        // Redis went away: every message not applied yet comes back later
        const later = batches.slice(b).flat()
        for (const v of later) v.msg.nak(cfg.nakDelayMs)
        count({ naks: later.length })
        return false
      }
    }
    return true
  }

  /** applies whole messages as one batch; false when Redis is unavailable (nothing of them applied) */
  async function applyMessages(js: JetStreamClient, persisted: boolean, messages: Valid[]): Promise<boolean> {
    let remaining = messages
    while (remaining.length > 0) {
      const owner: number[] = []
      const batch: NormalizedMovement[] = []
      remaining.forEach((v, k) => {
        for (const n of v.movements) {
          n.index = batch.length
          owner.push(k)
          batch.push(n)
        }
      })
      const refused = new Map<number, RejectedMovement[]>()
      const refuse = (r: RejectedMovement) => {
        const k = owner[r.index]!
        const v = remaining[k]!
        const list = refused.get(k) ?? []
        list.push({ ...r, index: v.local[v.movements.findIndex((n) => n.index === r.index)] ?? r.index })
        refused.set(k, list)
      }
      try {
        if (!o.redisUp()) throw new CockpitError('COCKPIT_ERR_REDIS_UNAVAILABLE', 'Redis is unavailable')
        const { movements, rejected } = await o.convert(batch)
        for (const r of rejected) refuse(r)
        if (refused.size === 0) {
          const r = await o.apply(movements)
          for (const v of remaining) v.msg.ack()
          lastAppliedAt = new Date().toISOString()
          count({ acked: remaining.length, accepted: r.accepted, duplicates: r.duplicates })
          if (state === 'waiting-redis') state = 'running'
          return true
        }
      } catch (err) {
        if (err instanceof RejectedMovementsError) {
          for (const r of err.rejected) refuse(r)
        } else if (isTransient(err)) {
          state = 'waiting-redis'
          fail(`not applied, redelivery asked: ${(err as Error).message}`)
          return false
        } else if (remaining.length > 1) {
          // refused as a batch for a reason of its own (e.g. a counter out of range): find the message
          for (const v of remaining) if (!(await applyMessages(js, persisted, [v]))) return false
          return true
        } else {
          refused.set(0, [{ index: 0, id: null, errors: [{ path: '/', message: (err as Error).message }] }])
        }
      }
      // the messages holding a refused movement go to the dead-letter subject; the others are tried again
      for (const [k, rejected] of refused) {
        await deadLetter(js, persisted, remaining[k]!.msg, rejected, `${rejected.length} movement(s) refused by the cockpit; nothing of the message was applied`)
      }
      remaining = remaining.filter((_, k) => !refused.has(k))
    }
    return true
  }

  /** one connection's life: bind, then pull and apply until stopped or the consumer goes away */
  async function session(): Promise<void> {
    state = 'connecting'
    const conn = await connect({
      servers: cfg.servers,
      name: `erp-cockpit ${cfg.durable} ${hostname()}:${process.pid}`,
      // the client reconnects by itself (every second, for ever) after a broker restart
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
      timeout: 5000,
      ...(cfg.user && cfg.password ? { user: cfg.user, pass: cfg.password } : {}),
      ...(cfg.token ? { token: cfg.token } : {}),
    })
    nc = conn
    connected = true
    void (async () => {
      for await (const s of conn.status()) {
        if (s.type === 'disconnect') {
          connected = false
          fail(`disconnected from the broker (${String(s.data)})`)
        } else if (s.type === 'reconnect') connected = true
      }
    })()
    try {
      const manager = await conn.jetstreamManager()
      await bind(manager)
      jsm = manager
      const js = conn.jetstream()
      let persisted = true
      try {
        await manager.streams.find(cfg.deadLetterSubject)
      } catch {
        persisted = false
      }
      const consumer = await js.consumers.get(cfg.stream, cfg.durable)
      const messages = await consumer.consume({ max_messages: cfg.batch, expires: 5000, abort_on_missing_resource: true })
      iter = messages
      state = 'running'

      // the reader keeps at most READ_AHEAD_GROUPS groups ahead of the apply; the loop takes what has come
      const queue: JsMsg[] = []
      let wake: (() => void) | undefined
      let space: (() => void) | undefined
      let readerDone = false
      let readerError: unknown
      const reader = (async () => {
        try {
          for await (const m of messages) {
            queue.push(m)
            wake?.()
            while (queue.length >= cfg.batch * READ_AHEAD_GROUPS && !stopping) await new Promise<void>((r) => (space = r))
          }
        } catch (err) {
          readerError = err
        } finally {
          readerDone = true
          wake?.()
        }
      })()
      const onStop = () => wake?.()
      stopController.signal.addEventListener('abort', onStop)
      try {
        while (!stopping) {
          if (queue.length === 0) {
            if (readerDone) break
            await new Promise<void>((r) => (wake = r))
            wake = undefined
            continue
          }
          const group = queue.splice(0, cfg.batch)
          space?.()
          if (!(await processGroup(js, persisted, group))) await pause(cfg.nakDelayMs)
        }
      } finally {
        stopController.signal.removeEventListener('abort', onStop)
        messages.stop()
        space?.()
        await reader
        // fetched, not applied: redelivered at once to another process (or this one, later)
        for (const m of queue.splice(0)) m.nak()
      }
      if (readerError !== undefined && !stopping) throw readerError
      if (!stopping) throw new Error('the consumer stopped delivering (deleted, or the stream went away)')
    } finally {
      iter = undefined
      jsm = undefined
      connected = false
      nc = undefined
      await conn.drain().catch(() => conn.close())
    }
  }

  async function run(): Promise<void> {
    let backoff = 500
    while (!stopping) {
      try {
        await session()
        backoff = 500
      } catch (err) {
        if (stopping) break
        state = 'failing'
        fail((err as Error).message)
        o.log.warn({ err, durable: cfg.durable }, `NATS intake failing; retried in ${backoff} ms`)
        await pause(backoff)
        backoff = Math.min(backoff * 2, 10_000)
      }
    }
    state = 'stopped'
  }

  return {
    start() {
      if (loop) return
      stopping = false
      loop = run()
    },
    async stop() {
      stopping = true
      stopController.abort()
      iter?.stop()
      await loop
      loop = undefined
    },
    status() {
      return {
        state,
        connected,
        servers: cfg.servers,
        stream: cfg.stream,
        subject: cfg.subject,
        durable: cfg.durable,
        deadLetterSubject: cfg.deadLetterSubject,
        counters: { ...counters },
        lastAppliedAt,
        lastError,
      }
    },
    async consumerInfo() {
      const manager = jsm
      if (!manager || !connected) return null
      const info = await Promise.race([manager.consumers.info(cfg.stream, cfg.durable), sleep(2000).then(() => null)])
      if (!info) return null
      return { pending: info.num_pending, ackPending: info.num_ack_pending, redelivered: info.num_redelivered, waiting: info.num_waiting }
    },
  }
}
