-- Stores the template screens once per cockpit, when it has no screens yet.
-- Contract typed in server/redis/screen-scripts.ts: each list below, headed by a name in
-- parentheses, mirrors that file's record of the name field by field, in order
-- (tests/unit/screen-scripts-contract.test.ts fails when they drift apart).
-- KEYS (ScreensSeedKeys): then KEYS[3..], the templates' screen hashes (screen:{id}), in order
--   seeded       set once the templates were stored (screens:seeded)
--   screenIndex  sorted set of screen ids by creation time (screens)
-- ARGV (ScreensSeedArgs): then, from ARGV[3], each template's fields (below)
--   updatedAt    time of the seeding, as the API shows it
--   baseScore    index score base, epoch ms: the template at KEYS[i] gets baseScore + i
-- ARGV[3 + 4(j - 1)..], the j-th template, its hash at KEYS[2 + j] (SeedTemplate):
--   id           screen id
--   definition   the screen definition, JSON
--   title        its title
--   kind         its kind; '' = none
-- Every process may run it at start; the flag makes exactly one of them seed, and never again
-- (deleting every screen later does not bring the templates back). A template whose hash
-- exists is skipped. Returns the ids stored.
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
