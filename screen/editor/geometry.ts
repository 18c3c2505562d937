/**
 * The wall's canvas geometry (screen/views/Wall.vue): a title bar, then the widget grid inside a
 * padding, cells separated by a gap. The editor draws the same geometry so what is placed is what
 * the wall shows.
 */
import type { ScreenDefinition } from '../../protocol/screen.ts'

export const HEADER = 96
export const PAD = 24
export const GAP = 16

export interface CanvasGeometry {
  /** one grid cell, design pixels */
  cellWidth: number
  cellHeight: number
  /** the grid's box inside the canvas (grid-layout-plus puts a margin before the first cell) */
  left: number
  top: number
  width: number
}

export function canvasGeometry(screen: Pick<ScreenDefinition, 'design' | 'grid'>): CanvasGeometry {
  const { width, height } = screen.design
  const { columns, rows } = screen.grid
  return {
    cellWidth: (width - 2 * PAD - (columns - 1) * GAP) / columns,
    cellHeight: (height - HEADER - PAD - (rows - 1) * GAP) / rows,
    left: PAD - GAP,
    top: HEADER - GAP,
    width: width - 2 * (PAD - GAP),
  }
}

/** Pixel box of a widget on the canvas, exactly as the wall places it. */
export function widgetBox(g: CanvasGeometry, w: { x: number; y: number; w: number; h: number }) {
  return {
    left: PAD + w.x * (g.cellWidth + GAP),
    top: HEADER + w.y * (g.cellHeight + GAP),
    width: w.w * g.cellWidth + (w.w - 1) * GAP,
    height: w.h * g.cellHeight + (w.h - 1) * GAP,
  }
}
