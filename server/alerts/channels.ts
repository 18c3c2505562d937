/**
 * What each channel sends, in its platform's own message format, and how (docs/alerts.md
 * "Channels"). Building a request is pure (tested against local receivers); sending is a fetch
 * or an SMTP submission with a time limit. Secrets (webhook URLs with their keys, signing
 * secrets, SMTP URLs) are read from the environment variables a channel names, at send time, and
 * never logged or stored.
 *
 * Formats, as the platforms document them:
 * - WeCom (企业微信) group bot: `POST …/cgi-bin/webhook/send?key=…` with
 *   `{"msgtype":"markdown","markdown":{"content":"…"}}`, content at most 4,096 bytes
 *   (developer.work.weixin.qq.com/document/path/91770 "群机器人配置说明"; summarised at
 *   docs.zhuonian.xyz/api/wecom-webhook.html).
 * - DingTalk (钉钉) custom robot: `{"msgtype":"markdown","markdown":{"title","text"}}`; with 加签
 *   the URL gets `&timestamp=<ms>&sign=<urlEncode(base64(HmacSHA256(secret, timestamp + "\n" + secret)))>`
 *   (open.dingtalk.com/document/robots/customize-robot-security-settings; quoted at
 *   apifox.com/apidoc/docs-site/467052/doc-3550006).
 * - Feishu (飞书) custom bot: `{"msg_type":"interactive","card":{…}}` or `{"msg_type":"post",…}`;
 *   with 签名校验 the body gets `timestamp` (seconds) and
 *   `sign = base64(HmacSHA256(key = timestamp + "\n" + secret, message = ""))`
 *   (open.feishu.cn/document/client-docs/bot-v3/add-custom-bot; quoted at m.down10s.com/jiaocheng/5605312225.html).
 * - Generic webhook: the transition as JSON, signed `X-Cockpit-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`
 *   with `X-Cockpit-Timestamp` (docs/alerts.md).
 * - Email: SMTP through nodemailer (`createTransport(smtpUrl).sendMail`).
 */
import { createHmac } from 'node:crypto'
import { createTransport } from 'nodemailer'
import type { AlertChannelDefinition, AlertTransition } from '../../protocol/alerts.ts'
import { MAX_LISTED_GROUPS } from '../../protocol/alerts.ts'
import { escapeHtml } from '../../widgets/common/html.ts'

/** WeCom's limit on a markdown message's content, bytes. */
export const WECOM_MAX_BYTES = 4096
/** DingTalk and Feishu accept ~20 KB; messages are kept well under. */
const MAX_TEXT_BYTES = 18_000
/** Headers of the generic webhook. */
export const SIGNATURE_HEADER = 'X-Cockpit-Signature'
export const TIMESTAMP_HEADER = 'X-Cockpit-Timestamp'

export interface SendContext {
  /** reads an environment variable a channel names (config.alerts.secret) */
  secret(name: string): string | undefined
  /** base URL of the screens, for links (COCKPIT_PUBLIC_URL) */
  publicUrl: string
  timeoutMs: number
  /** the instant of sending, epoch ms (signatures carry it) */
  now: number
}

/** An HTTP request a channel makes. */
export interface ChannelRequest {
  url: string
  headers: Record<string, string>
  body: string
}

/** Why a send failed, and whether trying again may help. */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError'
  constructor(
    message: string,
    readonly retry: boolean,
  ) {
    super(message)
  }
}

export function cut(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text
  let out = text
  while (Buffer.byteLength(out) > maxBytes - 4) out = out.slice(0, Math.floor(out.length * 0.9))
  return `${out}\n…`
}

/**
 * Data (names, codes) in chat markdown: markup-significant characters escaped (WeCom and DingTalk
 * render HTML tags such as `<font>`, WeCom mentions `<@userid>`), and a zero-width space keeps a
 * name from becoming a link: between `]` and `(` (a markdown link) and after a scheme's `:` (a bare
 * URL the platform would link). The text reads the same. Email HTML uses escapeHtml (quotes too,
 * for attributes); Feishu cards show data as plain text.
 */
export function plain(text: string): string {
  return text
    .replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'))
    .replace(/\](?=\s*\()/g, ']\u200b')
    .replace(/:(?=\/\/)/g, ':\u200b')
}

function formatNumber(v: number | null): string {
  if (v === null) return '—'
  return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: 4 })
}

export function screenLink(t: AlertTransition, publicUrl: string): string {
  const base = publicUrl.replace(/\/+$/, '')
  return t.screen ? `${base}/wall/${encodeURIComponent(t.screen)}` : `${base}/alerts`
}

/** Headline and lines shared by every format. */
export function messageParts(t: AlertTransition, publicUrl: string) {
  const firing = t.to === 'firing'
  const headline = `${firing ? '告警 FIRING' : '恢复 RESOLVED'} · ${t.title}`
  const total = t.groups.length === 1 && t.groups[0]!.key === '_'
  const facts = [`指标 Metric: ${t.metric}`, `条件 Condition: ${t.condition}`, `期间 Period: ${t.period}`, `级别 Severity: ${t.severity}`, `时间 At: ${t.at}`]
  const listed = t.groups.slice(0, MAX_LISTED_GROUPS).map((g) => {
    const name = total ? '数值 Figure' : g.label ? `${g.label} (${g.key})` : g.key
    return `${name}: ${formatNumber(g.value)}${g.threshold !== undefined ? ` / 阈值 threshold ${formatNumber(g.threshold)}` : ''}`
  })
  const more = t.groups.length > MAX_LISTED_GROUPS ? `… +${t.groups.length - MAX_LISTED_GROUPS}` : undefined
  const count = total ? undefined : `${t.groups.length} ${firing ? '项触发 groups firing' : '项恢复 groups resolved'}`
  return { firing, headline, facts, listed, more, count, link: screenLink(t, publicUrl) }
}

/** Markdown as WeCom and DingTalk render it (headings, bold, quotes, links; WeCom's `<font color>`). */
export function markdownText(t: AlertTransition, publicUrl: string, flavour: 'wecom' | 'dingtalk'): string {
  const p = messageParts(t, publicUrl)
  const head = flavour === 'wecom' ? `## <font color="${p.firing ? 'warning' : 'info'}">${plain(p.headline)}</font>` : `## ${plain(p.headline)}`
  const lines = [head, ...p.facts.map((f) => `> ${plain(f)}`), '']
  if (p.count) lines.push(`**${p.count}**`)
  for (const l of p.listed) lines.push(`- ${plain(l)}`)
  if (p.more) lines.push(p.more)
  lines.push('', `[打开大屏 Open screen](${p.link})`)
  // DingTalk needs blank lines between paragraphs; WeCom keeps single ones
  return lines.join(flavour === 'dingtalk' ? '\n\n' : '\n')
}

/** DingTalk's 加签: `urlEncode(base64(HmacSHA256(secret, timestamp + "\n" + secret)))`. */
export function dingtalkSign(timestamp: number, secret: string): string {
  return encodeURIComponent(createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64'))
}

/** Feishu's 签名校验: `base64(HmacSHA256(key = timestamp + "\n" + secret, message = ""))`, timestamp in seconds. */
export function feishuSign(timestampSeconds: number, secret: string): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64')
}

/** The generic webhook's signature of a body sent at `timestamp` (epoch ms). */
export function webhookSignature(timestamp: number, body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
}

/** A DingTalk robot URL with its 加签 query, when the channel has a secret. */
export function dingtalkUrl(url: string, secret: string | undefined, now: number): string {
  return secret === undefined ? url : `${url}${url.includes('?') ? '&' : '?'}timestamp=${now}&sign=${dingtalkSign(now, secret)}`
}

/** The `timestamp` and `sign` fields a Feishu bot body carries when the channel has a secret. */
export function feishuSignature(secret: string | undefined, now: number): { timestamp?: string; sign?: string } {
  const seconds = Math.floor(now / 1000)
  return secret === undefined ? {} : { timestamp: String(seconds), sign: feishuSign(seconds, secret) }
}

/** The generic webhook's headers for a body sent at `now`: JSON, the timestamp and, with a secret, the signature. */
export function webhookHeaders(body: string, secret: string | undefined, now: number): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', [TIMESTAMP_HEADER]: String(now) }
  if (secret !== undefined) headers[SIGNATURE_HEADER] = webhookSignature(now, body, secret)
  return headers
}

/** A card: the data as plain text (a card's markdown would render `<at id=all>` from a name as a mention of everyone), the count in bold, the link a button. */
function feishuCard(t: AlertTransition, publicUrl: string) {
  const p = messageParts(t, publicUrl)
  const facts = { tag: 'div', text: { tag: 'plain_text', content: p.facts.join('\n') } }
  const groups = [...p.listed.map((l) => `- ${l}`), ...(p.more ? [p.more] : [])].join('\n')
  return {
    config: { wide_screen_mode: true },
    header: { template: p.firing ? 'red' : 'green', title: { tag: 'plain_text', content: p.headline } },
    elements: [
      facts,
      ...(p.count ? [{ tag: 'markdown', content: `**${p.count}**` }] : []),
      ...(groups ? [{ tag: 'div', text: { tag: 'plain_text', content: cut(groups, MAX_TEXT_BYTES) } }] : []),
      { tag: 'action', actions: [{ tag: 'button', type: 'primary', text: { tag: 'plain_text', content: '打开大屏 Open screen' }, url: p.link }] },
    ],
  }
}

function feishuPost(t: AlertTransition, publicUrl: string) {
  const p = messageParts(t, publicUrl)
  const rows = [...p.facts, ...(p.count ? [p.count] : []), ...p.listed, ...(p.more ? [p.more] : [])].map((text) => [{ tag: 'text', text }])
  rows.push([{ tag: 'a', text: '打开大屏 Open screen', href: p.link } as never])
  return { zh_cn: { title: p.headline, content: rows } }
}

export function requireEnv(ctx: SendContext, name: string | undefined, what: string, channel: AlertChannelDefinition): string {
  if (!name) throw new DeliveryError(`channel "${channel.id}" names no ${what} variable`, false)
  const value = ctx.secret(name)
  if (!value) throw new DeliveryError(`environment variable ${name} (${what} of channel "${channel.id}") is not set`, false)
  return value
}

/** The webhook URL a channel's variable holds; a value that is not an http(s) URL is refused without being quoted (it may be a secret). */
export function webhookUrl(ctx: SendContext, channel: AlertChannelDefinition): string {
  const url = requireEnv(ctx, channel.urlEnv, 'webhook URL', channel)
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {
    parsed = undefined
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new DeliveryError(`environment variable ${channel.urlEnv} (webhook URL of channel "${channel.id}") does not hold an http(s) URL`, false)
  }
  return url
}

/** The HTTP request a webhook-kind channel makes for a transition. */
export function channelRequest(channel: AlertChannelDefinition, t: AlertTransition, ctx: SendContext): ChannelRequest {
  const url = webhookUrl(ctx, channel)
  const secret = channel.secretEnv ? requireEnv(ctx, channel.secretEnv, 'signing secret', channel) : undefined
  const json = { 'content-type': 'application/json' }
  switch (channel.kind) {
    case 'wecom':
      return { url, headers: json, body: JSON.stringify({ msgtype: 'markdown', markdown: { content: cut(markdownText(t, ctx.publicUrl, 'wecom'), WECOM_MAX_BYTES) } }) }
    case 'dingtalk': {
      const signed = dingtalkUrl(url, secret, ctx.now)
      const title = messageParts(t, ctx.publicUrl).headline
      return {
        url: signed,
        headers: json,
        body: JSON.stringify({ msgtype: 'markdown', markdown: { title, text: cut(markdownText(t, ctx.publicUrl, 'dingtalk'), MAX_TEXT_BYTES) } }),
      }
    }
    case 'feishu': {
      const signature = feishuSignature(secret, ctx.now)
      const message =
        (channel.format ?? 'interactive') === 'interactive'
          ? { msg_type: 'interactive', card: feishuCard(t, ctx.publicUrl) }
          : { msg_type: 'post', content: { post: feishuPost(t, ctx.publicUrl) } }
      return { url, headers: json, body: JSON.stringify({ ...signature, ...message }) }
    }
    case 'webhook': {
      const body = JSON.stringify({ ...t, link: screenLink(t, ctx.publicUrl) })
      return { url, headers: webhookHeaders(body, secret, ctx.now), body }
    }
    case 'email':
      break
  }
  throw new DeliveryError('an email channel sends through SMTP, not HTTP', false)
}

/** A bot platform answers 200 with `errcode` (WeCom, DingTalk) or `code` (Feishu) 0 when it took the message. */
function platformRefusal(kind: AlertChannelDefinition['kind'], text: string): string | undefined {
  if (kind === 'webhook') return undefined
  let body: { errcode?: unknown; code?: unknown; errmsg?: unknown; msg?: unknown }
  try {
    body = JSON.parse(text) as typeof body
  } catch {
    return undefined
  }
  const code = body.errcode ?? body.code
  if (code === undefined || code === 0) return undefined
  return `platform error ${String(code)}: ${String(body.errmsg ?? body.msg ?? '').slice(0, 200)}`
}

/** Sends a transition through a channel; resolves with a short detail (HTTP status, SMTP reply), throws DeliveryError. */
export async function sendThrough(channel: AlertChannelDefinition, t: AlertTransition, ctx: SendContext): Promise<string> {
  if (channel.kind === 'email') return sendEmail(channel, t, ctx)
  return postRequest(channel.kind, channelRequest(channel, t, ctx), ctx.timeoutMs)
}

/** POSTs a channel's request; resolves with `HTTP <status>`, throws DeliveryError (retry or not) with the reason, never the URL. */
export async function postRequest(kind: AlertChannelDefinition['kind'], req: ChannelRequest, timeoutMs: number): Promise<string> {
  return (await postForAnswer(kind, req, timeoutMs)).detail
}

/** POSTs a request (JSON text, or a multipart form whose content type fetch sets); resolves with a short detail and the answer's text (its first 2,000 characters), throws DeliveryError. */
export async function postForAnswer(
  kind: AlertChannelDefinition['kind'],
  req: Omit<ChannelRequest, 'body'> & { body: string | FormData },
  timeoutMs: number,
): Promise<{ detail: string; text: string }> {
  let res: Response
  try {
    res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' })
  } catch (err) {
    // the URL holds the bot's key: it is never quoted, only the kind of failure (timeout, refused, DNS)
    const e = err as Error & { cause?: { code?: unknown } }
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : typeof e.cause?.code === 'string' ? e.cause.code : e.name
    throw new DeliveryError(`request failed: ${why}`, true)
  }
  const text = (await res.text()).slice(0, 2000)
  if (!res.ok) throw new DeliveryError(`HTTP ${res.status}`, res.status >= 500 || res.status === 429 || res.status === 408)
  const refused = platformRefusal(kind, text)
  // a platform's refusal (bad signature, keyword missing) does not get better by retrying… except its rate limit
  if (refused) throw new DeliveryError(refused, /45009|130101|9499|11232/.test(refused))
  return { detail: `HTTP ${res.status}`, text }
}

/** One email: subject, text and HTML parts, attachments. */
export interface Mail {
  subject: string
  text: string
  html: string
  attachments?: { filename: string; content: Buffer; contentType: string }[]
}

async function sendEmail(channel: AlertChannelDefinition, t: AlertTransition, ctx: SendContext): Promise<string> {
  const p = messageParts(t, ctx.publicUrl)
  const text = [p.headline, '', ...p.facts, '', ...(p.count ? [p.count] : []), ...p.listed, ...(p.more ? [p.more] : []), '', p.link].join('\n')
  const html = `<h2>${escapeHtml(p.headline)}</h2><p>${p.facts.map(escapeHtml).join('<br>')}</p>${p.count ? `<p><b>${escapeHtml(p.count)}</b></p>` : ''}<ul>${p.listed
    .map((l) => `<li>${escapeHtml(l)}</li>`)
    .join('')}</ul>${p.more ? `<p>${escapeHtml(p.more)}</p>` : ''}<p><a href="${escapeHtml(p.link)}">打开大屏 Open screen</a></p>`
  return sendMail(channel, { subject: p.headline, text, html }, ctx)
}

/** Submits a mail through the channel's SMTP URL; resolves with the SMTP reply, throws DeliveryError. */
export async function sendMail(channel: AlertChannelDefinition, mail: Mail, ctx: SendContext): Promise<string> {
  const smtp = requireEnv(ctx, channel.smtpEnv, 'SMTP URL', channel)
  if (!channel.to || channel.to.length === 0) throw new DeliveryError(`channel "${channel.id}" has no recipients (to)`, false)
  let user: string | undefined
  try {
    user = decodeURIComponent(new URL(smtp).username) || undefined
  } catch {
    throw new DeliveryError(`environment variable ${channel.smtpEnv} is not an SMTP URL like smtp://user:pass@host:587`, false)
  }
  const from = channel.from ?? (user?.includes('@') ? user : `cockpit@${new URL(smtp).hostname}`)
  const transport = createTransport({ url: smtp, connectionTimeout: ctx.timeoutMs, greetingTimeout: ctx.timeoutMs, socketTimeout: ctx.timeoutMs })
  try {
    const info = await transport.sendMail({ from, to: channel.to, ...mail })
    return `SMTP ${String(info.response).slice(0, 120)}`
  } catch (err) {
    const e = err as { responseCode?: number; message: string }
    // 5xx: the server refused for good; anything else (connection, 4xx) may pass later
    throw new DeliveryError(`SMTP ${e.responseCode ?? ''} ${e.message.slice(0, 160)}`.trim(), !(e.responseCode !== undefined && e.responseCode >= 500))
  } finally {
    transport.close()
  }
}
