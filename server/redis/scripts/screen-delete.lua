-- Deletes a screen and its index entry atomically. KEYS[1] screen hash, KEYS[2] index; ARGV[1] id.
-- Returns 1 when it existed, else 0.
if redis.call('DEL', KEYS[1]) == 1 then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 1
end
return 0
