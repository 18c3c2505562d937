import { describe, expect, test } from 'vitest'
import { Compile } from 'typebox/compile'
import { Query } from '../../protocol/query.ts'
import { MANIFESTS } from '../../widgets/manifests.ts'
import { migrateOptions } from '../../widgets/define-widget.ts'
import type { WidgetManifest } from '../../widgets/define-widget.ts'
import { TEMPLATES } from '../../widgets/templates/index.ts'
import { isWidgetId } from '../../widgets/manifests.ts'
import { ScreenDefinition } from '../../protocol/screen.ts'
import { readdirSync } from 'node:fs'

const queryValidator = Compile(Query)
const manifests = Object.entries(MANIFESTS) as [string, WidgetManifest][]

describe.each(manifests)('widget %s', (id, manifest) => {
  test('its id matches its registry key and folder', () => {
    expect(manifest.id).toBe(id)
    expect(readdirSync(new URL(`../../widgets/${id}/`, import.meta.url))).toContain('manifest.ts')
  })

  test('defaults satisfy its option schema and derive valid queries', () => {
    expect(Compile(manifest.options).Check(manifest.defaults)).toBe(true)
    for (const q of Object.values(manifest.queries(manifest.defaults))) expect(queryValidator.Errors(q)).toEqual([])
  })
})

describe.each(TEMPLATES.map((t) => [t.id, t] as const))('template %s', (_id, defaultScreen) => {
  test('every widget instance has valid options, valid queries, and a place on the grid', () => {
    expect(Compile(ScreenDefinition).Errors(defaultScreen)).toEqual([])
    const cells = new Set<string>()
    for (const w of defaultScreen.widgets) {
      if (!isWidgetId(w.widget)) throw new Error(`unknown widget ${w.widget}`)
      const manifest = MANIFESTS[w.widget] as unknown as WidgetManifest
      const options = migrateOptions(manifest, w.options, manifest.version)
      expect(Compile(manifest.options).Errors(options), w.id).toEqual([])
      for (const q of Object.values(manifest.queries(options))) expect(queryValidator.Errors(q), w.id).toEqual([])
      expect(w.x + w.w).toBeLessThanOrEqual(defaultScreen.grid.columns)
      expect(w.y + w.h).toBeLessThanOrEqual(defaultScreen.grid.rows)
      for (let x = w.x; x < w.x + w.w; x++) {
        for (let y = w.y; y < w.y + w.h; y++) {
          expect(cells.has(`${x},${y}`), `${w.id} overlaps at ${x},${y}`).toBe(false)
          cells.add(`${x},${y}`)
        }
      }
    }
  })
})
