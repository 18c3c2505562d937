/**
 * A tiny PNG reader for tests: the size from IHDR, and the pixels (8-bit RGB/RGBA, not
 * interlaced: what Chromium writes) from the IDAT chunks inflated with node:zlib and unfiltered.
 */
import { inflateSync } from 'node:zlib'

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

export interface PngImage {
  width: number
  height: number
  /** bytes per pixel: 3 (RGB) or 4 (RGBA) */
  channels: number
  /** rows of width × channels bytes, unfiltered */
  data: Buffer
}

/** width and height from the IHDR chunk */
export function pngSize(png: Buffer): { width: number; height: number } {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG')
  if (png.toString('latin1', 12, 16) !== 'IHDR') throw new Error('PNG without IHDR first')
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) }
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c
  const pa = Math.abs(p - a)
  const pb = Math.abs(p - b)
  const pc = Math.abs(p - c)
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c
}

export function decodePng(png: Buffer): PngImage {
  const { width, height } = pngSize(png)
  const bitDepth = png[24]!
  const colorType = png[25]!
  const interlace = png[28]!
  if (bitDepth !== 8 || (colorType !== 2 && colorType !== 6) || interlace !== 0)
    throw new Error(`unsupported PNG: depth ${bitDepth}, colour type ${colorType}, interlace ${interlace}`)
  const channels = colorType === 6 ? 4 : 3
  const idat: Buffer[] = []
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at)
    const type = png.toString('latin1', at + 4, at + 8)
    if (type === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length))
    if (type === 'IEND') break
    at += 12 + length
  }
  const raw = inflateSync(Buffer.concat(idat))
  const stride = width * channels
  const data = Buffer.alloc(stride * height)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1))
    const out = data.subarray(y * stride, (y + 1) * stride)
    const prev = y > 0 ? data.subarray((y - 1) * stride, y * stride) : undefined
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[x - channels]! : 0
      const b = prev ? prev[x]! : 0
      const c = prev && x >= channels ? prev[x - channels]! : 0
      const v = line[x]!
      out[x] = (filter === 0 ? v : filter === 1 ? v + a : filter === 2 ? v + b : filter === 3 ? v + ((a + b) >> 1) : v + paeth(a, b, c)) & 0xff
    }
  }
  return { width, height, channels, data }
}

/**
 * How much of the image is not its most common colour (the background), 0–1, and how many
 * distinct colours it has (counted on a 1-in-`step` grid of pixels).
 */
export function pixelStats(image: PngImage, step = 4): { nonBackground: number; colours: number } {
  const counts = new Map<number, number>()
  let total = 0
  for (let y = 0; y < image.height; y += step) {
    for (let x = 0; x < image.width; x += step) {
      const i = (y * image.width + x) * image.channels
      const rgb = (image.data[i]! << 16) | (image.data[i + 1]! << 8) | image.data[i + 2]!
      counts.set(rgb, (counts.get(rgb) ?? 0) + 1)
      total++
    }
  }
  const background = Math.max(...counts.values())
  return { nonBackground: 1 - background / total, colours: counts.size }
}
