/**
 * What a simulated business is made of (mock-feeds/README.md): its items, warehouses, partners and sales
 * channels, and how it replenishes. The simulator (simulator.ts) turns one into a consistent
 * stream of movements; scenarios/{retail,manufacturing,ecommerce}.ts build the three kinds.
 */
import type { Category, Channel, Partner, Region, Sku, Warehouse } from '../protocol/master.ts'
import type { DemandProfile, WorkWindow } from './profile.ts'

/** Payment terms (账期) suppliers give, in days, taken in turn (0: paid on delivery): a receipt is due that many days after it (master data `paymentTermsDays`). */
export const SUPPLIER_TERMS_DAYS = [30, 0, 60, 15] as const

export interface SimSku extends Sku {
  /** list price, 2 decimals (0 for raw materials: never sold) */
  price: number
  /** purchase (or standard production) cost, 2 decimals */
  cost: number
  /** relative sales frequency; 0 = not sold (raw materials) */
  popularity: number
  supplier: string
  safetyStock: number
  reorderPoint: number
}

/**
 * How a warehouse is stocked:
 * - `dc` buys from suppliers (or, with `production`, makes its goods) and feeds stores by transfer;
 * - `store` is fed by transfers from its region's `dc` (or buys itself);
 * - `virtual` holds no stock: supplier direct (一件代发), each sale is received and shipped at once;
 * - `wip` is line-side stock of production (车间线边仓): materials issued to it are consumed there.
 */
export type SimWarehouseKind = 'dc' | 'store' | 'virtual' | 'wip'

export interface SimWarehouse extends Warehouse {
  kind: SimWarehouseKind
  /** share of its channels' sales it makes */
  traffic: number
}

/** A sales channel: its master-data names (`name` zh-CN, `nameEn`) and how it sells. */
export interface SimChannel extends Channel {
  weight: number
  /** minutes from order to promised (last) shipment */
  promiseMinutes: number
  /** warehouses it sells from (picked by traffic) */
  warehouses: string[]
  /** units per order line, before the simulator's `unitsPerLine` */
  qty: [min: number, max: number]
  /** shipped within seconds of the order (POS) @default false */
  immediate?: boolean
  /** when the customer pays: with the (last) shipment, right after ordering, or on credit */
  payment: 'shipment' | 'prepaid' | 'credit'
  /** share of lines whose payment the ERP records @default 1 */
  paidShare?: number
  /** share of lines sold to the anonymous walk-in customer @default 0 */
  walkInShare?: number
  /** shipments an order line is split into (partial shipments) @default [1, 1] */
  split?: [min: number, max: number]
  /** share of shipped lines returned by the customer @default 0.015 */
  returnRate?: number
  /** share of orders cancelled before shipment (the order, and a prepayment, are reversed) @default 0 */
  cancelRate?: number
}

/** Finished goods made in-house from raw materials (manufacturing). */
export interface SimProduction {
  /** the workshop: partner of production orders and receipts */
  workshop: string
  /** warehouse finished goods are received into */
  plant: string
  /** raw-material warehouse materials are issued from */
  materials: string
  /** line-side warehouse (kind `wip`) materials are issued to */
  wip: string
  /** bill of materials: units of each material per unit of a finished good */
  bom(sku: SimSku): { sku: SimSku; per: number }[]
  /** hours from release to the promised completion */
  leadHours: [min: number, max: number]
  /** when the line runs (materials issued, runs completed) */
  shifts: WorkWindow
}

/** How much stock a warehouse keeps, in days of its average demand (sales, transfers out, issues). */
export interface SimStockPolicy {
  /** safety stock: more is ordered when stock on hand and on order would fall below it plus the demand over the lead time */
  safetyDays: number
  /** days of demand one replenishment brings (order cycle) */
  cycleDays: number
}

export interface Scenario {
  name: string
  skus: SimSku[]
  warehouses: SimWarehouse[]
  suppliers: Partner[]
  customers: Partner[]
  channels: SimChannel[]
  /** channels of movements other than sales (production orders, supplier-direct receipts), with their names */
  otherChannels?: Channel[]
  /** names of the categories of its SKUs (master data `categories`) */
  categories: Category[]
  /** names of the regions of its warehouses (master data `regions`) */
  regions: Region[]
  /**
   * units per minute a SKU is sold from a warehouse (or, for raw materials, issued to production)
   * at the sized rate, averaged over a week; the simulator adds the transfers a distribution
   * centre sends to its stores
   */
  demandPerMinute(sku: SimSku, warehouse: SimWarehouse): number
  /** whether a warehouse keeps this SKU (opening stock, replenishment, stocktakes) */
  stocks(sku: SimSku, warehouse: SimWarehouse): boolean
  /** share of store replenishments sent as transfers from the dc when it has stock @default 0.15 */
  transferShare?: number
  /** share of purchase receipts (delivered lots) partly sent back to the supplier @default 0.03 */
  purchaseReturnRate?: number
  /** lots a purchase order is delivered in, a day or so apart (分批到货) @default [1, 1] */
  deliveries?: [min: number, max: number]
  production?: SimProduction
  /** movements per sales line on average (orders, shipments, payments, replenishment…): sets the pace */
  movementsPerSale: number
  /**
   * when each channel's customers order, in business time, by channel code (every channel has
   * one): the hours of the day and days of the week (profile.ts)
   */
  demandProfiles: Record<string, DemandProfile>
  /** stock kept by a distribution centre or store, in days of its demand */
  stockPolicy(warehouse: SimWarehouse): SimStockPolicy
  /** hours from a purchase order to the promised delivery */
  supplierLeadHours: [min: number, max: number]
  /** hours a transfer from a distribution centre to a store is on the way */
  transferHours: [min: number, max: number]
  /** when goods are received: purchase receipts and transfers arrive inside these hours */
  receiving: WorkWindow
  /** when supplier payments and payments of customers on credit are made */
  office: WorkWindow
}

/** Regions the scenarios' warehouses are in, with their names. */
export const REGIONS: readonly Region[] = [
  { code: '华东', name: '华东', nameEn: 'East China' },
  { code: '华南', name: '华南', nameEn: 'South China' },
  { code: '华北', name: '华北', nameEn: 'North China' },
  { code: '西南', name: '西南', nameEn: 'Southwest China' },
]

/** The named regions these warehouses are in. */
export function regionsOf(warehouses: readonly Warehouse[]): Region[] {
  return REGIONS.filter((r) => warehouses.some((w) => w.region === r.code))
}

/**
 * Units each warehouse ships per sales line of the whole business (for a SKU of popularity share
 * 1): Σ over the channels that sell from it of weight × mean line qty × its share of the
 * channel's traffic. Scenarios size stock levels from it.
 */
export function unitsPerSalesLine(channels: readonly SimChannel[], warehouses: readonly SimWarehouse[]): Map<string, number> {
  const byCode = new Map(warehouses.map((w) => [w.code, w]))
  const out = new Map<string, number>(warehouses.map((w) => [w.code, 0]))
  const weights = channels.reduce((t, c) => t + c.weight, 0)
  for (const c of channels) {
    const traffic = c.warehouses.reduce((t, code) => t + byCode.get(code)!.traffic, 0)
    const meanQty = (c.qty[0] + c.qty[1]) / 2
    for (const code of c.warehouses) out.set(code, out.get(code)! + ((c.weight / weights) * meanQty * byCode.get(code)!.traffic) / traffic)
  }
  return out
}
