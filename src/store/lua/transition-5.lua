--[[
  Compare-and-set one transition of a record, keeping its reservation, the batch
  counters, the in-flight index and the events stream consistent with it. What the
  worker would otherwise write in round trips of their own right after the transition
  rides along: the job that drives the refund now (setDriver: a field of the same HSET,
  its due time in the score of the same ZADD) and the order amount GatePay reported
  (learnOrderAmount).

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
    ARGV[17] id of the job that drives the refund from now on (the record's `job` field),
             or '' to leave it; ARGV[7] is then that job's due time plus the stall window
    ARGV[18] the order's amount in units as GatePay reported it, or '' (order hash `amount`)
    ARGV[19] the order's currency as GatePay reported it, or '' (order hash `ccy`)

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
local expectedWriteId, newWriteId, driverJob, orderAmount, orderCcy =
  ARGV[15], ARGV[16], ARGV[17], ARGV[18], ARGV[19]

--- @include "emitEvent"

local current = redis.call('HMGET', recordKey, 'v', 'w')
if current[1] ~= expectedVersion or (current[2] or '') ~= expectedWriteId then return 0 end
if driverJob == '' then
  redis.call('HSET', recordKey, 'rec', recordJson, 'v', newVersion, 'st', newState, 'w', newWriteId)
else
  redis.call('HSET', recordKey, 'rec', recordJson, 'v', newVersion, 'st', newState, 'w', newWriteId,
    'job', driverJob)
end
if inflightScore == '' then
  redis.call('ZREM', inflightKey, id)
else
  redis.call('ZADD', inflightKey, inflightScore, id)
end
if release == '1' then
  local held = redis.call('HMGET', orderKey, 'r:' .. id, 'rb:' .. id)
  local units = held[1]
  if units then
    -- The currency's own counter (createReserved-5.lua); 'reserved' = the order's currency.
    local field = held[2] or 'reserved'
    redis.call('HINCRBY', orderKey, field, '-' .. units)
    redis.call('HDEL', orderKey, 'r:' .. id, 'rb:' .. id)
  end
end
if orderAmount ~= '' then
  if orderCcy == '' then
    redis.call('HSET', orderKey, 'amount', orderAmount)
  else
    redis.call('HSET', orderKey, 'amount', orderAmount, 'ccy', orderCcy)
  end
end
if hasBatch == '1' and newState ~= oldState then
  redis.call('HINCRBY', batchKey, oldState, -1)
  redis.call('HINCRBY', batchKey, newState, 1)
end
emitEvent(eventsKey, maxlen, id, newState, oldState, eventType, at, batchId, newVersion, note)
return 1
