-- Applies one folded batch of movements atomically (docs/architecture.md "The write path": one script per batch).
--
-- Contract with the encoder (server/aggregate/fold.ts, called by server/plugins/aggregate.ts),
-- typed in server/redis/apply-batch.ts. Each list below, headed by a name in parentheses, mirrors
-- that file's record of the name field by field, in the order the encoder writes them (`?`: may
-- be absent); tests/unit/apply-batch-contract.test.ts fails when they drift apart.
-- Units, all integers: qty 1e-3, unit cost 1e-6, value 1e-4 ("money units"); the value of qty q
-- at unit cost c is q * c / 1e5. Indexes into the payload's lists are 1-based. Every figure is
-- exact: a Lua number while it is below 2^52, else a decimal bignum (below), so nothing is lost
-- at any size the API accepts (docs/metrics.md "Rounding"). A figure that may be large travels
-- as a decimal string, in the payload and in effect records.
--
-- KEYS (APPLY_BATCH_KEYS):
--   stockQty    hash pair -> qty now (c:now:q:pair); pair = sku|warehouse
--   stockValue  hash pair -> value now (c:now:v:pair)
--   avgCost     hash pair -> moving-average unit cost, 1e-6; while qty is 0, the last one (lv:avg)
--   lastMoved   hash pair -> latest occurredAt of a stock movement, unix seconds (lv:last)
--   liveMoves   hash pair -> stock movements applied and not cancelled (lv:moves)
--   recent      list of the latest movements applied, newest first (recent): `id TAB effect
--               record`, capped at `rc`
--   layers      hash pair -> FIFO receipt layers and outbound days (lv:layers), text
--               `deficit|day:qty,day:qty,...|day:count,...` (below, "Stock ageing")
-- ARGV[1]     JSON payload, below (numbers and short strings only)
-- ARGV[2]     effect key prefix: a movement's effect record is ARGV[2] .. id
-- ARGV[3], ARGV[4], ...  movement id, its effect record (a JSON object), id, record, ... in
--             arrival order: movement i is ARGV[1 + 2i], ARGV[2 + 2i]. Passed as arguments, not
--             inside the JSON, so Redis never decodes or re-escapes them.
--
-- ARGV[1] payload (ApplyBatchPayload):
--   ttl    seconds to keep effect records (SET EX)
--   ms     the currency's minor unit in money units (100: cents): every value is rounded to it
--   rm     rounding of ties: 0 away from zero, 1 to even
--   K      distinct counter hash keys
--   T      flat {keyIndex, field, ...}: the counter cells; target t is K[T[2t-1]] field T[2t]
--   fixed  flat {targetIndex, delta, ...}: deltas that do not depend on state, numbers while
--          safe (|d| < 2^53), else decimal strings
--   L      lists of target indexes that state-dependent amounts feed (deduplicated)
--   P      sku|warehouse pairs the operations touch (their stock state is read in one go)
--   B      backlog cells: {{hashKey, field, field, ...}, ...}
--   ops    state-dependent operations in arrival order, told apart by `k` (records below)
--   exp    flat {keyIndex, unixSeconds, ...}: EXPIREAT for counter keys new to this process
--   R      flat {keyIndex, sortedSetKey, ...}: counter hashes mirrored into a sorted set (SKU
--          years, ranked over long periods): each value written to the hash is written as its
--          member's score, and the sorted set gets the hash's EXPIREAT
--   cx     cancels: the effect records they mark (record below)
--   rc     how many of the latest movements KEYS[6] keeps
--   N      per side of the order lines the batch touches: records as read, what to write (record below)
--   LC     upkeep of the order lines' sorted sets (record below)
--   tz     the business time zone's offset from UTC, seconds: dates stock held before layers
--          were kept (its layer is dated at the pair's last movement's business day)
--   CR     documents the batch invoiced or settled, per side (record below)
--   F      1-based indexes of the final movements: they occurred before the cancel window, so
--          they keep no effect record, only an id marker (below, "Final movements")
--   mk     id marker key prefix: a final movement's marker is field id of mk .. shard(id)
--   day    the batch's arrival day, epoch days: the value of the markers it writes
--   fg     seconds a final movement's effect record is kept (its cancels and returns in the
--          same import find it), then only its marker remains
-- N[] (LineHash): one side's order lines (docs/metrics.md "Order lines"), worked out by the fold
--        (server/aggregate/order-lines.ts) from the records it read; their counters are in `fixed`
--   h      hash ref|sku -> line record (ln:{s|p})
--   od     sorted set of lines still open with a promised date, scored by it (epoch ms)
--   ls     sorted set of lines fulfilled in full after it, scored by it
--   cl     sorted set of lines with nothing open, scored by when they may be forgotten (epoch ms)
--   f      the fields the batch touches
--   r      their records as the fold read them (false: none): any other is a `conflict`
--   set    flat field, record, ...: records to write
--   del    fields whose record goes (every entry cancelled)
--   ao     flat score, field, ...: ZADD to od
--   al     flat score, field, ...: ZADD to ls
--   ac     flat score, field, ...: ZADD to cl
--   ro     fields to ZREM from od
--   rl     fields to ZREM from ls
--   rc     fields to ZREM from cl
-- CR[] (CreditTouch): one side's documents the batch invoiced or settled; each member gets `t`
--          unless it has a later one (server/aggregate/credit-compaction.ts compacts the ones
--          settled in full)
--   k      sorted set partner|document -> epoch ms of its last change (cr:{ar|ap})
--   t      when the cancel window of the members' latest change began, epoch ms: the batch's time,
--          or for final movements as long before it as makes the window end after their grace
--   m      members partner|document
-- LC (LineUpkeep): done on every side a batch touches
--   now    epoch ms: late lines promised before now - keep leave the late set; closed lines
--          scored before now are forgotten
--   keep   ms a late line stays in the late set
--   prune  most forgotten lines one batch deletes per side
-- cx[] (CancelMark):
--   t      id of the movement being cancelled
--   e      its effect record as read before folding (else the reply is `conflict`)
--   c      id of the cancel, written into that record as "c"
--
-- Final movements (docs/architecture.md "Effect records and final movements"): a movement that
-- occurred longer than COCKPIT_FINAL_AFTER_S before it arrives keeps its effect record only
-- `fg` seconds (COCKPIT_FINAL_GRACE_S), then cannot be cancelled; for idempotency it also
-- leaves a marker, field id = its arrival day (epoch days), in one of
-- MARKER_SHARDS small hashes picked by the id's SHA-1 (server/redis/keys.ts markerShard), each
-- kept `ttl` after its last write; mk .. 'on' exists while any marker may. Idempotency checks
-- both the effect records and, while markers exist, the markers.
-- Valuation (docs/metrics.md "Valuation", ERPNext's stock_ledger.py): per pair, qty q, value v
-- and the rate a pair at qty 0 keeps. The rate is v/q while q ~= 0. Whenever the rules below
-- make the value differ from the line's own value, the difference is the movement's
-- revaluation, fed to `stock.revaluation`.
-- Every operation but `rev` names its movement (`i`) and appends its outputs to that movement's
-- effect record as "x": [[outputs of its 1st op], ...]; a cancel reads them back to reverse it.
-- A stock output is {line value C, dq, dv, rv, q before, v before, a before, layer change}, and for
-- a line the script costed (an inbound at the pair's rate, a return costed by `ri`) its rate
-- rn, rd after those: a cancel that cannot restore the pair reverses the line at that rate.
-- A layer change is {k, day, qty, day, qty, ...}: inbound, k = the deficit it filled and the
-- layers it added; outbound, k = the deficit it opened and the layers it consumed.
-- ops[] k = 'in' | 'out' (StockOp): one stock output
--   i      1-based movement index
--   k      'in' or 'out'
--   p      pair, index into P
--   q      qty, > 0
--   l?     the line's value, money units (rounded by the encoder); absent: at the pair's rate
--   rn?    the line's rate is rn / rd money units per 1e-3 qty (a unit cost u: u / 1e5);
--   rd?    absent: l / q
--   ri?    a return costed at an earlier movement of this batch: its index; the line is then
--          q x that movement's line value / its qty (l is absent)
--   t      occurredAt, unix seconds
--   d      business day of occurredAt (days since 1970-01-01 in the business zone): the date
--          of the layer an inbound line adds, the outbound day an outbound line records
--   v      target list (index into L) of the pair's stock value cells
--   r      target list of the pair's revaluation cells
--   c?     target list the line value feeds (COGS, a purchase return's amount)
--   cs?    sign the line value enters `c` with: -1 for a sales return; absent: +1
-- ops[] k = 'xfer' (TransferOp): two stock outputs, the source's then the destination's
--   i      1-based movement index
--   k      'xfer'
--   p      source pair, index into P (leaves at its rate)
--   p2     destination pair, index into P (enters at exactly that value)
--   q      qty, > 0
--   t      occurredAt, unix seconds
--   d      business day of occurredAt (the source's outbound day; the destination receives the
--          source's consumed layers with their days, what the source did not hold at d)
--   v      target list of the source's stock value cells
--   v2     target list of the destination's stock value cells
--   r2     target list of the destination's revaluation cells
-- ops[] k = 'set' (StocktakeOp): a stocktake; outputs {dv, dq, ok, book value, q, v, a before,
--          layer change}
--   i      1-based movement index
--   k      'set'
--   p      pair, index into P
--   q      counted qty
--   b?     the ERP's book qty at count time; absent: the pair's qty now
--   t      occurredAt, unix seconds
--   d      business day of occurredAt: a gain's layer date (a loss consumes the oldest)
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
--   ph     the line's cell among the lines counted by pair (bkp:): backlog hash, index into B
--   pf     its field, 1-based among the fields
--   pT     target list of the pair's backlog level cell (c:now:{bs|bp}:pair): fed as T, except
--          for a line still open since before lines were counted by pair (its cell in bh)
-- ops[] k = 'lnx' (LineOutputOp): the output of an order-line change, worked out by the fold
--   i      1-based movement index
--   k      'lnx'
--   x      the output as JSON text, {change of open value}
-- ops[] k = 'rev' (ReverseOp): a cancelled movement's stock output taken back out of its pair
--   k      'rev'
--   p      pair, index into P
--   dq     qty to add to the pair (the original's dq, negated)
--   l      the reversal's own value change (the original's line value change, negated)
--   rn?    its rate, as in StockOp; absent: l / dq
--   rd?
--   s?     {q before, v before, a before, q after, v after} of the original: when the pair is
--          still exactly as the original left it, it returns exactly to what it was before
--   v      target list of the pair's stock value cells
--   r      target list of the pair's revaluation cells
--   d      business day of the original movement
--   y?     the original's layer change: its layers go back (an outbound's to their own days,
--          its deficit part at d; an inbound's taken from its own days first, then the
--          oldest). Absent (a record from before layers): qty put back at d, or taken oldest first
--   o?     1: the original recorded an outbound day (d), which it takes back
--
-- Returns (ApplyBatchReply):
--   {"ok", applied}      every movement applied
--   {"dup", i, ...}      writes nothing: 1-based indexes of movements already applied
--   {"conflict", id}     writes nothing: a cancelled movement's record changed since it was read,
--                        or {"conflict", key, field}: an order line's record (N[].r) did
--   {"range", key, field} writes nothing: that counter cell would leave the int64 range
-- The script reads and computes everything before its first write, and every write it then
-- makes cannot fail (the keys were read with their type's command first; Redis lets a script
-- that has started writing finish even past maxmemory): a batch is applied whole or not at all.
--
-- Every write is a multi-field command (HMGET/HSET/HDEL/EXISTS): the cost of a script is mostly
-- its number of redis.call()s.
local P = cjson.decode(ARGV[1])
local effectPrefix = ARGV[2]
local n = (#ARGV - 2) / 2
-- unpack() is bounded by the Lua C stack (8000 slots): multi-key calls go in chunks
local CHUNK = 2000

local function id(i) return ARGV[1 + 2 * i] end

-- final movements' id markers (header, "Final movements"); keep in step with server/redis/keys.ts
local MARKER_SHARDS = 262144
local markerPrefix = P.mk
local function markerKey(mid) return markerPrefix .. (tonumber(string.sub(redis.sha1hex(mid), 1, 5), 16) % MARKER_SHARDS) end

---------------------------------------------------------------------------------------------
-- Exact integers. A value is a Lua number while |x| < 2^52 (every operation on two of them is
-- then exact, or detected as not), else a bignum {sign, limb, limb, ...}: base 1e7 limbs, least
-- significant first, so a limb product (< 1e14) plus carries stays exact in a double.
---------------------------------------------------------------------------------------------
local SMALL = 4503599627370496 -- 2^52
local BASE = 10000000
local BASE_DIGITS = 7

local function big(x)
  if type(x) == 'table' then return x end
  local t = {1}
  if x < 0 then t[1] = -1; x = -x end
  while x > 0 do
    local r = x % BASE
    t[#t + 1] = r
    x = (x - r) / BASE
  end
  return t
end
-- a bignum back to a number when it is small; trailing zero limbs dropped
local function norm(t)
  while #t > 1 and t[#t] == 0 do t[#t] = nil end
  if #t == 1 then return 0 end
  if #t <= 4 then
    local x = 0
    for j = #t, 2, -1 do x = x * BASE + t[j] end
    if x < SMALL then return t[1] * x end
  end
  return t
end
local function magCmp(a, b)
  if #a ~= #b then return #a < #b and -1 or 1 end
  for j = #a, 2, -1 do
    if a[j] ~= b[j] then return a[j] < b[j] and -1 or 1 end
  end
  return 0
end
local function magAdd(a, b)
  local t, carry = {1}, 0
  for j = 2, math.max(#a, #b) do
    local s = (a[j] or 0) + (b[j] or 0) + carry
    if s >= BASE then t[j] = s - BASE; carry = 1 else t[j] = s; carry = 0 end
  end
  if carry > 0 then t[#t + 1] = carry end
  return t
end
-- |a| - |b| for |a| >= |b|
local function magSub(a, b)
  local t, borrow = {1}, 0
  for j = 2, #a do
    local s = a[j] - (b[j] or 0) - borrow
    if s < 0 then t[j] = s + BASE; borrow = 1 else t[j] = s; borrow = 0 end
  end
  return t
end
local function sgn(x)
  if type(x) == 'number' then return x > 0 and 1 or (x < 0 and -1 or 0) end
  if #x == 1 then return 0 end
  return x[1]
end
local function neg(x)
  if type(x) == 'number' then return -x end
  local t = {-x[1]}
  for j = 2, #x do t[j] = x[j] end
  return t
end
local function add(a, b)
  if type(a) == 'number' and type(b) == 'number' then
    local s = a + b
    if s < SMALL and s > -SMALL then return s end
  end
  a, b = big(a), big(b)
  if sgn(a) == 0 then return norm(b) end
  if sgn(b) == 0 then return norm(a) end
  if a[1] == b[1] then
    local t = magAdd(a, b)
    t[1] = a[1]
    return norm(t)
  end
  local c = magCmp(a, b)
  if c == 0 then return 0 end
  local t
  if c > 0 then t = magSub(a, b); t[1] = a[1] else t = magSub(b, a); t[1] = b[1] end
  return norm(t)
end
local function sub(a, b) return add(a, neg(b)) end
local function cmp(a, b) return sgn(sub(a, b)) end
local function mul(a, b)
  if type(a) == 'number' and type(b) == 'number' then
    local p = a * b
    if p < SMALL and p > -SMALL then return p end
  end
  a, b = big(a), big(b)
  if sgn(a) == 0 or sgn(b) == 0 then return 0 end
  local t = {a[1] * b[1]}
  for j = 2, #a + #b - 1 do t[j] = 0 end
  for j = 2, #a do
    local carry, aj = 0, a[j]
    for k = 2, #b do
      local s = t[j + k - 2] + aj * b[k] + carry
      carry = math.floor(s / BASE)
      t[j + k - 2] = s - carry * BASE
    end
    local m = j + #b - 1
    while carry > 0 do
      local s = (t[m] or 0) + carry
      carry = math.floor(s / BASE)
      t[m] = s - carry * BASE
      m = m + 1
    end
  end
  return norm(t)
end
-- |a| * small (0 <= small < BASE), as a magnitude
local function magMulSmall(a, s)
  local t, carry = {1}, 0
  for j = 2, #a do
    local x = a[j] * s + carry
    carry = math.floor(x / BASE)
    t[j] = x - carry * BASE
  end
  if carry > 0 then t[#t + 1] = carry end
  while #t > 1 and t[#t] == 0 do t[#t] = nil end
  return t
end
-- floor(|a| / |b|) and the remainder, as magnitudes (|b| > 0): long division, each quotient
-- limb found by bisection
local function magDivMod(a, b)
  local q, r = {1}, {1}
  for j = #a, 2, -1 do
    table.insert(r, 2, a[j])
    while #r > 1 and r[#r] == 0 do r[#r] = nil end
    local lo, hi = 0, BASE - 1
    while lo < hi do
      local mid = math.floor((lo + hi + 1) / 2)
      if magCmp(magMulSmall(b, mid), r) <= 0 then lo = mid else hi = mid - 1 end
    end
    if lo > 0 then r = magSub(r, magMulSmall(b, lo)) end
    while #r > 1 and r[#r] == 0 do r[#r] = nil end
    q[j] = lo
  end
  for j = 2, #a do q[j] = q[j] or 0 end
  return q, r
end

local HALF_EVEN = P.rm == 1
-- a / b rounded to an integer (b ~= 0): ties away from zero, or to even (payload `rm`)
local function divRound(a, b)
  local negative = sgn(a) * sgn(b) < 0
  if type(a) == 'number' and type(b) == 'number' then
    local x, y = math.abs(a), math.abs(b)
    local q = math.floor(x / y)
    local r = x - q * y
    while r < 0 do q = q - 1; r = r + y end
    while r >= y do q = q + 1; r = r - y end
    if 2 * r > y or (2 * r == y and (not HALF_EVEN or q % 2 == 1)) then q = q + 1 end
    if negative and q ~= 0 then return -q end
    return q
  end
  local x, y = big(a), big(b)
  local q, r = magDivMod(x, y)
  local c = magCmp(magAdd(r, r), y)
  if c > 0 or (c == 0 and (not HALF_EVEN or (q[2] or 0) % 2 == 1)) then q = magAdd(q, {1, 1}) end
  q[1] = negative and -1 or 1
  return norm(q)
end

-- x * y / d rounded to an integer, exactly, without a bignum while |x|, |y| < 2^52 and |d|
-- and the quotient are below 2^50 (the common case): the product is kept as four base-2^26
-- limbs, the quotient estimated in doubles and corrected with the exact remainder
local T26 = 67108864 -- 2^26
local FAST = 1125899906842624 -- 2^50
local function split(x)
  local h = math.floor(x / T26)
  return h, x - h * T26
end
-- x * y (0 <= x, y < 2^52) as limbs l0..l3, base 2^26
local function prod4(x, y)
  local xh, xl = split(x)
  local yh, yl = split(y)
  local c0, l0 = split(xl * yl)
  local mh, ml = split(xh * yl)
  local nh, nl = split(xl * yh)
  local c1, l1 = split(ml + nl + c0)
  local hh, hl = split(xh * yh)
  local c2, l2 = split(hl + mh + nh + c1)
  return l0, l1, l2, hh + c2
end
local function mulDivRound(x, y, d)
  if type(x) == 'number' and type(y) == 'number' and type(d) == 'number' and d ~= 0 and d < FAST and d > -FAST then
    local negative = (x < 0) ~= (y < 0) ~= (d < 0)
    local a, b, c = math.abs(x), math.abs(y), math.abs(d)
    if a == 0 or b == 0 then return 0 end
    local q = math.floor(a * b / c)
    if q < FAST then
      local p0, p1, p2, p3 = prod4(a, b)
      local q0, q1, q2, q3 = prod4(q, c)
      local r = ((p3 - q3) * T26 + (p2 - q2)) * T26
      r = (r + (p1 - q1)) * T26 + (p0 - q0)
      while r < 0 do q = q - 1; r = r + c end
      while r >= c do q = q + 1; r = r - c end
      if 2 * r > c or (2 * r == c and (not HALF_EVEN or q % 2 == 1)) then q = q + 1 end
      if negative and q ~= 0 then return -q end
      return q
    end
  end
  return divRound(mul(x, y), d)
end

local STEP = P.ms
-- x * y / d of money units, rounded to the minor unit
local function R(x, y, d) return mul(mulDivRound(x, y, mul(d, STEP)), STEP) end

-- a figure of the payload, an output or a hash: a number, or a decimal string of any length
local function parse(x)
  if x == nil or x == false then return 0 end
  if type(x) == 'number' then
    if x < SMALL and x > -SMALL then return x end
    x = string.format('%.0f', x)
  end
  if #x <= 15 then return tonumber(x) end
  local t = {1}
  local s = x
  if string.sub(s, 1, 1) == '-' then t[1] = -1; s = string.sub(s, 2) end
  for e = #s, 1, -BASE_DIGITS do
    t[#t + 1] = tonumber(string.sub(s, math.max(1, e - BASE_DIGITS + 1), e))
  end
  return norm(t)
end
-- decimal text of a figure
local function text(x)
  if type(x) == 'number' then
    if x == 0 then return '0' end -- never "-0"
    return string.format('%.0f', x)
  end
  local parts = {}
  for j = #x, 2, -1 do
    parts[#parts + 1] = j == #x and tostring(x[j]) or string.format('%07d', x[j])
  end
  local s = table.concat(parts)
  if x[1] < 0 then s = '-' .. s end
  return s
end
-- a figure as JSON: a number while exact in any JSON reader, else a string
local function json(x)
  if type(x) == 'number' and x < 9007199254740992 and x > -9007199254740992 then return text(x) end
  return '"' .. text(x) .. '"'
end
local INT64_MAX = parse('9223372036854775807')
local function inInt64(x) return type(x) == 'number' or magCmp(x, INT64_MAX) <= 0 end

---------------------------------------------------------------------------------------------
-- Reads: nothing is written before every read and every computation is done.
---------------------------------------------------------------------------------------------

-- idempotency: one EXISTS for the whole batch; only when some id was seen, find which
local seen = 0
for from = 1, n, CHUNK do
  local names = {}
  for i = from, math.min(n, from + CHUNK - 1) do names[#names + 1] = effectPrefix .. id(i) end
  seen = seen + redis.call('EXISTS', unpack(names))
end
-- final movements applied earlier left markers, not effect records
local markers = #P.F > 0 or redis.call('EXISTS', markerPrefix .. 'on') == 1
local marked, markerKeys = {}, {}
if markers then
  for i = 1, n do
    markerKeys[i] = markerKey(id(i))
    if redis.call('HEXISTS', markerKeys[i], id(i)) == 1 then
      marked[i] = true
      seen = seen + 1
    end
  end
end
if seen > 0 then
  local dups = {'dup'}
  for i = 1, n do
    if marked[i] or redis.call('EXISTS', effectPrefix .. id(i)) == 1 then dups[#dups + 1] = i end
  end
  return dups
end
for _, cx in ipairs(P.cx) do
  if redis.call('GET', effectPrefix .. cx.t) ~= cx.e then return {'conflict', cx.t} end
end
-- the ticker list must be a list before anything is written (LLEN fails on another type)
redis.call('LLEN', KEYS[6])
-- the documents' sorted sets likewise (ZCARD fails on another type)
for _, cr in ipairs(P.CR) do redis.call('ZCARD', cr.k) end

local K, T, L = P.K, P.T, P.L

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
  local last = hmget(KEYS[4], pairs_)
  local layers = hmget(KEYS[7], pairs_)
  for j = 1, #pairs_ do
    state[j] = {
      -- FIFO layers, parsed on first use (layersOf)
      raw = layers[j],
      q0 = parse(q[j]),
      q = parse(q[j]),
      v = parse(v[j]),
      -- while q ~= 0 the rate is v/q; `a` matters only at 0, where it is the rate the pair kept
      a = parse(a[j]),
      t = 0,
      -- the latest occurredAt stored: lastMoved is only ever raised
      last = tonumber(last[j] or '0'),
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
-- value of qty x at the pair's rate: v/q while q ~= 0, else the rate it kept
local function valueAt(s, x)
  if sgn(s.q) ~= 0 then return R(x, s.v, s.q) end
  return R(x, s.a, 100000)
end
-- the rate a pair keeps when its qty reaches 0: the rate it had just before (1e-6)
local function keepRate(s, q0, v0)
  if sgn(q0) ~= 0 then s.a = mulDivRound(v0, 100000, q0) end
end
local function snapshot(s) return {s.q, s.v, s.a} end

---------------------------------------------------------------------------------------------
-- Stock ageing (docs/metrics.md "Stock ageing", ERPNext stock_ageing.py FIFOSlots): per pair,
-- receipt layers {day, qty > 0} sorted by business day (one per day), a deficit (qty issued
-- beyond the layers: negative stock, which later inbound fills first) and the business days of
-- its outbound movements (slow-moving). Invariant: sum of layers - deficit = the pair's qty;
-- a deficit exists only while there are no layers.
---------------------------------------------------------------------------------------------
local MAX_LAYERS = 40
local MAX_OUT_DAYS = 8
local TZ = P.tz or 0

local function layersOf(s, day)
  local f = s.L
  if f ~= nil then return f end
  f = {d = 0, l = {}, o = {}}
  local raw = s.raw
  if raw then
    local a, b = string.find(raw, '|', 1, true)
    local c = string.find(raw, '|', b + 1, true)
    f.d = parse(string.sub(raw, 1, a - 1))
    for dd, qq in string.gmatch(string.sub(raw, b + 1, c - 1), '(%-?%d+):(%d+)') do f.l[#f.l + 1] = {tonumber(dd), parse(qq)} end
    for dd, n in string.gmatch(string.sub(raw, c + 1), '(%-?%d+):(%d+)') do f.o[#f.o + 1] = {tonumber(dd), tonumber(n)} end
  elseif sgn(s.q0) > 0 then
    -- stock held before layers were kept: one layer, dated at the pair's last movement
    local at = day
    if s.last > 0 then at = math.floor((s.last + TZ) / 86400) end
    f.l[1] = {at, s.q0}
  elseif sgn(s.q0) < 0 then
    f.d = neg(s.q0)
  end
  s.L = f
  return f
end
local function encodeLayers(f)
  if sgn(f.d) == 0 and #f.l == 0 and #f.o == 0 then return nil end
  local l, o = {}, {}
  -- days and counts are small integers: tostring prints them exactly (%.14g)
  for j, x in ipairs(f.l) do l[j] = tostring(x[1]) .. ':' .. text(x[2]) end
  for j, x in ipairs(f.o) do o[j] = tostring(x[1]) .. ':' .. tostring(x[2]) end
  return text(f.d) .. '|' .. table.concat(l, ',') .. '|' .. table.concat(o, ',')
end
local function approx(x)
  if type(x) == 'number' then return x end
  return tonumber(text(x))
end
-- more layers than MAX_LAYERS: the two adjacent layers closest in date become one, at their
-- qty-weighted mean day (rounded down: never younger), which keeps the average age
local function boundLayers(l)
  while #l > MAX_LAYERS do
    local best, gap = 1, math.huge
    for j = 1, #l - 1 do
      local g = l[j + 1][1] - l[j][1]
      if g < gap then best, gap = j, g end
    end
    local a, b = l[best], l[best + 1]
    local q1, q2 = approx(a[2]), approx(b[2])
    a[1] = a[1] + math.floor(gap * q2 / (q1 + q2))
    a[2] = add(a[2], b[2])
    table.remove(l, best + 1)
  end
end
-- adds qty x > 0 as a layer of `day` (merged into that day's layer)
local function addLayer(f, day, x)
  local l = f.l
  local j = #l
  while j >= 1 and l[j][1] > day do j = j - 1 end
  if j >= 1 and l[j][1] == day then
    l[j][2] = add(l[j][2], x)
  else
    table.insert(l, j + 1, {day, x})
    boundLayers(l)
  end
end
-- inbound qty x > 0 at `day`: fills the deficit first (ERPNext: a negative slot is neutralised
-- by the next inward entry), the rest is a layer; appends {day, qty} of what it added to `added`,
-- returns the deficit filled
local function put(f, day, x, added)
  local filled = 0
  if sgn(f.d) > 0 then
    filled = cmp(f.d, x) < 0 and f.d or x
    f.d = sub(f.d, filled)
    x = sub(x, filled)
  end
  if sgn(x) > 0 then
    addLayer(f, day, x)
    if added ~= nil then added[#added + 1] = day; added[#added + 1] = x end
  end
  return filled
end
-- outbound qty x > 0: consumes the oldest layers first; what they do not hold opens a deficit.
-- Appends {day, qty} of what it consumed to `taken`, returns the deficit opened
local function take(f, x, taken)
  local l = f.l
  while sgn(x) > 0 and #l > 0 do
    local first = l[1]
    local part = first[2]
    if cmp(part, x) > 0 then
      part = x
      first[2] = sub(first[2], x)
    else
      table.remove(l, 1)
    end
    x = sub(x, part)
    if taken ~= nil then taken[#taken + 1] = first[1]; taken[#taken + 1] = part end
  end
  if sgn(x) > 0 then f.d = add(f.d, x) end
  return x
end
-- takes qty x > 0 out of the layer of `day` first, the rest oldest first (a cancelled inbound)
local function takeOwn(f, day, x)
  local l = f.l
  for j = 1, #l do
    if l[j][1] == day then
      local part = l[j][2]
      if cmp(part, x) > 0 then
        l[j][2] = sub(part, x)
        return
      end
      table.remove(l, j)
      x = sub(x, part)
      break
    end
  end
  if sgn(x) > 0 then take(f, x) end
end
-- an outbound movement on `day` (slow-moving): counted per day, the MAX_OUT_DAYS latest days
-- kept (past that the two oldest merge into the later one, with both counts)
local function outDay(f, day)
  local o = f.o
  local j = #o
  while j >= 1 and o[j][1] > day do j = j - 1 end
  if j >= 1 and o[j][1] == day then
    o[j][2] = o[j][2] + 1
    return
  end
  table.insert(o, j + 1, {day, 1})
  if #o > MAX_OUT_DAYS then
    o[2][2] = o[2][2] + o[1][2]
    table.remove(o, 1)
  end
end
-- a cancelled outbound of `day`: one fewer on that day (or the merged day that holds it)
local function unOutDay(f, day)
  local o = f.o
  for j = 1, #o do
    if o[j][1] >= day then
      o[j][2] = o[j][2] - 1
      if o[j][2] <= 0 then table.remove(o, j) end
      return
    end
  end
end
-- a figure as JSON, cheaply for the small integers layer changes mostly hold (tostring prints
-- those exactly: %.14g)
local function jsonSmall(x)
  if type(x) == 'number' and x < 1e14 and x > -1e14 then
    if x == 0 then return '0' end -- never "-0"
    return tostring(x)
  end
  return json(x)
end
-- the layer change output {k, day, qty, ...}, as its JSON text (built once: an effect record
-- holds it as it is)
local function layerOut(k, list)
  local t = {jsonSmall(k)}
  for j = 1, #list do t[j + 1] = jsonSmall(list[j]) end
  return {layers = '[' .. table.concat(t, ',') .. ']'}
end
-- inbound qty x on day into pair s; returns its layer change
local function inLayers(s, day, x)
  local added = {}
  local filled = put(layersOf(s, day), day, x, added)
  return layerOut(filled, added)
end
-- outbound qty x from pair s on day; returns its layer change (and, for a transfer, what it
-- consumed, {day, qty, ...}, and the deficit it opened)
local function outLayers(s, day, x, counts)
  local f = layersOf(s, day)
  local taken = {}
  local opened = take(f, x, taken)
  if counts then outDay(f, day) end
  local lc = layerOut(opened, taken)
  lc.taken, lc.opened = taken, opened
  return lc
end

-- inbound qty dq > 0, line value l at rate rn/rd; returns dv, rv. Into stock at or below zero,
-- the rate becomes the line's and the value qty-after x that rate (ERPNext
-- get_moving_average_values: `if qty_after_transaction <= 0: valuation_rate = incoming_rate`).
local function inbound(s, dq, l, rn, rd)
  local q0, v0 = s.q, s.v
  local q1 = add(q0, dq)
  local v1
  if sgn(q0) <= 0 then
    if sgn(q1) == 0 then v1 = 0 else v1 = R(q1, rn, rd) end
    s.a = mulDivRound(rn, 100000, rd)
  else
    v1 = add(v0, l)
  end
  s.q, s.v = q1, v1
  local dv = sub(v1, v0)
  return dv, sub(dv, l)
end

-- outbound qty dq > 0 at the pair's rate; returns the value taken out (its cost)
local function outboundAtRate(s, dq)
  local q0, v0 = s.q, s.v
  local q1 = sub(q0, dq)
  local v1 = 0
  if sgn(q1) ~= 0 then v1 = valueAt(s, q1) else keepRate(s, q0, v0) end
  s.q, s.v = q1, v1
  return sub(v0, v1)
end

-- outbound qty dq > 0 at the line's own value l (rate rn/rd); returns dv, rv
local function outboundAt(s, dq, l, rn, rd)
  local q0, v0 = s.q, s.v
  local q1 = sub(q0, dq)
  local v1
  local sq = sgn(q1)
  if sq == 0 then
    v1 = 0
    s.a = mulDivRound(rn, 100000, rd)
  elseif sq > 0 then
    v1 = sub(v0, l)
  elseif sgn(q0) >= 0 then
    v1 = R(q1, rn, rd)
  else
    v1 = valueAt(s, q1)
  end
  s.q, s.v = q1, v1
  local dv = sub(v1, v0)
  return dv, add(dv, l)
end

-- open order qty per backlog cell, read with one HMGET per hash (and the cells as read: only
-- the ones that change are written back)
local backlogs = {}
local backlogsRead = {}
for h, cells in ipairs(P.B) do
  local fields = {}
  for j = 2, #cells do fields[j - 1] = cells[j] end
  local values = hmget(cells[1], fields)
  local open = {}
  for j = 1, #fields do open[j] = parse(values[j]) end
  backlogs[h] = open
  backlogsRead[h] = values
end

-- order lines (worked out by the fold from the records it read): each record must still be the
-- one read, else nothing is written and the applier reads again (compare-and-set)
for _, spec in ipairs(P.N) do
  -- the sets must be sorted sets before anything is written (ZCARD fails on another type)
  redis.call('ZCARD', spec.od)
  redis.call('ZCARD', spec.ls)
  redis.call('ZCARD', spec.cl)
  local values = hmget(spec.h, spec.f)
  local read = spec.r
  for j = 1, #spec.f do
    if values[j] ~= read[j] then return {'conflict', spec.h, spec.f[j]} end
  end
end

-- amounts per target list; spread over the list's cells once, at the end
local byList = {}
local function feed(list, amount)
  if list == nil or sgn(amount) == 0 then return end
  byList[list] = add(byList[list] or 0, amount)
end

-- outputs of each movement's operations, kept in its effect record for an exact cancel
local xs = {}
local function out(i, values)
  local parts = {}
  for j = 1, #values do
    local v = values[j]
    if type(v) == 'table' and v.layers ~= nil then
      parts[j] = v.layers
    else
      parts[j] = json(v)
    end
  end
  local t = '[' .. table.concat(parts, ',') .. ']'
  local list = xs[i]
  if list == nil then xs[i] = {t} else list[#list + 1] = t end
end
-- each movement's first line value and qty: what a return of it in the same batch is costed at
local firstLine = {}
-- rn, rd: the rate of a line the script costed itself, recorded for its reversal (else nil)
local function stockOut(i, l, dq, dv, rv, before, lc, rn, rd)
  if firstLine[i] == nil then firstLine[i] = {l, sgn(dq) < 0 and neg(dq) or dq} end
  if rn ~= nil then
    out(i, {l, dq, dv, rv, before[1], before[2], before[3], lc, rn, rd})
  else
    out(i, {l, dq, dv, rv, before[1], before[2], before[3], lc})
  end
end

for _, op in ipairs(P.ops) do
  local k = op.k
  if k == 'in' or k == 'out' then
    local s = state[op.p]
    touch(s, op.t)
    local q = op.q
    local before = snapshot(s)
    local l, dv, rv = op.l, 0, 0
    if l ~= nil then l = parse(l) end
    local rn, rd = op.rn, op.rd
    if rn ~= nil then rn, rd = parse(rn), parse(rd) end
    local returned = op.ri ~= nil and firstLine[op.ri] or nil
    -- a line costed here (a return at its original, an inbound at the pair's rate), not by the
    -- payload: its rate goes into the output, for a cancel
    local costed = false
    if returned ~= nil and sgn(returned[2]) ~= 0 then
      rn, rd = returned[1], returned[2]
      l = R(q, rn, rd)
      costed = true
    end
    if k == 'in' then
      if l == nil then
        costed = true
        -- at the pair's rate: v/q, or the rate it kept at 0
        if sgn(s.q) ~= 0 then rn, rd = s.v, s.q else rn, rd = s.a, 100000 end
        l = R(q, rn, rd)
      elseif rn == nil then
        rn, rd = l, q
      end
      dv, rv = inbound(s, q, l, rn, rd)
      if costed then
        stockOut(op.i, l, q, dv, rv, before, inLayers(s, op.d, q), rn, rd)
      else
        stockOut(op.i, l, q, dv, rv, before, inLayers(s, op.d, q))
      end
    else
      if l == nil then
        l = outboundAtRate(s, q)
        dv = neg(l)
      else
        if rn == nil then rn, rd = l, q end
        dv, rv = outboundAt(s, q, l, rn, rd)
      end
      if costed then
        stockOut(op.i, l, -q, dv, rv, before, outLayers(s, op.d, q, true), rn, rd)
      else
        stockOut(op.i, l, -q, dv, rv, before, outLayers(s, op.d, q, true))
      end
    end
    feed(op.v, dv)
    feed(op.r, rv)
    feed(op.c, op.cs == -1 and neg(l) or l)
  elseif k == 'xfer' then
    local s, d = state[op.p], state[op.p2]
    touch(s, op.t)
    touch(d, op.t)
    local before = snapshot(s)
    local cost = outboundAtRate(s, op.q)
    -- the source's oldest layers move with their days; what it did not hold arrives dated d
    local gone = outLayers(s, op.d, op.q, true)
    stockOut(op.i, cost, -op.q, neg(cost), 0, before, gone)
    feed(op.v, neg(cost))
    local before2 = snapshot(d)
    local dv2, rv2 = inbound(d, op.q, cost, cost, op.q)
    local fd = layersOf(d, op.d)
    local added = {}
    local moved, opened = gone.taken, gone.opened
    local filled = 0
    for j = 1, #moved, 2 do filled = add(filled, put(fd, moved[j], moved[j + 1], added)) end
    if sgn(opened) > 0 then filled = add(filled, put(fd, op.d, opened, added)) end
    stockOut(op.i, cost, op.q, dv2, rv2, before2, layerOut(filled, added))
    feed(op.v2, dv2)
    feed(op.r2, rv2)
  elseif k == 'set' then
    -- stocktake: the adjustment is counted - book (the ERP's book at count time when it sent one)
    local s = state[op.p]
    touch(s, op.t)
    local before = snapshot(s)
    local counted = parse(op.q)
    local bookQty = s.q
    if op.b ~= nil then bookQty = parse(op.b) end
    local dq = sub(counted, bookQty)
    local book = s.v
    if op.b ~= nil then book = valueAt(s, bookQty) end
    if sgn(book) < 0 then book = 0 end
    local q1 = add(s.q, dq)
    -- value = qty after x rate, rounded (as ERPNext's reconciliation), an exact count included
    local v1 = 0
    if sgn(q1) == 0 then keepRate(s, s.q, s.v) else v1 = valueAt(s, q1) end
    local dv = sub(v1, s.v)
    s.q, s.v = q1, v1
    local ok = sgn(dq) == 0 and 1 or 0
    -- a gain is a layer of the count's day, a loss consumes the oldest (ERPNext: a
    -- reconciliation's qty shift is an inward or outward entry); a loss is no outbound
    local lc
    if sgn(dq) > 0 then lc = inLayers(s, op.d, dq) elseif sgn(dq) < 0 then lc = outLayers(s, op.d, neg(dq), false) else lc = layerOut(0, {}) end
    feed(op.qT, dq)
    feed(op.v, dv)
    feed(op.okT, ok)
    feed(op.adT, sgn(dv) < 0 and neg(dv) or dv)
    feed(op.bvT, book)
    if sgn(dq) > 0 then feed(op.qpT, dq) elseif sgn(dq) < 0 then feed(op.qnT, neg(dq)) end
    if sgn(dv) > 0 then feed(op.vpT, dv) elseif sgn(dv) < 0 then feed(op.vnT, neg(dv)) end
    out(op.i, {dv, dq, ok, book, before[1], before[2], before[3], lc})
  elseif k == 'bk' then
    -- ordered − fulfilled qty per ref|sku (an order adds, a receipt/shipment or a cancel of an
    -- order subtracts); the backlog counts what is still open, max(0, that): the same in any
    -- arrival order, and a cancel (the same op with −q) restores it exactly.
    -- A line lives in the bkp: cells and feeds its pair's level too; a line still open in the
    -- bk: cells was opened before lines were counted by pair: it feeds the other levels only,
    -- until it is no longer open (then what is left of it, at or below 0, moves to bkp:)
    local cells = backlogs[op.bh]
    local legacy = cells[op.bf]
    local delta
    if sgn(legacy) > 0 then
      local after = add(legacy, op.q)
      delta = sub(sgn(after) > 0 and after or 0, legacy)
      cells[op.bf] = after
    else
      local pcells = backlogs[op.ph]
      local open = add(pcells[op.pf], legacy)
      local after = add(open, op.q)
      delta = sub(sgn(after) > 0 and after or 0, sgn(open) > 0 and open or 0)
      cells[op.bf] = 0
      pcells[op.pf] = after
      feed(op.pT, delta)
    end
    feed(op.T, delta)
    out(op.i, {delta})
  elseif k == 'lnx' then
    -- an order line's output, worked out by the fold, in its place among the movement's outputs
    local list = xs[op.i]
    if list == nil then xs[op.i] = {op.x} else list[#list + 1] = op.x end
  elseif k == 'rev' then
    local s = state[op.p]
    s.n = s.n - 1
    local dq, l = parse(op.dq), parse(op.l)
    local v0 = s.v
    local dv, rv
    local r = op.s
    if r ~= nil and cmp(s.q, parse(r[4])) == 0 and cmp(s.v, parse(r[5])) == 0 then
      -- nothing moved the pair since: back exactly to where it was
      s.q, s.v, s.a = parse(r[1]), parse(r[2]), parse(r[3])
      dv = sub(s.v, v0)
      rv = sub(dv, l)
    else
      local rn, rd = op.rn, op.rd
      if rn ~= nil then rn, rd = parse(rn), parse(rd) end
      local sd = sgn(dq)
      if sd > 0 then
        if rn == nil then rn, rd = l, dq end
        dv, rv = inbound(s, dq, l, rn, rd)
      elseif sd < 0 then
        if rn == nil then rn, rd = neg(l), neg(dq) end
        dv, rv = outboundAt(s, neg(dq), neg(l), rn, rd)
      else
        local v1 = add(v0, l)
        if sgn(s.q) == 0 then v1 = 0 end
        s.v = v1
        dv = sub(v1, v0)
        rv = sub(dv, l)
      end
    end
    -- layers: an outbound's go back to their days (its deficit part at d), an inbound's leave
    -- its own day first
    local f = layersOf(s, op.d)
    local y = op.y
    local sd = sgn(dq)
    if y == nil then
      if sd > 0 then put(f, op.d, dq) elseif sd < 0 then take(f, neg(dq)) end
    elseif sd > 0 then
      if sgn(parse(y[1])) > 0 then put(f, op.d, parse(y[1])) end
      for j = 2, #y, 2 do put(f, y[j], parse(y[j + 1])) end
    elseif sd < 0 then
      for j = #y - 1, 2, -2 do takeOwn(f, y[j], parse(y[j + 1])) end
      if sgn(parse(y[1])) > 0 then take(f, parse(y[1])) end
    end
    if op.o == 1 then unOutDay(f, op.d) end
    -- every stock movement of the pair cancelled: forgotten at once, its rate with it, so the
    -- rest of the batch sees it as never moved (as a later batch does)
    if s.n <= 0 and not s.legacy and sgn(s.q) == 0 and sgn(s.v) == 0 then
      s.a = 0
      s.L = {d = 0, l = {}, o = {}}
    end
    feed(op.v, dv)
    feed(op.r, rv)
  end
end

-- counter cells: every cell the batch changes, read per key, summed, range-checked
local delta = {}
local fixed = P.fixed
for j = 1, #fixed, 2 do
  local t = fixed[j]
  delta[t] = add(delta[t] or 0, parse(fixed[j + 1]))
end
for list, amount in pairs(byList) do
  if sgn(amount) ~= 0 then
    local targets = L[list]
    for j = 1, #targets do
      local t = targets[j]
      delta[t] = add(delta[t] or 0, amount)
    end
  end
end
local byKey = {}
for t, d in pairs(delta) do
  if sgn(d) ~= 0 then
    local k = T[2 * t - 1]
    local cells = byKey[k]
    if cells == nil then cells = {}; byKey[k] = cells end
    cells[#cells + 1] = t
  end
end
local writes = {}
for k, cells in pairs(byKey) do
  local fields = {}
  for j = 1, #cells do fields[j] = T[2 * cells[j]] end
  local now = hmget(K[k], fields)
  local set = {}
  for j = 1, #cells do
    local d, raw = delta[cells[j]], now[j]
    -- the common case inline: a stored value of at most 15 digits and a delta below 2^52 sum
    -- exactly (below 2^53) and are passed as a number, which Redis writes as its integer digits
    -- (never "-0": the delta is not 0, so a zero sum is +0)
    local c = raw == false and 0 or (#raw <= 15 and tonumber(raw) or nil)
    if c ~= nil and type(d) == 'number' then
      set[#set + 1] = fields[j]
      set[#set + 1] = c + d
    else
      local value = add(parse(raw), d)
      if not inInt64(value) then return {'range', K[k], fields[j]} end
      set[#set + 1] = fields[j]
      set[#set + 1] = text(value)
    end
  end
  writes[#writes + 1] = {k, set}
end
for _, s in ipairs(state) do
  if not (inInt64(s.q) and inInt64(s.v)) then return {'range', KEYS[2], ''} end
end

---------------------------------------------------------------------------------------------
-- Writes
---------------------------------------------------------------------------------------------

-- effect records: the idempotency keys, and what a cancel reverses
local ttl = P.ttl
local final = {}
for _, i in ipairs(P.F) do final[i] = true end
local recent, firstRecent = {}, n - P.rc + 1
for i = 1, n do
  local e = ARGV[2 + 2 * i]
  local list = xs[i]
  if list ~= nil then e = string.sub(e, 1, -2) .. ',"x":[' .. table.concat(list, ',') .. ']}' end
  if final[i] then
    -- its shard key was worked out by the idempotency check (markers are checked whenever F is not empty)
    local key = markerKeys[i]
    redis.call('HSET', key, id(i), P.day)
    redis.call('EXPIRE', key, ttl)
    redis.call('SET', effectPrefix .. id(i), e, 'EX', P.fg)
  else
    redis.call('SET', effectPrefix .. id(i), e, 'EX', ttl)
  end
  if i >= firstRecent then recent[#recent + 1] = id(i) .. '\t' .. e end
end
if #P.F > 0 then redis.call('SET', markerPrefix .. 'on', '1', 'EX', ttl) end
-- the latest movements, in arrival order (LPUSH puts the last one first)
if #recent > 0 then
  multi('LPUSH', KEYS[6], recent, 1)
  redis.call('LTRIM', KEYS[6], 0, P.rc - 1)
end
for _, cx in ipairs(P.cx) do
  redis.call('SET', effectPrefix .. cx.t, string.sub(cx.e, 1, -2) .. ',"c":' .. cjson.encode(cx.c) .. '}', 'KEEPTTL')
end

-- rankings (R): the same values as scores, member by member, so a ranking equals its hash
local ranking = {}
local R = P.R
for j = 1, #R, 2 do ranking[R[j]] = R[j + 1] end
for _, w in ipairs(writes) do
  multi('HSET', K[w[1]], w[2], 2)
  local z = ranking[w[1]]
  if z ~= nil then
    local set, scores = w[2], {}
    for j = 1, #set, 2 do scores[j] = set[j + 1]; scores[j + 1] = set[j] end
    multi('ZADD', z, scores, 2)
  end
end

-- stock state, live movement counts and last-moved times, one HSET per hash
if #pairs_ > 0 then
  local q, v, a, n, last, gone = {}, {}, {}, {}, {}, {}
  local lay, noLayers = {}, {}
  for j, s in ipairs(state) do
    local p = pairs_[j]
    if s.n <= 0 and not s.legacy and sgn(s.q) == 0 and sgn(s.v) == 0 then
      -- every stock movement of the pair was cancelled: as if it never moved (no alert, not active)
      gone[#gone + 1] = p
    else
      q[#q + 1] = p; q[#q + 1] = text(s.q)
      v[#v + 1] = p; v[#v + 1] = text(s.v)
      -- the displayed average (1e-6): v/q while q ~= 0, else the rate the pair kept
      a[#a + 1] = p; a[#a + 1] = text(sgn(s.q) ~= 0 and mulDivRound(s.v, 100000, s.q) or s.a)
      if not s.legacy then n[#n + 1] = p; n[#n + 1] = string.format('%.0f', s.n) end
      if s.t > s.last then last[#last + 1] = p; last[#last + 1] = string.format('%.0f', s.t) end
    end
    if s.L ~= nil then
      local text_ = encodeLayers(s.L)
      if text_ == nil then noLayers[#noLayers + 1] = p
      elseif text_ ~= s.raw then lay[#lay + 1] = p; lay[#lay + 1] = text_ end
    end
  end
  for k = 1, 5 do multi('HDEL', KEYS[k], gone, 1) end
  multi('HDEL', KEYS[7], gone, 1)
  multi('HDEL', KEYS[7], noLayers, 1)
  multi('HSET', KEYS[7], lay, 2)
  multi('HSET', KEYS[1], q, 2)
  multi('HSET', KEYS[2], v, 2)
  multi('HSET', KEYS[3], a, 2)
  multi('HSET', KEYS[5], n, 2)
  multi('HSET', KEYS[4], last, 2)
end
for h, open in ipairs(backlogs) do
  local cells = P.B[h]
  local read = backlogsRead[h]
  local set, del = {}, {}
  for j = 1, #open do
    local f = cells[j + 1]
    if sgn(open[j]) == 0 then
      if read[j] then del[#del + 1] = f end
    elseif cmp(open[j], parse(read[j])) ~= 0 then
      set[#set + 1] = f; set[#set + 1] = text(open[j])
    end
  end
  multi('HDEL', cells[1], del, 1)
  multi('HSET', cells[1], set, 2)
end
local LC = P.LC
for _, spec in ipairs(P.N) do
  multi('HDEL', spec.h, spec.del, 1)
  multi('HSET', spec.h, spec.set, 2)
  multi('ZREM', spec.od, spec.ro, 1)
  multi('ZREM', spec.ls, spec.rl, 1)
  multi('ZADD', spec.od, spec.ao, 2)
  multi('ZADD', spec.ls, spec.al, 2)
  multi('ZREM', spec.cl, spec.rc, 1)
  multi('ZADD', spec.cl, spec.ac, 2)
  redis.call('ZREMRANGEBYSCORE', spec.ls, '-inf', '(' .. string.format('%.0f', LC.now - LC.keep))
  -- lines closed longer than the effect records live: a few a batch, never those just written
  local gone = redis.call('ZRANGEBYSCORE', spec.cl, '-inf', '(' .. string.format('%.0f', LC.now), 'LIMIT', 0, LC.prune)
  if #gone > 0 then
    multi('HDEL', spec.h, gone, 1)
    multi('ZREM', spec.ls, gone, 1)
    multi('ZREM', spec.cl, gone, 1)
  end
end
-- documents invoiced or settled: when their latest change's cancel window began (GT: a final
-- movement's earlier time never shortens the window of a live one)
for _, cr in ipairs(P.CR) do
  local args = {}
  for j, m in ipairs(cr.m) do args[2 * j - 1] = cr.t; args[2 * j] = m end
  for from = 1, #args, CHUNK * 2 do
    redis.call('ZADD', cr.k, 'GT', unpack(args, from, math.min(#args, from + CHUNK * 2 - 1)))
  end
end
local exp = P.exp
for j = 1, #exp, 2 do
  redis.call('EXPIREAT', K[exp[j]], exp[j + 1])
  if ranking[exp[j]] ~= nil then redis.call('EXPIREAT', ranking[exp[j]], exp[j + 1]) end
end
return {'ok', n}
