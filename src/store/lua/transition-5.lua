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
    ARGV[15] expected (current) write id, or '' for a record never transitioned
    ARGV[16] new write id

  Output:
    1 - written
    0 - the version or the write id moved (the caller re-reads and decides again)

  The write id matters after a failover that lost writes: the version number is then
  reused by another write, so a version alone could match a state the caller never saw.
]]
local recordKey, eventsKey, inflightKey, orderKey, batchKey =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local expectedVersion, recordJson, newState, oldState, id, release, inflightScore =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local hasBatch, maxlen, eventType, at, batchId, note, newVersion =
  ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[13], ARGV[14]
local expectedWriteId, newWriteId = ARGV[15], ARGV[16]

--- @include "emitEvent"

local current = redis.call('HMGET', recordKey, 'v', 'w')
if current[1] ~= expectedVersion or (current[2] or '') ~= expectedWriteId then return 0 end
redis.call('HSET', recordKey, 'rec', recordJson, 'v', newVersion, 'st', newState, 'w', newWriteId)
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
