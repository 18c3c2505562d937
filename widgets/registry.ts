/**
 * Widget id → manifest and component loader, for the screen. Nothing to add here for a new widget:
 * its component is the file `widgets/<id>/<Name>.vue` (`kpi-card` → `KpiCard.vue`), found in its
 * folder, and its manifest is registered in widgets/manifests.ts. Each component types its props
 * from its own manifest (`WidgetProps<Static<typeof manifest.options>>`).
 */
import type { Component } from 'vue'
import { MANIFESTS, WIDGET_IDS } from './manifests.ts'
import type { WidgetId } from './manifests.ts'

export type ComponentLoader = () => Promise<{ default: Component }>

// lazy: each widget's code is a chunk of its own, loaded when a screen shows it
const FILES = import.meta.glob<{ default: Component }>('./*/*.vue')

/** The component's file name for a widget id: `kpi-card` → `KpiCard.vue`. */
export function componentFile(id: string): string {
  return `${id.replace(/(^|-)([a-z0-9])/g, (_m, _dash: string, c: string) => c.toUpperCase())}.vue`
}

function loaderOf(id: WidgetId): ComponentLoader {
  const loader = FILES[`./${id}/${componentFile(id)}`]
  // a registered widget without its component is a build mistake: fail where the screen starts
  if (!loader) throw new Error(`widget ${id} has no component widgets/${id}/${componentFile(id)}`)
  return loader
}

export const COMPONENTS: Readonly<Record<WidgetId, ComponentLoader>> = Object.fromEntries(WIDGET_IDS.map((id) => [id, loaderOf(id)])) as Record<WidgetId, ComponentLoader>

export { MANIFESTS }
export type { WidgetId }
