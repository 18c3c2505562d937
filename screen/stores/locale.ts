/**
 * Display language of the screen app: zh-CN by default, English on `?lang=en` or from the
 * language control; the choice is kept in localStorage so a kiosk keeps it across reloads.
 * Also holds the app chrome's few messages (title bar, badge, freshness): widgets get the
 * locale as a prop and carry their own titles.
 */
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { Locale } from '../../widgets/common/format.ts'

export const LOCALES = ['zh-CN', 'en'] as const satisfies readonly Locale[]
const STORAGE_KEY = 'cockpit.locale'

const MESSAGES = {
  'zh-CN': {
    live: '实时 LIVE',
    staleSince: '数据停更于 {time}',
    updated: '更新 {time}',
    loading: '加载中…',
    staleHint: '数据可能已过期',
    liveHint: '数据实时',
    unknownWidget: '未知组件类型 {widget}',
    screenNotFound: '找不到大屏 “{id}”',
    screenLoadFailed: '大屏 “{id}” 加载失败：{reason}',
    language: '语言',
    previous: '上一屏',
    next: '下一屏',
    fullscreen: '全屏',
  },
  en: {
    live: 'LIVE',
    staleSince: 'Data stale since {time}',
    updated: 'Updated {time}',
    loading: 'Loading…',
    staleHint: 'Data may be out of date',
    liveHint: 'Live data',
    unknownWidget: 'Unknown widget type {widget}',
    screenNotFound: 'No screen “{id}”',
    screenLoadFailed: 'Screen “{id}” failed to load: {reason}',
    language: 'Language',
    previous: 'Previous screen',
    next: 'Next screen',
    fullscreen: 'Full screen',
  },
} as const satisfies Record<Locale, Record<string, string>>

export type MessageKey = keyof (typeof MESSAGES)['zh-CN']

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value)
}

/** A chrome message in a locale with `{name}` placeholders filled in. */
export function message(locale: Locale, key: MessageKey, params: Record<string, string> = {}): string {
  return MESSAGES[locale][key].replace(/\{(\w+)\}/g, (whole, name: string) => params[name] ?? whole)
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

  const t = computed(() => (key: MessageKey, params?: Record<string, string>) => message(locale.value, key, params))
  return { locale, setLocale, t }
})
