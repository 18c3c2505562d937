// @vitest-environment happy-dom
/**
 * The source-status widget against the answer of `GET /api/v1/sources`
 * (`{sources: [{id, kind, state, lagMs, rows, lastError, backfill}]}`): rows in the order that
 * needs attention, lag and counters as shown, a failing source's error, an unreadable answer as
 * no rows; and the host's polling of the endpoint every 5 s with the page's token.
 */
import { afterEach, describe, expect, test, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { defineComponent, effectScope, h, nextTick } from 'vue'
import SourceStatus from '../../widgets/source-status/SourceStatus.vue'
import { SOURCES_PATH, sourceStatus } from '../../widgets/source-status/manifest.ts'
import { lagText, sourceRows } from '../../widgets/source-status/status.ts'
import { isApiPath, usePolls } from '../../screen/composables/usePolls.ts'
import type { PolledResult } from '../../widgets/define-widget.ts'

/** the endpoint's answer, as it is specified */
const FIXTURE = {
  sources: [
    {
      id: 'erpnext-main',
      kind: 'erpnext',
      state: 'running',
      lagMs: 1800,
      rows: { read: 120_450, applied: 120_300, duplicate: 100, skipped: 40, rejected: 10 },
      lastError: null,
      backfill: { since: '2026-01-01', rows: 98_000, doneAt: '2026-12-06T08:00:00+08:00' },
    },
    {
      id: 'odoo-east',
      kind: 'odoo',
      state: 'failing',
      lagMs: 540_000,
      rows: { read: 5000, applied: 4990, duplicate: 0, skipped: 0, rejected: 10 },
      lastError: { message: 'connect ECONNREFUSED 10.0.0.5:5432', at: '2026-12-06T09:58:02+08:00' },
      backfill: { since: null, rows: 0, doneAt: null },
    },
    {
      id: 'jsh-store',
      kind: 'jsherp',
      state: 'backfilling',
      lagMs: 86_400_000 * 3,
      rows: { read: 200_000, applied: 199_000, duplicate: 1000, skipped: 0, rejected: 0 },
      lastError: null,
      backfill: { since: '2024-01-01', rows: 200_000, doneAt: null },
    },
    { id: 'old-pos', kind: 'jsherp', state: 'paused', lagMs: null, rows: { read: 0, applied: 0, duplicate: 0, skipped: 0, rejected: 0 }, lastError: null, backfill: {} },
  ],
}

afterEach(() => {
  document.body.innerHTML = ''
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('reading the answer', () => {
  test('failing first, then backfilling, paused, running; counters and errors kept', () => {
    const rows = sourceRows(FIXTURE)
    expect(rows.map((r) => [r.id, r.state])).toEqual([
      ['odoo-east', 'failing'],
      ['jsh-store', 'backfilling'],
      ['old-pos', 'paused'],
      ['erpnext-main', 'running'],
    ])
    expect(rows[0]).toMatchObject({ kind: 'odoo', lagMs: 540_000, rows: { read: 5000, applied: 4990, rejected: 10 }, lastError: { message: 'connect ECONNREFUSED 10.0.0.5:5432' } })
    expect(rows[1]!.backfillRows).toBe(200_000)
    expect(rows[2]!.lagMs).toBeNull()
    expect(sourceRows(FIXTURE, 2)).toHaveLength(2)
  })

  test('the detail form ({source, status}) reads the same', () => {
    const detail = FIXTURE.sources.map(({ id, kind, rows, ...status }) => ({ source: { id, kind, version: 1 }, status: { ...status, counters: { ...rows, master: 3 } } }))
    expect(sourceRows(detail)).toEqual(sourceRows(FIXTURE))
  })

  test('anything else is no rows, never an exception', () => {
    for (const bad of [null, 'x', 42, {}, { sources: 'x' }, { sources: [null, 1, { id: '' }, { kind: 'x' }] }]) expect(sourceRows(bad)).toEqual([])
    const odd = sourceRows({ sources: [{ id: 'a', state: 'exploded', lagMs: -5, rows: { read: 'many', applied: Infinity } }] })
    expect(odd).toEqual([{ id: 'a', kind: '', state: 'idle', lagMs: null, rows: { read: 0, applied: 0, duplicate: 0, skipped: 0, rejected: 0 }, lastError: null }])
  })

  test('lags read in seconds, minutes, hours, days', () => {
    expect([lagText(null), lagText(800), lagText(42_000), lagText(540_000), lagText(3.5 * 3600_000), lagText(3 * 86_400_000)]).toEqual([
      '—',
      '0.8 s',
      '42 s',
      '9 min',
      '3.5 h',
      '3.0 d',
    ])
  })
})

describe('the widget', () => {
  const mountWith = (polled: Record<string, PolledResult>, locale: 'zh-CN' | 'en' = 'zh-CN', width = 600) =>
    mount(SourceStatus, { props: { data: {}, options: sourceStatus.defaults, width, height: 360, locale, theme: 'dark', polled }, attachTo: document.body })

  test('one row per source, the failing one first with its error', () => {
    const w = mountWith({ sources: { body: FIXTURE, at: Date.now() } }, 'en')
    const rows = w.findAll('[data-testid="source-row"]')
    expect(rows.map((r) => r.attributes('data-source'))).toEqual(['odoo-east', 'jsh-store', 'old-pos', 'erpnext-main'])
    expect(w.get('[data-testid="source-count"]').text()).toBe('4')
    expect(w.get('.summary-text').text()).toBe('sources, 1 failing')
    expect(rows[0]!.text()).toContain('Failing')
    expect(rows[0]!.text()).toContain('9 min')
    expect(rows[0]!.text()).toContain('10 rejected')
    expect(rows[0]!.get('.error').text()).toBe('Last error 09:58:02: connect ECONNREFUSED 10.0.0.5:5432')
    expect(rows[1]!.text()).toContain('backfill 200.0K rows')
    expect(rows[3]!.text()).toContain('120.3K / 120.5K')
    expect(rows[3]!.text()).toContain('1.8 s')
  })

  test('in Chinese; narrow boxes drop the counters column', () => {
    const w = mountWith({ sources: { body: FIXTURE, at: Date.now() } }, 'zh-CN', 300)
    expect(w.get('.summary-text').text()).toBe('个数据源，1 个故障')
    expect(w.findAll('[data-testid="source-row"]')[0]!.text()).toContain('故障')
    expect(w.text()).not.toContain('4,990 / 5,000')
  })

  test('loading, no sources, and a failed read that keeps the last rows', () => {
    expect(mountWith({ sources: {} }, 'en').text()).toContain('Reading the sources…')
    expect(mountWith({ sources: { body: { sources: [] }, at: 1 } }, 'en').text()).toContain('No sources configured')
    const w = mountWith({ sources: { body: FIXTURE, at: 1, error: 'HTTP 503' } }, 'en')
    expect(w.get('[data-testid="source-error"]').text()).toBe('Cannot read the sources: HTTP 503')
    expect(w.findAll('[data-testid="source-row"]')).toHaveLength(4)
  })

  test('source ids are shown as text, never markup', () => {
    const w = mountWith({ sources: { body: { sources: [{ ...FIXTURE.sources[1], id: '<img src=x onerror=alert(1)>' }] }, at: 1 } }, 'en')
    expect(w.find('img').exists()).toBe(false)
    expect(w.text()).toContain('<img src=x onerror=alert(1)>')
  })
})

describe('polling', () => {
  test('the manifest asks for GET /api/v1/sources every 5 s by default; only API paths are read', () => {
    expect(sourceStatus.polls!(sourceStatus.defaults)).toEqual({ sources: { path: SOURCES_PATH, everyMs: 5000 } })
    expect(sourceStatus.queries(sourceStatus.defaults)).toEqual({})
    expect([isApiPath('/sources'), isApiPath('/sources?x=1'), isApiPath('//evil.example/x'), isApiPath('https://x'), isApiPath('/../x')]).toEqual([true, true, false, false, false])
  })

  test('reads every interval once the last read answered, with the page token; stops with its scope', async () => {
    vi.useFakeTimers()
    window.history.replaceState(null, '', '/wall/ops?token=viewer-1')
    const calls: [string, RequestInit | undefined][] = []
    let answer: () => Response = () => new Response(JSON.stringify(FIXTURE), { status: 200, headers: { 'content-type': 'application/json' } })
    vi.stubGlobal('fetch', (url: string, init?: RequestInit) => {
      calls.push([url, init])
      return Promise.resolve(answer())
    })
    const scope = effectScope()
    const results = scope.run(() => usePolls(() => sourceStatus.polls!(sourceStatus.defaults)))!
    await vi.advanceTimersByTimeAsync(10)
    expect(calls).toHaveLength(1)
    expect(calls[0]![0]).toBe('/api/v1/sources')
    expect((calls[0]![1]!.headers as Record<string, string>).authorization).toBe('Bearer viewer-1')
    expect(sourceRows(results.value.sources!.body)).toHaveLength(4)
    await vi.advanceTimersByTimeAsync(4900)
    expect(calls).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(200)
    expect(calls).toHaveLength(2)
    // a failed read keeps the last body and says why
    answer = () => new Response(JSON.stringify({ error: 'COCKPIT_ERR_UNAVAILABLE', message: 'Redis is unreachable' }), { status: 503 })
    await vi.advanceTimersByTimeAsync(5000)
    expect(results.value.sources!.error).toBe('COCKPIT_ERR_UNAVAILABLE: Redis is unreachable')
    expect(sourceRows(results.value.sources!.body)).toHaveLength(4)
    scope.stop()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(calls).toHaveLength(3)
  })

  test('a host mounting the widget hands the polled answer to it', async () => {
    vi.stubGlobal('fetch', () => Promise.resolve(new Response(JSON.stringify(FIXTURE), { status: 200 })))
    const Host = defineComponent({
      setup() {
        const polled = usePolls(() => sourceStatus.polls!(sourceStatus.defaults))
        return () => h(SourceStatus, { data: {}, options: sourceStatus.defaults, width: 600, height: 360, locale: 'en', polled: polled.value })
      },
    })
    const w = mount(Host, { attachTo: document.body })
    await vi.waitFor(() => expect(w.findAll('[data-testid="source-row"]')).toHaveLength(4))
    w.unmount()
    await nextTick()
  })
})
