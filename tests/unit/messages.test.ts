/**
 * The screen app's words live in one catalogue (docs/architecture.md "Words"). Each entry reads in
 * both languages with the same placeholders, and the screen's sources and the widget components
 * carry no phrase of their own: no Chinese text in code or templates (comments aside), no
 * `{ 'zh-CN': …, en: … }` pair and no `T('…', '…')` helper. Manifests keep their titles and labels. The dimension names exist once, in widgets/common/i18n.ts.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { extname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { parse as parseSfc } from 'vue/compiler-sfc'
import { describe, expect, test } from 'vitest'
import { DIMENSIONS } from '../../protocol/metrics.ts'
import { DIMENSION_TITLES } from '../../widgets/common/i18n.ts'
import { LANGUAGE_NAMES, MESSAGES, message, placeholders } from '../../widgets/common/messages.ts'
import type { MessageKey } from '../../widgets/common/messages.ts'
import { LOCALES } from '../../screen/stores/locale.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** Chinese characters (full-width punctuation such as ， or ＋ is not a phrase) */
const CJK = /[\u3400-\u9fff\uf900-\ufaff]/

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* sourceFiles(path)
    else if (['.ts', '.vue'].includes(extname(entry.name))) yield path
  }
}

const posix = (path: string) => relative(ROOT, path).split(sep).join('/')

/** A source file as the code and the template it holds (a .ts file is all code). */
function partsOf(path: string): { code: string; template: string } {
  const text = readFileSync(path, 'utf8')
  if (!path.endsWith('.vue')) return { code: text, template: '' }
  const { descriptor } = parseSfc(text, { filename: path })
  return { code: [descriptor.script?.content ?? '', descriptor.scriptSetup?.content ?? ''].join('\n'), template: descriptor.template?.content ?? '' }
}

/** The string and template-literal texts of some code; comments are not part of the syntax tree. */
function literalsOf(code: string): string[] {
  const out: string[] = []
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) out.push(node.text)
    node.forEachChild(visit)
  }
  visit(ts.createSourceFile('source.ts', code, ts.ScriptTarget.Latest, true))
  return out
}

/** the screen app and the widget components; manifests, templates and the name tables in widgets/common are .ts */
const CHECKED_FILES = [...sourceFiles(join(ROOT, 'screen')), ...[...sourceFiles(join(ROOT, 'widgets'))].filter((path) => path.endsWith('.vue'))]

describe('the catalogue', () => {
  const keys = Object.keys(MESSAGES) as MessageKey[]

  test('every entry reads in both languages', () => {
    const empty = keys.flatMap((key) => LOCALES.filter((locale) => !MESSAGES[key][locale].trim()).map((locale) => `${key} (${locale})`))
    expect(empty).toEqual([])
  })

  test('every placeholder of one language is in the other', () => {
    const uneven = keys.filter((key) => placeholders(MESSAGES[key]['zh-CN']).join() !== placeholders(MESSAGES[key].en).join())
    expect(uneven).toEqual([])
  })

  test('the Chinese side is Chinese', () => {
    // catches a pair written the wrong way round or left untranslated
    const bothLatin = keys.filter((key) => !CJK.test(MESSAGES[key]['zh-CN']))
    expect(bothLatin).toEqual([])
  })

  test('placeholders are filled; one without a value stays as written', () => {
    expect(message('zh-CN', 'editor.saved', { version: 7 })).toBe('已保存，版本 7。')
    expect(message('en', 'editor.conflict', { theirs: 4, savedAt: 'then', mine: 3 })).toBe('Someone else saved version 4 of this screen (then) while you were editing version 3.')
    expect(message('en', 'drill.stockAlerts', { name: '{name} $& x' })).toBe('Stock alerts · {name} $& x')
    expect(message('en', 'updated')).toBe('Updated {time}')
  })

  test('each language is named in itself', () => {
    expect(LANGUAGE_NAMES).toEqual({ 'zh-CN': '中文', en: 'EN' })
  })

  test('every dimension has a name in both languages', () => {
    for (const d of DIMENSIONS) for (const locale of LOCALES) expect(DIMENSION_TITLES[d][locale]).not.toBe('')
  })
})

describe('no phrase outside the catalogue', () => {
  test('screen/ and the widget components have no Chinese text in code or templates', () => {
    const found = CHECKED_FILES.flatMap((path) => {
      const { code, template } = partsOf(path)
      const inCode = literalsOf(code).filter((text) => CJK.test(text))
      const inTemplate = template
        .replace(/<!--[\s\S]*?-->/g, '')
        .split('\n')
        .filter((line) => CJK.test(line))
      return [...inCode, ...inTemplate].map((text) => `${posix(path)}: ${text.trim()}`)
    })
    expect(found).toEqual([])
  })

  test("screen/ and the widget components have no { 'zh-CN': …, en: … } pairs, language ternaries or T('…', '…') helpers", () => {
    const PAIR = /['"]zh-CN['"]\s*:/
    const TERNARY = /\b(zh|z)(\.value)?\s*\?\s*['"`]/
    const HELPER = /\bT\(\s*['"`]/
    const found = CHECKED_FILES.flatMap((path) => {
      const { code, template } = partsOf(path)
      return `${code}\n${template}`
        .split('\n')
        .filter((line) => PAIR.test(line) || TERNARY.test(line) || HELPER.test(line))
        .map((line) => `${posix(path)}: ${line.trim()}`)
    })
    expect(found).toEqual([])
  })

  test('the dimension names are written once, in widgets/common/i18n.ts', () => {
    // 往来单位 (partner) is the one name no other table shares
    const holders = ['screen', 'widgets']
      .flatMap((tree) => [...sourceFiles(join(ROOT, tree))])
      .filter((path) => literalsOf(partsOf(path).code).some((text) => text === '往来单位'))
      .map(posix)
    expect(holders).toEqual(['widgets/common/i18n.ts'])
  })
})
