-- Saves a screen with optimistic concurrency, atomically (PUT /api/v1/screens/:id).
-- KEYS[1] screen hash, KEYS[2] screen index (sorted set)
-- ARGV: base version, definition JSON, updatedAt, id, title, kind ('' = none), creation score (ms)
-- A present screen is replaced only when its version equals the base version; an absent one
-- is created (version 1) whatever the base: there is nothing an edit could overwrite.
-- Returns {'ok', version} or {'conflict', version, definition, updatedAt}.
local current = redis.call('HGET', KEYS[1], 'version')
if current and tonumber(current) ~= tonumber(ARGV[1]) then
  local now = redis.call('HMGET', KEYS[1], 'def', 'updatedAt')
  return { 'conflict', current, now[1], now[2] }
end
local version = (current and tonumber(current) or 0) + 1
redis.call('HSET', KEYS[1], 'version', version, 'def', ARGV[2], 'updatedAt', ARGV[3], 'title', ARGV[5], 'kind', ARGV[6])
redis.call('ZADD', KEYS[2], 'NX', ARGV[7], ARGV[4])
return { 'ok', tostring(version) }
