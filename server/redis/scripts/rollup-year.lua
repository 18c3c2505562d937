-- Builds one year bucket from the month (or day) buckets of that year, atomically: the year hash
-- becomes exactly the sum of its sources at this instant, and every batch applied afterwards
-- writes both (server/aggregate/years.ts, `npm run years:rollup`; docs/architecture.md
-- "Reading long periods"). Contract typed in server/redis/rollup-year.ts: each list below,
-- headed by a name in parentheses, mirrors that file's record of the name field by field, in
-- order (tests/unit/top-groups-contract.test.ts fails when they drift apart).
-- KEYS (RollupYearKeys):
--   year         the year bucket's hash (`c:Y:{YYYY}:{counter}:{dim}`), replaced
-- then the source hashes: the month (or day) buckets of that year, same counter and dimension.
-- ARGV (RollupYearArgs):
--   expireAt     unix seconds the year bucket expires at (0: kept forever)
-- Returns `{'ok', fields written}`, or `{'range', member}` when a sum leaves the range a double
-- holds exactly (2^53): nothing is written then.
local sums = {}
local order = {}
local LIMIT = 9007199254740992
for i = 2, #KEYS do
  local flat = redis.call('HGETALL', KEYS[i])
  for k = 1, #flat, 2 do
    local m = flat[k]
    local v = tonumber(flat[k + 1])
    local s = sums[m]
    if s == nil then
      order[#order + 1] = m
      s = 0
    end
    s = s + v
    if s >= LIMIT or s <= -LIMIT or v >= LIMIT or v <= -LIMIT then
      return { 'range', m }
    end
    sums[m] = s
  end
end
redis.call('DEL', KEYS[1])
-- every member of a source keeps a field, 0 included, as reading the sources would list it
local args = {}
for i = 1, #order do
  args[#args + 1] = order[i]
  args[#args + 1] = string.format('%.0f', sums[order[i]])
end
if #args == 0 then
  return { 'ok', 0 }
end
redis.call('HSET', KEYS[1], unpack(args))
local expireAt = tonumber(ARGV[1])
if expireAt > 0 then
  redis.call('EXPIREAT', KEYS[1], expireAt)
end
return { 'ok', #args / 2 }
