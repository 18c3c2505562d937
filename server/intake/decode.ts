/**
 * What a message-bus message may carry (docs/connectors.md "NATS JetStream"): one movement as a
 * JSON object, a JSON array of movements, or NDJSON (one movement per line). Decoding is pure:
 * validation (server/ingest/validate.ts) and the apply happen in the intake.
 */
import { MAX_JSON_BATCH } from '../../protocol/movement.ts'
import type { RejectedMovement } from '../../protocol/movement.ts'

/** A message's movements as parsed values, or the lines that were not JSON (index = position in the message). */
export type DecodedMessage = { ok: true; values: unknown[] } | { ok: false; rejected: RejectedMovement[] }

const utf8 = new TextDecoder('utf-8', { fatal: true })

const refuse = (message: string, index = 0): RejectedMovement => ({ index, id: null, errors: [{ path: '/', message }] })

/**
 * Decodes one message. A body that parses as JSON is one movement (an object) or a batch (an
 * array of 1..MAX_JSON_BATCH); otherwise it is read as NDJSON, blank lines skipped. A message is
 * taken whole or not at all, as a batch on `POST /movements` is.
 */
export function decodeMovements(data: Uint8Array): DecodedMessage {
  let text: string
  try {
    text = utf8.decode(data)
  } catch {
    return { ok: false, rejected: [refuse('the message is not UTF-8 text')] }
  }
  const body = text.trim()
  if (body === '') return { ok: false, rejected: [refuse('the message is empty')] }
  let whole: unknown
  let parsed = true
  try {
    whole = JSON.parse(body)
  } catch {
    parsed = false
  }
  if (parsed) {
    if (Array.isArray(whole)) {
      if (whole.length === 0) return { ok: false, rejected: [refuse('the batch is empty')] }
      if (whole.length > MAX_JSON_BATCH) return { ok: false, rejected: [refuse(`a message holds at most ${MAX_JSON_BATCH} movements (got ${whole.length})`)] }
      return { ok: true, values: whole }
    }
    if (whole !== null && typeof whole === 'object') return { ok: true, values: [whole] }
    return { ok: false, rejected: [refuse('the message must be a movement (JSON object), an array of movements or NDJSON')] }
  }
  const values: unknown[] = []
  const rejected: RejectedMovement[] = []
  for (const line of body.split('\n')) {
    const t = line.trim()
    if (t === '') continue
    const index = values.length + rejected.length
    try {
      values.push(JSON.parse(t))
    } catch (err) {
      rejected.push(refuse(`not valid JSON: ${(err as Error).message}`, index))
    }
  }
  if (values.length + rejected.length > MAX_JSON_BATCH) return { ok: false, rejected: [refuse(`a message holds at most ${MAX_JSON_BATCH} movements (lines)`)] }
  return rejected.length > 0 ? { ok: false, rejected } : { ok: true, values }
}
