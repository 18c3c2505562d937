/**
 * One Pinia store per distinct query (shared by every widget that needs it): subscribes through
 * the socket, applies `update`s in version order, re-subscribes after a gap or a reconnect and
 * replaces its state. Reference-counted: the last user's scope ending unsubscribes and disposes
 * the store, so a wall that rotates screens for weeks does not accumulate them.
 */
import { defineStore, getActivePinia } from 'pinia'
import { onScopeDispose, ref, shallowRef } from 'vue'
import type { Query, QueryResult } from '../../protocol/query.ts'
import type { UpdateMessage } from '../../protocol/events.ts'
import { useSocket } from '../socket.ts'

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, canonical(v)]))
  }
  return value
}

export function queryKey(query: Query): string {
  return JSON.stringify(canonical(query))
}

function subscriptionStore(key: string, query: Query) {
  return defineStore(`subscription:${key}`, () => {
    const socket = useSocket()
    const result = shallowRef<QueryResult>()
    const version = ref(0)
    const id = ref<string>()
    const updatedAt = ref<number>()
    const error = ref<string>()
    let users = 0

    function subscribe(): void {
      socket.emit('subscribe', query, (ack) => {
        if (!ack.ok) {
          error.value = ack.error.message
          return
        }
        id.value = ack.subscription
        version.value = ack.version
        result.value = ack.result
        updatedAt.value = Date.now()
        error.value = undefined
      })
    }
    const onUpdate = (m: UpdateMessage) => {
      if (m.subscription !== id.value) return
      if (m.version !== version.value + 1) return subscribe() // missed updates: start over
      version.value = m.version
      result.value = m.result
      updatedAt.value = Date.now()
    }

    function acquire(): void {
      if (users++ > 0) return
      socket.on('update', onUpdate)
      socket.on('connect', subscribe)
      if (socket.connected) subscribe()
    }
    /** returns true when this was the last user */
    function release(): boolean {
      if (--users > 0) return false
      socket.off('update', onUpdate)
      socket.off('connect', subscribe)
      if (id.value && socket.connected) socket.emit('unsubscribe', id.value)
      id.value = undefined
      return true
    }
    return { query, result, version, id, updatedAt, error, acquire, release }
  })
}

const definitions = new Map<string, ReturnType<typeof subscriptionStore>>()

export type SubscriptionStore = ReturnType<ReturnType<typeof subscriptionStore>>

/** The live result of a query for as long as the calling scope (component) lives. */
export function useSubscription(query: Query): SubscriptionStore {
  const key = queryKey(query)
  let definition = definitions.get(key)
  if (!definition) definitions.set(key, (definition = subscriptionStore(key, query)))
  const store = definition()
  store.acquire()
  onScopeDispose(() => {
    if (!store.release()) return
    store.$dispose()
    definitions.delete(key)
    const pinia = getActivePinia()
    if (pinia) delete pinia.state.value[store.$id]
  })
  return store
}
