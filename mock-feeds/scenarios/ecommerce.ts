/**
 * An e-commerce brand selling on several platforms: two own warehouses (自营仓), platform
 * warehouses (天猫超市, 京东) stocked by inbound transfers or delivered to by suppliers directly
 * (platform receipts), and supplier direct shipping (一件代发) from a virtual warehouse. Online
 * orders are paid at once, shipped by courier within the platform's promise, often cancelled
 * before shipping (the order and the payment are reversed) and returned more than in a shop.
 * SKU codes are SPU-colour-size, as shop back-ends write them.
 */
import type { Partner } from '../../protocol/master.ts'
import type { DemandProfile, WorkWindow } from '../profile.ts'
import { createRandom } from '../random.ts'
import { regionsOf, SUPPLIER_TERMS_DAYS, unitsPerSalesLine } from '../scenario.ts'
import type { Scenario, SimChannel, SimSku, SimStockPolicy, SimWarehouse } from '../scenario.ts'
import type { ScenarioOptions } from './retail.ts'

const CATEGORIES: { code: string; name: string; nameEn: string; items: string[]; price: [number, number]; variants: string[][] }[] = [
  {
    code: 'apparel',
    name: '服饰',
    nameEn: 'Apparel',
    items: ['纯棉圆领T恤', '轻薄羽绒服', '直筒牛仔裤', '连帽卫衣', '速干运动裤'],
    price: [59, 399],
    variants: [
      ['BLK', 'WHT', 'NAV'],
      ['S', 'M', 'L', 'XL'],
    ],
  },
  {
    code: 'beauty',
    name: '美妆个护',
    nameEn: 'Beauty',
    items: ['玻尿酸补水面膜', '氨基酸洁面乳', '防晒喷雾 SPF50', '修护精华液'],
    price: [39, 299],
    variants: [['STD'], ['30ML', '50ML', '100ML']],
  },
  {
    code: 'digital',
    name: '数码',
    nameEn: 'Electronics',
    items: ['蓝牙降噪耳机', '65W氮化镓充电器', '磁吸充电宝', '机械键盘'],
    price: [79, 599],
    variants: [
      ['BLK', 'WHT'],
      ['V1', 'V2'],
    ],
  },
  {
    code: 'home',
    name: '家居',
    nameEn: 'Home',
    items: ['记忆棉枕头', '四件套床品', '收纳箱 3只装', '香薰加湿器'],
    price: [49, 329],
    variants: [
      ['GRY', 'BGE'],
      ['STD', 'LG'],
    ],
  },
  { code: 'food', name: '食品', nameEn: 'Food', items: ['每日坚果 30袋', '冻干咖啡 24颗', '低脂鸡胸肉 10袋', '燕麦片 1kg'], price: [29, 139], variants: [['STD'], ['1PK', '2PK']] },
]

const WAREHOUSES: SimWarehouse[] = [
  { code: 'EC-SH', name: '上海自营仓', nameEn: 'Shanghai own warehouse', region: '华东', kind: 'dc', traffic: 1 },
  { code: 'EC-GZ', name: '广州自营仓', nameEn: 'Guangzhou own warehouse', region: '华南', kind: 'dc', traffic: 0.8 },
  { code: 'TM-HZ', name: '天猫超市杭州仓', nameEn: 'Tmall Supermarket Hangzhou', region: '华东', kind: 'store', traffic: 0.9 },
  { code: 'JD-BJ', name: '京东北京仓', nameEn: 'JD Beijing warehouse', region: '华北', kind: 'store', traffic: 0.7 },
  { code: 'JD-GZ', name: '京东广州仓', nameEn: 'JD Guangzhou warehouse', region: '华南', kind: 'store', traffic: 0.6 },
  { code: 'DS-VIRT', name: '供应商直发(虚拟仓)', nameEn: 'Supplier direct (virtual)', region: '华东', kind: 'virtual', traffic: 0.5 },
]

const SUPPLIERS = ['杭州衣品服饰', '广州美研生物', '深圳声悦科技', '东莞充能电子', '南通家纺', '义乌优品收纳', '三只松鼠供应链', '云南咖啡庄园', '宁波智家电器', '青岛健食']
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周']

const round2 = (x: number) => Math.round(x * 100) / 100
/** popularity ∝ (POPULAR_PRICE / price) ^ POPULARITY_BY_PRICE */
const POPULAR_PRICE = 100
const POPULARITY_BY_PRICE = 0.8

/** Movements per sales line (order, payment, shipment, cancels, returns, replenishment…). */
export const ECOMMERCE_MOVEMENTS_PER_SALE = 3.3

/**
 * Movements per second (week's average) at which the shop has believable figures: about 7,500
 * order lines of ~¥290 and ¥2 million of revenue a day (mock-feeds/README.md).
 */
export const ECOMMERCE_TYPICAL_RATE = 0.3

/**
 * When the shop's buyers order (business time): shopping apps are busiest after dinner, with a
 * smaller lunch-break peak and orders all night; Douyin's live-stream sales crowd into the
 * evening broadcasts; the mini-program follows the brand's own evening campaigns. A little busier
 * towards the weekend.
 */
const APP_HOURS = [0.9, 0.55, 0.3, 0.18, 0.14, 0.15, 0.25, 0.45, 0.7, 0.9, 1.05, 1.1, 1.2, 1.1, 1, 1, 1, 1, 1.1, 1.35, 1.7, 1.95, 1.9, 1.4]
const WEEK = [0.95, 0.95, 0.95, 1, 1.05, 1.1, 1]
const DEMAND: Record<string, DemandProfile> = {
  tmall: { hours: APP_HOURS, weekdays: WEEK },
  jd: { hours: APP_HOURS, weekdays: WEEK },
  pdd: { hours: APP_HOURS, weekdays: WEEK },
  douyin: {
    hours: [1, 0.6, 0.3, 0.15, 0.1, 0.1, 0.15, 0.3, 0.45, 0.55, 0.6, 0.65, 0.8, 0.7, 0.6, 0.6, 0.65, 0.7, 0.9, 1.3, 2.2, 2.6, 2.4, 1.6],
    weekdays: [0.9, 0.9, 0.95, 1, 1.1, 1.15, 1],
  },
  wechat: { hours: [0.6, 0.3, 0.15, 0.1, 0.1, 0.15, 0.3, 0.6, 0.9, 1, 1.1, 1.1, 1.3, 1.1, 1, 1, 1, 1.1, 1.2, 1.5, 2, 2, 1.6, 1], weekdays: WEEK },
}
/** Platform warehouses keep about a week and a half, the own warehouses two weeks of what they sell and send. */
const STOCK_POLICY: Record<'store' | 'dc', SimStockPolicy> = { store: { safetyDays: 3, cycleDays: 8 }, dc: { safetyDays: 4, cycleDays: 10 } }
/** Suppliers deliver in 2–5 days; inbound shipments to platform warehouses take 1–3 days. */
const SUPPLIER_LEAD_HOURS: [number, number] = [48, 120]
const TRANSFER_HOURS: [number, number] = [24, 72]
/** Warehouses receive 08:00–20:00 every day; suppliers are paid in office hours. */
const RECEIVING: WorkWindow = { from: 8, to: 20 }
const OFFICE: WorkWindow = { from: 9, to: 18, days: [0, 1, 2, 3, 4] }

/** The same seed builds the same shop. */
export function ecommerceScenario(seed = 42, opts: ScenarioOptions = {}): Scenario {
  const r = createRandom(seed ^ 0xec0)
  const linesPerMinute = ((opts.rate ?? ECOMMERCE_TYPICAL_RATE) / ECOMMERCE_MOVEMENTS_PER_SALE) * 60
  const suppliers: Partner[] = SUPPLIERS.map((name, i) => ({
    code: `SUP-${String(i + 1).padStart(3, '0')}`,
    name,
    kind: 'supplier',
    paymentTermsDays: SUPPLIER_TERMS_DAYS[i % SUPPLIER_TERMS_DAYS.length]!,
  }))
  const customers: Partner[] = Array.from({ length: 500 }, (_, i) => ({
    code: `BUY-${String(i + 1).padStart(5, '0')}`,
    name: `${r.pick(SURNAMES)}** (买家${i + 1})`,
    kind: 'customer',
  }))
  const channels: SimChannel[] = [
    {
      code: 'tmall',
      name: '天猫',
      nameEn: 'Tmall',
      weight: 0.3,
      promiseMinutes: 120,
      warehouses: ['TM-HZ', 'EC-SH'],
      qty: [1, 2],
      payment: 'prepaid',
      returnRate: 0.06,
      cancelRate: 0.04,
    },
    {
      code: 'jd',
      name: '京东',
      nameEn: 'JD.com',
      weight: 0.25,
      promiseMinutes: 90,
      warehouses: ['JD-BJ', 'JD-GZ', 'EC-GZ'],
      qty: [1, 2],
      payment: 'prepaid',
      returnRate: 0.05,
      cancelRate: 0.03,
    },
    {
      code: 'douyin',
      name: '抖音',
      nameEn: 'Douyin',
      weight: 0.2,
      promiseMinutes: 180,
      warehouses: ['EC-SH', 'EC-GZ', 'DS-VIRT'],
      qty: [1, 2],
      payment: 'prepaid',
      returnRate: 0.1,
      cancelRate: 0.06,
    },
    {
      code: 'pdd',
      name: '拼多多',
      nameEn: 'Pinduoduo',
      weight: 0.15,
      promiseMinutes: 240,
      warehouses: ['EC-GZ', 'DS-VIRT'],
      qty: [1, 3],
      payment: 'prepaid',
      returnRate: 0.07,
      cancelRate: 0.05,
    },
    // the brand's own mini-program: larger baskets, sometimes shipped in two parcels
    {
      code: 'wechat',
      name: '微信小程序',
      nameEn: 'WeChat mini-program',
      weight: 0.1,
      promiseMinutes: 120,
      warehouses: ['EC-SH'],
      qty: [1, 4],
      payment: 'prepaid',
      split: [1, 2],
      returnRate: 0.04,
      cancelRate: 0.03,
    },
  ]

  const skus: SimSku[] = []
  let spu = 1001
  for (const cat of CATEGORIES) {
    for (const item of cat.items) {
      const base = round2(r.between(cat.price[0], cat.price[1]))
      const supplier = suppliers[(spu * 3) % suppliers.length]!.code
      // cheaper products sell more: a typical order line is a couple of hundred yuan
      const popularity = (r.exponential(1) + 0.05) * (POPULAR_PRICE / base) ** POPULARITY_BY_PRICE
      for (const a of cat.variants[0]!) {
        for (const b of cat.variants[1]!) {
          const price = round2(base * r.between(0.95, 1.1))
          skus.push({
            code: `SPU${spu}-${a}-${b}`,
            name: `${item} ${a}/${b}`,
            category: cat.code,
            unit: '件',
            price,
            cost: round2(price * r.between(0.35, 0.55)),
            popularity: popularity * r.between(0.3, 1.2),
            supplier,
            safetyStock: 0,
            reorderPoint: 0,
          })
        }
      }
      spu++
    }
  }
  const popularityTotal = skus.reduce((t, s) => t + s.popularity, 0)
  const perLine = unitsPerSalesLine(channels, WAREHOUSES)
  const transferShare = 0.6
  // a platform warehouse is replenished by inbound transfer or by the supplier: it plans for the longer
  const platformLeadDays = Math.max(TRANSFER_HOURS[0] + TRANSFER_HOURS[1], SUPPLIER_LEAD_HOURS[0] + SUPPLIER_LEAD_HOURS[1]) / 2 / 24
  /** units per minute sold from a warehouse (the simulator adds the transfers an own warehouse sends) */
  const demand = (s: SimSku, w: SimWarehouse) => linesPerMinute * (s.popularity / popularityTotal) * (perLine.get(w.code) ?? 0)
  for (const s of skus) {
    // safety stock and reorder point of a platform warehouse, in days of its sales
    const platform = demand(s, WAREHOUSES[2]!) * 1440
    s.safetyStock = Math.max(3, Math.round(platform * STOCK_POLICY.store.safetyDays))
    s.reorderPoint = Math.max(6, s.safetyStock + Math.ceil(platform * platformLeadDays))
  }

  return {
    name: 'ecommerce',
    demandProfiles: DEMAND,
    stockPolicy: (w) => STOCK_POLICY[w.kind === 'store' ? 'store' : 'dc'],
    supplierLeadHours: SUPPLIER_LEAD_HOURS,
    transferHours: TRANSFER_HOURS,
    receiving: RECEIVING,
    office: OFFICE,
    skus,
    warehouses: WAREHOUSES.map((w) => ({ ...w })),
    suppliers,
    customers,
    channels,
    // the virtual warehouse's receipts from the supplier (一件代发)
    otherChannels: [{ code: 'dropship', name: '供应商直发', nameEn: 'Supplier direct' }],
    categories: CATEGORIES.map(({ code, name, nameEn }) => ({ code, name, nameEn })),
    regions: regionsOf(WAREHOUSES),
    transferShare,
    purchaseReturnRate: 0.03,
    movementsPerSale: ECOMMERCE_MOVEMENTS_PER_SALE,
    stocks: (_s, w) => w.kind === 'dc' || w.kind === 'store',
    demandPerMinute: demand,
  }
}
