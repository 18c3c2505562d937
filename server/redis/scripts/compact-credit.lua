-- Compacts one side's documents settled in full (docs/metrics.md "Receivables and payables",
-- server/aggregate/credit-compaction.ts). A document whose open items (oi:) add up exactly to what
-- was settled against it (os:) takes nothing from and gives nothing to the partner's other items
-- when settlements are allocated, so removing both leaves every figure as it was. Only documents
-- unchanged since before `cutoff` are looked at: no movement that touched them can still be
-- cancelled (their effect records have expired), so nothing will ever take them apart again.
-- KEYS[1]  sorted set partner|document -> epoch ms of the document's last change (cr:{ar|ap})
-- ARGV[1]  key prefix of the side's open items (oi:{ar|ap}:), the partner appended
-- ARGV[2]  key prefix of the side's settlements (os:{ar|ap}:)
-- ARGV[3]  cutoff, epoch ms: documents changed at or before it are looked at
-- ARGV[4]  most documents looked at in one call
-- Returns {looked at, compacted}. Documents looked at leave the sorted set either way: a later
-- change lists them again.
local z = KEYS[1]
local members = redis.call('ZRANGEBYSCORE', z, '-inf', ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
if #members == 0 then return {0, 0} end
local SMALL = 4503599627370496 -- 2^52: sums below it are exact

local byPartner, partners = {}, {}
for _, m in ipairs(members) do
  local bar = string.find(m, '|', 1, true)
  if bar ~= nil then
    local partner, doc = string.sub(m, 1, bar - 1), string.sub(m, bar + 1)
    local docs = byPartner[partner]
    if docs == nil then docs = {}; byPartner[partner] = docs; partners[#partners + 1] = partner end
    docs[#docs + 1] = doc
  end
end

local CHUNK = 2000
local function hdel(key, fields)
  for from = 1, #fields, CHUNK do
    redis.call('HDEL', key, unpack(fields, from, math.min(#fields, from + CHUNK - 1)))
  end
end

local compacted = 0
for _, partner in ipairs(partners) do
  local docs = byPartner[partner]
  local oiKey, osKey = ARGV[1] .. partner, ARGV[2] .. partner
  local wanted = {}
  for _, d in ipairs(docs) do wanted[d] = true end
  -- the wanted documents' items (field `YYYY-MM-DD|document`) and their sums
  local fields, sums, inexact = {}, {}, {}
  local all = redis.call('HGETALL', oiKey)
  for j = 1, #all, 2 do
    local doc = string.sub(all[j], 12)
    if wanted[doc] then
      local list = fields[doc]
      if list == nil then list = {}; fields[doc] = list end
      list[#list + 1] = all[j]
      local v = all[j + 1]
      if #v > 15 then inexact[doc] = true else sums[doc] = (sums[doc] or 0) + tonumber(v) end
    end
  end
  local paid = redis.call('HMGET', osKey, unpack(docs))
  local delItems, delPaid = {}, {}
  for k, doc in ipairs(docs) do
    local p = paid[k]
    local sum = sums[doc] or 0
    if not inexact[doc] and sum < SMALL and sum > -SMALL and (p == false or #p <= 15) then
      local settled = p and tonumber(p) or 0
      if settled == sum and (fields[doc] ~= nil or p ~= false) then
        for _, f in ipairs(fields[doc] or {}) do delItems[#delItems + 1] = f end
        if p ~= false then delPaid[#delPaid + 1] = doc end
        compacted = compacted + 1
      end
    end
  end
  hdel(oiKey, delItems)
  hdel(osKey, delPaid)
end
for from = 1, #members, CHUNK do
  redis.call('ZREM', z, unpack(members, from, math.min(#members, from + CHUNK - 1)))
end
return {#members, compacted}
