-- Claims the next due delivery of the alert outbox (server/alerts/outbox.ts): the earliest entry
-- due at or before `now` whose channel is not busy is pushed to `leaseUntil`, so no other process
-- takes it while this one sends; if this one dies, the entry is due again when the lease ends and
-- another sends it. A busy channel's entries stay where they are: the next one is claimed once its
-- send is done, so a process sends a channel's deliveries in the order they came due.
-- The due range is read in pages of PAGE from `from` on, at most SCAN entries a call: a call past a
-- backlog of busy channels' entries returns where it stopped, and the next call goes on from there,
-- so an idle channel's entry is found behind any number of them while no call holds Redis long.
-- KEYS:
--   outbox      sorted set delivery id → due, epoch ms (alert:outbox)
--   pending     hash delivery id → delivery JSON (alert:pending)
-- ARGV:
--   now         epoch ms
--   leaseUntil  epoch ms the claim lasts until
--   from        entries of the due range to pass over (where the last call stopped) @default 0
--   busy...     channels this process is sending to (ARGV[4], ARGV[5], …)
-- Returns {id, delivery JSON} claimed, or {'', next due} when nothing is due ('' and '' when empty;
-- now when only busy channels' entries are due from `from` on), or {'', now, next from} when SCAN
-- entries were looked at and more are due.
local PAGE = 256
local SCAN = 1024
local busy = {}
for i = 4, #ARGV do
  busy[ARGV[i]] = true
end
local from = tonumber(ARGV[3]) or 0
local offset = from
local scanned = 0
while scanned < SCAN do
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', offset, PAGE)
  if #due == 0 then
    if scanned > 0 or from > 0 then
      return { '', ARGV[1] }
    end
    local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    if #first == 0 then
      return { '', '' }
    end
    return { '', first[2] }
  end
  for _, id in ipairs(due) do
    local body = redis.call('HGET', KEYS[2], id)
    if not body then
      -- a delivery without its body: dropped, the entries after it move up one
      redis.call('ZREM', KEYS[1], id)
      offset = offset - 1
    elseif not busy[cjson.decode(body).channel] then
      redis.call('ZADD', KEYS[1], ARGV[2], id)
      return { id, body }
    end
  end
  offset = offset + #due
  scanned = scanned + #due
  if #due < PAGE then
    return { '', ARGV[1] }
  end
end
return { '', ARGV[1], offset }
