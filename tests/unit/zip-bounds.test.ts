import ExcelJS from 'exceljs'
import { describe, expect, it } from 'vitest'
import { assertInflatesWithin, ZipBoundsError } from '../../server/ingest/zip-bounds.ts'
import { zip } from '../helpers/zip.ts'

const limits = { total: 4 * 1024 ** 2, sharedStrings: 1024 ** 2 }
const sst = (bytes: number) => `<sst><si><t>${'x'.repeat(bytes)}</t></si></sst>`

describe('what an .xlsx may inflate to', () => {
  it('lets a spreadsheet Excel would write through', async () => {
    const wb = new ExcelJS.Workbook()
    const ws = wb.addWorksheet('出入库明细')
    ws.addRow(['单据编号', '商品编码', '数量'])
    for (let i = 0; i < 2000; i++) ws.addRow([`XS-${i}`, `SKU-${i % 40}`, i])
    const buf = Buffer.from(await wb.xlsx.writeBuffer())
    await expect(assertInflatesWithin(buf, limits)).resolves.toBeUndefined()
  })

  it('refuses a shared-strings table past its limit, though the file is small', async () => {
    const bomb = zip([
      { name: 'xl/workbook.xml', data: '<workbook/>' },
      { name: 'xl/sharedStrings.xml', data: sst(2 * 1024 ** 2) },
    ])
    expect(bomb.length).toBeLessThan(10_000)
    await expect(assertInflatesWithin(bomb, limits)).rejects.toThrow(/shared-strings table inflates to more than 1 MiB/)
  })

  it('refuses entries that together inflate past the total', async () => {
    const sheet = (n: number) => ({ name: `xl/worksheets/sheet${n}.xml`, data: Buffer.alloc(1.5 * 1024 ** 2, 0x20) })
    await expect(assertInflatesWithin(zip([sheet(1), sheet(2)]), limits)).resolves.toBeUndefined()
    await expect(assertInflatesWithin(zip([sheet(1), sheet(2), sheet(3)]), limits)).rejects.toThrow(/inflates to more than 4 MiB/)
  })

  it('counts an entry whose size is deferred to a data descriptor, as the reader walks it', async () => {
    const bomb = zip([
      { name: 'xl/workbook.xml', data: '<workbook/>', descriptor: true },
      { name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(5 * 1024 ** 2, 0x20), descriptor: true },
    ])
    await expect(assertInflatesWithin(bomb, limits)).rejects.toThrow(ZipBoundsError)
    await expect(assertInflatesWithin(bomb, { ...limits, total: 6 * 1024 ** 2 })).resolves.toBeUndefined()
  })

  it('counts stored entries at their size and refuses what it cannot walk', async () => {
    await expect(assertInflatesWithin(zip([{ name: 'a.xml', data: Buffer.alloc(5 * 1024 ** 2), stored: true }]), limits)).rejects.toThrow(/more than 4 MiB/)
    const cut = zip([{ name: 'xl/sharedStrings.xml', data: sst(100_000) }])
    await expect(assertInflatesWithin(cut.subarray(0, 60), limits)).rejects.toThrow(/cut short|not a readable/)
    const bzip = zip([{ name: 'a.xml', data: 'abc', stored: true }])
    bzip.writeUInt16LE(12, 8)
    await expect(assertInflatesWithin(bzip, limits)).rejects.toThrow(/method 12/)
  })
})
