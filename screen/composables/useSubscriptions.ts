import { computed, onScopeDispose, shallowRef, watch } from 'vue'
import type { ComputedRef, ShallowRef } from 'vue'
import type { Query } from '../../protocol/query.ts'
import { queryKey } from '../../protocol/query.ts'
import { acquireSubscription } from '../stores/subscription.ts'
import type { SubscriptionHandle, SubscriptionStore } from '../stores/subscription.ts'

export interface UseSubscriptionsReturn {
  /** the live store of each named query */
  stores: ShallowRef<Record<string, SubscriptionStore>>
  /** the queries as subscribed, by name */
  queries: ComputedRef<Record<string, Query>>
}

/**
 * Live results of a set of named queries that may change (a tablet switching its period, an
 * editor changing options): new queries are subscribed before the old ones are let go, so
 * queries the two sets share keep their figures; everything is released with the scope.
 */
export function useSubscriptions(source: () => Record<string, Query>): UseSubscriptionsReturn {
  const queries = computed(source)
  const stores = shallowRef<Record<string, SubscriptionStore>>({})
  let handles = new Map<string, SubscriptionHandle & { key: string }>()

  const keys = computed(() =>
    Object.entries(queries.value)
      .map(([name, q]) => `${name}=${queryKey(q)}`)
      .join('\n'),
  )
  watch(
    keys,
    () => {
      const next = new Map<string, SubscriptionHandle & { key: string }>()
      for (const [name, query] of Object.entries(queries.value)) {
        const key = queryKey(query)
        const old = handles.get(name)
        if (old && old.key === key) {
          next.set(name, old)
          handles.delete(name)
        } else next.set(name, { ...acquireSubscription(query), key })
      }
      for (const old of handles.values()) old.release()
      handles = next
      stores.value = Object.fromEntries([...next].map(([name, h]) => [name, h.store]))
    },
    { immediate: true },
  )
  onScopeDispose(() => {
    for (const h of handles.values()) h.release()
    handles.clear()
  })
  return { stores, queries }
}
