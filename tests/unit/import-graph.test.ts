/**
 * Imports run one way (docs/architecture.md#import-layers). Every module of protocol/, server/,
 * screen/, widgets/ and mock-feeds/ is read, its static and dynamic imports and re-exports are
 * listed, and each one is checked against the rules below. A failure names the file, the import
 * and the rule it breaks.
 *
 * Imports are found with TypeScript's own pre-processor (`ts.preProcessFile`) rather than a
 * regular expression: it skips comments and strings and reads multi-line import lists, so an
 * example in a doc comment is not mistaken for an import and a real one is never missed.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, extname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { parse as parseSfc } from 'vue/compiler-sfc'
import { describe, expect, test } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const TREES = ['protocol', 'server', 'screen', 'widgets', 'mock-feeds'] as const
type Tree = (typeof TREES)[number]
const SOURCE_EXTENSIONS = new Set(['.ts', '.mts', '.mjs', '.vue'])

/** Which top-level trees each tree may import (packages from node_modules are always allowed). */
const TREE_RULES: Readonly<Record<Tree, { may: readonly Tree[]; rule: string }>> = {
  protocol: { may: ['protocol'], rule: 'protocol/ is the shared contract and imports nothing of ours but protocol/' },
  widgets: { may: ['widgets', 'protocol'], rule: 'widgets/ imports only widgets/ and protocol/ (what widgets and the screen share lives in widgets/common/)' },
  screen: { may: ['screen', 'widgets', 'protocol'], rule: 'screen/ imports only screen/, widgets/ and protocol/' },
  'mock-feeds': { may: ['mock-feeds', 'protocol'], rule: 'mock-feeds/ imports only mock-feeds/ and protocol/' },
  // the server validates screens against the widget manifests (widgets/<id>/manifest.ts, templates);
  // what it reaches there must stay free of Vue, which the test "server side of widgets" checks
  server: { may: ['server', 'protocol', 'widgets'], rule: 'server/ imports only server/, protocol/ and the widget manifests; never screen/ or mock-feeds/' },
}

/** server/cli/demo.ts starts the simulator next to the server. */
const TREE_EXCEPTIONS: readonly { from: string; to: Tree }[] = [{ from: 'server/cli/demo.ts', to: 'mock-feeds' }]

/**
 * Layers inside server/, lowest first. A module may import its own layer and the ones below it,
 * never one above. A path ending in `/` is a folder.
 */
const SERVER_LAYERS: readonly { name: string; paths: readonly string[] }[] = [
  { name: 'domain', paths: ['server/domain/', 'server/errors.ts'] },
  { name: 'redis', paths: ['server/redis/'] },
  { name: 'ingest', paths: ['server/ingest/'] },
  { name: 'aggregate', paths: ['server/aggregate/'] },
  { name: 'query', paths: ['server/query/'] },
  { name: 'screens', paths: ['server/screens/'] },
  { name: 'auth', paths: ['server/auth/'] },
  { name: 'config', paths: ['server/config.ts'] },
  { name: 'realtime', paths: ['server/realtime/'] },
  { name: 'sources', paths: ['server/sources/'] },
  { name: 'plugins', paths: ['server/plugins/'] },
  { name: 'app', paths: ['server/app.ts'] },
  { name: 'entry points', paths: ['server/main.ts', 'server/cli/'] },
]

/** Upward imports tolerated for now; each must still exist, so a fixed one is also deleted here. */
const KNOWN_LAYER_VIOLATIONS: readonly { from: string; to: string; why: string }[] = []

/** Packages that draw on a screen; the server must never load them. */
const BROWSER_PACKAGES = /^(vue|vue-router|pinia|echarts|@vue\/|@vueuse\/|socket\.io-client)(\/|$)/

interface Import {
  /** importing file, relative to the repository root with `/` */
  file: string
  /** the specifier as written */
  specifier: string
  /** the imported file relative to the root, or undefined for a package */
  target: string | undefined
}

function toPosix(path: string): string {
  return path.split(sep).join('/')
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* sourceFiles(path)
    else if (SOURCE_EXTENSIONS.has(extname(entry.name))) yield path
  }
}

/** The script blocks of an SFC, or the whole file. */
function scriptOf(path: string, text: string): string {
  if (!path.endsWith('.vue')) return text
  const { descriptor } = parseSfc(text, { filename: path })
  return [descriptor.script?.content ?? '', descriptor.scriptSetup?.content ?? ''].join('\n')
}

/** Static imports, `export … from`, `import('…')` and `import type` of a source text. */
function specifiersOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName)
}

function importsOf(path: string): Import[] {
  const file = toPosix(relative(ROOT, path))
  return specifiersOf(scriptOf(path, readFileSync(path, 'utf8'))).map((specifier) => ({
    file,
    specifier,
    target: specifier.startsWith('.') ? toPosix(relative(ROOT, resolve(dirname(path), specifier))) : undefined,
  }))
}

const FILES: readonly string[] = TREES.flatMap((tree) => [...sourceFiles(join(ROOT, tree))])
const IMPORTS: readonly Import[] = FILES.flatMap(importsOf)

function importsByFile(imports: readonly Import[]): Map<string, Import[]> {
  const out = new Map<string, Import[]>()
  for (const i of imports) out.set(i.file, [...(out.get(i.file) ?? []), i])
  return out
}

function treeOf(path: string): Tree | undefined {
  return TREES.find((tree) => path.startsWith(`${tree}/`))
}

function layerOf(path: string): number {
  return SERVER_LAYERS.findIndex((layer) => layer.paths.some((p) => (p.endsWith('/') ? path.startsWith(p) : path === p)))
}

function describeImport(i: Import): string {
  return `${i.file} imports '${i.specifier}'${i.target && i.target !== i.specifier ? ` (${i.target})` : ''}`
}

/** Imports that break the tree rules. */
function treeViolations(imports: readonly Import[]): string[] {
  const out: string[] = []
  for (const i of imports) {
    if (i.target === undefined) continue
    const from = treeOf(i.file)
    if (!from) continue
    const to = treeOf(i.target)
    if (to && TREE_RULES[from].may.includes(to)) continue
    if (to && TREE_EXCEPTIONS.some((e) => e.from === i.file && e.to === to)) continue
    out.push(`${describeImport(i)}: ${TREE_RULES[from].rule}`)
  }
  return out
}

/** Imports inside server/ that run up a layer. */
function layerViolations(imports: readonly Import[], known = KNOWN_LAYER_VIOLATIONS): string[] {
  const out: string[] = []
  const order = SERVER_LAYERS.map((l) => l.name).join(' → ')
  for (const i of imports) {
    if (!i.file.startsWith('server/') || !i.target?.startsWith('server/')) continue
    const from = layerOf(i.file)
    const to = layerOf(i.target)
    if (from === -1 || to === -1 || to <= from) continue
    if (known.some((k) => k.from === i.file && k.to === i.target)) continue
    out.push(`${describeImport(i)}: server layer "${SERVER_LAYERS[from]!.name}" may not import the higher layer "${SERVER_LAYERS[to]!.name}" (lowest first: ${order})`)
  }
  return out
}

/** Files under widgets/ that the server loads, each with the chain of imports that reaches it. */
function widgetsReachedByServer(imports: readonly Import[]): Map<string, string[]> {
  const byFile = importsByFile(imports)
  const reached = new Map<string, string[]>()
  const queue = imports.filter((i) => i.file.startsWith('server/') && i.target?.startsWith('widgets/')).map((i) => [i.file, i.target!])
  for (let chain = queue.shift(); chain; chain = queue.shift()) {
    const file = chain[chain.length - 1]!
    if (reached.has(file)) continue
    reached.set(file, chain)
    for (const next of byFile.get(file) ?? []) if (next.target?.startsWith('widgets/')) queue.push([...chain, next.target])
  }
  return reached
}

describe('import graph', () => {
  test('finds static, type-only, multi-line and dynamic imports and re-exports, not ones in comments', () => {
    const source = [
      "import { a } from './a.ts'",
      "import type { B } from '../b.ts'",
      'import {',
      '  c,',
      '  d,',
      "} from './cd.ts'",
      "import './side-effect.css'",
      "export { e } from './e.ts'",
      "export * from './f.ts'",
      "const g = () => import('./g.vue')",
      "// import { no } from './commented.ts'",
      "/** import { no } from './documented.ts' */",
      'const text = "import { no } from \'./string.ts\'"',
    ].join('\n')
    expect(specifiersOf(source)).toEqual(['./a.ts', '../b.ts', './cd.ts', './side-effect.css', './e.ts', './f.ts', './g.vue'])
  })

  test('reads every tree, .vue scripts included', () => {
    for (const tree of TREES)
      expect(
        IMPORTS.some((i) => i.file.startsWith(`${tree}/`)),
        tree,
      ).toBe(true)
    expect(IMPORTS).toContainEqual({ file: 'screen/router.ts', specifier: './views/Wall.vue', target: 'screen/views/Wall.vue' })
    expect(IMPORTS.some((i) => i.file.endsWith('.vue') && i.target?.startsWith('widgets/common/'))).toBe(true)
  })

  test('protocol, widgets, screen, server and mock-feeds import only what their rules allow', () => {
    expect(treeViolations(IMPORTS)).toEqual([])
  })

  test('every server module belongs to a layer', () => {
    const unplaced = FILES.map((f) => toPosix(relative(ROOT, f)))
      .filter((f) => f.startsWith('server/') && layerOf(f) === -1)
      .map((f) => `${f} belongs to no server layer: add it to SERVER_LAYERS in tests/unit/import-graph.test.ts and to docs/architecture.md`)
    expect(unplaced).toEqual([])
  })

  test('inside server/, no import runs up a layer', () => {
    expect(layerViolations(IMPORTS)).toEqual([])
  })

  test('every tolerated upward import still exists (delete the entry once it is fixed)', () => {
    const stale = KNOWN_LAYER_VIOLATIONS.filter((k) => !IMPORTS.some((i) => i.file === k.from && i.target === k.to)).map(
      (k) => `${k.from} no longer imports ${k.to}: delete it from KNOWN_LAYER_VIOLATIONS in tests/unit/import-graph.test.ts`,
    )
    expect(stale).toEqual([])
  })

  test('the server side of widgets (manifests, templates) loads no component, no Vue, no chart library', () => {
    const out: string[] = []
    const byFile = importsByFile(IMPORTS)
    for (const [file, chain] of widgetsReachedByServer(IMPORTS)) {
      const via = chain.join(' → ')
      if (file.endsWith('.vue')) out.push(`${via}: the server may load widget manifests, never a component`)
      for (const i of byFile.get(file) ?? []) {
        if (i.target === undefined && BROWSER_PACKAGES.test(i.specifier))
          out.push(`${describeImport(i)}, reached by the server through ${via}: the server side of widgets stays free of browser packages`)
      }
    }
    expect(out).toEqual([])
  })

  test('the rules catch an import in a forbidden direction', () => {
    const bad: Import[] = [
      { file: 'widgets/gauge/Gauge.vue', specifier: '../../screen/socket.ts', target: 'screen/socket.ts' },
      { file: 'protocol/query.ts', specifier: '../server/errors.ts', target: 'server/errors.ts' },
      { file: 'server/cli/import.ts', specifier: '../../mock-feeds/feed.ts', target: 'mock-feeds/feed.ts' },
      { file: 'server/domain/time.ts', specifier: '../redis/keys.ts', target: 'server/redis/keys.ts' },
      { file: 'server/aggregate/fold.ts', specifier: '../query/period.ts', target: 'server/query/period.ts' },
    ]
    expect(treeViolations(bad)).toEqual([
      "widgets/gauge/Gauge.vue imports '../../screen/socket.ts' (screen/socket.ts): " + TREE_RULES.widgets.rule,
      "protocol/query.ts imports '../server/errors.ts' (server/errors.ts): " + TREE_RULES.protocol.rule,
      "server/cli/import.ts imports '../../mock-feeds/feed.ts' (mock-feeds/feed.ts): " + TREE_RULES.server.rule,
    ])
    const layers = layerViolations(bad)
    expect(layers).toHaveLength(2)
    expect(layers[0]).toMatch(
      /^server\/domain\/time\.ts imports '\.\.\/redis\/keys\.ts' \(server\/redis\/keys\.ts\): server layer "domain" may not import the higher layer "redis"/,
    )
    expect(layers[1]).toMatch(/^server\/aggregate\/fold\.ts imports .*: server layer "aggregate" may not import the higher layer "query"/)
  })
})
