/**
 * A cancel in the same batch as the order or payment it reverses (docs/architecture.md "Write-path performance":
 * `npm run import` no longer cuts its batch before every such cancel). The fold reverses the target's deltas in
 * the batch itself, so the figures must be exactly those of the old way, the cancel in a later batch than its
 * target: checked on a private Redis by comparing everything the two prefixes hold, for live and for final
 * (history) movements. A cancel of a stock movement still needs the cost the script gave its target and is refused.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { Redis } from 'ioredis'
import { createApplier } from '../../server/aggregate/applier.ts'
import type { Applier } from '../../server/aggregate/applier.ts'
import { loadConfig } from '../../server/config.ts'
import { createCalendar } from '../../server/domain/time.ts'
import { RejectedMovementsError } from '../../server/errors.ts'
import { validateBatch } from '../../server/ingest/validate.ts'
import { createKeys } from '../../server/redis/keys.ts'
import { startPrivateRedis } from '../helpers/private-redis.ts'
import type { PrivateRedis } from '../helpers/private-redis.ts'

type Move = Record<string, unknown> & { id: string; type: string }

let server: PrivateRedis
let redis: Redis

beforeAll(async () => {
  server = await startPrivateRedis()
  redis = new Redis(server.url)
})
afterAll(async () => {
  redis?.disconnect()
  await server?.destroy()
})

const config = loadConfig({ COCKPIT_INGEST_KEYS: 'x', COCKPIT_ADMIN_KEY: 'y' })

function applierOn(prefix: string): Applier {
  return createApplier({
    redis: new Redis(server.url),
    keys: createKeys(prefix),
    calendar: createCalendar(config.timeZone),
    retention: config.retention,
    effectTtl: config.effectTtl,
    finalAfter: config.finalAfter,
    finalGrace: config.finalGrace,
    money: config.money,
    dims: { categoryOf: (sku) => `CAT-${sku}`, regionOf: () => 'R1', termsOf: () => 30 },
  })
}

async function apply(applier: Applier, moves: Move[]) {
  const { movements, rejected } = validateBatch(moves, { baseCurrency: 'CNY' })
  expect(rejected).toEqual([])
  return applier.apply(movements)
}

/**
 * Everything a prefix holds: hash fields at 0 left out (a counter that went up and back down keeps its field), sets
 * scored by when a batch ran by their members only, effect records as objects (a record cancelled in its own batch
 * is written with `c` before its outputs, one cancelled later gets `c` appended), the latest-movements list left out
 * (it shows a record as it was written).
 */
async function dump(prefix: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {}
  const keys = createKeys(prefix)
  for (const key of (await redis.keys(`${prefix}*`)).sort()) {
    const name = key.slice(prefix.length)
    if (key === keys.recent) continue
    const type = await redis.type(key)
    if (type === 'hash') {
      const fields = Object.entries(await redis.hgetall(key))
        .filter(([, v]) => v !== '0')
        .sort(([a], [b]) => (a < b ? -1 : 1))
      if (fields.length > 0) out[name] = fields
    } else if (type === 'zset') {
      const byApplyTime = key.endsWith(':closed') || key === keys.creditChanged('ar') || key === keys.creditChanged('ap')
      out[name] = byApplyTime ? (await redis.zrange(key, '0', '-1')).sort() : await redis.zrange(key, '0', '-1', 'WITHSCORES')
    } else if (type === 'list') {
      out[name] = await redis.lrange(key, 0, -1)
    } else {
      const v = await redis.get(key)
      out[name] = key.startsWith(keys.effect('')) && v !== null ? JSON.parse(v) : v
    }
  }
  return out
}

const DAY = 86_400_000
const iso = (t: number) => new Date(t).toISOString()

/** orders, their fulfilments and payments; some orders and payments cancelled a few movements after them */
function movements(tag: string, base: number): Move[] {
  const out: Move[] = [{ id: `${tag}-stock`, type: 'purchase_receipt', occurredAt: iso(base), sku: 'K1', warehouse: 'W1', qty: 1000, unitCost: 2.5, partner: 'S1' }]
  for (let k = 0; k < 12; k++) {
    const at = base + k * 3_600_000
    const so = {
      id: `${tag}-so${k}`,
      type: 'sales_order',
      occurredAt: iso(at),
      sku: 'K1',
      warehouse: 'W1',
      partner: `C${k % 3}`,
      qty: 5 + k,
      unitPrice: 9.99,
      ref: `${tag}-SO${k}`,
      dueAt: iso(at + DAY),
    }
    const po = {
      id: `${tag}-po${k}`,
      type: 'purchase_order',
      occurredAt: iso(at),
      sku: 'K2',
      warehouse: 'W1',
      partner: 'S1',
      qty: 7,
      unitCost: 1.25,
      ref: `${tag}-PO${k}`,
      dueAt: iso(at + 2 * DAY),
    }
    const pay = { id: `${tag}-pay${k}`, type: 'payment_in', occurredAt: iso(at + 60_000), partner: `C${k % 3}`, amount: 10.5 + k, ref: `${tag}-SO${k}` }
    const out_ = { id: `${tag}-out${k}`, type: 'payment_out', occurredAt: iso(at + 60_000), partner: 'S1', amount: 3 + k, ref: `${tag}-PO${k}` }
    out.push(so, po, pay, out_)
    // half the orders are shipped (partly) before the cancels come
    if (k % 2 === 0)
      out.push({
        id: `${tag}-sh${k}`,
        type: 'sales_shipment',
        occurredAt: iso(at + 120_000),
        sku: 'K1',
        warehouse: 'W1',
        partner: `C${k % 3}`,
        qty: 2,
        unitPrice: 9.99,
        ref: `${tag}-SO${k}`,
      })
    if (k % 3 === 0) out.push({ id: `${tag}-x${so.id}`, type: 'cancel', occurredAt: iso(at + 180_000), cancels: so.id })
    if (k % 4 === 1) out.push({ id: `${tag}-x${po.id}`, type: 'cancel', occurredAt: iso(at + 180_000), cancels: po.id })
    if (k % 3 === 1) out.push({ id: `${tag}-x${pay.id}`, type: 'cancel', occurredAt: iso(at + 180_000), cancels: pay.id })
    if (k % 5 === 2) out.push({ id: `${tag}-x${out_.id}`, type: 'cancel', occurredAt: iso(at + 180_000), cancels: out_.id })
  }
  return out
}

/** the movements cut as a sender had to before: a new batch before every cancel of a movement of the batch */
function cutBeforeCancels(moves: Move[]): Move[][] {
  const batches: Move[][] = [[]]
  let ids = new Set<string>()
  for (const m of moves) {
    if (m.type === 'cancel' && ids.has(m.cancels as string)) {
      batches.push([])
      ids = new Set()
    }
    batches.at(-1)!.push(m)
    ids.add(m.id)
  }
  return batches
}

describe('a cancel in the batch of the order or payment it reverses', () => {
  for (const [name, base] of [
    ['live movements', Date.now() - 3 * DAY],
    ['final movements (history)', Date.UTC(2023, 4, 10)],
  ] as const) {
    test(`${name}: the same figures, lines and records as the cancel in a later batch`, async () => {
      const moves = movements('m', base)
      const cancels = moves.filter((m) => m.type === 'cancel').length
      expect(cancels).toBeGreaterThanOrEqual(10)
      const prefix = `ib-${name.slice(0, 4)}-1:`
      expect(await apply(applierOn(prefix), moves)).toEqual({ accepted: moves.length, duplicates: 0 })
      const apart = applierOn(`ib-${name.slice(0, 4)}-2:`)
      const batches = cutBeforeCancels(moves)
      expect(batches.length).toBeGreaterThan(cancels / 2)
      for (const b of batches) await apply(apart, b)
      const together = await dump(prefix)
      expect(Object.keys(together).length).toBeGreaterThan(100)
      expect(together).toEqual(await dump(`ib-${name.slice(0, 4)}-2:`))
      // the cancelled order's record says so: cancelling it again is refused, resending the batch is all duplicates
      const again = applierOn(prefix)
      const err = await apply(again, [{ id: 'm-again', type: 'cancel', occurredAt: iso(base + DAY), cancels: 'm-so0' }]).catch((e: unknown) => e)
      expect(JSON.stringify((err as RejectedMovementsError).rejected)).toMatch(/already cancelled by \\"m-xm-so0\\"/)
      expect(await apply(again, moves)).toEqual({ accepted: 0, duplicates: moves.length })
    })
  }

  test('a cancel of a stock movement, before its target or twice in one batch is refused, and nothing is applied', async () => {
    const base = Date.now() - 2 * DAY
    const ok: Move[] = [
      { id: 'r-so', type: 'sales_order', occurredAt: iso(base), sku: 'K1', warehouse: 'W1', qty: 1, unitPrice: 1, ref: 'R-SO' },
      { id: 'r-rc', type: 'purchase_receipt', occurredAt: iso(base), sku: 'K1', warehouse: 'W1', qty: 1, unitCost: 1 },
    ]
    const applier = applierOn('ib-refused:')
    const refused = async (extra: Move[], message: RegExp) => {
      const err = await apply(applier, [...ok, ...extra]).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(RejectedMovementsError)
      expect(JSON.stringify((err as RejectedMovementsError).rejected)).toMatch(message)
    }
    await refused([{ id: 'r-x1', type: 'cancel', occurredAt: iso(base), cancels: 'r-rc' }], /purchase_receipt of the same batch/)
    await refused(
      [
        { id: 'r-x1', type: 'cancel', occurredAt: iso(base), cancels: 'r-so' },
        { id: 'r-x2', type: 'cancel', occurredAt: iso(base), cancels: 'r-so' },
      ],
      /already cancelled by \\"r-x1\\" in this batch/,
    )
    const err = await apply(applier, [{ id: 'r-x0', type: 'cancel', occurredAt: iso(base), cancels: 'r-so' }, ...ok]).catch((e: unknown) => e)
    expect(JSON.stringify((err as RejectedMovementsError).rejected)).toMatch(/later in the same batch/)
    expect(await redis.keys('ib-refused:*')).toEqual([])
  })
})
