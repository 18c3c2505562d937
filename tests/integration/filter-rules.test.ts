/**
 * protocol/filters.ts says, from a query alone, whether the server can answer it with its filter:
 * the screen relies on it to decide which widgets follow a linked filter. Checked here against the
 * real query engine for every metric: each dimension alone, every pair of dimensions, every
 * grouping the metric takes with each filter, and series by minute, hour and day filtered by each
 * dimension. A refusal must be the engine's "unsupported" answer, never another error.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { acceptsFilter } from '../../protocol/filters.ts'
import { METRICS, METRIC_NAMES, MOVEMENT_DIMENSIONS, PERIOD_KINDS } from '../../protocol/metrics.ts'
import type { MetricName } from '../../protocol/metrics.ts'
import type { Query } from '../../protocol/query.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

let s: TestServer
beforeAll(async () => {
  s = await startTestServer()
})
afterAll(async () => {
  await s?.close()
})

/** the server's answer: true (200), false (400 COCKPIT_ERR_UNSUPPORTED_QUERY); anything else fails the test */
async function answers(q: Query): Promise<boolean> {
  const res = await s.app.inject({ method: 'POST', url: '/api/v1/query', payload: q })
  if (res.statusCode === 200) return true
  const body = JSON.parse(res.body) as { error?: string }
  expect(`${res.statusCode} ${body.error}`, JSON.stringify(q)).toBe('400 COCKPIT_ERR_UNSUPPORTED_QUERY')
  return false
}

/**
 * Backlogs by two dimensions depend on the data (lines opened before pair levels were kept), so
 * the rule promises one at a time only: there it must never promise what the server refuses.
 */
const CONSERVATIVE: readonly MetricName[] = ['sales.backlogQty', 'purchase.backlogQty']

async function check(q: Query, seen: string[]): Promise<void> {
  const server = await answers(q)
  const rule = acceptsFilter(q)
  const agrees = CONSERVATIVE.includes(q.metric) ? !rule || server : rule === server
  if (!agrees) seen.push(`${JSON.stringify(q)}: rule ${rule}, server ${server}`)
}

const pairs = MOVEMENT_DIMENSIONS.flatMap((a, i) => MOVEMENT_DIMENSIONS.slice(i + 1).map((b) => [a, b] as const))

describe('acceptsFilter agrees with the query engine', () => {
  test.each(METRIC_NAMES.map((m) => [m]))('%s', async (metric) => {
    const period = (PERIOD_KINDS as readonly string[]).includes(METRICS[metric].kind) ? { window: 'P7D' } : {}
    const base: Query = { metric, ...period }
    const disagreements: string[] = []
    let accepted = 0
    for (const d of MOVEMENT_DIMENSIONS) {
      const q = { ...base, filter: { [d]: 'X1' } }
      await check(q, disagreements)
      if (acceptsFilter(q)) accepted++
    }
    for (const [a, b] of pairs) await check({ ...base, filter: { [a]: 'X1', [b]: ['Y1', 'Y2'] } }, disagreements)
    for (const g of MOVEMENT_DIMENSIONS) {
      if (!(await answers({ ...base, groupBy: g }))) continue
      for (const d of MOVEMENT_DIMENSIONS) await check({ ...base, groupBy: g, filter: { [d]: 'X1' } }, disagreements)
    }
    if (period.window) {
      for (const [window, interval] of [
        ['PT1H', 'minute'],
        ['today', 'hour'],
        ['P7D', 'day'],
      ] as const) {
        if (!(await answers({ metric, window, interval }))) continue
        for (const d of MOVEMENT_DIMENSIONS) await check({ metric, window, interval, filter: { [d]: 'X1' } }, disagreements)
      }
    }
    expect(disagreements).toEqual([])
    // every metric can be narrowed somehow (the rule table is not empty by mistake)
    expect(accepted).toBeGreaterThan(0)
  })
})
