/**
 * Where a new widget goes on a screen's grid (the first free area in reading order) and the
 * other small layout rules of the editor, as plain functions.
 */
import type { ScreenDefinition, WidgetInstance } from '../../protocol/screen.ts'
import type { WidgetSize } from '../../widgets/define-widget.ts'
import { MANIFESTS, isWidgetId } from '../../widgets/manifests.ts'

/** Size of a widget type the registry does not know (a screen from a newer cockpit), 12-column cells. */
const FALLBACK_SIZE = { w: 4, h: 3, minW: 1, minH: 1 }

/** A widget type's size on a 12 × 12 grid, from its manifest. */
function sizeOf(widget: string): WidgetSize {
  return isWidgetId(widget) ? MANIFESTS[widget].size : FALLBACK_SIZE
}

/** Scales a 12-cell measure to a grid of `cells`, at least 1 and at most the grid. */
function scaled(value: number, cells: number): number {
  return Math.max(1, Math.min(cells, Math.round((value * cells) / 12)))
}

type Box = Pick<WidgetInstance, 'x' | 'y' | 'w' | 'h'>

export function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
}

/** The size a widget type starts with on this grid (scaled from 12 columns, at least 1×1, inside the grid). */
export function startSize(widget: string, grid: ScreenDefinition['grid']): { w: number; h: number } {
  const size = sizeOf(widget)
  return { w: scaled(size.w, grid.columns), h: scaled(size.h, grid.rows) }
}

/**
 * The least a widget type may be resized to on this grid: its manifest's minimum scaled like the
 * start size, except that a minimum of 1 stays one cell on any grid (every widget draws in one).
 */
export function minSize(widget: string, grid: ScreenDefinition['grid']): { w: number; h: number } {
  const size = sizeOf(widget)
  return { w: size.minW <= 1 ? 1 : scaled(size.minW, grid.columns), h: size.minH <= 1 ? 1 : scaled(size.minH, grid.rows) }
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
