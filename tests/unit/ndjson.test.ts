/**
 * The NDJSON line splitter and stream reader (server/ingest/ndjson.ts): lines cut on bytes as they
 * arrive, whatever the chunking; long lines refused without being buffered; limits that stop the
 * read at once.
 */
import { Readable } from 'node:stream'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { LineSplitter, readNdjson, readNdjsonMovements } from '../../server/ingest/ndjson.ts'
import type { SplitLine } from '../../server/ingest/ndjson.ts'

/** every line the splitter gives for `bytes` cut into `chunks` */
function split(chunks: Buffer[], max = 64): SplitLine[] {
  const s = new LineSplitter(max)
  const out: SplitLine[] = []
  for (const c of chunks) {
    s.push(c)
    for (let l = s.next(); l; l = s.next()) out.push(l)
  }
  s.end()
  for (let l = s.next(); l; l = s.next()) out.push(l)
  return out
}

/** `buf` cut at the given offsets */
function cut(buf: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.filter((p) => p > 0 && p < buf.length))].sort((a, b) => a - b)
  const out: Buffer[] = []
  let from = 0
  for (const p of [...points, buf.length]) {
    out.push(buf.subarray(from, p))
    from = p
  }
  return out
}

const texts = (lines: SplitLine[]) => lines.map((l) => (l.tooLong ? `<too long ${l.index}>` : `${l.index}:${l.text}`))

describe('LineSplitter', () => {
  test('LF and CRLF end lines, blank lines keep their number, the last line needs no break', () => {
    expect(texts(split([Buffer.from('a\r\nb\n\nc\r\n\r\nd')]))).toEqual(['0:a', '1:b', '2:', '3:c', '4:', '5:d'])
    expect(texts(split([Buffer.from('a\n')]))).toEqual(['0:a'])
    expect(texts(split([]))).toEqual([])
    // a CR at the end of one chunk and the LF at the start of the next
    expect(texts(split([Buffer.from('a\r'), Buffer.from('\nb')]))).toEqual(['0:a', '1:b'])
  })

  test('a multi-byte UTF-8 character split across chunks stays whole, at every cut', () => {
    const text = '{"sku":"上海仓-€-𝄞"}\n{"n":"华东"}'
    const buf = Buffer.from(text)
    for (let i = 1; i < buf.length; i++) {
      expect(texts(split(cut(buf, [i])))).toEqual(['0:{"sku":"上海仓-€-𝄞"}', '1:{"n":"华东"}'])
    }
  })

  test('any chunking gives the lines of the whole', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 20 }), { maxLength: 20 }), fc.array(fc.nat(400), { maxLength: 10 }), (lines, cuts) => {
        const clean = lines.map((l) => l.replace(/[\r\n]/g, ''))
        const buf = Buffer.from(clean.join('\n'))
        const whole = texts(split([buf], 1000))
        expect(texts(split(cut(buf, cuts), 1000))).toEqual(whole)
        expect(whole).toEqual(buf.length === 0 ? [] : clean.map((l, i) => `${i}:${l}`).slice(0, clean.length - (clean.at(-1) === '' ? 1 : 0)))
      }),
    )
  })

  test('a line over the limit is one rejection, reported once, and its bytes are not kept', () => {
    const long = 'x'.repeat(100)
    // in one chunk, across many chunks, and as the last line without a break
    expect(texts(split([Buffer.from(`a\n${long}\nb`)]))).toEqual(['0:a', '<too long 1>', '2:b'])
    expect(texts(split(cut(Buffer.from(`a\n${long}\nb`), [3, 10, 40, 70, 90])))).toEqual(['0:a', '<too long 1>', '2:b'])
    expect(texts(split(cut(Buffer.from(`a\n${long}`), [10, 50])))).toEqual(['0:a', '<too long 1>'])
    // exactly the limit is fine, a CR does not count
    expect(texts(split(cut(Buffer.from(`${'y'.repeat(64)}\r\n${'z'.repeat(65)}\n`), [30, 64, 65])))).toEqual([`0:${'y'.repeat(64)}`, '<too long 1>'])
  })

  test('memory: a 10 MB line without a break is dropped as it comes', () => {
    const s = new LineSplitter(1024)
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    const seen: SplitLine[] = []
    for (let i = 0; i < 160; i++) {
      s.push(chunk)
      for (let l = s.next(); l; l = s.next()) seen.push(l)
    }
    expect(seen).toEqual([{ index: 0, tooLong: true }])
    // nothing of the line is held: the internal buffers are empty
    expect((s as unknown as { partialBytes: number }).partialBytes).toBe(0)
  })
})

/** a stream of `body` in chunks of `size`, like a socket */
const stream = (body: Buffer, size = 16 * 1024) =>
  Readable.from(
    cut(
      body,
      Array.from({ length: Math.ceil(body.length / size) }, (_, i) => i * size),
    ),
  )

describe('readNdjson', () => {
  test('non-blank lines, trimmed, counted', async () => {
    const seen: string[] = []
    const r = await readNdjson(stream(Buffer.from(' {"a":1} \r\n\n  \n{"b":2}')), { maxBytes: 1000, onLine: (l) => seen.push(`${l.index}:${l.text}`) })
    expect(r).toEqual({ lines: 2 })
    expect(seen).toEqual(['0:{"a":1}', '3:{"b":2}'])
  })

  test('one line over the limit is a 413 naming it, before the rest is read', async () => {
    let read = 0
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < 1000; i++) {
          read++
          yield Buffer.from('x\n'.repeat(100))
        }
      })(),
    )
    const err = await readNdjson(body, { maxBytes: 1e9, maxLines: 1000, onLine: () => {} }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'COCKPIT_ERR_BATCH_TOO_LARGE', statusCode: 413, message: expect.stringContaining('1000') })
    expect(read).toBeLessThan(20)
  })

  test('a body over the byte limit is a 413 as soon as it passes it; a Content-Length over it, before a byte', async () => {
    const err = await readNdjson(stream(Buffer.from('{}\n'.repeat(10_000)), 1000), { maxBytes: 5000, onLine: () => {} }).catch((e: unknown) => e)
    expect(err).toMatchObject({ statusCode: 413, message: expect.stringContaining('5000 bytes') })
    const early = await readNdjson(stream(Buffer.from('{}')), { maxBytes: 5000, contentLength: 5001, onLine: () => {} }).catch((e: unknown) => e)
    expect(early).toMatchObject({ statusCode: 413 })
  })

  test('long work yields to the event loop', async () => {
    let ticks = 0
    const timer = setInterval(() => ticks++, 1)
    const lines = Buffer.from('{"x":1}\n'.repeat(40_000))
    await readNdjson(stream(lines, lines.length), {
      maxBytes: 1e9,
      sliceMs: 2,
      onLine: () => {
        // ~10 µs a line: 0.4 s of work in all
        const until = performance.now() + 0.01
        while (performance.now() < until);
      },
    })
    clearInterval(timer)
    expect(ticks).toBeGreaterThan(20)
  })
})

describe('readNdjsonMovements', () => {
  test('valid lines become movements, bad ones rejections with their line index; at most 100 kept, all counted', async () => {
    const good = JSON.stringify({ id: 'p1', type: 'payment_in', occurredAt: '2026-01-01T00:00:00Z', amount: 1 })
    const lines = [good, '', '{broken', 'x'.repeat(200), ...Array.from({ length: 300 }, (_, i) => JSON.stringify({ id: `b${i}`, type: 'teleport' }))]
    const r = await readNdjsonMovements(stream(Buffer.from(lines.join('\n'))), { maxBytes: 1e9, maxLineBytes: 100, validate: { baseCurrency: 'CNY' } })
    expect(r.lines).toBe(303)
    expect(r.movements.map((m) => [m.index, m.m.id])).toEqual([[0, 'p1']])
    expect(r.rejections.count).toBe(302)
    expect(r.rejections.first).toHaveLength(100)
    expect(r.rejections.first.slice(0, 3)).toEqual([
      { index: 2, id: null, errors: [{ path: '/', message: expect.stringMatching(/^not valid JSON/) }] },
      { index: 3, id: null, errors: [{ path: '/', message: 'the line is longer than 100 bytes' }] },
      { index: 4, id: 'b0', errors: [{ path: '/type', message: expect.stringContaining('must be one of') }] },
    ])
  })
})
