/** What a message-bus message may carry: one movement, an array, NDJSON; anything else is refused with a reason. */
import { describe, expect, test } from 'vitest'
import { decodeMovements } from '../../server/intake/decode.ts'
import { loadConfig } from '../../server/config.ts'

const enc = (s: string) => new TextEncoder().encode(s)

describe('decodeMovements', () => {
  test('an object is one movement, an array a batch, NDJSON one per line', () => {
    expect(decodeMovements(enc('{"id":"a"}'))).toEqual({ ok: true, values: [{ id: 'a' }] })
    expect(decodeMovements(enc(' [{"id":"a"},{"id":"b"}] '))).toEqual({ ok: true, values: [{ id: 'a' }, { id: 'b' }] })
    expect(decodeMovements(enc('{"id":"a"}\r\n\n{"id":"b"}\n'))).toEqual({ ok: true, values: [{ id: 'a' }, { id: 'b' }] })
    // pretty-printed JSON is still one movement
    expect(decodeMovements(enc('{\n  "id": "a"\n}'))).toEqual({ ok: true, values: [{ id: 'a' }] })
  })

  test('empty, non-UTF-8, scalar, empty array and broken lines are refused with the line', () => {
    const reason = (data: Uint8Array) => {
      const d = decodeMovements(data)
      return d.ok ? undefined : d.rejected
    }
    expect(reason(enc('  '))?.[0]?.errors[0]?.message).toBe('the message is empty')
    expect(reason(new Uint8Array([0xff, 0xfe]))?.[0]?.errors[0]?.message).toBe('the message is not UTF-8 text')
    expect(reason(enc('42'))?.[0]?.errors[0]?.message).toMatch(/must be a movement/)
    expect(reason(enc('[]'))?.[0]?.errors[0]?.message).toBe('the batch is empty')
    const broken = reason(enc('{"id":"a"}\n{"id":\n{"id":"c"}'))
    expect(broken?.map((r) => r.index)).toEqual([1])
    expect(broken?.[0]?.errors[0]?.message).toMatch(/^not valid JSON/)
  })
})

describe('COCKPIT_NATS_* configuration', () => {
  test('off without COCKPIT_NATS_URL; defaults derived from the key prefix', () => {
    expect(loadConfig({}).nats).toBeUndefined()
    const c = loadConfig({ COCKPIT_NATS_URL: 'nats://127.0.0.1:4222', COCKPIT_KEY_PREFIX: 'acme:{eu}:' })!.nats!
    expect(c).toMatchObject({
      servers: ['nats://127.0.0.1:4222'],
      stream: 'COCKPIT_MOVEMENTS',
      subject: 'cockpit.movements',
      durable: 'acme_eu',
      deadLetterSubject: 'acme_eu.dead-letter',
      createStream: false,
      batch: 100,
    })
  })

  test('a bad value names its variable; credentials never sit in the URL', () => {
    expect(() => loadConfig({ COCKPIT_NATS_URL: 'nats://u:p@host:4222' })).toThrow(/COCKPIT_NATS_URL must not hold credentials/)
    expect(() => loadConfig({ COCKPIT_NATS_URL: 'http://host' })).toThrow(/COCKPIT_NATS_URL/)
    expect(() => loadConfig({ COCKPIT_NATS_URL: 'host:4222', COCKPIT_NATS_STREAM: 'a.b' })).toThrow(/COCKPIT_NATS_STREAM/)
    expect(() => loadConfig({ COCKPIT_NATS_URL: 'host:4222', COCKPIT_NATS_SUBJECT: 'a..b' })).toThrow(/COCKPIT_NATS_SUBJECT/)
    expect(() => loadConfig({ COCKPIT_NATS_URL: 'host:4222', COCKPIT_NATS_DEAD_LETTER_SUBJECT: 'dead.>' })).toThrow(/COCKPIT_NATS_DEAD_LETTER_SUBJECT/)
    expect(() => loadConfig({ COCKPIT_NATS_URL: 'host:4222', COCKPIT_NATS_CREATE_STREAM: 'yes' })).toThrow(/COCKPIT_NATS_CREATE_STREAM/)
    expect(() => loadConfig({ COCKPIT_NATS_URL: 'host:4222', COCKPIT_NATS_USER: 'u' })).toThrow(/go together/)
    expect(loadConfig({ COCKPIT_NATS_URL: 'host:4222', COCKPIT_NATS_SUBJECT: 'erp.*.movements.>' }).nats!.subject).toBe('erp.*.movements.>')
  })
})
