/**
 * Backfill through `npm run import` (server/cli/import.ts) into a real server and Redis: a year of
 * history two years back, as NDJSON and CSV, with bad lines; month totals read back through
 * POST /api/v1/query; the report of rejected lines; interrupt-and-resume counts nothing twice.
 */
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { checkpointPath, runImport } from '../../server/cli/import.ts'
import type { ReportLine } from '../../server/cli/import.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

const root = new URL('../../', import.meta.url).pathname
const dir = mkdtempSync(join(tmpdir(), 'cockpit-import-'))
const YEAR = 2024

interface History {
  lines: string[]
  /** expected cash.in and sales.revenue per month, in cents */
  cashIn: number[]
  revenue: number[]
  /** line numbers (1-based) the report must list */
  bad: number[]
  good: number
  /** lines whose id repeats an earlier line */
  repeats: number
}

const day = (d: number) => {
  const t = new Date(Date.UTC(YEAR, 0, 1 + d))
  return { iso: t.toISOString().slice(0, 10), month: t.getUTCMonth() }
}

/** A year of daily payments and shipments, with bad lines and a cancel mixed in. */
function history(idPrefix: string): History {
  const h: History = { lines: [], cashIn: Array(12).fill(0), revenue: Array(12).fill(0), bad: [], good: 0, repeats: 0 }
  const push = (m: unknown, kind: 'good' | 'bad' | 'repeat' = 'good') => {
    h.lines.push(typeof m === 'string' ? m : JSON.stringify(m))
    if (kind === 'bad') h.bad.push(h.lines.length)
    else if (kind === 'repeat') h.repeats++
    else h.good++
  }
  for (let d = 0; d < 366; d++) {
    const { iso, month } = day(d)
    const amountCents = (d % 97) * 100 + 37
    push({ id: `${idPrefix}-p${d}`, type: 'payment_in', occurredAt: `${iso}T23:59:59+08:00`, amount: amountCents / 100, partner: 'C1' })
    h.cashIn[month]! += amountCents
    const price = 10 + (d % 5)
    push({ id: `${idPrefix}-s${d}`, type: 'sales_shipment', occurredAt: `${iso}T00:00:00+08:00`, sku: 'SKU-1', warehouse: 'W1', qty: 2, unitPrice: price, unitCost: 6 })
    h.revenue[month]! += 2 * price * 100
    if (d % 50 === 7) {
      // a payment in USD (7 CNY) and its cancel right after: the importer must post them apart
      push({ id: `${idPrefix}-usd${d}`, type: 'payment_in', occurredAt: `${iso}T12:00:00+08:00`, amount: 10, currency: 'USD' })
      push({ id: `${idPrefix}-x${d}`, type: 'cancel', occurredAt: `${iso}T13:00:00+08:00`, cancels: `${idPrefix}-usd${d}` })
    }
    if (d % 60 === 11) {
      push('{"id": "broken", "type": ', 'bad')
      push({ id: `${idPrefix}-neg${d}`, type: 'sales_shipment', occurredAt: `${iso}T10:00:00+08:00`, sku: 'SKU-1', warehouse: 'W1', qty: -1, unitPrice: 1 }, 'bad')
      push({ id: `${idPrefix}-gbp${d}`, type: 'payment_in', occurredAt: `${iso}T10:00:00+08:00`, amount: 1, currency: 'GBP' }, 'bad')
      push({ id: `${idPrefix}-c${d}`, type: 'cancel', occurredAt: `${iso}T10:00:00+08:00`, cancels: 'never-seen' }, 'bad')
      push({ id: `${idPrefix}-p${d}`, type: 'payment_in', occurredAt: `${iso}T23:59:59+08:00`, amount: amountCents / 100, partner: 'C1' }, 'repeat')
      h.lines.push('') // blank lines are skipped
    }
  }
  return h
}

const COLUMNS = ['id', 'type', 'occurredAt', 'sku', 'warehouse', 'qty', 'unitPrice', 'unitCost', 'amount', 'currency', 'partner', 'cancels']
function toCsv(h: History): string {
  const cell = (v: unknown) => {
    if (v === undefined) return ''
    const s = String(v)
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }
  const rows = h.lines.map((l) => {
    if (l === '') return ''
    let m: Record<string, unknown>
    try {
      m = JSON.parse(l) as Record<string, unknown>
    } catch {
      return 'broken,payment_in,not-a-date,,,,,,abc' // still a bad line, by its fields
    }
    return COLUMNS.map((c) => cell(m[c])).join(',')
  })
  return `${COLUMNS.join(',')}\n${rows.join('\n')}\n`
}

let server: TestServer
beforeAll(async () => {
  server = await startTestServer({ COCKPIT_FX_RATES: `USD:${YEAR}-01-01:7` })
})
afterAll(async () => {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

async function monthTotals(metric: string, filter?: unknown): Promise<number[]> {
  const res = await fetch(`${server.url}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ metric, from: `${YEAR}-01-01T00:00:00+08:00`, to: `${YEAR + 1}-01-01T00:00:00+08:00`, interval: 'month', ...(filter ? { filter } : {}) }),
  })
  expect(res.status).toBe(200)
  const body = (await res.json()) as { series: { start: string; value: number }[] }
  expect(body.series).toHaveLength(12)
  return body.series.map((s) => Math.round(s.value * 100))
}

async function dayTotal(metric: string, iso: string): Promise<number> {
  const res = await fetch(`${server.url}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ metric, from: `${iso}T00:00:00+08:00`, to: `${iso}T23:59:59+08:00`, interval: 'day' }),
  })
  return Math.round(((await res.json()) as { total: number }).total * 100)
}

const readReport = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ReportLine)

describe('npm run import', () => {
  test('NDJSON: a year of history lands in its months; bad lines reported; interrupted and resumed, nothing counted twice', async () => {
    const h = history('nd')
    const file = join(dir, 'history.ndjson')
    writeFileSync(file, `${h.lines.join('\n')}\n`)
    const opts = { file, url: server.url, key: server.ingestKey, batchSize: 100 }

    const first = await runImport({ ...opts, limit: 250 })
    expect(first.complete).toBe(false)
    expect(first.lines).toBe(250)
    expect(existsSync(checkpointPath(file))).toBe(true)

    const second = await runImport(opts)
    expect(second.complete).toBe(true)
    expect(second.resumed).toBe(true)
    expect(second.startLine).toBeGreaterThan(250)
    expect(existsSync(checkpointPath(file))).toBe(false)
    const nonBlank = h.lines.filter((l) => l !== '').length
    expect(second).toMatchObject({ lines: nonBlank, accepted: h.good, duplicates: h.repeats, rejected: h.bad.length })

    const report = readReport(second.report)
    expect(report.map((r) => r.line)).toEqual(h.bad)
    expect(report.find((r) => r.id === 'nd-gbp11')?.errors[0]).toMatchObject({ path: '/currency' })
    expect(report.find((r) => r.id === 'nd-c11')?.errors[0]).toMatchObject({ path: '/cancels' })
    expect(report.find((r) => r.id === 'nd-neg11')?.errors[0]).toMatchObject({ path: '/qty' })
    expect(report.find((r) => r.id === null)?.errors[0]?.message).toMatch(/not valid JSON/)

    expect(await monthTotals('cash.in')).toEqual(h.cashIn) // USD payments were cancelled
    expect(await monthTotals('sales.revenue')).toEqual(h.revenue)
    // a payment at 23:59:59 +08:00 is in its own day, not the next
    expect(await dayTotal('cash.in', `${YEAR}-03-01`)).toBe((60 % 97) * 100 + 37)

    // re-running the whole file applies nothing again
    const again = await runImport(opts)
    expect(again).toMatchObject({ complete: true, resumed: false, startLine: 1, accepted: 0, duplicates: h.good + h.repeats, rejected: h.bad.length })
    expect(await monthTotals('cash.in')).toEqual(h.cashIn)
  })

  test('several batches in flight: the same figures, report and checkpoints as one at a time', async () => {
    const other = await startTestServer({ COCKPIT_FX_RATES: `USD:${YEAR}-01-01:7` })
    try {
      const h = history('cc')
      const file = join(dir, 'concurrent.ndjson')
      writeFileSync(file, `${h.lines.join('\n')}\n`)
      // small batches, many in flight: cancels land batches after what they cancel
      const opts = { file, url: other.url, key: other.ingestKey, batchSize: 7, concurrency: 8, report: join(dir, 'concurrent-rejected.ndjson') }
      const first = await runImport({ ...opts, limit: 333 })
      expect(first.complete).toBe(false)
      const second = await runImport(opts)
      expect(second).toMatchObject({ complete: true, resumed: true, accepted: h.good, duplicates: h.repeats, rejected: h.bad.length })
      expect(readReport(opts.report).map((r) => r.line)).toEqual(h.bad)
      const totals = async (metric: string) => {
        const res = await fetch(`${other.url}/api/v1/query`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ metric, from: `${YEAR}-01-01T00:00:00+08:00`, to: `${YEAR + 1}-01-01T00:00:00+08:00`, interval: 'month' }),
        })
        return ((await res.json()) as { series: { value: number }[] }).series.map((p) => Math.round(p.value * 100))
      }
      expect(await totals('cash.in')).toEqual(h.cashIn)
      expect(await totals('sales.revenue')).toEqual(h.revenue)
      await expect(runImport({ ...opts, concurrency: 0 })).rejects.toThrow(/--concurrency must be/)
    } finally {
      await other.close()
    }
  })

  test('CSV: header names the fields, numbers parsed, empty cells omitted; resumed from the middle', async () => {
    const h = history('csv')
    const file = join(dir, 'history.csv')
    writeFileSync(file, toCsv(h))
    const opts = { file, url: server.url, key: server.ingestKey, batchSize: 128, report: join(dir, 'csv-rejected.ndjson') }
    const first = await runImport({ ...opts, limit: 401 })
    expect(first.complete).toBe(false)
    const second = await runImport(opts)
    expect(second).toMatchObject({ complete: true, accepted: h.good, duplicates: h.repeats, rejected: h.bad.length })
    // CSV line numbers count the header: data line n of the history is file line n + 1
    expect(readReport(opts.report).map((r) => r.line)).toEqual(h.bad.map((n) => n + 1))
    // both imports together: twice the NDJSON figures, nothing more
    expect(await monthTotals('cash.in')).toEqual(h.cashIn.map((c) => 2 * c))
    expect(await monthTotals('sales.revenue')).toEqual(h.revenue.map((c) => 2 * c))
  })

  test('the command line: progress, the final report, exit 3 when stopped early and 0 when done', async () => {
    const file = join(dir, 'sample.ndjson')
    writeFileSync(file, readFileSync(join(root, 'mock-feeds/samples/movements.ndjson')))
    const run = (...args: string[]) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/import.ts', file, '--url', server.url, '--key', server.ingestKey, ...args], {
          cwd: root,
          env: { ...process.env, NODE_OPTIONS: '' },
        })
        let out = ''
        child.stdout.on('data', (d: Buffer) => (out += d.toString()))
        child.stderr.on('data', (d: Buffer) => (out += d.toString()))
        child.on('exit', (code) => resolve({ code, out }))
      })
    const stopped = await run('--limit', '5', '--batch', '2')
    expect(stopped.code).toBe(3)
    expect(stopped.out).toMatch(/import stopped/)
    const done = await run('--batch', '2')
    expect(done.out).toMatch(/import complete.*resumed at line 6/)
    expect(done.out).toMatch(/rejected\s+0/)
    expect(done.code).toBe(0)
  })

  test('a 503 is retried with backoff until the cockpit takes the batch', async () => {
    const file = join(dir, 'retry.ndjson')
    writeFileSync(file, readFileSync(join(root, 'mock-feeds/samples/movements.ndjson')))
    const bodies: number[] = []
    // a cockpit whose Redis is down for the first two attempts
    const stub = createServer((req, res) => {
      let body = ''
      req.on('data', (d: Buffer) => (body += d.toString()))
      req.on('end', () => {
        const batch = JSON.parse(body) as unknown[]
        bodies.push(batch.length)
        if (bodies.length <= 2) {
          res.writeHead(503, { 'retry-after': '0', 'content-type': 'application/json' })
          return res.end(JSON.stringify({ error: 'COCKPIT_ERR_REDIS_UNAVAILABLE', message: 'Redis is unavailable' }))
        }
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ accepted: batch.length, duplicates: 0 }))
      })
    })
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = stub.address() as AddressInfo
      const result = await runImport({ file, url: `http://127.0.0.1:${port}`, key: 'k' })
      expect(result).toMatchObject({ complete: true, accepted: 14, retries: 2, rejected: 0 })
      // the same batch sent again; the sample's last line cancels a line of that batch: it goes in the next
      expect(bodies).toEqual([13, 13, 13, 1])
    } finally {
      stub.close()
    }
  })

  test('Ctrl-C finishes the batch in flight, keeps the checkpoint and exits 3; the next run resumes', async () => {
    const h = history('sig')
    const file = join(dir, 'interrupted.ndjson')
    writeFileSync(file, `${h.lines.join('\n')}\n`)
    const seen = new Set<string>()
    let posts = 0
    // a slow cockpit: each batch takes 150 ms
    const stub = createServer((req, res) => {
      let body = ''
      req.on('data', (d: Buffer) => (body += d.toString()))
      req.on('end', () => {
        posts++
        const batch = JSON.parse(body) as { id: string }[]
        let duplicates = 0
        for (const m of batch) {
          if (seen.has(m.id)) duplicates++
          seen.add(m.id)
        }
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json' })
          res.end(JSON.stringify({ accepted: batch.length - duplicates, duplicates }))
        }, 150)
      })
    })
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = stub.address() as AddressInfo
      const args = ['--import', 'tsx', 'server/cli/import.ts', file, '--url', `http://127.0.0.1:${port}`, '--key', 'k', '--batch', '20']
      const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, NODE_OPTIONS: '' } })
      let out = ''
      child.stdout.on('data', (d: Buffer) => (out += d.toString()))
      while (posts < 3) await new Promise((r) => setTimeout(r, 50))
      child.kill('SIGINT')
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
      expect(out).toMatch(/import stopped/)
      expect(code).toBe(3)
      expect(existsSync(checkpointPath(file))).toBe(true)
      const postsBefore = posts
      expect(postsBefore).toBeLessThan(30)

      const rest = await runImport({ file, url: `http://127.0.0.1:${port}`, key: 'k', batchSize: 1000 })
      // the only duplicates are the file's own repeated ids: no batch was sent twice
      expect(rest).toMatchObject({ complete: true, resumed: true, duplicates: h.repeats })
      expect(rest.accepted).toBe(seen.size)
    } finally {
      stub.close()
    }
  })
})
