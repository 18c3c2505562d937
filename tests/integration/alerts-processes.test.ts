/**
 * Alerts with two real server processes on one Redis (node server/main.ts twice): a rule saved
 * through one, movements ingested through the other; the rule is evaluated and its transition
 * recorded once, and the local WeCom-format receiver gets exactly one message.
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { AlertsOverview } from '../../protocol/alerts.ts'
import { useTwoServerProcesses } from '../helpers/server.ts'

const received: { content: string }[] = []
let receiver: Server
const port = 20000 + Math.floor(Math.random() * 20000)

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let raw = ''
    req.on('data', (c: Buffer) => (raw += c.toString()))
    req.on('end', () => {
      received.push((JSON.parse(raw) as { markdown: { content: string } }).markdown)
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"errcode":0}')
    })
  })
  await new Promise<void>((r) => receiver.listen(port, '127.0.0.1', r))
})
afterAll(async () => {
  await new Promise<void>((r) => receiver?.close(() => r()))
})

const servers = useTwoServerProcesses('alerts', { PROC_WECOM_URL: `http://127.0.0.1:${port}/cgi-bin/webhook/send?key=k`, COCKPIT_ALERT_RETRY_MS: '50' })

async function call(base: string, method: string, path: string, body?: unknown, key = 'ak') {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}

describe('two server processes', () => {
  test('a rule saved on one fires on movements ingested through the other: one transition, one message', async () => {
    const { a, b } = servers
    expect((await call(a.url, 'PUT', '/api/v1/master/skus', [{ code: 'P-1', name: '双进程商品', safetyStock: 10 }])).status).toBe(200)
    expect((await call(a.url, 'PUT', '/api/v1/alert-channels/bot', { kind: 'wecom', urlEnv: 'PROC_WECOM_URL' })).status).toBe(200)
    const put = await call(a.url, 'PUT', '/api/v1/alert-rules/low', {
      title: 'Low stock',
      query: { metric: 'stock.belowSafety' },
      condition: { kind: 'anyGroup', op: 'below' },
      channels: ['bot'],
    })
    expect(put.status, JSON.stringify(put.body)).toBe(200)
    const at = new Date().toISOString()
    const mv = (type: string, qty: number) => ({
      id: randomUUID(),
      type,
      occurredAt: at,
      sku: 'P-1',
      warehouse: 'W1',
      qty,
      ...(type === 'purchase_receipt' ? { unitCost: 2 } : { unitPrice: 5 }),
    })
    expect((await call(b.url, 'POST', '/api/v1/movements', [mv('purchase_receipt', 20)], 'ik')).status).toBe(200)
    // several batches in a row through the other process (each notice reaches both); only the last goes below 10
    for (const qty of [5, 4, 2]) expect((await call(b.url, 'POST', '/api/v1/movements', [mv('sales_shipment', qty)], 'ik')).status).toBe(200)
    const until = Date.now() + 10_000
    while (received.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50))
    await new Promise((r) => setTimeout(r, 2000))
    expect(received).toHaveLength(1)
    expect(received[0]!.content).toContain('双进程商品 @ W1 (P-1|W1): 9 / 阈值 threshold 10')
    for (const base of [a.url, b.url]) {
      const overview = (await call(base, 'GET', '/api/v1/alerts')).body as AlertsOverview
      expect(overview.transitions.filter((t) => t.rule === 'low').map((t) => t.to)).toEqual(['firing'])
      expect(overview.states.find((s) => s.rule === 'low')?.state).toBe('firing')
    }
  })
})
