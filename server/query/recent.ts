/**
 * `movements.recent`: rows of the latest movements from the list the apply script keeps
 * (`id TAB effect record`, newest first, RECENT_MOVEMENTS_KEPT long). Figures come from the
 * effect record, so a row shows what the counters took: the line amount at the cost that was
 * applied, the stocktake difference the script computed.
 */
import type { Dimension } from '../../protocol/metrics.ts'
import { routeMember } from '../../protocol/metrics.ts'
import type { MovementType } from '../../protocol/movement.ts'
import type { MovementRow, Query } from '../../protocol/query.ts'
import { UNSPECIFIED } from '../aggregate/counters.ts'
import { decodeEffect } from '../aggregate/effect-record.ts'
import type { CancelRecord } from '../aggregate/effect-record.ts'
import type { EffectRecord } from '../aggregate/fold.ts'
import { lineMoney, moneyOut, qtyOut, roundMoney } from '../domain/money.ts'
import type { MoneyRules } from '../domain/money.ts'
import { CockpitError } from '../errors.ts'
import { normalizeFilter } from './shared.ts'
import type { Filter, QueryContext, QueryFigures } from './shared.ts'

/** Rows `movements.recent` returns unless `top` says otherwise. */
const DEFAULT_RECENT_ROWS = 50

export interface RecentSource {
  format(epochMs: number): string
  names(dim: string, code: string): { name: string; nameEn?: string } | undefined
  money: MoneyRules
}

/** money units of the line (or payment) as the counters took it; undefined for kinds with no amount */
function amountOf(e: EffectRecord, money: MoneyRules): number | undefined {
  const [qty, price, cost, amount] = e.n
  const line = (p: number | null) => (e.la !== undefined ? e.la : p === null ? undefined : lineMoney(qty, p, money))
  switch (e.t) {
    case 'sales_order':
    case 'sales_shipment':
    case 'sales_return':
      return line(price)
    case 'purchase_order':
    case 'purchase_receipt':
      return line(cost)
    case 'purchase_return': {
      // the value taken out of stock (at the given cost or the moving average): `purchase.returnAmount`
      const taken = e.x?.[0]?.[0]
      return taken !== undefined ? Number(taken) : line(cost)
    }
    case 'payment_in':
    case 'payment_out':
      return amount === null ? undefined : roundMoney(amount, money)
    default:
      return undefined
  }
}

/** the members a row has per dimension (a transfer belongs to both of its warehouses) */
function membersOf(e: EffectRecord): Partial<Record<Dimension, string[]>> {
  const out: Partial<Record<Dimension, string[]>> = {}
  for (const [dim, member] of Object.entries(e.d) as [Dimension, string][]) out[dim] = [member]
  if (e.to) {
    out.warehouse = [e.d.warehouse, e.to[0]]
    out.region = [e.d.region, e.to[1]]
    out.route = [routeMember(e.d.warehouse, e.to[0])]
  }
  return out
}

function matches(e: EffectRecord, filter: Filter): boolean {
  const members = membersOf(e)
  for (const [dim, wanted] of Object.entries(filter) as [Dimension, string[]][]) {
    if (!(members[dim] ?? []).some((m) => wanted.includes(m))) return false
  }
  return true
}

function describe(id: string, e: EffectRecord, src: RecentSource): MovementRow {
  const row: MovementRow = { id, type: e.t, occurredAt: src.format(e.at) }
  const set = <K extends keyof MovementRow>(key: K, value: MovementRow[K] | undefined) => {
    if (value !== undefined && value !== UNSPECIFIED) row[key] = value
  }
  const named = (dim: string, code: string, field: 'skuName' | 'warehouseName' | 'toWarehouseName' | 'partnerName') => {
    if (code === UNSPECIFIED) return
    const n = src.names(dim, code)
    if (!n) return
    row[field] = n.name
    if (n.nameEn) row[`${field}En`] = n.nameEn
  }
  const { sku, category, warehouse, partner, channel } = e.d
  set('sku', sku)
  named('sku', sku, 'skuName')
  set('category', category)
  set('warehouse', warehouse)
  named('warehouse', warehouse, 'warehouseName')
  if (e.to) {
    set('toWarehouse', e.to[0])
    named('warehouse', e.to[0], 'toWarehouseName')
  }
  set('partner', partner)
  named('partner', partner, 'partnerName')
  set('channel', channel)
  set('ref', e.ref)
  if (e.t !== 'payment_in' && e.t !== 'payment_out') row.qty = qtyOut(e.n[0])
  if (e.t === 'stocktake' && e.x?.[0]) row.difference = qtyOut(e.x[0][1] ?? 0)
  const amount = amountOf(e, src.money)
  if (amount !== undefined) row.amount = moneyOut(amount)
  return row
}

/**
 * One entry of the list, or undefined when it is not one the cockpit wrote: an entry from before
 * ids had a pattern may hold a TAB in its id, and a list is shared by everybody, so one bad entry
 * must cost one row, never the answer. The record is JSON, which never holds a raw TAB: the
 * last TAB ends the id, whatever the id holds.
 */
export function parseEntry(entry: string): { id: string; e: EffectRecord | CancelRecord } | undefined {
  const tab = entry.lastIndexOf('\t')
  if (tab <= 0) return undefined
  const e = decodeEffect(entry.slice(tab + 1))
  return e === undefined ? undefined : { id: entry.slice(0, tab), e }
}

let warned = false
/** logs once per process that the list holds entries it cannot read (they are skipped) */
function warnMalformed(skipped: number): void {
  if (warned) return
  warned = true
  process.emitWarning(
    `movements.recent skipped ${skipped} malformed entr${skipped === 1 ? 'y' : 'ies'} of the latest-movements list (written before ids had a pattern?); they leave the list as newer movements arrive`,
    {
      code: 'COCKPIT_MALFORMED_RECENT_ENTRY',
    },
  )
}

/**
 * Rows of the latest movements matching `filter`, newest first, at most `limit`. A cancel whose
 * target is in the list takes the target's members and figures (so a filtered list shows it
 * where the target showed) and marks the target `cancelled`; a cancel whose target has left the
 * list only shows in an unfiltered one. `types` keeps only movements of those types (a cancel
 * counts as `cancel`). Returns the rows, how many matched in all, and how many entries were
 * skipped as malformed (see parseEntry).
 */
export function recentRows(
  entries: readonly string[],
  filter: Filter,
  types: readonly MovementType[] | undefined,
  limit: number,
  src: RecentSource,
): { rows: MovementRow[]; matched: number; skipped: number } {
  const parsed: { id: string; e: EffectRecord | CancelRecord }[] = []
  const byId = new Map<string, EffectRecord>()
  let skipped = 0
  for (const entry of entries) {
    const one = parseEntry(entry)
    if (one === undefined) {
      skipped++
      continue
    }
    parsed.push(one)
    if (one.e.t !== 'cancel') byId.set(one.id, one.e as EffectRecord)
  }
  if (skipped > 0) warnMalformed(skipped)
  const cancelled = new Set<string>()
  for (const { e } of parsed) if (e.t === 'cancel') cancelled.add((e as CancelRecord).cancels)
  const filtered = Object.keys(filter).length > 0
  const rows: MovementRow[] = []
  let matched = 0
  for (const { id, e } of parsed) {
    if (types && !types.includes(e.t)) continue
    let row: MovementRow
    if (e.t === 'cancel') {
      const c = e as CancelRecord
      const target = byId.get(c.cancels)
      if (target ? !matches(target, filter) : filtered) continue
      row = target ? { ...describe(id, target, src), id, type: 'cancel' } : { id, type: 'cancel', occurredAt: src.format(c.at) }
      row.occurredAt = src.format(c.at)
      row.cancels = c.cancels
    } else {
      const effect = e as EffectRecord
      if (!matches(effect, filter)) continue
      row = describe(id, effect, src)
      if (cancelled.has(id)) row.cancelled = true
    }
    matched++
    if (rows.length < limit) rows.push(row)
  }
  return { rows, matched, skipped }
}

/** the latest movements, read in one round trip: all of the list when filtered, else only the rows shown */
export async function runRecent(ctx: QueryContext, q: Query): Promise<QueryFigures> {
  if (q.groupBy) throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${q.metric} lists movements: filter it, it cannot be grouped`)
  const filter = normalizeFilter(q.filter)
  const limit = q.top ?? DEFAULT_RECENT_ROWS
  // unfiltered, the newest `limit` entries are the answer (a cancel is always newer than its target)
  const unfiltered = Object.keys(filter).length === 0 && !q.types
  const replies = await ctx.redis
    .multi()
    .lrange(ctx.keys.recent, 0, unfiltered ? limit - 1 : -1)
    .llen(ctx.keys.recent)
    .exec()
  const failed = replies?.find(([err]) => err)?.[0]
  if (!replies || failed) throw failed ?? new Error('reading the latest movements was aborted')
  const entries = replies[0]![1] as string[]
  const kept = replies[1]![1] as number
  const { rows, matched } = recentRows(entries, filter, q.types, limit, {
    format: (ms) => ctx.cal.format(ms),
    names: (dim, code) => ctx.masterData.names(dim, code),
    money: ctx.money,
  })
  // total: how many of the kept movements match (all of them when unfiltered)
  return { total: unfiltered ? kept : matched, movements: rows }
}
