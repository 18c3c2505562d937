/**
 * A multi-year order history in the shape of the public "Superstore" sample data set (mock-feeds/README.md,
 * "Multi-year history"): four years of orders of an office-supplies retailer — ~1,860 products in 3 categories and
 * 17 sub-categories, 800 customers in 4 regions and 3 segments (the sales channels), 6 warehouses — with Superstore's
 * own mix of sub-categories, quantities, discounts, ship modes, seasonality (September, November and December
 * busiest) and growth from year to year, turned into the movements an ERP would export: sales orders and
 * shipments, customer payments (at order, at shipment or on terms), returns, a few cancelled orders, and the
 * purchase orders, receipts, supplier payments and purchase returns that keep every warehouse's stock positive.
 *
 * Size is a number of movements. A data set is made of independent slices of `SLICE_MOVEMENTS` movements, each a
 * whole four-year history of the same business (its own orders and stock book, the shared catalogue and
 * customers): 300,000 movements are ten such slices, 3,000,000 a hundred, so history grows in density, not length,
 * and a smaller data set whose size is a multiple of the slice is contained in every larger one (`after` lists only
 * what a larger one adds). Each slice hits its share exactly: the orders of each day are planned from what the
 * slice still has to produce, and the last movements of its last day are cut at the exact count. The movements
 * come out in time order, all slices interleaved; the same seed gives the same data set.
 *
 * `npx tsx mock-feeds/history.ts --movements 300000 --out history.ndjson [--master master.json]` writes NDJSON
 * for `npm run import`; `--url … --admin-key …` upserts the master data first (categories and regions by
 * name, so group-by category and region show names).
 */
import { createWriteStream } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import type { Category, Channel, Partner, Region, Sku, Warehouse } from '../protocol/master.ts'
import type { Movement } from '../protocol/movement.ts'
import { putMasterRecords } from './feed.ts'
import { createRandom } from './random.ts'
import type { Random } from './random.ts'
import { REGIONS, SUPPLIER_TERMS_DAYS } from './scenario.ts'
import { formatCst } from './simulator.ts'
import { TimedQueue } from './timed-queue.ts'

/** Movements of one slice: a whole four-year history of the business. Sizes that are multiples of it nest. */
export const SLICE_MOVEMENTS = 30_000

const HOUR = 3_600_000
const DAY = 24 * HOUR
const CST = 8 * HOUR
/** CNY per USD for Superstore's prices */
const USD = 7

interface SubCategory {
  code: string
  name: string
  nameEn: string
  /** products in the catalogue (Superstore's count, rounded) */
  products: number
  /** order lines over Superstore's four years: the sub-category's share of lines */
  lines: number
  /** mean unit list price in USD (Superstore's sales / quantity) */
  price: number
}

const TOP_CATEGORIES = {
  FUR: { name: '家具', nameEn: 'Furniture' },
  OFF: { name: '办公用品', nameEn: 'Office Supplies' },
  TEC: { name: '技术', nameEn: 'Technology' },
} as const
type TopCategory = keyof typeof TOP_CATEGORIES

const SUB_CATEGORIES: readonly SubCategory[] = [
  { code: 'FUR-BO', name: '书架', nameEn: 'Bookcases', products: 50, lines: 228, price: 132 },
  { code: 'FUR-CH', name: '椅子', nameEn: 'Chairs', products: 87, lines: 617, price: 139 },
  { code: 'FUR-FU', name: '家居饰品', nameEn: 'Furnishings', products: 170, lines: 957, price: 26 },
  { code: 'FUR-TA', name: '桌子', nameEn: 'Tables', products: 57, lines: 319, price: 167 },
  { code: 'OFF-AP', name: '器具', nameEn: 'Appliances', products: 98, lines: 466, price: 62 },
  { code: 'OFF-AR', name: '美术用品', nameEn: 'Art', products: 200, lines: 796, price: 9 },
  { code: 'OFF-BI', name: '装订夹', nameEn: 'Binders', products: 200, lines: 1523, price: 34 },
  { code: 'OFF-EN', name: '信封', nameEn: 'Envelopes', products: 44, lines: 254, price: 18 },
  { code: 'OFF-FA', name: '紧固件', nameEn: 'Fasteners', products: 33, lines: 217, price: 3.3 },
  { code: 'OFF-LA', name: '标签', nameEn: 'Labels', products: 71, lines: 364, price: 8.9 },
  { code: 'OFF-PA', name: '纸张', nameEn: 'Paper', products: 250, lines: 1370, price: 15 },
  { code: 'OFF-ST', name: '收纳', nameEn: 'Storage', products: 160, lines: 846, price: 71 },
  { code: 'OFF-SU', name: '杂项用品', nameEn: 'Supplies', products: 34, lines: 190, price: 72 },
  { code: 'TEC-AC', name: '配件', nameEn: 'Accessories', products: 147, lines: 775, price: 56 },
  { code: 'TEC-CO', name: '复印机', nameEn: 'Copiers', products: 13, lines: 68, price: 639 },
  { code: 'TEC-MA', name: '机器', nameEn: 'Machines', products: 63, lines: 115, price: 430 },
  { code: 'TEC-PH', name: '电话', nameEn: 'Phones', products: 180, lines: 889, price: 100 },
]

const BRANDS: Record<TopCategory, readonly [string, string][]> = {
  FUR: [
    ['震旦', 'Aurora'],
    ['圣奥', 'Sunon'],
    ['美时', 'Lamex'],
    ['黑白调', 'Hbada'],
    ['宜家', 'Hejne'],
    ['全友', 'Quanu'],
    ['迪欧', 'Dious'],
    ['林氏', 'Linsy'],
  ],
  OFF: [
    ['得力', 'Deli'],
    ['晨光', 'M&G'],
    ['齐心', 'Comix'],
    ['真彩', 'Truecolor'],
    ['广博', 'Guangbo'],
    ['国誉', 'Kokuyo'],
    ['百乐', 'Pilot'],
    ['斑马', 'Zebra'],
    ['史泰博', 'Staples'],
    ['惠朗', 'Huilang'],
    ['优必利', 'Ubili'],
    ['天章', 'Tianzhang'],
    ['亚太森博', 'Asia Symbol'],
    ['维达', 'Vinda'],
    ['远生', 'Yuansheng'],
    ['信发', 'Xinfa'],
  ],
  TEC: [
    ['华为', 'Huawei'],
    ['小米', 'Xiaomi'],
    ['联想', 'Lenovo'],
    ['惠普', 'HP'],
    ['佳能', 'Canon'],
    ['理光', 'Ricoh'],
    ['兄弟', 'Brother'],
    ['罗技', 'Logitech'],
    ['爱普生', 'Epson'],
    ['思科', 'Cisco'],
    ['中兴', 'ZTE'],
    ['奔图', 'Pantum'],
  ],
}

/** Superstore's segments, as the cockpit's sales channels: share of customers, payment terms (days). */
const SEGMENTS = [
  { code: 'consumer', name: '个人消费者', nameEn: 'Consumer', share: 0.52, termsDays: 0 },
  { code: 'corporate', name: '企业客户', nameEn: 'Corporate', share: 0.3, termsDays: 30 },
  { code: 'home-office', name: '小型办公', nameEn: 'Home Office', share: 0.18, termsDays: 15 },
] as const

/** Warehouses and the share of their region's orders each serves. */
const WAREHOUSES: readonly (Warehouse & { region: string; share: number })[] = [
  { code: 'WH-SH', name: '上海仓', nameEn: 'Shanghai warehouse', region: '华东', share: 0.65 },
  { code: 'WH-NJ', name: '南京仓', nameEn: 'Nanjing warehouse', region: '华东', share: 0.35 },
  { code: 'WH-GZ', name: '广州仓', nameEn: 'Guangzhou warehouse', region: '华南', share: 0.6 },
  { code: 'WH-SZ', name: '深圳仓', nameEn: 'Shenzhen warehouse', region: '华南', share: 0.4 },
  { code: 'WH-BJ', name: '北京仓', nameEn: 'Beijing warehouse', region: '华北', share: 1 },
  { code: 'WH-CD', name: '成都仓', nameEn: 'Chengdu warehouse', region: '西南', share: 1 },
]
/** Customers per region (Superstore's West, East, Central, South). */
const REGION_SHARES: Record<string, number> = { 华东: 0.32, 华北: 0.28, 华南: 0.23, 西南: 0.17 }

/** Superstore: order lines by quantity 1–14. */
const QTY_WEIGHTS = [899, 2402, 2409, 1191, 1230, 572, 606, 257, 258, 57, 34, 23, 27, 29]
/** Superstore: order lines by discount. */
const DISCOUNTS: readonly [number, number][] = [
  [0, 4798],
  [0.2, 3657],
  [0.7, 418],
  [0.8, 300],
  [0.3, 227],
  [0.4, 206],
  [0.6, 138],
  [0.1, 94],
  [0.5, 66],
  [0.15, 52],
  [0.32, 27],
  [0.45, 11],
]
/** Superstore's ship modes: share of orders, days promised, days from order to shipment. */
const SHIP_MODES: readonly { share: number; promise: number; ship: [number, number] }[] = [
  { share: 0.6, promise: 7, ship: [3, 6] }, // Standard Class
  { share: 0.19, promise: 4, ship: [2, 3] }, // Second Class
  { share: 0.16, promise: 3, ship: [1, 2] }, // First Class
  { share: 0.05, promise: 0, ship: [0.05, 0.25] }, // Same Day
]
/** Superstore: orders by month (four years summed): slow January and February, busy September, November, December. */
const MONTH_WEIGHTS = [178, 161, 354, 343, 367, 364, 338, 343, 688, 418, 789, 696]
/** Superstore: orders per year, 2014–2017 (later years grow by a quarter a year). */
const YEAR_WEIGHTS = [969, 1038, 1315, 1687]
/** Monday … Sunday */
const WEEKDAY_WEIGHTS = [1.05, 1.05, 1, 1, 1, 0.85, 0.75]
/** when orders are placed, hour of the business day */
const ORDER_HOURS = [0.1, 0.05, 0, 0, 0, 0, 0.1, 0.3, 0.8, 1.2, 1.4, 1.3, 1, 1.2, 1.3, 1.3, 1.2, 1, 0.9, 1, 1.1, 1, 0.7, 0.3]

/** cancelled orders (before anything ships), returned lines, receipts partly sent back */
const CANCEL_RATE = 0.01
const RETURN_RATE = 0.06
const PURCHASE_RETURN_RATE = 0.02
/** stock bought beyond the shortfall: days of the pair's expected demand */
const BUFFER_DAYS = 30
/** days of lag between an order and what follows from it that the planning keeps apart (payments on 60-day terms) */
const LAG_DAYS = 120
/** movements per order line the planning starts from, before it has measured its own */
const PRIOR_MOVEMENTS_PER_LINE = 3.6

export interface HistorySku extends Sku {
  category: string
  unit: string
  /** list price, CNY */
  price: number
  /** purchase cost, CNY */
  cost: number
  supplier: string
  /** share of all order lines */
  share: number
}

export interface HistoryCustomer extends Partner {
  segment: (typeof SEGMENTS)[number]['code']
  region: string
  /** index of its usual warehouse */
  warehouse: number
}

/** The business: catalogue, customers, suppliers, warehouses, and the master data that names them. */
export interface Superstore {
  skus: HistorySku[]
  customers: HistoryCustomer[]
  suppliers: Partner[]
  warehouses: Warehouse[]
  /** master data for `PUT /api/v1/master/:kind`, by kind */
  master: {
    skus: Sku[]
    warehouses: Warehouse[]
    partners: Partner[]
    categories: Category[]
    regions: Region[]
    channels: Channel[]
  }
  /** the top category (FUR, OFF, TEC) of a sub-category code */
  topCategoryOf(category: string): TopCategory
}

/** The catalogue and customers; the same seed builds the same business. */
export function createSuperstore(seed = 42): Superstore {
  const r = createRandom(seed ^ 0x5eed)
  const suppliers: (Partner & { top: TopCategory })[] = []
  for (const top of Object.keys(BRANDS) as TopCategory[]) {
    for (const [zh, en] of BRANDS[top]) {
      const n = suppliers.length
      suppliers.push({
        code: `SUP-${String(n + 1).padStart(3, '0')}`,
        name: `${zh}供应链`,
        nameEn: `${en} Supply`,
        kind: 'supplier',
        paymentTermsDays: SUPPLIER_TERMS_DAYS[n % SUPPLIER_TERMS_DAYS.length]!,
        top,
      })
    }
  }
  const totalLines = SUB_CATEGORIES.reduce((t, s) => t + s.lines, 0)
  const skus: HistorySku[] = []
  for (const sub of SUB_CATEGORIES) {
    const top = sub.code.slice(0, 3) as TopCategory
    const brands = BRANDS[top]
    const mine = suppliers.filter((s) => s.top === top)
    // popularity inside a sub-category: a few best sellers, a long tail
    const weights = Array.from({ length: sub.products }, (_, i) => 1 / (i + 1) ** 0.8)
    const sum = weights.reduce((t, w) => t + w, 0)
    for (let i = 0; i < sub.products; i++) {
      const brand = r.int(0, brands.length - 1)
      const model = `${String.fromCharCode(65 + r.int(0, 25))}${r.int(100, 999)}`
      // prices spread around the sub-category's mean (log-normal, median ≈ mean × 0.85)
      const gauss = r.next() + r.next() + r.next() - 1.5
      const price = Math.max(1, Math.round(sub.price * USD * 0.85 * Math.exp(gauss * 0.9) * 100) / 100)
      skus.push({
        code: `${sub.code}-${10000001 + i}`,
        name: `${brands[brand]![0]} ${sub.name} ${model}`,
        nameEn: `${brands[brand]![1]} ${sub.nameEn} ${model}`,
        category: sub.code,
        unit: '件',
        price,
        cost: Math.round(price * r.between(0.55, 0.82) * 100) / 100,
        supplier: mine[(brand + i) % mine.length]!.code,
        share: ((sub.lines / totalLines) * weights[i]!) / sum,
      })
    }
  }
  // a fixed order of SKUs whatever their popularity: shuffle so best sellers are not all first
  for (let i = skus.length - 1; i > 0; i--) {
    const j = r.int(0, i)
    ;[skus[i], skus[j]] = [skus[j]!, skus[i]!]
  }

  const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '林', '罗', '高']
  const GIVEN = ['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀英', '华', '平']
  const COMPANY = ['科技', '贸易', '咨询', '设计', '文化', '物流', '建筑', '教育', '医疗', '传媒']
  const regionCodes = Object.keys(REGION_SHARES)
  const customers: HistoryCustomer[] = []
  for (let i = 0; i < 800; i++) {
    const segment = r.weighted(SEGMENTS, (s) => s.share)
    const region = r.weighted(regionCodes, (c) => REGION_SHARES[c]!)
    const local = WAREHOUSES.map((w, k) => ({ w, k })).filter((x) => x.w.region === region)
    const warehouse = r.weighted(local, (x) => x.w.share).k
    const person = `${r.pick(SURNAMES)}${r.pick(GIVEN)}`
    customers.push({
      code: `CUS-${String(i + 1).padStart(4, '0')}`,
      name: segment.code === 'corporate' ? `${r.pick(['华', '中', '新', '东', '金', '天'])}${r.pick(['信', '达', '安', '瑞', '恒', '盛'])}${r.pick(COMPANY)}有限公司` : person,
      kind: 'customer',
      ...(segment.termsDays > 0 ? { paymentTermsDays: segment.termsDays } : {}),
      segment: segment.code,
      region,
      warehouse,
    })
  }
  const topOf = new Map(SUB_CATEGORIES.map((s) => [s.code, s.code.slice(0, 3) as TopCategory]))
  const warehouses: Warehouse[] = WAREHOUSES.map(({ code, name, nameEn, region }) => ({ code, name, nameEn, region }))
  return {
    skus,
    customers,
    suppliers: suppliers.map(({ top: _top, ...p }) => p),
    warehouses,
    master: {
      skus: skus.map(({ code, name, nameEn, category, unit }) => ({ code, name, nameEn, category, unit })),
      warehouses,
      partners: [
        ...suppliers.map(({ top: _top, ...p }) => p),
        ...customers.map(({ code, name, kind, paymentTermsDays }) => ({ code, name, kind, ...(paymentTermsDays ? { paymentTermsDays } : {}) })),
      ],
      categories: SUB_CATEGORIES.map((s) => {
        const top = TOP_CATEGORIES[s.code.slice(0, 3) as TopCategory]
        return { code: s.code, name: `${top.name} · ${s.name}`, nameEn: `${top.nameEn} · ${s.nameEn}` }
      }),
      regions: REGIONS.filter((g) => WAREHOUSES.some((w) => w.region === g.code)),
      channels: SEGMENTS.map(({ code, name, nameEn }) => ({ code, name, nameEn })),
    },
    topCategoryOf: (category) => {
      const top = topOf.get(category)
      if (!top) throw new RangeError(`unknown category ${category}`)
      return top
    },
  }
}

export interface HistoryOptions {
  /** movements in the data set */
  movements: number
  /** @default 42 */
  seed?: number
  /** first business day, YYYY-MM-DD (business time, UTC+8) @default "2022-01-01" */
  from?: string
  /** years of history @default 4 */
  years?: number
  /**
   * leave out the data set of this size (a multiple of SLICE_MOVEMENTS, or 0): only what the larger data set
   * adds, for loading sizes one after the other @default 0
   */
  after?: number
}

/** The period a history covers: [from, to) in epoch ms. */
export function historyPeriod(o: Pick<HistoryOptions, 'from' | 'years'> = {}): { from: number; to: number } {
  const from = o.from ?? '2022-01-01'
  const years = o.years ?? 4
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || Number.isNaN(Date.parse(`${from}T00:00:00+08:00`))) throw new RangeError(`from must be a date YYYY-MM-DD, got "${from}"`)
  if (!Number.isInteger(years) || years < 1 || years > 20) throw new RangeError(`years must be an integer 1–20, got ${years}`)
  const start = Date.parse(`${from}T00:00:00+08:00`)
  const d = new Date(start + CST)
  const end = Date.UTC(d.getUTCFullYear() + years, d.getUTCMonth(), d.getUTCDate()) - CST
  return { from: start, to: end }
}

/** Quotas of the slices a data set of `movements` is made of. */
export function sliceQuotas(movements: number): number[] {
  if (!Number.isInteger(movements) || movements < 1) throw new RangeError(`movements must be a positive integer, got ${movements}`)
  const out: number[] = []
  for (let left = movements; left > 0; left -= SLICE_MOVEMENTS) out.push(Math.min(SLICE_MOVEMENTS, left))
  return out
}

interface Pending {
  at: number
  seq: number
  slice: number
  m: Movement
}

/** A lot of a pair's stock not yet promised to an order line: its qty and when it is (or will be) on hand. */
interface Lot {
  qty: number
  at: number
}

interface SliceState {
  index: number
  quota: number
  r: Random
  /** movements scheduled inside the period (each is emitted unless cut at the quota) */
  scheduled: number
  emitted: number
  lines: number
  carry: number
  n: number
  orders: number
  purchases: number
  /** unpromised stock per pair (sku index × warehouses + warehouse index), oldest first */
  lots: Map<number, Lot[]>
  idPrefix: string
  /** when the order being planned was placed */
  origin: number
  /** movements planned so far by whole days from their order: how many of a late order's movements fall inside the period */
  lag: Float64Array
}

/**
 * The movements of a data set, in time order (slices interleaved; within an instant, in the order they were
 * planned: a cancel always after what it reverses).
 */
export function* historyMovements(o: HistoryOptions, store: Superstore = createSuperstore(o.seed ?? 42)): Generator<Movement> {
  const seed = o.seed ?? 42
  const { from, to } = historyPeriod(o)
  const quotas = sliceQuotas(o.movements)
  const after = o.after ?? 0
  if (after !== 0 && (after % SLICE_MOVEMENTS !== 0 || after >= o.movements)) {
    throw new RangeError(`after must be 0 or a multiple of ${SLICE_MOVEMENTS} below movements (${o.movements}), got ${after}`)
  }
  const skipSlices = after / SLICE_MOVEMENTS
  const { skus, customers } = store
  const whCount = WAREHOUSES.length

  // planning weights per day: year growth × month × weekday
  const days: { start: number; weight: number }[] = []
  for (let t = from; t < to; t += DAY) {
    const d = new Date(t + CST)
    const year = d.getUTCFullYear() - new Date(from + CST).getUTCFullYear()
    const yw = year < YEAR_WEIGHTS.length ? YEAR_WEIGHTS[year]! : YEAR_WEIGHTS.at(-1)! * 1.25 ** (year - YEAR_WEIGHTS.length + 1)
    const daysInMonth = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate()
    days.push({ start: t, weight: (yw * MONTH_WEIGHTS[d.getUTCMonth()]! * WEEKDAY_WEIGHTS[(d.getUTCDay() + 6) % 7]!) / daysInMonth })
  }
  const remainingWeight: number[] = new Array<number>(days.length)
  for (let i = days.length - 1, acc = 0; i >= 0; i--) remainingWeight[i] = acc += days[i]!.weight

  // cumulative shares for picking SKUs by popularity
  const cumulative: number[] = []
  let total = 0
  for (const s of skus) cumulative.push((total += s.share))
  const pickSku = (r: Random): number => {
    const x = r.next() * total
    let lo = 0
    let hi = cumulative.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cumulative[mid]! > x) hi = mid
      else lo = mid + 1
    }
    return lo
  }
  const qtyTotal = QTY_WEIGHTS.reduce((t, w) => t + w, 0)
  const meanQty = QTY_WEIGHTS.reduce((t, w, i) => t + w * (i + 1), 0) / qtyTotal
  const pickQty = (r: Random) => {
    let x = r.next() * qtyTotal
    for (let i = 0; i < QTY_WEIGHTS.length; i++) if ((x -= QTY_WEIGHTS[i]!) < 0) return i + 1
    return QTY_WEIGHTS.length
  }
  const whOrderShare = WAREHOUSES.map((_, k) => customers.filter((c) => c.warehouse === k).length / customers.length)

  const heap = new TimedQueue<Pending>()
  let seq = 0
  const supplierTerms = new Map(store.suppliers.map((p) => [p.code, p.paymentTermsDays ?? 0]))
  // slices are independent: those of the smaller data set are not even planned
  const slices: SliceState[] = quotas.slice(skipSlices).map((quota, i) => ({
    index: i + skipSlices,
    quota,
    // a slice's stream depends only on the seed, its index and its quota
    r: createRandom((Math.imul(seed, 0x9e3779b1) ^ Math.imul(i + skipSlices + 1, 0x85ebca6b)) >>> 0),
    scheduled: 0,
    emitted: 0,
    lines: 0,
    carry: 0,
    n: 0,
    orders: 0,
    purchases: 0,
    lots: new Map(),
    idPrefix: `H${seed}-${i + skipSlices}`,
    origin: from,
    lag: new Float64Array(LAG_DAYS),
  }))

  const schedule = (s: SliceState, at: number, m: Movement): void => {
    s.lag[Math.min(LAG_DAYS - 1, Math.floor((at - s.origin) / DAY))]!++
    if (at >= to) return // after the period: not in this history
    s.scheduled++
    heap.push({ at, seq: seq++, slice: s.index, m })
  }
  const nextId = (s: SliceState) => `${s.idPrefix}-${++s.n}`
  /** t moved into working hours [open, close) of its day, or the next day's */
  const inHours = (r: Random, t: number, open: number, close: number): number => {
    const dayStart = Math.floor((t + CST) / DAY) * DAY - CST
    const h = (t - dayStart) / HOUR
    if (h >= open && h < close) return t
    const base = h < open ? dayStart : dayStart + DAY
    return base + (open + r.between(0, Math.min(3, close - open))) * HOUR
  }
  const endOfDay = (t: number) => Math.floor((t + CST) / DAY) * DAY - CST + DAY - 1000
  const cents = (qty: number, price: number) => Math.round(qty * price * 100)

  /** Buys a lot for a pair: purchase order, receipt (maybe late), payment, sometimes part of it sent back. Returns when it is on hand. */
  function purchase(s: SliceState, skuIndex: number, wh: number, qty: number, t: number): number {
    const { r } = s
    const sku = skus[skuIndex]!
    const warehouse = WAREHOUSES[wh]!.code
    const ref = `PO${seed}-${s.index}-${++s.purchases}`
    const ordered = inHours(r, t + r.between(0.1, 2) * HOUR, 8, 18)
    const lead = r.between(2, 6) * DAY
    const due = endOfDay(ordered + lead + DAY)
    const arrive = r.chance(0.85) ? Math.min(due - HOUR, inHours(r, ordered + lead, 9, 17)) : inHours(r, due + r.between(2, 72) * HOUR, 9, 17)
    const defective = r.chance(PURCHASE_RETURN_RATE) ? Math.max(1, Math.round(qty * r.between(0.03, 0.1))) : 0
    const bought = qty + defective // the defective units come in and go back: never promised to a customer
    schedule(s, ordered, {
      id: nextId(s),
      type: 'purchase_order',
      occurredAt: formatCst(ordered),
      sku: sku.code,
      warehouse,
      qty: bought,
      unitCost: sku.cost,
      partner: sku.supplier,
      ref,
      dueAt: formatCst(due),
    })
    const receiptId = nextId(s)
    schedule(s, arrive, {
      id: receiptId,
      type: 'purchase_receipt',
      occurredAt: formatCst(arrive),
      sku: sku.code,
      warehouse,
      qty: bought,
      unitCost: sku.cost,
      partner: sku.supplier,
      ref,
      dueAt: formatCst(due),
    })
    const terms = supplierTerms.get(sku.supplier) ?? 0
    const paid = inHours(r, arrive + (terms > 0 ? terms * DAY * r.between(0.85, 1.15) : r.between(1, 6) * HOUR), 9, 17)
    schedule(s, paid, { id: nextId(s), type: 'payment_out', occurredAt: formatCst(paid), amount: cents(bought, sku.cost) / 100, partner: sku.supplier, ref })
    if (defective > 0) {
      const back = inHours(r, arrive + r.between(1, 3) * DAY, 9, 17)
      schedule(s, back, {
        id: nextId(s),
        type: 'purchase_return',
        occurredAt: formatCst(back),
        sku: sku.code,
        warehouse,
        qty: defective,
        unitCost: sku.cost,
        partner: sku.supplier,
        ref,
        returnOf: receiptId,
      })
    }
    return arrive
  }

  /** Promises qty of a pair to an order line at t: from unpromised stock, else bought. Returns when it is all on hand. */
  function promise(s: SliceState, skuIndex: number, wh: number, qty: number, t: number, linesPerDay: number): number {
    const key = skuIndex * whCount + wh
    let lots = s.lots.get(key)
    if (!lots) s.lots.set(key, (lots = []))
    const free = lots.reduce((x, l) => x + l.qty, 0)
    let ready = t
    if (free < qty) {
      // buy the shortfall and about a month of the pair's expected demand, in cases for cheap goods
      const sku = skus[skuIndex]!
      const expected = linesPerDay * sku.share * whOrderShare[wh]! * meanQty * BUFFER_DAYS
      const pack = sku.price < 70 ? 10 : sku.price < 350 ? 5 : 1
      const lot = Math.ceil((qty - free + Math.round(expected)) / pack) * pack
      lots.push({ qty: lot, at: purchase(s, skuIndex, wh, lot, t) })
    }
    for (let need = qty; need > 0;) {
      const lot = lots[0]!
      const take = Math.min(need, lot.qty)
      ready = Math.max(ready, lot.at)
      lot.qty -= take
      need -= take
      if (lot.qty === 0) lots.shift()
    }
    return ready
  }

  /** One customer order of `lineCount` lines at t. */
  function order(s: SliceState, t: number, lineCount: number, linesPerDay: number): void {
    const { r } = s
    s.origin = t
    const customer = customers[r.int(0, customers.length - 1)]!
    const segment = customer.segment
    const warehouse = r.chance(0.9) ? customer.warehouse : r.int(0, whCount - 1)
    const wh = WAREHOUSES[warehouse]!.code
    const ref = `SO${seed}-${s.index}-${++s.orders}`
    const mode = r.weighted(SHIP_MODES, (m) => m.share)
    const due = endOfDay(t + mode.promise * DAY)
    const cancelled = r.chance(CANCEL_RATE)
    const picked = new Set<number>()
    const lines: { sku: number; qty: number; unitPrice: number; orderId: string }[] = []
    for (let i = 0; i < lineCount; i++) {
      let k = pickSku(r)
      for (let tries = 0; picked.has(k) && tries < 20; tries++) k = pickSku(r)
      if (picked.has(k)) continue
      picked.add(k)
      const discount = r.weighted(DISCOUNTS, (d) => d[1])[0]
      const sku = skus[k]!
      const line = { sku: k, qty: pickQty(r), unitPrice: Math.max(0.01, Math.round(sku.price * (1 - discount) * 100) / 100), orderId: nextId(s) }
      lines.push(line)
      schedule(s, t, {
        id: line.orderId,
        type: 'sales_order',
        occurredAt: formatCst(t),
        sku: sku.code,
        warehouse: wh,
        qty: line.qty,
        unitPrice: line.unitPrice,
        partner: customer.code,
        channel: segment,
        ref,
        dueAt: formatCst(due),
      })
    }
    s.lines += lines.length
    const amount = lines.reduce((x, l) => x + cents(l.qty, l.unitPrice), 0) / 100
    let prepaid: string | undefined
    if (segment === 'consumer') {
      const paidAt = t + r.between(1, 10) * 60_000
      prepaid = nextId(s)
      schedule(s, paidAt, { id: prepaid, type: 'payment_in', occurredAt: formatCst(paidAt), amount, partner: customer.code, channel: segment, ref })
    }
    if (cancelled) {
      // the customer cancels before anything ships: the order lines and a prepayment are reversed
      const at = t + r.between(0.5, 20) * HOUR
      for (const l of lines) schedule(s, at, { id: nextId(s), type: 'cancel', occurredAt: formatCst(at), cancels: l.orderId })
      if (prepaid) schedule(s, at, { id: nextId(s), type: 'cancel', occurredAt: formatCst(at), cancels: prepaid })
      return
    }
    const late = r.chance(0.1)
    let lastShipped = t
    for (const l of lines) {
      const sku = skus[l.sku]!
      const ready = promise(s, l.sku, warehouse, l.qty, t, linesPerDay)
      const planned = t + r.between(...mode.ship) * DAY + (late ? r.between(1, 3) * DAY : 0)
      const shipped = Math.max(inHours(r, planned, 8, 20), inHours(r, ready + r.between(2, 8) * HOUR, 8, 20))
      lastShipped = Math.max(lastShipped, shipped)
      const shipmentId = nextId(s)
      schedule(s, shipped, {
        id: shipmentId,
        type: 'sales_shipment',
        occurredAt: formatCst(shipped),
        sku: sku.code,
        warehouse: wh,
        qty: l.qty,
        unitPrice: l.unitPrice,
        partner: customer.code,
        channel: segment,
        ref,
        dueAt: formatCst(due),
      })
      if (r.chance(RETURN_RATE)) {
        const back = inHours(r, shipped + r.between(3, 30) * DAY, 9, 18)
        const qty = r.chance(0.7) ? l.qty : r.int(1, l.qty)
        schedule(s, back, {
          id: nextId(s),
          type: 'sales_return',
          occurredAt: formatCst(back),
          sku: sku.code,
          warehouse: wh,
          qty,
          unitPrice: l.unitPrice,
          partner: customer.code,
          channel: segment,
          ref,
          returnOf: shipmentId,
        })
        // returned goods go back on the shelf: stock to promise again
        if (back < to) pushLot(s, l.sku * whCount + warehouse, qty, back)
      }
    }
    if (segment !== 'consumer') {
      const terms = customer.paymentTermsDays ?? 0
      const paidAt = inHours(r, lastShipped + terms * DAY * r.between(0.7, 1.3), 9, 18)
      schedule(s, paidAt, { id: nextId(s), type: 'payment_in', occurredAt: formatCst(paidAt), amount, partner: customer.code, channel: segment, ref })
    }
  }

  function pushLot(s: SliceState, key: number, qty: number, at: number): void {
    let lots = s.lots.get(key)
    if (!lots) s.lots.set(key, (lots = []))
    lots.push({ qty, at })
  }

  const hourTotal = ORDER_HOURS.reduce((t, w) => t + w, 0)
  const orderTime = (r: Random, dayStart: number) => {
    let x = r.next() * hourTotal
    let h = 0
    while (h < 23 && (x -= ORDER_HOURS[h]!) >= 0) h++
    return dayStart + h * HOUR + Math.floor(r.next() * 3600) * 1000
  }
  /** lines per order: geometric with mean 2 (Superstore: 9,994 lines in 5,009 orders), at most 14 */
  const lineCount = (r: Random) => Math.min(14, 1 + Math.floor(-Math.log(1 - r.next()) / Math.LN2))

  const avgLinesPerDay = (s: SliceState) => s.quota / PRIOR_MOVEMENTS_PER_LINE / days.length
  for (let d = 0; d < days.length; d++) {
    const { start, weight } = days[d]!
    const last = d === days.length - 1
    for (const s of slices) {
      // lines the rest of the period needs: Σ over the remaining days of weight × movements a line of that day
      // brings inside the period (fewer near its end: later payments and shipments fall after it)
      let perDayWeight: number
      if (s.lines < 50) perDayWeight = PRIOR_MOVEMENTS_PER_LINE * remainingWeight[d]!
      else {
        const cum = new Float64Array(LAG_DAYS + 1)
        for (let k = 0; k < LAG_DAYS; k++) cum[k + 1] = cum[k]! + s.lag[k]!
        const full = cum[LAG_DAYS]! / s.lines
        perDayWeight = full * remainingWeight[d]!
        for (let j = Math.max(d, days.length - LAG_DAYS); j < days.length; j++) perDayWeight -= days[j]!.weight * (full - cum[days.length - j]! / s.lines)
      }
      const remaining = s.quota - s.scheduled
      const target = Math.max(0, remaining / perDayWeight) * weight + s.carry
      const wanted = Math.floor(target)
      s.carry = target - wanted
      // one day's orders, in time order
      const times: number[] = []
      const counts: number[] = []
      for (let lines = 0; lines < wanted;) {
        const k = Math.min(lineCount(s.r), wanted - lines)
        counts.push(k)
        times.push(orderTime(s.r, start))
        lines += k
      }
      times.sort((a, b) => a - b)
      // the planning's own rate of lines per day, for the size of purchase lots
      const linesPerDay = avgLinesPerDay(s) * (weight / (remainingWeight[0]! / days.length))
      for (let i = 0; i < times.length; i++) order(s, times[i]!, counts[i]!, linesPerDay)
      // the last day makes up what is still missing; the cut below trims the excess
      while (last && s.scheduled < s.quota) order(s, orderTime(s.r, start), lineCount(s.r), linesPerDay)
    }
    const dayEnd = start + DAY
    for (let p = heap.peek(); p && p.at < dayEnd; p = heap.peek()) {
      heap.pop()
      const s = slices[p.slice - skipSlices]!
      if (s.emitted >= s.quota) continue // the slice's exact count: the latest movements of its last day are cut
      s.emitted++
      yield p.m
    }
  }
}

/** What a written history holds. */
export interface HistoryStats {
  movements: number
  bytes: number
  byType: Record<string, number>
  first: string | undefined
  last: string | undefined
}

/** Writes a history as NDJSON (one movement a line); `each` sees every movement as it is written. */
export async function writeHistory(file: string, o: HistoryOptions, each?: (m: Movement) => void): Promise<HistoryStats> {
  const out = createWriteStream(file)
  const stats: HistoryStats = { movements: 0, bytes: 0, byType: {}, first: undefined, last: undefined }
  let buf: string[] = []
  const flush = async () => {
    const chunk = buf.join('')
    buf = []
    stats.bytes += Buffer.byteLength(chunk)
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
  }
  for (const m of historyMovements(o)) {
    buf.push(`${JSON.stringify(m)}\n`)
    stats.movements++
    stats.byType[m.type] = (stats.byType[m.type] ?? 0) + 1
    stats.first ??= m.occurredAt
    stats.last = m.occurredAt
    each?.(m)
    if (buf.length >= 2000) await flush()
  }
  await flush()
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())))
  return stats
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      movements: { type: 'string' },
      seed: { type: 'string', default: '42' },
      from: { type: 'string', default: '2022-01-01' },
      years: { type: 'string', default: '4' },
      after: { type: 'string', default: '0' },
      out: { type: 'string' },
      master: { type: 'string' },
      url: { type: 'string', default: process.env.COCKPIT_URL ?? 'http://127.0.0.1:3000' },
      'admin-key': { type: 'string', default: process.env.COCKPIT_ADMIN_KEY },
    },
  })
  const movements = Number(values.movements)
  if (!values.out || !Number.isInteger(movements) || movements < 1) {
    process.stderr.write(
      'usage: npm run history -- --movements 300000 --out history.ndjson [--seed 42] [--from 2022-01-01] [--years 4]\n' +
        `                          [--after 30000] [--master master.json] [--url http://127.0.0.1:3000 --admin-key <key>]\n` +
        `       sizes that are multiples of ${SLICE_MOVEMENTS} nest: --after N writes only what the larger data set adds\n`,
    )
    process.exit(2)
  }
  const seed = Number(values.seed)
  const store = createSuperstore(seed)
  if (values.master) await writeFile(values.master, `${JSON.stringify(store.master, null, 1)}\n`)
  if (values['admin-key']) await putMasterRecords(values.url!, values['admin-key'], store.master)
  const started = performance.now()
  const stats = await writeHistory(values.out, { movements, seed, from: values.from!, years: Number(values.years), after: Number(values.after) })
  const secs = (performance.now() - started) / 1000
  const out = (s: string) => process.stdout.write(`${s}\n`)
  out(`${stats.movements} movements → ${values.out} (${(stats.bytes / 1048576).toFixed(1)} MiB, ${secs.toFixed(1)} s), ${stats.first} … ${stats.last}`)
  out(
    `  ${Object.entries(stats.byType)
      .sort((a, b) => b[1] - a[1])
      .map(([t, n]) => `${t} ${n}`)
      .join(', ')}`,
  )
  if (values.master) out(`master data → ${values.master}`)
  if (values['admin-key']) out(`master data upserted at ${values.url}`)
}

try {
  if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
} catch (err) {
  process.stderr.write(`history: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
}
