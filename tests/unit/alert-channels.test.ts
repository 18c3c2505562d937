/**
 * Channel requests built without sending (server/alerts/channels.ts): WeCom's 4,096-byte limit
 * with many groups, data escaped where platforms render tags, DingTalk's signed URL appended to
 * the URL's own query, Feishu's post format, the webhook's signature, and secrets never quoted.
 */
import { createHmac } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import type { AlertChannelDefinition, AlertTransition } from '../../protocol/alerts.ts'
import { channelRequest, DeliveryError, webhookSignature, WECOM_MAX_BYTES } from '../../server/alerts/channels.ts'
import type { SendContext } from '../../server/alerts/channels.ts'

const env: Record<string, string> = {
  WECOM: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc',
  DING: 'https://oapi.dingtalk.com/robot/send?access_token=tok',
  DING_SECRET: 'SECxyz',
  FEISHU: 'https://open.feishu.cn/open-apis/bot/v2/hook/h1',
  HOOK: 'https://erp.example.com/hooks/cockpit',
  HOOK_SECRET: 's3cret',
  NOT_A_URL: 'hunter2-secret',
}
const ctx: SendContext = { secret: (n) => env[n], publicUrl: 'https://cockpit.example.com/', timeoutMs: 1000, now: 1_765_000_000_000 }

function transition(groups: number, label = (i: number) => `商品 ${i} 名称很长的一个商品名称用于测试截断 @ 上海中心仓`): AlertTransition {
  return {
    id: 't1',
    rule: 'low',
    title: '门店 SKU 低于安全库存',
    severity: 'warning',
    metric: 'stock.belowSafety',
    to: 'firing',
    groups: Array.from({ length: groups }, (_, i) => ({ key: `SKU-${i}|W1`, label: label(i), value: i % 10, threshold: 10 })),
    condition: 'any row listed (< safety stock)',
    period: 'now',
    screen: 'retail',
    at: '2026-12-06T10:00:00+08:00',
  }
}
const ch = (c: Partial<AlertChannelDefinition> & Pick<AlertChannelDefinition, 'kind'>): AlertChannelDefinition => ({ id: 'c', ...c })

describe('WeCom', () => {
  test('200 groups: one message within 4,096 bytes naming the first 50 and counting the rest', () => {
    const req = channelRequest(ch({ kind: 'wecom', urlEnv: 'WECOM' }), transition(200), ctx)
    const body = JSON.parse(req.body) as { msgtype: string; markdown: { content: string } }
    expect(req.url).toBe(env.WECOM)
    expect(body.msgtype).toBe('markdown')
    expect(Buffer.byteLength(body.markdown.content)).toBeLessThanOrEqual(WECOM_MAX_BYTES)
    expect(body.markdown.content).toContain('200 项触发')
    expect(body.markdown.content).toContain('SKU-0|W1')
    expect(body.markdown.content).not.toContain('SKU-60|W1')
  })
  test('a short list keeps the link, and names from data cannot inject tags', () => {
    const req = channelRequest(
      ch({ kind: 'wecom', urlEnv: 'WECOM' }),
      transition(2, () => '<font color="info">ok</font><script>'),
      ctx,
    )
    const content = (JSON.parse(req.body) as { markdown: { content: string } }).markdown.content
    expect(content).toContain('&lt;font color="info"&gt;ok&lt;/font&gt;&lt;script&gt;')
    expect(content).toContain('[打开大屏 Open screen](https://cockpit.example.com/wall/retail)')
  })
})

describe('DingTalk and Feishu', () => {
  test('DingTalk: timestamp and sign follow the URL’s own access_token', () => {
    const req = channelRequest(ch({ kind: 'dingtalk', urlEnv: 'DING', secretEnv: 'DING_SECRET' }), transition(1), ctx)
    const url = new URL(req.url)
    expect(url.searchParams.get('access_token')).toBe('tok')
    expect(url.searchParams.get('timestamp')).toBe(String(ctx.now))
    expect(url.searchParams.get('sign')).toBe(createHmac('sha256', 'SECxyz').update(`${ctx.now}\nSECxyz`).digest('base64'))
    expect(JSON.parse(req.body)).toMatchObject({ msgtype: 'markdown', markdown: { title: '告警 FIRING · 门店 SKU 低于安全库存' } })
  })
  test('DingTalk without a secret: the URL as it is', () => {
    expect(channelRequest(ch({ kind: 'dingtalk', urlEnv: 'DING' }), transition(1), ctx).url).toBe(env.DING)
  })
  test('Feishu post: a title and one line per fact and group, the link last; no signature without a secret', () => {
    const body = JSON.parse(channelRequest(ch({ kind: 'feishu', urlEnv: 'FEISHU', format: 'post' }), transition(3), ctx).body)
    expect(body.sign).toBeUndefined()
    expect(body.msg_type).toBe('post')
    const rows = body.content.post.zh_cn.content as { tag: string; text: string; href?: string }[][]
    expect(body.content.post.zh_cn.title).toBe('告警 FIRING · 门店 SKU 低于安全库存')
    expect(rows.at(-1)).toEqual([{ tag: 'a', text: '打开大屏 Open screen', href: 'https://cockpit.example.com/wall/retail' }])
    expect(rows.filter((r) => r[0]!.text?.includes('|W1'))).toHaveLength(3)
  })
})

describe('names from an ERP cannot mention people or add links', () => {
  const hostile = (i: number) => (i === 0 ? '<at id=all></at>饮料' : '[领取奖励](http://evil.example/x) 见 https://evil.example')
  test('Feishu card: data only as plain text, never in a markdown element', () => {
    const body = JSON.parse(channelRequest(ch({ kind: 'feishu', urlEnv: 'FEISHU' }), transition(2, hostile), ctx).body)
    const elements = body.card.elements as { tag: string; content?: string; text?: { tag: string; content: string } }[]
    const withData = elements.filter((e) => JSON.stringify(e).includes('<at id=all>') || JSON.stringify(e).includes('evil.example'))
    expect(withData.length).toBeGreaterThan(0)
    for (const e of withData) expect(e).toMatchObject({ tag: 'div', text: { tag: 'plain_text' } })
    expect(elements.filter((e) => e.tag === 'markdown').map((e) => e.content)).toEqual(['**2 项触发 groups firing**'])
  })
  test('WeCom and DingTalk markdown: no link from a name, the text reads the same', () => {
    for (const kind of ['wecom', 'dingtalk'] as const) {
      const body = JSON.parse(channelRequest(ch({ kind, urlEnv: kind === 'wecom' ? 'WECOM' : 'DING' }), transition(2, hostile), ctx).body)
      const text: string = body.markdown.content ?? body.markdown.text
      expect(text).toContain('&lt;at id=all&gt;&lt;/at&gt;饮料')
      // one link: ours
      expect(text.match(/\]\s*\(http/g)).toHaveLength(1)
      expect(text).not.toContain('http://evil')
      expect(text).not.toContain('https://evil')
      expect(text.replaceAll('\u200b', '')).toContain('[领取奖励](http://evil.example/x) 见 https://evil.example')
      // our own link stays a link
      expect(text).toMatch(/\[打开大屏 Open screen\]\(https:\/\/cockpit.example.com\/wall\/retail\)$/)
    }
  })
})

describe('generic webhook', () => {
  test('the body is the transition with its link, signed over timestamp and body', () => {
    const req = channelRequest(ch({ kind: 'webhook', urlEnv: 'HOOK', secretEnv: 'HOOK_SECRET' }), transition(2), ctx)
    expect(req.headers['X-Cockpit-Timestamp']).toBe(String(ctx.now))
    expect(req.headers['X-Cockpit-Signature']).toBe(webhookSignature(ctx.now, req.body, 's3cret'))
    expect(req.headers['X-Cockpit-Signature']).toBe(`sha256=${createHmac('sha256', 's3cret').update(`${ctx.now}.${req.body}`).digest('hex')}`)
    expect(JSON.parse(req.body)).toMatchObject({ id: 't1', rule: 'low', link: 'https://cockpit.example.com/wall/retail' })
  })
  test('a variable that is not a URL is named, its value never quoted', () => {
    const attempt = () => channelRequest(ch({ kind: 'webhook', urlEnv: 'NOT_A_URL' }), transition(1), ctx)
    expect(attempt).toThrow(DeliveryError)
    expect(attempt).toThrow(/NOT_A_URL/)
    expect(attempt).not.toThrow(/hunter2/)
  })
})
