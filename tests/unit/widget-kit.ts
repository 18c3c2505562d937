/**
 * Helpers of the widget component tests: results shaped like the server's, and a stand-in for
 * ECharts that records the options a widget passes (happy-dom has no canvas to draw on).
 * The test file mocks screen/charts/echarts.ts with `echartsStandIn`.
 */
import { mount } from '@vue/test-utils'
import type { Component } from 'vue'
import type { QueryResult } from '../../protocol/query.ts'
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
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
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
