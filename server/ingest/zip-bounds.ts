/**
 * What an .xlsx may inflate to, checked before exceljs reads it (docs/import.md "Limits").
 *
 * An .xlsx is a zip: a file of a few MB can inflate a thousandfold. exceljs keeps the shared-strings
 * table in memory and writes worksheets that come before it in the zip (as Excel orders them) to
 * temporary files, so an upload's inflated size is memory and disk the server would give away.
 * The entries are walked here exactly as exceljs' zip reader (unzipper's `Parse`) walks them: local
 * file headers one after the other from the start, each entry's data either its compressed size
 * or, when the header defers the size to a data descriptor, up to the descriptor's signature. Each
 * entry is inflated (and thrown away) to count its bytes; past a limit the file is refused before
 * anything else reads it.
 */
import { Readable } from 'node:stream'
import { createInflateRaw } from 'node:zlib'

export interface InflateLimits {
  /** most bytes all entries together may inflate to */
  total: number
  /** most bytes `xl/sharedStrings.xml`, the table exceljs holds in memory, may inflate to */
  sharedStrings: number
}

/** 2 GiB in all (a sheet of Excel's 1,048,576 rows of 20 columns is ~1 GiB of XML), 256 MiB of shared strings. */
export const XLSX_INFLATE_LIMITS: InflateLimits = { total: 2 * 1024 ** 3, sharedStrings: 256 * 1024 ** 2 }

/** The zip inflates past a limit or cannot be walked: the message says which. */
export class ZipBoundsError extends Error {
  override readonly name = 'ZipBoundsError'
  /** @param tooLarge refused for what it inflates to (else: it cannot be walked) */
  constructor(
    message: string,
    readonly tooLarge = false,
  ) {
    super(message)
  }
}

const LOCAL_HEADER = 0x04034b50
const DESCRIPTOR = Buffer.from([0x50, 0x4b, 0x07, 0x08])
const STORED = 0
const DEFLATED = 8

const mib = (n: number) => `${Math.round(n / 1024 ** 2)} MiB`

/** Bytes `data` inflates to, stopping as soon as it passes `max` (then max + something). */
async function inflatedSize(data: Buffer, max: number): Promise<number> {
  const inflater = createInflateRaw()
  let size = 0
  try {
    for await (const chunk of Readable.from([data]).pipe(inflater) as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > max) break
    }
  } catch (err) {
    throw new ZipBoundsError(`the file is not a readable .xlsx: ${(err as Error).message}`)
  } finally {
    inflater.destroy()
  }
  return size
}

/** Throws ZipBoundsError when the zip in `zip` would inflate past `limits`. */
export async function assertInflatesWithin(zip: Buffer, limits: InflateLimits = XLSX_INFLATE_LIMITS): Promise<void> {
  let pos = 0
  let total = 0
  while (pos + 30 <= zip.length && zip.readUInt32LE(pos) === LOCAL_HEADER) {
    const flags = zip.readUInt16LE(pos + 6)
    const method = zip.readUInt16LE(pos + 8)
    const compressed = zip.readUInt32LE(pos + 18)
    const nameLength = zip.readUInt16LE(pos + 26)
    const extraLength = zip.readUInt16LE(pos + 28)
    const name = zip.toString('utf8', pos + 30, pos + 30 + nameLength)
    const start = pos + 30 + nameLength + extraLength
    // Zip64 sizes live in the extra field: no spreadsheet under these limits needs them
    if (compressed === 0xffffffff) throw new ZipBoundsError(`${name} is a Zip64 entry: save the file again from Excel or split it`)
    let end: number
    let next: number
    if (!(flags & 0x08) || compressed > 0) {
      end = start + compressed
      next = end
    } else {
      end = zip.indexOf(DESCRIPTOR, start)
      if (end < 0) throw new ZipBoundsError(`the file is not a readable .xlsx: ${name} has no end`)
      next = end + 16
    }
    if (end > zip.length) throw new ZipBoundsError(`the file is not a readable .xlsx: ${name} is cut short`)
    const data = zip.subarray(start, end)
    const left = limits.total - total
    const max = name === 'xl/sharedStrings.xml' ? Math.min(left, limits.sharedStrings) : left
    let size: number
    if (method === STORED) size = data.length
    else if (method === DEFLATED) size = await inflatedSize(data, max)
    else throw new ZipBoundsError(`${name} is compressed with method ${method}; an .xlsx uses deflate`)
    if (name === 'xl/sharedStrings.xml' && size > limits.sharedStrings) {
      throw new ZipBoundsError(`the file's shared-strings table inflates to more than ${mib(limits.sharedStrings)}; split the file`, true)
    }
    total += size
    if (total > limits.total) throw new ZipBoundsError(`the file inflates to more than ${mib(limits.total)}; split it`, true)
    pos = next
  }
}
