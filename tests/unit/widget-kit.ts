/**
 * Helpers of the widget component tests: results shaped like the server's, and a stand-in for
 * ECharts that records the options a widget passes (happy-dom has no canvas to draw on).
 * The test file mocks widgets/common/charts/echarts.ts with `echartsStandIn`.
 */
import { mount } from '@vue/test-utils'
import type { Component } from 'vue'
import { METRICS } from '../../protocol/metrics.ts'
import type { AgeBucketFigures, MovementRow, Query, QueryResult } from '../../protocol/query.ts'
import type { Locale } from '../../widgets/define-widget.ts'
import type { WidgetManifest } from '../../widgets/define-widget.ts'

export class FakeChart {
  readonly options: Record<string, unknown>[] = []
  readonly handlers = new Map<string, (params: unknown) => void>()
  disposed = false
  constructor(readonly renderer: string) {}
  setOption(option: Record<string, unknown>) {
    this.options.push(option)
  }
  on(event: string, handler: (params: unknown) => void) {
    if (this.handlers.has(event)) throw new Error(`${event} handler bound twice`)
    this.handlers.set(event, handler)
  }
  resize() {}
  dispose() {
    this.disposed = true
  }
  /** the last option set */

  get option(): any {
    return this.options.at(-1)
  }
}

export const charts: FakeChart[] = []

export const echartsStandIn = {
  init: (_el: HTMLElement, _theme: unknown, opts: { renderer: string }) => {
    const c = new FakeChart(opts.renderer)
    charts.push(c)
    return c
  },
}

export function result(r: Partial<QueryResult> & Pick<QueryResult, 'metric' | 'unit'>): QueryResult {
  return { currency: 'CNY', total: 0, asOf: '2026-11-25T13:37:00+08:00', ...r }
}

/** hourly series of today with these values from 00:00 */
export function hours(values: (number | null)[]) {
  return values.map((value, h) => ({ start: `2026-11-25T${String(h).padStart(2, '0')}:00:00+08:00`, value }))
}

export function mountWidget(
  component: Component,
  manifest: WidgetManifest,
  data: Record<string, QueryResult | undefined>,
  props: { options?: Record<string, unknown>; width?: number; height?: number; locale?: Locale; theme?: 'dark' | 'light' } = {},
) {
  return mount(component, {
    props: {
      data,
      options: { ...(manifest.defaults as Record<string, unknown>), ...props.options },
      width: props.width ?? 600,
      height: props.height ?? 360,
      locale: props.locale ?? 'zh-CN',
      theme: props.theme ?? 'dark',
    },
    attachTo: document.body,
  })
}

/**
 * Names and codes that run script wherever a widget or the screen puts data into HTML unescaped
 * (each bumps `window.__xss` in a browser). Master-data names are free text; codes stand in for
 * missing names, and codes stored before ingest refused `<>` may hold anything.
 */
export const XSS = {
  img: '<img src=x onerror="window.__xss=(window.__xss||0)+1">',
  script: '<script>window.__xss=(window.__xss||0)+1</script>',
  svg: '"><svg onload="window.__xss=(window.__xss||0)+1">',
} as const
export const XSS_PAYLOADS: readonly string[] = Object.values(XSS)
/** the age buckets of `stock.ageing`, youngest first */
const AGE_KEYS: AgeBucketFigures['key'][] = ['0-30', '31-60', '61-90', '91-180', '181+']

/**
 * A result for any query a widget derives, every name and code in it hostile: groups keyed by
 * the query's own filter members (else by a payload code, shown as the name) and named with
 * payloads, alert rows and movements with payload codes and names, a series when one is asked.
 */
export function hostileResult(q: Query): QueryResult {
  const unit = METRICS[q.metric].unit
  const r: QueryResult = result({ metric: q.metric, unit, total: 1234, ...(q.compare ? { previous: { from: '', to: '', total: 1000 } } : {}) })
  if (q.interval && !q.groupBy) r.series = hours([100, 200, 150])
  if (q.groupBy === 'route') {
    r.groupBy = 'route'
    r.groups = [
      { key: `${XSS.img}→W2`, total: 30 },
      { key: 'W1→W3', label: `${XSS.script}→${XSS.svg}`, labelEn: `${XSS.svg}→${XSS.img}`, total: 20 },
    ]
  } else if (q.groupBy) {
    const filtered = q.filter?.[q.groupBy]
    const keys = filtered === undefined ? [XSS.img, 'K2', 'K3'] : [filtered].flat()
    r.groupBy = q.groupBy
    r.groups = keys.map((key, i) => ({
      key,
      // the first member has no name: its code is what the widget shows
      ...(i === 0 ? {} : { label: XSS_PAYLOADS[i % 3]!, labelEn: XSS_PAYLOADS[(i + 1) % 3]! }),
      total: 300 - i * 50,
      ...(q.interval ? { series: hours([1, 2, 3]) } : {}),
    }))
  }
  if (q.metric === 'stock.belowSafety') {
    r.rows = [
      { sku: XSS.img, warehouse: XSS.svg, category: XSS.script, qty: 1, safetyStock: 10, coverage: 0.1 },
      {
        sku: 'S2',
        skuName: XSS.script,
        skuNameEn: XSS.svg,
        warehouse: 'W2',
        warehouseName: XSS.img,
        warehouseNameEn: XSS.script,
        category: 'C',
        categoryName: XSS.svg,
        categoryNameEn: XSS.img,
        qty: 2,
        safetyStock: 10,
        coverage: 0.2,
      },
    ]
    r.total = r.rows.length
  }
  if (q.metric === 'stock.reorder') {
    const figures = { onHand: 1, openPurchase: 2, openSales: 6, projected: -3, reorderPoint: 10, suggestedQty: 13 }
    r.reorder = [
      { sku: XSS.img, warehouse: XSS.svg, category: XSS.script, ...figures },
      {
        sku: 'S2',
        skuName: XSS.script,
        skuNameEn: XSS.svg,
        warehouse: 'W2',
        warehouseName: XSS.img,
        warehouseNameEn: XSS.script,
        category: 'C',
        categoryName: XSS.svg,
        categoryNameEn: XSS.img,
        ...figures,
        projected: 4,
        suggestedQty: 6,
      },
    ]
    r.total = r.reorder.length
  }
  if (q.metric === 'stock.ageing') {
    const buckets = (scale: number) => AGE_KEYS.map((key, j) => ({ key, qty: scale * (j + 1), value: scale * 10 * (j + 1) }))
    const keys = [q.filter?.[q.groupBy ?? 'warehouse']].flat().filter((k): k is string => k !== undefined)
    const members = keys.length ? keys : [XSS.img, 'K2', 'K3']
    r.ageing = {
      date: '2026-11-25',
      qty: 45,
      value: 450,
      buckets: buckets(3),
      averageAge: 48.5,
      oldestAge: 400,
      groups: members.map((key, i) => ({
        key,
        ...(i === 0 ? {} : { label: XSS_PAYLOADS[i % 3]!, labelEn: XSS_PAYLOADS[(i + 1) % 3]! }),
        qty: 15,
        value: 150,
        buckets: buckets(1),
        averageAge: 40,
        oldestAge: 200,
      })),
    }
    r.total = 450
  }
  if (q.metric === 'stock.slowMoving') {
    r.days = q.days ?? 90
    r.slowMoving = [
      { sku: XSS.img, warehouse: XSS.svg, category: XSS.script, qty: 4, value: 400, lastOutbound: null, idleDays: 300, oldestAge: 300 },
      {
        sku: 'S2',
        skuName: XSS.script,
        skuNameEn: XSS.svg,
        warehouse: 'W2',
        warehouseName: XSS.img,
        warehouseNameEn: XSS.script,
        category: 'C',
        categoryName: XSS.svg,
        categoryNameEn: XSS.img,
        qty: 2,
        value: 20,
        lastOutbound: '2026-06-01',
        idleDays: 177,
        oldestAge: 240,
      },
    ]
    r.total = r.slowMoving.length
  }
  if (q.metric === 'movements.recent') {
    const at = '2026-11-25T13:30:00+08:00'
    const hostile = (id: string, type: MovementRow['type']): MovementRow => ({
      id,
      type,
      occurredAt: at,
      sku: XSS.img,
      skuName: XSS.script,
      skuNameEn: XSS.svg,
      warehouse: XSS.svg,
      warehouseName: XSS.img,
      toWarehouse: XSS.script,
      partner: XSS.img,
      partnerName: XSS.svg,
      channel: XSS.script,
      ref: XSS.img,
      qty: 3,
      amount: 30,
    })
    r.movements = [
      hostile('m1', 'sales_shipment'),
      hostile('m2', 'transfer'),
      hostile('m3', 'payment_in'),
      { ...hostile('m4', 'sales_order'), skuName: undefined, partnerName: undefined },
    ]
  }
  return r
}
