/**
 * `npx tsx tests/bench/profile-lua.ts [out.lua]` — writes a profiling build of apply-batch.lua for
 * `WP_LUA=out.lua npx tsx tests/bench/write-path.ts`: the same script with a `TIME` read at each
 * phase boundary, adding the phase's microseconds into the hash `prof:<phase>` (field `us`). The
 * phases are found by the lines that open them; a line that is no longer there is an error, so the
 * build never silently profiles less than it says. TIME and HINCRBY cost ~1 µs each per batch: the
 * profile is for comparing phases, not for absolute figures (docs/architecture.md "Write-path
 * performance").
 */
import { readFileSync, writeFileSync } from 'node:fs'

const SOURCE = new URL('../../server/redis/scripts/apply-batch.lua', import.meta.url)

/** Each phase ends where the line starting with `before` begins (in file order). */
const PHASES: { before: string; phase: string }[] = [
  { before: 'local pairs_ = P.P', phase: '01 reads: ids, markers, cancels' },
  { before: 'local function touch(s, t)', phase: '02 read stock state' },
  { before: 'local byList = {}', phase: '03 read backlogs, order lines' },
  { before: 'local delta = {}', phase: '04 operations (stock, cancels, lines)' },
  { before: '-- effect records: the idempotency keys', phase: '05 counter deltas: sum, HMGET, range check' },
  { before: '-- rankings (R)', phase: '06 write effect records, markers, recent' },
  { before: '-- stock state, live movement counts', phase: '07 write counters and rankings' },
  { before: 'for h, open in ipairs(backlogs) do', phase: '08 write stock state' },
  { before: 'local LC = P.LC', phase: '09 write backlogs' },
  { before: '-- documents invoiced or settled', phase: '10 write order lines' },
  { before: 'local exp = P.exp', phase: '11 documents touched' },
  { before: "return {'ok', n}", phase: '12 expiry' },
]

const PROFILER = `local function __now() local t = redis.call('TIME'); return t[1] * 1000000 + t[2] end
local __last = __now()
local function __mark(name) local t = __now(); redis.call('HINCRBY', 'prof:' .. name, 'us', t - __last); __last = __now() end`

/** apply-batch.lua with the profiler after its payload is decoded and a mark before each phase's end. */
export function profilingBuild(source: string): string {
  const lines = source.split('\n')
  const start = lines.findIndex((l) => l.startsWith('local T26 = '))
  if (start < 0) throw new Error('apply-batch.lua: the line "local T26 = " is gone: update tests/bench/profile-lua.ts')
  let from = start
  const marks = new Map<number, string>()
  for (const { before, phase } of PHASES) {
    const at = lines.findIndex((l, i) => i > from && l.startsWith(before))
    if (at < 0) throw new Error(`apply-batch.lua: no line starting "${before}" after line ${from + 1}: update tests/bench/profile-lua.ts`)
    marks.set(at, phase)
    from = at
  }
  return lines
    .flatMap((line, i) => {
      const before = i === start ? [PROFILER] : []
      const phase = marks.get(i)
      return phase === undefined ? [...before, line] : [...before, `__mark(${JSON.stringify(phase)})`, line]
    })
    .join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const out = process.argv[2] ?? 'apply-batch.prof.lua'
  writeFileSync(out, profilingBuild(readFileSync(SOURCE, 'utf8')))
  process.stdout.write(`${out}: run WP_LUA=${out} npx tsx tests/bench/write-path.ts\n`)
}
