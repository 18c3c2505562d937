/**
 * Rule evaluation as a pure function (server/alerts/evaluate.ts): every condition, hysteresis,
 * `for`, grouping of groups that move together, quiet hours in the business time zone, and the
 * 400s naming the field for rule and channel bodies (server/alerts/validate.ts).
 */
import { describe, expect, test } from 'vitest'
import type { AlertRuleDefinition } from '../../protocol/alerts.ts'
import type { AlertRow, QueryResult } from '../../protocol/query.ts'
import { emptyMemory, evaluateRule, quietUntil, RESOLVED_KEPT_MS } from '../../server/alerts/evaluate.ts'
import type { RuleMemory } from '../../server/alerts/evaluate.ts'
import { checkChannelBody, checkRuleBody } from '../../server/alerts/validate.ts'

const T0 = Date.parse('2026-12-06T10:00:00+08:00')

function rule(over: Partial<AlertRuleDefinition>): AlertRuleDefinition {
  return { id: 'r', title: 'R', query: { metric: 'sales.revenue', window: 'today' }, condition: { kind: 'above', threshold: 100 }, channels: [], ...over }
}

function total(v: number | null, previous?: number | null): QueryResult {
  return {
    metric: 'sales.revenue',
    unit: 'money',
    currency: 'CNY',
    total: v,
    asOf: '',
    ...(previous !== undefined ? { previous: { from: '', to: '', total: previous } } : {}),
  }
}

function groups(values: Record<string, number>): QueryResult {
  return { ...total(null), groupBy: 'sku', groups: Object.entries(values).map(([key, v]) => ({ key, label: `name ${key}`, total: v })) }
}

function rows(list: [sku: string, qty: number][]): QueryResult {
  const r: AlertRow[] = list.map(([sku, qty]) => ({ sku, warehouse: 'W1', warehouseName: '一号仓', qty, safetyStock: 10, coverage: qty / 10 }))
  return { ...total(list.length), metric: 'stock.belowSafety', unit: 'count', rows: r }
}

/** feeds results one after another (`[ms after T0, result]`), returning every evaluation */
function run(r: AlertRuleDefinition, steps: [number, QueryResult | undefined][], start: RuleMemory = emptyMemory(T0)) {
  let memory = start
  return steps.map(([at, result]) => {
    const ev = evaluateRule(r, result, memory, T0 + at)
    memory = ev.memory
    return ev
  })
}

describe('above and below, with hysteresis', () => {
  test('above fires once when crossing, stays firing between the clear level and the threshold, resolves past the clear level', () => {
    const r = rule({ condition: { kind: 'above', threshold: 100, clear: 80 } })
    const evs = run(r, [
      [0, total(90)],
      [1000, total(120)],
      [2000, total(130)],
      [3000, total(95)],
      [4000, total(80)],
      [5000, total(70)],
    ])
    expect(evs.map((e) => e.memory.state)).toEqual(['ok', 'firing', 'firing', 'firing', 'resolved', 'resolved'])
    expect(evs.map((e) => e.transitions.map((t) => t.to))).toEqual([[], ['firing'], [], [], ['resolved'], []])
    expect(evs[1]!.transitions[0]!.groups).toEqual([{ key: '_', value: 120, threshold: 100 }])
    expect(evs[1]!.transitions[0]!.condition).toBe('> 100 (clears ≤ 80)')
    expect(evs[1]!.transitions[0]!.period).toBe('today')
  })

  test('below without a clear level resolves as soon as it is back at the threshold', () => {
    const r = rule({ condition: { kind: 'below', threshold: 0.9 } })
    const evs = run(r, [
      [0, total(0.95)],
      [1000, total(0.85)],
      [2000, total(0.9)],
    ])
    expect(evs.map((e) => e.transitions.map((t) => t.to))).toEqual([[], ['firing'], ['resolved']])
  })

  test('a null figure (ratio without denominator) neither fires nor clears', () => {
    const r = rule({ condition: { kind: 'below', threshold: 0.9 } })
    const evs = run(r, [
      [0, total(null)],
      [1000, total(0.5)],
      [2000, total(null)],
    ])
    expect(evs.map((e) => e.memory.state)).toEqual(['ok', 'firing', 'firing'])
  })
})

describe('change against the previous period', () => {
  test('either direction, with a clear level', () => {
    const r = rule({ condition: { kind: 'change', percent: 20, clear: 10 } })
    const evs = run(r, [
      [0, total(110, 100)],
      [1000, total(70, 100)],
      [2000, total(85, 100)],
      [3000, total(95, 100)],
    ])
    expect(evs.map((e) => e.memory.state)).toEqual(['ok', 'firing', 'firing', 'resolved'])
    expect(evs[1]!.transitions[0]!.groups[0]!.value).toBe(-30)
  })

  test('up only ignores a fall; no previous figure is no change', () => {
    const r = rule({ condition: { kind: 'change', percent: 10, direction: 'up' } })
    const evs = run(r, [
      [0, total(50, 100)],
      [1000, total(500, 0)],
      [2000, total(120, 100)],
    ])
    expect(evs.map((e) => e.memory.state)).toEqual(['ok', 'ok', 'firing'])
  })
})

describe('for', () => {
  test('pending until the condition held for the duration, then firing; the next check is the expiry', () => {
    const r = rule({ forSeconds: 300 })
    const evs = run(r, [
      [0, total(150)],
      [60_000, total(160)],
      [300_000, total(170)],
    ])
    expect(evs.map((e) => e.memory.state)).toEqual(['pending', 'pending', 'firing'])
    expect(evs[0]!.nextCheckAt).toBe(T0 + 300_000)
    expect(evs[1]!.nextCheckAt).toBe(T0 + 300_000)
    expect(evs[2]!.transitions.map((t) => t.to)).toEqual(['firing'])
  })

  test('a breach shorter than the duration never fires nor notifies', () => {
    const r = rule({ forSeconds: 300 })
    const evs = run(r, [
      [0, total(150)],
      [100_000, total(50)],
      [400_000, total(50)],
    ])
    expect(evs.map((e) => e.memory.state)).toEqual(['pending', 'ok', 'ok'])
    expect(evs.flatMap((e) => e.transitions)).toEqual([])
  })
})

describe('any group crossing, grouped notifications', () => {
  test('groups that cross together make one transition listing each; each group keeps its own state', () => {
    const r = rule({ query: { metric: 'supplier.onTimeRate', window: 'P30D', groupBy: 'partner' }, condition: { kind: 'anyGroup', op: 'below', threshold: 0.9, clear: 0.92 } })
    const evs = run(r, [
      [0, groups({ S1: 0.95, S2: 0.97, S3: 0.99 })],
      [1000, groups({ S1: 0.8, S2: 0.85, S3: 0.99 })],
      [2000, groups({ S1: 0.91, S2: 0.95, S3: 0.5 })],
    ])
    expect(evs[1]!.transitions).toHaveLength(1)
    expect(evs[1]!.transitions[0]!.groups.map((g) => g.key)).toEqual(['S1', 'S2'])
    expect(evs[1]!.transitions[0]!.groups[0]!.label).toBe('name S1')
    // S1 at 0.91 is above the threshold but under the clear level: still firing; S2 resolved; S3 fires
    expect(evs[2]!.transitions.map((t) => [t.to, t.groups.map((g) => g.key)])).toEqual([
      ['firing', ['S3']],
      ['resolved', ['S2']],
    ])
    expect(evs[2]!.memory.groups.S1!.state).toBe('firing')
  })

  test('37 SKUs below safety stock at once: one message listing 37; a row leaving the list resolves', () => {
    const r = rule({ query: { metric: 'stock.belowSafety' }, condition: { kind: 'anyGroup', op: 'below' } })
    const many = Array.from({ length: 37 }, (_, i): [string, number] => [`SKU-${String(i).padStart(2, '0')}`, i % 10])
    const evs = run(r, [
      [0, rows(many)],
      [1000, rows(many.slice(1))],
    ])
    expect(evs[0]!.transitions).toHaveLength(1)
    expect(evs[0]!.transitions[0]!.groups).toHaveLength(37)
    expect(evs[0]!.transitions[0]!.groups[3]).toEqual({ key: 'SKU-03|W1', label: 'SKU-03 @ 一号仓', value: 3, threshold: 10 })
    expect(evs[1]!.transitions.map((t) => [t.to, t.groups.map((g) => g.key)])).toEqual([['resolved', ['SKU-00|W1']]])
    expect(evs[1]!.memory.state).toBe('firing')
  })

  test('a resolved group is forgotten after a while', () => {
    const r = rule({ query: { metric: 'stock.belowSafety' }, condition: { kind: 'anyGroup', op: 'below' } })
    const evs = run(r, [
      [0, rows([['A', 1]])],
      [1000, rows([])],
      [1000 + RESOLVED_KEPT_MS, rows([])],
    ])
    expect(Object.keys(evs[1]!.memory.groups)).toEqual(['A|W1'])
    expect(evs[1]!.nextCheckAt).toBe(T0 + 1000 + RESOLVED_KEPT_MS)
    expect(evs[2]!.memory.groups).toEqual({})
    expect(evs[2]!.memory.state).toBe('resolved')
  })
})

describe('no data', () => {
  test('fires after N silent minutes, resolves when data comes, and asks to be looked at when the silence would end', () => {
    const r = rule({ condition: { kind: 'noData', minutes: 10 } })
    const start = emptyMemory(T0)
    const first = evaluateRule(r, undefined, start, T0 + 60_000)
    expect(first.memory.state).toBe('ok')
    expect(first.nextCheckAt).toBe(T0 + 600_000)
    const silent = evaluateRule(r, undefined, first.memory, T0 + 600_000)
    expect(silent.transitions.map((t) => t.to)).toEqual(['firing'])
    expect(silent.transitions[0]!.condition).toBe('no data for 10 min')
    const back = evaluateRule(r, undefined, { ...silent.memory, lastDataAt: T0 + 700_000 }, T0 + 700_000)
    expect(back.transitions.map((t) => t.to)).toEqual(['resolved'])
  })
})

describe('quiet hours in the business time zone', () => {
  const at = (iso: string) => Date.parse(iso)
  test('inside a window over midnight: held until its end', () => {
    const q = { from: '22:00', to: '07:00' }
    expect(quietUntil(at('2026-12-06T23:30:00+08:00'), q, 'Asia/Shanghai')).toBe(at('2026-12-07T07:00:00+08:00'))
    expect(quietUntil(at('2026-12-06T02:15:30+08:00'), q, 'Asia/Shanghai')).toBe(at('2026-12-06T07:00:00+08:00'))
    expect(quietUntil(at('2026-12-06T07:00:00+08:00'), q, 'Asia/Shanghai')).toBeUndefined()
    expect(quietUntil(at('2026-12-06T12:00:00+08:00'), q, 'Asia/Shanghai')).toBeUndefined()
  })
  test('the zone decides: 23:30 in Shanghai is 15:30 UTC', () => {
    const q = { from: '12:00', to: '13:00' }
    expect(quietUntil(at('2026-12-06T12:30:00Z'), q, 'UTC')).toBe(at('2026-12-06T13:00:00Z'))
    expect(quietUntil(at('2026-12-06T12:30:00Z'), q, 'Asia/Shanghai')).toBeUndefined()
    expect(quietUntil(at('2026-12-06T04:30:00Z'), q, 'Asia/Shanghai')).toBe(at('2026-12-06T05:00:00Z'))
  })
})

describe('rule and channel bodies: a 400 names the field', () => {
  const base = { title: 'Low stock', query: { metric: 'stock.belowSafety' }, condition: { kind: 'anyGroup', op: 'below' }, channels: [] }
  const paths = (r: ReturnType<typeof checkRuleBody> | ReturnType<typeof checkChannelBody>) => (r.ok ? [] : r.errors.map((e) => e.path))

  test('a valid rule passes, its id taken from the URL', () => {
    const r = checkRuleBody(base, 'low-stock')
    expect(r.ok && r.value.id).toBe('low-stock')
  })
  test.each([
    [{ ...base, condition: { kind: 'sideways' } }, '/condition/kind'],
    [{ ...base, condition: { kind: 'above' } }, '/condition/threshold'],
    [{ ...base, condition: { kind: 'above', threshold: 'x' } }, '/condition/threshold'],
    [{ ...base, query: { metric: 'sales.revenue', window: 'today' }, condition: { kind: 'above', threshold: 10, clear: 20 } }, '/condition/clear'],
    [{ ...base, query: { metric: 'sales.revenue', window: 'today' }, condition: { kind: 'anyGroup', op: 'above', threshold: 1 } }, '/query/groupBy'],
    [{ ...base, query: { metric: 'stock.qty' }, condition: { kind: 'change', percent: 10 } }, '/query/window'],
    [{ ...base, forSeconds: -1 }, '/forSeconds'],
    [{ ...base, quietHours: { from: '25:00', to: '07:00' } }, '/quietHours/from'],
    [{ ...base, channels: ['Bad Id'] }, '/channels/0'],
    [{ ...base, title: undefined }, '/title'],
    [{ ...base, colour: 'red' }, '/colour'],
    [{ ...base, query: { metric: 'sales.nothing' } }, '/query/metric'],
  ])('%j → %s', (body, path) => {
    expect(paths(checkRuleBody(body, 'low-stock'))).toContain(path)
  })
  test('channels: a kind needs its variables, secrets are names of variables', () => {
    expect(checkChannelBody({ kind: 'wecom', urlEnv: 'WECOM_URL' }, 'ops').ok).toBe(true)
    expect(paths(checkChannelBody({ kind: 'wecom' }, 'ops'))).toEqual(['/urlEnv'])
    expect(paths(checkChannelBody({ kind: 'dingtalk', urlEnv: 'https://oapi.dingtalk.com/robot/send?access_token=x' }, 'ops'))).toEqual(['/urlEnv'])
    expect(paths(checkChannelBody({ kind: 'email', smtpEnv: 'SMTP_URL' }, 'ops'))).toEqual(['/to'])
    expect(paths(checkChannelBody({ kind: 'pager', urlEnv: 'X' }, 'ops'))).toContain('/kind')
    expect(paths(checkChannelBody({ kind: 'webhook', urlEnv: 'X', id: 'other' }, 'ops'))).toEqual(['/id'])
    // the cockpit's own secrets cannot be named: a channel could send them anywhere
    expect(paths(checkChannelBody({ kind: 'webhook', urlEnv: 'X', secretEnv: 'COCKPIT_ADMIN_KEY' }, 'ops'))).toEqual(['/secretEnv'])
    expect(paths(checkChannelBody({ kind: 'email', smtpEnv: 'REDIS_URL', to: ['a@b.c'] }, 'ops'))).toEqual(['/smtpEnv'])
  })
})
