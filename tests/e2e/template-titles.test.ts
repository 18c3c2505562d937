/**
 * The template screens speak the wall's language and their titles fit: with ?lang=en the screen
 * and every widget title are English (the templates' `titles`), in Chinese the plain titles; at
 * 1920×1080 no widget title is cut short (KPI cards two columns wide shrink their title's font).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { TEMPLATES } from '../../widgets/templates/index.ts'
import { launchChromium, screenshot } from '../helpers/chromium.ts'
import type { Browser } from '../helpers/chromium.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { seed } from './wall-support.ts'

let server: TestServer
let browser: Browser

beforeAll(async () => {
  server = await startTestServer()
  await seed(server.url, server.adminKey, server.ingestKey)
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

const CJK = /[\u3000-\u9fff\uff00-\uffef]/

describe.each(TEMPLATES.map((t) => [t.id, t] as const))('the %s template', (id, template) => {
  test.each([['zh-CN'], ['en']] as const)('in %s: titles of the language, none cut short at 1920×1080', async (lang) => {
    const page = await browser.context.newPage()
    await page.setViewportSize({ width: 1920, height: 1080 })
    await page.goto(`${server.url}/wall/${id}${lang === 'en' ? '?lang=en' : '?lang=zh-CN'}`)
    const scope = '[data-testid="screen"][data-active="true"]'
    await expect.poll(() => page.locator(`${scope} .widget-title h2`).count(), { timeout: 10_000 }).toBe(template.widgets.length)
    await page.evaluate(() => document.fonts.ready)
    await page.waitForTimeout(1500) // data arrives, freshness texts settle, titles refit
    const titles = await page.evaluate(
      (s) =>
        [...document.querySelectorAll(`${s} [data-instance]`)].map((w) => {
          const h2 = w.querySelector('.widget-title h2') as HTMLElement
          // the text's own (fractional) width against its box: scrollWidth rounds, and a text 0.1 px too wide is cut too
          const text = document.createRange()
          text.selectNodeContents(h2)
          const cut = text.getBoundingClientRect().width > h2.getBoundingClientRect().width + 0.01
          return { instance: w.getAttribute('data-instance'), text: h2.textContent ?? '', cut, font: parseFloat(getComputedStyle(h2).fontSize) }
        }),
      scope,
    )
    const screenTitle = (await page.locator(`${scope} [data-testid="screen-title"]`).textContent()) ?? ''
    await screenshot(page, `template-${id}-${lang}`)
    expect(titles.filter((t) => t.cut)).toEqual([])
    for (const t of titles) expect(t.font, `${t.instance}: ${t.text}`).toBeGreaterThanOrEqual(14)
    const expected = template.widgets.map((w) => ({ instance: w.id, text: lang === 'en' ? w.titles?.en : (w.options as { title?: string }).title }))
    expect(titles.map(({ instance, text }) => ({ instance, text }))).toEqual(expected)
    if (lang === 'en') {
      expect(screenTitle).toBe(template.titles?.en)
      for (const t of titles) expect(t.text, t.instance ?? '').not.toMatch(CJK)
    } else {
      expect(screenTitle).toBe(template.title)
    }
    await page.close()
  })
})
