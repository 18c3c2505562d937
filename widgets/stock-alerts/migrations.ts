/**
 * Stored options of older versions → the current shape.
 * v1 → v2: one `warehouse` became `warehouses` (a regional manager watches several).
 */
export const stockAlertsMigrations: Readonly<Record<number, (old: Record<string, unknown>) => Record<string, unknown>>> = {
  1: (old) => {
    const { warehouse, ...rest } = old
    return typeof warehouse === 'string' && warehouse !== '' ? { ...rest, warehouses: [warehouse] } : rest
  },
}
