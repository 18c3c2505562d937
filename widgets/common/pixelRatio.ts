/**
 * The pixel ratio charts should render at. A wall draws its design canvas (say 1920×1080 CSS px)
 * and scales it with a CSS transform to the display; a canvas drawn at devicePixelRatio alone
 * would then be upscaled and blurred on a 4K TV. The wall provides devicePixelRatio × its scale,
 * so one design pixel gets as many backing pixels as it covers on the display.
 */
import { inject, provide, ref } from 'vue'
import type { InjectionKey, Ref } from 'vue'

export const PIXEL_RATIO: InjectionKey<Readonly<Ref<number>>> = Symbol('cockpit.pixelRatio')

/** Pixel ratio of the surrounding canvas, or the window's when nothing scales it. */
export function usePixelRatio(): Readonly<Ref<number>> {
  return inject(PIXEL_RATIO, () => ref(globalThis.devicePixelRatio || 1), true)
}

export function providePixelRatio(ratio: Readonly<Ref<number>>): void {
  provide(PIXEL_RATIO, ratio)
}

/**
 * devicePixelRatio × the larger of the two scales (fill stretches unevenly; the finer axis
 * decides), rounded to 1/100 so resizes by a pixel do not re-create every chart. Capped: a
 * canvas beyond ~16k px on a side fails to allocate in Chromium.
 */
export function effectivePixelRatio(devicePixelRatio: number, scaleX: number, scaleY: number): number {
  const ratio = (devicePixelRatio || 1) * Math.max(scaleX, scaleY)
  return Math.min(8, Math.max(0.25, Math.round(ratio * 100) / 100))
}
