import { onScopeDispose, ref } from 'vue'
import type { Ref } from 'vue'
import type { ShowCommand } from '../../protocol/events.ts'
import { useSocket } from '../socket.ts'

export interface UseWallCommandsReturn {
  /** the server acknowledged the join on the current connection */
  joined: Ref<boolean>
}

/**
 * Joins a wall name (`?wall=meeting-room-1`) on every connection — a reconnect lands on a fresh
 * server-side socket that has forgotten it — and hands each `show` for that wall to `onShow`.
 */
export function useWallCommands(name: string, onShow: (command: ShowCommand) => void): UseWallCommandsReturn {
  const socket = useSocket()
  const joined = ref(false)
  const join = () => socket.emit('joinWall', name, (ack) => (joined.value = ack.ok))
  const leave = () => (joined.value = false)
  const show = (command: ShowCommand) => {
    if (command.wall === name) onShow(command)
  }
  socket.on('connect', join)
  socket.on('disconnect', leave)
  socket.on('show', show)
  if (socket.connected) join()
  onScopeDispose(() => {
    socket.off('connect', join)
    socket.off('disconnect', leave)
    socket.off('show', show)
  })
  return { joined }
}
