/**
 * A retail chain: two distribution centres and six stores in three regions, ~300 SKUs in ten
 * categories, twenty suppliers, two hundred members, three sales channels.
 */
import type { Partner } from '../../protocol/master.ts'
import type { DemandProfile, WorkWindow } from '../profile.ts'
import { createRandom } from '../random.ts'
import { regionsOf, SUPPLIER_TERMS_DAYS, unitsPerSalesLine } from '../scenario.ts'
import type { Scenario, SimChannel, SimSku, SimStockPolicy, SimWarehouse } from '../scenario.ts'

const CATEGORIES: { code: string; name: string; nameEn: string; items: string[]; price: [number, number] }[] = [
  {
    code: 'drinks',
    name: '饮料',
    nameEn: 'Drinks',
    items: ['矿泉水 550ml', '绿茶 500ml', '可乐 330ml', '橙汁 1L', '苏打水 350ml', '乌龙茶 500ml', '椰子水 1L', '咖啡饮料 280ml'],
    price: [2, 12],
  },
  {
    code: 'snacks',
    name: '零食',
    nameEn: 'Snacks',
    items: ['薯片 70g', '饼干 200g', '坚果礼盒', '巧克力 100g', '牛肉干 100g', '海苔 30g', '果冻 6杯', '瓜子 250g'],
    price: [5, 68],
  },
  { code: 'dairy', name: '乳品', nameEn: 'Dairy', items: ['纯牛奶 250ml×12', '酸奶 100g×8', '奶酪片 200g', '黄油 250g', '豆奶 250ml×6'], price: [8, 75] },
  { code: 'grain', name: '粮油', nameEn: 'Grain & oil', items: ['大米 5kg', '面粉 2.5kg', '花生油 5L', '挂面 1kg', '小米 1kg', '菜籽油 1.8L'], price: [10, 120] },
  { code: 'frozen', name: '冷冻', nameEn: 'Frozen food', items: ['水饺 1kg', '汤圆 500g', '冷冻虾仁 400g', '冰淇淋 4支', '鸡翅 1kg'], price: [15, 98] },
  { code: 'household', name: '日化', nameEn: 'Household', items: ['洗衣液 2kg', '洗洁精 1.5kg', '纸巾 10包', '垃圾袋 100只', '消毒液 1L', '保鲜膜 30m'], price: [6, 59] },
  { code: 'personal', name: '个护', nameEn: 'Personal care', items: ['洗发水 750ml', '沐浴露 1L', '牙膏 120g', '牙刷 4支', '护手霜 50g', '剃须刀'], price: [9, 129] },
  { code: 'baby', name: '母婴', nameEn: 'Baby & kids', items: ['纸尿裤 L 52片', '婴儿湿巾 80抽', '奶粉 900g', '婴儿洗衣液 1L'], price: [25, 329] },
  { code: 'fresh', name: '生鲜', nameEn: 'Fresh food', items: ['苹果 1kg', '香蕉 1kg', '鸡蛋 30枚', '番茄 500g', '猪里脊 500g', '三文鱼 200g'], price: [6, 88] },
  { code: 'appliance', name: '小家电', nameEn: 'Small appliances', items: ['电热水壶', '吹风机', '电饭煲', '榨汁机', '电动牙刷'], price: [69, 599] },
]

const WAREHOUSES: Omit<SimWarehouse, 'traffic'>[] = [
  { code: 'DC-SH', name: '上海中心仓', nameEn: 'Shanghai DC', region: '华东', kind: 'dc' },
  { code: 'DC-GZ', name: '广州中心仓', nameEn: 'Guangzhou DC', region: '华南', kind: 'dc' },
  { code: 'ST-SH01', name: '上海南京路店', nameEn: 'Shanghai Nanjing Rd store', region: '华东', kind: 'store' },
  { code: 'ST-HZ01', name: '杭州西湖店', nameEn: 'Hangzhou West Lake store', region: '华东', kind: 'store' },
  { code: 'ST-SZ01', name: '深圳福田店', nameEn: 'Shenzhen Futian store', region: '华南', kind: 'store' },
  { code: 'ST-GZ01', name: '广州天河店', nameEn: 'Guangzhou Tianhe store', region: '华南', kind: 'store' },
  { code: 'ST-BJ01', name: '北京朝阳店', nameEn: 'Beijing Chaoyang store', region: '华北', kind: 'store' },
  { code: 'ST-TJ01', name: '天津滨海店', nameEn: 'Tianjin Binhai store', region: '华北', kind: 'store' },
]

const SUPPLIER_NAMES = [
  '华润供应链',
  '康师傅食品',
  '伊利乳业',
  '中粮粮油',
  '三全食品',
  '蓝月亮日化',
  '宝洁中国',
  '贝因美',
  '佳沃鲜果',
  '美的电器',
  '农夫山泉',
  '良品铺子',
  '光明乳业',
  '金龙鱼',
  '思念食品',
  '立白集团',
  '联合利华',
  '飞鹤乳业',
  '百果园',
  '九阳股份',
]
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡']

const round2 = (x: number) => Math.round(x * 100) / 100
/** popularity ∝ (BASKET_PRICE / price) ^ POPULARITY_BY_PRICE: cheap everyday goods sell most */
const BASKET_PRICE = 15
const POPULARITY_BY_PRICE = 1.2

export interface ScenarioOptions {
  /** number of SKUs @default 300 */
  skuCount?: number
  /**
   * movements per second the chain is sized for: stock levels and thresholds follow the demand
   * it implies, so a faster feed does not just empty every shelf @default the business's own
   * typical rate (RETAIL_TYPICAL_RATE and its siblings)
   */
  rate?: number
}

/**
 * Movements per sales line (order, shipments, payments, replenishment, returns, counts): sets the
 * pace. Measured at live rates; shelf counts and replenishment do not grow with the rate, so a
 * feed of well under one movement per second runs a few per cent faster than asked.
 */
export const MOVEMENTS_PER_SALE = 2.77

/**
 * Movements per second (week's average) at which the chain has believable figures: about 34,000
 * sales lines and ¥2.2 million of revenue a day, ¥130,000–230,000 per store (mock-feeds/README.md).
 */
export const RETAIL_TYPICAL_RATE = 1.2

/**
 * When the chain's customers buy (business time). Stores open 07:30–22:30 with a lunch peak and
 * a larger after-work peak, busier at weekends, nothing at night; online orders peak in the
 * evening and trickle in at night; wholesale customers order in office hours, not on Sundays.
 */
const DEMAND: Record<'pos' | 'online' | 'wholesale', DemandProfile> = {
  pos: {
    hours: [0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0.8, 1, 1.5, 1.8, 1.3, 0.9, 0.9, 1.1, 1.6, 2, 1.9, 1.3, 0.7, 0, 0],
    weekdays: [0.9, 0.9, 0.95, 0.95, 1.05, 1.25, 1.2],
  },
  online: {
    hours: [0.5, 0.25, 0.12, 0.08, 0.07, 0.1, 0.25, 0.5, 0.8, 0.9, 1, 1.1, 1.3, 1.1, 0.9, 0.9, 1, 1.1, 1.3, 1.6, 1.9, 2, 1.6, 1],
    weekdays: [1, 1, 1, 1, 1.05, 1.15, 1.1],
  },
  wholesale: {
    hours: [0, 0, 0, 0, 0, 0, 0, 0, 0.3, 1.5, 2, 1.8, 0.6, 1.2, 1.9, 1.9, 1.5, 0.5, 0.1, 0, 0, 0, 0, 0],
    weekdays: [1.15, 1.15, 1.15, 1.15, 1.1, 0.4, 0],
  },
}
/** Stores keep about two weeks of their sales, distribution centres three weeks of what they sell and send. */
const STOCK_POLICY: Record<'store' | 'dc', SimStockPolicy> = { store: { safetyDays: 5, cycleDays: 12 }, dc: { safetyDays: 7, cycleDays: 20 } }
/** Suppliers deliver in 1½–4 days; distribution centres deliver to stores overnight. */
const SUPPLIER_LEAD_HOURS: [number, number] = [36, 96]
const TRANSFER_HOURS: [number, number] = [10, 30]
/** Goods are received 06:00–20:00 every day; suppliers and credit customers pay in office hours. */
const RECEIVING: WorkWindow = { from: 6, to: 20 }
const OFFICE: WorkWindow = { from: 9, to: 18, days: [0, 1, 2, 3, 4] }
/** Share of store replenishments sent from the distribution centre (the rest is delivered by the supplier). */
const TRANSFER_SHARE = 0.5

/** The same seed builds the same chain. */
export function retailScenario(seed = 42, opts: ScenarioOptions = {}): Scenario {
  const skuCount = opts.skuCount ?? 300
  const linesPerMinute = ((opts.rate ?? RETAIL_TYPICAL_RATE) / MOVEMENTS_PER_SALE) * 60
  const r = createRandom(seed ^ 0x5eed)
  const suppliers: Partner[] = SUPPLIER_NAMES.map((name, i) => ({
    code: `SUP-${String(i + 1).padStart(3, '0')}`,
    name,
    kind: 'supplier',
    paymentTermsDays: SUPPLIER_TERMS_DAYS[i % SUPPLIER_TERMS_DAYS.length]!,
  }))
  const customers: Partner[] = Array.from({ length: 200 }, (_, i) => ({
    code: `MEM-${String(i + 1).padStart(4, '0')}`,
    name: `${r.pick(SURNAMES)}${r.pick(['先生', '女士'])} (会员${i + 1})`,
    kind: 'customer',
  }))
  customers.push({ code: 'WALK-IN', name: '散客', kind: 'customer' })
  const warehouses: SimWarehouse[] = WAREHOUSES.map((w) => ({ ...w, traffic: w.kind === 'dc' ? 0.05 : r.between(0.6, 1.4) }))
  const stores = warehouses.filter((w) => w.kind === 'store').map((w) => w.code)
  const dcs = warehouses.filter((w) => w.kind === 'dc').map((w) => w.code)
  const channels: SimChannel[] = [
    // POS: shipped at the till, cash recorded for 60 % of lines, 40 % anonymous walk-in customers
    {
      code: 'pos',
      name: '门店收银',
      nameEn: 'In-store POS',
      weight: 0.74,
      promiseMinutes: 0,
      warehouses: stores,
      qty: [1, 3],
      immediate: true,
      payment: 'shipment',
      paidShare: 0.6,
      walkInShare: 0.4,
    },
    // online orders are paid at once and picked at a distribution centre; a few are cancelled
    { code: 'online', name: '线上商城', nameEn: 'Online store', weight: 0.22, promiseMinutes: 45, warehouses: dcs, qty: [1, 4], payment: 'prepaid', cancelRate: 0.02 },
    // wholesale on credit, large lines sometimes shipped in two parts
    { code: 'wholesale', name: '批发', nameEn: 'Wholesale', weight: 0.04, promiseMinutes: 240, warehouses: dcs, qty: [5, 30], payment: 'credit', split: [1, 2], cancelRate: 0.01 },
  ]
  // units per sales line that a warehouse ships, for a SKU of popularity share 1
  const perLine = unitsPerSalesLine(channels, warehouses)
  const unitsPerLine = (w: SimWarehouse) => perLine.get(w.code) ?? 0
  const storeUnits = stores.reduce((t, code) => t + (perLine.get(code) ?? 0), 0)
  // a store may be delivered by the supplier (the longer lead time), so it plans for that
  const storeLeadDays = (SUPPLIER_LEAD_HOURS[0] + SUPPLIER_LEAD_HOURS[1]) / 2 / 24
  // prices first: shoppers put far more water and noodles in the basket than kettles, so an
  // item's popularity falls with its price and a till line comes to tens of yuan
  const prices = Array.from({ length: skuCount }, (_, i) => {
    const [lo, hi] = CATEGORIES[i % CATEGORIES.length]!.price
    return round2(r.between(lo, hi))
  })
  const popularities = prices.map((price) => (r.exponential(1) + 0.05) * (BASKET_PRICE / price) ** POPULARITY_BY_PRICE)
  const popularityTotal = popularities.reduce((a, b) => a + b, 0)
  const skus: SimSku[] = []
  for (let i = 0; i < skuCount; i++) {
    const cat = CATEGORIES[i % CATEGORIES.length]!
    const item = cat.items[Math.floor(i / CATEGORIES.length) % cat.items.length]!
    const variant = Math.floor(i / (CATEGORIES.length * cat.items.length))
    const price = prices[i]!
    const popularity = popularities[i]!
    // safety stock: the days of sales a store of average traffic keeps as safety; reorder point:
    // that plus its sales over the replenishment lead time
    const storeDaily = ((linesPerMinute * (popularity / popularityTotal) * storeUnits) / stores.length) * 1440
    const safetyStock = Math.max(5, Math.round(storeDaily * STOCK_POLICY.store.safetyDays))
    skus.push({
      code: `SKU-${String(i + 1).padStart(4, '0')}`,
      name: variant === 0 ? item : `${item} (${['经典', '家庭装', '限定', '升级'][variant % 4]})`,
      category: cat.code,
      unit: cat.code === 'appliance' ? '台' : '件',
      price,
      cost: round2(price * r.between(0.6, 0.8)),
      popularity,
      supplier: suppliers[(i * 7) % suppliers.length]!.code,
      safetyStock,
      reorderPoint: Math.max(8, safetyStock + Math.ceil(storeDaily * storeLeadDays)),
    })
  }
  return {
    name: 'retail',
    demandProfiles: DEMAND,
    stockPolicy: (w) => STOCK_POLICY[w.kind === 'store' ? 'store' : 'dc'],
    transferShare: TRANSFER_SHARE,
    supplierLeadHours: SUPPLIER_LEAD_HOURS,
    transferHours: TRANSFER_HOURS,
    receiving: RECEIVING,
    office: OFFICE,
    skus,
    warehouses,
    suppliers,
    customers,
    demandPerMinute: (sku, w) => linesPerMinute * (sku.popularity / popularityTotal) * unitsPerLine(w),
    stocks: () => true,
    movementsPerSale: MOVEMENTS_PER_SALE,
    categories: CATEGORIES.map(({ code, name, nameEn }) => ({ code, name, nameEn })),
    regions: regionsOf(warehouses),
    channels,
  }
}
