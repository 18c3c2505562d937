/**
 * What a scheduled report sends through each channel kind (server/alerts/report-messages.ts):
 * WeCom's image message (base64 + md5 of the bytes) and markdown, DingTalk's signed markdown,
 * Feishu's card, the signed webhook with the picture in base64, and the limits past which the
 * picture is left out with the reason.
 */
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, test } from 'vitest'
import type { AlertChannelDefinition } from '../../protocol/alerts.ts'
import { dingtalkSign, webhookSignature } from '../../server/alerts/channels.ts'
import type { SendContext } from '../../server/alerts/channels.ts'
import {
  EMAIL_ATTACHMENT_MAX_BYTES,
  WEBHOOK_IMAGE_MAX_BYTES,
  WECOM_FILE_MAX_BYTES,
  WECOM_IMAGE_MAX_BYTES,
  pictureRefusal,
  reportMarkdown,
  reportRequest,
  sendReport,
  wecomUploadUrl,
} from '../../server/alerts/report-messages.ts'
import type { ReportMessage } from '../../server/alerts/report-messages.ts'

const picture = Buffer.from('\x89PNG\r\n\x1a\n-not-really-a-png-but-bytes', 'latin1')
const md5 = createHash('md5').update(picture).digest('hex')
const env: Record<string, string> = {
  W: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k',
  D: 'https://oapi.dingtalk.com/robot/send?access_token=t',
  DS: 'SECxyz',
  F: 'https://open.feishu.cn/open-apis/bot/v2/hook/x',
  H: 'https://example.com/hook',
  HS: 'hs',
}
const ctx: SendContext = { secret: (n) => env[n], publicUrl: 'https://cockpit.example.com', timeoutMs: 1000, now: 1_765_000_000_000 }
const message: ReportMessage = {
  run: 'run-1',
  subscription: 'retail-daily',
  title: '零售日报',
  screen: 'retail',
  summary: '今日销售收入 ¥4,305（▲ 12.5%） · 毛利率 42.9% <b>',
  link: 'https://cockpit.example.com/wall/retail',
  at: '2026-12-07T08:00:00+08:00',
  file: { key: 'k', contentType: 'image/png', filename: 'retail-20261207-0800.png', bytes: picture.length, md5 },
}
const channel = (kind: AlertChannelDefinition['kind'], extra: Partial<AlertChannelDefinition> = {}): AlertChannelDefinition => ({ id: kind, kind, ...extra })

describe('WeCom', () => {
  test('the picture as an image message: base64 of the bytes and their md5', () => {
    const req = reportRequest(channel('wecom', { urlEnv: 'W' }), { ...message, part: 'image' }, picture, ctx)
    const body = JSON.parse(req.body) as { msgtype: string; image: { base64: string; md5: string } }
    expect(body.msgtype).toBe('image')
    expect(Buffer.from(body.image.base64, 'base64').equals(picture)).toBe(true)
    expect(body.image.md5).toBe(md5)
    expect(req.url).toBe(env.W)
  })

  test('the text as markdown: title, summary (escaped), time and the link', () => {
    const body = JSON.parse(reportRequest(channel('wecom', { urlEnv: 'W' }), { ...message, part: 'text' }, undefined, ctx).body) as {
      msgtype: string
      markdown: { content: string }
    }
    expect(body.msgtype).toBe('markdown')
    expect(body.markdown.content).toContain('零售日报')
    expect(body.markdown.content).toContain('今日销售收入 ¥4,305（▲ 12.5%） · 毛利率 42.9% &lt;b&gt;')
    expect(body.markdown.content).toContain('2026-12-07T08:00:00+08:00')
    expect(body.markdown.content).toContain('[打开大屏 Open screen](https://cockpit.example.com/wall/retail)')
    expect(body.markdown.content).not.toContain('No picture')
    expect(reportMarkdown({ ...message, note: 'too big' }, 'wecom')).toContain('No picture: too big')
  })

  test('an image message without its picture is a failure retrying cannot fix', () => {
    expect(() => reportRequest(channel('wecom', { urlEnv: 'W' }), { ...message, part: 'image' }, undefined, ctx)).toThrow(/no longer kept/)
  })
})

describe('DingTalk, Feishu, webhook', () => {
  test('DingTalk: signed URL, markdown with the summary and the link', () => {
    const req = reportRequest(channel('dingtalk', { urlEnv: 'D', secretEnv: 'DS' }), message, picture, ctx)
    expect(req.url).toBe(`${env.D}&timestamp=${ctx.now}&sign=${dingtalkSign(ctx.now, 'SECxyz')}`)
    const body = JSON.parse(req.body) as { msgtype: string; markdown: { title: string; text: string } }
    expect(body.msgtype).toBe('markdown')
    expect(body.markdown.title).toContain('零售日报')
    expect(body.markdown.text).toContain('(https://cockpit.example.com/wall/retail)')
    expect(req.body).not.toContain(picture.toString('base64'))
  })

  test('Feishu: a card with the summary and a button to the screen', () => {
    const body = JSON.parse(reportRequest(channel('feishu', { urlEnv: 'F' }), message, picture, ctx).body) as {
      msg_type: string
      card: { elements: { tag: string; text?: { tag: string; content: string }; actions?: { url: string }[] }[] }
    }
    expect(body.msg_type).toBe('interactive')
    expect(body.card.elements[0]!.text).toMatchObject({ tag: 'plain_text' })
    expect(body.card.elements[0]!.text!.content).toContain('¥4,305')
    expect(body.card.elements[1]!.actions![0]!.url).toBe(message.link)
  })

  test('webhook: JSON with the summary, the link and the picture in base64, signed', () => {
    const req = reportRequest(channel('webhook', { urlEnv: 'H', secretEnv: 'HS' }), message, picture, ctx)
    const body = JSON.parse(req.body) as { kind: string; summary: string; link: string; image: { base64: string; md5: string; bytes: number } }
    expect(body).toMatchObject({ kind: 'report', summary: message.summary, link: message.link })
    expect(Buffer.from(body.image.base64, 'base64').equals(picture)).toBe(true)
    expect(body.image).toMatchObject({ md5, bytes: picture.length })
    expect(req.headers['X-Cockpit-Signature']).toBe(webhookSignature(ctx.now, req.body, 'hs'))
    const without = JSON.parse(reportRequest(channel('webhook', { urlEnv: 'H' }), { ...message, file: undefined, note: 'over 5 MB' }, undefined, ctx).body) as Record<
      string,
      unknown
    >
    expect(without.image).toBeUndefined()
    expect(without.imageOmitted).toBe('over 5 MB')
  })
})

describe('picture limits', () => {
  const png = (bytes: number) => ({ contentType: 'image/png', bytes })
  test('each kind: its limit, its format', () => {
    expect(pictureRefusal('wecom', png(WECOM_IMAGE_MAX_BYTES))).toBeUndefined()
    // past the image limit, and a PDF: a file, up to WeCom's 20 MB
    expect(pictureRefusal('wecom', png(WECOM_IMAGE_MAX_BYTES + 1))).toBeUndefined()
    expect(pictureRefusal('wecom', { contentType: 'application/pdf', bytes: WECOM_FILE_MAX_BYTES })).toBeUndefined()
    expect(pictureRefusal('wecom', { contentType: 'application/pdf', bytes: WECOM_FILE_MAX_BYTES + 1 })).toMatch(/over WeCom's 20 MB/)
    expect(pictureRefusal('dingtalk', png(10))).toMatch(/DingTalk/)
    expect(pictureRefusal('feishu', png(10))).toMatch(/app token/)
    expect(pictureRefusal('webhook', png(WEBHOOK_IMAGE_MAX_BYTES))).toBeUndefined()
    expect(pictureRefusal('webhook', png(WEBHOOK_IMAGE_MAX_BYTES + 1))).toMatch(/5 MB/)
    expect(pictureRefusal('email', { contentType: 'application/pdf', bytes: EMAIL_ATTACHMENT_MAX_BYTES })).toBeUndefined()
    expect(pictureRefusal('email', png(EMAIL_ATTACHMENT_MAX_BYTES + 1))).toMatch(/10 MB/)
  })
})

describe('WeCom files', () => {
  test('the upload URL is the bot’s send URL with upload_media, its key and type=file', () => {
    expect(wecomUploadUrl('https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc')).toBe('https://qyapi.weixin.qq.com/cgi-bin/webhook/upload_media?key=abc&type=file')
    expect(() => wecomUploadUrl('https://example.com/hook?key=abc')).toThrow(/upload URL cannot be derived/)
  })

  test('a PDF is uploaded as `media` and sent as a file message with the media_id the upload answered', async () => {
    const got: { path: string; type: string; body: Buffer }[] = []
    const server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        got.push({ path: req.url ?? '', type: req.headers['content-type'] ?? '', body: Buffer.concat(chunks) })
        res.setHeader('content-type', 'application/json')
        res.end(
          req.url?.includes('upload_media')
            ? JSON.stringify({ errcode: 0, errmsg: 'ok', type: 'file', media_id: 'm-123', created_at: '1765000000' })
            : JSON.stringify({ errcode: 0, errmsg: 'ok' }),
        )
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const { port } = server.address() as AddressInfo
      const pdf = Buffer.from('%PDF-1.7\n零售日报\n%%EOF')
      const local: SendContext = { ...ctx, secret: (n) => (n === 'W' ? `http://127.0.0.1:${port}/cgi-bin/webhook/send?key=k1` : undefined) }
      const file = { key: 'k', contentType: 'application/pdf', filename: 'retail-20261207-0800.pdf', bytes: pdf.length, md5: createHash('md5').update(pdf).digest('hex') }
      const detail = await sendReport(channel('wecom', { urlEnv: 'W' }), { ...message, file, part: 'image' }, pdf, local)
      expect(detail).toBe('uploaded, HTTP 200')
      expect(got.map((g) => g.path)).toEqual(['/cgi-bin/webhook/upload_media?key=k1&type=file', '/cgi-bin/webhook/send?key=k1'])
      expect(got[0]!.type).toMatch(/^multipart\/form-data; boundary=/)
      const upload = got[0]!.body.toString('latin1')
      expect(upload).toContain('name="media"; filename="retail-20261207-0800.pdf"')
      expect(got[0]!.body.includes(pdf)).toBe(true)
      expect(JSON.parse(got[1]!.body.toString())).toEqual({ msgtype: 'file', file: { media_id: 'm-123' } })
    } finally {
      server.close()
    }
  })
})
