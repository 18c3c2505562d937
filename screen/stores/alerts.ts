/**
 * Firing alerts for the wall (docs/alerts.md "On screens"): the states from `GET /api/v1/alerts`,
 * fetched when a view starts following them, on every (re)connection and after `alert` events (one read at a time)
 * (the event says a rule moved; the states say what fires now). Views call `follow()` and give it
 * back with the function it returns; the socket listeners live while someone follows.
 */
import { defineStore } from 'pinia'
import { computed, shallowRef } from 'vue'
import { API_PREFIX } from '../../protocol/api.ts'
import type { AlertRuleState, AlertsOverview } from '../../protocol/alerts.ts'
import { useSocket } from '../socket.ts'

/** Most firing rules the store keeps (a wall shows a handful). */
export const MAX_FIRING = 50

function authHeaders(): Record<string, string> {
  const token = new URLSearchParams(window.location.search).get('token')
  return token ? { authorization: `Bearer ${token}` } : {}
}

export const useAlertsStore = defineStore('alerts', () => {
  const socket = useSocket()
  /** rules firing now, most recently fired first */
  const firing = shallowRef<AlertRuleState[]>([])
  /** metrics of firing rules: widgets showing one take the alert colour */
  const firingMetrics = computed(() => new Set(firing.value.map((s) => s.metric)))
  let followers = 0
  /** the read under way, and whether another event asked for a read meanwhile */
  let reading: Promise<void> | undefined
  let again = false

  async function readOnce(): Promise<void> {
    try {
      const res = await fetch(`${API_PREFIX}/alerts`, { headers: { accept: 'application/json', ...authHeaders() } })
      if (!res.ok) return
      const body = (await res.json()) as AlertsOverview
      firing.value = body.states
        .filter((s) => s.state === 'firing')
        .sort((a, b) => (a.since < b.since ? 1 : -1))
        .slice(0, MAX_FIRING)
    } catch {
      // offline: the connection badge says so; the next connect fetches again
    }
  }

  /**
   * Reads the states: one read at a time, and a burst of events during a read makes one more read after it
   * (not one each), so the last answer is always from after the last event.
   */
  function refresh(): Promise<void> {
    if (reading) {
      again = true
      return reading
    }
    reading = (async () => {
      do {
        again = false
        await readOnce()
      } while (again)
    })().finally(() => {
      reading = undefined
    })
    return reading
  }
  const onAlert = () => void refresh()

  /** starts following alerts; returns the function that stops */
  function follow(): () => void {
    if (followers++ === 0) {
      socket.on('connect', onAlert)
      socket.on('alert', onAlert)
      void refresh()
    }
    let done = false
    return () => {
      if (done) return
      done = true
      if (--followers === 0) {
        socket.off('connect', onAlert)
        socket.off('alert', onAlert)
        firing.value = []
      }
    }
  }

  return { firing, firingMetrics, follow, refresh }
})
