-- Stores the template screens once per cockpit, when it has no screens yet.
-- KEYS[1] seeded flag, KEYS[2] index, KEYS[3..] the templates' screen hashes
-- ARGV[1] updatedAt, ARGV[2] base score (ms); then per template: id, definition JSON, title, kind
-- Every process may run it at start; the flag makes exactly one of them seed, and never again
-- (deleting every screen later does not bring the templates back). Returns the ids stored.
if redis.call('SET', KEYS[1], ARGV[1], 'NX') == false then return {} end
if redis.call('ZCARD', KEYS[2]) > 0 then return {} end
local stored = {}
for i = 3, #KEYS do
  local a = 3 + (i - 3) * 4
  if redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('HSET', KEYS[i], 'version', 1, 'def', ARGV[a + 1], 'updatedAt', ARGV[1], 'title', ARGV[a + 2], 'kind', ARGV[a + 3])
    redis.call('ZADD', KEYS[2], tonumber(ARGV[2]) + i, ARGV[a])
    stored[#stored + 1] = ARGV[a]
  end
end
return stored
