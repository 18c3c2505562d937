/** Where each widget of a screen sits on its design canvas (pure, in design pixels). */
import type { ScreenDefinition, WidgetInstance } from '../../protocol/screen.ts'

/** Title bar height, outer padding and gap between cells, in design px at 1080 p. */
const HEADER = 96
const PAD = 24
const GAP = 16

export interface WidgetBox {
  instance: WidgetInstance
  left: number
  top: number
  width: number
  height: number
}

/**
 * Cells divide the canvas below the title bar evenly. Chrome (title bar, padding, gaps) grows
 * with the canvas height relative to 1080 p, so a 3840×2160 design keeps the same proportions.
 */
export function gridBoxes(screen: Pick<ScreenDefinition, 'design' | 'grid' | 'widgets'>): WidgetBox[] {
  const unit = screen.design.height / 1080
  const header = HEADER * unit
  const pad = PAD * unit
  const gap = GAP * unit
  const { columns, rows } = screen.grid
  const cellW = (screen.design.width - 2 * pad - (columns - 1) * gap) / columns
  const cellH = (screen.design.height - header - pad - (rows - 1) * gap) / rows
  return screen.widgets.map((w) => ({
    instance: w,
    left: pad + w.x * (cellW + gap),
    top: header + w.y * (cellH + gap),
    width: w.w * cellW + (w.w - 1) * gap,
    height: w.h * cellH + (w.h - 1) * gap,
  }))
}
