--[[
  Compare-and-set of a contradiction noted on a terminal record (domain/attention.ts):
  the record keeps its state, the refund enters the attention index and, when money may
  have moved after all, its amount is held again against the order, so no later refund
  of the order counts on it being free.

  Input:
    KEYS[1] record hash
    KEYS[2] events stream
    KEYS[3] order hash
    KEYS[4] attention sorted set

    ARGV[1]  expected (current) version
    ARGV[2]  new record JSON
    ARGV[3]  new version
    ARGV[4]  refundRequestId
    ARGV[5]  attention score (epoch ms)
    ARGV[6]  units to hold again, or '' to leave the reservation as it is
    ARGV[7]  order hash field the units are counted in (the reservation's currency)
    ARGV[8]  events stream MAXLEN (approximate)
    ARGV[9]  time (ISO-8601)
    ARGV[10] state (unchanged)
    ARGV[11] batchId or ''
    ARGV[12] the attention code
    ARGV[13] expected (current) write id, or '' for a record never transitioned
    ARGV[14] new write id

  Output:
    1 - written
    0 - the version or the write id moved (the caller re-reads and decides again);
        the write id is checked as in transition-5.lua (versions are reused after a
        failover that lost writes)
]]
local recordKey, eventsKey, orderKey, attentionKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local expectedVersion, recordJson, newVersion, id, score = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local units, bucket, maxlen, at, state, batchId, code =
  ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12]
local expectedWriteId, newWriteId = ARGV[13], ARGV[14]

--- @include "emitEvent"

local current = redis.call('HMGET', recordKey, 'v', 'w')
if current[1] ~= expectedVersion or (current[2] or '') ~= expectedWriteId then return 0 end
redis.call('HSET', recordKey, 'rec', recordJson, 'v', newVersion, 'w', newWriteId)
redis.call('ZADD', attentionKey, score, id)
if units ~= '' and redis.call('HEXISTS', orderKey, 'r:' .. id) == 0 then
  redis.call('HINCRBY', orderKey, bucket, units)
  redis.call('HSET', orderKey, 'r:' .. id, units)
  if bucket ~= 'reserved' then redis.call('HSET', orderKey, 'rb:' .. id, bucket) end
end
emitEvent(eventsKey, maxlen, id, state, state, 'attention', at, batchId, newVersion, code)
return 1
