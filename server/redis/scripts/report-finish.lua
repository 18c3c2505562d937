-- Ends or postpones a claimed report run (server/alerts/report-scheduler.ts), only while the caller's
-- claim holds (the run's due time is still the lease it set): a process that stalled past its
-- lease writes nothing, the one that claimed the run after it does.
-- KEYS:
--   jobs     sorted set run id → due (report:jobs)
--   job      hash run id → job JSON (report:job)
--   runs     list of the latest runs (report:runs)
--   outbox   alert outbox, sorted set delivery id → due (alert:outbox)
--   pending  hash delivery id → delivery JSON (alert:pending)
--   file     the run's picture key (report:file:{run})
-- ARGV:
--   run      run id
--   lease    the claim's lease, epoch ms (the due time alert-claim.lua set)
--   mode     'retry' or 'done'
--   retry: job JSON, due epoch ms
--   done:  run log entry JSON, keep, picture bytes ('' none), picture ttl ms, then triples (delivery id, JSON, due)
-- Returns 1 written, 0 the claim is not the caller's any more.
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) ~= tonumber(ARGV[2]) then
  return 0
end
if ARGV[3] == 'retry' then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
  redis.call('ZADD', KEYS[1], ARGV[5], ARGV[1])
  return 1
end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('LPUSH', KEYS[3], ARGV[4])
redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[5]) - 1)
if ARGV[6] ~= '' then
  redis.call('SET', KEYS[6], ARGV[6], 'PX', ARGV[7])
end
local i = 8
while i + 2 <= #ARGV do
  redis.call('HSET', KEYS[5], ARGV[i], ARGV[i + 1])
  redis.call('ZADD', KEYS[4], ARGV[i + 2], ARGV[i])
  i = i + 3
end
return 1
