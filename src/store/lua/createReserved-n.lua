--[[
  Creates refund records with their over-refund reservations, each unless one exists:
  one call for a group of refunds (a bulk enqueue's chunk), each decided in order as if
  created one by one. The group is atomic like any script; the batch counters and the
  in-flight index are written once for the group.

  Amounts are integer micro-units (6 decimals, GatePay's request precision,
  gatepay-api.md §4.1) far below 2^53, so Lua's doubles compare them exactly; the stored
  counters use HINCRBY (64-bit integers).

  Input (a variable number of keys: 3 + 2 per refund):
    KEYS[1] events stream
    KEYS[2] in-flight sorted set
    KEYS[3] batch counters hash (a same-slot placeholder when there is no batch)
    per refund i (from 1): KEYS[2 + 2i] its record hash, KEYS[3 + 2i] its order hash
      (amount cap, reserved total, r:<id> per refund)

    ARGV[1] events stream MAXLEN (approximate)
    ARGV[2] '1' when the refunds belong to a batch
    ARGV[3] batchId or ''
    ARGV[4] state of the new records
    ARGV[5] version of the new records
    per refund i (from 1), at ARGV[5 + 8(i - 1) + k]:
      k = 1 refundRequestId
      k = 2 record JSON
      k = 3 request fingerprint
      k = 4 units to reserve
      k = 5 the caller's order amount in units, or '': checks this request only and is
            never stored (only GatePay's answer sets the order's cap, learnOrderAmount)
      k = 6 in-flight score (when the reconciler should look)
      k = 7 time of creation (ISO-8601)
      k = 8 order hash field the units count in: 'reserved' for the order's currency,
            'reserved:<CUR>' for a convert refund in currency CUR. Amounts of different
            currencies are never added: the cap (order hash 'amount', in the order's
            currency 'ccy' once GatePay told it) bounds 'reserved' plus 'reserved:<ccy>';
            a refund in another or a not yet known currency is reserved, not capped.

  Output: one reply per refund, in order:
    {'created'}
    {'existing', json} - the same request is stored already
    {'conflict', json} - a different request is stored under this id
    {'over', reservedUnits, capUnits} - the refund does not fit; nothing written for it
]]
local eventsKey, inflightKey, batchKey = KEYS[1], KEYS[2], KEYS[3]
local maxlen, hasBatch, batchId, state, version = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

--- @include "emitEvent"

local function createOne(recordKey, orderKey, a)
  local id, recordJson, fingerprint, units, capUnits =
    ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5]
  local at, field = ARGV[a + 7], ARGV[a + 8]
  local found = redis.call('HMGET', recordKey, 'fp', 'rec')
  if found[1] then
    if found[1] == fingerprint then return {'existing', found[2]} end
    return {'conflict', found[2]}
  end
  local order = redis.call('HMGET', orderKey, 'amount', 'ccy', 'reserved')
  local cap, ccy = order[1], order[2]
  if field == 'reserved' or (ccy and field == 'reserved:' .. ccy) then
    local sameCcy = ccy and redis.call('HGET', orderKey, 'reserved:' .. ccy) or '0'
    local limit = cap
    if capUnits ~= '' and (not limit or tonumber(capUnits) < tonumber(limit)) then
      limit = capUnits
    end
    local reserved = tonumber(order[3] or '0') + tonumber(sameCcy or '0')
    if limit and reserved + tonumber(units) > tonumber(limit) then
      return {'over', string.format('%d', reserved), limit}
    end
  end
  -- The order's own currency (nearly every refund): its total was just read, so one HSET
  -- writes it with the refund's reservation (past 2^53, where a Lua number is no longer
  -- exact, HINCRBY's 64-bit sum).
  local total = field == 'reserved' and tonumber(order[3] or '0') + tonumber(units)
  if total and total <= 9007199254740991 then
    redis.call('HSET', orderKey, 'reserved', string.format('%d', total), 'r:' .. id, units)
  elseif field == 'reserved' then
    redis.call('HINCRBY', orderKey, field, units)
    redis.call('HSET', orderKey, 'r:' .. id, units)
  else
    redis.call('HINCRBY', orderKey, field, units)
    redis.call('HSET', orderKey, 'r:' .. id, units, 'rb:' .. id, field)
  end
  redis.call('HSET', recordKey, 'rec', recordJson, 'v', version, 'st', state, 'fp', fingerprint)
  emitEvent(eventsKey, maxlen, id, state, '', 'created', at, batchId, version, '')
  return nil
end

local out = {}
local inflight = {}
for i = 1, (#KEYS - 3) / 2 do
  local a = 5 + 8 * (i - 1)
  local reply = createOne(KEYS[2 + 2 * i], KEYS[3 + 2 * i], a)
  if reply then
    out[i] = reply
  else
    out[i] = {'created'}
    inflight[#inflight + 1] = ARGV[a + 6]
    inflight[#inflight + 1] = ARGV[a + 1]
  end
end
if #inflight > 0 then
  redis.call('ZADD', inflightKey, unpack(inflight))
  if hasBatch == '1' then
    redis.call('HINCRBY', batchKey, state, #inflight / 2)
    redis.call('HINCRBY', batchKey, 'total', #inflight / 2)
  end
end
return out
