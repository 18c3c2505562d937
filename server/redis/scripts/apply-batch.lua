-- Applies one folded batch of movements atomically (docs/architecture.md "The write path": one script per batch).
--
-- Contract with the encoder (server/aggregate/fold.ts, called by server/plugins/aggregate.ts),
-- typed in server/redis/apply-batch.ts. Each list below, headed by a name in parentheses, mirrors
-- that file's record of the name field by field, in the order the encoder writes them (`?`: may
-- be absent); tests/unit/apply-batch-contract.test.ts fails when they drift apart.
-- Units, all integers: qty 1e-3, unit cost 1e-6, value 1e-4 ("money units"); the value of qty q
-- at unit cost c is q * c / 1e5. Indexes into the payload's lists are 1-based.
--
-- KEYS (APPLY_BATCH_KEYS):
--   stockQty    hash pair -> qty now (c:now:q:pair); pair = sku|warehouse
--   stockValue  hash pair -> value now (c:now:v:pair)
--   avgCost     hash pair -> moving-average unit cost (lv:avg)
--   lastMoved   hash pair -> latest occurredAt of a stock movement, unix seconds (lv:last)
--   liveMoves   hash pair -> stock movements applied and not cancelled (lv:moves)
--   recent      list of the latest movements applied, newest first (recent): `id TAB effect
--               record`, capped at `rc`
-- ARGV[1]     JSON payload, below (numbers and short strings only)
-- ARGV[2]     effect key prefix: a movement's effect record is ARGV[2] .. id
-- ARGV[3], ARGV[4], ...  movement id, its effect record (a JSON object), id, record, ... in
--             arrival order: movement i is ARGV[1 + 2i], ARGV[2 + 2i]. Passed as arguments, not
--             inside the JSON, so Redis never decodes or re-escapes them.
--
-- ARGV[1] payload (ApplyBatchPayload):
--   ttl    seconds to keep effect records (SET EX)
--   K      distinct counter hash keys
--   T      flat {keyIndex, field, ...}: the counter cells; target t is K[T[2t-1]] field T[2t]
--   fixed  flat {targetIndex, "delta", ...}: deltas that do not depend on state, as decimal
--          integer strings that go to HINCRBY as they are
--   L      lists of target indexes that state-dependent amounts feed (deduplicated)
--   P      sku|warehouse pairs the operations touch (their stock state is read in one go)
--   B      backlog cells: {{hashKey, field, field, ...}, ...}
--   ops    state-dependent operations in arrival order, told apart by `k` (records below)
--   exp    flat {keyIndex, unixSeconds, ...}: EXPIREAT for counter keys new to this process
--   cx     cancels: the effect records they mark (record below)
--   rc     how many of the latest movements KEYS[6] keeps
-- cx[] (CancelMark):
--   t      id of the movement being cancelled
--   e      its effect record as read before folding (else the reply is `conflict`)
--   c      id of the cancel, written into that record as "c"
--
-- Every operation but `rev` names its movement (`i`) and appends its outputs to that movement's
-- effect record as "x": [[outputs of its 1st op], ...]; a cancel reads them back to reverse it.
-- ops[] k = 'in' | 'out' (StockOp): outputs {cost, dq, dv}
--   i      1-based movement index
--   k      'in' or 'out'
--   p      pair, index into P
--   q      qty, > 0
--   u      unit cost; -1: at the pair's moving average
--   t      occurredAt, unix seconds
--   v      target list (index into L) of the pair's stock value cells
--   c?     target list the cost value feeds (COGS, a purchase return's amount)
--   cs?    sign the cost enters `c` with: -1 for a sales return; absent: +1
-- ops[] k = 'xfer' (TransferOp): outputs {cost, -q, -cost, q, dv2}
--   i      1-based movement index
--   k      'xfer'
--   p      source pair, index into P (leaves at its moving average)
--   p2     destination pair, index into P (enters at exactly that value)
--   q      qty, > 0
--   t      occurredAt, unix seconds
--   v      target list of the source's stock value cells
--   v2     target list of the destination's stock value cells
-- ops[] k = 'set' (StocktakeOp): a stocktake; outputs {dv, dq, ok, book}
--   i      1-based movement index
--   k      'set'
--   p      pair, index into P
--   q      counted qty: replaces the book qty
--   t      occurredAt, unix seconds
--   qT     target list the qty difference feeds
--   v      target list the value difference feeds
--   okT    target list fed 1 when the count was exact
--   adT    target list fed |value difference|
--   bvT    target list fed the book value before the count (not below 0)
--   qpT    target list fed the qty gained
--   qnT    target list fed the qty lost
--   vpT    target list fed the value gained
--   vnT    target list fed the value lost
-- ops[] k = 'bk' (BacklogOp): ordered - fulfilled qty of one ref|sku; outputs {delta}
--   i      1-based movement index
--   k      'bk'
--   bh     backlog hash, index into B
--   bf     its field, 1-based among the fields (B[bh][bf + 1])
--   q      signed qty: + an order, - a receipt or shipment (a cancel sends the opposite sign)
--   T      target list of the backlog level cells, fed the change of max(0, open)
-- ops[] k = 'rev' (ReverseOp): a cancelled stock movement taken out of its pair's state
--   k      'rev'
--   p      pair, index into P
--   dq     qty to add to the pair (the original's output, negated)
--   dv     value to add to the pair (the original's output, negated)
--
-- Returns (ApplyBatchReply):
--   {"ok", applied}      every movement applied
--   {"dup", i, ...}      writes nothing: 1-based indexes of movements already applied
--   {"conflict", id}     writes nothing: a cancelled movement's record changed since it was read
-- Error replies (a Redis or Lua error instead of the above): the script only reads until it
-- writes the effect records, so an unreadable payload, a bad index in `ops` or a stock hash of
-- the wrong type fail with nothing written. From there on an error stops the script but keeps
-- what was written before it: HINCRBY given a delta outside int64 ("value is not an integer or
-- out of range") or a cell that would leave it ("increment or decrement would overflow") leaves
-- the effect records in place, so a retry of the batch reads as already applied (issue #8).
--
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
