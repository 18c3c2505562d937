/**
 * The tablet shows a wall screen as a responsive grid: widgets keep the wall's reading order
 * (top to bottom, then left to right), take a share of the columns proportional to their width on
 * the wall, and get a height from their grid rows with a floor that keeps charts legible.
 */
import type { ScreenDefinition, WidgetInstance } from '../../protocol/screen.ts'

/** Narrowest column a widget is laid out in, in CSS pixels. */
export const MIN_COLUMN_WIDTH = 330
/** Most columns, even on a wide landscape tablet. */
export const MAX_COLUMNS = 3
/** Height of one wall grid row on the tablet. */
export const ROW_HEIGHT = 64
/** Heights below which a widget stops being readable: a single figure, and anything with a chart or a list. */
export const MIN_FIGURE_HEIGHT = 150
export const MIN_CHART_HEIGHT = 280
/** A widget taller than this would fill more than a portrait screen: it scrolls inside instead. */
export const MAX_HEIGHT = 560

export interface TabletCell {
  instance: WidgetInstance
  /** columns spanned, 1..columns */
  span: number
  /** CSS pixels */
  height: number
}

export interface TabletLayout {
  columns: number
  cells: TabletCell[]
}

/** Columns for a viewport width: 768 portrait → 2, 1024 landscape → 3, a phone → 1. */
export function tabletColumns(width: number): number {
  return Math.max(1, Math.min(MAX_COLUMNS, Math.floor(width / MIN_COLUMN_WIDTH)))
}

/** The wall's reading order: by row, then by column; ties keep their order in the screen. */
export function readingOrder(widgets: readonly WidgetInstance[]): WidgetInstance[] {
  return widgets
    .map((w, i) => ({ w, i }))
    .sort((a, b) => a.w.y - b.w.y || a.w.x - b.w.x || a.i - b.i)
    .map(({ w }) => w)
}

export function reflow(screen: Pick<ScreenDefinition, 'grid' | 'widgets'>, width: number): TabletLayout {
  return reflowInto(screen, tabletColumns(width))
}

export function reflowInto(screen: Pick<ScreenDefinition, 'grid' | 'widgets'>, columns: number): TabletLayout {
  const cells = readingOrder(screen.widgets).map((instance) => {
    // a share of the wall's width, rounded up once it is clearly more than a column (0.15 of slack)
    const share = (instance.w / screen.grid.columns) * columns
    const span = Math.max(1, Math.min(columns, Math.ceil(share - 0.15)))
    const floor = instance.h <= 2 ? MIN_FIGURE_HEIGHT : MIN_CHART_HEIGHT
    const height = Math.min(MAX_HEIGHT, Math.max(floor, instance.h * ROW_HEIGHT))
    return { instance, span, height }
  })
  return { columns, cells }
}
