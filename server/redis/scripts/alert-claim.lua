-- Claims the next due delivery of the alert outbox (server/alerts/outbox.ts): the earliest entry
-- due at or before `now` whose channel is not busy is pushed to `leaseUntil`, so no other process
-- takes it while this one sends; if this one dies, the entry is due again when the lease ends and
-- another sends it. A busy channel's entries stay where they are: the next one is claimed once its
-- send is done, so a process sends a channel's deliveries in the order they came due.
-- KEYS:
--   outbox      sorted set delivery id → due, epoch ms (alert:outbox)
--   pending     hash delivery id → delivery JSON (alert:pending)
-- ARGV:
--   now         epoch ms
--   leaseUntil  epoch ms the claim lasts until
--   busy...     channels this process is sending to (ARGV[3], ARGV[4], …)
-- Returns {id, delivery JSON} claimed, or {'', next due} when nothing is due ('' and '' when empty;
-- now when only busy channels' entries are due among the first SCAN).
local SCAN = 64
local busy = {}
for i = 3, #ARGV do
  busy[ARGV[i]] = true
end
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, SCAN)
if #due == 0 then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if #first == 0 then
    return { '', '' }
  end
  return { '', first[2] }
end
for _, id in ipairs(due) do
  local body = redis.call('HGET', KEYS[2], id)
  if not body then
    redis.call('ZREM', KEYS[1], id)
  elseif not busy[cjson.decode(body).channel] then
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    return { id, body }
  end
end
return { '', ARGV[1] }
