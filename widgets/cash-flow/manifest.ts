import Type from 'typebox'
import { WINDOW_PATTERN } from '../../protocol/query.ts'
import { defineWidget } from '../define-widget.ts'

/** Money in (bars up), money out (bars down) and the net (a line) by hour or day, with the period's totals. */
export const cashFlow = defineWidget({
  id: 'cash-flow',
  version: 1,
  title: { 'zh-CN': '现金流', en: 'Cash flow' },
  icon: '⇅',
  group: 'cash',
  size: { w: 6, h: 4, minW: 1, minH: 1 },
  options: Type.Object({
    window: Type.String({ pattern: WINDOW_PATTERN, description: 'period' }),
    interval: Type.Union([Type.Literal('hour'), Type.Literal('day')], { description: 'bars by hour or by day' }),
    title: Type.Optional(Type.String({ maxLength: 40 })),
  }),
  defaults: { window: 'today', interval: 'hour' },
  labels: {},
  migrations: {},
  queries: (o) => ({
    in: { metric: 'cash.in', window: o.window, interval: o.interval },
    out: { metric: 'cash.out', window: o.window, interval: o.interval },
    net: { metric: 'cash.net', window: o.window, interval: o.interval },
  }),
})
