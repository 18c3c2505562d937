/**
 * Where a new widget goes on a screen's grid (the first free area in reading order) and the
 * other small layout rules of the editor, as plain functions.
 */
import type { ScreenDefinition, WidgetInstance } from '../../protocol/screen.ts'

/** Size a new widget starts with, in grid cells of a 12-column screen. */
export const DEFAULT_SIZES: Record<string, { w: number; h: number }> = {
  'kpi-card': { w: 3, h: 2 },
  'trend-line': { w: 6, h: 4 },
  'ranking-bar': { w: 4, h: 6 },
  'stock-alerts': { w: 4, h: 5 },
  'share-donut': { w: 4, h: 5 },
  gauge: { w: 3, h: 3 },
  'stock-heatmap': { w: 6, h: 5 },
  'cash-flow': { w: 6, h: 4 },
  'purchase-pipeline': { w: 6, h: 3 },
  'supplier-scorecard': { w: 4, h: 5 },
  'transfer-flow': { w: 4, h: 5 },
  'margin-by-category': { w: 4, h: 5 },
  'stock-turnover': { w: 4, h: 4 },
  'movement-ticker': { w: 4, h: 6 },
  'title-clock': { w: 6, h: 1 },
}
const FALLBACK_SIZE = { w: 4, h: 3 }

type Box = Pick<WidgetInstance, 'x' | 'y' | 'w' | 'h'>

export function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
}

/** The size a widget type starts with on this grid (scaled from 12 columns, at least 1×1, inside the grid). */
export function startSize(widget: string, grid: ScreenDefinition['grid']): { w: number; h: number } {
  const base = DEFAULT_SIZES[widget] ?? FALLBACK_SIZE
  return {
    w: Math.max(1, Math.min(grid.columns, Math.round((base.w * grid.columns) / 12))),
    h: Math.max(1, Math.min(grid.rows, Math.round((base.h * grid.rows) / 12))),
  }
}

/** The first free area of a size, scanning rows top to bottom then columns; undefined when the screen is full. */
export function freeSpot(screen: Pick<ScreenDefinition, 'grid' | 'widgets'>, size: { w: number; h: number }): Box | undefined {
  for (let y = 0; y + size.h <= screen.grid.rows; y++) {
    for (let x = 0; x + size.w <= screen.grid.columns; x++) {
      const box = { x, y, ...size }
      if (!screen.widgets.some((w) => overlaps(w, box))) return box
    }
  }
  return undefined
}

/** An instance id not yet used on the screen: `kpi-card-1`, `kpi-card-2`, … */
export function newInstanceId(screen: Pick<ScreenDefinition, 'widgets'>, widget: string): string {
  const used = new Set(screen.widgets.map((w) => w.id))
  for (let n = 1; ; n++) {
    const id = `${widget}-${n}`
    if (!used.has(id)) return id
  }
}

/** Design sizes offered in the settings; anything else is "custom". */
export const DESIGN_PRESETS = [
  { width: 1920, height: 1080, label: '1920 × 1080 (Full HD)' },
  { width: 3840, height: 2160, label: '3840 × 2160 (4K)' },
] as const
