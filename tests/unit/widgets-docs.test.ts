import { describe, expect, test } from 'vitest'
import { readFileSync, statSync } from 'node:fs'
import { MANIFESTS } from '../../widgets/manifests.ts'
import type { WidgetManifest } from '../../widgets/define-widget.ts'
import { optionsTable } from '../../widgets/common/options-table.ts'

const doc = readFileSync(new URL('../../docs/widgets.md', import.meta.url), 'utf8')
const manifests = Object.entries(MANIFESTS) as [string, WidgetManifest][]

describe.each(manifests)('docs/widgets.md: %s', (id, manifest) => {
  test('every option says what it does (the editor builds its form from the schema)', () => {
    const props = (manifest.options as unknown as { properties: Record<string, { description?: string }> }).properties
    for (const [name, schema] of Object.entries(props)) if (name !== 'title') expect(schema.description, `${id}.${name}`).toMatch(/\S/)
  })

  test('the option table is the one the manifest gives', () => {
    const block = new RegExp(`<!-- options:${id} -->\\n([\\s\\S]*?)\\n<!-- /options -->`).exec(doc)
    expect(block, `no option table for ${id}`).not.toBeNull()
    expect(block![1], `regenerate the table of ${id}`).toBe(optionsTable(manifest))
  })

  test('its picture exists and is small', () => {
    expect(doc).toContain(`(images/widget-${id}.png)`)
    expect(statSync(new URL(`../../docs/images/widget-${id}.png`, import.meta.url)).size).toBeLessThan(150_000)
  })
})
