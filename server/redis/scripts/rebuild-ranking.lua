-- Rebuilds one ranking (`rk:Y:{YYYY}:{counter}:sku`) from the counter hash it mirrors, atomically:
-- every member with its value as score, the hash's expiry included (server/aggregate/years.ts,
-- `npm run years:rollup`; docs/architecture.md "Reading long periods"). Batches applied afterwards
-- keep both in step.
-- KEYS[1] the counter hash, KEYS[2] the ranking. Returns the members written.
local flat = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[2])
local args = {}
for k = 1, #flat, 2 do
  args[#args + 1] = flat[k + 1]
  args[#args + 1] = flat[k]
  if #args >= 4000 then
    redis.call('ZADD', KEYS[2], unpack(args))
    args = {}
  end
end
if #args > 0 then
  redis.call('ZADD', KEYS[2], unpack(args))
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return #flat / 2
