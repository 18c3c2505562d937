/**
 * Linked filters of a page, kept in its URL (`?f.category=drinks&f.warehouse=WH-SH`): reload and a
 * shared link show the same filtered view. A click on a member toggles its filter; the chips
 * clear one or all. The URL is the source: the store follows it, and changes go through it.
 */
import { computed, watch } from 'vue'
import type { ComputedRef } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import type { MovementDimension } from '../../protocol/metrics.ts'
import type { WidgetDrill } from '../../widgets/define-widget.ts'
import { useLinkStore } from '../stores/links.ts'
import { isLinkDimension, isMemberCode, linksFromQuery, queryWithLinks } from './linking.ts'
import type { LinkFilter } from './linking.ts'

export interface UseLinkedFiltersOptions {
  /** whether clicks on members set filters (a screen may turn linking off for walls) @default always */
  clickable?: () => boolean
}

export interface UseLinkedFiltersReturn {
  links: ComputedRef<LinkFilter[]>
  /** a member was clicked: its filter is set, replaced or (the same member again) cleared */
  pick(drill: WidgetDrill): void
  clear(dimension: MovementDimension): void
  clearAll(): void
}

export function useLinkedFilters(options: UseLinkedFiltersOptions = {}): UseLinkedFiltersReturn {
  const route = useRoute()
  const router = useRouter()
  const store = useLinkStore()
  watch(
    () => route.query,
    (query) => store.setLinks(linksFromQuery(query)),
    { immediate: true },
  )
  function go(next: readonly LinkFilter[]): void {
    void router.replace({ query: queryWithLinks(route.query, next) })
  }
  return {
    links: computed(() => store.links),
    pick(drill) {
      if (options.clickable && !options.clickable()) return
      if (!isLinkDimension(drill.dimension) || !isMemberCode(drill.key)) return
      go(store.picked(drill))
    },
    clear(dimension) {
      go(store.links.filter((l) => l.dimension !== dimension))
    },
    clearAll() {
      go([])
    },
  }
}
