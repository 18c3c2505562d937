/** Connection state of the screen: live, or stale since when (disconnected or Redis down). */
import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import { useSocket } from '../socket.ts'

export const useConnectionStore = defineStore('connection', () => {
  const socket = useSocket()
  const connected = ref(socket.connected)
  /** the server can reach Redis */
  const redis = ref(true)
  /** since when figures may be stale (null while live) */
  const staleSince = ref<number | null>(Date.now())
  /** the business time zone, as the server announces it */
  const timeZone = ref('Asia/Shanghai')
  const live = computed(() => connected.value && redis.value)

  socket.on('connect', () => (connected.value = true))
  socket.on('disconnect', () => (connected.value = false))
  socket.on('status', (s) => {
    redis.value = s.redis
    timeZone.value = s.timeZone
  })
  watch(
    live,
    (isLive) => {
      if (isLive) staleSince.value = null
      else staleSince.value ??= Date.now()
    },
    { immediate: true },
  )
  return { connected, redis, live, staleSince, timeZone }
})
