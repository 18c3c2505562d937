-- Applies one folded batch of movements atomically (design §3: one script per batch).
-- KEYS[1] stock qty by sku|warehouse   KEYS[2] stock value by pair
-- KEYS[3] moving-average unit cost by pair   KEYS[4] last movement time by pair
-- KEYS[5] stock movements applied and not cancelled, by pair
-- ARGV[1] JSON payload built by server/aggregate/fold.ts:
--   ids    movement ids (their effect keys are ARGV[2]..id);  fx  effect record per movement
--   ttl    seconds to keep effect records
--   K      distinct counter hash keys;  T = flat {keyIndex, field, ...}
--   fixed  flat {targetIndex, "delta", ...}: deltas that do not depend on state
--   ops    state-dependent operations, in arrival order (kinds below)
--   exp    flat {keyIndex, unixSeconds, ...}: EXPIREAT for counter keys new to this process
--   cx     cancels: {t = target id, e = its effect record as read, c = cancel id}
-- ARGV[2] effect key prefix
-- Returns, writing nothing: {"dup", i, ...} (1-based indexes already applied) or
-- {"conflict", id} (a cancelled movement's record changed since it was read);
-- else {"ok", applied}.
--
-- Units: qty 1e-3, unit cost 1e-6, value 1e-4 ("money units"); value of q at c = q * c / 1e5.
local P = cjson.decode(ARGV[1])
local effectPrefix = ARGV[2]
local ids = P.ids

local dups = {}
for i = 1, #ids do
  if redis.call('EXISTS', effectPrefix .. ids[i]) == 1 then dups[#dups + 1] = i end
end
if #dups > 0 then
  table.insert(dups, 1, 'dup')
  return dups
end
for _, cx in ipairs(P.cx) do
  if redis.call('GET', effectPrefix .. cx.t) ~= cx.e then return {'conflict', cx.t} end
end

local K, T = P.K, P.T
local function round(x)
  if x >= 0 then return math.floor(x + 0.5) end
  return -math.floor(-x + 0.5)
end
local function int(x) return string.format('%.0f', x) end

-- stock state per sku|warehouse pair, loaded once per batch
local state = {}
local function load(p)
  local s = state[p]
  if s == nil then
    local q = redis.call('HGET', KEYS[1], p)
    local n = redis.call('HGET', KEYS[5], p)
    s = {
      q = tonumber(q or '0'),
      v = tonumber(redis.call('HGET', KEYS[2], p) or '0'),
      a = tonumber(redis.call('HGET', KEYS[3], p) or '0'),
      t = 0,
      n = tonumber(n or '0'),
      -- a pair from before movements were counted: never forgotten
      legacy = q ~= false and n == false,
    }
    state[p] = s
  end
  return s
end
-- a stock movement applied to the pair at time t
local function touch(s, t)
  if t ~= nil and t > s.t then s.t = t end
  s.n = s.n + 1
end
local function average(s)
  if s.q > 0 then s.a = round(s.v * 1e5 / s.q) end
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

local acc = {}
local function add(targets, amount)
  if targets == nil or amount == 0 then return end
  for j = 1, #targets do
    local t = targets[j]
    acc[t] = (acc[t] or 0) + amount
  end
end

-- outputs of each movement's operations, kept in its effect record for an exact cancel
local xs = {}
local function out(i, values)
  local list = xs[i]
  if list == nil then list = {}; xs[i] = list end
  list[#list + 1] = values
end

local backlogs = {}
for _, op in ipairs(P.ops) do
  local k = op.k
  if k == 'in' or k == 'out' then
    local s = load(op.p)
    touch(s, op.t)
    local c = op.c
    if c < 0 then c = nil end
    if k == 'in' then
      local unit = c or s.a
      local dv = inbound(s, op.q, unit)
      local cost = round(op.q * unit / 1e5)
      add(op.vT, dv)
      add(op.cT, (op.cs or 1) * cost)
      out(op.i, {cost, op.q, dv})
    else
      local cost = outbound(s, op.q, c)
      add(op.vT, -cost)
      add(op.cT, (op.cs or 1) * cost)
      out(op.i, {cost, -op.q, -cost})
    end
  elseif k == 'xfer' then
    local s = load(op.p)
    touch(s, op.t)
    local cost = outbound(s, op.q, nil)
    add(op.vT, -cost)
    local d = load(op.p2)
    touch(d, op.t)
    local dv2 = inbound(d, op.q, cost * 1e5 / op.q)
    add(op.vT2, dv2)
    out(op.i, {cost, -op.q, -cost, op.q, dv2})
  elseif k == 'set' then
    -- stocktake: the counted qty replaces the book qty at this moment
    local s = load(op.p)
    touch(s, op.t)
    local book = math.max(s.v, 0)
    local dq = op.q - s.q
    local dv = 0
    if dq > 0 then dv = inbound(s, dq, s.a) elseif dq < 0 then dv = -outbound(s, -dq, nil) end
    local ok = 0
    if dq == 0 then ok = 1 end
    add(op.qT, dq)
    add(op.vT, dv)
    add(op.okT, ok)
    add(op.adT, math.abs(dv))
    add(op.bvT, book)
    if dq > 0 then add(op.qpT, dq) elseif dq < 0 then add(op.qnT, -dq) end
    if dv > 0 then add(op.vpT, dv) elseif dv < 0 then add(op.vnT, -dv) end
    out(op.i, {dv, dq, ok, book})
  elseif k == 'bk' then
    -- ordered − fulfilled qty per ref|sku (an order adds, a receipt/shipment or a cancel of an
    -- order subtracts); the backlog counts what is still open, max(0, that): the same in any
    -- arrival order, and a cancel (the same op with −q) restores it exactly
    local key = op.h .. '\n' .. op.f
    local open = backlogs[key]
    if open == nil then open = tonumber(redis.call('HGET', op.h, op.f) or '0') end
    local delta = math.max(open + op.q, 0) - math.max(open, 0)
    backlogs[key] = open + op.q
    add(op.T, delta)
    out(op.i, {delta})
  elseif k == 'rev' then
    local s = load(op.p)
    s.q = s.q + op.dq
    s.v = s.v + op.dv
    s.n = s.n - 1
    average(s)
  end
end

-- effect records: the idempotency keys, and what a cancel reverses
local fx = P.fx
for i = 1, #ids do
  local e = fx[i]
  local list = xs[i]
  if list ~= nil then
    local parts = {}
    for j, values in ipairs(list) do
      local nums = {}
      for v = 1, #values do nums[v] = int(values[v]) end
      parts[j] = '[' .. table.concat(nums, ',') .. ']'
    end
    e = string.sub(e, 1, -2) .. ',"x":[' .. table.concat(parts, ',') .. ']}'
  end
  redis.call('SET', effectPrefix .. ids[i], e, 'EX', P.ttl)
end
for _, cx in ipairs(P.cx) do
  redis.call('SET', effectPrefix .. cx.t, string.sub(cx.e, 1, -2) .. ',"c":' .. cjson.encode(cx.c) .. '}', 'KEEPTTL')
end

local fixed = P.fixed
for j = 1, #fixed, 2 do
  local t = fixed[j]
  redis.call('HINCRBY', K[T[2 * t - 1]], T[2 * t], fixed[j + 1])
end
for t, amount in pairs(acc) do
  if amount ~= 0 then redis.call('HINCRBY', K[T[2 * t - 1]], T[2 * t], int(amount)) end
end
for p, s in pairs(state) do
  if s.n <= 0 and not s.legacy and s.q == 0 and s.v == 0 then
    -- every stock movement of the pair was cancelled: as if it never moved (no alert, not active)
    for k = 1, 5 do redis.call('HDEL', KEYS[k], p) end
  else
    redis.call('HSET', KEYS[1], p, int(s.q))
    redis.call('HSET', KEYS[2], p, int(s.v))
    redis.call('HSET', KEYS[3], p, int(s.a))
    if s.t > 0 and s.t > tonumber(redis.call('HGET', KEYS[4], p) or '0') then redis.call('HSET', KEYS[4], p, int(s.t)) end
    if not s.legacy then redis.call('HSET', KEYS[5], p, int(s.n)) end
  end
end
for key, open in pairs(backlogs) do
  local nl = string.find(key, '\n', 1, true)
  local h, f = string.sub(key, 1, nl - 1), string.sub(key, nl + 1)
  if open == 0 then redis.call('HDEL', h, f) else redis.call('HSET', h, f, int(open)) end
end
local exp = P.exp
for j = 1, #exp, 2 do
  redis.call('EXPIREAT', K[exp[j]], exp[j + 1])
end
return {'ok', #ids}
