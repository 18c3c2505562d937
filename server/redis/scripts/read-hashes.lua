#!lua flags=no-writes
-- Reads whole counter hashes and answers with all of them as one JSON text (the query engine's
-- reads of every member of a dimension: server/query/shared.ts readFlow, docs/architecture.md
-- "Query CPU"). One string decodes in the server with one JSON.parse, where the same hashes as
-- HGETALL replies cost a reply object and a string per field in the Redis client: several times
-- the CPU for a wall's month × category series. Read-only: it may run on a replica.
-- Contract typed in server/redis/read-hashes.ts: each list below, headed by a name in
-- parentheses, mirrors that file's record of the name field by field, in order
-- (tests/unit/read-hashes-contract.test.ts fails when they drift apart).
-- KEYS: the hashes to read, any number.
-- ARGV (ReadHashesArgs):
--   maxFields    the script reads nothing and answers `{'too-many', fields}` when the hashes hold more fields
-- Returns `{'ok', json}`: json is an array with one entry per key, in order — the key's fields
-- and values as HGETALL gives them (`[field, value, …]`), or `{}` for a key that does not exist.
local call = redis.call
local maxFields = tonumber(ARGV[1])

-- cost first, from the hash sizes alone: Redis runs one script at a time, a call stays short
local fields = 0
for i = 1, #KEYS do
  fields = fields + call('HLEN', KEYS[i])
end
if fields > maxFields then
  return { 'too-many', fields }
end

local out = {}
for i = 1, #KEYS do
  out[i] = call('HGETALL', KEYS[i])
end
return { 'ok', cjson.encode(out) }
