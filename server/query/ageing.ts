/**
 * `stock.ageing` (库龄) and `stock.slowMoving` (呆滞) "now", from the FIFO layers the apply script
 * keeps per sku × warehouse (docs/metrics.md "Stock ageing"): ages are counted in business days
 * to today in the business time zone, so both move at midnight without any movement (the realtime
 * rooms refresh them then: server/realtime/periods.ts).
 */
import type { AgeBucketFigures, AgeingFigures, AgeingGroup, Query, SlowMovingRow } from '../../protocol/query.ts'
import { DEFAULT_IDLE_DAYS } from '../../protocol/query.ts'
import { AGE_BUCKETS, allocateValue, bucketOf, parseLayers } from '../aggregate/ageing.ts'
import { businessDay, dayDate } from '../domain/time.ts'
import type { PairLayers } from '../aggregate/ageing.ts'
import { qtyOut } from '../domain/money.ts'
import { CockpitError } from '../errors.ts'
import { named, normalizeFilter } from './shared.ts'
import type { Filter, QueryContext, QueryFigures } from './shared.ts'

/** Rows a list metric returns at most unless `top` says otherwise. */
const DEFAULT_ROWS = 200
const STOCK_DIMS = ['sku', 'warehouse', 'category', 'region'] as const
type StockDim = (typeof STOCK_DIMS)[number]
/** values are split in cents: what the API shows of a value (docs/metrics.md "Rounding") */
const CENT = 100n
const SAFE = BigInt(Number.MAX_SAFE_INTEGER)
/** qty (1e-3) as the API shows it: a safe integer divides exactly once */
const qtyOf = (milli: bigint) => qtyOut(milli <= SAFE && milli >= -SAFE ? Number(milli) : milli)

/** One pair with stock on hand: its members, qty (1e-3) and value (money units) per age bucket. */
interface PairAgeing {
  sku: string
  warehouse: string
  member: Record<StockDim, string>
  qty: bigint[]
  /** cents per bucket */
  cents: bigint[]
  /** Σ age × qty (days × 1e-3) */
  ageQty: bigint
  oldestAge: number
  layers: PairLayers
}

function checkDims(q: Query, dims: readonly (string | undefined)[]): void {
  for (const d of dims) {
    if (d !== undefined && !(STOCK_DIMS as readonly string[]).includes(d)) {
      throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${q.metric} is kept by sku, warehouse, category and region, not ${d}`)
    }
  }
}

/**
 * Every non-virtual pair with stock on hand that the filter keeps, aged to `today`. Stock from
 * before layers were kept (no `lv:layers` field yet) is one layer dated at the pair's last
 * movement, as the apply script dates it when the pair next moves.
 */
async function agedPairs(ctx: QueryContext, filter: Filter, today: number): Promise<PairAgeing[]> {
  const [qty, value, layers] = await Promise.all([
    ctx.redis.hgetall(ctx.keys.level('q', 'pair')),
    ctx.redis.hgetall(ctx.keys.level('v', 'pair')),
    ctx.redis.hgetall(ctx.keys.layers),
  ])
  // the last movement of the pairs holding stock from before layers were kept (none once every pair has moved since)
  const legacy = Object.keys(qty).filter((pair) => layers[pair] === undefined && BigInt(qty[pair]!) > 0n)
  const lastOf = new Map<string, string | null>()
  if (legacy.length > 0) {
    const times = await ctx.redis.hmget(ctx.keys.lastMoved, ...legacy)
    legacy.forEach((pair, j) => lastOf.set(pair, times[j] ?? null))
  }
  const out: PairAgeing[] = []
  for (const [pair, q] of Object.entries(qty)) {
    if (BigInt(q) <= 0n) continue
    const [sku, warehouse] = pair.split('|') as [string, string]
    const wh = ctx.masterData.warehouse(warehouse)
    // a virtual warehouse holds nothing by design (as stock.belowSafety)
    if (wh?.virtual) continue
    const member: Record<StockDim, string> = { sku, warehouse, category: ctx.masterData.sku(sku)?.category ?? '-', region: wh?.region ?? '-' }
    if (Object.entries(filter).some(([d, values]) => !values!.includes(member[d as StockDim] ?? ''))) continue
    const raw = layers[pair]
    const held: PairLayers =
      raw === undefined ? { deficit: 0n, layers: [[businessDay(ctx.cal, Number(lastOf.get(pair) ?? '0') * 1000), BigInt(q)]], outDays: [] } : parseLayers(raw)
    const bucketQty = AGE_BUCKETS.map(() => 0n)
    let ageQty = 0n
    let oldestAge = 0
    for (const [day, lq] of held.layers) {
      const age = Math.max(0, today - day)
      bucketQty[bucketOf(age)]! += lq
      ageQty += BigInt(age) * lq
      oldestAge = Math.max(oldestAge, age)
    }
    const mu = BigInt(value[pair] ?? '0')
    // the pair's value in cents as the API shows it (half away from zero), split over its buckets
    const cents = (mu < 0n ? -1n : 1n) * (((mu < 0n ? -mu : mu) + CENT / 2n) / CENT)
    out.push({ sku, warehouse, member, qty: bucketQty, cents: allocateValue(cents, bucketQty, 1n), ageQty, oldestAge, layers: held })
  }
  return out
}

/** Figures of a set of pairs: buckets, totals, mean and oldest age. */
function figuresOf(list: readonly PairAgeing[]): AgeingFigures {
  const qty = AGE_BUCKETS.map(() => 0n)
  const cents = AGE_BUCKETS.map(() => 0n)
  let ageQty = 0n
  let oldest: number | null = null
  for (const p of list) {
    p.qty.forEach((x, j) => (qty[j]! += x))
    p.cents.forEach((x, j) => (cents[j]! += x))
    ageQty += p.ageQty
    oldest = Math.max(oldest ?? 0, p.oldestAge)
  }
  const totalQty = qty.reduce((a, b) => a + b, 0n)
  const totalCents = cents.reduce((a, b) => a + b, 0n)
  const buckets: AgeBucketFigures[] = AGE_BUCKETS.map((key, j) => ({ key, qty: qtyOf(qty[j]!), value: Number(cents[j]!) / 100 }))
  // ERPNext get_average_age: Σ age × qty / Σ qty, to 2 decimals
  const averageAge = totalQty > 0n ? Number((ageQty * 100n + totalQty / 2n) / totalQty) / 100 : null
  return { qty: qtyOf(totalQty), value: Number(totalCents) / 100, buckets, averageAge, oldestAge: totalQty > 0n ? oldest : null }
}

/** `stock.ageing`: qty and value per age bucket, in all and per group. */
export async function runAgeing(ctx: QueryContext, q: Query, at: number): Promise<QueryFigures> {
  const filter = normalizeFilter(q.filter)
  checkDims(q, [q.groupBy, ...Object.keys(filter)])
  if (q.top && !q.groupBy) throw new CockpitError('COCKPIT_ERR_INVALID_QUERY', 'top needs groupBy')
  const today = businessDay(ctx.cal, at)
  const pairs = await agedPairs(ctx, filter, today)
  const all = figuresOf(pairs)
  const figures: QueryFigures = { total: all.value, ageing: { date: dayDate(today), ...all } }
  const dim = q.groupBy as StockDim | undefined
  if (dim) {
    const byMember = new Map<string, PairAgeing[]>()
    for (const p of pairs) {
      const key = p.member[dim]
      const list = byMember.get(key)
      if (list) list.push(p)
      else byMember.set(key, [p])
    }
    let groups: AgeingGroup[] = [...byMember].map(([key, list]) => {
      const g = named(ctx, dim, { key, total: null })
      const group: AgeingGroup = { key, ...figuresOf(list) }
      if (g.label !== undefined) group.label = g.label
      if (g.labelEn !== undefined) group.labelEn = g.labelEn
      return group
    })
    groups.sort((a, b) => b.value - a.value || b.qty - a.qty || (a.key < b.key ? -1 : 1))
    if (q.top) groups = groups.slice(0, q.top)
    figures.ageing!.groups = groups
  }
  return figures
}

/**
 * `stock.slowMoving`: pairs with stock on hand and no outbound movement (shipment, purchase
 * return, transfer out) for `days` days or more, largest value first. A pair with no outbound on
 * record has been idle since its oldest stock on hand arrived.
 */
export async function runSlowMoving(ctx: QueryContext, q: Query, at: number): Promise<QueryFigures> {
  const filter = normalizeFilter(q.filter)
  if (q.groupBy) throw new CockpitError('COCKPIT_ERR_UNSUPPORTED_QUERY', `${q.metric} lists sku × warehouse rows: filter it, it cannot be grouped`)
  checkDims(q, Object.keys(filter))
  const days = q.days ?? DEFAULT_IDLE_DAYS
  const today = businessDay(ctx.cal, at)
  const rows: SlowMovingRow[] = []
  for (const p of await agedPairs(ctx, filter, today)) {
    const lastOut = p.layers.outDays.length ? Math.max(...p.layers.outDays.map(([day]) => day)) : undefined
    const idleDays = lastOut === undefined ? p.oldestAge : Math.max(0, today - lastOut)
    if (idleDays < days) continue
    const row: SlowMovingRow = {
      sku: p.sku,
      warehouse: p.warehouse,
      qty: qtyOf(p.qty.reduce((a, b) => a + b, 0n)),
      value: Number(p.cents.reduce((a, b) => a + b, 0n)) / 100,
      lastOutbound: lastOut === undefined ? null : dayDate(lastOut),
      idleDays,
      oldestAge: p.oldestAge,
    }
    const master = ctx.masterData.sku(p.sku)
    const wh = ctx.masterData.warehouse(p.warehouse)
    if (master?.name) row.skuName = master.name
    if (master?.nameEn) row.skuNameEn = master.nameEn
    if (wh?.name) row.warehouseName = wh.name
    if (wh?.nameEn) row.warehouseNameEn = wh.nameEn
    if (master?.category) {
      row.category = master.category
      const cat = ctx.masterData.names('category', master.category)
      if (cat) row.categoryName = cat.name
      if (cat?.nameEn !== undefined) row.categoryNameEn = cat.nameEn
    }
    rows.push(row)
  }
  rows.sort((a, b) => b.value - a.value || b.idleDays - a.idleDays || (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : a.warehouse < b.warehouse ? -1 : 1))
  return { total: rows.length, days, slowMoving: rows.slice(0, q.top ?? DEFAULT_ROWS) }
}
