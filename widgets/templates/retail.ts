/**
 * Retail-chain template (design §1): POS sales across channels, store receipts, fast turnover,
 * frequent transfers between the distribution centres and the stores, real-time low-stock alerts.
 * A screen is data (protocol/screen.ts), so templates are stored, edited and exchanged like any screen.
 */
import type { ScreenDefinition } from '../../protocol/screen.ts'

export const retailTemplate: ScreenDefinition = {
  id: 'retail',
  kind: 'retail',
  title: '零售连锁运营驾驶舱',
  titles: { en: 'Retail chain operations cockpit' },
  design: { width: 1920, height: 1080 },
  theme: 'dark',
  fit: 'fit',
  dwellSeconds: 30,
  grid: { columns: 12, rows: 12 },
  widgets: [
    { id: 'revenue', widget: 'kpi-card', options: { metric: 'sales.revenue', window: 'today', compare: true, sparkline: true, title: '今日销售收入' }, titles: { en: 'Revenue today' }, x: 0, y: 0, w: 2, h: 2 },
    { id: 'profit', widget: 'kpi-card', options: { metric: 'sales.grossProfit', window: 'today', compare: true, title: '今日毛利' }, titles: { en: 'Gross profit' }, x: 2, y: 0, w: 2, h: 2 },
    { id: 'margin', widget: 'kpi-card', options: { metric: 'sales.grossMargin', window: 'today', compare: true, title: '今日毛利率' }, titles: { en: 'Gross margin' }, x: 4, y: 0, w: 2, h: 2 },
    { id: 'receipts', widget: 'kpi-card', options: { metric: 'purchase.receiptAmount', window: 'today', compare: true, title: '今日门店到货' }, titles: { en: 'Store receipts' }, x: 6, y: 0, w: 2, h: 2 },
    { id: 'days-on-hand', widget: 'kpi-card', options: { metric: 'stock.daysOnHand', window: 'P7D', compare: false, title: '库存周转天数' }, titles: { en: 'Days on hand' }, x: 8, y: 0, w: 2, h: 2 },
    { id: 'cash', widget: 'kpi-card', options: { metric: 'cash.net', window: 'today', compare: true, title: '今日净现金流' }, titles: { en: 'Net cash today' }, x: 10, y: 0, w: 2, h: 2 },
    {
      id: 'sales-vs-purchases',
      widget: 'trend-line',
      options: { metrics: ['sales.revenue', 'purchase.receiptAmount'], window: 'today', interval: 'hour', area: true, title: '今日销售与到货（按小时）' },
      titles: { en: 'Sales and receipts today (hourly)' },
      x: 0,
      y: 2,
      w: 5,
      h: 5,
    },
    { id: 'channels', widget: 'share-donut', options: { metric: 'sales.revenue', groupBy: 'channel', top: 6, window: 'today', title: '今日销售渠道占比' }, titles: { en: 'Sales by channel today' }, x: 5, y: 2, w: 4, h: 5 },
    { id: 'alerts', widget: 'stock-alerts', optionsVersion: 2, options: { limit: 60, scrollSeconds: 45, title: '门店缺货预警（低于安全库存）' }, titles: { en: 'Store shortages (below safety stock)' }, x: 9, y: 2, w: 3, h: 10 },
    { id: 'top-skus', widget: 'ranking-bar', options: { metric: 'sales.revenue', groupBy: 'sku', top: 8, window: 'today', title: '今日畅销商品 TOP 8' }, titles: { en: 'Top 8 products today' }, x: 0, y: 7, w: 3, h: 5 },
    { id: 'transfers', widget: 'transfer-flow', options: { window: 'today', top: 15, title: '今日调拨流向（件）' }, titles: { en: 'Transfers today (units)' }, x: 3, y: 7, w: 3, h: 5 },
    { id: 'category-margin', widget: 'margin-by-category', options: { groupBy: 'category', window: 'today', top: 8, title: '今日品类毛利率' }, titles: { en: 'Gross margin by category today' }, x: 6, y: 7, w: 3, h: 5 },
  ],
}
