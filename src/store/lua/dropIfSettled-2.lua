--[[
  Drops a refund from the in-flight index only if its record is gone or final, checked
  atomically (a replay landing meanwhile puts it back in flight and must stay indexed).

  Input:
    KEYS[1] record hash
    KEYS[2] in-flight sorted set

    ARGV[1]     refundRequestId
    ARGV[2...]  the final states

  Output:
    1 when dropped, 0 when the refund is still in flight
]]
local recordKey, inflightKey = KEYS[1], KEYS[2]
local id = ARGV[1]

local st = redis.call('HGET', recordKey, 'st')
if st then
  local final = false
  for i = 2, #ARGV do if ARGV[i] == st then final = true end end
  if not final then return 0 end
end
redis.call('ZREM', inflightKey, id)
return 1
