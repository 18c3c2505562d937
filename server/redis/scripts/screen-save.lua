-- Saves a screen with optimistic concurrency, atomically (PUT /api/v1/screens/:id, publish, rollback).
-- Contract typed in server/redis/screen-scripts.ts: each list below, headed by a name in
-- parentheses, mirrors that file's record of the name field by field, in order
-- (tests/unit/screen-scripts-contract.test.ts fails when they drift apart).
-- KEYS (ScreenKeys):
--   screen       hash of the screen: def, version, updatedAt, title, kind (screen:{id})
--   screenIndex  sorted set of screen ids by creation time, epoch ms (screens)
--   versions     list of the saved versions, newest first (screen:{id}:versions)
--   draft        the screen's draft, JSON (screen:{id}:draft)
-- ARGV (ScreenSaveArgs):
--   baseVersion  the version the edit started from
--   definition   the screen definition, JSON
--   updatedAt    time of the save, as the API shows it
--   id           the screen id: its member in the index
--   title        its title, listed without reading the definition
--   kind         its kind; '' = none
--   createdAt    index score of a new screen: creation time, epoch ms
--   keep         how many versions the history keeps
--   draft        the draft this save publishes, deleted when it is still the stored one; '' = none
--   max          most members the index may hold: a new one past it is refused; 0 = no bound
-- A present screen is replaced only when its version equals the base version; an absent one
-- is created (version 1) whatever the base: there is nothing an edit could overwrite.
-- Every saved version is pushed on the history, which keeps the last `keep` (when the call names
-- versions: alert rules and channels, saved by this script too, keep no history).
-- Returns (ScreenSaveReply) {'ok', version}, {'conflict', version, definition, updatedAt}, or
-- {'full', members} when a new one would take the index past `max` (a replacement always may).
local current = redis.call('HGET', KEYS[1], 'version')
if current and tonumber(current) ~= tonumber(ARGV[1]) then
  local now = redis.call('HMGET', KEYS[1], 'def', 'updatedAt')
  return { 'conflict', current, now[1], now[2] }
end
local max = tonumber(ARGV[10])
if not current and max > 0 then
  local members = redis.call('ZCARD', KEYS[2])
  if members >= max and not redis.call('ZSCORE', KEYS[2], ARGV[4]) then return { 'full', tostring(members) } end
end
local version = (current and tonumber(current) or 0) + 1
redis.call('HSET', KEYS[1], 'version', version, 'def', ARGV[2], 'updatedAt', ARGV[3], 'title', ARGV[5], 'kind', ARGV[6])
redis.call('ZADD', KEYS[2], 'NX', ARGV[7], ARGV[4])
-- versions and draft are optional: alert rules and channels are saved the same way without them
if KEYS[3] then
  redis.call('LPUSH', KEYS[3], cjson.encode({ version = version, updatedAt = ARGV[3], title = ARGV[5], def = ARGV[2] }))
  redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[8]) - 1)
end
if KEYS[4] and ARGV[9] ~= '' and redis.call('GET', KEYS[4]) == ARGV[9] then
  redis.call('DEL', KEYS[4])
end
return { 'ok', tostring(version) }
