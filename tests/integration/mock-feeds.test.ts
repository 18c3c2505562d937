/**
 * Each simulated business fed into a real server: master data first, hours of history, then
 * live ticks — the cockpit accepts every batch (cancels find their originals, nothing is
 * malformed) and the figures the screens show are there. One server for the three businesses
 * (their item and warehouse codes differ), so the shared Redis is scanned for cleanup once.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { runFeed } from '../../mock-feeds/feed.ts'
import { SCENARIO_NAMES, buildScenario } from '../../mock-feeds/scenario-registry.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(() => server.close(), 600_000)

async function query(q: unknown): Promise<{ total: number | null }> {
  const res = await fetch(`${server.url}/api/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(q) })
  const body = (await res.json()) as { total: number | null }
  expect(res.status, JSON.stringify(body)).toBe(200)
  return body
}

describe.each(SCENARIO_NAMES.map((name, i) => [name, i + 5] as const))('%s feed', (name, seed) => {
  test('master data, history and live movements are all accepted; the figures are there', { timeout: 180_000 }, async () => {
    const controller = new AbortController()
    const lines: string[] = []
    const rate = 20
    const scenario = buildScenario(name, seed, { rate })
    const stats = await runFeed({
      url: server.url,
      ingestKey: server.ingestKey,
      adminKey: server.adminKey,
      scenario,
      seed,
      rate,
      // the figures must be there whatever the hour the suite runs (a manufacturer sells next to
      // nothing on a Sunday night)
      profile: 'flat',
      historyFrom: Date.now() - 2 * 3600_000,
      historyRate: 4,
      tickMs: 100,
      signal: controller.signal,
      log: (line) => {
        lines.push(line)
        if (line.startsWith('history loaded')) setTimeout(() => controller.abort(), 1500)
      },
    })
    expect(lines.some((l) => l.startsWith('history loaded'))).toBe(true)
    expect(stats.history).toBeGreaterThan(1000)
    expect(stats.accepted).toBe(stats.sent) // nothing refused, nothing sent twice

    const skus = (await (await fetch(`${server.url}/api/v1/master/skus`)).json()) as { code: string }[]
    expect(scenario.skus.every((s) => skus.some((m) => m.code === s.code))).toBe(true)
    const filter = { warehouse: scenario.warehouses.map((w) => w.code) }
    for (const metric of ['sales.revenue', 'sales.orders', 'purchase.receiptAmount']) {
      expect((await query({ metric, window: 'P1D', groupBy: 'warehouse', filter })).total, metric).toBeGreaterThan(0)
    }
    const channels = { channel: scenario.channels.map((c) => c.code) }
    expect((await query({ metric: 'cash.in', window: 'P1D', groupBy: 'channel', filter: channels })).total).toBeGreaterThan(0)
    // the screens name every category, region and channel, in Chinese and in English
    const names = (records: { code: string; name: string; nameEn?: string }[]) => records.map(({ code, name, nameEn }) => ({ key: code, label: name, labelEn: nameEn }))
    const groups = async (q: unknown) =>
      ((await query(q)) as { groups?: { key: string; label?: string; labelEn?: string }[] }).groups!.map(({ key, label, labelEn }) => ({ key, label, labelEn }))
    const sold = await groups({ metric: 'sales.revenue', window: 'P1D', groupBy: 'channel', filter: channels })
    expect(sold.length).toBeGreaterThan(0)
    expect(names(scenario.channels)).toEqual(expect.arrayContaining(sold))
    const categories = await groups({ metric: 'stock.value', groupBy: 'category', filter: { category: scenario.categories.map((c) => c.code) } })
    expect(categories.length).toBeGreaterThan(0)
    expect(names(scenario.categories)).toEqual(expect.arrayContaining(categories))
    const regions = await groups({ metric: 'stock.value', groupBy: 'region', filter: { region: scenario.regions.map((r) => r.code) } })
    expect(regions.map((r) => r.key).sort()).toEqual(scenario.regions.map((r) => r.code).sort())
    expect(names(scenario.regions)).toEqual(expect.arrayContaining(regions))
    expect((await query({ metric: 'stock.value', groupBy: 'warehouse', filter })).total).toBeGreaterThan(0)
  })
})
