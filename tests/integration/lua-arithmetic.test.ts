/**
 * The apply script's exact integers (server/redis/scripts/apply-batch.lua, "Exact integers")
 * against BigInt, run in the real Redis Lua: the fast four-limb x·y/d, the bignum path, sums
 * and products across the 2^52 boundary and out to int64 and beyond, both rounding modes.
 */
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, test } from 'vitest'
import { divRoundBig } from '../../server/domain/money.ts'
import type { RoundingMode } from '../../server/domain/money.ts'

const lua = readFileSync(new URL('../../server/redis/scripts/apply-batch.lua', import.meta.url), 'utf8')
const section = lua.slice(lua.indexOf('-- Exact integers.'), lua.indexOf('local INT64_MAX'))
// ARGV: rounding (0 | 1), then op, x, y, d per case; answers one text per case
const harness = `local P = { rm = tonumber(ARGV[1]), ms = 100 }
${section}
local out = {}
for j = 2, #ARGV, 4 do
  local op, x, y, d = ARGV[j], parse(ARGV[j + 1]), parse(ARGV[j + 2]), parse(ARGV[j + 3])
  local r
  if op == 'muldiv' then r = mulDivRound(x, y, d)
  elseif op == 'bigdiv' then r = divRound(mul(x, y), d)
  elseif op == 'add' then r = add(x, y)
  elseif op == 'sub' then r = sub(x, y)
  else r = mul(x, y) end
  out[#out + 1] = text(r)
end
return out`

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
afterAll(() => redis.disconnect())

type Case = [op: 'muldiv' | 'bigdiv' | 'add' | 'sub' | 'mul', x: bigint, y: bigint, d: bigint]

function expected([op, x, y, d]: Case, mode: RoundingMode): bigint {
  if (op === 'add') return x + y
  if (op === 'sub') return x - y
  if (op === 'mul') return x * y
  return divRoundBig(x * y, d, mode)
}

async function check(cases: Case[], mode: RoundingMode): Promise<void> {
  const args = cases.flatMap(([op, x, y, d]) => [op, x.toString(), y.toString(), d.toString()])
  const got = (await redis.eval(harness, 0, mode === 'half-even' ? '1' : '0', ...args)) as string[]
  expect(got).toEqual(cases.map((c) => expected(c, mode).toString()))
}

const signed = (max: bigint) => fc.bigInt({ min: -max, max })
const nonZero = (max: bigint) => signed(max).filter((d) => d !== 0n)
const P52 = 2n ** 52n
const P50 = 2n ** 50n

describe('exact integers in the apply script', () => {
  test.each(['half-away', 'half-even'] as const)('x·y/d on the fast path and the bignum path equal BigInt (%s)', async (mode) => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('muldiv', 'bigdiv') as fc.Arbitrary<'muldiv' | 'bigdiv'>, signed(P52 - 1n), signed(P52 - 1n), nonZero(P50 - 1n)), {
          minLength: 1,
          maxLength: 50,
        }),
        async (cases) => check(cases, mode),
      ),
      { numRuns: 40 },
    )
  })

  test('ties, around every boundary, by hand', async () => {
    const cases: Case[] = [
      ['muldiv', 1n, 5n, 2n], // 2.5
      ['muldiv', -1n, 5n, 2n],
      ['muldiv', 3n, 5n, 2n], // 7.5
      ['muldiv', P52 - 1n, P52 - 1n, P50 - 1n],
      ['muldiv', P52 - 1n, 3n, 2n], // quotient past 2^50: falls back to the bignum
      ['bigdiv', 10n ** 30n, 7n, 3n],
      ['muldiv', 0n, 7n, 3n],
    ]
    await check(cases, 'half-away')
    await check(cases, 'half-even')
  })

  test('the operands of a large outbound at a kept rate (valuation property, seed 228860720)', async () => {
    // a pair of A counted to 0 at v = 49,999,996,313.7650 for q = 621,447,619.551 keeps the rate
    // v·1e5/q = 80,457,297.99… → 80,457,298 (1e-6 per unit); 623,934,246.751 units then leave at
    // it: the value is q·a/1e5 to the cent (the step 100 mu), −50,200,063,623.25. The script's
    // figures were right; the model had kept the exact v/q (50,200,063,619.39 there).
    const keep: Case = ['muldiv', 499_999_963_137_650n, 100_000n, 621_447_619_551n]
    const out: Case = ['muldiv', -623_934_246_751n, 80_457_298n, 100_000n * 100n]
    expect(expected(keep, 'half-away')).toBe(80_457_298n)
    expect(expected(out, 'half-away') * 100n).toBe(-502_000_636_232_500n)
    await check([keep, out], 'half-away')
    await check([keep, out], 'half-even')
  })

  test('sums and products past 2^52 and past int64 stay exact', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('add', 'sub', 'mul') as fc.Arbitrary<'add' | 'sub' | 'mul'>, signed(10n ** 24n), signed(10n ** 24n), fc.constant(1n)), {
          minLength: 1,
          maxLength: 50,
        }),
        async (cases) => check(cases, 'half-away'),
      ),
      { numRuns: 40 },
    )
  })
})
