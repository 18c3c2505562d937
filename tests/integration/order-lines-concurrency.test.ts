/**
 * Order lines under concurrent writers (docs/architecture.md "Write-path performance"): the
 * fold works a line out from the record it read, and the apply script writes only if the record
 * is still that one (else `conflict`, and the applier reads again). Checked against a private
 * Redis: a record changed between the read and the script, and two appliers (two processes'
 * worth: their own connections, their own group commit) ingesting lines of the same orders at
 * once, cancels included. Every figure must be the one a single writer leaves.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { Redis } from 'ioredis'
import { createApplier } from '../../server/aggregate/applier.ts'
import type { Applier } from '../../server/aggregate/applier.ts'
import { loadConfig } from '../../server/config.ts'
import { createCalendar } from '../../server/domain/time.ts'
import { validateBatch } from '../../server/ingest/validate.ts'
import { createKeys } from '../../server/redis/keys.ts'
import type { ApplyBatchReply } from '../../server/redis/apply-batch.ts'
import { startPrivateRedis } from '../helpers/private-redis.ts'
import type { PrivateRedis } from '../helpers/private-redis.ts'

type Move = Record<string, unknown> & { id: string }

let server: PrivateRedis
const connections: Redis[] = []

beforeAll(async () => {
  server = await startPrivateRedis()
})
afterAll(async () => {
  for (const c of connections) c.disconnect()
  await server?.destroy()
})

function connect(): Redis {
  const c = new Redis(server.url)
  connections.push(c)
  return c
}

const config = loadConfig({ COCKPIT_INGEST_KEYS: 'x', COCKPIT_ADMIN_KEY: 'y' })

/**
 * An applier on `prefix` over `redis`; the script's answers are recorded in `replies`, and
 * `beforeLineRead` (once) runs after the first read of a line hash, before its answer is used.
 */
function applierOn(redis: Redis, prefix: string, replies: string[] = [], beforeLineRead?: () => Promise<void>): Applier {
  const keys = createKeys(prefix)
  let pending = beforeLineRead
  const lineHashes = new Set([keys.line('s'), keys.line('p')])
  const seen = new Proxy(redis, {
    get(target, prop) {
      if (prop === 'hmget') {
        return async (key: string, ...fields: string[]) => {
          const values = await target.hmget(key, ...fields)
          const run = pending
          if (run && lineHashes.has(key)) {
            pending = undefined
            await run()
          }
          return values
        }
      }
      if (prop === 'applyBatch') {
        const apply = (target as unknown as { applyBatch?: (...a: string[]) => Promise<ApplyBatchReply> }).applyBatch
        if (typeof apply !== 'function') return undefined
        return async (...args: string[]) => {
          const reply = await apply.apply(target, args)
          replies.push(reply[0])
          return reply
        }
      }
      const v = Reflect.get(target, prop, target) as unknown
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  })
  return createApplier({
    redis: seen,
    keys,
    calendar: createCalendar(config.timeZone),
    retention: config.retention,
    effectTtl: config.effectTtl,
    money: config.money,
    dims: { categoryOf: () => undefined, regionOf: () => undefined },
  })
}

async function apply(applier: Applier, moves: Move[]) {
  const { movements, rejected } = validateBatch(moves, { baseCurrency: 'CNY' })
  expect(rejected).toEqual([])
  return applier.apply(movements)
}

/** a line record with its entries in a canonical order and its head order spelled out */
function canonicalLine(raw: string): unknown {
  const r = JSON.parse(raw) as { h: number; o?: unknown[]; f?: unknown[] }
  const sorted = (l: unknown[] | undefined) => (l ?? []).map((e) => JSON.stringify(e)).sort()
  return { head: r.o?.[r.h - 1] ?? null, o: sorted(r.o), f: sorted(r.f) }
}

/**
 * Everything a prefix holds, comparable between two runs: hash fields at 0 left out (a counter
 * that went up and back down keeps its field), when a closed line may be forgotten left out (it
 * depends on when its batch ran); with `anyOrder`, line records canonical and what records arrival
 * order (effect records, the latest movements) left out.
 */
async function dump(redis: Redis, prefix: string, anyOrder: boolean): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {}
  const keys = createKeys(prefix)
  const lineHashes = new Set([keys.line('s'), keys.line('p')])
  for (const key of (await redis.keys(`${prefix}*`)).sort()) {
    const name = key.slice(prefix.length)
    if (anyOrder && (key.startsWith(keys.effect('')) || key === keys.recent)) continue
    const type = await redis.type(key)
    if (type === 'hash') {
      const fields = Object.entries(await redis.hgetall(key))
        .filter(([, v]) => v !== '0')
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([f, v]) => [f, anyOrder && lineHashes.has(key) ? canonicalLine(v) : v])
      if (fields.length > 0) out[name] = fields
    } else if (type === 'zset') {
      // closed lines and the documents' last changes are scored by when they were applied: members only
      const byApplyTime = key.endsWith(':closed') || key === keys.creditChanged('ar') || key === keys.creditChanged('ap')
      out[name] = byApplyTime ? (await redis.zrange(key, '0', '-1')).sort() : await redis.zrange(key, '0', '-1', 'WITHSCORES')
    } else if (type === 'list') {
      out[name] = await redis.lrange(key, 0, -1)
    } else {
      out[name] = await redis.get(key)
    }
  }
  return out
}

const DAY = 86_400_000
const base = Date.now() - 6 * DAY
const iso = (t: number) => new Date(t).toISOString()

describe('a line record changed between the read and the script', () => {
  test('the script answers conflict, the applier reads again: applied exactly once, figures as one writer leaves them', async () => {
    const pre: Move[] = [
      { id: 'so-1', type: 'sales_order', occurredAt: iso(base), sku: 'K1', warehouse: 'W1', partner: 'C1', qty: 10, unitPrice: 20, ref: 'SO-1', dueAt: iso(base + 2 * DAY) },
      { id: 'stock', type: 'purchase_receipt', occurredAt: iso(base), sku: 'K1', warehouse: 'W1', qty: 100, unitCost: 9 },
    ]
    const meanwhile: Move[] = [
      { id: 'sh-b', type: 'sales_shipment', occurredAt: iso(base + DAY), sku: 'K1', warehouse: 'W1', partner: 'C1', qty: 4, unitPrice: 20, unitCost: 9, ref: 'SO-1' },
    ]
    const batch: Move[] = [
      { id: 'sh-a', type: 'sales_shipment', occurredAt: iso(base + 3 * DAY), sku: 'K1', warehouse: 'W1', partner: 'C1', qty: 6, unitPrice: 20, unitCost: 9, ref: 'SO-1' },
      { id: 'so-3', type: 'sales_order', occurredAt: iso(base + DAY), sku: 'K1', warehouse: 'W1', partner: 'C2', qty: 3, unitPrice: 20, ref: 'SO-3', dueAt: iso(base + 2 * DAY) },
    ]
    const other = applierOn(connect(), 'cas:')
    const replies: string[] = []
    const writer = applierOn(connect(), 'cas:', replies, async () => {
      // another process applies a shipment of the same line after this one read it
      expect(await apply(other, meanwhile)).toEqual({ accepted: 1, duplicates: 0 })
    })
    expect(await apply(other, pre)).toEqual({ accepted: 2, duplicates: 0 })
    expect(await apply(writer, batch)).toEqual({ accepted: 2, duplicates: 0 })
    expect(replies).toEqual(['conflict', 'ok'])
    // applied once: sent again, both are duplicates
    expect(await apply(writer, batch)).toEqual({ accepted: 0, duplicates: 2 })

    // one writer, the same movements in the order they took effect
    const single = applierOn(connect(), 'cas-one:')
    for (const moves of [pre, meanwhile, batch]) await apply(single, moves)
    const redis = connect()
    const got = await dump(redis, 'cas:', false)
    expect(got).toEqual(await dump(redis, 'cas-one:', false))
    // SO-1 shipped in full, late (4 by its date, 6 after): listed late, no open value; SO-3 open and due
    expect(got['ln:s:late']).toEqual(['SO-1|K1', String(base + 2 * DAY)])
    expect(got['ln:s:open']).toEqual(['SO-3|K1', String(base + 2 * DAY)])
    expect(got['c:now:ovs:all']).toEqual([['_', '600000']])
  })
})

describe('two appliers ingesting lines of the same orders at once', () => {
  test('every figure is the one a single writer leaves, whatever interleaving the compare-and-set allowed', async () => {
    const sku = (k: number) => `K${k % 3}`
    const moves = { orders: [] as Move[], ships: [] as Move[], receipts: [] as Move[], pos: [] as Move[] }
    const stock: Move[] = [0, 1, 2].map((k) => ({ id: `stock-${k}`, type: 'purchase_receipt', occurredAt: iso(base), sku: sku(k), warehouse: 'W1', qty: 10_000, unitCost: 1 }))
    for (let k = 0; k < 24; k++) {
      const ref = `SO-${k % 12}`
      const at = base + (k % 5) * 3600_000
      moves.orders.push({
        id: `so-${k}`,
        type: 'sales_order',
        occurredAt: iso(at),
        sku: sku(k),
        warehouse: 'W1',
        partner: `C${k % 4}`,
        qty: 10,
        unitPrice: 3.33,
        ref,
        dueAt: iso(at + DAY),
      })
      for (const [j, qty, late] of [
        [0, 4, 0.5],
        [1, 3, 1.5],
        [2, 2, 0.2],
      ] as const) {
        moves.ships.push({
          id: `sh-${k}-${j}`,
          type: 'sales_shipment',
          occurredAt: iso(at + late * DAY),
          sku: sku(k),
          warehouse: 'W1',
          partner: `C${k % 4}`,
          qty,
          unitPrice: 3.33,
          unitCost: 1,
          ref,
        })
      }
    }
    for (let k = 0; k < 12; k++) {
      const ref = `PO-${k % 5}`
      const at = base + k * 3600_000
      moves.pos.push({
        id: `po-${k}`,
        type: 'purchase_order',
        occurredAt: iso(at),
        sku: sku(k),
        warehouse: 'W2',
        partner: `S${k % 2}`,
        qty: 6,
        unitCost: 1.5,
        ref,
        dueDate: iso(at + DAY).slice(0, 10),
      })
      for (const j of [0, 1]) {
        moves.receipts.push({
          id: `pr-${k}-${j}`,
          type: 'purchase_receipt',
          occurredAt: iso(at + (j + 0.5) * DAY),
          sku: sku(k),
          warehouse: 'W2',
          partner: `S${k % 2}`,
          qty: 3,
          unitCost: 1.5,
          ref,
        })
      }
    }
    // A sends the orders and half the fulfilments, B the other half, interleaved, a few at a time
    const half = (list: Move[], r: number) => list.filter((_, j) => j % 2 === r)
    const streamA = [...moves.orders, ...half(moves.ships, 0), ...moves.pos, ...half(moves.receipts, 0)]
    const streamB = [...half(moves.ships, 1), ...half(moves.receipts, 1)].reverse()
    const cancelsA: Move[] = ['sh-3-0', 'sh-7-1', 'pr-2-0'].map((id) => ({ id: `x-${id}`, type: 'cancel', occurredAt: iso(base + 4 * DAY), cancels: id }))
    const cancelsB: Move[] = ['so-5', 'sh-10-1', 'po-4'].map((id) => ({ id: `x-${id}`, type: 'cancel', occurredAt: iso(base + 4 * DAY), cancels: id }))
    const chunks = (list: Move[], size: number) => Array.from({ length: Math.ceil(list.length / size) }, (_, j) => list.slice(j * size, (j + 1) * size))

    const repliesA: string[] = []
    const repliesB: string[] = []
    const a = applierOn(connect(), 'two:', repliesA)
    const b = applierOn(connect(), 'two:', repliesB)
    await apply(a, stock)
    const run = async (applier: Applier, batches: Move[][]) => {
      let accepted = 0
      for (const batch of batches) accepted += (await apply(applier, batch)).accepted
      return accepted
    }
    expect(await Promise.all([run(a, chunks(streamA, 7)), run(b, chunks(streamB, 5))])).toEqual([streamA.length, streamB.length])
    // cancels go one a batch, as the applier sends them alone; both sides at once again
    expect(await Promise.all([run(a, chunks(cancelsA, 1)), run(b, chunks(cancelsB, 1))])).toEqual([3, 3])
    // each batch applied by one script call answering ok; any other answer was a conflict, read again
    const okCount = (replies: string[]) => replies.filter((r) => r === 'ok').length
    expect(okCount(repliesA)).toBe(1 + chunks(streamA, 7).length + 3)
    expect(okCount(repliesB)).toBe(chunks(streamB, 5).length + 3)
    expect([...repliesA, ...repliesB].every((r) => r === 'ok' || r === 'conflict')).toBe(true)

    const single = applierOn(connect(), 'one:')
    await apply(single, stock)
    await run(single, chunks([...streamA, ...streamB], 50))
    await run(single, chunks([...cancelsA, ...cancelsB], 1))
    const redis = connect()
    const got = await dump(redis, 'two:', true)
    expect(got).toEqual(await dump(redis, 'one:', true))
    // the figures are there: lines of both sides, open value, on-time counters
    expect(Object.keys(got)).toEqual(expect.arrayContaining(['ln:s', 'ln:p', 'ln:p:closed', 'ln:s:open', 'c:now:ovs:all', 'c:now:ovp:all']))
    expect(Object.keys(got).some((k) => k.includes(':sl.k:'))).toBe(true)
    expect(Object.keys(got).some((k) => k.includes(':lt.s:'))).toBe(true)
  })
})
