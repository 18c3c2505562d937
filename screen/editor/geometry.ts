/**
 * The wall's canvas geometry (screen/views/Wall.vue): a title bar, then the widget grid inside a
 * padding, cells separated by a gap; the chrome grows with the design height relative to 1080 p.
 * The editor draws the same geometry so what is placed is what the wall shows.
 */
import type { ScreenDefinition } from '../../protocol/screen.ts'

/** Title bar, padding and gap in design px at 1080 p. */
export const HEADER = 96
export const PAD = 24
export const GAP = 16

export interface CanvasGeometry {
  /** one grid cell, design pixels */
  cellWidth: number
  cellHeight: number
  header: number
  pad: number
  gap: number
  /** the grid's box inside the canvas (grid-layout-plus puts a margin before the first cell) */
  left: number
  top: number
  width: number
}

export function canvasGeometry(screen: Pick<ScreenDefinition, 'design' | 'grid'>): CanvasGeometry {
  const { width, height } = screen.design
  const { columns, rows } = screen.grid
  const unit = height / 1080
  const [header, pad, gap] = [HEADER * unit, PAD * unit, GAP * unit]
  return {
    cellWidth: (width - 2 * pad - (columns - 1) * gap) / columns,
    cellHeight: (height - header - pad - (rows - 1) * gap) / rows,
    header,
    pad,
    gap,
    left: pad - gap,
    top: header - gap,
    width: width - 2 * (pad - gap),
  }
}

/** Pixel box of a widget on the canvas, exactly as the wall places it. */
export function widgetBox(g: CanvasGeometry, w: { x: number; y: number; w: number; h: number }) {
  return {
    left: g.pad + w.x * (g.cellWidth + g.gap),
    top: g.header + w.y * (g.cellHeight + g.gap),
    width: w.w * g.cellWidth + (w.w - 1) * g.gap,
    height: w.h * g.cellHeight + (w.h - 1) * g.gap,
  }
}
