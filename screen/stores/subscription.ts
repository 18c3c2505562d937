/**
 * One Pinia store per distinct query (shared by every widget that needs it): subscribes through
 * the socket, applies `update`s in version order, re-subscribes after a gap or a reconnect and
 * replaces its state. Reference-counted: when the last user lets go the store unsubscribes and
 * is disposed after a short grace (so a carousel whose next screen shares queries, or a screen
 * reloaded after an edit, keeps its figures), so a wall that rotates screens for weeks does not
 * accumulate them.
 */
import { defineStore, getActivePinia } from 'pinia'
import type { Pinia } from 'pinia'
import { onScopeDispose, ref, shallowRef } from 'vue'
import { queryKey } from '../../protocol/query.ts'
import type { Query, QueryResult } from '../../protocol/query.ts'
import type { UpdateMessage } from '../../protocol/events.ts'
import { useSocket } from '../socket.ts'

/** How long a store outlives its last user. */
export const RELEASE_GRACE_MS = 3000
/** A subscribe the server has not answered in this time is given up (and tried again later). */
export const SUBSCRIBE_TIMEOUT_MS = 10_000

function subscriptionStore(key: string, query: Query) {
  return defineStore(`subscription:${key}`, () => {
    const socket = useSocket()
    const result = shallowRef<QueryResult>()
    const version = ref(0)
    const id = ref<string>()
    /** when the server last confirmed the result (subscribe ack or update), ms since epoch */
    const updatedAt = ref<number>()
    const error = ref<string>()
    let users = 0
    let pending = false

    function subscribe(): void {
      if (pending) return
      pending = true
      socket.timeout(SUBSCRIBE_TIMEOUT_MS).emit('subscribe', query, (timedOut, ack) => {
        pending = false
        if (users === 0) return // let go while the ack was on its way
        // no answer: the result stays up and goes stale; the next revalidation or reconnect asks again
        if (timedOut) return
        if (!ack.ok) {
          // keep the last good result on screen (it shows as stale); say why only when there is none
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
      error.value = undefined
    }
    const onDisconnect = () => {
      pending = false // acks of the old connection never come; the reconnect subscribes again
    }

    /** asks the server for the current result again (it answers with the same subscription) */
    function revalidate(): void {
      if (users > 0 && socket.connected) subscribe()
    }
    function acquire(): void {
      if (users++ > 0) return
      socket.on('update', onUpdate)
      socket.on('connect', subscribe)
      socket.on('disconnect', onDisconnect)
      if (socket.connected) subscribe()
    }
    /** returns true when this was the last user */
    function release(): boolean {
      if (--users > 0) return false
      socket.off('update', onUpdate)
      socket.off('connect', subscribe)
      socket.off('disconnect', onDisconnect)
      if (id.value && socket.connected) socket.emit('unsubscribe', id.value)
      id.value = undefined
      pending = false
      return true
    }
    function users_(): number {
      return users
    }
    return { query, result, version, id, updatedAt, error, acquire, release, revalidate, users: users_ }
  })
}

const definitions = new Map<string, ReturnType<typeof subscriptionStore>>()
const disposals = new Map<string, ReturnType<typeof setTimeout>>()

export type SubscriptionStore = ReturnType<ReturnType<typeof subscriptionStore>>

export interface SubscriptionHandle {
  store: SubscriptionStore
  /** lets go of the store; the last release unsubscribes and disposes it after a short grace */
  release(): void
}

function dispose(key: string, store: SubscriptionStore, pinia: Pinia | undefined): void {
  disposals.delete(key)
  if (store.users() > 0) return
  store.$dispose()
  definitions.delete(key)
  if (pinia) delete pinia.state.value[store.$id]
}

/** The live result of a query until `release()` is called. */
export function acquireSubscription(query: Query): SubscriptionHandle {
  const key = queryKey(query)
  let definition = definitions.get(key)
  if (!definition) definitions.set(key, (definition = subscriptionStore(key, query)))
  const pinia = getActivePinia()
  const store = definition(pinia)
  const timer = disposals.get(key)
  if (timer !== undefined) {
    clearTimeout(timer)
    disposals.delete(key)
  }
  store.acquire()
  let released = false
  return {
    store,
    release() {
      if (released) return
      released = true
      if (!store.release()) return
      disposals.set(
        key,
        setTimeout(() => dispose(key, store, pinia), RELEASE_GRACE_MS),
      )
    },
  }
}

/** Number of live subscription stores (the soak and tests watch it stay bounded). */
export function subscriptionCount(): number {
  return definitions.size
}

/** The live result of a query for as long as the calling scope (component) lives. */
export function useSubscription(query: Query): SubscriptionStore {
  const handle = acquireSubscription(query)
  onScopeDispose(() => handle.release())
  return handle.store
}
