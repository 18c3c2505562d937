/**
 * A daily 08:00 report subscription of the retail wall, triggered by hand (docs/reports.md
 * "Scheduled reports"), rendered by the server's own Chromium from the built screen: a local
 * WeCom-format receiver gets one image message (a valid 1920×1080 PNG of the drawn wall, its md5
 * matching) and one markdown message with the KPI summary and the link; a local SMTP server
 * (smtp-server) gets one mail with the same PNG attached and the summary in its body.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { ReportRun } from '../../protocol/report-subscriptions.ts'
import { ARTIFACTS, CHROMIUM, launchChromium, screenshot } from '../helpers/chromium.ts'
import { decodePng, pixelStats, pngSize } from '../helpers/png.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { seed } from './wall-support.ts'

const wecom: { msgtype: string; image?: { base64: string; md5: string }; markdown?: { content: string } }[] = []
const mails: { to: string[]; source: string }[] = []
let http: Server
let smtp: SMTPServer
let server: TestServer

beforeAll(async () => {
  http = createServer((req, res) => {
    let raw = ''
    req.on('data', (c: Buffer) => (raw += c.toString()))
    req.on('end', () => {
      wecom.push(JSON.parse(raw) as (typeof wecom)[number])
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"errcode":0,"errmsg":"ok"}')
    })
  })
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 20 * 1024 * 1024,
    onData(stream, session, done) {
      let source = ''
      stream.on('data', (c: Buffer) => (source += c.toString()))
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), source })
        done()
      })
    },
  })
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r))
  server = await startTestServer({
    COCKPIT_CHROMIUM_PATH: CHROMIUM,
    COCKPIT_PUBLIC_URL: 'https://cockpit.example.com',
    E2E_WECOM_URL: `http://127.0.0.1:${(http.address() as AddressInfo).port}/cgi-bin/webhook/send?key=k`,
    E2E_SMTP_URL: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
  })
  for (let i = 0; i < 100 && !server.app.screens.seeded; i++) await new Promise((r) => setTimeout(r, 50))
  await seed(server.url, server.adminKey, server.ingestKey)
  mkdirSync(ARTIFACTS, { recursive: true })
})

afterAll(async () => {
  await server?.close()
  await new Promise<void>((r) => http.close(() => r()))
  await new Promise<void>((r) => smtp.close(() => r()))
})

async function put(path: string, body: unknown): Promise<void> {
  const res = await fetch(server.url + path, {
    method: 'PUT',
    headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  expect(res.status, await res.text()).toBe(200)
}

/** The attachment of a MIME message: its headers and its bytes (base64 part). */
function attachment(source: string): { headers: string; bytes: Buffer } {
  const m = /\r\n((?:Content-[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*)*Content-Disposition: attachment[^]*?)\r\n\r\n([A-Za-z0-9+/=\r\n]+?)\r\n--/.exec(source)
  if (!m) throw new Error('no attachment in the mail')
  return { headers: m[1]!, bytes: Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64') }
}

describe('a daily 08:00 report of the retail wall, sent by hand', () => {
  test('WeCom gets the PNG (md5 matching) and the KPI summary; email gets the PNG attached', async () => {
    await put('/api/v1/alert-channels/wecom-boss', { kind: 'wecom', urlEnv: 'E2E_WECOM_URL' })
    await put('/api/v1/alert-channels/mail-boss', { kind: 'email', smtpEnv: 'E2E_SMTP_URL', to: ['boss@example.com'], from: 'cockpit@example.com' })
    await put('/api/v1/report-subscriptions/retail-daily', { title: '零售日报', screen: 'retail', cron: '0 8 * * *', channels: ['wecom-boss', 'mail-boss'] })
    const res = await fetch(`${server.url}/api/v1/report-subscriptions/retail-daily/run`, { method: 'POST', headers: { authorization: `Bearer ${server.adminKey}` } })
    expect(res.status).toBe(202)
    const { run } = (await res.json()) as { run: string }

    await expect.poll(() => wecom.length + mails.length, { timeout: 60_000, interval: 200 }).toBe(3)
    await new Promise((r) => setTimeout(r, 1500))
    expect(wecom).toHaveLength(2)
    expect(mails).toHaveLength(1)

    const image = wecom.find((m) => m.msgtype === 'image')!.image!
    const png = Buffer.from(image.base64, 'base64')
    writeFileSync(`${ARTIFACTS}report-retail.png`, png)
    expect(createHash('md5').update(png).digest('hex')).toBe(image.md5)
    expect(png.length).toBeLessThanOrEqual(2 * 1024 * 1024)
    expect(pngSize(png)).toEqual({ width: 1920, height: 1080 })
    const stats = pixelStats(decodePng(png))
    expect(stats.nonBackground).toBeGreaterThan(0.2)
    expect(stats.colours).toBeGreaterThan(200)

    const summary = await server.app.snapshots.summarize('retail', 'zh')
    expect(summary).toMatch(/¥/)
    const markdown = wecom.find((m) => m.msgtype === 'markdown')!.markdown!.content
    expect(markdown).toContain('零售日报')
    expect(markdown).toContain(summary.split(' · ')[0])
    expect(markdown).toContain('[打开大屏 Open screen](https://cockpit.example.com/wall/retail)')
    expect(markdown).not.toContain('No picture')

    const mail = mails[0]!
    expect(mail.to).toEqual(['boss@example.com'])
    expect(mail.source).toMatch(/^Subject: =\?UTF-8\?/m)
    const file = attachment(mail.source)
    expect(file.headers).toMatch(/image\/png/)
    expect(file.headers).toMatch(/retail-\d{8}-\d{4}\.png/)
    expect(createHash('md5').update(file.bytes).digest('hex')).toBe(image.md5)

    const runs = (await (await fetch(`${server.url}/api/v1/report-runs`, { headers: { authorization: `Bearer ${server.adminKey}` } })).json()) as ReportRun[]
    expect(runs.find((r) => r.run === run && r.status !== 'queued')).toMatchObject({ status: 'rendered', trigger: 'manual', bytes: png.length })
  })
})

describe('the /alerts page', () => {
  test('adds a daily 08:00 subscription (screen, time, channel) and sends it now', async () => {
    const browser = await launchChromium({ width: 1400, height: 1000 })
    try {
      const page = await browser.context.newPage()
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(e.message))
      await page.goto(`${server.url}/alerts?lang=zh-CN`)
      await page.locator('[data-testid="alerts-sign-in"] input[name="key"]').fill(server.adminKey)
      await page.locator('[data-testid="alerts-sign-in"] button[type="submit"]').click()
      const form = page.locator('[data-testid="report-form"]')
      await form.locator('input[name="reportId"]').fill('retail-morning')
      await form.locator('input[name="reportScreen"]').fill('retail')
      await form.locator('input[name="reportTime"]').fill('08:00')
      await form.locator('select[name="reportChannel"]').selectOption('wecom-boss')
      await form.locator('button[type="submit"]').click()
      const row = page.locator('[data-subscription="retail-morning"]')
      await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1)
      expect(await page.locator('[data-testid="report-error"]').count()).toBe(0)
      expect(await row.locator('code').textContent()).toBe('0 8 * * *')
      expect(await row.textContent()).toMatch(/\d{4}-\d{2}-\d{2} 08:00/)
      await screenshot(page, 'report-subscriptions-ui')
      const before = wecom.length
      await row.locator('[data-testid="send-now"]').click()
      await expect.poll(() => page.locator('[data-testid="reports-notice"]').textContent()).toContain('retail-morning')
      await expect.poll(() => wecom.length, { timeout: 60_000, interval: 200 }).toBe(before + 2)
      expect(errors).toEqual([])
    } finally {
      await browser.close()
    }
  })
})
