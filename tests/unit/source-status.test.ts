// @vitest-environment happy-dom
/**
 * The source-status widget against the answer of `GET /api/v1/sources` — an array of
 * `{source, status}` (protocol/sources.ts) — built here by the server's own status code
 * (server/sources/status.ts `statusOf`, from status hashes as the runner writes them) and the
 * reader's view of a definition, and checked against the endpoint's response schema: rows in the
 * order that needs attention, lag and counters as shown, a failing source's error, an unreadable
 * answer as no rows; and the host's polling of the endpoint every 5 s with the page's token.
 * tests/integration/source-health.test.ts feeds the widget's reader the live endpoint's answer.
 */
import { afterEach, describe, expect, test, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { defineComponent, effectScope, h, nextTick } from 'vue'
import { Compile } from 'typebox/compile'
import Type from 'typebox'
import SourceStatus from '../../widgets/source-status/SourceStatus.vue'
import { SOURCES_PATH, sourceStatus } from '../../widgets/source-status/manifest.ts'
import { lagText, sourceRows } from '../../widgets/source-status/status.ts'
import { isApiPath, usePolls } from '../../screen/composables/usePolls.ts'
import type { PolledResult } from '../../widgets/define-widget.ts'
import { statusOf } from '../../server/sources/status.ts'
import type { StoredSource } from '../../server/sources/config.ts'
import { SourceSummarySchema, publicSourceView } from '../../protocol/sources.ts'
import { backfillProgress } from '../../screen/sources/source-api.ts'

const NOW = Date.parse('2026-12-06T02:00:00Z')
const ago = (ms: number) => String(NOW - ms)
const stored = (id: string, kind: StoredSource['kind'], more: Partial<StoredSource> = {}): StoredSource => ({
  id,
  kind,
  connectionEnv: `${id.toUpperCase().replaceAll('-', '_')}_URL`,
  version: 3,
  updatedAt: '2026-12-01T00:00:00.000Z',
  ...more,
})
/** status hashes as the runner leaves them (server/sources/runner.ts: commit, writeStatus) */
const counters = (read: number, applied: number, duplicate: number, skipped: number, rejected: number) => ({
  read: String(read),
  applied: String(applied),
  duplicate: String(duplicate),
  skipped: String(skipped),
  rejected: String(rejected),
  master: '0',
})
const SOURCES: [StoredSource, Record<string, string>][] = [
  [
    stored('erpnext-main', 'erpnext', { title: 'ERPNext (Acme)', backfill: { since: '2026-01-01' } }),
    {
      state: 'running',
      heartbeatAt: ago(500),
      holder: 'cockpit-1:4242:9f0c1a2b',
      ...counters(120_450, 120_300, 100, 40, 10),
      newestAt: ago(2500),
      caughtUpAt: ago(1800),
      failures: '0',
      failingSince: '',
      bfStartedAt: ago(7_200_000),
      bfRows: '98000',
      bfDoneAt: ago(7_000_000),
    },
  ],
  [
    stored('odoo-east', 'odoo'),
    {
      state: 'failing',
      heartbeatAt: ago(2000),
      holder: 'cockpit-2:77:11aa22bb',
      ...counters(5000, 4990, 0, 0, 10),
      newestAt: ago(560_000),
      caughtUpAt: ago(540_000),
      lastError: 'ECONNREFUSED: connect ECONNREFUSED 10.0.0.5:5432',
      lastErrorAt: '2026-12-06T01:58:02.000Z',
      failingSince: '2026-12-06T01:51:00.000Z',
      failures: '9',
      bfStartedAt: ago(9_000_000),
      bfRows: '5000',
      bfDoneAt: ago(8_900_000),
    },
  ],
  [
    stored('jsh-store', 'jsherp', { backfill: { since: '2024-01-01' } }),
    {
      state: 'backfilling',
      heartbeatAt: ago(100),
      holder: 'w:1:x',
      ...counters(200_000, 199_000, 1000, 0, 0),
      newestAt: ago(3 * 86_400_000),
      bfStartedAt: ago(60_000),
      bfRows: '200000',
    },
  ],
  [stored('old-pos', 'jsherp', { paused: true }), { state: 'paused', heartbeatAt: ago(900_000) }],
]
/** what a wall's reader gets: the real status, the reader's view of the definition */
const ANSWER = SOURCES.map(([source, hash]) => ({ source: publicSourceView(source), status: statusOf(source, hash, NOW) }))

afterEach(() => {
  document.body.innerHTML = ''
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('reading the answer', () => {
  test("the fixture is the endpoint's shape, with no connection variable", () => {
    const check = Compile(Type.Array(SourceSummarySchema))
    expect([...check.Errors(ANSWER)]).toEqual([])
    expect(JSON.stringify(ANSWER)).not.toContain('_URL')
  })

  test('failing first, then backfilling, paused, running; counters and errors kept', () => {
    const rows = sourceRows(ANSWER)
    expect(rows.map((r) => [r.id, r.state])).toEqual([
      ['odoo-east', 'failing'],
      ['jsh-store', 'backfilling'],
      ['old-pos', 'paused'],
      ['erpnext-main', 'running'],
    ])
    expect(rows[0]).toMatchObject({
      kind: 'odoo',
      lagMs: 540_000,
      rows: { read: 5000, applied: 4990, rejected: 10 },
      lastError: { message: 'ECONNREFUSED: connect ECONNREFUSED 10.0.0.5:5432', at: '2026-12-06T01:58:02.000Z' },
      failingSince: '2026-12-06T01:51:00.000Z',
    })
    expect(rows[1]).toMatchObject({ backfillRows: 200_000, backfillDoneAt: null, lagMs: 3 * 86_400_000 })
    expect(rows[2]!.lagMs).toBeNull()
    expect(rows[3]).toMatchObject({ title: 'ERPNext (Acme)', lagMs: 1800, rows: { read: 120_450, applied: 120_300, duplicate: 100, skipped: 40, rejected: 10 } })
    expect(rows[3]!.backfillDoneAt).toBe(new Date(NOW - 7_000_000).toISOString())
    expect(sourceRows(ANSWER, 2)).toHaveLength(2)
  })

  test("the admin's answer (the whole definition) reads the same", () => {
    const admin = SOURCES.map(([source, hash]) => ({ source, status: statusOf(source, hash, NOW) }))
    expect(sourceRows(admin)).toEqual(sourceRows(ANSWER))
  })

  test('anything else is no rows, never an exception', () => {
    const guessed = { sources: [{ id: 'a', kind: 'odoo', state: 'running', lagMs: 5, rows: { read: 1 } }] }
    for (const bad of [null, 'x', 42, {}, guessed, [null, 1, { id: 'a' }, { source: { id: '' }, status: {} }, { source: { kind: 'x' }, status: {} }]])
      expect(sourceRows(bad)).toEqual([])
    const odd = sourceRows([{ source: { id: 'a' }, status: { state: 'exploded', lagMs: -5, counters: { read: 'many', applied: Infinity }, backfill: 'x' } }])
    expect(odd).toEqual([
      {
        id: 'a',
        title: 'a',
        kind: '',
        state: 'idle',
        lagMs: null,
        rows: { read: 0, applied: 0, duplicate: 0, skipped: 0, rejected: 0 },
        lastError: null,
        failingSince: null,
        backfillRows: 0,
        backfillDoneAt: null,
      },
    ])
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
    const w = mountWith({ sources: { body: ANSWER, at: Date.now() } }, 'en')
    const rows = w.findAll('[data-testid="source-row"]')
    expect(rows.map((r) => r.attributes('data-source'))).toEqual(['odoo-east', 'jsh-store', 'old-pos', 'erpnext-main'])
    expect(w.get('[data-testid="source-count"]').text()).toBe('4')
    expect(w.get('.summary-text').text()).toBe('sources, 1 failing')
    expect(rows[0]!.text()).toContain('Failing')
    expect(rows[0]!.text()).toContain('9 min')
    expect(rows[0]!.text()).toContain('10 rejected')
    expect(rows[0]!.get('.error').text()).toBe('Last error 09:58:02: ECONNREFUSED: connect ECONNREFUSED 10.0.0.5:5432')
    expect(rows[1]!.text()).toContain('backfill 200.0K rows')
    expect(rows[3]!.text()).toContain('120.3K / 120.5K')
    expect(rows[3]!.text()).toContain('1.8 s')
    expect(rows[3]!.text()).toContain('ERPNext (Acme)')
  })

  test('in Chinese; narrow boxes drop the counters column', () => {
    const w = mountWith({ sources: { body: ANSWER, at: Date.now() } }, 'zh-CN', 300)
    expect(w.get('.summary-text').text()).toBe('个数据源，1 个故障')
    expect(w.findAll('[data-testid="source-row"]')[0]!.text()).toContain('故障')
    expect(w.text()).not.toContain('4,990 / 5,000')
  })

  test('loading, no sources, and a failed read that keeps the last rows', () => {
    expect(mountWith({ sources: {} }, 'en').text()).toContain('Reading the sources…')
    expect(mountWith({ sources: { body: [], at: 1 } }, 'en').text()).toContain('No sources configured')
    const w = mountWith({ sources: { body: ANSWER, at: 1, error: 'HTTP 503' } }, 'en')
    expect(w.get('[data-testid="source-error"]').text()).toBe('Cannot read the sources: HTTP 503')
    expect(w.findAll('[data-testid="source-row"]')).toHaveLength(4)
  })

  test('source ids are shown as text, never markup', () => {
    const w = mountWith({ sources: { body: [{ ...ANSWER[1]!, source: { ...ANSWER[1]!.source, id: '<img src=x onerror=alert(1)>' } }], at: 1 } }, 'en')
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
    let answer: () => Response = () => new Response(JSON.stringify(ANSWER), { status: 200, headers: { 'content-type': 'application/json' } })
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
    vi.stubGlobal('fetch', () => Promise.resolve(new Response(JSON.stringify(ANSWER), { status: 200 })))
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

describe('the Sources page: backfill progress', () => {
  test('measured in time from backfill.since to now, up to the newest ERP time applied; 1 when done; unknown without a start', () => {
    const [source, hash] = SOURCES[2]! // backfilling since 2024-01-01, newest applied 3 days ago
    const status = statusOf(source, hash, NOW)
    const from = Date.parse('2024-01-01T00:00:00Z')
    expect(backfillProgress(status, NOW)).toBeCloseTo((NOW - 3 * 86_400_000 - from) / (NOW - from), 6)
    expect(backfillProgress(statusOf(...SOURCES[0]!, NOW), NOW)).toBe(1)
    // all history, or nothing applied yet: no bar
    expect(backfillProgress({ ...status, backfill: { ...status.backfill, since: null } }, NOW)).toBeUndefined()
    expect(backfillProgress({ ...status, backfill: { ...status.backfill, reachedAt: null } }, NOW)).toBeUndefined()
    // a clock behind the start date
    expect(backfillProgress(status, from - 1)).toBeUndefined()
  })
})
