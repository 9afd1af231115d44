--[[
  A refund record and Redis's clock with the server's identity, in one round trip: what a
  submit job reads before it decides, and, when it sends, the time its lease is taken at
  (src/worker/submit-refund.ts). The record is read first, as the two separate reads did.

  Input:
    KEYS[1] record hash

  Output:
    { record JSON or false, seconds, microseconds, run_id, master_replid }
]]

--- @include "serverClock"

local record = redis.call('HGET', KEYS[1], 'rec')
local clock = serverClock()
return { record, clock[1], clock[2], clock[3], clock[4] }
