-- Takes one scheduled minute of a report subscription, once however many server processes tick
-- (server/alerts/report-scheduler.ts): compared-and-set against the last minute taken, and in the same
-- step the run is queued (or recorded as skipped). A restarted process finds the minute taken
-- and sends nothing again; a process that dies after this step leaves a queued run that another
-- claims.
-- KEYS:
--   last    hash subscription id → last minute taken, epoch ms (report:last)
--   jobs    sorted set run id → due, epoch ms (report:jobs)
--   job     hash run id → job JSON (report:job)
--   runs    list of the latest runs, JSON (report:runs)
--   sub     the subscription's hash (report:sub:{id}): it must still exist
-- ARGV:
--   id      subscription id
--   slot    the scheduled minute, epoch ms
--   run     run id
--   job     job JSON ('' to record a skipped minute without queueing)
--   entry   run log entry JSON
--   keep    most runs kept in the list
--   now     epoch ms
-- Returns 1 taken, 0 already taken (by this or another process), -1 the subscription is gone.
local last = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')
if last >= tonumber(ARGV[2]) then
  return 0
end
if redis.call('EXISTS', KEYS[5]) == 0 then
  return -1
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
  redis.call('ZADD', KEYS[2], ARGV[7], ARGV[3])
end
redis.call('LPUSH', KEYS[4], ARGV[5])
redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[6]) - 1)
return 1
