-- Commits one evaluation of an alert rule, atomically (server/alerts/evaluator.ts): the new
-- state, its transitions and one outbox entry per transition × channel, only while the caller
-- still holds the rule's lease and the rule is still at the version evaluated, then gives the
-- lease back. A process whose lease ran out (it stalled) commits nothing: the holder of the new
-- lease evaluates from the stored state, so a transition is recorded, and queued for delivery,
-- once. A rule saved meanwhile (disabled, changed, deleted) is evaluated again instead.
-- KEYS:
--   lease        the rule's lease (lease:alert:{id}), value the holder's id
--   state        the rule's state (alert:state:{id})
--   transitions  list of the latest transitions (alert:transitions)
--   outbox       sorted set delivery id → due, epoch ms (alert:outbox)
--   pending      hash delivery id → delivery JSON (alert:pending)
--   rule         hash of the rule (alert:rule:{id}): its `version`
-- ARGV:
--   holder       the caller's lease value
--   state        the new state, JSON
--   keep         most transitions kept in the list
--   version      the rule version evaluated
--   count        number of transitions that follow
--   then count transition JSONs, then triples (delivery id, delivery JSON, due epoch ms)
-- Returns 1 committed, 0 the lease is not the caller's, -1 the rule changed (nothing written either way).
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if redis.call('HGET', KEYS[6], 'version') ~= ARGV[4] then
  redis.call('DEL', KEYS[1])
  return -1
end
redis.call('SET', KEYS[2], ARGV[2])
local count = tonumber(ARGV[5])
for i = 1, count do
  redis.call('LPUSH', KEYS[3], ARGV[5 + i])
end
if count > 0 then
  redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[3]) - 1)
end
local i = 6 + count
while i + 2 <= #ARGV do
  redis.call('HSET', KEYS[5], ARGV[i], ARGV[i + 1])
  redis.call('ZADD', KEYS[4], ARGV[i + 2], ARGV[i])
  i = i + 3
end
redis.call('DEL', KEYS[1])
return 1
