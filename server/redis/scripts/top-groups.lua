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
    fields = fields + redis.call('HLEN', KEYS[i])
  end
end
if fields > maxFields then
  return { 'too-many', fields }
end

local sumA, sumB = {}, {}
local order = {}
local totalA, totalB = 0, 0
local function add(m, v, wa, wb)
  local a = sumA[m]
  if a == nil then
    order[#order + 1] = m
    sumA[m] = wa * v
    sumB[m] = wb * v
  else
    sumA[m] = a + wa * v
    sumB[m] = sumB[m] + wb * v
  end
  totalA = totalA + wa * v
  totalB = totalB + wb * v
end

for i = 1, #KEYS do
  local wa = tonumber(ARGV[weights + 2 * i - 1])
  local wb = tonumber(ARGV[weights + 2 * i])
  if nMembers > 0 then
    local values = redis.call('HMGET', KEYS[i], unpack(members))
    for k = 1, nMembers do
      local v = values[k]
      if v then
        add(members[k], tonumber(v), wa, wb)
      end
    end
  else
    local flat = redis.call('HGETALL', KEYS[i])
    for k = 1, #flat, 2 do
      add(flat[k], tonumber(flat[k + 1]), wa, wb)
    end
  end
end

local out = { 'ok', fields, totalA, totalB }
if top == 0 or #order == 0 then
  return out
end

-- rank of each member: a, or a ratio (members without a denominator last)
local rank = {}
local ranks = {}
for i = 1, #order do
  local m = order[i]
  local r
  if ratio then
    local b = sumB[m]
    if b == 0 then
      r = -math.huge
    else
      r = (sumA[m] / b) * factor
      if complement then
        r = 1 - r
      end
    end
  else
    r = sumA[m]
  end
  rank[m] = r
  ranks[i] = r
end
-- the top-th largest rank: every member at or above it is a candidate
local cut = -math.huge
if #ranks > top then
  table.sort(ranks, function(x, y)
    return x > y
  end)
  cut = ranks[top]
end
for i = 1, #order do
  local m = order[i]
  if rank[m] >= cut then
    out[#out + 1] = m
    out[#out + 1] = sumA[m]
    out[#out + 1] = sumB[m]
  end
end
return out
