/**
 * Retail-chain template (design §1): POS sales, store receipts, fast turnover, low-stock alerts.
 * A screen is data (protocol/screen.ts), so templates are stored, edited and exchanged like any screen.
 */
import type { ScreenDefinition } from '../../protocol/screen.ts'

export const retailTemplate: ScreenDefinition = {
  id: 'retail',
  kind: 'retail',
  title: '进销存运营驾驶舱',
  design: { width: 1920, height: 1080 },
  theme: 'dark',
  fit: 'fit',
  dwellSeconds: 30,
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
