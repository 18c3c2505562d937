// @vitest-environment happy-dom
/** The editor's palette lists every registered widget as its manifest describes it. */
import { describe, expect, test } from 'vitest'
import { mount } from '@vue/test-utils'
import WidgetPalette from '../../screen/editor/WidgetPalette.vue'
import { MANIFESTS, WIDGET_IDS } from '../../widgets/manifests.ts'
import { WIDGET_GROUPS } from '../../widgets/define-widget.ts'

describe('widget palette', () => {
  test.each(['zh-CN', 'en'] as const)('every registered widget, in registration order, with its icon, title and group (%s)', (locale) => {
    const palette = mount(WidgetPalette, { props: { locale } })
    const buttons = palette.findAll('button[data-widget]')
    expect(buttons.map((b) => b.attributes('data-widget'))).toEqual(WIDGET_IDS)
    for (const b of buttons) {
      const m = MANIFESTS[b.attributes('data-widget') as keyof typeof MANIFESTS]
      expect(b.find('.icon').text()).toBe(m.icon)
      expect(b.find('.name').text()).toBe(m.title[locale])
      expect(b.attributes('title')).toBe(WIDGET_GROUPS[m.group][locale])
    }
    palette.unmount()
  })

  test('a tap adds that widget', async () => {
    const palette = mount(WidgetPalette, { props: { locale: 'en' } })
    await palette.find('button[data-widget="gauge"]').trigger('click')
    expect(palette.emitted('add')).toEqual([['gauge']])
    palette.unmount()
  })
})
