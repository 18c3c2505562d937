/**
 * Shared by the property and replay tests: a broad set of queries that covers every metric of
 * the catalogue by every dimension it is kept by, and a snapshot of their results that two
 * states of the cockpit can be compared with.
 */
import type { FastifyInstance } from 'fastify'
import { DIMENSIONS, METRICS, METRIC_NAMES } from '../../protocol/metrics.ts'
import type { Dimension, MetricName } from '../../protocol/metrics.ts'
import type { Movement } from '../../protocol/movement.ts'
import type { Query, QueryResult } from '../../protocol/query.ts'
import { COUNTERS, LEVELS } from '../../server/aggregate/counters.ts'
import { endOfBusinessDate } from '../../server/aggregate/fold.ts'
import { createCalendar } from '../../server/domain/time.ts'
import { RESOLUTIONS, createKeys } from '../../server/redis/keys.ts'
import type { CounterDim, Resolution } from '../../server/redis/keys.ts'

const GROUPINGS: (Dimension | undefined)[] = [undefined, 'sku', 'category', 'warehouse', 'partner', 'region', 'channel']

/** Every (metric, groupBy) combination, flows and ratios over `period` by day; the server drops the unsupported ones. */
export function candidateQueries(period: { from: string; to: string }): Query[] {
  const out: Query[] = []
  for (const metric of METRIC_NAMES as MetricName[]) {
    // the latest movements are a log in arrival order, not a figure: order and batching change it by design
    if (metric === 'movements.recent') continue
    const kind = METRICS[metric].kind
    for (const groupBy of GROUPINGS) {
      const q: Query = { metric }
      if (groupBy) q.groupBy = groupBy
      if (kind === 'flow' || kind === 'ratio' || kind === 'closing') {
        q.from = period.from
        q.to = period.to
        if (!groupBy || kind === 'closing') q.interval = 'day'
      }
      out.push(q)
    }
  }
  return out
}

/** The candidates this server answers (the others are refused with a 4xx that names why). */
export async function supportedQueries(app: FastifyInstance, candidates: Query[]): Promise<Query[]> {
  const answers = await Promise.all(candidates.map((q) => app.inject({ method: 'POST', url: '/api/v1/query', payload: q })))
  answers.forEach((res, i) => {
    if (res.statusCode >= 500) throw new Error(`${JSON.stringify(candidates[i])} → ${res.statusCode} ${res.body}`)
  })
  return candidates.filter((_, i) => answers[i]!.statusCode === 200)
}

const isEmpty = (v: number | null | undefined) => v === 0 || v === null || v === undefined

/**
 * A result without what may legitimately differ between two equal states: `asOf`, and groups
 * whose figures are all zero or null (a counter field that went up and back down stays in its
 * hash, one that was never touched does not).
 */
export function normalize(r: QueryResult): unknown {
  const { asOf: _asOf, ...rest } = r
  if (rest.groups) {
    rest.groups = rest.groups.filter((g) => !(isEmpty(g.total) && (g.series ?? []).every((p) => isEmpty(p.value)))).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  }
  if (rest.rows) rest.rows = [...rest.rows].sort((a, b) => `${a.sku}|${a.warehouse}`.localeCompare(`${b.sku}|${b.warehouse}`))
  return rest
}

export type Snapshot = Record<string, unknown>

/** Runs every query and keys its normalised result by the query. */
export async function snapshot(app: FastifyInstance, queries: Query[]): Promise<Snapshot> {
  const answers = await Promise.all(queries.map((q) => app.inject({ method: 'POST', url: '/api/v1/query', payload: q })))
  const out: Snapshot = {}
  answers.forEach((res, i) => {
    const key = JSON.stringify(queries[i])
    if (res.statusCode !== 200) throw new Error(`${key} → ${res.statusCode} ${res.body}`)
    out[key] = normalize(res.json() as QueryResult)
  })
  return out
}

/**
 * Deletes every figure the given movements can have touched (counters of their buckets, levels,
 * pair state, backlogs, effect records), keeping master data. Key names are computed rather than
 * scanned for: the shared Redis holds other runs' keys too, and a SCAN over it takes seconds.
 */
export async function resetFigures(app: FastifyInstance, prefix: string, movements: readonly Movement[], timeZone = 'Asia/Shanghai'): Promise<void> {
  const keys = createKeys(prefix)
  const cal = createCalendar(timeZone)
  const dims: CounterDim[] = ['all', ...DIMENSIONS, 'pair']
  const names = new Set<string>([keys.avgCost, keys.lastMoved, keys.liveMoves, keys.layers, keys.backlog('bs'), keys.backlog('bp'), keys.pairBacklog('bs'), keys.pairBacklog('bp')])
  for (const side of ['s', 'p'] as const) names.add(keys.line(side)).add(keys.lineOpen(side)).add(keys.lineLate(side)).add(keys.lineClosed(side))
  for (const code of Object.keys(LEVELS)) for (const dim of dims) names.add(keys.level(code, dim))
  const buckets = new Set<string>()
  for (const m of movements) {
    names.add(keys.effect(m.id))
    const partner = ('partner' in m && m.partner) || '-'
    for (const side of ['ar', 'ap'] as const) names.add(keys.openItems(side, partner)).add(keys.settlements(side, partner))
    // order lines also write in the buckets of their promised date
    const due = 'dueAt' in m && m.dueAt ? Date.parse(m.dueAt) : 'dueDate' in m && m.dueDate ? endOfBusinessDate(cal, m.dueDate) : undefined
    for (const at of [Date.parse(m.occurredAt), ...(due === undefined ? [] : [due])]) {
      const ids = cal.buckets(at)
      for (const res of RESOLUTIONS) buckets.add(`${res} ${ids[res]}`)
    }
  }
  for (const b of buckets) {
    const [res, bucket] = b.split(' ') as [Resolution, string]
    for (const code of Object.keys(COUNTERS)) for (const dim of dims) names.add(keys.counter(res, bucket, code, dim))
  }
  const list = [...names]
  const pipe = app.redis.pipeline()
  for (let i = 0; i < list.length; i += 1000) pipe.unlink(...list.slice(i, i + 1000))
  await pipe.exec()
}
