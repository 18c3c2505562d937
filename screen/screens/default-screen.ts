/**
 * The default wall: a screen is data (design size, theme, grid of widgets with options), so
 * later screens can be stored, edited and exchanged without touching code.
 */
import type { WidgetId } from '../../widgets/manifests.ts'

export interface WidgetInstance {
  /** unique within the screen */
  id: string
  widget: WidgetId
  options: Record<string, unknown>
  /** grid cell of the top-left corner and size in cells */
  x: number
  y: number
  w: number
  h: number
}

export interface ScreenDefinition {
  id: string
  title: string
  design: { width: number; height: number }
  theme: 'dark'
  grid: { columns: number; rows: number }
  widgets: WidgetInstance[]
}

export const defaultScreen: ScreenDefinition = {
  id: 'default',
  title: '进销存运营驾驶舱',
  design: { width: 1920, height: 1080 },
  theme: 'dark',
  grid: { columns: 12, rows: 12 },
  widgets: [
    { id: 'revenue', widget: 'kpi-card', options: { metric: 'sales.revenue', window: 'today', compare: true, title: '今日销售收入' }, x: 0, y: 0, w: 3, h: 2 },
    { id: 'profit', widget: 'kpi-card', options: { metric: 'sales.grossProfit', window: 'today', compare: true, title: '今日毛利' }, x: 3, y: 0, w: 3, h: 2 },
    { id: 'receipts', widget: 'kpi-card', options: { metric: 'purchase.receiptAmount', window: 'today', compare: true, title: '今日采购入库' }, x: 6, y: 0, w: 3, h: 2 },
    { id: 'cash', widget: 'kpi-card', options: { metric: 'cash.net', window: 'today', compare: true, title: '今日净现金流' }, x: 9, y: 0, w: 3, h: 2 },
    {
      id: 'sales-vs-purchases',
      widget: 'trend-line',
      options: { metrics: ['sales.revenue', 'purchase.receiptAmount'], window: 'today', interval: 'hour', area: true, title: '今日销售与采购（按小时）' },
      x: 0,
      y: 2,
      w: 8,
      h: 5,
    },
    { id: 'top-skus', widget: 'ranking-bar', options: { metric: 'sales.revenue', groupBy: 'sku', top: 10, window: 'today', title: '今日商品销售额 TOP 10' }, x: 8, y: 2, w: 4, h: 10 },
    { id: 'cash-flow', widget: 'trend-line', options: { metrics: ['cash.in', 'cash.out'], window: 'today', interval: 'hour', area: false, title: '今日收付款（按小时）' }, x: 0, y: 7, w: 4, h: 5 },
    { id: 'alerts', widget: 'stock-alerts', options: { limit: 50, scrollSeconds: 40, title: '库存预警（低于安全库存）' }, x: 4, y: 7, w: 4, h: 5 },
  ],
}
