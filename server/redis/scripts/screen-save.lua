-- Saves a screen with optimistic concurrency, atomically (PUT /api/v1/screens/:id).
-- Contract typed in server/redis/screen-scripts.ts: each list below, headed by a name in
-- parentheses, mirrors that file's record of the name field by field, in order
-- (tests/unit/screen-scripts-contract.test.ts fails when they drift apart).
-- KEYS (ScreenKeys):
--   screen       hash of the screen: def, version, updatedAt, title, kind (screen:{id})
--   screenIndex  sorted set of screen ids by creation time, epoch ms (screens)
-- ARGV (ScreenSaveArgs):
--   baseVersion  the version the edit started from
--   definition   the screen definition, JSON
--   updatedAt    time of the save, as the API shows it
--   id           the screen id: its member in the index
--   title        its title, listed without reading the definition
--   kind         its kind; '' = none
--   createdAt    index score of a new screen: creation time, epoch ms
-- A present screen is replaced only when its version equals the base version; an absent one
-- is created (version 1) whatever the base: there is nothing an edit could overwrite.
-- Returns (ScreenSaveReply) {'ok', version} or {'conflict', version, definition, updatedAt}.
local current = redis.call('HGET', KEYS[1], 'version')
if current and tonumber(current) ~= tonumber(ARGV[1]) then
  local now = redis.call('HMGET', KEYS[1], 'def', 'updatedAt')
  return { 'conflict', current, now[1], now[2] }
end
local version = (current and tonumber(current) or 0) + 1
redis.call('HSET', KEYS[1], 'version', version, 'def', ARGV[2], 'updatedAt', ARGV[3], 'title', ARGV[5], 'kind', ARGV[6])
redis.call('ZADD', KEYS[2], 'NX', ARGV[7], ARGV[4])
return { 'ok', tostring(version) }
