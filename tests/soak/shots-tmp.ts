import { launchChromium } from '../helpers/chromium.ts'
const url = process.env.URL ?? 'http://127.0.0.1:3900'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const which = (process.env.SHOTS ?? 'manufacturing,retail,ecommerce').split(',')
for (const [w, h, tag] of [[1920, 1080, '1080p'], [3840, 2160, '4k']] as const) {
  const b = await launchChromium({ width: w, height: h })
  const page = await b.context.newPage()
  for (const t of which) {
    await page.goto(`${url}/wall/${t}?kiosk=1${process.env.LANG_EN ? '&lang=en' : ''}`)
    await sleep(6000)
    await page.screenshot({ path: `/tmp/shots/${t}-${tag}.png` })
  }
  await b.close()
}
const b = await launchChromium({ width: 768, height: 1024 }, 2)
const page = await b.context.newPage()
await page.goto(`${url}/tablet/retail`)
await sleep(6000)
await page.screenshot({ path: `/tmp/shots/tablet-portrait.png`, fullPage: false })
await b.close()
process.exit(0)
