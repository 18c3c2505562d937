/**
 * A manufacturer of motors, pumps, gearboxes and valves: raw materials bought into a raw-material
 * warehouse, issued to the line (车间线边仓) for production runs, finished goods received from the
 * workshop into the plant's finished-goods warehouse and sent to three regional warehouses;
 * customer orders from projects and distributors, large ones shipped in parts, on credit or paid
 * in advance. Item codes are engineering codes (model-size-variant), as manufacturers use them.
 *
 * How production appears as movements (the cockpit has no production type; an ERP connector
 * maps it like this): a production order is a `purchase_order` from the workshop with channel
 * `production` (so the production backlog and on-time rate show as the workshop's), material
 * issue is a `transfer` raw-material → line-side warehouse, the finished goods are a
 * `purchase_receipt` from the workshop at standard cost, and the materials the run consumed are
 * backflushed by the `stocktake` of the line-side warehouse that the ERP posts at completion.
 */
import type { Category, Partner } from '../../protocol/master.ts'
import type { DemandProfile, WorkWindow } from '../profile.ts'
import { createRandom } from '../random.ts'
import { regionsOf, SUPPLIER_TERMS_DAYS, unitsPerSalesLine } from '../scenario.ts'
import type { Scenario, SimChannel, SimSku, SimStockPolicy, SimWarehouse } from '../scenario.ts'
import type { ScenarioOptions } from './retail.ts'

const FAMILIES: { category: string; name: string; nameEn: string; unit: string; models: { code: string; name: string }[]; variants: string[]; materials: string[] }[] = [
  {
    category: 'motor',
    name: '电机',
    nameEn: 'Motors',
    unit: '台',
    models: [
      { code: 'MTR-Y2-0750-4P', name: 'Y2 三相异步电机 0.75kW 4极' },
      { code: 'MTR-Y2-2200-4P', name: 'Y2 三相异步电机 2.2kW 4极' },
      { code: 'MTR-Y2-5500-2P', name: 'Y2 三相异步电机 5.5kW 2极' },
      { code: 'MTR-YE3-11K-4P', name: 'YE3 高效电机 11kW 4极' },
      { code: 'MTR-SV-0400-220', name: '伺服电机 400W 220V' },
    ],
    variants: ['B3', 'B5', 'B35'],
    materials: ['RM-CU-EW-1.20', 'RM-SI-50W470', 'RM-BRG-6205-2RS', 'RM-CI-HT250-FRM', 'RM-PNT-RAL7035'],
  },
  {
    category: 'pump',
    name: '水泵',
    nameEn: 'Pumps',
    unit: '台',
    models: [
      { code: 'PMP-CDL-04-10', name: 'CDL 立式多级泵 4m³/h' },
      { code: 'PMP-CDL-08-06', name: 'CDL 立式多级泵 8m³/h' },
      { code: 'PMP-ISG-050-160', name: 'ISG 管道离心泵 DN50' },
      { code: 'PMP-QDX-1.5-17', name: 'QDX 潜水泵 1.5m³/h' },
    ],
    variants: ['SS304', 'CI'],
    materials: ['RM-SS304-SHT-2.0', 'RM-CI-HT250-VOL', 'RM-SEAL-MECH-22', 'RM-BRG-6205-2RS', 'RM-CU-EW-1.20'],
  },
  {
    category: 'reducer',
    name: '减速机',
    nameEn: 'Gear reducers',
    unit: '台',
    models: [
      { code: 'RDC-WPA-080-30', name: 'WPA 蜗轮减速机 80 速比30' },
      { code: 'RDC-WPA-120-40', name: 'WPA 蜗轮减速机 120 速比40' },
      { code: 'RDC-R37-DRN80', name: 'R37 斜齿轮减速机' },
      { code: 'RDC-NMRV-050-20', name: 'NMRV 铝壳蜗轮减速机 050' },
    ],
    variants: ['L', 'R'],
    materials: ['RM-AL-ADC12', 'RM-STL-45-D40', 'RM-CUSN-WHL-080', 'RM-BRG-30205', 'RM-OIL-VG320'],
  },
  {
    category: 'valve',
    name: '阀门',
    nameEn: 'Valves',
    unit: '件',
    models: [
      { code: 'VLV-Q41F-16C-DN50', name: 'Q41F 球阀 PN16 DN50' },
      { code: 'VLV-D71X-16-DN100', name: 'D71X 对夹蝶阀 DN100' },
      { code: 'VLV-J41H-25-DN40', name: 'J41H 截止阀 PN25 DN40' },
    ],
    variants: ['WCB', 'CF8'],
    materials: ['RM-WCB-CAST-DN50', 'RM-SS304-BAR-D30', 'RM-PTFE-SEAT-50', 'RM-BOLT-M12X50', 'RM-PNT-RAL7035'],
  },
  {
    category: 'control',
    name: '控制柜',
    nameEn: 'Control cabinets',
    unit: '台',
    models: [
      { code: 'CTL-VFD-2.2K-380', name: '变频控制柜 2.2kW 380V' },
      { code: 'CTL-VFD-11K-380', name: '变频控制柜 11kW 380V' },
      { code: 'CTL-PLC-S7-IO32', name: 'PLC 控制箱 32点' },
    ],
    variants: ['IP54', 'IP65'],
    materials: ['RM-PCB-CTL-V3', 'RM-SPCC-SHT-1.5', 'RM-CU-CBL-2.5', 'RM-BOLT-M8X25', 'RM-PNT-RAL7035'],
  },
]

/** Categories of the raw materials. */
const MATERIAL_CATEGORIES: Category[] = [
  { code: 'rm-metal', name: '金属材料', nameEn: 'Metals' },
  { code: 'rm-bearing', name: '轴承', nameEn: 'Bearings' },
  { code: 'rm-casting', name: '铸件', nameEn: 'Castings' },
  { code: 'rm-seal', name: '密封件', nameEn: 'Seals' },
  { code: 'rm-electronic', name: '电子电气料', nameEn: 'Electrical parts' },
  { code: 'rm-fastener', name: '紧固件', nameEn: 'Fasteners' },
  { code: 'rm-consumable', name: '辅料', nameEn: 'Consumables' },
]

const MATERIALS: Record<string, { name: string; unit: string; cost: [number, number]; category: string }> = {
  'RM-CU-EW-1.20': { name: '漆包铜线 Φ1.20mm', unit: 'kg', cost: [68, 75], category: 'rm-metal' },
  'RM-SI-50W470': { name: '冷轧硅钢片 50W470', unit: 'kg', cost: [6.5, 7.8], category: 'rm-metal' },
  'RM-BRG-6205-2RS': { name: '深沟球轴承 6205-2RS', unit: '件', cost: [8, 12], category: 'rm-bearing' },
  'RM-BRG-30205': { name: '圆锥滚子轴承 30205', unit: '件', cost: [14, 19], category: 'rm-bearing' },
  'RM-CI-HT250-FRM': { name: '灰铸铁机座 HT250', unit: '件', cost: [45, 60], category: 'rm-casting' },
  'RM-CI-HT250-VOL': { name: '灰铸铁泵壳 HT250', unit: '件', cost: [38, 52], category: 'rm-casting' },
  'RM-WCB-CAST-DN50': { name: 'WCB 阀体铸件 DN50', unit: '件', cost: [55, 70], category: 'rm-casting' },
  'RM-AL-ADC12': { name: '压铸铝锭 ADC12', unit: 'kg', cost: [18, 21], category: 'rm-metal' },
  'RM-STL-45-D40': { name: '45#圆钢 Φ40', unit: 'kg', cost: [4.6, 5.4], category: 'rm-metal' },
  'RM-SS304-SHT-2.0': { name: '304不锈钢板 2.0mm', unit: 'kg', cost: [15, 17.5], category: 'rm-metal' },
  'RM-SS304-BAR-D30': { name: '304不锈钢棒 Φ30', unit: 'kg', cost: [16, 19], category: 'rm-metal' },
  'RM-SPCC-SHT-1.5': { name: 'SPCC 冷轧板 1.5mm', unit: 'kg', cost: [4.8, 5.6], category: 'rm-metal' },
  'RM-CUSN-WHL-080': { name: '锡青铜蜗轮坯 80', unit: '件', cost: [60, 78], category: 'rm-casting' },
  'RM-SEAL-MECH-22': { name: '机械密封 22mm', unit: '件', cost: [25, 35], category: 'rm-seal' },
  'RM-PTFE-SEAT-50': { name: 'PTFE 阀座 DN50', unit: '件', cost: [6, 9], category: 'rm-seal' },
  'RM-PCB-CTL-V3': { name: '控制板 PCBA V3', unit: '件', cost: [180, 230], category: 'rm-electronic' },
  'RM-CU-CBL-2.5': { name: '铜芯电缆 2.5mm²', unit: 'm', cost: [2.8, 3.4], category: 'rm-electronic' },
  'RM-BOLT-M8X25': { name: '外六角螺栓 M8×25 8.8级', unit: '件', cost: [0.18, 0.25], category: 'rm-fastener' },
  'RM-BOLT-M12X50': { name: '外六角螺栓 M12×50 8.8级', unit: '件', cost: [0.6, 0.8], category: 'rm-fastener' },
  'RM-OIL-VG320': { name: '齿轮油 VG320', unit: 'L', cost: [22, 28], category: 'rm-consumable' },
  'RM-PNT-RAL7035': { name: '工业漆 RAL7035', unit: 'kg', cost: [30, 36], category: 'rm-consumable' },
}

const WAREHOUSES: Omit<SimWarehouse, 'traffic'>[] = [
  { code: 'RM-SZ', name: '深圳工厂原料仓', nameEn: 'Shenzhen plant raw materials', region: '华南', kind: 'dc' },
  { code: 'WIP-SZ', name: '深圳工厂车间线边仓', nameEn: 'Shenzhen plant line-side', region: '华南', kind: 'wip' },
  { code: 'FG-SZ', name: '深圳工厂成品仓', nameEn: 'Shenzhen plant finished goods', region: '华南', kind: 'dc' },
  { code: 'FG-SH', name: '上海成品分仓', nameEn: 'Shanghai finished goods', region: '华东', kind: 'store' },
  { code: 'FG-BJ', name: '北京成品分仓', nameEn: 'Beijing finished goods', region: '华北', kind: 'store' },
  { code: 'FG-CD', name: '成都成品分仓', nameEn: 'Chengdu finished goods', region: '西南', kind: 'store' },
]
const TRAFFIC: Record<string, number> = { 'FG-SZ': 1, 'FG-SH': 0.8, 'FG-BJ': 0.6, 'FG-CD': 0.4 }

const SUPPLIERS = [
  '江西铜业',
  '宝钢股份',
  '人本轴承',
  '瓦房店轴承',
  '佛山铸造',
  '中铝集团',
  '太钢不锈',
  '博格曼密封',
  '立讯精密',
  '远东电缆',
  '晋亿紧固件',
  '长城润滑油',
  '立邦工业涂料',
]
const CUSTOMER_PREFIX = ['华东', '华南', '华北', '西南', '中原', '东北', '江苏', '浙江', '山东', '四川']
const CUSTOMER_KIND = ['机电设备', '水务工程', '暖通空调', '自动化', '环保科技', '建设安装', '流体设备', '动力机械']

const round2 = (x: number) => Math.round(x * 100) / 100

/** Movements per sales line (order, partial shipments, payments, production, transfers, purchases…). */
export const MANUFACTURING_MOVEMENTS_PER_SALE = 3.55

/**
 * Movements per second (week's average) at which the manufacturer has believable figures: about
 * 500 customer order lines of ~¥8,500 and ¥4 million of revenue on a weekday (mock-feeds/README.md).
 */
export const MANUFACTURING_TYPICAL_RATE = 0.015

/**
 * When customers order (business time): business customers in office hours on weekdays (a dip at
 * lunch), a little on Saturday, almost nothing on Sunday or at night; distributors order into the
 * evening through their portal; spare parts are ordered in office hours.
 */
const OFFICE_WEEK = [1.2, 1.2, 1.2, 1.2, 1.1, 0.35, 0.1]
const DEMAND: Record<string, DemandProfile> = {
  direct: { hours: [0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.05, 0.1, 0.4, 1.6, 2.2, 2, 0.6, 1.1, 2, 2.1, 1.8, 0.8, 0.25, 0.1, 0.05, 0.03, 0.02, 0.02], weekdays: OFFICE_WEEK },
  distributor: { hours: [0.05, 0.03, 0.02, 0.02, 0.02, 0.03, 0.1, 0.3, 0.8, 1.5, 1.8, 1.7, 0.9, 1.2, 1.7, 1.8, 1.6, 1, 0.6, 0.5, 0.4, 0.3, 0.15, 0.08], weekdays: OFFICE_WEEK },
  spare: { hours: [0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.05, 0.2, 0.8, 1.6, 1.9, 1.7, 0.7, 1.2, 1.8, 1.8, 1.5, 0.7, 0.2, 0.1, 0.05, 0.03, 0.02, 0.02], weekdays: OFFICE_WEEK },
}
/**
 * Raw materials: about ten days of consumption; finished goods at the plant: a week of what it
 * ships and sends; regional warehouses: about ten days of their sales.
 */
const STOCK_POLICY: Record<'materials' | 'plant' | 'regional', SimStockPolicy> = {
  materials: { safetyDays: 5, cycleDays: 10 },
  plant: { safetyDays: 3, cycleDays: 7 },
  regional: { safetyDays: 4, cycleDays: 7 },
}
/** Material suppliers deliver in 3–7 days, a production run takes 16–40 hours, trucks reach the regional warehouses in 1–3 days. */
const SUPPLIER_LEAD_HOURS: [number, number] = [72, 168]
const PRODUCTION_LEAD_HOURS: [number, number] = [16, 40]
const TRANSFER_HOURS: [number, number] = [24, 72]
/** The line runs two shifts (08:00–24:00) Monday to Saturday; goods are received 08:00–18:00 on those days; payments in office hours. */
const SHIFTS: WorkWindow = { from: 8, to: 24, days: [0, 1, 2, 3, 4, 5] }
const RECEIVING: WorkWindow = { from: 8, to: 18, days: [0, 1, 2, 3, 4, 5] }
const OFFICE: WorkWindow = { from: 9, to: 17.5, days: [0, 1, 2, 3, 4] }

/** The same seed builds the same manufacturer. */
export function manufacturingScenario(seed = 42, opts: ScenarioOptions = {}): Scenario {
  const r = createRandom(seed ^ 0x3a7f)
  const linesPerMinute = ((opts.rate ?? MANUFACTURING_TYPICAL_RATE) / MANUFACTURING_MOVEMENTS_PER_SALE) * 60
  const suppliers: Partner[] = SUPPLIERS.map((name, i) => ({
    code: `SUP-${String(i + 1).padStart(3, '0')}`,
    name,
    kind: 'supplier',
    paymentTermsDays: SUPPLIER_TERMS_DAYS[i % SUPPLIER_TERMS_DAYS.length]!,
  }))
  const workshop: Partner = { code: 'WS-SZ-01', name: '深圳工厂总装车间', kind: 'internal' }
  const customers: Partner[] = Array.from({ length: 80 }, (_, i) => ({
    code: `CUS-${String(i + 1).padStart(4, '0')}`,
    name: `${r.pick(CUSTOMER_PREFIX)}${r.pick(CUSTOMER_KIND)}有限公司 ${i + 1}`,
    kind: 'customer',
    paymentTermsDays: 30,
  }))
  const warehouses: SimWarehouse[] = WAREHOUSES.map((w) => ({ ...w, traffic: TRAFFIC[w.code] ?? 0 }))
  const fg = ['FG-SZ', 'FG-SH', 'FG-BJ', 'FG-CD']
  const channels: SimChannel[] = [
    // projects and OEMs: large lines, shipped in up to three parts, on credit
    {
      code: 'direct',
      name: '项目直销',
      nameEn: 'Direct & projects',
      weight: 0.4,
      promiseMinutes: 180,
      warehouses: fg,
      qty: [2, 20],
      payment: 'credit',
      split: [1, 3],
      returnRate: 0.005,
      cancelRate: 0.01,
    },
    // distributors pay in advance; their orders are sometimes split in two
    {
      code: 'distributor',
      name: '经销商',
      nameEn: 'Distributors',
      weight: 0.45,
      promiseMinutes: 120,
      warehouses: fg,
      qty: [4, 30],
      payment: 'prepaid',
      split: [1, 2],
      returnRate: 0.01,
      cancelRate: 0.02,
    },
    // spare parts and small orders from the plant, paid at shipment
    { code: 'spare', name: '备件零售', nameEn: 'Spare parts', weight: 0.15, promiseMinutes: 60, warehouses: ['FG-SZ'], qty: [1, 3], payment: 'shipment', returnRate: 0.02 },
  ]

  const materialSkus = new Map<string, SimSku>()
  Object.entries(MATERIALS).forEach(([code, m], i) => {
    materialSkus.set(code, {
      code,
      name: m.name,
      category: m.category,
      unit: m.unit,
      price: 0,
      cost: round2(r.between(m.cost[0], m.cost[1])),
      popularity: 0,
      supplier: suppliers[i % suppliers.length]!.code,
      safetyStock: 0,
      reorderPoint: 0,
    })
  })

  const skus: SimSku[] = []
  const boms = new Map<string, { sku: SimSku; per: number }[]>()
  for (const family of FAMILIES) {
    for (const model of family.models) {
      for (const variant of family.variants) {
        const bom = family.materials.map((code) => {
          const m = materialSkus.get(code)!
          // heavier use of cheap bulk materials (kg, m, bolts), one or two of the expensive parts
          const per = m.cost < 1 ? r.int(4, 16) : m.cost < 20 ? r.int(2, 12) : r.int(1, 2)
          return { sku: m, per }
        })
        const cost = round2(bom.reduce((t, b) => t + b.per * b.sku.cost, 0) * r.between(1.25, 1.45))
        const sku: SimSku = {
          code: `${model.code}-${variant}`,
          name: `${model.name} ${variant}`,
          category: family.category,
          unit: family.unit,
          price: round2(cost * r.between(1.3, 1.6)),
          cost,
          popularity: r.exponential(1) + 0.1,
          supplier: workshop.code,
          safetyStock: 0,
          reorderPoint: 0,
        }
        skus.push(sku)
        boms.set(sku.code, bom)
      }
    }
  }
  const popularityTotal = skus.reduce((t, s) => t + s.popularity, 0)
  const perLine = unitsPerSalesLine(channels, warehouses)
  const storeUnits = fg.filter((c) => c !== 'FG-SZ').reduce((t, c) => t + perLine.get(c)!, 0)
  /** units per minute a finished good leaves a warehouse; the plant also feeds the regional warehouses */
  const fgDemand = (s: SimSku, w: string) => {
    const units = w === 'FG-SZ' ? perLine.get('FG-SZ')! + storeUnits : (perLine.get(w) ?? 0)
    return linesPerMinute * (s.popularity / popularityTotal) * units
  }
  /** units per minute a finished good is sold from a warehouse (the simulator adds the plant's transfers to the regions) */
  const salesDemand = (s: SimSku, w: string) => linesPerMinute * (s.popularity / popularityTotal) * (perLine.get(w) ?? 0)
  const materialDemand = new Map<string, number>()
  for (const s of skus) {
    for (const b of boms.get(s.code)!) materialDemand.set(b.sku.code, (materialDemand.get(b.sku.code) ?? 0) + b.per * fgDemand(s, 'FG-SZ'))
  }
  const days = ([lo, hi]: [number, number]) => (lo + hi) / 2 / 24
  for (const s of skus) {
    // safety stock and reorder point: days of what a regional warehouse ships
    const regional = fgDemand(s, 'FG-SH') * 1440
    s.safetyStock = Math.max(2, Math.round(regional * STOCK_POLICY.regional.safetyDays))
    s.reorderPoint = Math.max(4, s.safetyStock + Math.ceil(regional * days(TRANSFER_HOURS)))
  }
  for (const m of materialSkus.values()) {
    const d = (materialDemand.get(m.code) ?? 0) * 1440
    m.safetyStock = Math.max(10, Math.round(d * STOCK_POLICY.materials.safetyDays))
    m.reorderPoint = Math.max(20, m.safetyStock + Math.ceil(d * days(SUPPLIER_LEAD_HOURS)))
  }

  return {
    name: 'manufacturing',
    demandProfiles: DEMAND,
    stockPolicy: (w) => STOCK_POLICY[w.code === 'RM-SZ' ? 'materials' : w.kind === 'dc' ? 'plant' : 'regional'],
    supplierLeadHours: SUPPLIER_LEAD_HOURS,
    transferHours: TRANSFER_HOURS,
    receiving: RECEIVING,
    office: OFFICE,
    skus: [...skus, ...materialSkus.values()],
    warehouses,
    suppliers: [...suppliers, workshop],
    customers,
    channels,
    // production orders are booked as purchase orders from the workshop with this channel
    otherChannels: [{ code: 'production', name: '生产', nameEn: 'Production' }],
    categories: [...FAMILIES.map((f) => ({ code: f.category, name: f.name, nameEn: f.nameEn })), ...MATERIAL_CATEGORIES],
    regions: regionsOf(warehouses),
    transferShare: 1,
    // materials come in two to four lots a day or so apart; incoming inspection rejects part of
    // about one lot in ten
    deliveries: [2, 4],
    purchaseReturnRate: 0.1,
    movementsPerSale: MANUFACTURING_MOVEMENTS_PER_SALE,
    stocks: (s, w) => (s.popularity > 0 ? fg.includes(w.code) : w.code === 'RM-SZ'),
    demandPerMinute: (s, w) => (s.popularity > 0 ? salesDemand(s, w.code) : w.code === 'RM-SZ' ? (materialDemand.get(s.code) ?? 0) : 0),
    production: {
      workshop: workshop.code,
      plant: 'FG-SZ',
      materials: 'RM-SZ',
      wip: 'WIP-SZ',
      bom: (s) => boms.get(s.code) ?? [],
      leadHours: PRODUCTION_LEAD_HOURS,
      shifts: SHIFTS,
    },
  }
}
