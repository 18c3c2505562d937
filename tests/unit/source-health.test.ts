/**
 * Which sources mark the figures stale (server/sources/status.ts `staleSources`, docs/connectors.md
 * "A failing source marks the figures stale"): failing since at least the threshold, by the
 * server's clock from the first failure of the streak; paused, idle, running and young failures
 * never; and how often a process looks (server/plugins/source-health.ts `healthCheckMs`).
 */
import { describe, expect, test } from 'vitest'
import { staleSources, statusOf } from '../../server/sources/status.ts'
import type { StoredSource } from '../../server/sources/config.ts'
import { healthCheckMs } from '../../server/plugins/source-health.ts'

const NOW = Date.parse('2026-12-06T02:00:00Z')
const source = (id: string, more: Partial<StoredSource> = {}): StoredSource => ({ id, kind: 'erpnext', connectionEnv: 'X_URL', version: 1, updatedAt: '', ...more })
const failingFor = (ms: number) => ({ state: 'failing', heartbeatAt: String(NOW - 100), failingSince: new Date(NOW - ms).toISOString(), failures: '4' })
const item = (s: StoredSource, hash: Record<string, string>) => ({ source: s, status: statusOf(s, hash, NOW) })

describe('stale sources', () => {
  test('failing for the threshold or more, sorted by id, with the title when there is one', () => {
    const list = [
      item(source('b-old', { title: 'Odoo 华东' }), failingFor(120_000)),
      item(source('a-edge'), failingFor(60_000)),
      item(source('c-young'), failingFor(59_999)),
      item(source('d-running'), { state: 'running', heartbeatAt: String(NOW - 100), failingSince: '' }),
    ]
    expect(staleSources(list, NOW, 60_000)).toEqual([
      { id: 'a-edge', failingSince: new Date(NOW - 60_000).toISOString() },
      { id: 'b-old', title: 'Odoo 华东', failingSince: new Date(NOW - 120_000).toISOString() },
    ])
    expect(staleSources(list, NOW, 1000).map((s) => s.id)).toEqual(['a-edge', 'b-old', 'c-young'])
  })

  test('paused or idle sources are not failing, whatever their last status said; an unreadable start is not stale', () => {
    const paused = item(source('p', { paused: true }), failingFor(600_000))
    // the process running it died: no heartbeat for a minute
    const idle = item(source('i'), { ...failingFor(600_000), heartbeatAt: String(NOW - 61_000) })
    const garbled = item(source('g'), { ...failingFor(600_000), failingSince: 'yesterday' })
    expect([paused.status.state, idle.status.state]).toEqual(['paused', 'idle'])
    expect(staleSources([paused, idle, garbled], NOW, 60_000)).toEqual([])
  })

  test('a process looks every quarter of the threshold, between 100 ms and 1 s', () => {
    expect([healthCheckMs(60_000), healthCheckMs(2000), healthCheckMs(100)]).toEqual([1000, 500, 100])
  })
})
