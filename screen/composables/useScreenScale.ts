import { computed, onMounted, onScopeDispose, shallowRef, toValue, watch } from 'vue'
import type { ComputedRef, MaybeRefOrGetter, Ref, ShallowRef } from 'vue'
import { computeScale } from './scale.ts'
import type { CanvasTransform, ScaleMode, Size } from './scale.ts'
import { effectivePixelRatio } from '../../widgets/common/pixelRatio.ts'

export interface UseScreenScaleReturn {
  transform: ShallowRef<CanvasTransform>
  /** devicePixelRatio × scale: what charts on the canvas render at */
  pixelRatio: ComputedRef<number>
}

/**
 * Scales a design canvas to a viewport (the element when given: its client box excludes a
 * vertical scrollbar in fitWidth mode; else the window), recomputed at most once per frame on
 * resize, on a devicePixelRatio change (browser zoom, moving to another display) and when the
 * design or mode change.
 */
export function useScreenScale(design: MaybeRefOrGetter<Size>, mode: MaybeRefOrGetter<ScaleMode> = 'fit', viewport?: Ref<HTMLElement | undefined>): UseScreenScaleReturn {
  const measure = () => {
    const el = viewport?.value
    const size = el && el.clientWidth > 0 ? { width: el.clientWidth, height: el.clientHeight } : { width: window.innerWidth, height: window.innerHeight }
    return computeScale(size, toValue(design), toValue(mode))
  }
  const transform = shallowRef(measure())
  const dpr = shallowRef(window.devicePixelRatio || 1)
  let frame = 0
  const update = () => {
    if (frame) return
    frame = requestAnimationFrame(() => {
      frame = 0
      const next = measure()
      const t = transform.value
      if (next.scaleX !== t.scaleX || next.scaleY !== t.scaleY || next.left !== t.left || next.top !== t.top) transform.value = next
      dpr.value = window.devicePixelRatio || 1
    })
  }
  window.addEventListener('resize', update)
  let observer: ResizeObserver | undefined
  onMounted(() => {
    if (!viewport?.value) return
    observer = new ResizeObserver(update)
    observer.observe(viewport.value)
  })
  watch(() => [toValue(design).width, toValue(design).height, toValue(mode)], update)
  onScopeDispose(() => {
    window.removeEventListener('resize', update)
    observer?.disconnect()
    if (frame) cancelAnimationFrame(frame)
  })
  const pixelRatio = computed(() => effectivePixelRatio(dpr.value, transform.value.scaleX, transform.value.scaleY))
  return { transform, pixelRatio }
}
