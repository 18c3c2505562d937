import Type from 'typebox'
import { defineWidget } from '../define-widget.ts'

/**
 * A screen title with the date and a ticking clock in the business time zone, for screens shown
 * without the wall's title bar (embeds, tablets, custom layouts). Asks no data.
 */
export const titleClock = defineWidget({
  id: 'title-clock',
  version: 1,
  title: { 'zh-CN': '标题与时钟', en: 'Title and clock' },
  icon: '◷',
  group: 'layout',
  size: { w: 6, h: 1, minW: 1, minH: 1 },
  options: Type.Object({
    /** the headline; none shows the clock alone */
    heading: Type.Optional(Type.String({ maxLength: 60, description: 'the headline; none shows the clock alone' })),
    /** IANA time zone of the clock: the business time zone */
    timeZone: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$', description: 'IANA time zone of the clock: the business time zone' }),
    showDate: Type.Boolean({ description: 'show the date and weekday' }),
    showSeconds: Type.Boolean({ description: 'show seconds' }),
    title: Type.Optional(Type.String({ maxLength: 40 })),
  }),
  defaults: { timeZone: 'Asia/Shanghai', showDate: true, showSeconds: true },
  labels: {
    heading: { 'zh-CN': '大标题', en: 'Heading' },
    timeZone: { 'zh-CN': '时区', en: 'Time zone' },
    showDate: { 'zh-CN': '显示日期', en: 'Show the date' },
    showSeconds: { 'zh-CN': '显示秒', en: 'Show seconds' },
  },
  migrations: {},
  queries: () => ({}),
})
