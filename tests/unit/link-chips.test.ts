// @vitest-environment happy-dom
/**
 * The linked-filter chips and the "unfiltered" mark in both languages, and the screen setting
 * that turns clicks off for walls.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import LinkChips from '../../screen/components/LinkChips.vue'
import LinkMark from '../../screen/components/LinkMark.vue'
import ScreenSettings from '../../screen/editor/ScreenSettings.vue'
import { useLinkStore } from '../../screen/stores/links.ts'
import { retailTemplate } from '../../widgets/templates/retail.ts'

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => {
  document.body.innerHTML = ''
})

const links = [
  { dimension: 'category', key: 'drinks' },
  { dimension: 'warehouse', key: 'WH-SH' },
] as const

describe('LinkChips', () => {
  test('one chip per filter, named in the language; × clears one, "clear all" every one', async () => {
    useLinkStore().learn('category', 'drinks', { label: '饮料', labelEn: 'Drinks' })
    const w = mount(LinkChips, { props: { links: [...links], locale: 'zh-CN' } })
    expect(w.findAll('[data-testid="link-chip"] .text').map((c) => c.text())).toEqual(['品类: 饮料', '仓库: WH-SH'])
    expect(w.get('[data-testid="link-clear"]').attributes('aria-label')).toBe('清除筛选 品类: 饮料')
    await w.findAll('[data-testid="link-clear"]')[1]!.trigger('click')
    await w.get('[data-testid="link-clear-all"]').trigger('click')
    expect(w.emitted('clear')).toEqual([['warehouse']])
    expect(w.emitted('clearAll')).toHaveLength(1)
    expect(w.find('[data-testid="link-details"]').exists()).toBe(false)
    await w.setProps({ locale: 'en' })
    expect(w.findAll('[data-testid="link-chip"] .text').map((c) => c.text())).toEqual(['Category: Drinks', 'Warehouse: WH-SH'])
    expect(w.get('[data-testid="link-clear-all"]').text()).toBe('Clear all')
  })

  test('on the tablet a chip opens the drill-down; one filter needs no "clear all"; none shows nothing', async () => {
    const w = mount(LinkChips, { props: { links: [links[0]], locale: 'en', touch: true, details: true } })
    await w.get('[data-testid="link-details"]').trigger('click')
    expect(w.emitted('details')).toEqual([[links[0]]])
    expect(w.find('[data-testid="link-clear-all"]').exists()).toBe(false)
    expect(
      mount(LinkChips, { props: { links: [], locale: 'en' } })
        .find('[data-testid="link-chips"]')
        .exists(),
    ).toBe(false)
  })
})

describe('LinkMark', () => {
  test('says which filters the widget ignores', () => {
    const zh = mount(LinkMark, { props: { dimensions: ['warehouse', 'channel'], locale: 'zh-CN' } })
    expect(zh.text()).toBe('未筛选')
    expect(zh.attributes('title')).toBe('此组件不能按仓库 / 渠道筛选，显示的是全部数据')
    const en = mount(LinkMark, { props: { dimensions: ['category'], locale: 'en' } })
    expect(en.text()).toBe('Unfiltered')
    expect(en.attributes('title')).toBe('This widget cannot be filtered by Category: it shows every one')
  })
})

describe('the screen setting', () => {
  test('linking is on unless the screen says false; the switch emits the change', async () => {
    const w = mount(ScreenSettings, { props: { screen: retailTemplate, locale: 'en', errors: {} } })
    const box = w.get('input[name="linking"]')
    expect((box.element as HTMLInputElement).checked).toBe(true)
    ;(box.element as HTMLInputElement).checked = false
    await box.trigger('change')
    expect(w.emitted('change')).toEqual([[{ linking: false }]])
    const off = mount(ScreenSettings, { props: { screen: { ...retailTemplate, linking: false }, locale: 'zh-CN', errors: {} } })
    expect((off.get('input[name="linking"]').element as HTMLInputElement).checked).toBe(false)
    expect(off.text()).toContain('大屏点击联动')
  })
})
