--[[
  Creates a refund record with its over-refund reservation, unless one exists.

  Amounts are integer micro-units (6 decimals, GatePay's request precision,
  gatepay-api.md §4.1) far below 2^53, so Lua's doubles compare them exactly; the stored
  counters use HINCRBY (64-bit integers).

  Input:
    KEYS[1] record hash
    KEYS[2] order hash (amount cap, reserved total, r:<id> per refund)
    KEYS[3] events stream
    KEYS[4] in-flight sorted set
    KEYS[5] batch counters hash (a same-slot placeholder when there is no batch)

    ARGV[1]  refundRequestId
    ARGV[2]  record JSON
    ARGV[3]  request fingerprint
    ARGV[4]  units to reserve
    ARGV[5]  order amount in units, '' when unknown (set only if not yet known)
    ARGV[6]  in-flight score (when the reconciler should look)
    ARGV[7]  '1' when the refund belongs to a batch
    ARGV[8]  events stream MAXLEN (approximate)
    ARGV[9]  time of creation (ISO-8601)
    ARGV[10] batchId or ''
    ARGV[11] state of the new record
    ARGV[12] version of the new record

  Output:
    {'created'}
    {'existing', json} - the same request is stored already
    {'conflict', json} - a different request is stored under this id
    {'over', reservedUnits, capUnits} - the refund does not fit; nothing written
]]
local recordKey, orderKey, eventsKey, inflightKey, batchKey =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local id, recordJson, fingerprint, units, capUnits, inflightScore =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local hasBatch, maxlen, at, batchId, state, version =
  ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12]

--- @include "emitEvent"

local found = redis.call('HMGET', recordKey, 'fp', 'rec')
if found[1] then
  if found[1] == fingerprint then return {'existing', found[2]} end
  return {'conflict', found[2]}
end
if capUnits ~= '' then redis.call('HSETNX', orderKey, 'amount', capUnits) end
local cap = redis.call('HGET', orderKey, 'amount')
local reserved = redis.call('HGET', orderKey, 'reserved') or '0'
if cap and tonumber(reserved) + tonumber(units) > tonumber(cap) then
  return {'over', reserved, cap}
end
redis.call('HINCRBY', orderKey, 'reserved', units)
redis.call('HSET', orderKey, 'r:' .. id, units)
redis.call('HSET', recordKey, 'rec', recordJson, 'v', version, 'st', state, 'fp', fingerprint)
redis.call('ZADD', inflightKey, inflightScore, id)
if hasBatch == '1' then
  redis.call('HINCRBY', batchKey, state, 1)
  redis.call('HINCRBY', batchKey, 'total', 1)
end
emitEvent(eventsKey, maxlen, id, state, '', 'created', at, batchId, version, '')
return {'created'}
