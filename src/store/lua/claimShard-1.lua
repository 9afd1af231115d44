--[[
  Claims a refund id for a shard in the id -> shard index (README "Scaling out"): the
  index is written before the record, so a lookup by refundRequestId alone finds the
  record's shard, and one id can never be created in two shards.

  Input:
    KEYS[1] index key of the refund id (under the base prefix)

    ARGV[1] the shard the caller wants (the shard of its request's prepayId)
    ARGV[2] a shard the caller found holding the id with no record there ('' for none):
            the index may move from that shard (a create that died between index and
            record) but from no other

  Output:
    the shard that owns the id now: ARGV[1] when claimed or already ours, else the owner
]]
local key = KEYS[1]
local wanted = ARGV[1]
local stale = ARGV[2]

local current = redis.call('GET', key)
if not current or current == wanted or (stale ~= '' and current == stale) then
  redis.call('SET', key, wanted)
  return wanted
end
return current
