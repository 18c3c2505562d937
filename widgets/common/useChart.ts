import { onMounted, onScopeDispose, shallowRef, watch } from 'vue'
import type { Ref, ShallowRef } from 'vue'
import { init } from './charts/echarts.ts'
import type { EChartsType } from './charts/echarts.ts'
import { usePixelRatio } from './pixelRatio.ts'

type ChartEventHandler = (params: unknown) => void

export interface UseChartOptions {
  /**
   * chart events (`click`, `mouseover`…) bound once per chart instance; kept across the
   * re-creation a pixel-ratio change needs, so widgets bind here rather than on `chart.value`
   */
  on?: Record<string, ChartEventHandler>
  /** @default "canvas" (prefer "svg" for many small charts) */
  renderer?: 'canvas' | 'svg'
}

export interface UseChartReturn {
  chart: ShallowRef<EChartsType | undefined>
}

/** Wait this long after the last pixel-ratio change before re-creating the chart (window drags). */
const RATIO_SETTLE_MS = 250

/**
 * An ECharts instance on an element: rendered at the pixel ratio of the surrounding canvas
 * (devicePixelRatio × the wall's scale, so charts are sharp on a 4K TV), resized with the
 * element, options applied at most once per animation frame however many updates arrive in it,
 * disposed with the scope together with its observer, frame and timer.
 */
export function useChart(el: Ref<HTMLElement | undefined>, option: () => Record<string, unknown>, options: UseChartOptions = {}): UseChartReturn {
  const chart = shallowRef<EChartsType>()
  const pixelRatio = usePixelRatio()
  let observer: ResizeObserver | undefined
  let resizeFrame = 0
  let optionFrame = 0
  let ratioTimer: ReturnType<typeof setTimeout> | undefined
  let disposed = false

  function create(): void {
    if (!el.value || disposed) return
    const first = !chart.value
    chart.value?.dispose()
    const c = init(el.value, undefined, { renderer: options.renderer ?? 'canvas', devicePixelRatio: pixelRatio.value })
    for (const [name, handler] of Object.entries(options.on ?? {})) c.on(name, handler)
    const current = option()
    if (first) c.setOption(current, { notMerge: true })
    else {
      // a re-creation is not new data: draw at once, then restore the widget's animation setting
      c.setOption({ ...current, animation: false }, { notMerge: true })
      c.setOption({ animation: current.animation === false ? false : true })
    }
    chart.value = c
  }

  onMounted(() => {
    create()
    if (!el.value) return
    observer = new ResizeObserver(() => {
      if (resizeFrame) return
      resizeFrame = requestAnimationFrame(() => {
        resizeFrame = 0
        chart.value?.resize()
      })
    })
    observer.observe(el.value)
  })

  // data updates merge into the existing chart (series lists replaced, not appended to), once per
  // frame: a burst of pushes in one frame costs one setOption with the latest figures
  watch(option, () => {
    if (optionFrame || !chart.value) return
    optionFrame = requestAnimationFrame(() => {
      optionFrame = 0
      chart.value?.setOption(option(), { replaceMerge: ['series'] })
    })
  })
  watch(pixelRatio, () => {
    if (ratioTimer !== undefined) clearTimeout(ratioTimer)
    ratioTimer = setTimeout(() => {
      ratioTimer = undefined
      if (chart.value && chart.value.getDevicePixelRatio() !== pixelRatio.value) create()
    }, RATIO_SETTLE_MS)
  })

  onScopeDispose(() => {
    disposed = true
    observer?.disconnect()
    if (resizeFrame) cancelAnimationFrame(resizeFrame)
    if (optionFrame) cancelAnimationFrame(optionFrame)
    if (ratioTimer !== undefined) clearTimeout(ratioTimer)
    chart.value?.dispose()
    chart.value = undefined
  })
  return { chart }
}
