/**
 * The repository stands on its own: no code comment or document cites a document it does not
 * hold (the product brief's design and domain notes live outside it; their rules are written in
 * docs/), and every `docs/….md` a file names exists.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'

const root = join(import.meta.dirname, '../..')
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((f) => /\.(ts|vue|lua|mjs|md|sh)$/.test(f) && existsSync(join(root, f)))
  // this file names what it forbids
  .filter((f) => f !== 'tests/unit/self-contained.test.ts')

describe('the repository stands alone', () => {
  test('no file cites a design or domain document the repository lacks', () => {
    const outside = /\b(design|domain)\.md\b|\b(design|domain) §/
    const hits = files.flatMap((f) =>
      readFileSync(join(root, f), 'utf8')
        .split('\n')
        .flatMap((line, i) => (outside.test(line) ? [`${f}:${i + 1}: ${line.trim().slice(0, 120)}`] : [])),
    )
    expect(hits, 'cite docs/ instead, and write the rule there').toEqual([])
  })

  test('every docs/….md a file names exists', () => {
    const missing = files.flatMap((f) =>
      [...readFileSync(join(root, f), 'utf8').matchAll(/\bdocs\/([\w-]+\.md)\b/g)].flatMap((m) => (existsSync(join(root, 'docs', m[1]!)) ? [] : [`${f}: docs/${m[1]}`])),
    )
    expect(missing).toEqual([])
  })

  test('it finds what it looks for', () => {
    expect(files.length).toBeGreaterThan(200)
    expect(files).toContain('server/aggregate/fold.ts')
  })
})
