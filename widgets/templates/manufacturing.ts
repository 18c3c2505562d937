/**
 * Manufacturing template (design §1): raw-material purchasing and production receipts, customer
 * orders shipped in parts, many warehouses. What hurts is production against stock: so the
 * purchase pipeline and supplier punctuality, ordered vs shipped units, backlogs, key materials
 * across warehouses and how long stock sits.
 */
import type { ScreenDefinition } from '../../protocol/screen.ts'

export const manufacturingTemplate: ScreenDefinition = {
  id: 'manufacturing',
  kind: 'manufacturing',
  title: '制造业供应链驾驶舱',
  titles: { en: 'Manufacturing supply chain cockpit' },
  design: { width: 1920, height: 1080 },
  theme: 'dark',
  fit: 'fit',
  dwellSeconds: 30,
  grid: { columns: 12, rows: 12 },
  widgets: [
    { id: 'po-amount', widget: 'kpi-card', options: { metric: 'purchase.orderAmount', window: 'today', compare: true, title: '原料采购下单' }, titles: { en: 'Material orders' }, x: 0, y: 0, w: 2, h: 2 },
    { id: 'receipts', widget: 'kpi-card', options: { metric: 'purchase.receiptAmount', window: 'today', compare: true, title: '今日入库金额' }, titles: { en: 'Receipts today' }, x: 2, y: 0, w: 2, h: 2 },
    { id: 'so-amount', widget: 'kpi-card', options: { metric: 'sales.orderAmount', window: 'today', compare: true, title: '今日客户订单额' }, titles: { en: 'Customer orders' }, x: 4, y: 0, w: 2, h: 2 },
    { id: 'sales-backlog', widget: 'kpi-card', options: { metric: 'sales.backlogQty', window: 'today', compare: false, title: '待发货数量' }, titles: { en: 'Units to ship' }, x: 6, y: 0, w: 2, h: 2 },
    { id: 'purchase-backlog', widget: 'kpi-card', options: { metric: 'purchase.backlogQty', window: 'today', compare: false, title: '采购在途数量' }, titles: { en: 'Units on order' }, x: 8, y: 0, w: 2, h: 2 },
    { id: 'stock-value', widget: 'kpi-card', options: { metric: 'stock.value', window: 'today', compare: false, title: '当前库存金额' }, titles: { en: 'Stock value' }, x: 10, y: 0, w: 2, h: 2 },
    {
      id: 'ordered-vs-shipped',
      widget: 'trend-line',
      options: { metrics: ['sales.orderQty', 'sales.qty', 'purchase.receiptQty'], window: 'today', interval: 'hour', area: false, title: '今日订货、发货与入库（件/小时）' },
      titles: { en: 'Ordered, shipped and received today (units/hour)' },
      x: 0,
      y: 2,
      w: 5,
      h: 5,
    },
    { id: 'pipeline', widget: 'purchase-pipeline', options: { window: 'today', title: '今日采购进度' }, titles: { en: 'Purchasing progress today' }, x: 5, y: 2, w: 3, h: 5 },
    {
      id: 'on-time-shipments',
      widget: 'gauge',
      options: { metric: 'fulfilment.onTimeRate', window: 'today', min: 0, max: 1, warn: 0.85, good: 0.95, higherIsBetter: true, compare: true, title: '订单发货及时率' },
      titles: { en: 'On-time shipping' },
      x: 8,
      y: 2,
      w: 2,
      h: 5,
    },
    {
      id: 'supplier-on-time',
      widget: 'gauge',
      options: { metric: 'supplier.onTimeRate', window: 'P7D', min: 0, max: 1, warn: 0.8, good: 0.92, higherIsBetter: true, compare: true, title: '供应商准时率' },
      titles: { en: 'Supplier on-time' },
      x: 10,
      y: 2,
      w: 2,
      h: 5,
    },
    {
      id: 'finished-goods',
      widget: 'stock-heatmap',
      optionsVersion: 2,
      options: { metric: 'stock.value', rows: 'category', members: ['motor', 'pump', 'reducer', 'valve', 'control'], warehouses: ['FG-SZ', 'FG-SH', 'FG-BJ', 'FG-CD'], scale: 'all', title: '成品库存分布（品类 × 仓库，金额）' },
      titles: { en: 'Finished goods by category × warehouse (value)' },
      x: 0,
      y: 7,
      w: 5,
      h: 5,
    },
    { id: 'suppliers', widget: 'supplier-scorecard', options: { window: 'P30D', top: 8, onTimeTarget: 0.9, returnLimit: 0.03, title: '供应商评分卡（近30天）' }, titles: { en: 'Supplier scorecard (last 30 days)' }, x: 5, y: 7, w: 4, h: 5 },
    { id: 'turnover', widget: 'stock-turnover', options: { window: 'P30D', trend: 'stock.daysOnHand', title: '库存周转（近30天）' }, titles: { en: 'Stock turnover (last 30 days)' }, x: 9, y: 7, w: 3, h: 5 },
  ],
}
