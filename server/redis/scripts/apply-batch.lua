-- Applies one folded batch of movements atomically (design §3: one script per batch).
-- KEYS[1] stock qty by pair, KEYS[2] stock value by pair, KEYS[3] moving-average cost by pair
-- ARGV[1] JSON payload built by server/aggregate/fold.ts:
--   ids     movement ids (their effect keys are effectPrefix..id)
--   fx      effect record per movement (JSON text ending in '}')
--   ttl     seconds to keep effect records
--   K       distinct counter hash keys;  T = flat {keyIndex, field, ...}
--   fixed   flat {targetIndex, "delta", ...}: deltas that do not depend on stock state
--   ops     stock operations in arrival order (see below)
--   exp     flat {keyIndex, unixSeconds, ...}: EXPIREAT for counter keys new to this process
-- ARGV[2] effect key prefix
-- Returns {"dup", i1, i2, ...} (1-based movement indexes already applied: nothing written,
-- the caller re-folds without them) or {"ok", applied}.
--
-- Units: qty in 1e-3 units, unit cost in 1e-6 currency, value in 1e-4 currency (money units):
-- value of q at unit cost c = q * c / 1e5.
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
    s = {
      q = tonumber(redis.call('HGET', KEYS[1], p) or '0'),
      v = tonumber(redis.call('HGET', KEYS[2], p) or '0'),
      a = tonumber(redis.call('HGET', KEYS[3], p) or '0'),
    }
    state[p] = s
  end
  return s
end

-- inbound qty q at unit cost c (nil: current average); returns value added to stock
local function inbound(s, q, c)
  local unit = c or s.a
  local dv
  if s.q <= 0 then
    -- receipt into zero or negative stock: the average resets to the receipt cost
    local q1 = s.q + q
    local v1 = round(q1 * unit / 1e5)
    dv = v1 - s.v
    s.q, s.v, s.a = q1, v1, unit
  else
    dv = round(q * unit / 1e5)
    s.q = s.q + q
    s.v = s.v + dv
    if s.q > 0 then s.a = round(s.v * 1e5 / s.q) end
  end
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
  if s.q > 0 then s.a = round(s.v * 1e5 / s.q) end
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

local fx = P.fx
-- op: {i, k, p, q, c?, p2?, vT, vT2?, qT?, cT?, cs?}
--   k = 'in' | 'out' | 'set' (stocktake to counted qty q) | 'xfer' (p → p2 at source cost)
for _, op in ipairs(P.ops) do
  local s = load(op.p)
  local c = op.c
  if c ~= nil and c < 0 then c = nil end
  local extra
  if op.k == 'in' then
    local unit = c or s.a
    local dv = inbound(s, op.q, unit)
    add(op.vT, dv)
    local cost = round(op.q * unit / 1e5)
    add(op.cT, (op.cs or 1) * cost)
    extra = {cost, op.q, dv}
  elseif op.k == 'out' then
    local cost = outbound(s, op.q, c)
    add(op.vT, -cost)
    add(op.cT, (op.cs or 1) * cost)
    extra = {cost, -op.q, -cost}
  elseif op.k == 'set' then
    local dq = op.q - s.q
    local dv = 0
    if dq > 0 then dv = inbound(s, dq, nil) elseif dq < 0 then dv = -outbound(s, -dq, nil) end
    add(op.qT, dq)
    add(op.vT, dv)
    extra = {dv, dq, dv}
  elseif op.k == 'xfer' then
    local cost = outbound(s, op.q, nil)
    add(op.vT, -cost)
    local d = load(op.p2)
    local dv2 = inbound(d, op.q, cost * 1e5 / op.q)
    add(op.vT2, dv2)
    extra = {cost, -op.q, -cost, op.q, dv2}
  end
  local e = fx[op.i]
  fx[op.i] = string.sub(e, 1, -2) .. ',"x":[' .. table.concat(extra, ',') .. ']}'
end

-- effect records: the idempotency keys, and what a cancel reverses
for i = 1, #ids do
  redis.call('SET', effectPrefix .. ids[i], fx[i], 'EX', P.ttl)
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
  redis.call('HSET', KEYS[1], p, int(s.q))
  redis.call('HSET', KEYS[2], p, int(s.v))
  redis.call('HSET', KEYS[3], p, int(s.a))
end
local exp = P.exp
for j = 1, #exp, 2 do
  redis.call('EXPIREAT', K[exp[j]], exp[j + 1])
end
return {'ok', #ids}
