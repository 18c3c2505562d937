/**
 * Which database sources have been failing long enough for the figures on screen to be stale
 * (docs/connectors.md "Seeing sources work"): the server's `sources` event, sent on connect and
 * whenever the list changes. WidgetHost marks every widget showing figures stale while the list
 * is not empty, naming the sources.
 */
import { defineStore } from 'pinia'
import { shallowRef } from 'vue'
import type { SourcesHealth, StaleSource } from '../../protocol/sources.ts'
import { lastSourcesHealth, useSocket } from '../socket.ts'

/** Most sources the store keeps (a label names two). */
export const MAX_STALE_SOURCES = 50

export const useSourceHealthStore = defineStore('sourceHealth', () => {
  const socket = useSocket()
  /** sources failing past the threshold, by id */
  const stale = shallowRef<readonly StaleSource[]>([])
  const take = (health: SourcesHealth | undefined) => {
    const list = Array.isArray(health?.stale) ? health.stale : []
    stale.value = list.filter((s) => typeof s?.id === 'string' && typeof s.failingSince === 'string').slice(0, MAX_STALE_SOURCES)
  }
  // the event of the connection may have come before this store existed
  take(lastSourcesHealth())
  socket.on('sources', take)
  return { stale }
})
