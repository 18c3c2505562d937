#!lua flags=no-writes
-- The top N members of a weighted sum of rankings (sorted sets mirroring counter hashes member by
-- member: `rk:Y:{YYYY}:{counter}:sku`, kept by the apply script), read best first instead of
-- summing every member (the query engine's top-N over whole years: server/query/top-groups.ts,
-- docs/architecture.md "Reading long periods"). Read-only: it may run on a replica.
-- Contract typed in server/redis/top-ranked.ts: each list below, headed by a name in
-- parentheses, mirrors that file's record of the name field by field, in order
-- (tests/unit/top-groups-contract.test.ts fails when they drift apart).
-- KEYS: n rankings, then the n counter hashes they mirror (same order), then the hashes whose
--   field `_` holds the sum over every member (`c:…:all`), any number.
-- ARGV (TopRankedArgs):
--   top        how many members to rank (≥ 1)
--   rankings   n: how many rankings (and mirrored hashes) lead KEYS
-- then one weight per ranking, then one weight per total hash (integers, any sign).
-- Returns `{'ok', Σ over every member, member, sum, …}`: every member whose weighted sum is at least
-- the `top`-th largest (ties at the cut included, so the caller orders them by its own rules), or
-- `{'incomplete', key}` when a ranking does not hold every member of its hash (`ZCARD` ≠ `HLEN`:
-- written before rankings were kept): the caller sums the hashes instead.
--
-- How (the threshold algorithm): each ranking is read in the order its weight makes best first
-- (descending for a positive weight), a chunk at a time; every member met is summed exactly over
-- all rankings (`ZSCORE`, a missing member counting 0). A member not met yet can add at most the
-- last score read (or 0: it may be missing) from each ranking, so once the `top`-th largest sum met
-- is above the sum of those bounds no member left can reach it, and reading stops. Sums are exact
-- while they stay below 2^53, as the hashes' own.
local tonumber = tonumber
local call = redis.call
local top = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local w = {}
for i = 1, n do
  w[i] = tonumber(ARGV[2 + i])
end
local nTotals = #KEYS - 2 * n

for i = 1, n do
  if call('ZCARD', KEYS[i]) ~= call('HLEN', KEYS[n + i]) then
    return { 'incomplete', KEYS[i] }
  end
end

local total = 0
for j = 1, nTotals do
  local v = call('HGET', KEYS[2 * n + j], '_')
  if v then
    total = total + tonumber(v) * tonumber(ARGV[2 + n + j])
  end
end

local sums = {}
local met = {}
local pos = {}
local bound = {}
local done = {}
for i = 1, n do
  pos[i] = 0
  bound[i] = 0
  done[i] = w[i] == 0
end
local chunk = math.max(2 * top, 32)
while true do
  local more = false
  for i = 1, n do
    if not done[i] then
      local cmd = w[i] > 0 and 'ZREVRANGE' or 'ZRANGE'
      local flat = call(cmd, KEYS[i], pos[i], pos[i] + chunk - 1, 'WITHSCORES')
      pos[i] = pos[i] + chunk
      for k = 1, #flat, 2 do
        local m = flat[k]
        if sums[m] == nil then
          local s = 0
          for j = 1, n do
            if w[j] ~= 0 then
              local v = j == i and flat[k + 1] or call('ZSCORE', KEYS[j], m)
              if v then
                s = s + tonumber(v) * w[j]
              end
            end
          end
          sums[m] = s
          met[#met + 1] = m
        end
      end
      if #flat < 2 * chunk then
        done[i] = true
        bound[i] = 0
      else
        local b = tonumber(flat[#flat]) * w[i]
        bound[i] = b > 0 and b or 0
        more = true
      end
    end
  end
  if not more then
    break
  end
  if #met >= top then
    local ranked = {}
    for k = 1, #met do
      ranked[k] = sums[met[k]]
    end
    table.sort(ranked)
    local cut = ranked[#ranked - top + 1]
    local left = 0
    for i = 1, n do
      left = left + bound[i]
    end
    if left < cut then
      break
    end
  end
  chunk = chunk * 2
end

local out = { 'ok', total }
local cut = -math.huge
if #met > top then
  local ranked = {}
  for k = 1, #met do
    ranked[k] = sums[met[k]]
  end
  table.sort(ranked)
  cut = ranked[#ranked - top + 1]
end
for k = 1, #met do
  local m = met[k]
  if sums[m] >= cut then
    out[#out + 1] = m
    out[#out + 1] = sums[m]
  end
end
return out
