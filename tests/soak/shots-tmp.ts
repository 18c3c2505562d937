import { launchChromium } from '../helpers/chromium.ts'
const url = process.env.URL ?? 'http://127.0.0.1:3900'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const which = (process.env.SHOTS ?? 'manufacturing,retail,ecommerce').split(',')
const widgets = (process.env.WIDGETS ?? '').split(',').filter(Boolean)
for (const [w, h, tag] of [
  [1920, 1080, '1080p'],
  [3840, 2160, '4k'],
] as const) {
  const b = await launchChromium({ width: w, height: h })
  const page = await b.context.newPage()
  for (const t of which) {
    await page.goto(`${url}/wall/${t}?kiosk=1`)
    await sleep(8000)
    await page.screenshot({ path: `/tmp/shots/${t}-${tag}.png` })
    if (tag === '1080p')
      for (const id of widgets) {
        const el = page.locator(`[data-widget="${id}"]`).first()
        if (await el.count()) await el.screenshot({ path: `/tmp/shots/widget-${id}.png` })
      }
  }
  await b.close()
}
if (process.env.TABLET) {
  const b = await launchChromium({ width: 768, height: 1024 }, 2)
  const page = await b.context.newPage()
  await page.goto(`${url}/tablet/${which[0]}`)
  await sleep(8000)
  await page.screenshot({ path: `/tmp/shots/tablet-portrait.png` })
  await b.close()
}
process.exit(0)
