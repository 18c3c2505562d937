-- Applies one folded batch of movements atomically (design §3: one script per batch).
-- KEYS[1] stock qty by sku|warehouse   KEYS[2] stock value by pair
-- KEYS[3] moving-average unit cost by pair   KEYS[4] last movement time by pair
-- KEYS[5] stock movements applied and not cancelled, by pair
-- KEYS[6] the latest movements applied, newest first (`id TAB effect record`), capped at P.rc
-- ARGV[1] JSON payload built by server/aggregate/fold.ts (numbers and short strings only):
--   ttl    seconds to keep effect records
--   K      distinct counter hash keys;  T = flat {keyIndex, field, ...}: the counter cells
--   fixed  flat {targetIndex, "delta", ...}: deltas that do not depend on state
--   L      lists of target indexes that state-dependent amounts feed (deduplicated)
--   P      sku|warehouse pairs the operations touch (their stock state is read in one go)
--   B      backlog cells: {{hashKey, field, field, ...}, ...}
--   ops    state-dependent operations, in arrival order (kinds below); `p`/`p2` index P,
--          `v`/`v2`/`c`/... index L, `bh`/`bf` index B
--   exp    flat {keyIndex, unixSeconds, ...}: EXPIREAT for counter keys new to this process
--   cx     cancels: {t = target id, e = its effect record as read, c = cancel id}
--   rc     how many of the latest movements KEYS[6] keeps
-- ARGV[2] effect key prefix
-- ARGV[3], ARGV[4], ... movement id, its effect record (JSON), id, record, ... — passed as
--   arguments, not inside the JSON, so Redis never decodes or re-escapes them
-- Returns, writing nothing: {"dup", i, ...} (1-based indexes already applied) or
-- {"conflict", id} (a cancelled movement's record changed since it was read);
-- else {"ok", applied}.
--
-- Units: qty 1e-3, unit cost 1e-6, value 1e-4 ("money units"); value of q at c = q * c / 1e5.
-- Every write is a multi-field command where Redis has one (HMGET/HSET/HDEL/EXISTS): the cost
-- of a script is mostly its number of redis.call()s.
local P = cjson.decode(ARGV[1])
local effectPrefix = ARGV[2]
local n = (#ARGV - 2) / 2
-- unpack() is bounded by the Lua C stack (8000 slots): multi-key calls go in chunks
local CHUNK = 2000

local function id(i) return ARGV[1 + 2 * i] end

-- idempotency: one EXISTS for the whole batch; only when some id was seen, find which
local seen = 0
for from = 1, n, CHUNK do
  local names = {}
  for i = from, math.min(n, from + CHUNK - 1) do names[#names + 1] = effectPrefix .. id(i) end
  seen = seen + redis.call('EXISTS', unpack(names))
end
if seen > 0 then
  local dups = {'dup'}
  for i = 1, n do
    if redis.call('EXISTS', effectPrefix .. id(i)) == 1 then dups[#dups + 1] = i end
  end
  return dups
end
for _, cx in ipairs(P.cx) do
  if redis.call('GET', effectPrefix .. cx.t) ~= cx.e then return {'conflict', cx.t} end
end

local K, T, L = P.K, P.T, P.L
local function round(x)
  if x >= 0 then return math.floor(x + 0.5) end
  return -math.floor(-x + 0.5)
end
local function int(x) return string.format('%.0f', x) end

-- calls `cmd key a1 a2 ...` over `args` in chunks
local function multi(cmd, key, args, width)
  local step = CHUNK * width
  for from = 1, #args, step do
    redis.call(cmd, key, unpack(args, from, math.min(#args, from + step - 1)))
  end
end
local function hmget(key, fields)
  local values = {}
  for from = 1, #fields, CHUNK do
    local part = redis.call('HMGET', key, unpack(fields, from, math.min(#fields, from + CHUNK - 1)))
    for j = 1, #part do values[from + j - 1] = part[j] end
  end
  return values
end

-- stock state of every pair the batch touches, read with one HMGET per hash
local pairs_ = P.P
local state = {}
if #pairs_ > 0 then
  local q, v, a, n = hmget(KEYS[1], pairs_), hmget(KEYS[2], pairs_), hmget(KEYS[3], pairs_), hmget(KEYS[5], pairs_)
  for j = 1, #pairs_ do
    state[j] = {
      q = tonumber(q[j] or '0'),
      v = tonumber(v[j] or '0'),
      a = tonumber(a[j] or '0'),
      t = 0,
      n = tonumber(n[j] or '0'),
      -- a pair from before movements were counted: never forgotten
      legacy = q[j] ~= false and n[j] == false,
    }
  end
end
-- a stock movement applied to the pair at time t
local function touch(s, t)
  if t ~= nil and t > s.t then s.t = t end
  s.n = s.n + 1
end
local function average(s)
  if s.q > 0 then s.a = round(s.v * 1e5 / s.q) end
end

-- open order qty per backlog cell, read with one HMGET per hash
local backlogs = {}
for h, cells in ipairs(P.B) do
  local fields = {}
  for j = 2, #cells do fields[j - 1] = cells[j] end
  local values = hmget(cells[1], fields)
  local open = {}
  for j = 1, #fields do open[j] = tonumber(values[j] or '0') end
  backlogs[h] = open
end

-- inbound qty q at unit cost `unit`; returns the value added to stock. Stock value is the sum of
-- what came in and went out at their costs, so it does not depend on arrival order when every
-- outbound movement carries its cost (docs/metrics.md#valuation). The average is value / qty
-- while something is on hand; an inbound that leaves nothing on hand sets it to its own cost.
local function inbound(s, q, unit)
  local dv = round(q * unit / 1e5)
  s.q = s.q + q
  s.v = s.v + dv
  if s.q > 0 then average(s) else s.a = unit end
  return dv
end

-- outbound qty q at unit cost c (nil: moving average); returns the cost value taken out
local function outbound(s, q, c)
  local cost
  if c ~= nil then
    cost = round(q * c / 1e5)
  elseif s.q > 0 then
    cost = round(s.v * q / s.q)
  else
    cost = round(q * s.a / 1e5)
  end
  s.q = s.q - q
  s.v = s.v - cost
  average(s)
  return cost
end

-- amounts per target list; spread over the list's cells once, at the end
local byList = {}
local function add(list, amount)
  if list == nil or amount == 0 then return end
  byList[list] = (byList[list] or 0) + amount
end

-- outputs of each movement's operations, kept in its effect record for an exact cancel
local xs = {}
local function out(i, text)
  local list = xs[i]
  if list == nil then xs[i] = {text} else list[#list + 1] = text end
end

for _, op in ipairs(P.ops) do
  local k = op.k
  if k == 'in' or k == 'out' then
    local s = state[op.p]
    touch(s, op.t)
    local c = op.u
    if c < 0 then c = nil end
    if k == 'in' then
      local unit = c or s.a
      local dv = inbound(s, op.q, unit)
      local cost = round(op.q * unit / 1e5)
      add(op.v, dv)
      add(op.c, (op.cs or 1) * cost)
      out(op.i, string.format('[%.0f,%.0f,%.0f]', cost, op.q, dv))
    else
      local cost = outbound(s, op.q, c)
      add(op.v, -cost)
      add(op.c, (op.cs or 1) * cost)
      out(op.i, string.format('[%.0f,%.0f,%.0f]', cost, -op.q, -cost))
    end
  elseif k == 'xfer' then
    local s = state[op.p]
    touch(s, op.t)
    local cost = outbound(s, op.q, nil)
    add(op.v, -cost)
    local d = state[op.p2]
    touch(d, op.t)
    local dv2 = inbound(d, op.q, cost * 1e5 / op.q)
    add(op.v2, dv2)
    out(op.i, string.format('[%.0f,%.0f,%.0f,%.0f,%.0f]', cost, -op.q, -cost, op.q, dv2))
  elseif k == 'set' then
    -- stocktake: the counted qty replaces the book qty at this moment
    local s = state[op.p]
    touch(s, op.t)
    local book = math.max(s.v, 0)
    local dq = op.q - s.q
    local dv = 0
    if dq > 0 then dv = inbound(s, dq, s.a) elseif dq < 0 then dv = -outbound(s, -dq, nil) end
    local ok = 0
    if dq == 0 then ok = 1 end
    add(op.qT, dq)
    add(op.v, dv)
    add(op.okT, ok)
    add(op.adT, math.abs(dv))
    add(op.bvT, book)
    if dq > 0 then add(op.qpT, dq) elseif dq < 0 then add(op.qnT, -dq) end
    if dv > 0 then add(op.vpT, dv) elseif dv < 0 then add(op.vnT, -dv) end
    out(op.i, string.format('[%.0f,%.0f,%.0f,%.0f]', dv, dq, ok, book))
  elseif k == 'bk' then
    -- ordered − fulfilled qty per ref|sku (an order adds, a receipt/shipment or a cancel of an
    -- order subtracts); the backlog counts what is still open, max(0, that): the same in any
    -- arrival order, and a cancel (the same op with −q) restores it exactly
    local cells = backlogs[op.bh]
    local open = cells[op.bf]
    local delta = math.max(open + op.q, 0) - math.max(open, 0)
    cells[op.bf] = open + op.q
    add(op.T, delta)
    out(op.i, string.format('[%.0f]', delta))
  elseif k == 'rev' then
    local s = state[op.p]
    s.q = s.q + op.dq
    s.v = s.v + op.dv
    s.n = s.n - 1
    average(s)
  end
end

-- effect records: the idempotency keys, and what a cancel reverses
local ttl = P.ttl
local recent, firstRecent = {}, n - P.rc + 1
for i = 1, n do
  local e = ARGV[2 + 2 * i]
  local list = xs[i]
  if list ~= nil then e = string.sub(e, 1, -2) .. ',"x":[' .. table.concat(list, ',') .. ']}' end
  redis.call('SET', effectPrefix .. id(i), e, 'EX', ttl)
  if i >= firstRecent then recent[#recent + 1] = id(i) .. '\t' .. e end
end
-- the latest movements, in arrival order (LPUSH puts the last one first)
if #recent > 0 then
  multi('LPUSH', KEYS[6], recent, 1)
  redis.call('LTRIM', KEYS[6], 0, P.rc - 1)
end
for _, cx in ipairs(P.cx) do
  redis.call('SET', effectPrefix .. cx.t, string.sub(cx.e, 1, -2) .. ',"c":' .. cjson.encode(cx.c) .. '}', 'KEEPTTL')
end

-- counter cells: one HINCRBY per distinct cell with a non-zero delta
local fixed = P.fixed
for j = 1, #fixed, 2 do
  local t = fixed[j]
  redis.call('HINCRBY', K[T[2 * t - 1]], T[2 * t], fixed[j + 1])
end
local acc = {}
for list, amount in pairs(byList) do
  if amount ~= 0 then
    local targets = L[list]
    for j = 1, #targets do
      local t = targets[j]
      acc[t] = (acc[t] or 0) + amount
    end
  end
end
for t, amount in pairs(acc) do
  if amount ~= 0 then redis.call('HINCRBY', K[T[2 * t - 1]], T[2 * t], int(amount)) end
end

-- stock state, live movement counts and last-moved times, one HSET per hash
if #pairs_ > 0 then
  local q, v, a, n, last, moved, gone = {}, {}, {}, {}, {}, {}, {}
  for j, s in ipairs(state) do
    local p = pairs_[j]
    if s.n <= 0 and not s.legacy and s.q == 0 and s.v == 0 then
      -- every stock movement of the pair was cancelled: as if it never moved (no alert, not active)
      gone[#gone + 1] = p
    else
      q[#q + 1] = p; q[#q + 1] = int(s.q)
      v[#v + 1] = p; v[#v + 1] = int(s.v)
      a[#a + 1] = p; a[#a + 1] = int(s.a)
      if not s.legacy then n[#n + 1] = p; n[#n + 1] = int(s.n) end
      if s.t > 0 then moved[#moved + 1] = j end
    end
  end
  for k = 1, 5 do multi('HDEL', KEYS[k], gone, 1) end
  multi('HSET', KEYS[1], q, 2)
  multi('HSET', KEYS[2], v, 2)
  multi('HSET', KEYS[3], a, 2)
  multi('HSET', KEYS[5], n, 2)
  if #moved > 0 then
    local names = {}
    for j = 1, #moved do names[j] = pairs_[moved[j]] end
    local before = hmget(KEYS[4], names)
    for j = 1, #moved do
      local s = state[moved[j]]
      if s.t > tonumber(before[j] or '0') then last[#last + 1] = names[j]; last[#last + 1] = int(s.t) end
    end
    multi('HSET', KEYS[4], last, 2)
  end
end
for h, open in ipairs(backlogs) do
  local cells = P.B[h]
  local set, del = {}, {}
  for j = 1, #open do
    local f = cells[j + 1]
    if open[j] == 0 then del[#del + 1] = f else set[#set + 1] = f; set[#set + 1] = int(open[j]) end
  end
  multi('HDEL', cells[1], del, 1)
  multi('HSET', cells[1], set, 2)
end
local exp = P.exp
for j = 1, #exp, 2 do
  redis.call('EXPIREAT', K[exp[j]], exp[j + 1])
end
return {'ok', n}
