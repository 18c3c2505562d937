/**
 * Hostile uploads against the real server and Redis (issue #13): NDJSON floods refused with a 413
 * while they are still arriving, in bounded memory and without blocking other requests; bodies
 * over the byte limit cut off without a Content-Length; capped rejection lists; codes and ids
 * with markup or control characters refused per field; a malformed entry of the latest-movements
 * list (written before ids had a pattern) no longer breaking `movements.recent` for everybody.
 */
import { request as httpRequest } from 'node:http'
import { performance } from 'node:perf_hooks'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { MAX_NDJSON_BATCH } from '../../protocol/movement.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { probeHealth } from '../helpers/health-probe.ts'

const BODY_LIMIT = 12 * 1024 * 1024
let server: TestServer

beforeAll(async () => {
  server = await startTestServer({ COCKPIT_BODY_LIMIT: String(BODY_LIMIT) })
})
afterAll(async () => {
  await server?.close()
})

const at = (minutesAgo = 1) => new Date(Date.now() - minutesAgo * 60_000).toISOString()
const XSS = '<img src=x onerror=alert(1)>'

async function send(path: string, body: unknown, opts: { key?: string; method?: string; type?: string } = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}${path}`, {
    method: opts.method ?? 'POST',
    headers: { authorization: `Bearer ${opts.key ?? server.ingestKey}`, 'content-type': opts.type ?? 'application/json' },
    body: typeof body === 'string' ? body : body instanceof Uint8Array ? (body as Uint8Array<ArrayBuffer>) : JSON.stringify(body),
  })
  return { status: res.status, body: await res.json() }
}
const ingest = (body: unknown, type?: string) => send('/api/v1/movements', body, type ? { type } : {})
const recent = (top = 500) => send('/api/v1/query', { metric: 'movements.recent', top })

interface StreamOutcome {
  status: number
  body: any
  /** bytes written before the answer came */
  sent: number
  /** ms from the first byte to the answer */
  ms: number
}

/**
 * POSTs NDJSON with `Transfer-Encoding: chunked` (no Content-Length), writing `chunk` until
 * `total` bytes are sent or the server answers, whichever comes first; the answer is awaited
 * without waiting for the upload to finish (a server that stops reading must still be heard).
 */
function streamNdjson(chunk: Buffer, total: number): Promise<StreamOutcome> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(server.url)
    const started = performance.now()
    let sent = 0
    let answered = false
    const req = httpRequest({
      hostname,
      port,
      method: 'POST',
      path: '/api/v1/movements',
      headers: { authorization: `Bearer ${server.ingestKey}`, 'content-type': 'application/x-ndjson', 'transfer-encoding': 'chunked' },
    })
    req.on('response', (res) => {
      answered = true
      const ms = performance.now() - started
      const parts: Buffer[] = []
      res.on('data', (d: Buffer) => parts.push(d))
      res.on('end', () => {
        const text = Buffer.concat(parts).toString()
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, sent, ms })
      })
      res.on('error', reject)
    })
    // once the server answered and closed, writes fail (EPIPE / ECONNRESET): expected
    req.on('error', (err) => {
      if (!answered) reject(err)
    })
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.length
        if (!req.write(chunk)) {
          req.once('drain', pump)
          return
        }
      }
      if (!answered) req.end()
    }
    pump()
  })
}

/**
 * POSTs NDJSON in one piece with a Content-Length through node:http: the buffer goes to the socket
 * as it is (fetch would copy it first, on the event loop the server shares).
 */
function postNdjson(body: Buffer): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(server.url)
    const req = httpRequest({
      hostname,
      port,
      method: 'POST',
      path: '/api/v1/movements',
      headers: { authorization: `Bearer ${server.ingestKey}`, 'content-type': 'application/x-ndjson', 'content-length': body.length },
    })
    req.on('response', (res) => {
      const parts: Buffer[] = []
      res.on('data', (d: Buffer) => parts.push(d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString()) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

describe('NDJSON floods', () => {
  test('millions of short bad lines: a 413 naming the line limit within seconds, in bounded memory', async () => {
    // 4 M lines "x\n" (8 MB), streamed without Content-Length. Before: an error object per line
    // was built before the limit was checked (minutes, then out of memory at 15 M lines).
    const rssBefore = process.memoryUsage().rss
    const r = await streamNdjson(Buffer.from('x\n'.repeat(32 * 1024)), 8 * 1024 * 1024)
    const grown = process.memoryUsage().rss - rssBefore
    expect(r.status).toBe(413)
    expect(r.body).toEqual({ error: 'COCKPIT_ERR_BATCH_TOO_LARGE', message: expect.stringContaining(String(MAX_NDJSON_BATCH)) })
    expect(r.ms).toBeLessThan(5000)
    // refused once 200,001 lines (≈ 400 KB) were read: the rest of the upload was never needed
    expect(r.sent).toBeLessThan(8 * 1024 * 1024)
    expect(grown).toBeLessThan(64 * 1024 * 1024)
    console.info(`flood: 413 after ${Math.round(r.ms)} ms and ${r.sent} bytes sent; RSS grew ${(grown / 2 ** 20).toFixed(1)} MiB`)
    // the server is fine afterwards
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
  })

  test('an 8 MB body of bad movements is answered 400 with the first 100 rejections while /healthz stays fast', async () => {
    // ≈ 190,000 lines of 44 bytes, just under the line limit: each one parsed and validated. Written
    // into one Buffer up front: the client shares the process, and its garbage would count too.
    const templates = [Buffer.from('{"id":"b0000000","type":"teleport","qty":1}\n'), Buffer.from('{"id":"b0000000","type":"payment_in","x":-1}\n')]
    const body = Buffer.alloc(8 * 1024 * 1024)
    let size = 0
    let count = 0
    for (; size + 64 < body.length; count++) {
      const t = templates[count % 2]!
      t.copy(body, size)
      body.write(String(count).padStart(7, '0'), size + 8, 'latin1')
      size += t.length
    }
    body.fill(0x0a, size)
    expect(count).toBeLessThanOrEqual(MAX_NDJSON_BATCH)
    const before = (await recent()).body.total
    const probe = probeHealth(server.url)
    await new Promise((r) => setTimeout(r, 50))
    const t = performance.now()
    const r = await postNdjson(body)
    const ms = performance.now() - t
    const health = await probe.stop()
    console.info(`8 MB of bad lines: answered in ${Math.round(ms)} ms; /healthz meanwhile (ms): ${health.map(Math.round).join(' ')}`)
    expect(r.status).toBe(400)
    expect(r.body.error).toBe('invalid_movements')
    expect(r.body.rejectedCount).toBe(count)
    expect(r.body.rejected).toHaveLength(100)
    expect(r.body.rejected.map((x: { index: number }) => x.index)).toEqual(Array.from({ length: 100 }, (_, i) => i))
    expect(r.body.message).toContain(`${count} of ${count}`)
    expect(health.length).toBeGreaterThan(3)
    expect(Math.max(...health)).toBeLessThan(100)
    expect((await recent()).body.total).toBe(before)
  })

  test('a chunked body over COCKPIT_BODY_LIMIT is cut off with a 413 naming the limit', async () => {
    // blank lines do not count as movements: only the byte limit can stop this one
    const r = await streamNdjson(Buffer.alloc(64 * 1024, 0x0a), 2 * BODY_LIMIT)
    expect(r.status).toBe(413)
    expect(r.body).toEqual({ error: 'COCKPIT_ERR_BATCH_TOO_LARGE', message: expect.stringContaining(`${BODY_LIMIT} bytes`) })
    expect(r.sent).toBeLessThan(2 * BODY_LIMIT)
    // and with a Content-Length over the limit: refused before the body is read
    const res = await fetch(`${server.url}/api/v1/movements`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.ingestKey}`, 'content-type': 'application/x-ndjson' },
      body: Buffer.alloc(BODY_LIMIT + 1, 0x0a),
    })
    expect(res.status).toBe(413)
  })

  test('lines split anywhere, CRLF, a last line without a break: a good NDJSON body streams in and is applied', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `crlf-${i}-上海`)
    const text = ids.map((id) => JSON.stringify({ id, type: 'payment_in', occurredAt: at(), amount: 1, partner: '华联超市' })).join('\r\n')
    const r = await streamNdjson(Buffer.from(text), Buffer.byteLength(text))
    expect(r).toMatchObject({ status: 200, body: { accepted: 20, duplicates: 0 } })
    const rows = (await recent(20)).body.movements as { id: string }[]
    expect(rows.map((m) => m.id)).toEqual([...ids].reverse())
  })

  test('a line over 64 KiB is one rejection, not a buffer', async () => {
    const good = JSON.stringify({ id: 'long-ok', type: 'payment_in', occurredAt: at(), amount: 1 })
    const r = await ingest(`${good}\n{"id":"${'L'.repeat(70 * 1024)}"}\n${good}\n`, 'application/x-ndjson')
    expect(r.status).toBe(400)
    expect(r.body.rejected).toEqual([{ index: 1, id: null, errors: [{ path: '/', message: 'the line is longer than 65536 bytes' }] }])
    expect(r.body.rejectedCount).toBe(1)
  })
})

describe('other uploads', () => {
  test('a client that goes away mid-body leaves the server well', async () => {
    const { hostname, port } = new URL(server.url)
    await new Promise<void>((resolve) => {
      const req = httpRequest({
        hostname,
        port,
        method: 'POST',
        path: '/api/v1/movements',
        headers: { authorization: `Bearer ${server.ingestKey}`, 'content-type': 'application/x-ndjson', 'transfer-encoding': 'chunked' },
      })
      req.on('error', () => resolve())
      req.write(JSON.stringify({ id: 'gone-1', type: 'payment_in', occurredAt: at(), amount: 1 }) + '\n{"id":"gone-2","ty')
      setTimeout(() => {
        req.destroy()
        resolve()
      }, 100)
    })
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    expect(await ingest([{ id: 'after-gone', type: 'payment_in', occurredAt: at(), amount: 1 }])).toMatchObject({ status: 200, body: { accepted: 1 } })
    // nothing of the broken upload was applied
    expect((await recent()).body.movements.map((m: { id: string }) => m.id)).not.toContain('gone-1')
  })

  test('NDJSON sent to any other route is not read: 415', async () => {
    const r = await send('/api/v1/query', '{"metric":"movements.recent"}\n', { type: 'application/x-ndjson' })
    expect(r.status).toBe(415)
  })
})

describe('rejection lists', () => {
  test('a JSON array over 16 MiB is a 413 before it is parsed, even where COCKPIT_BODY_LIMIT allows more', async () => {
    const roomy = await startTestServer() // the default 64 MiB body limit
    try {
      // one real movement padded with whitespace: valid JSON that would parse in one blocking step
      const body = `[${' '.repeat(17 * 1024 * 1024)}${JSON.stringify({ id: 'padded-1', type: 'payment_in', occurredAt: at(), amount: 1 })}]`
      const res = await fetch(`${roomy.url}/api/v1/movements`, {
        method: 'POST',
        headers: { authorization: `Bearer ${roomy.ingestKey}`, 'content-type': 'application/json' },
        body,
      })
      expect(res.status).toBe(413)
      expect(((await res.json()) as { error: string }).error).toBe('FST_ERR_CTP_BODY_TOO_LARGE')
      // the same movement in a body of ordinary size is applied
      const ok = await fetch(`${roomy.url}/api/v1/movements`, {
        method: 'POST',
        headers: { authorization: `Bearer ${roomy.ingestKey}`, 'content-type': 'application/json' },
        body: `[${JSON.stringify({ id: 'padded-1', type: 'payment_in', occurredAt: at(), amount: 1 })}]`,
      })
      expect(await ok.json()).toEqual({ accepted: 1, duplicates: 0 })
    } finally {
      await roomy.close()
    }
  })

  test('a JSON batch of 300 bad movements lists the first 100 and counts all 300', async () => {
    const bad = Array.from({ length: 300 }, (_, i) => ({ id: `neg-${i}`, type: 'payment_in', occurredAt: at(), amount: -i - 1 }))
    const r = await ingest(bad)
    expect(r.status).toBe(400)
    expect(r.body.rejectedCount).toBe(300)
    expect(r.body.rejected).toHaveLength(100)
    expect(r.body.rejected[0]).toEqual({ index: 0, id: 'neg-0', errors: [{ path: '/amount', message: expect.any(String) }] })
    expect(r.body.rejected[99].index).toBe(99)
    expect(r.body.message).toMatch(/300 of 300 .*first 100/)
  })

  test('a few bad movements are all listed, with the count', async () => {
    const r = await ingest([
      { id: 'ok-1', type: 'payment_in', occurredAt: at(), amount: 1 },
      { id: 'bad-1', type: 'payment_in', occurredAt: at(), amount: 0 },
    ])
    expect(r).toMatchObject({ status: 400, body: { rejectedCount: 1, rejected: [{ index: 1, id: 'bad-1' }] } })
  })
})

describe('codes and ids', () => {
  test('a TAB in a movement id is refused naming /0/id; nothing is applied', async () => {
    const before = (await recent()).body.total
    const r = await ingest([{ id: 'tab\there', type: 'payment_in', occurredAt: at(), amount: 1 }])
    expect(r.status).toBe(400)
    expect(r.body.rejected).toEqual([{ index: 0, id: 'tab\there', errors: [{ path: '/id', message: expect.stringContaining('tab') }] }])
    expect((await recent()).body.total).toBe(before)
  })

  test.each(['sku', 'warehouse', 'category', 'region', 'channel', 'partner', 'toWarehouse'])('markup in %s is refused naming the field', async (field) => {
    const m = { id: `x-${field}`, type: 'transfer', occurredAt: at(), sku: 'S1', warehouse: 'W1', toWarehouse: 'W2', qty: 1, [field]: XSS }
    const r = await ingest([m])
    expect(r.status).toBe(400)
    expect(r.body.rejected).toEqual([{ index: 0, id: `x-${field}`, errors: [{ path: `/${field}`, message: expect.stringMatching(/printable.*<, > or \|/) }] }])
  })

  test('markup in a master-data code is refused naming the field', async () => {
    const r = await send(
      '/api/v1/master/warehouses',
      [
        { code: 'W9', name: '<b>仓</b>' },
        { code: XSS, name: 'x' },
      ],
      { method: 'PUT', key: server.adminKey },
    )
    expect(r.status).toBe(400)
    expect(r.body.errors).toEqual([{ path: '/1/code', message: expect.stringContaining('without control characters, <, > or |') }])
  })

  test('Chinese codes and ids are accepted, stored and queryable', async () => {
    const m = {
      id: '调拨-0001',
      type: 'transfer',
      occurredAt: at(),
      sku: '矿泉水550ml',
      warehouse: '上海仓',
      toWarehouse: '杭州 西湖店',
      qty: 2,
      category: '饮料',
      region: '华东',
      channel: '门店',
    }
    expect(await ingest([m])).toMatchObject({ status: 200, body: { accepted: 1 } })
    const r = await send('/api/v1/query', { metric: 'movements.recent', filter: { warehouse: '杭州 西湖店' } })
    expect(r.status).toBe(200)
    expect(r.body.movements.map((x: { id: string }) => x.id)).toEqual(['调拨-0001'])
  })
})

describe('the latest-movements list', () => {
  test('entries written before ids had a pattern no longer break movements.recent', async () => {
    const good = { id: 'before-bad', type: 'payment_in', occurredAt: at(), amount: 3 }
    expect((await ingest([good])).status).toBe(200)
    const record = { t: 'payment_in', at: Date.now() - 60_000, n: [0, null, null, 50_000], d: { sku: '-', category: '-', warehouse: '-', partner: '-', region: '-', channel: '-' } }
    // as the apply script wrote them: `id TAB record`; an id with a TAB, and entries nobody can read
    await server.app.redis.lpush(`${server.prefix}recent`, `old\tid\t${JSON.stringify(record)}`, 'garbage\t{not json', 'no tab at all', `x\t${JSON.stringify({ t: 'payment_in' })}`)
    const r = await recent()
    expect(r.status).toBe(200)
    const ids = (r.body.movements as { id: string }[]).map((m) => m.id)
    expect(ids.slice(0, 2)).toEqual(['old\tid', 'before-bad'])
    expect(r.body.movements[0]).toMatchObject({ type: 'payment_in', amount: 5 })
    // and the list goes on working for new movements
    expect((await ingest([{ id: 'after-bad', type: 'payment_in', occurredAt: at(), amount: 1 }])).status).toBe(200)
    expect((await recent(1)).body.movements.map((m: { id: string }) => m.id)).toEqual(['after-bad'])
  })
})
