import { chromium } from 'playwright-core'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
const [, , url, out, w, h, selector] = process.argv
const ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'shot-')), { executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'], viewport: { width: Number(w), height: Number(h) } })
const page = await ctx.newPage()
await page.goto(url)
await page.waitForTimeout(7000)
if (selector) await page.locator(selector).first().screenshot({ path: out })
else await page.screenshot({ path: out })
await ctx.close()
