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
    ARGV[5]  the caller's order amount in units, or '': checks this request only and is
             never stored (only GatePay's answer sets the order's cap, learnOrderAmount)
    ARGV[6]  in-flight score (when the reconciler should look)
    ARGV[7]  '1' when the refund belongs to a batch
    ARGV[8]  events stream MAXLEN (approximate)
    ARGV[9]  time of creation (ISO-8601)
    ARGV[10] batchId or ''
    ARGV[11] state of the new record
    ARGV[12] version of the new record
    ARGV[13] order hash field the units count in: 'reserved' for the order's currency,
             'reserved:<CUR>' for a convert refund in currency CUR. Amounts of different
             currencies are never added: the cap (order hash 'amount', in the order's
             currency 'ccy' once GatePay told it) bounds 'reserved' plus 'reserved:<ccy>';
             a refund in another or a not yet known currency is reserved, not capped.

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
local hasBatch, maxlen, at, batchId, state, version, field =
  ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[13]

--- @include "emitEvent"

local found = redis.call('HMGET', recordKey, 'fp', 'rec')
if found[1] then
  if found[1] == fingerprint then return {'existing', found[2]} end
  return {'conflict', found[2]}
end
local order = redis.call('HMGET', orderKey, 'amount', 'ccy', 'reserved')
local cap, ccy = order[1], order[2]
local sameCcy = ccy and redis.call('HGET', orderKey, 'reserved:' .. ccy) or '0'
if field == 'reserved' or (ccy and field == 'reserved:' .. ccy) then
  local limit = cap
  if capUnits ~= '' and (not limit or tonumber(capUnits) < tonumber(limit)) then
    limit = capUnits
  end
  local reserved = tonumber(order[3] or '0') + tonumber(sameCcy)
  if limit and reserved + tonumber(units) > tonumber(limit) then
    return {'over', string.format('%d', reserved), limit}
  end
end
redis.call('HINCRBY', orderKey, field, units)
redis.call('HSET', orderKey, 'r:' .. id, units)
if field ~= 'reserved' then redis.call('HSET', orderKey, 'rb:' .. id, field) end
redis.call('HSET', recordKey, 'rec', recordJson, 'v', version, 'st', state, 'fp', fingerprint)
redis.call('ZADD', inflightKey, inflightScore, id)
if hasBatch == '1' then
  redis.call('HINCRBY', batchKey, state, 1)
  redis.call('HINCRBY', batchKey, 'total', 1)
end
emitEvent(eventsKey, maxlen, id, state, '', 'created', at, batchId, version, '')
return {'created'}
