/**
 * The wall's alert store reads `GET /api/v1/alerts` one read at a time: a burst of `alert` events
 * during a read makes one more read after it, not one each, and the states shown are the last read's.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import type { AlertRuleState } from '../../protocol/alerts.ts'

vi.mock('../../screen/socket.ts', () => ({ useSocket: () => ({ on: () => undefined, off: () => undefined }) }))
const { useAlertsStore } = await import('../../screen/stores/alerts.ts')

const state = (rule: string): AlertRuleState =>
  ({ rule, title: rule, metric: 'stock.belowSafety', state: 'firing', since: '2026-12-06T10:00:00+08:00', groups: [] }) as unknown as AlertRuleState

let calls = 0
let release: (() => void)[] = []
beforeEach(() => {
  setActivePinia(createPinia())
  calls = 0
  release = []
  vi.stubGlobal('window', { location: { search: '' } })
  vi.stubGlobal('fetch', async () => {
    const n = ++calls
    await new Promise<void>((r) => release.push(r))
    return { ok: true, json: async () => ({ states: [state(`rule-${n}`)], transitions: [] }) }
  })
})
afterEach(() => vi.unstubAllGlobals())

describe('useAlertsStore', () => {
  test('ten events during a read make one more read, and the last read is what shows', async () => {
    const store = useAlertsStore()
    const first = store.refresh()
    for (let i = 0; i < 10; i++) void store.refresh()
    expect(calls).toBe(1)
    release.shift()!()
    await vi.waitFor(() => expect(calls).toBe(2))
    release.shift()!()
    await first
    expect(calls).toBe(2)
    expect(store.firing.map((s) => s.rule)).toEqual(['rule-2'])
  })

  test('an event after the reads ended starts a new read', async () => {
    const store = useAlertsStore()
    const one = store.refresh()
    release.shift()!()
    await one
    const two = store.refresh()
    expect(calls).toBe(2)
    release.shift()!()
    await two
    expect(store.firing.map((s) => s.rule)).toEqual(['rule-2'])
  })
})
