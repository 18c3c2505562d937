#!lua flags=no-writes
-- Sums counter hashes where they are and answers with the largest groups only (the query
-- engine's top-N and totals over a long period: server/query/top-groups.ts,
-- docs/architecture.md "Reading long periods"). Read-only: it may run on a replica.
-- Contract typed in server/redis/top-groups.ts: each list below, headed by a name in
-- parentheses, mirrors that file's record of the name field by field, in order
-- (tests/unit/top-groups-contract.test.ts fails when they drift apart).
-- KEYS: the counter hashes to sum (`c:{res}:{bucket}:{counter}:{dim}`), any number.
-- ARGV (TopGroupsArgs):
--   top          how many groups to rank (0: only the sums over every member)
--   ratio        1: rank by a·factor/b (complemented: 1 − that; b = 0 ranks last), 0: by a
--   factor       a ratio's factor (1 when it has none)
--   complement   1: a ratio ranks by 1 − a·factor/b
--   maxFields    the script reads nothing and answers `{'too-many', fields}` when the hashes hold more fields
--   members      how many member fields follow (0: every member of each hash)
-- then `members` member fields, then one weight pair per key: (a, b) — the member's value in the
-- key counts weight a times into its `a` sum and weight b times into its `b` sum.
-- Returns `{'ok', fields read, Σa, Σb, member, a, b, …}`: the sums over every member, then every
-- member whose rank is at least the `top`-th largest rank (ties at the cut included, so the
-- caller orders them by its own rules). Sums are exact while they stay below 2^53.
local tonumber = tonumber
local call = redis.call
local top = tonumber(ARGV[1])
local ratio = ARGV[2] == '1'
local factor = tonumber(ARGV[3])
local complement = ARGV[4] == '1'
local maxFields = tonumber(ARGV[5])
local nMembers = tonumber(ARGV[6])
local members = {}
for i = 1, nMembers do
  members[i] = ARGV[6 + i]
end
local weights = 6 + nMembers

-- cost first, from the hash sizes alone: a query over too many fields reads nothing
local fields = 0
if nMembers > 0 then
  fields = nMembers * #KEYS
else
  for i = 1, #KEYS do
    fields = fields + call('HLEN', KEYS[i])
  end
end
if fields > maxFields then
  return { 'too-many', fields }
end

local sumA, sumB = {}, {}
local order = {}
local n = 0
local totalA, totalB = 0, 0
-- written out per case, without a function call per field: this loop is the script's cost
for i = 1, #KEYS do
  local wa = tonumber(ARGV[weights + 2 * i - 1])
  local wb = tonumber(ARGV[weights + 2 * i])
  local flat
  if nMembers > 0 then
    local values = call('HMGET', KEYS[i], unpack(members))
    flat = {}
    for k = 1, nMembers do
      if values[k] then
        flat[#flat + 1] = members[k]
        flat[#flat + 1] = values[k]
      end
    end
  else
    flat = call('HGETALL', KEYS[i])
  end
  if wb == 0 then
    -- a flow, or a ratio's numerator: the common case, kept to the bare sums
    for k = 1, #flat, 2 do
      local m = flat[k]
      local v = tonumber(flat[k + 1]) * wa
      local a = sumA[m]
      if a == nil then
        n = n + 1
        order[n] = m
        sumA[m] = v
        sumB[m] = 0
      else
        sumA[m] = a + v
      end
      totalA = totalA + v
    end
  else
    for k = 1, #flat, 2 do
      local m = flat[k]
      local v = tonumber(flat[k + 1])
      local a = sumA[m]
      if a == nil then
        n = n + 1
        order[n] = m
        sumA[m] = wa * v
        sumB[m] = wb * v
      else
        sumA[m] = a + wa * v
        sumB[m] = sumB[m] + wb * v
      end
      totalA = totalA + wa * v
      totalB = totalB + wb * v
    end
  end
end

local out = { 'ok', fields, totalA, totalB }
if top == 0 or n == 0 then
  return out
end

-- rank of each member: a, or a ratio (members without a denominator last)
local rank = sumA
if ratio then
  rank = {}
  for i = 1, n do
    local m = order[i]
    local b = sumB[m]
    if b == 0 then
      rank[m] = -math.huge
    else
      local r = (sumA[m] / b) * factor
      if complement then
        r = 1 - r
      end
      rank[m] = r
    end
  end
end
-- the top-th largest rank: every member at or above it is a candidate
local cut = -math.huge
if n > top then
  local ranks = {}
  for i = 1, n do
    ranks[i] = rank[order[i]]
  end
  table.sort(ranks)
  cut = ranks[n - top + 1]
end
for i = 1, n do
  local m = order[i]
  if rank[m] >= cut then
    out[#out + 1] = m
    out[#out + 1] = sumA[m]
    out[#out + 1] = sumB[m]
  end
end
return out
