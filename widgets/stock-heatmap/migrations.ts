/**
 * Stored options of older versions → the current shape.
 * v1 → v2: rows were always SKUs (`skus`); they may now be categories, so the row codes are
 * `members` and `rows` says which dimension they are.
 */
export const stockHeatmapMigrations: Readonly<Record<number, (old: Record<string, unknown>) => Record<string, unknown>>> = {
  1: (old) => {
    const { skus, ...rest } = old
    return Array.isArray(skus) ? { ...rest, rows: 'sku', members: skus } : { ...rest, rows: 'sku' }
  },
}
