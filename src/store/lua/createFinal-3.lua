--[[
  Creates a record that is final from the start (an over-refund refused before
  sending), unless one exists: no reservation, not in flight.

  Input:
    KEYS[1] record hash
    KEYS[2] events stream
    KEYS[3] batch counters hash (a same-slot placeholder when there is no batch)

    ARGV[1] refundRequestId
    ARGV[2] record JSON
    ARGV[3] request fingerprint
    ARGV[4] '1' when the refund belongs to a batch
    ARGV[5] events stream MAXLEN (approximate)
    ARGV[6] time of the record's last transition (ISO-8601)
    ARGV[7] batchId or ''
    ARGV[8] state of the new record
    ARGV[9] note of the record's last transition (the error code)
    ARGV[10] version of the new record

  Output:
    {'created'}
    {'existing', json} - the same request is stored already
    {'conflict', json} - a different request is stored under this id
]]
local recordKey, eventsKey, batchKey = KEYS[1], KEYS[2], KEYS[3]
local id, recordJson, fingerprint, hasBatch, maxlen =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local at, batchId, state, note, version = ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]

--- @include "emitEvent"

local found = redis.call('HMGET', recordKey, 'fp', 'rec')
if found[1] then
  if found[1] == fingerprint then return {'existing', found[2]} end
  return {'conflict', found[2]}
end
redis.call('HSET', recordKey, 'rec', recordJson, 'v', version, 'st', state, 'fp', fingerprint)
if hasBatch == '1' then
  redis.call('HINCRBY', batchKey, state, 1)
  redis.call('HINCRBY', batchKey, 'total', 1)
end
emitEvent(eventsKey, maxlen, id, state, '', 'created', at, batchId, version, note)
return {'created'}
