/** Titles by language on screens and widget instances: optional, kept when stored, checked. */
import { describe, expect, test } from 'vitest'
import { Compile } from 'typebox/compile'
import { Query } from '../../protocol/query.ts'
import type { Query as QueryType } from '../../protocol/query.ts'
import { titleFor } from '../../protocol/screen.ts'
import type { ScreenDefinition } from '../../protocol/screen.ts'
import { checkScreenBody } from '../../server/screens/validate.ts'
import { TEMPLATES } from '../../widgets/templates/index.ts'

const queryCheck = Compile(Query)
const parseQuery = (q: unknown): QueryType => {
  if (!queryCheck.Check(q)) throw new Error('bad query')
  return q
}

const plain: ScreenDefinition = {
  id: 'titles',
  title: '销售',
  design: { width: 1920, height: 1080 },
  theme: 'dark',
  grid: { columns: 12, rows: 12 },
  widgets: [{ id: 'revenue', widget: 'kpi-card', options: { metric: 'sales.revenue', window: 'today', title: '今日销售收入' }, x: 0, y: 0, w: 2, h: 2 }],
}

describe('titles by language', () => {
  test('a screen with plain titles only is valid as before', () => {
    const check = checkScreenBody(plain, plain.id, parseQuery)
    expect(check.ok).toBe(true)
    if (check.ok) expect(check.screen.widgets[0]).not.toHaveProperty('titles')
  })

  test('titles on the screen and on a widget are kept when the screen is checked', () => {
    const localized = { ...plain, titles: { en: 'Sales' }, widgets: [{ ...plain.widgets[0]!, titles: { 'zh-CN': '销售收入', en: 'Revenue today' } }] }
    const check = checkScreenBody(localized, plain.id, parseQuery)
    expect(check.ok).toBe(true)
    if (!check.ok) return
    expect(check.screen.titles).toEqual({ en: 'Sales' })
    expect(check.screen.widgets[0]!.titles).toEqual({ 'zh-CN': '销售收入', en: 'Revenue today' })
  })

  test.each([
    ['an unknown language', { fr: 'Ventes' }, '/widgets/0/titles/fr'],
    ['an empty title', { en: '' }, '/widgets/0/titles/en'],
    ['a plain string', 'Revenue', '/widgets/0/titles'],
  ])('%s is refused at its path', (_name, titles, path) => {
    const check = checkScreenBody({ ...plain, widgets: [{ ...plain.widgets[0]!, titles }] }, plain.id, parseQuery)
    expect(check.ok).toBe(false)
    if (!check.ok) expect(check.errors.map((e) => e.path)).toContain(path)
  })

  test("a language's own title wins, else the plain one", () => {
    expect(titleFor({ en: 'Revenue today' }, 'en', '今日销售收入')).toBe('Revenue today')
    expect(titleFor({ en: 'Revenue today' }, 'zh-CN', '今日销售收入')).toBe('今日销售收入')
    expect(titleFor(undefined, 'en', '今日销售收入')).toBe('今日销售收入')
    expect(titleFor(undefined, 'en')).toBeUndefined()
  })

  test('every template names itself and each widget in English, and stays a valid screen', () => {
    for (const t of TEMPLATES) {
      expect(t.titles?.en, t.id).toMatch(/^[\x20-\x7e]+$/)
      for (const w of t.widgets) expect(w.titles?.en, `${t.id}/${w.id}`).toMatch(/^[\x20-\x7e×]+$/)
      const check = checkScreenBody(t, t.id, parseQuery)
      expect(check.ok, JSON.stringify(check.ok ? [] : check.errors)).toBe(true)
    }
  })
})
