import { onScopeDispose, shallowRef } from 'vue'
import type { ShallowRef } from 'vue'
import { computeScale } from './scale.ts'
import type { CanvasTransform, ScaleMode, Size } from './scale.ts'

export interface UseScreenScaleReturn {
  transform: ShallowRef<CanvasTransform>
}

/** Scales a design canvas to the window, recomputed (once per frame at most) on resize. */
export function useScreenScale(design: Size, mode: ScaleMode = 'fit'): UseScreenScaleReturn {
  const measure = () => computeScale({ width: window.innerWidth, height: window.innerHeight }, design, mode)
  const transform = shallowRef(measure())
  let frame = 0
  const onResize = () => {
    if (frame) return
    frame = requestAnimationFrame(() => {
      frame = 0
      transform.value = measure()
    })
  }
  window.addEventListener('resize', onResize)
  onScopeDispose(() => {
    window.removeEventListener('resize', onResize)
    if (frame) cancelAnimationFrame(frame)
  })
  return { transform }
}
