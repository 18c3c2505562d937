/**
 * globalSetup of the e2e project: before any browser test runs, check that the Chromium the
 * helpers launch (tests/helpers/chromium.ts: CHROMIUM_PATH, else /usr/bin/chromium) is there. A
 * machine without it gets one line saying how to fix it, instead of a stack trace per suite.
 */
import { accessSync, constants } from 'node:fs'
import { CHROMIUM } from '../helpers/chromium.ts'

/** The one line a missing browser gets, or undefined when it can be run. */
export function missingChromium(path: string): string | undefined {
  try {
    accessSync(path, constants.X_OK)
    return undefined
  } catch {
    const fix = process.env.CHROMIUM_PATH ? `point CHROMIUM_PATH at a Chromium binary, or unset it and run: sudo apt-get install -y chromium` : 'sudo apt-get install -y chromium'
    return `e2e tests need Chromium at ${path}, which is missing: ${fix} (or bash .ci/run, which installs it)`
  }
}

/** vitest globalSetup hook (named export: vitest reads `setup`) */
export function setup(): void {
  const line = missingChromium(CHROMIUM)
  if (line === undefined) return
  process.stderr.write(`\n${line}\n\n`)
  // exit rather than throw: a thrown error is printed with its stack once per project, and the
  // point is one line; a non-zero status keeps `npm test` and CI failing
  process.exit(1)
}
