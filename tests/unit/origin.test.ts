/**
 * The origin rule (server/auth/origin.ts) on the forms a browser and a hostile client send: the
 * same answers the first time an Origin is seen and every time after (normalizeOrigin remembers
 * its answers), and the same-host comparison on ports, case, IPv6 and default ports.
 */
import { describe, expect, test } from 'vitest'
import { REMEMBERED_ORIGINS, normalizeOrigin, originAllowed } from '../../server/auth/origin.ts'

const FORMS: [string, string | undefined][] = [
  ['http://cockpit.local:8080', 'http://cockpit.local:8080'],
  ['HTTPS://Intranet.Example.com:443', 'https://intranet.example.com'],
  ['http://[::1]:3000', 'http://[::1]:3000'],
  ['https://xn--fiqs8s.example', 'https://xn--fiqs8s.example'],
  ['null', undefined],
  ['file://', undefined],
  ['ws://cockpit.local', undefined],
  ['http://cockpit.local/path', undefined],
  ['http://user:pw@cockpit.local', undefined],
  ['', undefined],
]

describe('normalizeOrigin', () => {
  test('answers the same when an Origin is seen again, also after more distinct ones than it remembers', () => {
    for (const [raw, normal] of FORMS) expect(normalizeOrigin(raw), raw).toBe(normal)
    for (const [raw, normal] of FORMS) expect(normalizeOrigin(raw), `${raw} again`).toBe(normal)
    for (let i = 0; i < REMEMBERED_ORIGINS * 2 + 7; i++) expect(normalizeOrigin(`https://h${i}.example`)).toBe(`https://h${i}.example`)
    for (const [raw, normal] of FORMS) expect(normalizeOrigin(raw), `${raw} after the others`).toBe(normal)
  })
})

describe('originAllowed', () => {
  test('the host the browser addressed, by host and port, whatever the scheme and case', () => {
    const same = (origin: string, host: string) => originAllowed({ origin, host, allowed: [] })
    for (let pass = 0; pass < 2; pass++) {
      expect(same('http://cockpit.local:8080', 'cockpit.local:8080')).toBe(true)
      expect(same('https://cockpit.local:8080', 'Cockpit.Local:8080')).toBe(true)
      expect(same('http://cockpit.local:8080', 'cockpit.local:8081')).toBe(false)
      expect(same('http://cockpit.local:8080', 'cockpit.local')).toBe(false)
      expect(same('https://cockpit.local:443', 'cockpit.local')).toBe(true)
      expect(same('http://cockpit.local:80', 'cockpit.local:80')).toBe(false)
      expect(same('http://[::1]:3000', '[::1]:3000')).toBe(true)
      expect(same('http://[::1]:3000', '::1:3000')).toBe(false)
      expect(same('http://evil.example', 'cockpit.local')).toBe(false)
      expect(same('null', 'cockpit.local')).toBe(false)
      expect(same('http://cockpit.local', '')).toBe(false)
    }
    expect(originAllowed({ origin: undefined, host: 'cockpit.local', allowed: [] })).toBe(true)
    expect(originAllowed({ origin: 'https://Intranet.example.com', host: 'cockpit.local', allowed: ['https://intranet.example.com'] })).toBe(true)
  })
})
