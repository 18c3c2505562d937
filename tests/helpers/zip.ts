/**
 * A minimal zip writer for tests that need zips exceljs would not write: entries deflated or
 * stored, sizes in the local header or deferred to a data descriptor (flag bit 3).
 */
import { crc32, deflateRawSync } from 'node:zlib'

export interface ZipEntry {
  name: string
  data: Buffer | string
  /** store instead of deflate */
  stored?: boolean
  /** sizes and CRC in a data descriptor after the data, zero in the local header */
  descriptor?: boolean
}

export function zip(entries: ZipEntry[]): Buffer {
  const parts: Buffer[] = []
  const central: Buffer[] = []
  let offset = 0
  for (const e of entries) {
    const raw = typeof e.data === 'string' ? Buffer.from(e.data) : e.data
    const body = e.stored ? raw : deflateRawSync(raw)
    const name = Buffer.from(e.name)
    const crc = crc32(raw)
    const flags = e.descriptor ? 0x08 : 0
    const method = e.stored ? 0 : 8
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(flags, 6)
    local.writeUInt16LE(method, 8)
    local.writeUInt32LE(e.descriptor ? 0 : crc, 14)
    local.writeUInt32LE(e.descriptor ? 0 : body.length, 18)
    local.writeUInt32LE(e.descriptor ? 0 : raw.length, 22)
    local.writeUInt16LE(name.length, 26)
    parts.push(local, name, body)
    let size = local.length + name.length + body.length
    if (e.descriptor) {
      const d = Buffer.alloc(16)
      d.writeUInt32LE(0x08074b50, 0)
      d.writeUInt32LE(crc, 4)
      d.writeUInt32LE(body.length, 8)
      d.writeUInt32LE(raw.length, 12)
      parts.push(d)
      size += 16
    }
    const c = Buffer.alloc(46)
    c.writeUInt32LE(0x02014b50, 0)
    c.writeUInt16LE(20, 4)
    c.writeUInt16LE(20, 6)
    c.writeUInt16LE(flags, 8)
    c.writeUInt16LE(method, 10)
    c.writeUInt32LE(crc, 16)
    c.writeUInt32LE(body.length, 20)
    c.writeUInt32LE(raw.length, 24)
    c.writeUInt16LE(name.length, 28)
    c.writeUInt32LE(offset, 42)
    central.push(c, name)
    offset += size
  }
  const cd = Buffer.concat(central)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(cd.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...parts, cd, end])
}
