/**
 * What a scheduled report sends through each kind of channel (docs/reports.md "Scheduled
 * reports"), in the platform's own format. Building a message is pure; sending reuses the alert
 * channels' POST and SMTP (server/alerts/channels.ts: secrets from the variables a channel names).
 *
 * - WeCom (企业微信) group bot: two messages, each its own delivery — the picture as
 *   `{"msgtype":"image","image":{"base64","md5"}}` (base64 of the PNG, md5 of the bytes before
 *   encoding; "图片（base64编码前）最大不能超过2M，支持JPG,PNG格式"), then a markdown message with the
 *   summary and the link (developer.work.weixin.qq.com/document/path/91770 "群机器人配置说明", 图片类型 /
 *   markdown类型). A PDF, or a PNG over 2 MB, goes as a file: uploaded to the bot's
 *   `/cgi-bin/webhook/upload_media?key=…&type=file` (multipart, field `media`; 5 B to 20 MB), then
 *   `{"msgtype":"file","file":{"media_id"}}` (文件上传接口 / 文件类型). Over 20 MB: the markdown only.
 * - DingTalk (钉钉) custom robot: text, link, markdown, actionCard and feedCard messages only;
 *   pictures only by a public URL (`![](url)`, `picUrl`) — no upload without an app's access token
 *   (open.dingtalk.com/document/robots/custom-robot-access, message types). The summary and the
 *   link as markdown.
 * - Feishu (飞书) custom bot: an image message needs an `image_key` from
 *   `POST /open-apis/im/v1/images`, which takes an app's tenant_access_token, not a bot webhook
 *   (open.feishu.cn/document/server-docs/im-v1/image/create; open.feishu.cn/document/client-docs/bot-v3/add-custom-bot).
 *   The summary and a button to the screen as a card (or `post`).
 * - Generic webhook: JSON with the summary, the link and the picture in base64 (up to
 *   WEBHOOK_IMAGE_MAX_BYTES before encoding), signed like alert transitions.
 * - Email: the PNG or PDF attached (up to EMAIL_ATTACHMENT_MAX_BYTES), the summary in the body.
 */
import type { AlertChannelDefinition } from '../../protocol/alerts.ts'
import { escapeHtml } from '../../widgets/common/html.ts'
import type { ChannelRequest, SendContext } from './channels.ts'
import {
  DeliveryError,
  WECOM_MAX_BYTES,
  cut,
  dingtalkUrl,
  feishuSignature,
  plain,
  postForAnswer,
  postRequest,
  requireEnv,
  sendMail,
  webhookHeaders,
  webhookUrl,
} from './channels.ts'

/** WeCom's limit on an image message's picture, bytes before base64 (2 MB). */
export const WECOM_IMAGE_MAX_BYTES = 2 * 1024 * 1024
/** WeCom's limit on a file a group bot uploads (20 MB). */
export const WECOM_FILE_MAX_BYTES = 20 * 1024 * 1024
/** Largest picture the generic webhook carries in base64 (its body is then ~6.7 MB). */
export const WEBHOOK_IMAGE_MAX_BYTES = 5 * 1024 * 1024
/** Largest attachment sent by email (many SMTP servers refuse messages over 10–25 MB; base64 adds a third). */
export const EMAIL_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024

/** The picture of a run, kept in Redis (with a time to live) while its deliveries are pending. */
export interface ReportFile {
  /** Redis key of the bytes */
  key: string
  contentType: string
  filename: string
  bytes: number
  /** hex md5 of the bytes (WeCom asks for it) */
  md5: string
}

/** One report message, as the outbox keeps it (the picture stays in Redis under `file.key`). */
export interface ReportMessage {
  run: string
  subscription: string
  title: string
  screen: string
  widget?: string
  /** the KPI summary line ('' when the screen has no KPI cards or gauges) */
  summary: string
  link: string
  /** the scheduled minute, or the instant of a manual run, RFC 3339 */
  at: string
  file?: ReportFile
  /** why no picture goes with this message (render failed, over the platform's limit, a PDF to a chat) */
  note?: string
  /** WeCom: the picture alone, or the text; others: everything in one message */
  part?: 'image' | 'text'
}

/** A report's delivery in the alert outbox (beside alert deliveries, which carry a transition). */
export interface ReportDelivery {
  id: string
  channel: string
  report: ReportMessage
  attempts: number
}

/** Why a picture cannot go to a channel kind, or undefined when it can (the kind's limit and format). */
export function pictureRefusal(kind: AlertChannelDefinition['kind'], file: Pick<ReportFile, 'contentType' | 'bytes'>): string | undefined {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MB`
  switch (kind) {
    case 'wecom':
      // a PNG over the image limit, or a PDF, goes as a file
      return file.bytes > WECOM_FILE_MAX_BYTES ? `the file (${mb(file.bytes)}) is over WeCom's ${mb(WECOM_FILE_MAX_BYTES)}` : undefined
    case 'dingtalk':
      return 'a DingTalk custom robot cannot take an uploaded picture (only a public URL)'
    case 'feishu':
      return 'a Feishu custom bot cannot upload a picture (it needs an app token)'
    case 'webhook':
      return file.bytes > WEBHOOK_IMAGE_MAX_BYTES ? `the picture (${mb(file.bytes)}) is over the webhook's ${mb(WEBHOOK_IMAGE_MAX_BYTES)}` : undefined
    case 'email':
      return file.bytes > EMAIL_ATTACHMENT_MAX_BYTES ? `the file (${mb(file.bytes)}) is over the ${mb(EMAIL_ATTACHMENT_MAX_BYTES)} attachment limit` : undefined
  }
}

/** Whether WeCom takes the report's file as a file message (uploaded first) rather than an image message. */
export const wecomSendsAsFile = (file: Pick<ReportFile, 'contentType' | 'bytes'>): boolean => file.contentType !== 'image/png' || file.bytes > WECOM_IMAGE_MAX_BYTES

/** The upload URL of a WeCom group bot: its send URL's `/webhook/send` as `/webhook/upload_media`, with its key and `type=file`. */
export function wecomUploadUrl(sendUrl: string): string {
  const url = new URL(sendUrl)
  if (!/\/webhook\/send$/.test(url.pathname)) throw new DeliveryError('the WeCom webhook URL does not end in /webhook/send: the file upload URL cannot be derived from it', false)
  url.pathname = url.pathname.replace(/\/send$/, '/upload_media')
  url.searchParams.set('type', 'file')
  return url.toString()
}

/** The upload of the report's file to a WeCom group bot (multipart, field `media`, its file name). */
export function wecomUpload(
  channel: AlertChannelDefinition,
  m: ReportMessage,
  picture: Buffer | undefined,
  ctx: SendContext,
): { url: string; headers: Record<string, string>; body: FormData } {
  if (!picture || !m.file) throw new DeliveryError('the file is no longer kept (its deliveries waited too long)', false)
  const form = new FormData()
  form.append('media', new Blob([new Uint8Array(picture)], { type: 'application/octet-stream' }), m.file.filename)
  return { url: wecomUploadUrl(webhookUrl(ctx, channel)), headers: {}, body: form }
}

/** Headline and lines every format shares. */
function parts(m: ReportMessage) {
  const headline = `定时报表 Report · ${m.title}`
  const summary = m.summary || '（无 KPI 卡片 no KPI cards）'
  return { headline, summary, facts: [`时间 At: ${m.at}`, `大屏 Screen: ${m.screen}${m.widget ? ` / ${m.widget}` : ''}`] }
}

/** Markdown as WeCom and DingTalk render it. */
export function reportMarkdown(m: ReportMessage, flavour: 'wecom' | 'dingtalk'): string {
  const p = parts(m)
  const head = flavour === 'wecom' ? `## <font color="info">${plain(p.headline)}</font>` : `## ${plain(p.headline)}`
  const lines = [head, `**${plain(p.summary)}**`, ...p.facts.map((f) => `> ${plain(f)}`)]
  if (m.note) lines.push(`> 未附图片 No picture: ${plain(m.note)}`)
  lines.push('', `[打开大屏 Open screen](${m.link})`)
  return lines.join(flavour === 'dingtalk' ? '\n\n' : '\n')
}

/** The HTTP request a webhook-kind channel makes for a report message (`picture`: the bytes, when it goes along). */
export function reportRequest(channel: AlertChannelDefinition, m: ReportMessage, picture: Buffer | undefined, ctx: SendContext): ChannelRequest {
  const url = webhookUrl(ctx, channel)
  const secret = channel.secretEnv ? requireEnv(ctx, channel.secretEnv, 'signing secret', channel) : undefined
  const json = { 'content-type': 'application/json' }
  const p = parts(m)
  switch (channel.kind) {
    case 'wecom': {
      if (m.part === 'image') {
        if (!picture || !m.file) throw new DeliveryError('the picture is no longer kept (its deliveries waited too long)', false)
        if (wecomSendsAsFile(m.file)) throw new DeliveryError('a WeCom file goes by upload (wecomUpload), not as an image message', false)
        return { url, headers: json, body: JSON.stringify({ msgtype: 'image', image: { base64: picture.toString('base64'), md5: m.file.md5 } }) }
      }
      return { url, headers: json, body: JSON.stringify({ msgtype: 'markdown', markdown: { content: cut(reportMarkdown(m, 'wecom'), WECOM_MAX_BYTES) } }) }
    }
    case 'dingtalk': {
      const signed = dingtalkUrl(url, secret, ctx.now)
      return { url: signed, headers: json, body: JSON.stringify({ msgtype: 'markdown', markdown: { title: p.headline, text: reportMarkdown(m, 'dingtalk') } }) }
    }
    case 'feishu': {
      const signature = feishuSignature(secret, ctx.now)
      const lines = [`**${p.summary}**`, ...p.facts, ...(m.note ? [`未附图片 No picture: ${m.note}`] : [])]
      const message =
        (channel.format ?? 'interactive') === 'interactive'
          ? {
              msg_type: 'interactive',
              card: {
                config: { wide_screen_mode: true },
                header: { template: 'blue', title: { tag: 'plain_text', content: p.headline } },
                // plain text: a card's markdown would render tags from screen titles (`<at id=all>`)
                elements: [
                  { tag: 'div', text: { tag: 'plain_text', content: [p.summary, ...lines.slice(1)].join('\n') } },
                  { tag: 'action', actions: [{ tag: 'button', type: 'primary', text: { tag: 'plain_text', content: '打开大屏 Open screen' }, url: m.link }] },
                ],
              },
            }
          : {
              msg_type: 'post',
              content: {
                post: {
                  zh_cn: {
                    title: p.headline,
                    content: [
                      [{ tag: 'text', text: p.summary }],
                      ...lines.slice(1).map((text) => [{ tag: 'text', text }]),
                      [{ tag: 'a', text: '打开大屏 Open screen', href: m.link }],
                    ],
                  },
                },
              },
            }
      return { url, headers: json, body: JSON.stringify({ ...signature, ...message }) }
    }
    case 'webhook': {
      const image =
        picture && m.file ? { image: { contentType: m.file.contentType, filename: m.file.filename, bytes: m.file.bytes, md5: m.file.md5, base64: picture.toString('base64') } } : {}
      const body = JSON.stringify({
        kind: 'report',
        id: m.run,
        subscription: m.subscription,
        title: m.title,
        screen: m.screen,
        ...(m.widget ? { widget: m.widget } : {}),
        summary: m.summary,
        link: m.link,
        at: m.at,
        ...image,
        ...(m.note ? { imageOmitted: m.note } : {}),
      })
      return { url, headers: webhookHeaders(body, secret, ctx.now), body }
    }
    case 'email':
      break
  }
  throw new DeliveryError('an email channel sends through SMTP, not HTTP', false)
}

/** Sends a report message through a channel; resolves with a short detail, throws DeliveryError. */
export async function sendReport(channel: AlertChannelDefinition, m: ReportMessage, picture: Buffer | undefined, ctx: SendContext): Promise<string> {
  if (channel.kind === 'wecom' && m.part === 'image' && m.file && wecomSendsAsFile(m.file)) {
    const upload = await postForAnswer('wecom', wecomUpload(channel, m, picture, ctx), ctx.timeoutMs)
    let mediaId: unknown
    try {
      mediaId = (JSON.parse(upload.text) as { media_id?: unknown }).media_id
    } catch {
      mediaId = undefined
    }
    if (typeof mediaId !== 'string' || mediaId === '') throw new DeliveryError('the WeCom file upload answered no media_id', true)
    const body = JSON.stringify({ msgtype: 'file', file: { media_id: mediaId } })
    return `uploaded, ${await postRequest('wecom', { url: webhookUrl(ctx, channel), headers: { 'content-type': 'application/json' }, body }, ctx.timeoutMs)}`
  }
  if (channel.kind !== 'email') return postRequest(channel.kind, reportRequest(channel, m, picture, ctx), ctx.timeoutMs)
  const p = parts(m)
  const note = m.note ? `未附文件 No file: ${m.note}` : undefined
  const text = [p.headline, '', p.summary, '', ...p.facts, ...(note ? [note] : []), '', m.link].join('\n')
  const html = `<h2>${escapeHtml(p.headline)}</h2><p><b>${escapeHtml(p.summary)}</b></p><p>${p.facts.map(escapeHtml).join('<br>')}</p>${note ? `<p>${escapeHtml(note)}</p>` : ''}<p><a href="${escapeHtml(m.link)}">打开大屏 Open screen</a></p>`
  const attachments = picture && m.file ? [{ filename: m.file.filename, content: picture, contentType: m.file.contentType }] : []
  return sendMail(channel, { subject: `${p.headline} · ${m.at.slice(0, 16).replace('T', ' ')}`, text, html, attachments }, ctx)
}
