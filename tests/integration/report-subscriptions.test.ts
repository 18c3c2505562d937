/**
 * Report subscriptions through the real server and Redis, without Chromium (the picture is
 * tested in tests/e2e/report-subscriptions.test.ts): CRUD with versions and 400s naming the
 * field; a manual run sending the KPI summary and the link to a DingTalk-format receiver and a
 * signed webhook, saying why the picture is missing; two server apps on one Redis taking a due
 * minute once; a restarted app not taking it again; a missed minute run late within the grace
 * and skipped beyond it.
 */
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingHttpHeaders, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { DeliveryAttempt } from '../../protocol/alerts.ts'
import type { ReportRun, StoredReportSubscription } from '../../protocol/report-subscriptions.ts'
import { webhookSignature } from '../../server/alerts/channels.ts'
import { RenderBusyError } from '../../server/reports/snapshot.ts'
import { startTestServer } from '../helpers/server.ts'
import type { TestServer } from '../helpers/server.ts'
import { deletePrefix } from '../helpers/redis-prefix.ts'

interface Received {
  path: string
  headers: IncomingHttpHeaders
  raw: string
  body: any
}

const got: Received[] = []
let http: Server
let base = ''
let server: TestServer
const extra: TestServer[] = []
const prefix = `test:reportsubs:${randomUUID().slice(0, 8)}:`
const HOOK_SECRET = 'report-hook-secret'
const WECOM = '/cgi-bin/webhook/send'
const WECOM_UPLOAD = '/cgi-bin/webhook/upload_media'
let env: Record<string, string>

beforeAll(async () => {
  http = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname
      // a WeCom bot's file upload is multipart (kept as latin1, byte for byte): answered with a media_id
      const upload = path === WECOM_UPLOAD
      const raw = Buffer.concat(chunks).toString(upload ? 'latin1' : 'utf8')
      got.push({ path, headers: req.headers, raw, body: raw && !upload ? JSON.parse(raw) : undefined })
      res.writeHead(200, { 'content-type': 'application/json' }).end(upload ? '{"errcode":0,"errmsg":"ok","type":"file","media_id":"media-1"}' : '{"errcode":0,"errmsg":"ok"}')
    })
  })
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  env = {
    COCKPIT_KEY_PREFIX: prefix,
    COCKPIT_SCREEN_DIR: '/nonexistent',
    COCKPIT_CHROMIUM_PATH: '/nonexistent/chromium',
    COCKPIT_PUBLIC_URL: 'https://cockpit.example.com',
    COCKPIT_ALERT_RETRY_MS: '50',
    COCKPIT_REPORT_GRACE_MIN: '60',
    RS_DING_URL: `${base}/ding?access_token=t`,
    RS_HOOK_URL: `${base}/hook`,
    RS_HOOK_SECRET: HOOK_SECRET,
    RS_WECOM_URL: `${base}${WECOM}?key=k`,
  }
  server = await startTestServer(env)
  for (let i = 0; i < 100 && !server.app.screens.seeded; i++) await new Promise((r) => setTimeout(r, 50))
})

afterAll(async () => {
  for (const s of extra) await s.app.close().catch(() => undefined)
  await deletePrefix(server.app.redis, prefix)
  await server?.close()
  await new Promise<void>((r) => http.close(() => r()))
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

async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, ms = 10_000): Promise<T> {
  const until = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v !== undefined && v !== false) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const runs = async (sub: string) => ((await call('GET', '/api/v1/report-runs')).body as ReportRun[]).filter((r) => r.subscription === sub)
const at = (path: string) => got.filter((g) => g.path === path)

describe('subscriptions', () => {
  test('saved with a version and its next run in COCKPIT_TZ; a stale PUT is a 409; bad fields are 400s naming them', async () => {
    for (const [id, ch] of [
      ['ding', { kind: 'dingtalk', urlEnv: 'RS_DING_URL' }],
      ['hook', { kind: 'webhook', urlEnv: 'RS_HOOK_URL', secretEnv: 'RS_HOOK_SECRET' }],
      ['wecom', { kind: 'wecom', urlEnv: 'RS_WECOM_URL' }],
    ] as const) {
      expect((await call('PUT', `/api/v1/alert-channels/${id}`, ch)).status).toBe(200)
    }
    const body = { title: '零售日报', screen: 'retail', cron: '0 8 * * *', channels: ['ding', 'hook'] }
    expect((await call('PUT', '/api/v1/report-subscriptions/daily', body, null)).status).toBe(401)
    const created = await call('PUT', '/api/v1/report-subscriptions/daily', body)
    expect(created.status, JSON.stringify(created.body)).toBe(200)
    const sub = created.body as StoredReportSubscription
    expect(sub).toMatchObject({ id: 'daily', version: 1, screen: 'retail' })
    expect(sub.nextRunAt).toMatch(/T08:00:00\+08:00$/)
    expect(Date.parse(sub.nextRunAt!) - Date.now()).toBeLessThanOrEqual(86_400_000)
    const stale = await call('PUT', '/api/v1/report-subscriptions/daily', { ...body, version: 0 })
    expect(stale.status).toBe(409)
    expect(stale.body).toMatchObject({ error: 'COCKPIT_ERR_REPORT_CONFLICT', current: { version: 1 } })

    const cases: [object, string, RegExp][] = [
      [{ ...body, cron: '0 25 * * *' }, '/cron', /hour: 25 is out of 0–23/],
      [{ ...body, cron: 'every day' }, '/cron', /5 fields/],
      [{ ...body, screen: 'nope' }, '/screen', /no screen "nope"/],
      [{ ...body, widget: 'nope' }, '/widget', /is not a widget of screen "retail"/],
      [{ ...body, channels: ['ding', 'missing'] }, '/channels/1', /no channel "missing"/],
      [{ ...body, channels: [] }, '/channels', /./],
      [{ ...body, format: 'gif' }, '/format', /./],
      [{ ...body, width: 3840, height: 3840 }, '/width', /3840 × 2160/],
      [{ ...body, lang: 'fr' }, '/lang', /./],
      [{ ...body, extra: 1 }, '/extra', /not a known property/],
    ]
    for (const [bad, path, message] of cases) {
      const res = await call('PUT', '/api/v1/report-subscriptions/bad', bad)
      expect(res.status, JSON.stringify(bad)).toBe(400)
      expect(res.body.error).toBe('COCKPIT_ERR_INVALID_REPORT')
      expect(res.body.errors[0].path, JSON.stringify(res.body)).toBe(path)
      expect(res.body.errors[0].message).toMatch(message)
    }
    expect((await call('GET', '/api/v1/report-subscriptions/bad')).status).toBe(404)
    expect(((await call('GET', '/api/v1/report-subscriptions')).body as StoredReportSubscription[]).map((s) => s.id)).toEqual(['daily'])
  })

  test('deleted: 204, then 404', async () => {
    expect((await call('PUT', '/api/v1/report-subscriptions/gone', { title: 'x', screen: 'retail', cron: '@daily', channels: ['ding'] })).status).toBe(200)
    expect((await call('DELETE', '/api/v1/report-subscriptions/gone')).status).toBe(204)
    expect((await call('DELETE', '/api/v1/report-subscriptions/gone')).status).toBe(404)
    expect((await call('POST', '/api/v1/report-subscriptions/gone/run')).status).toBe(404)
  })
})

describe('a run without Chromium', () => {
  test('sends the summary and the link; the webhook is signed and says why the picture is missing', async () => {
    got.length = 0
    const res = await call('POST', '/api/v1/report-subscriptions/daily/run')
    expect(res.status).toBe(202)
    const run = res.body.run as string
    const [ding, hook] = await waitFor(() => at('/ding').length > 0 && at('/hook').length > 0 && [at('/ding')[0]!, at('/hook')[0]!], 'both messages')
    expect(ding.body.msgtype).toBe('markdown')
    expect(ding.body.markdown.title).toContain('零售日报')
    expect(ding.body.markdown.text).toContain('[打开大屏 Open screen](https://cockpit.example.com/wall/retail)')
    expect(hook.body).toMatchObject({ kind: 'report', id: run, subscription: 'daily', screen: 'retail', link: 'https://cockpit.example.com/wall/retail' })
    expect(hook.body.image).toBeUndefined()
    expect(typeof hook.body.summary).toBe('string')
    const ts = Number(hook.headers['x-cockpit-timestamp'])
    expect(hook.headers['x-cockpit-signature']).toBe(webhookSignature(ts, hook.raw, HOOK_SECRET))
    const [entry] = await waitFor(async () => {
      const r = (await runs('daily')).filter((x) => x.run === run && x.status !== 'queued')
      return r.length > 0 && r
    }, 'the run logged')
    expect(entry).toMatchObject({ status: 'summary-only', trigger: 'manual' })
    expect(entry!.detail).toMatch(/chromium/i)
    const attempts = ((await call('GET', '/api/v1/alert-deliveries')).body as { attempts: DeliveryAttempt[] }).attempts.filter((a) => a.transition === run)
    expect(attempts.map((a) => [a.channel, a.status, a.subscription]).sort()).toEqual([
      ['ding', 'sent', 'daily'],
      ['hook', 'sent', 'daily'],
    ])
  })
})

describe('pictures past a limit, a busy renderer', () => {
  test('a 3 MB PNG: WeCom gets it as a file (over its 2 MB for images); the webhook gets the picture; a busy renderer is waited for', async () => {
    got.length = 0
    const big = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(3 * 1024 * 1024, 7)])
    const snapshots = server.app.snapshots
    const original = snapshots.renderSnapshot
    let calls = 0
    // the renderer is busy once (503 with Retry-After 1 s), then renders
    snapshots.renderSnapshot = async (o) => {
      calls++
      if (calls === 1) throw new RenderBusyError(1)
      return { body: big, contentType: 'image/png', filename: `${o.screen}-x.png` }
    }
    try {
      expect((await call('PUT', '/api/v1/report-subscriptions/big', { title: '大图', screen: 'retail', cron: '0 9 * * 1', channels: ['wecom', 'hook'] })).status).toBe(200)
      const { run } = (await call('POST', '/api/v1/report-subscriptions/big/run')).body as { run: string }
      await waitFor(() => at(WECOM).length >= 2 && at('/hook').length > 0, 'the messages', 15_000)
      await new Promise((r) => setTimeout(r, 500))
      expect(calls).toBe(2)
      // uploaded (the bytes whole, as `media`), then the file message with the media_id, and the markdown
      expect(at(WECOM_UPLOAD)).toHaveLength(1)
      const upload = Buffer.from(at(WECOM_UPLOAD)[0]!.raw, 'latin1')
      expect(upload.includes(big)).toBe(true)
      expect(upload.toString('latin1')).toMatch(/name="media"; filename="retail-x\.png"/)
      expect(
        at(WECOM)
          .map((g) => g.body.msgtype)
          .sort(),
      ).toEqual(['file', 'markdown'])
      expect(at(WECOM).find((g) => g.body.msgtype === 'file')!.body.file).toEqual({ media_id: 'media-1' })
      expect(at(WECOM).find((g) => g.body.msgtype === 'markdown')!.body.markdown.content).not.toMatch(/No picture/)
      const hook = at('/hook')[0]!.body
      expect(Buffer.from(hook.image.base64, 'base64').equals(big)).toBe(true)
      const entry = (await runs('big')).find((r) => r.run === run && r.status !== 'queued')
      expect(entry).toMatchObject({ status: 'rendered', bytes: big.length })
      expect(entry!.detail ?? '').not.toMatch(/wecom/)
      // kept for the deliveries that carry it (the webhook's)
      expect(await server.app.redis.exists(server.app.keys.reportFile(run))).toBe(1)
      // a subscription whose channels take no picture (DingTalk) keeps none
      got.length = 0
      expect((await call('PUT', '/api/v1/report-subscriptions/ding-only', { title: '钉钉', screen: 'retail', cron: '0 9 * * 1', channels: ['ding'] })).status).toBe(200)
      const dingOnly = (await call('POST', '/api/v1/report-subscriptions/ding-only/run')).body.run as string
      await waitFor(() => at('/ding').length > 0, 'the DingTalk message')
      await waitFor(async () => (await runs('ding-only')).some((r) => r.run === dingOnly && r.status === 'rendered'), 'the DingTalk run logged')
      expect(await server.app.redis.exists(server.app.keys.reportFile(dingOnly))).toBe(0)
    } finally {
      snapshots.renderSnapshot = original
      await call('DELETE', '/api/v1/report-subscriptions/big')
      await call('DELETE', '/api/v1/report-subscriptions/ding-only')
    }
  })
})

describe('the schedule', () => {
  test('two server apps on one Redis take a due minute once; a restarted app does not take it again', async () => {
    got.length = 0
    const other = await startTestServer(env)
    extra.push(other)
    const sub = (await call('GET', '/api/v1/report-subscriptions/daily')).body as StoredReportSubscription
    const slot = Date.parse(sub.nextRunAt!)
    const [a, b] = await Promise.all([server.app.reportSubscriptions.scheduler.tick(slot + 1000), other.app.reportSubscriptions.scheduler.tick(slot + 1000)])
    expect(a.length + b.length).toBe(1)
    await waitFor(() => at('/ding').length > 0 && at('/hook').length > 0, 'the scheduled messages')
    await new Promise((r) => setTimeout(r, 1500))
    expect(at('/ding')).toHaveLength(1)
    expect(at('/hook')).toHaveLength(1)
    expect(at('/hook')[0]!.body.at).toBe(new Date(slot + 8 * 3600_000).toISOString().slice(0, 19) + '+08:00')
    // a restart: a new app on the same Redis, ticking in the same minute and the next ones
    await other.app.close()
    const restarted = await startTestServer(env)
    extra.push(restarted)
    for (const t of [slot + 1000, slot + 30_000, slot + 5 * 60_000]) expect(await restarted.app.reportSubscriptions.scheduler.tick(t)).toEqual([])
    await new Promise((r) => setTimeout(r, 500))
    expect(at('/ding')).toHaveLength(1)
    const slotRuns = (await runs('daily')).filter((r) => r.slot === server.app.aggregator.calendar.format(slot))
    expect(slotRuns.map((r) => r.status).sort()).toEqual(['queued', 'summary-only'])
    expect(slotRuns.every((r) => r.trigger === 'schedule')).toBe(true)
  })

  test('a minute missed while no server ran: sent late within the grace, skipped beyond it', async () => {
    got.length = 0
    const sub = (await call('GET', '/api/v1/report-subscriptions/daily')).body as StoredReportSubscription
    const next = Date.parse(sub.nextRunAt!)
    // the server comes back 40 minutes after 08:00: sent, marked late
    const late = await server.app.reportSubscriptions.scheduler.tick(next + 40 * 60_000)
    expect(late).toHaveLength(1)
    await waitFor(() => at('/hook').length > 0, 'the late report')
    expect((await runs('daily')).find((r) => r.run === late[0])).toMatchObject({ trigger: 'late' })
    // the day after, back only at 10:00 (grace 60 min): recorded as skipped, nothing sent
    const dayAfter = next + 86_400_000
    expect(await server.app.reportSubscriptions.scheduler.tick(dayAfter + 2 * 3600_000)).toEqual([])
    const skipped = (await runs('daily')).find((r) => r.slot === server.app.aggregator.calendar.format(dayAfter))
    expect(skipped).toMatchObject({ status: 'skipped' })
    expect(skipped!.detail).toMatch(/within 60 min/)
    await new Promise((r) => setTimeout(r, 500))
    expect(at('/hook')).toHaveLength(1)
  })

  test('a run queued when its process stops is sent by the process that starts next', async () => {
    got.length = 0
    // no other worker may take it meanwhile
    server.app.reportSubscriptions.scheduler.stop()
    try {
      const stopping = await startTestServer(env)
      stopping.app.reportSubscriptions.scheduler.stop()
      const run = await stopping.app.reportSubscriptions.scheduler.runNow('daily')
      await stopping.app.close()
      await new Promise((r) => setTimeout(r, 300))
      expect(got).toHaveLength(0)
      const next = await startTestServer(env)
      extra.push(next)
      await waitFor(() => at('/hook').length > 0, 'the queued run sent after the restart')
      expect(at('/hook').map((g) => g.body.id)).toEqual([run])
    } finally {
      server.app.reportSubscriptions.scheduler.start()
    }
  })

  test('a disabled subscription is not run on schedule', async () => {
    const sub = (await call('GET', '/api/v1/report-subscriptions/daily')).body as StoredReportSubscription
    const saved = await call('PUT', '/api/v1/report-subscriptions/daily', {
      title: sub.title,
      screen: sub.screen,
      cron: '* * * * *',
      channels: sub.channels,
      enabled: false,
      version: sub.version,
    })
    expect(saved.status, JSON.stringify(saved.body)).toBe(200)
    expect(saved.body.nextRunAt).toBeUndefined()
    expect(await server.app.reportSubscriptions.scheduler.tick(Date.now() + 120_000)).toEqual([])
  })
})
