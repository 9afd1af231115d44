--[[
  Compare-and-set one transition of a record, keeping its reservation, the batch
  counters, the in-flight index and the events stream consistent with it.

  Input:
    KEYS[1] record hash
    KEYS[2] events stream
    KEYS[3] in-flight sorted set
    KEYS[4] order hash
    KEYS[5] batch counters hash (a same-slot placeholder when there is no batch)

    ARGV[1]  expected (current) version
    ARGV[2]  new record JSON
    ARGV[3]  new state
    ARGV[4]  old state
    ARGV[5]  refundRequestId
    ARGV[6]  '1' to release the refund's reservation (no money moved)
    ARGV[7]  new in-flight score, or '' to drop the refund from the index (final)
    ARGV[8]  '1' when the refund belongs to a batch
    ARGV[9]  events stream MAXLEN (approximate)
    ARGV[10] event type
    ARGV[11] time of the transition (ISO-8601)
    ARGV[12] batchId or ''
    ARGV[13] note of the transition or ''
    ARGV[14] new version

  Output:
    1 - written
    0 - the version moved (the caller re-reads and decides again)
]]
local recordKey, eventsKey, inflightKey, orderKey, batchKey =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local expectedVersion, recordJson, newState, oldState, id, release, inflightScore =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local hasBatch, maxlen, eventType, at, batchId, note, newVersion =
  ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[13], ARGV[14]

--- @include "emitEvent"

if redis.call('HGET', recordKey, 'v') ~= expectedVersion then return 0 end
redis.call('HSET', recordKey, 'rec', recordJson, 'v', newVersion, 'st', newState)
if inflightScore == '' then
  redis.call('ZREM', inflightKey, id)
else
  redis.call('ZADD', inflightKey, inflightScore, id)
end
if release == '1' then
  local units = redis.call('HGET', orderKey, 'r:' .. id)
  if units then
    -- The currency's own counter (createReserved-5.lua); 'reserved' = the order's currency.
    local field = redis.call('HGET', orderKey, 'rb:' .. id) or 'reserved'
    redis.call('HINCRBY', orderKey, field, '-' .. units)
    redis.call('HDEL', orderKey, 'r:' .. id, 'rb:' .. id)
  end
end
if hasBatch == '1' and newState ~= oldState then
  redis.call('HINCRBY', batchKey, oldState, -1)
  redis.call('HINCRBY', batchKey, newState, 1)
end
emitEvent(eventsKey, maxlen, id, newState, oldState, eventType, at, batchId, newVersion, note)
return 1
