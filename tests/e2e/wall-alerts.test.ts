/**
 * Alerts as a new user meets them, in Chromium against the real server and the built screen: a
 * WeCom channel and the rule "any store SKU below safety stock for 3 s" set from `/alerts`,
 * movements make a SKU fall below, one grouped message reaches a local WeCom-format receiver,
 * the retail wall shows the ticker and the stock-alerts widget takes the alert colour (saved as a
 * screenshot), and a receipt resolves it: the ticker goes, a "resolved" message arrives.
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { launchChromium, screenshot } from '../helpers/chromium.ts'
import type { Browser } from '../helpers/chromium.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { call, cst, kpiText, seed, shipment } from './wall-support.ts'

let server: TestServer
let browser: Browser
let receiver: Server
const messages: { key: string | null; body: { msgtype: string; markdown: { content: string } } }[] = []

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let raw = ''
    req.on('data', (c: Buffer) => (raw += c.toString()))
    req.on('end', () => {
      messages.push({ key: new URL(req.url ?? '/', 'http://x').searchParams.get('key'), body: JSON.parse(raw) })
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"errcode":0,"errmsg":"ok"}')
    })
  })
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
  const port = (receiver.address() as AddressInfo).port
  server = await startTestServer({ E2E_WECOM_URL: `http://127.0.0.1:${port}/cgi-bin/webhook/send?key=store-bot` })
  await seed(server.url, server.adminKey, server.ingestKey)
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await new Promise<void>((r) => receiver?.close(() => r()))
})

const receipt = (sku: string, qty: number, warehouse = 'W1') => ({ id: randomUUID(), type: 'purchase_receipt', occurredAt: cst(Date.now()), sku, warehouse, qty, unitCost: 2 })

describe('alerts from the UI to the wall', () => {
  test('a rule set on /alerts fires on movements, one message arrives, the wall shows it, a receipt resolves it', async () => {
    const editor = await browser.context.newPage()
    const errors: string[] = []
    editor.on('pageerror', (e) => errors.push(e.message))
    await editor.goto(`${server.url}/alerts?lang=zh-CN`)
    await editor.locator('[data-testid="alerts-sign-in"] input[name="key"]').fill(server.adminKey)
    await editor.locator('[data-testid="alerts-sign-in"] button[type="submit"]').click()

    // a channel: the WeCom group bot whose URL sits in an environment variable
    const channelForm = editor.locator('[data-testid="alert-channel-form"]')
    await channelForm.locator('input[name="channelId"]').fill('store-bot')
    await channelForm.locator('select[name="kind"]').selectOption('wecom')
    await channelForm.locator('input[name="urlEnv"]').fill('E2E_WECOM_URL')
    await channelForm.locator('button[type="submit"]').click()
    await expect.poll(() => editor.locator('[data-channel="store-bot"]').count()).toBe(1)

    // the rule: any store SKU below safety stock for 3 s (0.05 min) → the bot
    const form = editor.locator('[data-testid="alert-rule-form"]')
    await form.locator('input[name="id"]').fill('store-low-stock')
    await form.locator('input[name="title"]').fill('门店 SKU 低于安全库存')
    await form.locator('select[name="preset"]').selectOption('belowSafety')
    await form.locator('input[name="warehouse"]').fill('W1')
    await form.locator('input[name="forMinutes"]').fill('0.05')
    await form.locator('input[name="channel-store-bot"]').check()
    await form.locator('input[name="screen"]').fill('retail')
    await form.locator('[data-testid="save-rule"]').click()
    await expect.poll(() => editor.locator('[data-rule="store-low-stock"]').count()).toBe(1)
    expect(await editor.locator('[data-testid="rule-error"]').count()).toBe(0)
    await expect.poll(() => editor.locator('[data-rule="store-low-stock"] [data-testid="rule-state"]').textContent()).toBe('ok')

    const wall = await browser.context.newPage()
    wall.on('pageerror', (e) => errors.push(e.message))
    await wall.goto(`${server.url}/wall/retail`)
    await expect.poll(() => kpiText(wall), { timeout: 10_000 }).toMatch(/^¥/)
    expect(await wall.locator('[data-testid="alert-banner"]').count()).toBe(0)

    // 矿泉水 at the store falls to 5 (safety stock 10)
    await call(server.url, '/api/v1/movements', [shipment('A1', 935, 3.5)], server.ingestKey)
    const banner = wall.locator('[data-testid="alert-banner"]')
    await expect.poll(() => banner.count(), { timeout: 15_000 }).toBe(1)
    await expect.poll(() => banner.textContent()).toContain('门店 SKU 低于安全库存')
    expect(await banner.textContent()).toContain('矿泉水 550ml @ 上海中心仓 5/10')
    await expect.poll(() => wall.locator('[data-widget="stock-alerts"][data-alerting="true"]').count()).toBeGreaterThan(0)
    await wall.waitForTimeout(600)
    await screenshot(wall, 'wall-alert-banner')

    await expect.poll(() => messages.length, { timeout: 5000 }).toBe(1)
    expect(messages[0]!.key).toBe('store-bot')
    expect(messages[0]!.body.msgtype).toBe('markdown')
    expect(messages[0]!.body.markdown.content).toContain('矿泉水 550ml @ 上海中心仓 (A1|W1): 5 / 阈值 threshold 10')
    await expect.poll(() => editor.locator('[data-rule="store-low-stock"] [data-testid="rule-state"]').textContent(), { timeout: 5000 }).toBe('firing')

    // stock received: resolved, the ticker goes, one "resolved" message
    await call(server.url, '/api/v1/movements', [receipt('A1', 100)], server.ingestKey)
    await expect.poll(() => banner.count(), { timeout: 10_000 }).toBe(0)
    await expect.poll(() => messages.length, { timeout: 5000 }).toBe(2)
    expect(messages[1]!.body.markdown.content).toContain('恢复 RESOLVED')
    expect(await wall.locator('[data-widget][data-alerting="true"]').count()).toBe(0)
    expect(errors).toEqual([])
  })
})
