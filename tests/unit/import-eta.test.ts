/** The importer's ETA as its bar shows it (server/cli/import.ts formatEta), in the form the history bench reads back. */
import { createRequire } from 'node:module'
import { describe, expect, test } from 'vitest'
import { PROGRESS_FORMAT, formatEta, progressPayload } from '../../server/cli/import.ts'

/** cli-progress's own formatter: what the bar draws from its format, its state and the payload */
const formatter = createRequire(import.meta.url)('cli-progress/lib/formatter.js') as (
  options: Record<string, unknown>,
  params: Record<string, unknown>,
  payload: Record<string, unknown>,
) => string

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

  test("the bar shows the importer's ETA, not cli-progress's own estimate", () => {
    const payload = progressPayload({ lines: 5000, linesPerSecond: 2301, etaSeconds: 125, accepted: 5000, duplicates: 0, rejected: 0 })
    const options = { format: PROGRESS_FORMAT, barsize: 10, barCompleteString: '#', barIncompleteString: '-', barGlue: '', autopaddingChar: ' ', maxWidth: 300 }
    // cli-progress's own ETA at this moment would be 16 s
    const line = formatter(options, { progress: 0.08, total: 100, value: 8, eta: 16, startTime: Date.now(), maxWidth: 300 }, payload)
    expect(line).toContain('| 5000 lines | 2301 lines/s | ETA 2m5s | accepted 5000, duplicates 0, rejected 0')
  })
})
