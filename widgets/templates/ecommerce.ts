/**
 * E-commerce template (design §1): orders from many platforms, courier shipping, supplier-direct
 * and platform receipts, virtual stock kept in sync. What hurts is many platforms and order
 * tracking: so orders by platform, shipped vs ordered, on-time shipment, the live activity feed,
 * money in and out through the day and items about to sell out.
 */
import type { ScreenDefinition } from '../../protocol/screen.ts'

export const ecommerceTemplate: ScreenDefinition = {
  id: 'ecommerce',
  kind: 'ecommerce',
  title: '电商订单履约驾驶舱',
  titles: { en: 'E-commerce fulfilment cockpit' },
  design: { width: 1920, height: 1080 },
  theme: 'dark',
  fit: 'fit',
  dwellSeconds: 30,
  grid: { columns: 12, rows: 12 },
  widgets: [
    { id: 'orders', widget: 'kpi-card', options: { metric: 'sales.orderAmount', window: 'today', compare: true, sparkline: true, title: '今日下单金额' }, titles: { en: 'Order value' }, x: 0, y: 0, w: 2, h: 2 },
    { id: 'order-lines', widget: 'kpi-card', options: { metric: 'sales.orders', window: 'today', compare: true, title: '今日订单行数' }, titles: { en: 'Order lines' }, x: 2, y: 0, w: 2, h: 2 },
    { id: 'shipped', widget: 'kpi-card', options: { metric: 'sales.revenue', window: 'today', compare: true, title: '今日发货收入' }, titles: { en: 'Shipped revenue' }, x: 4, y: 0, w: 2, h: 2 },
    { id: 'backlog', widget: 'kpi-card', options: { metric: 'sales.backlogQty', window: 'today', compare: false, title: '待发货件数' }, titles: { en: 'Units to ship' }, x: 6, y: 0, w: 2, h: 2 },
    { id: 'returns', widget: 'kpi-card', options: { metric: 'sales.returns', window: 'today', compare: true, title: '今日退货金额' }, titles: { en: 'Returns today' }, x: 8, y: 0, w: 2, h: 2 },
    { id: 'cash-in', widget: 'kpi-card', options: { metric: 'cash.in', window: 'today', compare: true, title: '今日收款' }, titles: { en: 'Cash in today' }, x: 10, y: 0, w: 2, h: 2 },
    {
      id: 'ordered-vs-shipped',
      widget: 'trend-line',
      options: { metrics: ['sales.orderAmount', 'sales.revenue'], window: 'today', interval: 'hour', area: true, title: '今日下单与发货（按小时）' },
      titles: { en: 'Orders and shipments today (hourly)' },
      x: 0,
      y: 2,
      w: 4,
      h: 5,
    },
    { id: 'platforms', widget: 'share-donut', options: { metric: 'sales.orderAmount', groupBy: 'channel', top: 6, window: 'today', title: '今日各平台下单占比' }, titles: { en: 'Orders by platform today' }, x: 4, y: 2, w: 3, h: 5 },
    {
      id: 'on-time',
      widget: 'gauge',
      options: { metric: 'fulfilment.onTimeRate', window: 'today', min: 0, max: 1, warn: 0.9, good: 0.97, higherIsBetter: true, compare: true, title: '今日发货及时率' },
      titles: { en: 'On-time shipping' },
      x: 7,
      y: 2,
      w: 2,
      h: 5,
    },
    { id: 'activity', widget: 'movement-ticker', optionsVersion: 2, options: { types: ['sales_order', 'sales_shipment', 'sales_return', 'payment_in', 'purchase_receipt', 'cancel'], limit: 30, title: '实时动态' }, titles: { en: 'Live activity' }, x: 9, y: 2, w: 3, h: 10 },
    { id: 'cash-flow', widget: 'cash-flow', options: { window: 'today', interval: 'hour', title: '今日收付款（按小时）' }, titles: { en: 'Cash in and out today (hourly)' }, x: 0, y: 7, w: 4, h: 5 },
    { id: 'top-skus', widget: 'ranking-bar', options: { metric: 'sales.qty', groupBy: 'sku', top: 8, window: 'today', title: '今日热销商品（件）' }, titles: { en: 'Best sellers today (units)' }, x: 4, y: 7, w: 3, h: 5 },
    { id: 'sell-out', widget: 'stock-alerts', optionsVersion: 2, options: { limit: 40, scrollSeconds: 40, title: '即将售罄' }, titles: { en: 'Selling out' }, x: 7, y: 7, w: 2, h: 5 },
  ],
}
