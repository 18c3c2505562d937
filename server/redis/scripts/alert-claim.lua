-- Claims the next due delivery of the alert outbox (server/alerts/outbox.ts): the earliest entry
-- due at or before `now` is pushed to `leaseUntil`, so no other process takes it while this one
-- sends; if this one dies, the entry is due again when the lease ends and another sends it.
-- KEYS:
--   outbox      sorted set delivery id → due, epoch ms (alert:outbox)
--   pending     hash delivery id → delivery JSON (alert:pending)
-- ARGV:
--   now         epoch ms
--   leaseUntil  epoch ms the claim lasts until
-- Returns {id, delivery JSON} claimed, or {'', next due} when nothing is due ('' and '' when empty).
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1)
if #due == 0 then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if #first == 0 then
    return { '', '' }
  end
  return { '', first[2] }
end
local id = due[1]
local body = redis.call('HGET', KEYS[2], id)
if not body then
  redis.call('ZREM', KEYS[1], id)
  return { '', ARGV[1] }
end
redis.call('ZADD', KEYS[1], ARGV[2], id)
return { id, body }
