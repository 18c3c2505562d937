/**
 * The valuation reference model (tests/support/valuation-model.ts) on hand-worked ledgers, each with
 * how ERPNext's stock ledger (erpnext/stock/stock_ledger.py: get_moving_average_values, and
 * process_sle's `stock_value = flt(qty_after_transaction * valuation_rate, currency_precision)` with
 * `if not qty_after_transaction: stock_value = 0`) arrives at the same figure; then the model's own
 * invariants over generated ledgers. tests/integration/erp-reconcile.test.ts sends the same ledgers
 * through the real server.
 */
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { EXACT_MU, MODEL_FIGURES, ValuationModel, displayedMoney, ledgerArb, overLimitField, roundDiv, toUnits } from '../support/valuation-model.ts'
import type { ModelMovement, ValuationOptions } from '../support/valuation-model.ts'

const T = '2026-03-02T09:00:00+08:00'
let n = 0
/** a movement with a fresh id and a fixed date */
const mv = (fields: Partial<ModelMovement> & { type: string }): ModelMovement => ({ id: `u${++n}`, occurredAt: T, ...fields })

/** applies each batch and expects it accepted in full */
function ledger(batches: ModelMovement[][], opts?: ValuationOptions): ValuationModel {
  const model = new ValuationModel(opts)
  for (const batch of batches) expect(model.applyBatch(batch)).toEqual({ status: 200, accepted: batch.length, duplicates: 0 })
  return model
}

/** currency → mu */
const mu = (currency: number) => toUnits(currency, 4)
/** units → milli */
const milli = (units: number) => toUnits(units, 3)

describe('rounding', () => {
  test('R rounds to the money step, half away from zero or half to even', () => {
    expect(roundDiv(125n, 10n)).toBe(13n)
    expect(roundDiv(-125n, 10n)).toBe(-13n)
    expect(roundDiv(125n, 10n, 'half-even')).toBe(12n)
    expect(roundDiv(-125n, 10n, 'half-even')).toBe(-12n)
    expect(roundDiv(135n, 10n, 'half-even')).toBe(14n)
    expect(roundDiv(126n, -10n)).toBe(-13n)
    const m = new ValuationModel()
    expect(m.step).toBe(100n)
    expect(m.round(1250n, 1n)).toBe(1300n)
    expect(new ValuationModel({ decimals: 4 }).round(1250n, 1n)).toBe(1250n)
    expect(new ValuationModel({ decimals: 0 }).round(15_000n, 1n)).toBe(20_000n)
  })

  test('a shown figure is rounded to the cent; at an exact half both neighbours are allowed', () => {
    expect(displayedMoney(750_000n)).toEqual([75])
    expect(displayedMoney(-250_000n)).toEqual([-25])
    expect(displayedMoney(1_234n)).toEqual([0.12])
    expect(displayedMoney(1_250n)).toEqual([0.12, 0.13])
    expect(displayedMoney(-1_250n)).toEqual([-0.13, -0.12])
    expect(displayedMoney(-1_251n)).toEqual([-0.13])
  })
})

describe('hand-worked ledgers', () => {
  test('(1) a receipt into negative stock revalues the units that left uncosted', () => {
    // Ship 5 of a SKU never received: no cost is known, so the 5 leave at 0.00 (q −5, v 0).
    // Receive 20 @ 5.00 (line 100.00). The pair was at or below zero, so its rate becomes the
    // receipt's: v = R(15 × 5.00) = 75.00, a change of +75.00 against a line of 100.00 → −25.00.
    // ERPNext: get_moving_average_values, `new_stock_qty >= 0 and actual_qty > 0` with
    // `qty_after_transaction <= 0` → `valuation_rate = sle.incoming_rate` (5.00); process_sle:
    // stock_value = flt(15 × 5.00) = 75.00, stock_value_difference 75.00 for an incoming 100.00:
    // the 25.00 is the difference its stock ledger books against stock adjustment.
    const m = ledger([
      [mv({ type: 'sales_shipment', sku: 'N', warehouse: 'W1', qty: 5, unitPrice: 9 }), mv({ type: 'purchase_receipt', sku: 'N', warehouse: 'W1', qty: 20, unitCost: 5 })],
    ])
    expect(m.pair('N', 'W1')).toMatchObject({ q: milli(15), v: mu(75) })
    expect(m.totals['stock.revaluation']).toBe(mu(-25))
    expect(m.totals['purchase.receiptAmount']).toBe(mu(100))
    expect(m.totals['sales.cogs']).toBe(0n)
    expect(m.totals['sales.revenue']).toBe(mu(45))
  })

  test('(2) cancelling a receipt whose units were sold leaves 0 on hand worth 0.00, not −50.00', () => {
    // 10 @ 10.00 and 10 @ 20.00: 20 on hand worth 300.00 (average 15.00); 10 shipped at the
    // average: COGS 150.00, 10 left worth 150.00. Cancelling the second receipt takes its 10 units
    // out at its own cost 20.00 (200.00): qty 0, and a pair at 0 holds no value → 0.00; the
    // difference 200.00 − 150.00 = +50.00 is revaluation. Its receipt amount (200.00) is reversed.
    // ERPNext: the reversal entry is outgoing at 20.00 (`elif sle.outgoing_rate`, new qty 0 →
    // `valuation_rate = sle.outgoing_rate`), and process_sle's `if not qty_after_transaction:
    // stock_value = 0` sets the value to 0.00, not 150.00 − 200.00 = −50.00. (ERPNext would also
    // repost the shipment at 10.00; a stream cannot reprice what it already booked, so the
    // cockpit keeps COGS 150.00 and books the +50.00 as revaluation.)
    const r2 = mv({ type: 'purchase_receipt', sku: 'C', warehouse: 'W1', qty: 10, unitCost: 20 })
    const m = ledger([
      [mv({ type: 'purchase_receipt', sku: 'C', warehouse: 'W1', qty: 10, unitCost: 10 }), r2, mv({ type: 'sales_shipment', sku: 'C', warehouse: 'W1', qty: 10, unitPrice: 30 })],
      [mv({ type: 'cancel', cancels: r2.id })],
    ])
    expect(m.pair('C', 'W1')).toMatchObject({ q: 0n, v: 0n })
    expect(m.totals['sales.cogs']).toBe(mu(150))
    expect(m.totals['stock.revaluation']).toBe(mu(50))
    expect(m.totals['purchase.receiptAmount']).toBe(mu(100))
  })

  test('(3) 1,000 lines of 3 @ 0.333 are 1,000.00 of revenue: each line rounds on its own', () => {
    // 3 × 0.333 = 0.999 → 1.00 per line; rounding the sum instead would give 999.00.
    // ERPNext: each invoice item's amount = flt(qty × rate, precision) = 1.00; totals add them.
    const shipments = Array.from({ length: 1000 }, () => mv({ type: 'sales_shipment', sku: 'P', warehouse: 'W1', qty: 3, unitPrice: 0.333 }))
    const m = ledger([shipments])
    expect(m.totals['sales.revenue']).toBe(mu(1000))
  })

  test('(4) a count sent late with its book qty keeps the shipments made after it', () => {
    // 100 on hand @ 4.00; a shipment of 30 at 12:00 arrives; then the 11:00 count of 100, which
    // saw a book of 100: difference 0, so 70 stay on hand worth 280.00.
    // ERPNext: the Stock Reconciliation at 11:00 finds qty_after_transaction 100 = counted (no
    // difference), and reposting the 12:00 Delivery Note after it leaves 70.
    const batches = [
      [mv({ type: 'purchase_receipt', sku: 'K', warehouse: 'W1', qty: 100, unitCost: 4, occurredAt: '2026-03-02T09:00:00+08:00' })],
      [mv({ type: 'sales_shipment', sku: 'K', warehouse: 'W1', qty: 30, unitPrice: 8, occurredAt: '2026-03-02T12:00:00+08:00' })],
    ]
    const count = { type: 'stocktake', sku: 'K', warehouse: 'W1', countedQty: 100, occurredAt: '2026-03-02T11:00:00+08:00' }
    const m = ledger([...batches, [mv({ ...count, bookQty: 100 })]])
    expect(m.pair('K', 'W1')).toMatchObject({ q: milli(70), v: mu(280) })
    expect(m.totals['stock.adjustment']).toBe(0n)
    // without its book qty the count is taken against the book as it stands when it arrives: +30
    const late = ledger([...batches, [mv(count)]])
    expect(late.pair('K', 'W1')).toMatchObject({ q: milli(100), v: mu(400) })
  })

  test('(5) a customer return linked to its shipment takes back that shipment’s cost', () => {
    // 10 @ 4.00; ship 5 at the average: cost 20.00 (4.00 each); receive 5 @ 8.00: 10 worth 60.00,
    // average 6.00. The return of 2 against the shipment comes back at 4.00: R(2 × 20.00 / 5) =
    // 8.00, not 12.00 at today's average: 12 on hand worth 68.00, COGS 20.00 − 8.00 = 12.00.
    // ERPNext: a return Delivery Note with return_against gets its incoming_rate from the original
    // delivery's stock ledger entry (get_rate_for_return: 4.00), and the moving average takes it
    // in: (10 × 6.00 + 2 × 4.00) / 12.
    const ship = mv({ type: 'sales_shipment', sku: 'R', warehouse: 'W1', qty: 5, unitPrice: 10 })
    const before = [
      mv({ type: 'purchase_receipt', sku: 'R', warehouse: 'W1', qty: 10, unitCost: 4 }),
      ship,
      mv({ type: 'purchase_receipt', sku: 'R', warehouse: 'W1', qty: 5, unitCost: 8 }),
    ]
    const m = ledger([before, [mv({ type: 'sales_return', sku: 'R', warehouse: 'W1', qty: 2, unitPrice: 10, returnOf: ship.id })]])
    expect(m.pair('R', 'W1')).toMatchObject({ q: milli(12), v: mu(68) })
    expect(m.totals['sales.cogs']).toBe(mu(12))
    expect(m.totals['sales.revenue']).toBe(mu(30))
    expect(m.totals['stock.revaluation']).toBe(0n)
    // unlinked, the same return comes back at today's average 6.00
    const unlinked = ledger([before.map((x) => ({ ...x, id: `${x.id}b` })), [mv({ type: 'sales_return', sku: 'R', warehouse: 'W1', qty: 2, unitPrice: 10 })]])
    expect(unlinked.pair('R', 'W1')).toMatchObject({ q: milli(12), v: mu(72) })
  })

  test('(6) a line of 1 @ 9,015,959.01 is 9,015,959.01 exactly', () => {
    // 1000 milli × 9,015,959,010,000 micro = 9.0e15, past 2^53: in doubles the product is off.
    // ERPNext keeps amounts as decimals: flt(1 × 9015959.01, 2) = 9015959.01.
    const m = ledger([
      [
        mv({ type: 'purchase_receipt', sku: 'G', warehouse: 'W1', qty: 1, unitCost: 9015959.01 }),
        mv({ type: 'sales_shipment', sku: 'G', warehouse: 'W2', qty: 1, unitPrice: 9015959.01, unitCost: 9015959.01 }),
      ],
    ])
    expect(m.totals['purchase.receiptAmount']).toBe(90_159_590_100n)
    expect(m.totals['sales.revenue']).toBe(90_159_590_100n)
    expect(m.totals['sales.cogs']).toBe(90_159_590_100n)
    expect(m.pair('G', 'W1').v).toBe(90_159_590_100n)
    expect(m.pair('G', 'W2').v).toBe(-90_159_590_100n)
    expect(displayedMoney(m.totals['sales.revenue'])).toEqual([9015959.01])
  })

  test('(7) a line over 1e11 refuses its batch naming the price field; the other movement goes through alone', () => {
    // 1e9 × 1e9 = 1e18 of the currency. ERPNext's Currency columns are decimal(21, 9): a line of
    // 1e18 cannot be stored there at all; the cockpit's bound is 1e11 per line.
    const good = mv({ type: 'purchase_receipt', sku: 'L', warehouse: 'W1', qty: 2, unitCost: 3 })
    const bad = mv({ type: 'sales_shipment', sku: 'L', warehouse: 'W1', qty: 1e9, unitPrice: 1e9 })
    const m = new ValuationModel()
    expect(m.applyBatch([good, bad])).toEqual({ status: 400, rejected: [{ index: 1, id: bad.id, path: '/unitPrice' }] })
    expect(m.pair('L', 'W1').q).toBe(0n)
    expect(m.applyBatch([good])).toEqual({ status: 200, accepted: 1, duplicates: 0 })
    // fixed to exactly the limit (1e9 × 100.00 = 1e11): accepted, the good one is a duplicate
    expect(m.applyBatch([good, { ...bad, unitPrice: 100 }])).toEqual({ status: 200, accepted: 1, duplicates: 1 })
    expect(m.totals['sales.revenue']).toBe(10n ** 15n)
    expect(overLimitField({ id: 'x', type: 'purchase_receipt', qty: 1e9, unitCost: 1e9 })).toBe('/unitCost')
  })

  test('(8) rounding mode: 1 @ 0.125 is 0.13 by default, 0.12 half-to-even', () => {
    // The exact line is 0.125; the money step is 0.01. ERPNext: frappe.utils.flt rounds with the
    // system's rounding method — "Commercial Rounding" gives 0.13, "Banker's Rounding" 0.12.
    const receipt = () => [[mv({ type: 'purchase_receipt', sku: 'H', warehouse: 'W1', qty: 1, unitCost: 0.125 })]]
    const away = ledger(receipt())
    expect(away.totals['purchase.receiptAmount']).toBe(1300n)
    expect(away.pair('H', 'W1').v).toBe(1300n)
    const even = ledger(receipt(), { rounding: 'half-even' })
    expect(even.totals['purchase.receiptAmount']).toBe(1200n)
    expect(even.pair('H', 'W1').v).toBe(1200n)
    expect(even.totals['stock.revaluation']).toBe(0n)
  })
})

describe('rules the hand-worked ledgers do not reach', () => {
  test('limits: exactly 1e11 is accepted, a ten-thousandth more is refused naming the field', () => {
    expect(overLimitField({ id: 'x', type: 'sales_shipment', qty: 1e9, unitPrice: 100 })).toBeUndefined()
    expect(overLimitField({ id: 'x', type: 'sales_shipment', qty: 1e9, unitPrice: 100.000001 })).toBe('/unitPrice')
    expect(overLimitField({ id: 'x', type: 'sales_shipment', qty: 1, unitPrice: 1, lineCost: 1e11 })).toBeUndefined()
    expect(overLimitField({ id: 'x', type: 'sales_shipment', qty: 1, unitPrice: 1, lineCost: 100000000000.0001 })).toBe('/lineCost')
    expect(overLimitField({ id: 'x', type: 'sales_order', qty: 1, unitPrice: 1, lineAmount: 100000000000.0001 })).toBe('/lineAmount')
    expect(overLimitField({ id: 'x', type: 'payment_in', amount: 100000000000.0001 })).toBe('/amount')
  })

  test('an outbound at a given cost that takes a positive pair below zero carries on at that cost', () => {
    // 4 @ 10.00 (40.00); ship 10 at the ERP's 12.00: q −6, v = R(−6 × 12.00) = −72.00;
    // the change −112.00 against a line of 120.00 → revaluation +8.00
    const m = ledger([
      [
        mv({ type: 'purchase_receipt', sku: 'O', warehouse: 'W1', qty: 4, unitCost: 10 }),
        mv({ type: 'sales_shipment', sku: 'O', warehouse: 'W1', qty: 10, unitPrice: 20, unitCost: 12 }),
      ],
    ])
    expect(m.pair('O', 'W1')).toMatchObject({ q: milli(-6), v: mu(-72) })
    expect(m.totals['stock.revaluation']).toBe(mu(8))
    expect(m.totals['sales.cogs']).toBe(mu(120))
  })

  test('a transfer into a negative destination enters at the receipt rule', () => {
    // W1: 10 @ 3.00; W2: −4 at 0.00 (shipped uncosted). Transfer 6: leaves W1 at 18.00 and enters
    // W2 at the line rate 3.00: R(2 × 3.00) = 6.00, a change of +6.00 for a line of 18.00 → −12.00
    const m = ledger([
      [
        mv({ type: 'purchase_receipt', sku: 'T', warehouse: 'W1', qty: 10, unitCost: 3 }),
        mv({ type: 'sales_shipment', sku: 'T', warehouse: 'W2', qty: 4, unitPrice: 5 }),
        mv({ type: 'transfer', sku: 'T', warehouse: 'W1', toWarehouse: 'W2', qty: 6 }),
      ],
    ])
    expect(m.pair('T', 'W1')).toMatchObject({ q: milli(4), v: mu(12) })
    expect(m.pair('T', 'W2')).toMatchObject({ q: milli(2), v: mu(6) })
    expect(m.totals['stock.revaluation']).toBe(mu(-12))
  })

  test('a purchase return linked to its receipt leaves at that receipt’s rate', () => {
    // 3 @ 1.00 for 3.33 (the ERP's line amount); 3 @ 2.00: 6 worth 9.33. Returning 1 against the
    // first: R(1 × 3.33 / 3) = 1.11, not the average 1.555 → 1.56
    const r1 = mv({ type: 'purchase_receipt', sku: 'Q', warehouse: 'W1', qty: 3, unitCost: 1, lineAmount: 3.33 })
    const m = ledger([
      [r1, mv({ type: 'purchase_receipt', sku: 'Q', warehouse: 'W1', qty: 3, unitCost: 2 })],
      [mv({ type: 'purchase_return', sku: 'Q', warehouse: 'W1', qty: 1, returnOf: r1.id })],
    ])
    expect(m.totals['purchase.returnAmount']).toBe(mu(1.11))
    expect(m.pair('Q', 'W1')).toMatchObject({ q: milli(5), v: mu(8.22) })
  })

  test('a cancel of a movement its pair still stands on restores everything, revaluation included', () => {
    const ship = mv({ type: 'sales_shipment', sku: 'Z', warehouse: 'W1', qty: 5, unitPrice: 9 })
    const receipt = mv({ type: 'purchase_receipt', sku: 'Z', warehouse: 'W1', qty: 20, unitCost: 5 })
    const m = ledger([[ship, receipt], [mv({ type: 'cancel', cancels: receipt.id })]])
    expect(m.pair('Z', 'W1')).toEqual({ q: milli(-5), v: 0n, a: { n: 0n, d: 1n } })
    expect(m.totals['stock.revaluation']).toBe(0n)
    expect(m.totals['purchase.receiptAmount']).toBe(0n)
  })

  test('the rate kept at qty 0 is rounded to 1e-6 per unit like money: 1,000,000 out at it', () => {
    // 20,000 units for 0.01: rate 0.0000005 per unit, a tie of 1e-6, kept as 0.000001 half away
    // from zero, 0 half to even; 1,000,000 units then shipped at the rate cost 1.00, or 0.00
    const run = (opts?: ValuationOptions) =>
      ledger(
        [
          [mv({ type: 'purchase_receipt', sku: 'K', warehouse: 'W1', qty: 20_000, unitCost: 0, lineAmount: 0.01 })],
          [mv({ type: 'sales_shipment', sku: 'K', warehouse: 'W1', qty: 20_000, unitPrice: 1 })],
          [mv({ type: 'sales_shipment', sku: 'K', warehouse: 'W1', qty: 1_000_000, unitPrice: 1 })],
        ],
        opts,
      )
    const away = run()
    expect(away.pair('K', 'W1')).toMatchObject({ q: milli(-1_000_000), v: mu(-1) })
    expect(away.totals['sales.cogs']).toBe(mu(1.01))
    const even = run({ rounding: 'half-even' })
    expect(even.pair('K', 'W1')).toMatchObject({ q: milli(-1_000_000), v: 0n })
    expect(even.totals['sales.cogs']).toBe(mu(0.01))
  })

  test('re-sent ids are duplicates and change nothing; a cancel in its movement’s batch is outside the rules', () => {
    const r = mv({ type: 'purchase_receipt', sku: 'D', warehouse: 'W1', qty: 1, unitCost: 1 })
    const m = ledger([[r]])
    expect(m.applyBatch([r, r])).toEqual({ status: 200, accepted: 0, duplicates: 2 })
    expect(m.totals['purchase.receiptAmount']).toBe(mu(1))
    const s = mv({ type: 'sales_shipment', sku: 'D', warehouse: 'W1', qty: 1, unitPrice: 1 })
    expect(() => m.applyBatch([s, mv({ type: 'cancel', cancels: s.id })])).toThrow(/later batch/)
  })
})

describe('generated ledgers', () => {
  const time = (minute: number) => new Date(Date.UTC(2026, 2, 1) + minute * 60_000).toISOString()
  const RUNS = { numRuns: Number(process.env.MODEL_RUNS ?? 300) }

  test('stock value is Σ of the value changes: receipts − returns − COGS + counts + revaluation; a pair at 0 holds 0', () => {
    fc.assert(
      fc.property(ledgerArb({ time }), ({ batches }) => {
        const m = new ValuationModel()
        for (const batch of batches) {
          expect(m.applyBatch(batch)).toEqual({ status: 200, accepted: batch.length, duplicates: 0 })
          const t = m.totals
          expect(m.stockValue()).toBe(t['purchase.receiptAmount'] - t['purchase.returnAmount'] - t['sales.cogs'] + t['stock.adjustment'] + t['stock.revaluation'])
          for (const sku of ['A', 'B']) {
            for (const w of ['W1', 'W2']) {
              const p = m.pair(sku, w)
              if (p.q === 0n) expect(p.v).toBe(0n)
            }
          }
        }
        expect(m.peak <= EXACT_MU).toBe(true)
      }),
      RUNS,
    )
  })

  test('a cancel of the latest movement restores every figure and every pair exactly', () => {
    fc.assert(
      fc.property(ledgerArb({ time, maxLength: 30 }), ({ batches, movements }) => {
        const last = movements.at(-1)
        fc.pre(last !== undefined && last.type !== 'cancel')
        const m = new ValuationModel()
        for (const batch of batches.slice(0, -1)) m.applyBatch(batch)
        const without = batches.at(-1)!.filter((x) => x !== last)
        if (without.length) m.applyBatch(without)
        const figures = { ...m.totals }
        const pairs = ['A', 'B'].flatMap((s) => ['W1', 'W2'].map((w) => m.pair(s, w)))
        m.applyBatch([last])
        m.applyBatch([{ id: 'undo', type: 'cancel', occurredAt: time(0), cancels: last.id }])
        expect(m.totals).toEqual(figures)
        expect(['A', 'B'].flatMap((s) => ['W1', 'W2'].map((w) => m.pair(s, w)))).toEqual(pairs)
      }),
      RUNS,
    )
  })

  test('every figure the model keeps is listed', () => {
    expect(Object.keys(new ValuationModel().totals)).toEqual([...MODEL_FIGURES])
  })
})
