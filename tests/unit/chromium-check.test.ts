import { describe, expect, test } from 'vitest'
import { missingChromium } from '../support/chromium-check.ts'

describe('the e2e check for Chromium', () => {
  test('a missing browser gets one line naming the path and the command that installs it', () => {
    const line = missingChromium('/nonexistent/chromium')
    expect(line).toContain('/nonexistent/chromium')
    expect(line).toContain('sudo apt-get install -y chromium')
    expect(line).toContain('bash .ci/run')
    expect(line).not.toContain('\n')
  })
  test('an executable passes', () => {
    expect(missingChromium(process.execPath)).toBeUndefined()
  })
})
