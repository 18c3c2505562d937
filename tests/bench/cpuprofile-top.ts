/**
 * `npx tsx tests/bench/cpuprofile-top.ts <file.cpuprofile> [skip seconds] [rows] [filter]` — the functions of a V8
 * CPU profile (`--cpu-prof`, query-profile.ts's PROFILE_CPU) by self and by inclusive time, in ms and in % of the
 * busy time, without DevTools (docs/operations.md "Profiling a query"). `skip seconds` leaves out the start of the
 * profile (a server's start-up: tsx compiling, plugins registering); `filter` (a regular expression) keeps the rows
 * whose `function file:line` matches, e.g. `helmet|server/plugins`. Idle samples are left out; a function that is on
 * a stack more than once (recursion) counts once for that sample. File paths lose everything up to `node_modules/` or
 * the repository's root. Tracks a stack as a whole, so inclusive times of nested callbacks (Fastify's hooks call
 * the next step from inside the previous one) include what follows them.
 */
import { readFileSync } from 'node:fs'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}
interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

const [file, skipArg = '0', rowsArg = '40', filterArg] = process.argv.slice(2)
if (!file) {
  console.error('usage: npx tsx tests/bench/cpuprofile-top.ts <file.cpuprofile> [skip seconds] [rows] [filter]')
  process.exit(2)
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
const root = new URL('../../', import.meta.url).pathname
const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
const parent = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const label = ({ callFrame: f }: ProfileNode) => {
  const where = f.url
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\//, '')
    .replace(root, '')
  return `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`
}

const from = profile.startTime + Number(skipArg) * 1e6
const self = new Map<string, number>()
const inclusive = new Map<string, number>()
let busy = 0
let t = profile.startTime
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i] ?? 0
  // a sample stands for the time until the next one
  const dt = profile.timeDeltas[i + 1] ?? 0
  const node = nodes.get(profile.samples[i]!)!
  if (t < from || node.callFrame.functionName === '(idle)') continue
  busy += dt
  self.set(label(node), (self.get(label(node)) ?? 0) + dt)
  const seen = new Set<string>()
  for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
    const name = label(nodes.get(id)!)
    if (seen.has(name)) continue
    seen.add(name)
    inclusive.set(name, (inclusive.get(name) ?? 0) + dt)
  }
}

const filter = filterArg ? new RegExp(filterArg) : undefined
console.log(`${((profile.endTime - Math.max(from, profile.startTime)) / 1e6).toFixed(1)} s of profile, ${(busy / 1e6).toFixed(2)} s busy`)
for (const [title, times] of [
  ['self', self],
  ['inclusive', inclusive],
] as const) {
  console.log(`--- ${title}`)
  const rows = [...times].filter(([name]) => !filter || filter.test(name)).sort((a, b) => b[1] - a[1])
  for (const [name, us] of rows.slice(0, Number(rowsArg))) {
    console.log(`${(us / 1000).toFixed(1).padStart(9)} ms ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${name}`)
  }
}
