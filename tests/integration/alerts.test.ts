/**
 * Alerts through the real server and Redis (docs/alerts.md): rule and channel CRUD with versions
 * and 400s naming the field; a "below safety stock" rule firing on movements with one grouped
 * message at a local WeCom-format receiver, the `alert` socket event and `GET /api/v1/alerts`;
 * resolving when stock is received; no second message after a restart; one evaluation and one
 * message with two server apps on one Redis; `for` durations; quiet hours holding messages;
 * retries with back-off in the delivery log; DingTalk's signed URL, Feishu's signed card, the
 * signed generic webhook and email through a local SMTP server (smtp-server).
 */
import { createHmac, randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingHttpHeaders, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import type { ChainableCommander } from 'ioredis'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { io as connect } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import type { AlertsOverview, AlertTransition, DeliveryAttempt } from '../../protocol/alerts.ts'
import type { ClientToServerEvents, ServerToClientEvents } from '../../protocol/events.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'

interface Received {
  path: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  raw: string
  body: any
}

/** A local HTTP receiver: records every request; `answer` decides the reply (default 200 `{errcode:0}`). */
async function receiver() {
  const got: Received[] = []
  /** [status, body, ms to wait before answering] */
  let answer: (r: Received) => [number, unknown, number?] = () => [200, { errcode: 0, errmsg: 'ok' }]
  const http: Server = createServer((req, res) => {
    let raw = ''
    req.on('data', (c: Buffer) => (raw += c.toString()))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x')
      const r: Received = { path: url.pathname, query: url.searchParams, headers: req.headers, raw, body: raw ? JSON.parse(raw) : undefined }
      got.push(r)
      const [status, body, delay] = answer(r)
      const send = () => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
      if (delay) setTimeout(send, delay)
      else send()
    })
  })
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  return {
    base,
    got,
    at: (path: string) => got.filter((g) => g.path === path),
    answer(fn: typeof answer) {
      answer = fn
    },
    close: () => new Promise<void>((r) => http.close(() => r())),
  }
}

/** A local SMTP server that keeps each message's envelope and source. */
async function smtp() {
  const mails: { from: string; to: string[]; source: string }[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, done) {
      let source = ''
      stream.on('data', (c: Buffer) => (source += c.toString()))
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          source,
        })
        done()
      })
    },
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.server.address() as AddressInfo).port
  return { url: `smtp://127.0.0.1:${port}`, mails, close: () => new Promise<void>((r) => server.close(() => r())) }
}

let hook: Awaited<ReturnType<typeof receiver>>
let mail: Awaited<ReturnType<typeof smtp>>
let server: TestServer
const prefix = `test:alerts:${randomUUID().slice(0, 8)}:`
const DING_SECRET = 'SEC0123456789abcdef-test'
const FEISHU_SECRET = 'feishu-secret-test'
const HOOK_SECRET = 'hook-secret-test'
let env: Record<string, string>
const extra: TestServer[] = []
const sockets: Socket[] = []

beforeAll(async () => {
  ;[hook, mail] = await Promise.all([receiver(), smtp()])
  env = {
    COCKPIT_KEY_PREFIX: prefix,
    COCKPIT_SCREEN_DIR: '/nonexistent',
    COCKPIT_ALERT_RETRY_MS: '50',
    COCKPIT_PUBLIC_URL: 'https://cockpit.example.com',
    TEST_WECOM_URL: `${hook.base}/wecom?key=k1`,
    TEST_DING_URL: `${hook.base}/ding?access_token=t1`,
    TEST_DING_SECRET: DING_SECRET,
    TEST_FEISHU_URL: `${hook.base}/feishu`,
    TEST_FEISHU_SECRET: FEISHU_SECRET,
    TEST_HOOK_URL: `${hook.base}/hook`,
    TEST_HOOK_SECRET: HOOK_SECRET,
    TEST_FLAKY_URL: `${hook.base}/flaky`,
    TEST_SMTP_URL: mail.url,
    COCKPIT_TOKEN_SECRET: 'alerts-test-secret-0123456789abcdef0123',
  }
  server = await startTestServer(env)
})

afterAll(async () => {
  for (const s of sockets) s.disconnect()
  for (const s of extra) await s.app.close().catch(() => undefined)
  await server?.close()
  await Promise.all([hook?.close(), mail?.close()])
})

async function call(method: string, path: string, body?: unknown, token: string | null = server.adminKey, on: TestServer = server) {
  const res = await on.app.inject({
    method: method as 'GET',
    url: path,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  })
  return { status: res.statusCode, body: res.body ? (res.json() as any) : undefined }
}

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, ms = 8000): Promise<T> {
  const until = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v !== undefined && v !== false) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

let n = 0
const receipt = (sku: string, warehouse: string, qty: number) => ({
  id: `al-${++n}-${randomUUID().slice(0, 6)}`,
  type: 'purchase_receipt',
  occurredAt: new Date().toISOString(),
  sku,
  warehouse,
  qty,
  unitCost: 2,
})
const shipment = (sku: string, warehouse: string, qty: number) => ({
  id: `al-${++n}-${randomUUID().slice(0, 6)}`,
  type: 'sales_shipment',
  occurredAt: new Date().toISOString(),
  sku,
  warehouse,
  qty,
  unitPrice: 5,
})

async function ingest(movements: object[], on: TestServer = server): Promise<void> {
  const res = await on.app.inject({ method: 'POST', url: '/api/v1/movements', headers: { authorization: `Bearer ${on.ingestKey}` }, payload: movements })
  expect(res.statusCode, res.body).toBe(200)
}

const overview = async (on: TestServer = server) => (await call('GET', '/api/v1/alerts', undefined, null, on)).body as AlertsOverview
const stateOf = async (rule: string, on: TestServer = server) => (await overview(on)).states.find((s) => s.rule === rule)
const transitionsOf = async (rule: string, on: TestServer = server) => (await overview(on)).transitions.filter((t) => t.rule === rule)
const deliveries = async () => (await call('GET', '/api/v1/alert-deliveries')).body as { attempts: DeliveryAttempt[]; queued: number }

describe('rules and channels', () => {
  test('a channel is saved with the names of its variables; a stale PUT is a 409; a bad one a 400 naming the field', async () => {
    const created = await call('PUT', '/api/v1/alert-channels/wecom-ops', { kind: 'wecom', title: '运营群', urlEnv: 'TEST_WECOM_URL' })
    expect(created.status, JSON.stringify(created.body)).toBe(200)
    expect(created.body).toMatchObject({ id: 'wecom-ops', kind: 'wecom', urlEnv: 'TEST_WECOM_URL', version: 1 })
    const stale = await call('PUT', '/api/v1/alert-channels/wecom-ops', { kind: 'wecom', urlEnv: 'TEST_WECOM_URL', version: 0 })
    expect(stale.status).toBe(409)
    expect(stale.body.current.version).toBe(1)
    const bad = await call('PUT', '/api/v1/alert-channels/bad', { kind: 'dingtalk', urlEnv: 'https://oapi.dingtalk.com/robot/send?access_token=abc' })
    expect(bad.status).toBe(400)
    expect(bad.body.error).toBe('COCKPIT_ERR_INVALID_ALERT')
    expect(bad.body.errors[0].path).toBe('/urlEnv')
    expect(bad.body.message).toContain('/urlEnv')
    // nothing of a secret is stored: the channel holds the variable's name only
    const raw = await server.app.redis.hgetall(server.app.keys.alertChannel('wecom-ops'))
    expect(JSON.stringify(raw)).not.toContain('key=k1')
  })

  test('rules need admin; a rule naming a missing channel or an unanswerable query is a 400 naming the field', async () => {
    const rule = { title: 'x', query: { metric: 'sales.revenue', window: 'today' }, condition: { kind: 'above', threshold: 1 }, channels: ['nope'] }
    expect((await call('PUT', '/api/v1/alert-rules/x', rule, null)).status).toBe(401)
    const missing = await call('PUT', '/api/v1/alert-rules/x', rule)
    expect(missing.status).toBe(400)
    expect(missing.body.errors[0]).toMatchObject({ path: '/channels/0' })
    const badQuery = await call('PUT', '/api/v1/alert-rules/x', {
      ...rule,
      channels: [],
      query: { metric: 'sales.revenue', window: 'today', interval: 'minute', from: '2020-01-01T00:00:00+08:00' },
    })
    expect(badQuery.status).toBe(400)
    expect(badQuery.body.errors[0].path).toMatch(/^\/query/)
    const badCondition = await call('PUT', '/api/v1/alert-rules/x', { ...rule, channels: [], condition: { kind: 'above', threshold: 5, clear: 9 } })
    expect(badCondition.status).toBe(400)
    expect(badCondition.body.errors[0].path).toBe('/condition/clear')
    expect((await call('GET', '/api/v1/alert-rules/x')).status).toBe(404)
  })
})

describe('a rule on stock below safety stock', () => {
  const wecom = () => hook.at('/wecom')

  test('fires once on movements with one grouped WeCom message, shows on /alerts and over the socket, resolves on receipt', async () => {
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = connect(server.url, { transports: ['websocket'] })
    sockets.push(socket)
    const heard: AlertTransition[] = []
    socket.on('alert', (t) => heard.push(t))
    await new Promise<void>((r) => socket.on('connect', () => r()))

    const skus = ['LS-1', 'LS-2', 'LS-3'].map((code) => ({ code, name: `低库存 ${code}`, safetyStock: 10 }))
    expect((await call('PUT', '/api/v1/master/skus', skus)).status).toBe(200)
    const put = await call('PUT', '/api/v1/alert-rules/low-stock', {
      title: '门店 SKU 低于安全库存',
      query: { metric: 'stock.belowSafety', filter: { warehouse: 'STORE-1' } },
      condition: { kind: 'anyGroup', op: 'below' },
      forSeconds: 1,
      channels: ['wecom-ops'],
      screen: 'retail',
    })
    expect(put.status, JSON.stringify(put.body)).toBe(200)
    await ingest(skus.map((s) => receipt(s.code, 'STORE-1', 20)))
    expect((await stateOf('low-stock'))?.state).not.toBe('firing')

    // all three fall below 10 in one batch: pending first, then one message listing the three
    await ingest(skus.map((s) => shipment(s.code, 'STORE-1', 15)))
    await waitFor(async () => (await stateOf('low-stock'))?.state === 'pending', 'pending')
    const message = await waitFor(() => wecom()[0], 'the WeCom message')
    expect(message.query.get('key')).toBe('k1')
    expect(message.body.msgtype).toBe('markdown')
    const content: string = message.body.markdown.content
    expect(Buffer.byteLength(content)).toBeLessThanOrEqual(4096)
    expect(content).toContain('门店 SKU 低于安全库存')
    expect(content).toContain('3 项触发')
    for (const s of skus) expect(content).toContain(`低库存 ${s.code} @ STORE-1 (${s.code}|STORE-1): 5 / 阈值 threshold 10`)
    expect(content).toContain('(https://cockpit.example.com/wall/retail)')
    expect(content).toContain('期间 Period: now')

    const state = await stateOf('low-stock')
    expect(state?.state).toBe('firing')
    expect(state?.groups.map((g) => g.key).sort()).toEqual(['LS-1|STORE-1', 'LS-2|STORE-1', 'LS-3|STORE-1'])
    await waitFor(() => heard.length === 1, 'the alert event')
    expect(heard[0]).toMatchObject({ rule: 'low-stock', to: 'firing', screen: 'retail' })
    expect(heard[0]!.groups).toHaveLength(3)
    const log = await waitFor(async () => (await deliveries()).attempts.find((a) => a.rule === 'low-stock' && a.status === 'sent'), 'the delivery log')
    expect(log).toMatchObject({ channel: 'wecom-ops', kind: 'wecom', attempt: 1 })

    // more movements of the same firing pairs: no new message
    await ingest([shipment('LS-1', 'STORE-1', 1)])
    await new Promise((r) => setTimeout(r, 1500))
    expect(wecom()).toHaveLength(1)

    // one SKU is received back above safety stock: one "resolved" message for it alone
    await ingest([receipt('LS-2', 'STORE-1', 30)])
    const resolved = await waitFor(() => wecom()[1], 'the resolved message')
    expect(resolved.body.markdown.content).toContain('恢复 RESOLVED')
    expect(resolved.body.markdown.content).toContain('LS-2|STORE-1')
    expect(resolved.body.markdown.content).not.toContain('LS-1|STORE-1')
    expect((await transitionsOf('low-stock')).map((t) => t.to)).toEqual(['resolved', 'firing'])
  })

  test('after a restart on the same Redis the firing alert is not notified again', async () => {
    const before = hook.at('/wecom').length
    await server.app.close()
    server = await startTestServer(env)
    // the new process evaluates every rule once at start, and again on a movement
    await ingest([shipment('LS-3', 'STORE-1', 1)])
    await new Promise((r) => setTimeout(r, 2000))
    expect(hook.at('/wecom')).toHaveLength(before)
    expect((await stateOf('low-stock'))?.state).toBe('firing')
    expect((await transitionsOf('low-stock')).map((t) => t.to)).toEqual(['resolved', 'firing'])
  })

  test('two server apps on one Redis: the rule is evaluated once, one message is sent', async () => {
    const second = await startTestServer({ ...env })
    extra.push(second)
    const before = hook.at('/wecom').length
    await call('PUT', '/api/v1/master/skus', [{ code: 'LS-9', name: '双进程', safetyStock: 10 }])
    await ingest([receipt('LS-9', 'STORE-1', 20)], second)
    await ingest([shipment('LS-9', 'STORE-1', 19)], second)
    await waitFor(() => hook.at('/wecom').length > before, 'the message')
    await new Promise((r) => setTimeout(r, 2500))
    const sent = hook.at('/wecom').slice(before)
    expect(sent).toHaveLength(1)
    expect(sent[0]!.body.markdown.content).toContain('LS-9|STORE-1')
    const firings = (await transitionsOf('low-stock', second)).filter((t) => t.to === 'firing' && t.groups.some((g) => g.key === 'LS-9|STORE-1'))
    expect(firings).toHaveLength(1)
  })
})

/** a pending delivery of a sample firing transition of `rule` to `channel` (its due time is the caller's ZADD) */
function queueDelivery(tx: ChainableCommander, pending: string, id: string, channel: string, rule: string): void {
  const transition = {
    id: `t-${id}`,
    rule,
    title: rule,
    severity: 'info',
    metric: 'sales.qty',
    to: 'firing',
    groups: [],
    condition: '> 0',
    period: 'today',
    at: new Date().toISOString(),
  }
  tx.hset(pending, id, JSON.stringify({ id, channel, transition, attempts: 0 }))
}

describe('the outbox', () => {
  test('two processes draining one outbox send each delivery once; a claim left by a dead process is sent after its lease', async () => {
    const second = extra[0] ?? (await startTestServer({ ...env }))
    if (!extra.includes(second)) extra.push(second)
    expect((await call('PUT', '/api/v1/alert-channels/outbox-hook', { kind: 'webhook', urlEnv: 'TEST_HOOK_URL' })).status).toBe(200)
    const { redis, keys } = server.app
    const ids = Array.from({ length: 12 }, () => randomUUID())
    const now = Date.now()
    const tx = redis.multi()
    ids.forEach((id, i) => {
      queueDelivery(tx, keys.alertPending, id, 'outbox-hook', 'outbox')
      // the last one was claimed by a process that died: its lease ran out a moment ago
      tx.zadd(keys.alertOutbox, i === ids.length - 1 ? now - 1 : now, id)
    })
    await tx.exec()
    for (let i = 0; i < 5; i++) {
      server.app.alerts.worker.kick()
      second.app.alerts.worker.kick()
    }
    const sent = () => hook.at('/hook').filter((h) => h.body.rule === 'outbox')
    await waitFor(() => sent().length >= ids.length, 'every delivery')
    await new Promise((r) => setTimeout(r, 500))
    expect(
      sent()
        .map((h) => h.body.id)
        .sort(),
    ).toEqual(ids.map((id) => `t-${id}`).sort())
    expect(await redis.zcard(keys.alertOutbox)).toBe(0)
  })
})

describe('the outbox, channels side by side', () => {
  test("a slow channel holds back its own deliveries, in order, and not the other channels'", async () => {
    const slowUrl = `${hook.base}/slow`
    const fastUrl = `${hook.base}/fast`
    const side = await startTestServer({ ...env, COCKPIT_KEY_PREFIX: `${prefix}side:`, TEST_SLOW_URL: slowUrl, TEST_FAST_URL: fastUrl })
    extra.push(side)
    const { redis, keys } = side.app
    const put = (id: string, urlEnv: string) =>
      side.app.inject({ method: 'PUT', url: `/api/v1/alert-channels/${id}`, headers: { authorization: `Bearer ${side.adminKey}` }, payload: { kind: 'webhook', urlEnv } })
    expect((await put('slow', 'TEST_SLOW_URL')).statusCode).toBe(200)
    expect((await put('fast', 'TEST_FAST_URL')).statusCode).toBe(200)
    const arrived = new Map<string, number>()
    hook.answer((r) => {
      if (r.body?.rule === 'side') arrived.set(r.body.id as string, Date.now())
      return [200, { errcode: 0, errmsg: 'ok' }, r.path === '/slow' ? 600 : 0]
    })
    try {
      const now = Date.now()
      const tx = redis.multi()
      for (const channel of ['slow', 'fast']) {
        for (let i = 0; i < 3; i++) {
          const id = `${channel}-${i}`
          queueDelivery(tx, keys.alertPending, id, channel, 'side')
          // the slow channel's come due first: one at a time, they would hold the fast ones back for 1.8 s
          tx.zadd(keys.alertOutbox, now - 10 + (channel === 'slow' ? i : 3 + i), id)
        }
      }
      await tx.exec()
      side.app.alerts.worker.kick()
      await waitFor(() => arrived.size === 6, 'all six deliveries')
      const at = (id: string) => arrived.get(`t-${id}`)!
      // every fast delivery reached its receiver before the slow channel's first answer came back
      for (let i = 0; i < 3; i++) expect(at(`fast-${i}`)).toBeLessThan(at('slow-0') + 600)
      // the slow channel's, one after the other in the order they came due
      expect(at('slow-0')).toBeLessThan(at('slow-1'))
      expect(at('slow-1')).toBeLessThan(at('slow-2'))
      // each removed from the outbox once its answer came back
      await waitFor(async () => ((await redis.zcard(keys.alertOutbox)) === 0 ? true : undefined), 'the outbox to empty')
    } finally {
      hook.answer(() => [200, { errcode: 0, errmsg: 'ok' }])
    }
  })
})

describe('the outbox, a long backlog of one slow channel', () => {
  // 150: more than the claim once looked at; 2,500: more than one claim looks at (it goes on where the last stopped)
  test.each([150, 2500])(
    "a channel's delivery due behind %i of a slow channel's is sent while the slow one's first is in flight",
    async (backlog) => {
      const slowUrl = `${hook.base}/backlog-slow`
      const fastUrl = `${hook.base}/backlog-fast`
      const side = await startTestServer({ ...env, COCKPIT_KEY_PREFIX: `${prefix}backlog${backlog}:`, TEST_SLOW_URL: slowUrl, TEST_FAST_URL: fastUrl })
      extra.push(side)
      const { redis, keys } = side.app
      const put = (id: string, urlEnv: string) =>
        side.app.inject({ method: 'PUT', url: `/api/v1/alert-channels/${id}`, headers: { authorization: `Bearer ${side.adminKey}` }, payload: { kind: 'webhook', urlEnv } })
      expect((await put('slow', 'TEST_SLOW_URL')).statusCode).toBe(200)
      expect((await put('fast', 'TEST_FAST_URL')).statusCode).toBe(200)
      const SLOW_MS = 1500
      const arrived = new Map<string, number>()
      /** the slow channel's deliveries, in the order they reached it */
      const slowOrder: string[] = []
      let slowAnswersMs = SLOW_MS
      hook.answer((r) => {
        if (r.body?.rule === 'backlog') arrived.set(r.body.id as string, Date.now())
        if (r.body?.rule === 'backlog' && r.path === '/backlog-slow') slowOrder.push(r.body.id as string)
        return [200, { errcode: 0, errmsg: 'ok' }, r.path === '/backlog-slow' ? slowAnswersMs : 0]
      })
      try {
        // the slow channel's come due first, then one of another channel
        const now = Date.now()
        const tx = redis.multi()
        const slow = Array.from({ length: backlog }, (_, i) => `slow-${i}`)
        slow.forEach((id, i) => {
          queueDelivery(tx, keys.alertPending, id, 'slow', 'backlog')
          tx.zadd(keys.alertOutbox, now - 1000 - backlog + i, id)
        })
        queueDelivery(tx, keys.alertPending, 'fast-0', 'fast', 'backlog')
        tx.zadd(keys.alertOutbox, now - 1000, 'fast-0')
        await tx.exec()
        side.app.alerts.worker.kick()
        await waitFor(() => arrived.get('t-fast-0'), "the other channel's delivery", SLOW_MS * 3)
        // it reached its receiver before the slow channel's first answer came back
        expect(arrived.get('t-fast-0')!).toBeLessThan(arrived.get('t-slow-0')! + SLOW_MS)
        expect(slowOrder).toEqual(['t-slow-0'])
        // the slow channel answering at once again, its backlog goes out one after the other, in order (the first 150;
        // then the rest is taken out of the outbox)
        slowAnswersMs = 0
        const checked = slow.slice(0, 150).map((id) => `t-${id}`)
        await waitFor(() => (slowOrder.length >= checked.length ? true : undefined), `${checked.length} of the slow channel's deliveries`, 15_000)
        expect(slowOrder.slice(0, checked.length)).toEqual(checked)
        const rest = slow.slice(checked.length)
        if (rest.length > 0)
          await redis
            .multi()
            .zrem(keys.alertOutbox, ...rest)
            .hdel(keys.alertPending, ...rest)
            .exec()
        await waitFor(async () => ((await redis.zcard(keys.alertOutbox)) === 0 ? true : undefined), 'the outbox to empty')
      } finally {
        hook.answer(() => [200, { errcode: 0, errmsg: 'ok' }])
      }
    },
    30_000,
  )
})

describe('conditions on totals', () => {
  test('above with hysteresis and quiet hours: notifications are held, states still tracked', async () => {
    await call('PUT', '/api/v1/alert-channels/hook', { kind: 'webhook', urlEnv: 'TEST_HOOK_URL', secretEnv: 'TEST_HOOK_SECRET' })
    // quiet the whole day but one minute from now on: now is inside
    const tz = 'Asia/Shanghai'
    const hhmm = (at: number) => new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at)
    const put = await call('PUT', '/api/v1/alert-rules/quiet', {
      title: 'Quiet shipped qty',
      query: { metric: 'sales.qty', window: 'today', filter: { warehouse: 'QUIET' } },
      condition: { kind: 'above', threshold: 5, clear: 2 },
      quietHours: { from: hhmm(Date.now() - 60_000), to: hhmm(Date.now() + 3 * 3600_000) },
      channels: ['hook'],
    })
    expect(put.status, JSON.stringify(put.body)).toBe(200)
    await ingest([receipt('Q-1', 'QUIET', 50), shipment('Q-1', 'QUIET', 9)])
    await waitFor(async () => (await stateOf('quiet'))?.state === 'firing', 'firing')
    const [t] = await transitionsOf('quiet')
    expect(t!.heldUntil).toBeDefined()
    expect((await deliveries()).queued).toBeGreaterThanOrEqual(1)
    await new Promise((r) => setTimeout(r, 500))
    expect(hook.at('/hook').filter((h) => h.body.rule === 'quiet')).toHaveLength(0)
  })

  test('a change vs the previous period fires and the generic webhook is signed with HMAC-SHA256', async () => {
    const put = await call('PUT', '/api/v1/alert-rules/surge', {
      title: 'Shipped qty surge',
      query: { metric: 'sales.qty', window: 'PT1H', filter: { warehouse: 'SURGE' } },
      condition: { kind: 'change', percent: 50, direction: 'up' },
      channels: ['hook'],
    })
    expect(put.status, JSON.stringify(put.body)).toBe(200)
    // nothing in the previous hour: no change can be computed, so none fires; a movement 90 min ago gives one
    const earlier = new Date(Date.now() - 90 * 60_000).toISOString()
    await ingest([
      { ...receipt('S-1', 'SURGE', 100), occurredAt: earlier },
      { ...shipment('S-1', 'SURGE', 2), occurredAt: earlier },
    ])
    await ingest([shipment('S-1', 'SURGE', 10)])
    const got = await waitFor(() => hook.at('/hook').find((h) => h.body.rule === 'surge'), 'the webhook')
    const ts = got.headers['x-cockpit-timestamp'] as string
    const expected = `sha256=${createHmac('sha256', HOOK_SECRET).update(`${ts}.${got.raw}`).digest('hex')}`
    expect(got.headers['x-cockpit-signature']).toBe(expected)
    expect(got.body).toMatchObject({ rule: 'surge', to: 'firing', metric: 'sales.qty', period: 'PT1H', condition: 'change >50 %' })
    expect(got.body.groups[0].value).toBe(400)
  })

  test('any supplier whose on-time rate falls below 90 %: only that supplier fires', async () => {
    const put = await call('PUT', '/api/v1/alert-rules/suppliers', {
      title: '供应商准时率低于 90 %',
      query: { metric: 'supplier.onTimeRate', window: 'today', groupBy: 'partner' },
      condition: { kind: 'anyGroup', op: 'below', threshold: 0.9, clear: 0.92 },
      channels: ['hook'],
    })
    expect(put.status, JSON.stringify(put.body)).toBe(200)
    const due = (ms: number) => new Date(Date.now() + ms).toISOString()
    const onTime = (partner: string) => ({ ...receipt('SUP-1', 'SUPPLY', 1), partner, dueAt: due(3600_000) })
    const late = (partner: string) => ({ ...receipt('SUP-1', 'SUPPLY', 1), partner, dueAt: due(-3600_000) })
    await ingest([onTime('SUP-A'), onTime('SUP-A'), onTime('SUP-B'), late('SUP-B')])
    const got = await waitFor(() => hook.at('/hook').find((h) => h.body.rule === 'suppliers'), 'the webhook')
    expect(got.body.groups).toEqual([{ key: 'SUP-B', value: 0.5, threshold: 0.9 }])
    expect((await stateOf('suppliers'))?.groups.map((g) => [g.key, g.state])).toEqual([['SUP-B', 'firing']])
  })

  test('no data for N minutes fires without any change', async () => {
    const put = await call('PUT', '/api/v1/alert-rules/silent', {
      title: 'Silent feed',
      query: { metric: 'cash.in', window: 'today' },
      condition: { kind: 'noData', minutes: 1 },
      channels: [],
    })
    expect(put.status).toBe(200)
    // the stored state says when the silence ends; pretend it began two minutes ago
    await waitFor(async () => (await stateOf('silent'))?.evaluatedAt, 'the first evaluation')
    const key = server.app.keys.alertState('silent')
    const state = JSON.parse((await server.app.redis.get(key))!)
    await server.app.redis.set(key, JSON.stringify({ ...state, lastDataAt: Date.now() - 120_000, nextCheckAt: Date.now() }))
    await waitFor(async () => (await stateOf('silent'))?.state === 'firing', 'firing after the silence', 10_000)
    const [t] = await transitionsOf('silent')
    expect(t).toMatchObject({ to: 'firing', condition: 'no data for 1 min' })
  })
})

describe('scopes', () => {
  test('a scoped viewer hears of and lists only the rules inside its scope; embed tokens hear of none', async () => {
    const rule = (id: string, warehouse: string) =>
      call('PUT', `/api/v1/alert-rules/${id}`, {
        title: id,
        query: { metric: 'sales.qty', window: 'today', filter: { warehouse } },
        condition: { kind: 'above', threshold: 0 },
        channels: [],
      })
    expect((await rule('scoped-in', 'SC-IN')).status).toBe(200)
    expect((await rule('scoped-out', 'SC-OUT')).status).toBe(200)
    const minted = await call('POST', '/api/v1/tokens', { kind: 'viewer', scope: { warehouse: ['SC-IN'] }, expiresIn: 3600 })
    expect(minted.status, JSON.stringify(minted.body)).toBe(200)
    const token = minted.body.token as string
    const listen = (auth?: { token: string }) => {
      const s: Socket<ServerToClientEvents, ClientToServerEvents> = connect(server.url, { transports: ['websocket'], ...(auth ? { auth } : {}) })
      sockets.push(s)
      const heard: string[] = []
      s.on('alert', (t) => heard.push(t.rule))
      return { s, heard, connected: new Promise<void>((r) => s.on('connect', () => r())) }
    }
    const scoped = listen({ token })
    const open = listen()
    await Promise.all([scoped.connected, open.connected])
    await ingest([receipt('SC-1', 'SC-IN', 5), shipment('SC-1', 'SC-IN', 1), receipt('SC-1', 'SC-OUT', 5), shipment('SC-1', 'SC-OUT', 1)])
    await waitFor(() => open.heard.includes('scoped-in') && open.heard.includes('scoped-out'), 'both events on the open socket')
    await new Promise((r) => setTimeout(r, 300))
    expect(scoped.heard).toEqual(['scoped-in'])
    const listed = (await call('GET', '/api/v1/alerts', undefined, token)).body as AlertsOverview
    expect(listed.states.map((st) => st.rule)).toEqual(['scoped-in'])
    expect(new Set(listed.transitions.map((t) => t.rule))).toEqual(new Set(['scoped-in']))

    // disabled, a firing rule shows nothing any more
    expect((await stateOf('scoped-in'))?.state).toBe('firing')
    const current = (await call('GET', '/api/v1/alert-rules/scoped-in')).body
    expect((await call('PUT', '/api/v1/alert-rules/scoped-in', { ...current, enabled: false })).status).toBe(200)
    expect(await stateOf('scoped-in')).toMatchObject({ state: 'ok', groups: [] })
  })
})

describe('channels in their own formats', () => {
  const test1 = (id: string) => call('POST', `/api/v1/alert-channels/${id}/test`)

  test('DingTalk: markdown to a URL signed with timestamp and sign', async () => {
    expect((await call('PUT', '/api/v1/alert-channels/ding', { kind: 'dingtalk', urlEnv: 'TEST_DING_URL', secretEnv: 'TEST_DING_SECRET' })).status).toBe(200)
    const res = await test1('ding')
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const got = hook.at('/ding').at(-1)!
    expect(got.query.get('access_token')).toBe('t1')
    const timestamp = got.query.get('timestamp')!
    expect(Math.abs(Number(timestamp) - Date.now())).toBeLessThan(60_000)
    // the receiver checks the signature as DingTalk documents it: base64(HmacSHA256(secret, timestamp + "\n" + secret))
    const sign = createHmac('sha256', DING_SECRET).update(`${timestamp}\n${DING_SECRET}`).digest('base64')
    expect(got.query.get('sign')).toBe(sign)
    expect(got.body.msgtype).toBe('markdown')
    expect(got.body.markdown.title).toContain('测试消息')
    expect(got.body.markdown.text).toContain('SAMPLE-SKU|SAMPLE-WH')
  })

  test('Feishu: an interactive card with the optional signature', async () => {
    expect((await call('PUT', '/api/v1/alert-channels/feishu', { kind: 'feishu', urlEnv: 'TEST_FEISHU_URL', secretEnv: 'TEST_FEISHU_SECRET' })).status).toBe(200)
    hook.answer((r) => (r.path === '/feishu' ? [200, { code: 0, msg: 'success' }] : [200, { errcode: 0 }]))
    expect((await test1('feishu')).status).toBe(200)
    const got = hook.at('/feishu').at(-1)!
    const sign = createHmac('sha256', `${got.body.timestamp}\n${FEISHU_SECRET}`).update('').digest('base64')
    expect(got.body.sign).toBe(sign)
    expect(got.body.msg_type).toBe('interactive')
    expect(got.body.card.header.title).toMatchObject({ tag: 'plain_text' })
    const elements = got.body.card.elements as { tag: string; text?: { tag: string; content: string }; actions?: { url: string }[] }[]
    expect(elements.find((e) => e.text?.content.includes('SAMPLE-SKU'))?.text?.tag).toBe('plain_text')
    expect(elements.at(-1)!.actions![0]!.url).toBe('https://cockpit.example.com/alerts')

    // post format, and a platform refusal in a 200 answer is a failure the API reports
    await call('PUT', '/api/v1/alert-channels/feishu', { kind: 'feishu', urlEnv: 'TEST_FEISHU_URL', format: 'post', version: 1 })
    hook.answer(() => [200, { code: 19021, msg: 'sign match fail or timestamp is not within one hour from current time' }])
    const refused = await test1('feishu')
    expect(refused.status).toBe(502)
    expect(refused.body.message).toContain('19021')
    const post = hook.at('/feishu').at(-1)!
    expect(post.body.msg_type).toBe('post')
    expect(post.body.content.post.zh_cn.title).toContain('测试消息')
    hook.answer(() => [200, { errcode: 0 }])
  })

  test('email through SMTP', async () => {
    expect((await call('PUT', '/api/v1/alert-channels/mail', { kind: 'email', smtpEnv: 'TEST_SMTP_URL', to: ['boss@example.com'], from: 'cockpit@example.com' })).status).toBe(200)
    const res = await test1('mail')
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const m = await waitFor(() => mail.mails.at(-1), 'the mail')
    expect(m.to).toEqual(['boss@example.com'])
    expect(m.from).toBe('cockpit@example.com')
    expect(m.source).toMatch(/^Subject: /m)
    expect(m.source).toContain('SAMPLE-SKU')
  })

  test('a channel whose variable is unset or not a URL fails with a message naming the variable, never its value', async () => {
    await call('PUT', '/api/v1/alert-channels/unset', { kind: 'wecom', urlEnv: 'TEST_NOT_SET' })
    const res = await test1('unset')
    expect(res.status).toBe(502)
    expect(res.body.message).toContain('TEST_NOT_SET')
    await call('PUT', '/api/v1/alert-channels/not-url', { kind: 'webhook', urlEnv: 'TEST_HOOK_SECRET' })
    const notUrl = await test1('not-url')
    expect(notUrl.status).toBe(502)
    expect(notUrl.body.message).toContain('TEST_HOOK_SECRET')
    expect(JSON.stringify(await deliveries())).not.toContain(HOOK_SECRET)
  })

  test('a failing receiver is retried with back-off; every attempt is in the delivery log', async () => {
    await call('PUT', '/api/v1/alert-channels/flaky', { kind: 'wecom', urlEnv: 'TEST_FLAKY_URL' })
    let calls = 0
    hook.answer((r) => (r.path === '/flaky' && ++calls <= 2 ? [503, { errcode: -1 }] : [200, { errcode: 0 }]))
    await call('PUT', '/api/v1/alert-rules/flaky', {
      title: 'Flaky',
      query: { metric: 'sales.qty', window: 'today', filter: { warehouse: 'FLAKY' } },
      condition: { kind: 'above', threshold: 0 },
      channels: ['flaky'],
    })
    await ingest([receipt('F-1', 'FLAKY', 5), shipment('F-1', 'FLAKY', 1)])
    const attempts = await waitFor(async () => {
      const list = (await deliveries()).attempts.filter((a) => a.rule === 'flaky')
      return list.some((a) => a.status === 'sent') ? list : undefined
    }, 'the third attempt')
    expect(attempts.map((a) => [a.attempt, a.status]).reverse()).toEqual([
      [1, 'retrying'],
      [2, 'retrying'],
      [3, 'sent'],
    ])
    expect(attempts.at(-1)!.detail).toBe('HTTP 503')
    expect(hook.at('/flaky')).toHaveLength(3)
    hook.answer(() => [200, { errcode: 0 }])
  })
})
