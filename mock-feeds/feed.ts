/**
 * Posts a simulated ERP's master data and movements to a cockpit, as an ERP connector would:
 * batches of at most 5000, the same batch re-sent after a 503 or a network error (ids make it
 * safe), a clear stop on a 400.
 */
import { MAX_JSON_BATCH } from '../protocol/movement.ts'
import type { Movement, RejectedMovement } from '../protocol/movement.ts'
import { createSimulator } from './simulator.ts'
import type { Scenario } from './scenario.ts'
import { API_PREFIX } from '../protocol/api.ts'
import type { MasterKind } from '../protocol/master.ts'

export interface FeedOptions {
  url: string
  ingestKey: string
  /** when given, master data is upserted first */
  adminKey?: string
  scenario: Scenario
  seed?: number
  /**
   * live movements per second, averaged over a week: the simulated business is busier at its peak
   * hours and quieter at night (see `profile`) @default 200
   */
  rate?: number
  /** `daily`: movements follow the business's day and week; `flat`: `rate` at every hour (load tests) @default 'daily' */
  profile?: 'daily' | 'flat'
  /** start the simulated chain this long ago (epoch ms) and post its history first @default now */
  historyFrom?: number
  /**
   * movements per second of simulated history, never above `rate` (a slow business's history is
   * simulated at its own pace) @default 2
   */
  historyRate?: number
  /** share of store shelves found short when the live feed starts @default 0.01 */
  shortShelves?: number
  /** ms between two live posts @default 250 */
  tickMs?: number
  signal?: AbortSignal
  /** progress lines */
  log?: (line: string) => void
}

export interface FeedStats {
  sent: number
  accepted: number
  duplicates: number
  retries: number
  history: number
}

export class FeedRejectedError extends Error {
  override readonly name = 'FeedRejectedError'
  constructor(readonly rejected: RejectedMovement[]) {
    super(`the cockpit refused ${rejected.length} movement(s): ${JSON.stringify(rejected.slice(0, 3))}`)
  }
}

/** Waits ms, or until the signal aborts; the abort listener leaves with the wait (a feed sleeps millions of times). */
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const onAbort = () => (clearTimeout(t), resolve())
    const t = setTimeout(() => (signal?.removeEventListener('abort', onAbort), resolve()), ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })

/** Posts one batch until it is acknowledged (200) or refused (400/401/413). */
export async function postBatch(url: string, key: string, batch: Movement[], stats: FeedStats, signal?: AbortSignal): Promise<void> {
  let delay = 250
  for (;;) {
    if (signal?.aborted) return
    try {
      const res = await fetch(`${url}${API_PREFIX}/movements`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(batch),
        signal,
      })
      if (res.status === 200) {
        const body = (await res.json()) as { accepted: number; duplicates: number }
        stats.sent += batch.length
        stats.accepted += body.accepted
        stats.duplicates += body.duplicates
        return
      }
      if (res.status === 400) throw new FeedRejectedError(((await res.json()) as { rejected: RejectedMovement[] }).rejected)
      if (res.status !== 503 && res.status < 500) throw new Error(`ingest answered ${res.status}: ${await res.text()}`)
    } catch (err) {
      if (signal?.aborted) return // stopping: the batch may or may not be applied; a later run re-sends it safely
      if (err instanceof FeedRejectedError) throw err
      if (err instanceof Error && err.message.startsWith('ingest answered')) throw err
    }
    stats.retries++
    await sleep(delay, signal)
    delay = Math.min(delay * 2, 5000)
  }
}

async function putMaster(o: FeedOptions): Promise<void> {
  const { scenario } = o
  const bodies = {
    skus: scenario.skus.map(({ code, name, category, unit, safetyStock, reorderPoint }) => ({ code, name, category, unit, safetyStock, reorderPoint })),
    warehouses: scenario.warehouses.map(({ code, name, nameEn, region, kind }) => ({ code, name, nameEn, region, ...(kind === 'virtual' ? { virtual: true } : {}) })),
    partners: [...scenario.suppliers, ...scenario.customers],
    // display names (zh-CN and English) of every category, region and channel the business uses
    categories: scenario.categories,
    regions: scenario.regions,
    channels: [...scenario.channels.map(({ code, name, nameEn }) => ({ code, name, nameEn })), ...(scenario.otherChannels ?? [])],
  }
  await putMasterRecords(o.url, o.adminKey!, bodies)
}

/** Upserts master data as a connector does: one `PUT /api/v1/master/:kind` per kind given (at most 10,000 records each). */
export async function putMasterRecords(url: string, adminKey: string, bodies: Partial<Record<MasterKind, readonly unknown[]>>): Promise<void> {
  for (const [kind, body] of Object.entries(bodies)) {
    const res = await fetch(`${url}${API_PREFIX}/master/${kind}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    if (res.status !== 200) throw new Error(`master data ${kind}: ${res.status} ${await res.text()}`)
  }
}

/**
 * Batches of at most `size`, in order; a cancel never travels with the movement it reverses (the
 * cockpit wants it in a later batch, as an ERP sends a reversal after the original).
 */
export function chunks(items: Movement[], size: number): Movement[][] {
  const out: Movement[][] = []
  let batch: Movement[] = []
  let ids = new Set<string>()
  for (const m of items) {
    if (batch.length >= size || (m.type === 'cancel' && ids.has(m.cancels))) {
      out.push(batch)
      batch = []
      ids = new Set()
    }
    batch.push(m)
    ids.add(m.id)
  }
  if (batch.length > 0) out.push(batch)
  return out
}

/** Runs until the signal aborts: master data, then live movements (and history beside them). */
export async function runFeed(o: FeedOptions): Promise<FeedStats> {
  const stats: FeedStats = { sent: 0, accepted: 0, duplicates: 0, retries: 0, history: 0 }
  const seed = o.seed ?? 42
  const rate = o.rate ?? 200
  // history faster than live would make yesterday busier than today; slower history stands each
  // line for several live ones instead
  const historyRate = Math.min(o.historyRate ?? 2, rate)
  if (o.adminKey) await putMaster(o)
  // one simulated chain: its history (at a low rate, so it loads in seconds), then live
  const sim = createSimulator({
    scenario: o.scenario,
    seed,
    startAt: o.historyFrom ?? Date.now(),
    rate: o.historyFrom === undefined ? rate : historyRate,
    // history lines stand for many live lines each: same goods and money per hour, fewer movements
    unitsPerLine: o.historyFrom === undefined ? 1 : Math.max(1, Math.round(rate / historyRate)),
    idPrefix: `sim-${seed}-${(o.historyFrom ?? Date.now()).toString(36)}`,
    profile: o.profile ?? 'daily',
  })
  if (o.historyFrom !== undefined) {
    for (let t = o.historyFrom; !o.signal?.aborted;) {
      const end = Date.now()
      if (t >= end - 1000) break
      const next = Math.min(end, t + 3600_000)
      for (const batch of chunks(sim.step(next), MAX_JSON_BATCH)) {
        await postBatch(o.url, o.ingestKey, batch, stats, o.signal)
        stats.history += batch.length
      }
      t = next
    }
    o.log?.(`history loaded: ${stats.history} movements`)
    sim.setRate(rate)
  }
  const counts = sim.shortShelves(sim.now, o.shortShelves ?? 0.01)
  if (counts.length > 0) await postBatch(o.url, o.ingestKey, counts, stats, o.signal)

  let lastLog = Date.now()
  let lastSent = stats.sent
  while (!o.signal?.aborted) {
    const started = Date.now()
    for (const batch of chunks(sim.step(started), MAX_JSON_BATCH)) await postBatch(o.url, o.ingestKey, batch, stats, o.signal)
    if (o.log && started - lastLog >= 5000) {
      const pace = Math.round(((stats.sent - lastSent) * 1000) / (started - lastLog))
      o.log(
        `feed: ${stats.sent} sent (${pace}/s; the business's pace at this hour ≈ ${Math.round(sim.paceAt(started))}/s), ${stats.duplicates} duplicates, ${stats.retries} retries`,
      )
      lastLog = started
      lastSent = stats.sent
    }
    await sleep(Math.max(0, (o.tickMs ?? 250) - (Date.now() - started)), o.signal)
  }
  return stats
}
