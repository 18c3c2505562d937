// @vitest-environment happy-dom
/** Conditional colours (阈值变色, widgets/common/thresholds.ts): the step rule, and the KPI card's figure taking it. */
import { describe, expect, test } from 'vitest'
import { mountWidget, result } from './widget-kit.ts'
import KpiCard from '../../widgets/kpi-card/KpiCard.vue'
import { kpiCard } from '../../widgets/kpi-card/manifest.ts'
import { gauge } from '../../widgets/gauge/manifest.ts'
import { thresholdColor } from '../../widgets/common/thresholds.ts'
import type { WidgetManifest } from '../../widgets/define-widget.ts'
import { Compile } from 'typebox/compile'

const STEPS = ['0.9:#2fd27a', '0:#ff5a5a', '0.8:#ffc14d']

describe('threshold steps', () => {
  test.each([
    [-0.1, undefined],
    [0, '#ff5a5a'],
    [0.79, '#ff5a5a'],
    [0.8, '#ffc14d'],
    [0.95, '#2fd27a'],
    [null, undefined],
  ])('%s → %s (steps in any order)', (value, color) => {
    expect(thresholdColor(value, STEPS)).toBe(color)
  })
  test('no steps, no colour', () => expect(thresholdColor(5, undefined)).toBeUndefined())
  test('KPI card and gauge options accept steps and refuse a colour that is not #rrggbb', () => {
    for (const m of [kpiCard, gauge]) {
      const check = Compile(m.options)
      expect(check.Check({ ...m.defaults, thresholds: STEPS })).toBe(true)
      expect(check.Check({ ...m.defaults, thresholds: ['1:red;background:url(x)'] })).toBe(false)
      expect(check.Check({ ...m.defaults, thresholds: ['1e3:#ffffff'] })).toBe(false)
    }
  })
})

describe('KPI card', () => {
  const card = (total: number) =>
    mountWidget(
      KpiCard,
      kpiCard as unknown as WidgetManifest,
      { value: result({ metric: 'fulfilment.onTimeRate', unit: 'ratio', total }) },
      { options: { metric: 'fulfilment.onTimeRate', thresholds: STEPS } },
    )
  test('the figure takes the colour of its step', () => {
    const low = card(0.5).find('[data-testid=kpi-value]')
    expect(low.attributes('data-threshold-color')).toBe('#ff5a5a')
    expect(low.attributes('style')).toMatch(/color: (#ff5a5a|rgb\(255, 90, 90\))/)
    expect(card(0.93).find('[data-testid=kpi-value]').attributes('data-threshold-color')).toBe('#2fd27a')
  })
  test('without thresholds the figure keeps the theme colour', () => {
    const plain = mountWidget(KpiCard, kpiCard as unknown as WidgetManifest, { value: result({ metric: 'sales.revenue', unit: 'money', total: 1 }) })
    expect(plain.find('[data-testid=kpi-value]').attributes('data-threshold-color')).toBeUndefined()
  })
})
