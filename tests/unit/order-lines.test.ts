/**
 * The order lines as the fold works them out (server/aggregate/order-lines.ts): head order,
 * removal of a cancelled entry by identity, the open and late zones, rounding and figures past 2^53.
 */
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { DEFAULT_MONEY, roundMoneyBig } from '../../server/domain/money.ts'
import type { MoneyRules } from '../../server/domain/money.ts'
import { OrderLines, encodeEntry, headOf, lineFigures, lineOutput, linesTouched, roundedShare } from '../../server/aggregate/order-lines.ts'
import type { LineEntry, LineSnapshot } from '../../server/aggregate/order-lines.ts'
import type { LineWrites } from '../../server/redis/apply-batch.ts'

const KEYS = { kd: 'c:d:', km: 'c:M:', dd: ['all', 'sku', 'category', 'warehouse', 'partner'], dm: ['all', 'category', 'warehouse'] }
const CODES = { s: { due: 'sl.d', ok: 'sl.k', leadTime: false }, p: { due: 'pl.d', ok: 'pl.k', leadTime: true } }
const HALF_EVEN: MoneyRules = { decimals: 2, rounding: 'half-even' }

const T0 = Date.parse('2026-03-02T09:00:00+08:00')
const H = 3600_000
const DUE = T0 + 72 * H
/** an order entry: t, qty (1e-3), amount (money units), due, its buckets and expiries, members */
const order = (t: number, qty: number, amount: number | string, due = DUE, warehouse = 'W1', partner = 'C1'): LineEntry => [
  t,
  qty,
  String(amount),
  due,
  due < 0 ? '' : '20260305',
  due < 0 ? '' : '202603',
  0,
  0,
  'drinks',
  warehouse,
  partner,
]
const shipment = (t: number, qty: number): LineEntry => [t, qty]
const receipt = (t: number, qty: number, day = '20260304'): LineEntry => [t, qty, day, '202603', 0, 0, 'drinks', 'W1', 'S1']

type Cells = Map<string, number>
function run(
  changes: [side: 's' | 'p', field: string, isOrder: boolean, sign: 1 | -1, entry: LineEntry][],
  snapshot?: LineSnapshot,
  money = DEFAULT_MONEY,
): { deltas: (number | bigint)[]; writes: Map<'s' | 'p', LineWrites>; cells: Cells } {
  const lines = new OrderLines(money, KEYS, CODES, snapshot)
  const deltas = changes.map(([side, field, isOrder, sign, entry]) => lines.change(side, field, isOrder, sign, entry))
  const cells: Cells = new Map()
  const writes = lines.finish(
    () => T0 + 1000 * H + 35 * 86_400_000,
    (key, _exp, field, delta) => cells.set(`${key} ${field}`, delta),
  )
  return { deltas, writes, cells }
}
const snap = (s: Record<string, string | null> = {}, p: Record<string, string | null> = {}): LineSnapshot => ({ s: new Map(Object.entries(s)), p: new Map(Object.entries(p)) })
const record = (w: LineWrites, field: string) => {
  const j = w.set.indexOf(field)
  return j < 0 ? undefined : (JSON.parse(w.set[j + 1]!) as { h: number; o?: LineEntry[]; f?: LineEntry[] })
}

describe('head order', () => {
  test('the earliest order is the head, whatever the arrival order; same instant: the smallest encoding', () => {
    const a = order(T0 + H, 2000, 40000)
    const b = order(T0, 5000, 100000, DUE + H)
    const c = order(T0, 3000, 60000)
    for (const list of [
      [a, b, c],
      [c, b, a],
      [b, a, c],
    ]) {
      const [head, at] = headOf(list)
      // b and c share the instant: c's encoding ("[t,3000,…") sorts before b's ("[t,5000,…")
      expect(head).toBe(c)
      expect(list[at - 1]).toBe(c)
    }
    expect(headOf([])).toEqual([undefined, 0])
    expect(headOf([a])).toEqual([a, 1])
  })

  test('ties are broken on the encoding lua-cjson writes: `/` escaped, byte order', () => {
    expect(encodeEntry([1, 'a/b', '"\u0001\u007f', '中'])).toBe('[1,"a\\/b","\\"\\u0001\\u007f","中"]')
    // "W/1" is written "W\/1", which sorts after "W1" (0x5c > 0x31): W1 wins in either order
    const x = order(T0, 1000, 100, DUE, 'W/1')
    const y = order(T0, 1000, 100, DUE, 'W1')
    expect(headOf([x, y])[0]).toBe(y)
    expect(headOf([y, x])[0]).toBe(y)
  })

  test('the head gives the promised date and the members of the due counters; an amendment dated earlier moves them', () => {
    const first = order(T0, 2000, 40000, DUE)
    const { cells, writes } = run([
      ['s', 'SO-1|K1', true, 1, first],
      ['s', 'SO-1|K1', false, 1, shipment(T0 + 10 * H, 2000)],
    ])
    // on time in full: due and ok by every dimension kept, day and month
    expect(cells.get('c:d:20260305:sl.d:partner C1')).toBe(1)
    expect(cells.get('c:d:20260305:sl.k:sku K1')).toBe(1)
    expect(cells.get('c:M:202603:sl.k:warehouse W1')).toBe(1)
    expect(cells.has('c:M:202603:sl.k:partner C1')).toBe(false)
    const stored = record(writes.get('s')!, 'SO-1|K1')!
    expect(stored).toEqual({ h: 1, o: [first], f: [shipment(T0 + 10 * H, 2000)] })
    // an earlier order of another partner arrives: the head changes, the counters move to it
    const earlier = order(T0 - H, 1000, 20000, DUE, 'W1', 'C9')
    const next = run([['s', 'SO-1|K1', true, 1, earlier]], snap({ 'SO-1|K1': JSON.stringify(stored) }))
    expect(next.cells.get('c:d:20260305:sl.d:partner C1')).toBe(-1)
    expect(next.cells.get('c:d:20260305:sl.k:partner C1')).toBe(-1)
    expect(next.cells.get('c:d:20260305:sl.d:partner C9')).toBe(1)
    // 3 ordered, 2 shipped on time: no longer in full
    expect(next.cells.has('c:d:20260305:sl.k:partner C9')).toBe(false)
    expect(record(next.writes.get('s')!, 'SO-1|K1')!.h).toBe(2)
  })
})

describe('a cancel removes its entry by identity', () => {
  test('buckets left out of the comparison; one of two equal entries; nothing when none matches', () => {
    const o = order(T0, 4000, 80000)
    const s = shipment(T0 + H, 1000)
    const stored = JSON.stringify({ h: 1, o: [o], f: [s, s] })
    // the cancel's entry was built later: its due buckets are past retention ('')
    const cancelled: LineEntry = [...o]
    cancelled[4] = ''
    cancelled[5] = ''
    cancelled[6] = 0
    const r = run(
      [
        ['s', 'SO-2|K1', false, -1, shipment(T0 + H, 1000)],
        ['s', 'SO-2|K1', false, -1, shipment(T0 + 2 * H, 1000)],
        ['s', 'SO-2|K1', true, -1, cancelled],
      ],
      snap({ 'SO-2|K1': stored }),
    )
    // open 2 → 3 (+2.00), no match (0), the order goes (−6.00)
    expect(r.deltas).toEqual([20000, 0, -60000])
    expect(record(r.writes.get('s')!, 'SO-2|K1')).toEqual({ h: 0, f: [s] })
  })

  test('a receipt is found without its buckets; its lead time leaves with it', () => {
    const o = order(T0, 1000, 5000)
    const rc = receipt(T0 + 24 * H, 1000)
    const stored = JSON.stringify({ h: 1, o: [o], f: [rc] })
    const gone: LineEntry = [...rc]
    gone[2] = ''
    const r = run([['p', 'PO-1|K1', false, -1, gone]], snap({}, { 'PO-1|K1': stored }))
    expect(record(r.writes.get('p')!, 'PO-1|K1')).toEqual({ h: 1, o: [o] })
    expect(r.cells.get('c:d:20260304:lt.s:all _')).toBe(-86_400)
    expect(r.cells.get('c:d:20260304:lt.n:sku K1')).toBe(-1)
  })

  test('the last entry cancelled: the record and its place among the closed lines go', () => {
    const s = shipment(T0, 1000)
    const r = run([['s', 'SO-3|K1', false, -1, s]], snap({ 'SO-3|K1': JSON.stringify({ h: 0, f: [s] }) }))
    expect(r.writes.get('s')).toMatchObject({ f: ['SO-3|K1'], set: [], del: ['SO-3|K1'], rc: ['SO-3|K1'] })
    // a line added and emptied within one batch was never stored: nothing to delete
    const fresh = run([
      ['s', 'SO-4|K1', false, 1, s],
      ['s', 'SO-4|K1', false, -1, s],
    ])
    expect(fresh.writes.get('s')).toMatchObject({ r: [false], set: [], del: [], rc: [] })
  })
})

describe('zones', () => {
  test('open with a promised date: od; in full after it: ls; in full on time or without a date: neither', () => {
    const forgetAt = String(T0 + 1000 * H + 35 * 86_400_000)
    const open = run([['s', 'A|K', true, 1, order(T0, 2000, 100)]]).writes.get('s')!
    expect(open).toMatchObject({ ao: [String(DUE), 'A|K'], al: [], ac: [], rc: ['A|K'] })
    const late = run([
      ['s', 'B|K', true, 1, order(T0, 2000, 100)],
      ['s', 'B|K', false, 1, shipment(DUE + 1, 2000)],
    ]).writes.get('s')!
    expect(late).toMatchObject({ ao: [], al: [String(DUE), 'B|K'], ac: [forgetAt, 'B|K'] })
    const onTime = run([
      ['s', 'C|K', true, 1, order(T0, 2000, 100)],
      ['s', 'C|K', false, 1, shipment(DUE, 2000)],
    ]).writes.get('s')!
    expect(onTime).toMatchObject({ ao: [], al: [], ac: [forgetAt, 'C|K'] })
    const undated = run([['s', 'D|K', true, 1, order(T0, 2000, 100, -1)]]).writes.get('s')!
    expect(undated).toMatchObject({ ao: [], al: [], ac: [], rc: ['D|K'] })
  })

  test('leaving a zone: out of the set it was in; a fulfilment before its order waits among the closed lines', () => {
    const was = JSON.stringify({ h: 1, o: [order(T0, 2000, 100)] })
    const r = run([['s', 'A|K', false, 1, shipment(DUE + 1, 2000)]], snap({ 'A|K': was }))
    expect(r.writes.get('s')).toMatchObject({ r: [was], ro: ['A|K'], al: [String(DUE), 'A|K'], rl: [] })
    // the line was open and due, now a miss: the due counter stays, nothing to move
    expect(r.cells.size).toBe(0)
    const waiting = run([['p', 'P|K', false, 1, receipt(T0, 1000)]]).writes.get('p')!
    expect(waiting.ac).toEqual([String(T0 + 1000 * H + 35 * 86_400_000), 'P|K'])
  })
})

describe('exact figures', () => {
  test('open value: ties rounded away from zero or to even, as the money rules say', () => {
    // 2 ordered for 1.01: 1 open is worth 0.505
    const changes: Parameters<typeof run>[0] = [
      ['s', 'A|K', true, 1, order(T0, 2000, 10100)],
      ['s', 'A|K', false, 1, shipment(T0, 1000)],
    ]
    expect(run(changes).deltas).toEqual([10100, -5000])
    expect(run(changes, undefined, HALF_EVEN).deltas).toEqual([10100, -5100])
    expect(roundedShare(1000, 10100, 2000, DEFAULT_MONEY)).toBe(5100)
    expect(roundedShare(1000, 10100, 2000, HALF_EVEN)).toBe(5000)
    expect(roundedShare(1000, -10100, 2000, DEFAULT_MONEY)).toBe(-5100)
  })

  test('the open value is the money rules rounding of open × amount / ordered, at any size', () => {
    const big = fc.bigInt({ min: 1n, max: 10n ** 22n })
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 1e12 }), big),
        fc.oneof(fc.integer({ min: -1e15, max: 1e15 }), big),
        fc.integer({ min: 1, max: 1e13 }),
        fc.boolean(),
        (x, y, d, even) => {
          const money: MoneyRules = { decimals: 2, rounding: even ? 'half-even' : 'half-away' }
          const want = roundMoneyBig(BigInt(x) * BigInt(y), BigInt(d), money)
          expect(BigInt(roundedShare(x, y, d, money))).toBe(want)
        },
      ),
      { numRuns: 2000 },
    )
  })

  test('amounts summing past 2^53: exact in BigInt, the output a decimal string', () => {
    // ten orders of 1e15 money units (the largest line): 1e16 ordered, past 2^53
    const changes: Parameters<typeof run>[0] = Array.from({ length: 10 }, (_, j) => ['p', 'PO-9|K', true, 1, order(T0 + j, 1_000_000_000_000, '1000000000000000', -1)] as const)
    changes.push(['p', 'PO-9|K', false, 1, receipt(T0, 1)])
    const r = run(changes)
    expect(r.deltas[9]).toBe(1_000_000_000_000_000)
    expect(r.deltas.slice(0, 9).every((d) => d === 1_000_000_000_000_000)).toBe(true)
    // 1e16 − 1 × 1e16 / 1e13 = 1e16 − 1000 of value, from 1e16: −1000
    expect(r.deltas[10]).toBe(-1000)
    const total = r.deltas.reduce<bigint>((s, d) => s + BigInt(d), 0n)
    expect(total).toBe(10n ** 16n - 1000n)
    expect(lineFigures(JSON.parse(r.writes.get('p')!.set[1]!) as { o: LineEntry[]; f: LineEntry[] }, DEFAULT_MONEY).value).toBe(10n ** 16n - 1000n)
    expect(lineOutput(10n ** 16n)).toBe('["10000000000000000"]')
    expect(lineOutput(-5)).toBe('[-5]')
  })
})

describe('what the applier reads', () => {
  test('lines touched per side: movements with a ref of an order or fulfilment type', () => {
    expect(
      linesTouched([
        { type: 'sales_order', ref: 'SO-1', sku: 'K1' },
        { type: 'sales_shipment', ref: 'SO-1', sku: 'K1' },
        { type: 'sales_shipment', ref: undefined, sku: 'K1' },
        { type: 'sales_return', ref: 'SO-1', sku: 'K1' },
        { type: 'purchase_receipt', ref: 'PO-1', sku: 'K2' },
      ]),
    ).toEqual({ s: ['SO-1|K1'], p: ['PO-1|K2'] })
  })

  test('a line the snapshot does not hold is an error, not an empty line', () => {
    expect(() => run([['s', 'X|K', true, 1, order(T0, 1, 1)]], snap())).toThrow(/without its record/)
  })
})
