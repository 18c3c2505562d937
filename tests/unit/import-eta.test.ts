/** The importer's ETA as its bar shows it (server/cli/import.ts formatEta), in the form the history bench reads back. */
import { describe, expect, test } from 'vitest'
import { formatEta } from '../../server/cli/import.ts'

describe('formatEta', () => {
  test.each([
    [undefined, '…'],
    [0, '0s'],
    [45, '45s'],
    [125, '2m5s'],
    [3600, '1h0m0s'],
    [3723, '1h2m3s'],
  ])('%s s → %s', (seconds, text) => {
    expect(formatEta(seconds)).toBe(text)
  })
})
