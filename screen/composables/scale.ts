/** Pure maths of fitting a fixed design canvas into a viewport. */

export type ScaleMode = 'fit' | 'fill' | 'fitWidth'

export interface Size {
  width: number
  height: number
}

export interface CanvasTransform {
  scaleX: number
  scaleY: number
  /** offset of the canvas inside the viewport (letterbox margins), in viewport pixels */
  left: number
  top: number
}

/**
 * fit: uniform scale, the whole canvas visible, centred with letterbox bars;
 * fill: stretch to the viewport; fitWidth: uniform scale to the width (vertical scroll).
 */
export function computeScale(viewport: Size, design: Size, mode: ScaleMode = 'fit'): CanvasTransform {
  const sx = viewport.width / design.width
  const sy = viewport.height / design.height
  if (mode === 'fill') return { scaleX: sx, scaleY: sy, left: 0, top: 0 }
  if (mode === 'fitWidth') return { scaleX: sx, scaleY: sx, left: 0, top: 0 }
  const s = Math.min(sx, sy)
  return { scaleX: s, scaleY: s, left: (viewport.width - design.width * s) / 2, top: (viewport.height - design.height * s) / 2 }
}
