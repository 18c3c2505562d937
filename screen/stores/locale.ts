// TEMPORARY local stand-in (untracked) for the locale store another engineer adds on main.
import { defineStore } from 'pinia'
import { ref } from 'vue'
export type Locale = 'zh-CN' | 'en'
export const useLocaleStore = defineStore('locale', () => {
  const q = new URLSearchParams(window.location.search).get('lang')
  const locale = ref<Locale>(q === 'en' || q === 'zh-CN' ? q : ((localStorage.getItem('cockpit.locale') as Locale | null) ?? 'zh-CN'))
  function setLocale(l: Locale) {
    locale.value = l
    localStorage.setItem('cockpit.locale', l)
  }
  return { locale, setLocale }
})
