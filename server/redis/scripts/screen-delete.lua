-- Deletes a screen, its history, its draft and its index entry atomically (DELETE /api/v1/screens/:id).
-- Contract typed in server/redis/screen-scripts.ts: each list below, headed by a name in
-- parentheses, mirrors that file's record of the name field by field, in order
-- (tests/unit/screen-scripts-contract.test.ts fails when they drift apart).
-- KEYS (ScreenKeys):
--   screen       hash of the screen (screen:{id})
--   screenIndex  sorted set of screen ids (screens)
--   versions     list of the saved versions (screen:{id}:versions)
--   draft        the screen's draft (screen:{id}:draft)
-- ARGV (ScreenDeleteArgs):
--   id           the screen id, removed from the index
-- Returns 1 when it existed, else 0. A draft of a screen never published is deleted too.
local existed = redis.call('DEL', KEYS[1]) == 1
-- versions and draft are optional (alert rules and channels have neither)
if KEYS[4] then redis.call('DEL', KEYS[3], KEYS[4]) end
if existed then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 1
end
return 0
