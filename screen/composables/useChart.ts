import { onMounted, onScopeDispose, shallowRef, watch } from 'vue'
import type { Ref, ShallowRef } from 'vue'
import { init } from '../charts/echarts.ts'
import type { EChartsType } from '../charts/echarts.ts'

export interface UseChartOptions {
  /** SVG suits many small charts (less memory, crisp text); canvas suits many points @default "canvas" */
  renderer?: 'canvas' | 'svg'
  /** chart event handlers (e.g. `click`), bound once when the chart is created */
  on?: Record<string, (params: unknown) => void>
}

export interface UseChartReturn {
  chart: ShallowRef<EChartsType | undefined>
}

/**
 * An ECharts instance on an element: rendered at the device pixel ratio, resized with the
 * element (once per frame at most), options applied when they change, disposed with the scope.
 */
export function useChart(el: Ref<HTMLElement | undefined>, option: () => Record<string, unknown>, options: UseChartOptions = {}): UseChartReturn {
  const chart = shallowRef<EChartsType>()
  let observer: ResizeObserver | undefined
  let frame = 0
  onMounted(() => {
    if (!el.value) return
    chart.value = init(el.value, undefined, { renderer: options.renderer ?? 'canvas', devicePixelRatio: window.devicePixelRatio })
    for (const [event, handler] of Object.entries(options.on ?? {})) chart.value.on(event, handler)
    chart.value.setOption(option(), { notMerge: true })
    observer = new ResizeObserver(() => {
      if (frame) return
      frame = requestAnimationFrame(() => {
        frame = 0
        chart.value?.resize()
      })
    })
    observer.observe(el.value)
  })
  // data updates merge into the existing chart; series lists are replaced, not appended to
  watch(option, (next) => chart.value?.setOption(next, { lazyUpdate: true, replaceMerge: ['series'] }))
  onScopeDispose(() => {
    observer?.disconnect()
    if (frame) cancelAnimationFrame(frame)
    chart.value?.dispose()
    chart.value = undefined
  })
  return { chart }
}
