/**
 * Export files of a result table (export-table.ts): CSV in UTF-8 with a byte-order mark (Excel
 * reads a BOM-less CSV in the system's ANSI code page and garbles Chinese), and .xlsx written with
 * exceljs, each column in the number format the screen shows it in (money with 2 decimals,
 * ratios as percentages, quantities with the decimals they have). docs/reports.md "Exports".
 */
import ExcelJS from 'exceljs'
import type { Cell, ColumnFormat, ExportTable } from './export-table.ts'

export const EXPORT_FORMATS = ['csv', 'xlsx'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
}

const BOM = '\uFEFF'
/** Most decimals a quantity column shows (stock quantities carry at most 3, protocol/movement.ts). */
const QTY_DECIMALS = 3

/**
 * Text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR at its start) is written
 * with a leading apostrophe: codes and names come from ERP data (OWASP "CSV injection").
 */
function inert(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text
}

function decimalsOf(value: number): number {
  const text = String(value)
  const dot = text.indexOf('.')
  return dot === -1 || text.includes('e') ? 0 : text.length - dot - 1
}

/** A number as CSV writes it in a column of that format ('' for none). */
function csvNumber(value: number, format: ColumnFormat, moneyDecimals: number): string {
  switch (format) {
    case 'money':
      return value.toFixed(moneyDecimals)
    case 'ratio':
      return `${(value * 100).toFixed(2)}%`
    case 'count':
      return String(Math.round(value))
    case 'qty':
      return String(Number(value.toFixed(QTY_DECIMALS)))
    default:
      return String(Number(value.toFixed(2)))
  }
}

function csvField(cell: Cell, format: ColumnFormat, moneyDecimals: number): string {
  if (cell === null || cell === undefined) return ''
  const text = typeof cell === 'number' ? (Number.isFinite(cell) ? csvNumber(cell, format, moneyDecimals) : '') : inert(cell)
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** RFC 4180 CSV with CRLF line ends, headers first, preceded by a UTF-8 BOM. */
export function toCsv(table: ExportTable, moneyDecimals = 2): string {
  const lines = [table.columns.map((c) => csvField(c.header, 'text', moneyDecimals)).join(',')]
  for (const row of table.rows) lines.push(row.map((cell, i) => csvField(cell, table.columns[i]?.format ?? 'text', moneyDecimals)).join(','))
  return BOM + lines.join('\r\n') + '\r\n'
}

/** The Excel number format of a column; quantities get the decimals their values have (at most 3). */
function numberFormat(format: ColumnFormat, values: Cell[], moneyDecimals: number): string | undefined {
  const fixed = (d: number) => (d > 0 ? `#,##0.${'0'.repeat(d)}` : '#,##0')
  switch (format) {
    case 'money':
      return fixed(moneyDecimals)
    case 'ratio':
      return '0.0%'
    case 'count':
      return '#,##0'
    case 'qty':
      return fixed(Math.min(QTY_DECIMALS, Math.max(0, ...values.map((v) => (typeof v === 'number' ? decimalsOf(v) : 0)))))
    case 'days':
    case 'times':
      return '#,##0.0'
    default:
      return undefined
  }
}

/** Excel refuses sheet names over 31 characters or with []:*?/\ in them. */
function sheetName(title: string): string {
  return title.replace(/[[\]:*?/\\]/g, ' ').slice(0, 31) || 'Sheet1'
}

/** An .xlsx workbook: the table on the first sheet (header row bold and frozen), what it is on the second. */
export async function toXlsx(table: ExportTable, aboutSheet: string, moneyDecimals = 2): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook()
  workbook.creator = 'erp-cockpit'
  const sheet = workbook.addWorksheet(sheetName(table.title), { views: [{ state: 'frozen', ySplit: 1 }] })
  sheet.addRow(table.columns.map((c) => c.header))
  sheet.getRow(1).font = { bold: true }
  for (const row of table.rows) sheet.addRow(row.map((cell) => (typeof cell === 'number' && !Number.isFinite(cell) ? null : cell)))
  table.columns.forEach((c, i) => {
    const column = sheet.getColumn(i + 1)
    const values = table.rows.map((r) => r[i] ?? null)
    const numFmt = numberFormat(c.format, values, moneyDecimals)
    if (numFmt) column.eachCell((cell, rowNumber) => rowNumber > 1 && (cell.numFmt = numFmt))
    const widest = Math.max(c.header.length * 2, ...values.map((v) => String(v ?? '').length + 2))
    column.width = Math.min(48, Math.max(10, widest))
  })
  const about = workbook.addWorksheet(sheetName(aboutSheet))
  for (const [label, value] of table.about) about.addRow([label, value])
  about.getColumn(1).width = 16
  about.getColumn(2).width = 60
  return Buffer.from(await workbook.xlsx.writeBuffer())
}
