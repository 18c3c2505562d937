/**
 * The administrator key of the screen app (editor, wall control): typed once, kept in
 * localStorage on this device, sent as `Authorization: Bearer`.
 */
import { ref } from 'vue'

export const ADMIN_KEY_STORAGE = 'cockpit.adminKey'

function read(): string | null {
  try {
    return localStorage.getItem(ADMIN_KEY_STORAGE)
  } catch {
    return null
  }
}

const key = ref<string | null>(read())

export function useAdminKey() {
  function set(value: string | null): void {
    key.value = value?.trim() || null
    try {
      if (key.value) localStorage.setItem(ADMIN_KEY_STORAGE, key.value)
      else localStorage.removeItem(ADMIN_KEY_STORAGE)
    } catch {
      // storage disabled (private mode): the key lasts for this page
    }
  }
  return { key, set }
}
