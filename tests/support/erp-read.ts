/**
 * Reading an ERP mapping's streams the way the runner does — page after page from a watermark,
 * through the real driver — and folding the movements into what the cockpit would hold, for
 * tests that compare those figures with sums computed in SQL from the same tables.
 */
import type { Movement } from '../../protocol/movement.ts'
import type { MapContext, RowResult, SqlQuery, StreamMapping, Watermark } from '../../server/sources/mapping.ts'

/** Runs one page query on the ERP database and returns its rows. */
export type RunQuery = (q: SqlQuery) => Promise<Record<string, unknown>[]>

export interface StreamRead {
  /** the keys of the rows, in the order the pages returned them */
  keys: string[]
  /** what each row stood for, in reading order, with the row's `modified` */
  results: { key: string; modified: string; result: RowResult }[]
  pages: number
  /** where the next read starts */
  watermark: Watermark | null
}

/** (modified, key) order of the contract: modified as text (RFC 3339 UTC, same width), then key as a number. */
export function compareWatermarks(a: Watermark, b: Watermark): number {
  if (a.modified !== b.modified) return a.modified < b.modified ? -1 : 1
  return Number(a.key) - Number(b.key)
}

/**
 * Reads a stream to its end from `after`, `limit` rows a page, checking that every page is in
 * strictly increasing (modified, key) order after the watermark it started from.
 */
export async function readStream(stream: StreamMapping, run: RunQuery, ctx: MapContext, opts: { after?: Watermark | null; limit: number; since?: string }): Promise<StreamRead> {
  let watermark = opts.after ?? null
  const read: StreamRead = { keys: [], results: [], pages: 0, watermark }
  for (;;) {
    const rows = await run(stream.page(watermark, opts.limit, opts.since, ctx))
    read.pages++
    for (const row of rows) {
      const wm = stream.watermark(row, ctx)
      if (watermark && compareWatermarks(wm, watermark) <= 0)
        throw new Error(`${stream.name}: row ${wm.key} (${wm.modified}) is not after ${watermark.key} (${watermark.modified})`)
      watermark = wm
      read.keys.push(wm.key)
      read.results.push({ key: wm.key, modified: wm.modified, result: stream.map(row, ctx) })
    }
    read.watermark = watermark
    if (rows.length < opts.limit) return read
    if (read.pages > 10_000) throw new Error(`${stream.name}: more than 10,000 pages`)
  }
}

/**
 * What the cockpit holds after applying the results in order: movements by id (a re-sent id is
 * a duplicate and changes nothing), minus the ones a cancel reversed. Rejected rows are listed.
 */
export function foldResults(results: readonly { key: string; result: RowResult }[]) {
  const live = new Map<string, Movement>()
  const cancelled = new Set<string>()
  const rejected: { key: string; reason: string }[] = []
  const skipped: { key: string; reason: string }[] = []
  for (const { key, result } of results) {
    if ('reject' in result) rejected.push({ key, reason: result.reject })
    else if ('skip' in result) skipped.push({ key, reason: result.skip })
    else
      for (const m of result.movements) {
        if (m.type === 'cancel') {
          if (live.delete(m.cancels)) cancelled.add(m.cancels)
        } else if (!live.has(m.id) && !cancelled.has(m.id)) live.set(m.id, m)
      }
  }
  return { live: [...live.values()], cancelled, rejected, skipped }
}

/** Σ of a numeric field of the live movements of a type (rounded to 4 decimals). */
export function sumOf(movements: readonly Movement[], type: Movement['type'], field: (m: Movement) => number | undefined): number {
  let s = 0
  for (const m of movements) if (m.type === type) s += field(m) ?? 0
  return Math.round(s * 10_000) / 10_000
}

export const field =
  (name: string) =>
  (m: Movement): number | undefined =>
    (m as unknown as Record<string, number | undefined>)[name]
