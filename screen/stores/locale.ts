/**
 * Display language of the screen app: zh-CN by default, English on `?lang=en` or from the
 * language control; the choice is kept in localStorage so a kiosk keeps it across reloads.
 * `t` gives the phrases of widgets/common/messages.ts in the chosen language; widgets get the
 * locale as a prop and carry their own titles.
 */
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { LOCALES } from '../../protocol/screen.ts'
import type { Locale } from '../../protocol/screen.ts'
import { message } from '../../widgets/common/messages.ts'
import type { MessageKey, MessageParams } from '../../widgets/common/messages.ts'

export { LOCALES }
const STORAGE_KEY = 'cockpit.locale'

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value)
}

function storedLocale(): Locale | undefined {
  try {
    const v = globalThis.localStorage?.getItem(STORAGE_KEY)
    return isLocale(v) ? v : undefined
  } catch {
    return undefined // storage disabled (some kiosk browsers): the default holds
  }
}

function urlLocale(): Locale | undefined {
  const v = typeof window === 'undefined' ? null : new URLSearchParams(window.location.search).get('lang')
  return isLocale(v) ? v : undefined
}

export const useLocaleStore = defineStore('locale', () => {
  const fromUrl = urlLocale()
  const locale = ref<Locale>(fromUrl ?? storedLocale() ?? 'zh-CN')
  if (fromUrl) persist(fromUrl)

  function persist(next: Locale): void {
    try {
      globalThis.localStorage?.setItem(STORAGE_KEY, next)
    } catch {
      // not persisted; the session still uses it
    }
  }
  function setLocale(next: Locale): void {
    locale.value = next
    persist(next)
    if (typeof document !== 'undefined') document.documentElement.lang = next
  }
  if (typeof document !== 'undefined') document.documentElement.lang = locale.value

  const t = computed(() => (key: MessageKey, params?: MessageParams) => message(locale.value, key, params))
  return { locale, setLocale, t }
})
