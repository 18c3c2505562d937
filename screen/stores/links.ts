/**
 * The screen-wide linked filters (联动, docs/views.md "Linked widgets"): members picked on a
 * widget (a category bar, a warehouse row), at most one per dimension, in the order they were
 * picked, with the display names the clicks and the results brought. The page's URL holds the
 * filters (`?f.category=drinks`); useLinkedFilters keeps this store and the URL in step.
 */
import { defineStore } from 'pinia'
import { ref, shallowReactive } from 'vue'
import type { MovementDimension } from '../../protocol/metrics.ts'
import type { QueryResult } from '../../protocol/query.ts'
import type { Locale, WidgetDrill } from '../../widgets/define-widget.ts'
import { toggleLink } from '../composables/linking.ts'
import type { LinkFilter } from '../composables/linking.ts'

/** A member's display names from master data. */
export interface MemberNames {
  label?: string
  labelEn?: string
}

/** Most names kept: the members picked in a session are few; a long-running wall must not grow. */
export const MAX_NAMES = 200

const nameKey = (dimension: MovementDimension, key: string) => `${dimension}\u0000${key}`

function named(label: string | undefined, labelEn: string | undefined): MemberNames | undefined {
  if (!label && !labelEn) return undefined
  return { ...(label ? { label } : {}), ...(labelEn ? { labelEn } : {}) }
}

/**
 * The names a query result gives a member, when it names it: a group of that dimension, or a row
 * (stock lists, movements, partners' ageing) about it.
 */
export function memberNamesIn(result: QueryResult | undefined, dimension: MovementDimension, key: string): MemberNames | undefined {
  if (!result) return undefined
  if (result.groupBy === dimension) {
    const g = result.groups?.find((x) => x.key === key)
    if (g) return named(g.label, g.labelEn)
  }
  const field =
    dimension === 'sku' ? 'skuName' : dimension === 'warehouse' ? 'warehouseName' : dimension === 'category' ? 'categoryName' : dimension === 'partner' ? 'partnerName' : undefined
  if (!field) return undefined
  // hosts ask on every result while a member stays unnamed: the lists are walked, not copied
  const lists = [result.rows, result.reorder, result.slowMoving, result.movements, result.creditAgeing?.rows] as unknown as (readonly Record<string, unknown>[] | undefined)[]
  for (const rows of lists) {
    for (const row of rows ?? []) {
      if (row[dimension] !== key) continue
      const found = named(row[field] as string | undefined, row[`${field}En`] as string | undefined)
      if (found) return found
    }
  }
  return undefined
}

export const useLinkStore = defineStore('links', () => {
  const links = ref<LinkFilter[]>([])
  const names = shallowReactive(new Map<string, MemberNames>())

  /** replaces the filters (from the URL) */
  function setLinks(next: readonly LinkFilter[]): void {
    const same = next.length === links.value.length && next.every((l, i) => l.dimension === links.value[i]!.dimension && l.key === links.value[i]!.key)
    if (!same) links.value = next.map((l) => ({ dimension: l.dimension, key: l.key }))
  }

  /** remembers a member's names (bounded: the oldest go first) */
  function learn(dimension: MovementDimension, key: string, member: MemberNames): void {
    const k = nameKey(dimension, key)
    const known = names.get(k)
    if (known && known.label === member.label && known.labelEn === member.labelEn) return
    names.delete(k)
    names.set(k, member)
    while (names.size > MAX_NAMES) names.delete(names.keys().next().value!)
  }

  /** the filters after a click on a member (same member again: cleared); its names are kept */
  function picked(drill: WidgetDrill): LinkFilter[] {
    const member = named(drill.label, drill.labelEn)
    if (member) learn(drill.dimension, drill.key, member)
    return toggleLink(links.value, { dimension: drill.dimension, key: drill.key })
  }

  /** a filter's member in words: its name in the language (English falls back to Chinese), else its code */
  function nameOf(link: LinkFilter, locale: Locale): string {
    const n = names.get(nameKey(link.dimension, link.key))
    return (locale === 'en' ? n?.labelEn || n?.label : n?.label) || link.key
  }

  /** the names known of a filter's member */
  function namesOf(link: LinkFilter): MemberNames | undefined {
    return names.get(nameKey(link.dimension, link.key))
  }

  /** whether the names of a filter's member are known */
  function knows(link: LinkFilter): boolean {
    return names.has(nameKey(link.dimension, link.key))
  }

  return { links, names, setLinks, learn, picked, nameOf, namesOf, knows }
})
