/**
 * NDJSON read as a stream (issue #13): lines are cut from the request as its bytes arrive and
 * validated one by one, so memory is bounded by the line limit (the movements kept for the
 * atomic apply, at most 100 rejections) and never by the body; the request is refused with a 413
 * the moment it passes the line or byte limit, and the work yields to the event loop every few
 * milliseconds so one upload never holds up other requests.
 */
import type { Readable } from 'node:stream'
import { performance } from 'node:perf_hooks'
import { MAX_NDJSON_BATCH, MAX_NDJSON_LINE_BYTES } from '../../protocol/movement.ts'
import { CockpitError } from '../errors.ts'
import { RejectionList } from './rejections.ts'
import { validateMovement } from './validate.ts'
import type { NormalizedMovement, ValidateOptions } from './validate.ts'

const LF = 0x0a
const CR = 0x0d

/** One line cut by the splitter: its text, or `tooLong` when it had more bytes than allowed. */
export type SplitLine = { index: number; text: string; tooLong?: undefined } | { index: number; text?: undefined; tooLong: true }

/**
 * Cuts a byte stream into lines: LF or CRLF ends a line, the last line needs no line break.
 * Lines are cut on bytes and decoded whole, so a multi-byte UTF-8 character split across chunks
 * stays intact (0x0A never occurs inside one). A line longer than `maxLineBytes` is reported as
 * `tooLong` once and its bytes are dropped as they come: the splitter never holds more than
 * `maxLineBytes` of a line, plus the chunks pushed and not yet read.
 */
export class LineSplitter {
  private readonly chunks: Buffer[] = []
  /** read position in chunks[0] */
  private pos = 0
  /** the start of the current line, from earlier chunks (copies: at most maxLineBytes) */
  private partial: Buffer[] = []
  private partialBytes = 0
  /** the current line is too long: its bytes are dropped up to its line break */
  private skipping = false
  /** ...and it was reported already */
  private reported = false
  private ended = false
  private nextIndex = 0

  /** @param maxLineBytes longest line, in bytes without its line break @default MAX_NDJSON_LINE_BYTES */
  constructor(private readonly maxLineBytes: number = MAX_NDJSON_LINE_BYTES) {}

  push(chunk: Buffer): void {
    if (chunk.length > 0) this.chunks.push(chunk)
  }

  /** no more chunks: the bytes after the last line break are the last line */
  end(): void {
    this.ended = true
  }

  /** The next complete line (0-based `index`, blank lines included), or undefined until more bytes come. */
  next(): SplitLine | undefined {
    for (;;) {
      const chunk = this.chunks[0]
      if (chunk === undefined) return this.ended ? this.last() : undefined
      const nl = chunk.indexOf(LF, this.pos)
      if (nl === -1) {
        this.keep(chunk.subarray(this.pos))
        this.chunks.shift()
        this.pos = 0
        // report a line as soon as it is too long, not when (if ever) its line break comes
        if (this.skipping && !this.reported) {
          this.reported = true
          return { index: this.nextIndex, tooLong: true }
        }
        continue
      }
      const piece = chunk.subarray(this.pos, nl)
      this.pos = nl + 1
      if (this.pos >= chunk.length) {
        this.chunks.shift()
        this.pos = 0
      }
      const line = this.close(piece)
      if (line !== undefined) return line
    }
  }

  /** keeps the start of a line that goes on in the next chunk, or starts skipping it */
  private keep(bytes: Buffer): void {
    if (this.skipping || bytes.length === 0) return
    // + 1: a CR that the LF of the next chunk turns into a line break
    if (this.partialBytes + bytes.length > this.maxLineBytes + 1) {
      this.skipping = true
      this.partial = []
      this.partialBytes = 0
      return
    }
    this.partial.push(Buffer.from(bytes))
    this.partialBytes += bytes.length
  }

  /** the current line ends with `piece`; undefined when it was reported already */
  private close(piece: Buffer): SplitLine | undefined {
    const index = this.nextIndex++
    if (this.skipping) {
      const reported = this.reported
      this.skipping = false
      this.reported = false
      return reported ? undefined : { index, tooLong: true }
    }
    const length = this.partialBytes + piece.length
    let bytes = piece
    if (this.partialBytes > 0) {
      // no copy of a long piece of a large chunk: the length decides first
      bytes = length > this.maxLineBytes + 1 ? Buffer.alloc(0) : Buffer.concat([...this.partial, piece], length)
      this.partial = []
      this.partialBytes = 0
    }
    if (length > this.maxLineBytes + 1) return { index, tooLong: true }
    let end = bytes.length
    if (end > 0 && bytes[end - 1] === CR) end--
    if (end > this.maxLineBytes) return { index, tooLong: true }
    return { index, text: bytes.toString('utf8', 0, end) }
  }

  /** after end(): the last line when it has no line break */
  private last(): SplitLine | undefined {
    if (this.partialBytes === 0 && !this.skipping) return undefined
    return this.close(Buffer.alloc(0))
  }
}

export interface ReadNdjsonOptions {
  /** largest body, in bytes (COCKPIT_BODY_LIMIT) */
  maxBytes: number
  /** most non-blank lines @default MAX_NDJSON_BATCH */
  maxLines?: number
  /** longest line, in bytes @default MAX_NDJSON_LINE_BYTES */
  maxLineBytes?: number
  /** the request's Content-Length, when it has one: refused before a byte is read if over maxBytes */
  contentLength?: number
  /** longest stretch of work before yielding to the event loop, in ms @default 1 */
  sliceMs?: number
  /** each non-blank line, trimmed (`text`), or a line over maxLineBytes (`tooLong`) */
  onLine(line: SplitLine): void
}

/** A body over the byte limit: 413, naming the limit. */
function bodyTooLarge(maxBytes: number): CockpitError {
  return new CockpitError('COCKPIT_ERR_BATCH_TOO_LARGE', `the body is larger than ${maxBytes} bytes (COCKPIT_BODY_LIMIT); split it, or use npm run import`)
}

/** More lines than allowed: 413, naming the limit. */
function tooManyLines(maxLines: number): CockpitError {
  return new CockpitError('COCKPIT_ERR_BATCH_TOO_LARGE', `an NDJSON body holds at most ${maxLines} movements (lines); split it, or use npm run import`)
}

/**
 * Reads NDJSON from `stream`, calling `onLine` for each non-blank line as it arrives; resolves
 * with the number of non-blank lines. Rejects with a 413 CockpitError as soon as the body passes
 * `maxBytes` or `maxLines` (it stops reading at once: the caller answers and the connection is
 * closed), and with a 400 when the client goes away mid-body. The stream is paused while work
 * yields to the event loop, so a fast client cannot queue more than a chunk or two ahead.
 */
export function readNdjson(stream: Readable, o: ReadNdjsonOptions): Promise<{ lines: number }> {
  const maxLines = o.maxLines ?? MAX_NDJSON_BATCH
  const sliceMs = o.sliceMs ?? 1
  return new Promise((resolve, reject) => {
    if (o.contentLength !== undefined && o.contentLength > o.maxBytes) {
      reject(bodyTooLarge(o.maxBytes))
      return
    }
    const splitter = new LineSplitter(o.maxLineBytes ?? MAX_NDJSON_LINE_BYTES)
    let received = 0
    let lines = 0
    let ended = false
    let settled = false
    /** a slice of work is waiting for its turn (setImmediate); the stream is paused meanwhile */
    let yielding = false

    const settle = (err: Error | undefined) => {
      if (settled) return
      settled = true
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('error', onError)
      stream.off('close', onClose)
      if (err) {
        // stop reading: what is still on its way is not ours to buffer (the reply closes the connection)
        stream.pause()
        reject(err)
      } else resolve({ lines })
    }

    function work(): void {
      if (settled || yielding) return
      const started = performance.now()
      let n = 0
      try {
        for (let line = splitter.next(); line !== undefined; line = splitter.next()) {
          const text = line.text?.trim()
          if (text !== '') {
            if (++lines > maxLines) return settle(tooManyLines(maxLines))
            o.onLine(text === undefined ? line : { index: line.index, text })
          }
          // blank lines count here too: a body of millions of them yields as well
          if ((++n & 63) === 0 && performance.now() - started > sliceMs) {
            yielding = true
            stream.pause()
            setImmediate(() => {
              yielding = false
              work()
            })
            return
          }
        }
      } catch (err) {
        return settle(err as Error)
      }
      if (ended) settle(undefined)
      else stream.resume()
    }

    function onData(chunk: Buffer | string): void {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      received += buf.length
      if (received > o.maxBytes) return settle(bodyTooLarge(o.maxBytes))
      splitter.push(buf)
      work()
    }
    function onEnd(): void {
      ended = true
      splitter.end()
      work()
    }
    function onError(err: Error): void {
      settle(new CockpitError('COCKPIT_ERR_INVALID_MOVEMENTS', `the request body could not be read: ${err.message}`))
    }
    function onClose(): void {
      // closed before its end: the client went away; nobody is left to answer
      if (!ended) settle(new CockpitError('COCKPIT_ERR_INVALID_MOVEMENTS', 'the request was aborted before its end'))
    }

    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onError)
    stream.on('close', onClose)
  })
}

/** An NDJSON body read and validated: what the ingest route applies or refuses. */
export interface NdjsonBatch {
  ndjson: true
  /** the valid movements, `index` = their line index (0-based, blank lines counted) */
  movements: NormalizedMovement[]
  /** the first rejected lines, and how many there were */
  rejections: RejectionList
  /** non-blank lines */
  lines: number
}

/**
 * Reads an NDJSON body of movements from `stream` and validates each line as it arrives (JSON,
 * then the movement's schema and checks); see readNdjson for the limits. Nothing is applied here.
 */
export async function readNdjsonMovements(stream: Readable, o: Omit<ReadNdjsonOptions, 'onLine'> & { validate: ValidateOptions }): Promise<NdjsonBatch> {
  const movements: NormalizedMovement[] = []
  const rejections = new RejectionList()
  // one clock for the whole body, as for a JSON batch
  const validate = { ...o.validate, now: o.validate.now ?? Date.now() }
  // past the listed rejections, only whether a line is valid matters
  const quick = { ...validate, details: false }
  const maxLineBytes = o.maxLineBytes ?? MAX_NDJSON_LINE_BYTES
  const { lines } = await readNdjson(stream, {
    ...o,
    onLine(line) {
      if (line.tooLong) {
        rejections.add({ index: line.index, id: null, errors: [{ path: '/', message: `the line is longer than ${maxLineBytes} bytes` }] })
        return
      }
      // past the listed rejections only validity counts: a line that is no object needs no parse
      if (!rejections.listing && line.text.charCodeAt(0) !== 0x7b) {
        rejections.add({ index: line.index, id: null, errors: [] })
        return
      }
      let value: unknown
      try {
        value = JSON.parse(line.text)
      } catch (err) {
        rejections.add({ index: line.index, id: null, errors: [{ path: '/', message: `not valid JSON: ${(err as Error).message}` }] })
        return
      }
      const outcome = validateMovement(value, line.index, rejections.listing ? validate : quick)
      if (outcome.ok) movements.push(outcome.movement)
      else rejections.add(outcome.rejected)
    },
  })
  return { ndjson: true, movements, rejections, lines }
}
